"""Calls over the links our clinics have (issue 6): two headless peers (``python -m media.peer``)
in two network namespaces, every packet through the link emulator
(tests/support/link_emulator.py), signaling through a real central process; each scenario run
twice in the same run — **stock** aiortc as shipped (``media.peer --stock``: no media/quality
layer, no dead-path watch) and **ours** — one after the other on the same scripted link.

    python -m bench.call_links [--quick] [--only NAME ...] [--stock-only] [--soak-minutes 60]
        [--json FILE] [--markdown FILE]

Scenarios (clinic = side a, specialist = side b; profiles are per direction, the same both ways):

* ``500k/300ms/3%``: 500 kbit/s, 300 ms round trip, 3 % random loss, 60 s (``--quick``: 20 s).
* ``1s outage`` / ``5s outage``: 500 kbit/s, 100 ms, 3 %, then nothing passes for 1 s / 5 s.
* ``300k/600ms/5%``: 2 Mbit/s, then 300 kbit/s, 600 ms, 5 % for 40 s (``--quick`` 20 s), then
  2 Mbit/s again (does video step down or pause, and come back?).
* ``step 2M->300k``: 2 Mbit/s, 100 ms for 20 s, then 300 kbit/s: queueing delay in the
  emulator's bottleneck queue (its p95 per second), from 5 s after the drop.
* ``soak 400k``: 400 kbit/s, 300 ms, 1 % for ``--soak-minutes`` (60; ``--quick``: 3):
  resident memory growth of each peer (first sample after 30 s -> last; issue 14's target
  < 30 MB) and latency drift (p50 of the last minute minus p50 of the first minute after
  warm-up; target ~0).

Figures, each the worse of the two directions: fps; frozen seconds per minute (every gap
between received frames beyond 200 ms); longest freeze; video latency p50/p95 (capture stamp
-> decoded frame, ms; both peers share this machine's clock); audio missing % (20 ms slots
with no decoded frame, by RTP timestamp — lost and not concealed, heard as a drop-out);
audio concealed % (ours only: frames media/quality synthesised by Opus PLC, from its counters;
stock aiortc conceals nothing, its losses are in "missing");
audio-only after (300k): from the link getting bad to the first "weak" state of either peer
(its own video paused, or the far side's video silent for 2 s while its audio flows);
recovery: after an outage the time from the link's return until video runs again (10 frames
within 2 s) and until the first audio frame; after the 300k stretch the same for video; for
the step the
time after the drop until the queue's p95 stays under 500 ms. Targets are the issue's.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.call_links import CallWorld, start_pair, video_figures, wait_pair
from tests.support.link_emulator import EmulatedLink, Profile, link

US = 1_000_000


@dataclass
class Scenario:
    name: str
    settle: float  # seconds on ``start`` before the script begins (connect, warm up)
    start: Profile
    script: list[tuple[float, Profile]]  # from the script's start
    length: float  # seconds of script
    window: tuple[float, float] | None = None  # measured part of the script (None: all)
    marks: dict[str, float] = field(default_factory=dict)  # named instants in the script
    rss_every: float = 0.0


def scenarios(quick: bool, soak_minutes: float) -> list[Scenario]:
    base_outage = link(500, 100, 3)
    bad = link(300, 600, 5)
    good = link(2000, 100)
    long = 20.0 if quick else 60.0
    bad_len = 20.0 if quick else 40.0
    settle = 6.0 if quick else 10.0
    after = 12.0 if quick else 20.0
    return [
        Scenario("500k/300ms/3%", 5.0, link(500, 300, 3), [], long, (3.0, long)),
        Scenario("1s outage", 5.0, base_outage,
                 [(settle, Profile.down()), (settle + 1, base_outage)], settle + 1 + after,
                 marks={"down": settle, "up": settle + 1}),
        Scenario("5s outage", 5.0, base_outage,
                 [(settle, Profile.down()), (settle + 5, base_outage)], settle + 5 + after,
                 marks={"down": settle, "up": settle + 5}),
        Scenario("300k/600ms/5%", 5.0, good,
                 [(settle, bad), (settle + bad_len, good)], settle + bad_len + after,
                 window=(settle + 5, settle + bad_len),
                 marks={"down": settle, "up": settle + bad_len}),
        Scenario("step 2M->300k", 5.0, good, [(20.0, link(300, 100))], 20.0 + after + 8,
                 window=(25.0, 20.0 + after + 8), marks={"down": 20.0}),
        Scenario("soak 400k", 5.0, link(400, 300, 1), [], soak_minutes * 60, (60.0, math.inf),
                 rss_every=10.0),
    ]  # fmt: skip


def _frames_window(r: dict[str, Any], t0: float, a: float, b: float) -> dict[str, float]:
    end = min(t0 + b, max((x[2] for x in r["received"]), default=0) / US)
    return video_figures(r["received"], int((t0 + a) * US), int(end * US))


def _audio_missing(r: dict[str, Any]) -> float:
    return float(r["audio"]["missing_pct"])


def _concealed(r: dict[str, Any]) -> float:
    value = (r.get("link") or {}).get("concealed_pct")
    return float(value) if value is not None else float("nan")


def _first_after(times: list[int], at: float) -> float | None:
    later = [t for t in times if t >= at * US]
    return (min(later) / US - at) if later else None


def _resumed_after(times: list[int], at: float, n: int = 10, span: float = 2.0) -> float | None:
    later = sorted(t for t in times if t >= at * US)
    for i in range(len(later) - n + 1):
        if later[i + n - 1] - later[i] <= span * US:
            return later[i] / US - at
    return None


def measure(sc: Scenario, r_clinic: dict[str, Any], r_spec: dict[str, Any], t0: float,
            stats: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Figures of one run (worse of the two directions). ``t0``: wall time the script began."""
    lo, hi = sc.window if sc.window is not None else (0.0, sc.length)
    hi = min(hi, sc.length)
    views = [_frames_window(r, t0, lo, hi) for r in (r_clinic, r_spec)]
    out: dict[str, Any] = {
        "fps": min(v["fps"] for v in views),
        "frozen_s_per_min": max(v["frozen_s_per_min"] for v in views),
        "longest_freeze_ms": max(v["longest_freeze_ms"] for v in views),
        "latency_p50": max(v["latency_p50"] for v in views),
        "latency_p95": max(v["latency_p95"] for v in views),
        "audio_missing_pct": max(_audio_missing(r) for r in (r_clinic, r_spec)),
        "audio_concealed_pct": max(_concealed(r) for r in (r_clinic, r_spec)),
        "reconnects": max(int(r.get("reconnects", 0)) for r in (r_clinic, r_spec)),
        "sizes": sorted({s for r in (r_clinic, r_spec) for s in r.get("sizes", [])}),
        "ok": bool(r_clinic["ok"] and r_spec["ok"]),
    }
    if "up" in sc.marks and "outage" in sc.name:
        up = t0 + sc.marks["up"]
        vids = [_resumed_after([x[2] for x in r["received"]], up) for r in (r_clinic, r_spec)]
        auds = [_first_after(r["audio_received"], up) for r in (r_clinic, r_spec)]
        out["video_back_s"] = None if None in vids else max(v for v in vids if v is not None)
        out["audio_back_s"] = None if None in auds else max(a for a in auds if a is not None)
        whole = [_frames_window(r, t0, 0, sc.length) for r in (r_clinic, r_spec)]
        out["longest_freeze_ms"] = max(v["longest_freeze_ms"] for v in whole)
    elif "up" in sc.marks:  # the weak stretch, then a good link again
        up = t0 + sc.marks["up"]
        back = [_resumed_after([x[2] for x in r["received"]], up) for r in (r_clinic, r_spec)]
        out["video_back_s"] = None if None in back else max(b for b in back if b is not None)
        down = t0 + sc.marks["down"]
        weak = [t for r in (r_clinic, r_spec) for t, state in r.get("link_states", [])
                if state == "weak" and down <= t <= up]  # fmt: skip
        out["audio_only_after_s"] = (min(weak) - down) if weak else None
    if sc.name.startswith("step"):
        drop = t0 + sc.marks["down"]
        bins = [b for d in ("ab", "ba") for b in stats[d]["bins"] if b["t"] >= drop]
        worst: dict[int, float] = {}
        for b in bins:
            k = int(b["t"] - drop)
            worst[k] = max(worst.get(k, 0.0), b["qdelay_p95"])
        late = [v for k, v in worst.items() if k >= 5]
        out["queue_p95_after_5s_ms"] = max(late, default=0.0)
        over = [k for k, v in worst.items() if v >= 500]
        out["queue_settled_s"] = (max(over) + 1) if over else 0.0
    if sc.rss_every:
        growth, drift = [], []
        for r in (r_clinic, r_spec):
            samples = [(t, kb) for t, kb in r.get("rss_kb", []) if t >= t0 + 30]
            if len(samples) >= 2:
                growth.append((samples[-1][1] - samples[0][1]) / 1024)
            first = _frames_window(r, t0, 60, 120)["latency_p50"]
            last = _frames_window(r, t0, sc.length - 60, sc.length)["latency_p50"]
            drift.append(last - first)
        out["rss_growth_mb"] = max(growth, default=float("nan"))
        out["latency_drift_ms"] = max(drift, default=float("nan"), key=abs)
    return out


def run_one(sc: Scenario, world: CallWorld, folder: Path, stock: bool, log: Callable[[str], None],
            keep_timeline: bool = False) -> dict[str, Any]:  # fmt: skip
    tag = f"{sc.name.split()[0].replace('/', '_')}-{'stock' if stock else 'ours'}"
    with EmulatedLink(folder, central_url=world.url) as emu:
        emu.set(sc.start)
        extra = ("--rss-every", str(sc.rss_every)) if sc.rss_every else ()
        if keep_timeline:
            extra = (*extra, "--timeline", "0.5")
        seconds = f"{sc.settle + sc.length + 4:.0f}"
        argv = ("--seconds", seconds, "--linger", "0", "--connect-timeout", "40", *extra)
        clinic, spec = start_pair(emu, world, *argv, stock=stock, name=tag)
        time.sleep(sc.settle + 2)  # connecting takes ~1-2 s over a slow link
        t0 = time.time()
        emu.schedule([(0.0, sc.start), *sc.script])
        time.sleep(max(0.0, sc.length - 1))
        r_clinic, r_spec = wait_pair(clinic, spec, sc.length + 120)
        stats = emu.stats()
    if keep_timeline:
        (folder / f"{tag}-link.json").write_text(json.dumps({"t0": t0, "stats": stats}))
    for r in (r_clinic, r_spec):
        if not r["ok"]:
            log(f"  {tag}: {r.get('side')} failed: {r.get('error')}")
    return measure(sc, r_clinic, r_spec, t0, stats)


ROWS: list[tuple[str, str, str]] = [
    # (key, label, format)
    ("fps", "fps", "{:.1f}"),
    ("frozen_s_per_min", "frozen s/min", "{:.1f}"),
    ("longest_freeze_ms", "longest freeze ms", "{:.0f}"),
    ("latency_p50", "latency p50 ms", "{:.0f}"),
    ("latency_p95", "latency p95 ms", "{:.0f}"),
    ("audio_missing_pct", "audio missing %", "{:.1f}"),
    ("audio_concealed_pct", "audio concealed %", "{:.1f}"),
    ("audio_only_after_s", "audio-only after s", "{:.2f}"),
    ("video_back_s", "video back s", "{:.2f}"),
    ("audio_back_s", "audio back s", "{:.2f}"),
    ("queue_p95_after_5s_ms", "queue p95 5 s after drop ms", "{:.0f}"),
    ("queue_settled_s", "queue p95 < 500 ms after s", "{:.0f}"),
    ("rss_growth_mb", "RSS growth MB", "{:.1f}"),
    ("latency_drift_ms", "latency drift ms", "{:+.0f}"),
    ("reconnects", "reconnects", "{:.0f}"),
]

TARGETS = {
    ("500k/300ms/3%", "fps"): ">= 15",
    ("500k/300ms/3%", "frozen_s_per_min"): "< 1.2",
    ("500k/300ms/3%", "longest_freeze_ms"): "< 1000",
    ("500k/300ms/3%", "latency_p95"): "< 400",
    ("500k/300ms/3%", "audio_missing_pct"): "< 2",
    ("500k/300ms/3%", "audio_concealed_pct"): "< 2",
    ("1s outage", "longest_freeze_ms"): "< 2000",
    ("5s outage", "video_back_s"): "<= 2",
    ("5s outage", "audio_back_s"): "<= 0.5",
    ("300k/600ms/5%", "fps"): ">= 10*",
    ("300k/600ms/5%", "audio_only_after_s"): "<= 5*",
    ("300k/600ms/5%", "video_back_s"): "<= 15",
    ("300k/600ms/5%", "audio_missing_pct"): "< 2",
    ("step 2M->300k", "queue_p95_after_5s_ms"): "< 500",
    ("soak 400k", "rss_growth_mb"): "< 30",
    ("soak 400k", "latency_drift_ms"): "~0",
}


def _fmt(value: Any, fmt: str) -> str:
    if value is None:
        return "never"
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return fmt.format(value)


def table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    lines = ["| scenario | figure | target | stock aiortc | ours |", "|---|---|---|---:|---:|"]
    for name, runs in results.items():
        for key, label, fmt in ROWS:
            values = [runs.get(k, {}).get(key) for k in ("stock", "ours")]
            if all(k not in runs.get(w, {}) for w in ("stock", "ours") for k in (key,)):
                continue
            target = TARGETS.get((name, key), "")
            cells = [_fmt(v, fmt) if w in runs else "" for v, w in zip(values, ("stock", "ours"),
                                                                          strict=True)]  # fmt: skip
            lines.append(f"| {name} | {label} | {target} | {cells[0]} | {cells[1]} |")
        sizes = {w: ",".join(runs[w].get("sizes", [])) for w in ("stock", "ours") if w in runs}
        lines.append(
            f"| {name} | sizes seen | | {sizes.get('stock', '')} | {sizes.get('ours', '')} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="short scenarios, a 3-minute soak")
    p.add_argument("--soak-minutes", type=float, default=None)
    p.add_argument("--only", nargs="*", help="scenario names (prefixes) to run")
    p.add_argument("--stock-only", action="store_true")
    p.add_argument("--ours-only", action="store_true")
    p.add_argument("--keep", type=Path, help="keep the peers' reports and logs in this folder")
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args()
    soak = args.soak_minutes if args.soak_minutes is not None else (3.0 if args.quick else 60.0)
    chosen = [s for s in scenarios(args.quick, soak)
              if not args.only or any(s.name.startswith(o) for o in args.only)]  # fmt: skip
    kinds = ["stock"] if args.stock_only else ["ours"] if args.ours_only else ["stock", "ours"]
    results: dict[str, dict[str, dict[str, Any]]] = {}

    def log(msg: str) -> None:
        print(msg, flush=True)

    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if args.keep is None else args.keep
        folder.mkdir(parents=True, exist_ok=True)
        with CallWorld(folder) as world:
            for sc in chosen:
                for kind in kinds:
                    log(f"{sc.name} ({kind}): {sc.settle + sc.length:.0f} s ...")
                    results.setdefault(sc.name, {})[kind] = run_one(
                        sc, world, folder, kind == "stock", log, args.keep is not None
                    )
    text = table(results)
    print()
    print(text)
    print(f"\n{time.time() - started:.0f} s; * 300k: >= 10 fps at 320x240, or audio-only "
          "within 5 s and video back within 15 s of recovery")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
