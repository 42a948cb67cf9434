"""Vitals trends as small server-rendered SVG line charts (no script, no inline style: the
desk's Content-Security-Policy allows neither)."""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

WIDTH, HEIGHT, PAD = 320, 110, 26


def _epoch(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def trend_svg(points: list[tuple[str, float]], label: str, unit: str) -> str:
    """An SVG chart of (ISO time, value) points with the first and last dates and the lowest
    and highest values labelled; ``label`` is its accessible title."""
    pts = [(t, v) for when, v in points if (t := _epoch(when)) is not None]
    # a label may carry its unit already (the Chinese "血糖（mmol/L）"): not twice
    title = escape(f"{label} ({unit})" if unit and unit not in label else label)
    if not pts:
        return ""
    t0, t1 = min(t for t, _ in pts), max(t for t, _ in pts)
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    span_t, span_v = (t1 - t0) or 1.0, (hi - lo) or 1.0
    inner_w, inner_h = WIDTH - 2 * PAD - 10, HEIGHT - 2 * PAD + 10

    def xy(t: float, v: float) -> tuple[float, float]:
        x = PAD + 10 + (t - t0) / span_t * inner_w if t1 > t0 else PAD + 10 + inner_w / 2
        y = PAD - 6 + (hi - v) / span_v * inner_h if hi > lo else PAD - 6 + inner_h / 2
        return round(x, 1), round(y, 1)

    coords = [xy(t, v) for t, v in sorted(pts)]
    line = " ".join(f"{x},{y}" for x, y in coords)
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="2.5" class="dot"/>' for x, y in coords)
    first = escape(datetime.fromtimestamp(t0).strftime("%Y-%m-%d"))
    last = escape(datetime.fromtimestamp(t1).strftime("%Y-%m-%d"))
    fmt = "{:g}".format
    return (
        f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{title}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        f'<text x="4" y="14" class="lbl">{title}</text>'
        f'<text x="4" y="{PAD + 2}" class="ax">{escape(fmt(hi))}</text>'
        f'<text x="4" y="{HEIGHT - PAD + 6}" class="ax">{escape(fmt(lo))}</text>'
        f'<text x="{PAD + 10}" y="{HEIGHT - 4}" class="ax">{first}</text>'
        f'<text x="{WIDTH - 4}" y="{HEIGHT - 4}" class="ax end">{last}</text>'
        f'<polyline points="{line}" class="line" fill="none"/>{dots}</svg>'
    )
