"""Our calls beside a browser's (issue 14): each scenario run with two headless Chromium peers
and with our two ``python -m media.peer`` processes, one after the other in the same run, on the
same scripted link of the link emulator (tests/support/link_emulator.py), ICE relay-only through
a real coturn, signaling through a real central process; printed ours beside Chromium's with the
ratio ours/Chromium.

    python -m bench.call_vs_browser [--quick] [--core] [--only NAME ...] [--seconds S]
        [--kinds chromium ours] [--direct] [--keep DIR] [--json FILE] [--markdown FILE]

Needs root (network namespaces), coturn and iproute2 (``make sysdeps``) and Debian's Chromium,
which a bench does not get from ``make sysdeps`` (it is not needed in CI): install it with
``apt-get install chromium`` (/usr/bin/chromium; Playwright's own browser download does not
work on these machines, and none is needed: the browser is driven over the DevTools protocol on
a pipe, tests/support/chromium_peer.py).

The path: clinic = side a, specialist = side b; coturn runs inside side b
(tests/support/link_turn.py), so with relay-only ICE every media packet crosses the emulated
link once each way and the round trip the peers see is the link's. Scenarios (profiles per
direction, the same both ways; ``--quick``: 25 s each after the settle, else 90 s):

* ``250k/500ms/2%``: 250 kbit/s, 500 ms round trip, 2 % random loss.
* ``400k/900ms/4% bursty``: 400 kbit/s, 900 ms, 4 % loss in Gilbert-Elliott bursts (mean 3).
* ``1M/300ms/1% 3s outage`` (and ``10s``, ``20s``): 1 Mbit/s, 300 ms, 1 %; nothing passes for
  3/10/20 s from 8 s into the script (the measured part is stretched to 12 s after the return).
* ``2M/100ms/0.5%``: 2 Mbit/s, 100 ms, 0.5 %.
* ``1M->300k->1M``: 1 Mbit/s, 100 ms; 300 kbit/s for the middle third.
* profiles of our own (not run with ``--core``): ``fluctuating 200k<->1M`` (200 ms, 0.5 %, the
  rate flips every 8 s, 15 s in long runs), ``600k jitter+reorder`` (200 ms, 40 ms jitter with
  reordering, 0.5 %), ``asymmetric 300k up/2M down`` (the clinic's upload 300 kbit/s, its
  download 2 Mbit/s, 150 ms, 1 %).

The Chromium peer is bench/browser_peer/peer.html: a 640x480 canvas at 30 fps carrying the
moving gradient of media/sources.py and the frame stamp of media/stamps.py (same bits, same
BLAKE2s check word), a 440 Hz WebAudio tone; it joins through the central's ``/ice`` route and
WebSocket room like media.peer (the harness adds the bearer token to the page's requests over
CDP), and records for every decoded remote frame (MediaStreamTrackProcessor, as media.peer's
``on_remote_frame``: no compositor in between) the luma means of the stamp blocks from the
frame's Y plane, at the sender's scale whatever size arrived; the stamp is decoded here with
media/stamps.py, so the figures come from the same code for both
(tests/support/call_links.video_figures).

Figures, each the worse of the two directions, over the scripted part of the call: fps;
worst-10-s fps (the fewest frames in any 10 s window, per second); pixels shown per second
(sum of width x height of the decoded frames; for ours the size of each frame is the sender's
rung at its send time, from ``media.peer --timeline``; Chromium reports each frame's size);
frozen s/min and longest freeze (gaps beyond 200 ms); latency p50/p95 (stamp -> decoded,
ms; one machine, one clock); audio bad % over the same window (ours: 20 ms frames not
delivered + the whole call's share concealed by Opus PLC; Chromium: the growth of
concealedSamples over that of totalSamplesReceived, getStats every ~1 s); after each outage, video
back (10 frames within 2 s) and audio back (first packet; Chromium's from getStats polled every
200 ms, so +-0.2 s); peer connections used; resolution mix (share of frames per size). The
page restarts ICE on the same peer connection every 5 s while it is "failed" (what a careful
web app does; Chromium itself does not).

``--direct`` allows host candidates (the peers then talk straight across the link, no TURN):
to tell what the relay changes. For both kinds the settle starts once media flows both ways
through the link (connecting takes up to ~8 s at 900 ms through TURN). The machine is shared
and has two cores: compare the columns of one run, not figures across runs.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.call_links import _first_after, _resumed_after
from media import stamps
from tests.support.call_links import CallWorld, start_pair, video_figures, wait_pair
from tests.support.central_proc import CentralProcess
from tests.support.chromium_peer import Chromium, Page
from tests.support.link_emulator import EmulatedLink, GilbertElliott, Profile, link
from tests.support.link_turn import LinkTurn

US = 1_000_000
PAGE = Path(__file__).resolve().parent / "browser_peer" / "peer.html"
WIDTH, HEIGHT, FPS = 640, 480, 30
AUDIO_FRAME_US = 20_000
Log = Callable[[str], None]


@dataclass
class Scenario:
    name: str
    settle: float  # seconds on ``start`` after connecting, before the script begins
    start: Profile
    script: list[tuple[float, Profile]]  # from the script's start
    length: float  # seconds of script (the measured part)
    outages: list[tuple[float, float]] = field(default_factory=list)  # (down, up) in the script
    ba: Profile | None = None  # side b -> a when it differs (asymmetric; no script then)
    core: bool = True  # one of the named scenarios (``--core`` runs only these)

    def set_start(self, emu: EmulatedLink) -> None:
        emu.set(self.start, "ab" if self.ba is not None else "both")
        if self.ba is not None:
            emu.set(self.ba, "ba")

    def run_script(self, emu: EmulatedLink) -> None:
        """From now on (the measured part's t0)."""
        if self.ba is not None:
            emu.schedule([(0.0, self.start)], [(0.0, self.ba)])
        else:
            emu.schedule([(0.0, self.start), *self.script])


def _outage(seconds: float, length: float, at: float) -> Scenario:
    one_m = link(1000, 300, 1)
    script = [(at, Profile.down()), (at + seconds, one_m)]
    return Scenario(f"1M/300ms/1% {seconds:g}s outage", 5.0, one_m, script,
                    max(length, at + seconds + 12), [(at, at + seconds)])  # fmt: skip


def scenarios(length: float) -> list[Scenario]:
    """The issue's scenarios, then profiles of our own (``core=False``)."""
    at = min(8.0, length / 3)
    period = 8.0 if length < 60 else 15.0
    flip = [(k * period, link(200 if k % 2 == 0 else 1000, 200, 0.5))
            for k in range(1, int(length / period) + 1)]  # fmt: skip
    return [
        Scenario("250k/500ms/2%", 5.0, link(250, 500, 2), [], length),
        Scenario("400k/900ms/4% bursty", 5.0,
                 link(400, 900, 0, bursts=GilbertElliott.bursts(4, 3.0)), [], length),
        _outage(3, length, at),
        Scenario("2M/100ms/0.5%", 5.0, link(2000, 100, 0.5), [], length),
        _outage(10, length, at),
        _outage(20, length, at),
        Scenario("1M->300k->1M", 5.0, link(1000, 100), [(length / 3, link(300, 100)),
                 (2 * length / 3, link(1000, 100))], length),
        Scenario("fluctuating 200k<->1M", 5.0, link(1000, 200, 0.5), flip, length, core=False),
        Scenario("600k jitter+reorder", 5.0,
                 link(600, 200, 0.5, jitter_ms=40, reorder=True), [], length, core=False),
        Scenario("asymmetric 300k up/2M down", 5.0, link(300, 150, 1), [], length,
                 ba=link(2000, 150, 1), core=False),
    ]  # fmt: skip


class TurnWorld(CallWorld):
    """:class:`CallWorld` whose central hands out the TURN server inside side b."""

    def __init__(self, folder: Path, turn: LinkTurn) -> None:
        super().__init__(folder)
        self.central = CentralProcess(
            f"sqlite:///{folder / 'central.db'}",
            extra=turn.central_args(),
            log_path=folder / "central.log",
        )


# -- a direction of a call, the same shape for both kinds ------------------------------------


@dataclass
class Direction:
    """What one side received: stamped frames ``(counter, sent_us, shown_us)``, the size of
    each (``(w, h)`` or None when unknown), audio arrival times (µs) and how to tell the audio
    bad % of a window (``audio_bad(start_us, end_us)``)."""

    frames: list[tuple[int, int, int]]
    sizes: list[tuple[int, int] | None]
    audio_at: list[int]
    audio_bad: Callable[[int, int], float]
    unstamped: int = 0


@dataclass
class CallRun:
    directions: list[Direction]
    peer_connections: int
    ok: bool
    notes: list[str]


# -- Chromium ---------------------------------------------------------------------------------


def _decode(record: list[int]) -> tuple[int, int, int, stamps.Stamp | None]:
    """A page record ``[shown_us, w, h, 96 block means]`` -> shown_us, w, h, the stamp."""
    shown, w, h = int(record[0]), int(record[1]), int(record[2])
    per_row = WIDTH // stamps.BLOCK
    cells = np.full(-(-stamps.BITS // per_row) * per_row, stamps.BLACK, dtype=np.uint8)
    cells[: stamps.BITS] = np.clip(np.asarray(record[3 : 3 + stamps.BITS]), 0, 255)
    grid = cells.reshape(-1, per_row)
    plane = np.kron(grid, np.ones((stamps.BLOCK, stamps.BLOCK), np.uint8)).astype(np.uint8)
    return shown, w, h, stamps.read(plane, now=shown)


def _audio_arrivals(polls: list[list[float]]) -> list[int]:
    """Approximate audio packet arrival times (µs) from getStats polls ``[t_us, packets,
    lastPacketReceivedTimestamp_ms]``: each new packet counted 20 ms before the next, ending at
    the last packet's time, never before the previous poll."""
    out: list[int] = []
    prev_t, prev_n = None, None
    for t, n, last_ms in polls:
        if prev_n is not None and prev_t is not None and n > prev_n:
            end = int(last_ms * 1000) if last_ms else int(t)
            count = int(n - prev_n)
            for i in range(count):
                out.append(max(int(prev_t), end - (count - 1 - i) * 20_000))
        prev_t, prev_n = t, n
    return out


def chromium_direction(report: dict[str, Any]) -> Direction:
    frames: list[tuple[int, int, int]] = []
    sizes: list[tuple[int, int] | None] = []
    unstamped = 0
    for record in report["received"]:
        shown, w, h, stamp = _decode(record)
        if stamp is None:
            unstamped += 1
            continue
        frames.append((stamp.counter, stamp.sent_us, shown))
        sizes.append((w, h))
    audio = [(int(x["t"]), x["audio"]) for x in report["samples"] if x.get("audio")]

    def bad(lo: int, hi: int) -> float:
        """Concealed share of the samples played out between the getStats samples (every
        ~1 s) nearest the window's edges."""
        inside = [(t, a) for t, a in audio if lo <= t <= hi]
        if len(inside) < 2:
            return float("nan")
        (_, a), (_, b) = inside[0], inside[-1]
        total = (b.get("samples") or 0) - (a.get("samples") or 0)
        hidden = (b.get("concealed") or 0) - (a.get("concealed") or 0)
        return 100.0 * hidden / total if total > 0 else 100.0

    return Direction(frames, sizes, _audio_arrivals(report["audio_polls"]), bad, unstamped)


def check_page_stamp(page: Page) -> None:
    """The page's stamp bits must be media/stamps.py's (the same word, the same check)."""
    for counter, sent_us in ((0, 1), (123_456, stamps.now_us()), (2**32 - 1, 2**48 + 12_345)):
        got = page.evaluate(f"Array.from(stampBits({counter}, {sent_us})).join('')")
        plane = np.zeros((stamps.stamp_height(WIDTH), WIDTH), np.uint8)
        stamps.write(plane, counter, sent_us)
        per_row = WIDTH // stamps.BLOCK
        centres = [plane[(i // per_row) * stamps.BLOCK + 8, (i % per_row) * stamps.BLOCK + 8]
                   for i in range(stamps.BITS)]  # fmt: skip
        want = "".join("1" if v == stamps.WHITE else "0" for v in centres)
        if got != want:
            raise RuntimeError(f"peer.js stamps differ from media/stamps.py: {got} != {want}")


def wait_media(emu: EmulatedLink, timeout: float, packets: int = 30) -> bool:
    """Until media flows both ways through the link (a complete second with ``packets`` or
    more delivered in each direction: audio alone is 50/s); the same test for both kinds, so
    each gets its settle after its own connect time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = emu.stats()
        now = time.time()
        if all(
            any(b["pkts_out"] >= packets for b in stats[d]["bins"] if b["t"] + 1 <= now)
            for d in ("ab", "ba")
        ):
            return True
        time.sleep(0.5)
    return False


def run_chromium(
    sc: Scenario, world: CallWorld, turn: LinkTurn, folder: Path, tag: str, log: Log, relay: bool
) -> tuple[CallRun, float]:
    browsers: list[Chromium] = []
    with EmulatedLink(folder, central_url=world.url) as emu, turn.running(emu):
        sc.set_start(emu)
        try:
            pages = []
            for side, token in (("a", world.clinic_token), ("b", world.specialist_token)):
                browser = Chromium.launch(folder, f"{tag}-{side}", prefix=emu.prefix(side))
                browsers.append(browser)
                page = browser.page()
                page.extra_headers({"Authorization": f"Bearer {token}"})
                page.navigate(PAGE.as_uri())
                check_page_stamp(page)
                pages.append(page)
            config = {"server": emu.server_url("a"), "consult": world.consult, "width": WIDTH,
                      "height": HEIGHT, "fps": FPS, "relayOnly": relay}  # fmt: skip
            for page in pages:
                page.evaluate(f"startCall({json.dumps(config)})", await_promise=True)
            connected = wait_media(emu, 45.0)
            if not connected:
                log(f"  {tag}: no media both ways within 45 s")
            time.sleep(sc.settle)
            t0 = time.time()
            sc.run_script(emu)
            time.sleep(sc.length + 0.5)
            reports = [json.loads(p.evaluate("JSON.stringify(callReport())", 60)) for p in pages]
            for page in pages:
                page.evaluate("hangup()")
        finally:
            for browser in browsers:
                browser.close()
    (folder / f"{tag}-reports.json").write_text(json.dumps(reports), encoding="utf-8")
    notes = [f"{r['side']}: {e}" for r in reports for e in r["errors"]]
    kinds = {(x.get("pair") or {}).get("local") for r in reports for x in r["samples"]}
    if relay and kinds - {"relay", None}:
        notes.append(f"local candidate types used: {sorted(k for k in kinds if k)}")
    for note in notes:
        log(f"  {tag}: {note}")
    pcs = max(int(r["peer_connections"]) for r in reports)
    # the clinic's report holds what the specialist sent, and the other way round
    run = CallRun([chromium_direction(r) for r in reports], pcs, connected and not notes, notes)
    return run, t0


# -- ours -------------------------------------------------------------------------------------


def _rung_size(label: str) -> tuple[int, int] | None:
    size = label.split("@", 1)[0]
    w, _, h = size.partition("x")
    return (int(w), int(h)) if w.isdigit() and h.isdigit() else None


def ours_direction(received: dict[str, Any], sender: dict[str, Any]) -> Direction:
    """``received``: the report of the side that received; ``sender``: the other side's (its
    ``link_timeline`` says which rung it sent at, hence each frame's size)."""
    frames = [(int(c), int(s), int(r)) for c, s, r in received["received"]]
    timeline = [(float(t), _rung_size(str(v["send_rung"])))
                for t, v in sender.get("link_timeline", []) if v.get("send_rung")]  # fmt: skip
    times = [t for t, _s in timeline]
    only = received.get("sizes", [])
    fallback = _rung_size(only[0]) if len(only) == 1 else None
    sizes: list[tuple[int, int] | None] = []
    for _c, sent, _r in frames:
        i = int(np.searchsorted(times, sent / US, side="right")) - 1
        size = timeline[max(0, i)][1] if timeline else fallback
        sizes.append(size)
    concealed = (received.get("link") or {}).get("concealed_pct")
    audio_at = [int(t) for t in received.get("audio_received", [])]

    def bad(lo: int, hi: int) -> float:
        """20 ms frames not delivered in the window (PLC frames are delivered), plus the
        share media/quality concealed (a whole-call counter: no time series of it)."""
        expected = (hi - lo) / AUDIO_FRAME_US
        got = sum(1 for t in audio_at if lo <= t <= hi)
        missing = max(0.0, 100.0 * (1 - got / expected)) if expected > 0 else float("nan")
        return missing + (float(concealed) if concealed is not None else 0.0)

    return Direction(frames, sizes, audio_at, bad, int(received.get("unstamped", 0)))


def run_ours(
    sc: Scenario, world: CallWorld, turn: LinkTurn, folder: Path, tag: str, log: Log, relay: bool
) -> tuple[CallRun, float]:
    with EmulatedLink(folder, central_url=world.url) as emu, turn.running(emu):
        sc.set_start(emu)
        seconds = f"{sc.settle + sc.length + 4:.0f}"
        argv = ("--seconds", seconds, "--linger", "0", "--connect-timeout", "40",
                "--timeline", "0.5", *(("--relay-only",) if relay else ()))  # fmt: skip
        clinic, spec = start_pair(emu, world, *argv, name=tag)
        if not wait_media(emu, 45.0):
            log(f"  {tag}: no media both ways within 45 s")
        time.sleep(sc.settle)
        t0 = time.time()
        sc.run_script(emu)
        time.sleep(max(0.0, sc.length - 1))
        r_clinic, r_spec = wait_pair(clinic, spec, sc.length + 120)
    notes = [f"{r.get('side')}: {r.get('error')}" for r in (r_clinic, r_spec) if not r["ok"]]
    notes += [
        f"{r.get('side')}: selected {r.get('selected')}"
        for r in (r_clinic, r_spec)
        if relay and r.get("selected") and "relay" not in json.dumps(r["selected"])
    ]
    for note in notes:
        log(f"  {tag}: {note}")
    pcs = max(int(r.get("peer_connections", 0)) for r in (r_clinic, r_spec))
    dirs = [ours_direction(r_clinic, r_spec), ours_direction(r_spec, r_clinic)]
    return CallRun(dirs, pcs, bool(r_clinic["ok"] and r_spec["ok"]), notes), t0


# -- figures ----------------------------------------------------------------------------------


def direction_figures(d: Direction, t0: float, sc: Scenario) -> dict[str, Any]:
    lo, hi = int(t0 * US), int((t0 + sc.length) * US)
    fig: dict[str, Any] = dict(video_figures(d.frames, lo, hi))
    shown = [f[2] for f in d.frames if lo <= f[2] <= hi]
    worst = math.inf
    for k in range(int(sc.length - 10) + 1):
        a = lo + k * US
        worst = min(worst, sum(1 for t in shown if a <= t < a + 10 * US) / 10)
    fig["worst10_fps"] = worst if worst != math.inf else fig["fps"]
    in_window = [s for f, s in zip(d.frames, d.sizes, strict=True) if lo <= f[2] <= hi]
    known = [s for s in in_window if s is not None]
    fig["pixels_per_s"] = (
        sum(w * h for w, h in known) / sc.length if known or not in_window else float("nan")
    )
    fig["sizes"] = Counter(f"{w}x{h}" for w, h in known)
    fig["audio_bad_pct"] = d.audio_bad(lo, hi)
    for i, (_down, up) in enumerate(sc.outages):
        at = t0 + up
        fig[f"video_back_s_{i}"] = _resumed_after([f[2] for f in d.frames], at)
        fig[f"audio_back_s_{i}"] = _first_after(d.audio_at, at)
    return fig


WORSE_IS_LOWER = ("fps", "worst10_fps", "pixels_per_s")


def measure(sc: Scenario, run: CallRun, t0: float) -> dict[str, Any]:
    figs = [direction_figures(d, t0, sc) for d in run.directions]
    out: dict[str, Any] = {}
    for key in ("fps", "worst10_fps", "pixels_per_s"):
        out[key] = min(f[key] for f in figs)
    for key in ("frozen_s_per_min", "longest_freeze_ms", "latency_p50", "latency_p95",
                "audio_bad_pct"):  # fmt: skip
        out[key] = max(f[key] for f in figs)
    for i in range(len(sc.outages)):
        for kind in ("video", "audio"):
            values = [f[f"{kind}_back_s_{i}"] for f in figs]
            key = f"{kind}_back_s_{i}"
            out[key] = None if None in values else max(v for v in values if v is not None)
    sizes: Counter[str] = Counter()
    for f in figs:
        sizes.update(f["sizes"])
    total = sum(sizes.values())
    out["resolution_mix"] = ", ".join(
        f"{s} {100 * n / total:.0f}%" for s, n in sizes.most_common(4)
    ) if total else "-"  # fmt: skip
    out["t0"] = t0
    out["peer_connections"] = run.peer_connections
    out["unstamped"] = sum(d.unstamped for d in run.directions)
    out["ok"] = run.ok
    out["notes"] = run.notes
    return out


ROWS: list[tuple[str, str, str]] = [
    ("fps", "fps", "{:.1f}"),
    ("worst10_fps", "worst-10-s fps", "{:.1f}"),
    ("pixels_per_s", "Mpixel/s shown", "{:.2f}"),
    ("frozen_s_per_min", "frozen s/min", "{:.1f}"),
    ("longest_freeze_ms", "longest freeze ms", "{:.0f}"),
    ("latency_p50", "latency p50 ms", "{:.0f}"),
    ("latency_p95", "latency p95 ms", "{:.0f}"),
    ("audio_bad_pct", "audio bad %", "{:.1f}"),
]


def _fmt(value: Any, fmt: str, key: str) -> str:
    if value is None:
        return "never"
    if isinstance(value, float) and math.isnan(value):
        return "-"
    if key == "pixels_per_s":
        value = value / 1e6
    return fmt.format(value)


def _ratio(ours: Any, theirs: Any) -> str:
    if not isinstance(ours, int | float) or not isinstance(theirs, int | float):
        return ""
    if math.isnan(ours) or math.isnan(theirs):
        return ""
    if theirs == 0:
        return "=" if ours == 0 else "n/a (0)"
    return f"{ours / theirs:.2f}"


def table(results: dict[str, dict[str, dict[str, Any]]], outages: dict[str, int]) -> str:
    lines = ["| scenario | figure | ours | Chromium | ours/Chromium |", "|---|---|---:|---:|---:|"]
    for name, runs in results.items():
        ours, chrome = runs.get("ours", {}), runs.get("chromium", {})
        rows = list(ROWS)
        for i in range(outages.get(name, 0)):
            rows += [(f"video_back_s_{i}", f"video back s (outage {i + 1})", "{:.2f}"),
                     (f"audio_back_s_{i}", f"audio back s (outage {i + 1})", "{:.2f}")]  # fmt: skip
        rows.append(("peer_connections", "peer connections", "{:.0f}"))
        for key, label, fmt in rows:
            a, b = ours.get(key, float("nan")), chrome.get(key, float("nan"))
            lines.append(f"| {name} | {label} | {_fmt(a, fmt, key)} | {_fmt(b, fmt, key)} | "
                         f"{_ratio(a, b)} |")  # fmt: skip
        lines.append(f"| {name} | resolution mix | {ours.get('resolution_mix', '')} | "
                     f"{chrome.get('resolution_mix', '')} | |")  # fmt: skip
        for kind, run in (("ours", ours), ("Chromium", chrome)):
            if run and not run.get("ok"):
                lines.append(
                    f"| {name} | FAILED ({kind}) | {'; '.join(run.get('notes', []))} | | |"
                )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="25 s scenarios instead of 90 s")
    p.add_argument("--seconds", type=float, help="measured seconds per scenario")
    p.add_argument("--only", nargs="*", help="scenario names (prefixes) to run")
    p.add_argument("--core", action="store_true", help="only the issue's named scenarios")
    p.add_argument("--kinds", nargs="*", default=["chromium", "ours"],
                   choices=["chromium", "ours"])  # fmt: skip
    p.add_argument("--direct", action="store_true",
                   help="allow host candidates (no TURN in the path): for diagnosis")  # fmt: skip
    p.add_argument("--keep", type=Path, help="keep reports and logs in this folder")
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args()
    length = args.seconds or (25.0 if args.quick else 90.0)
    chosen = [s for s in scenarios(length)
              if (not args.only or any(s.name.startswith(o) for o in args.only))
              and (s.core or not args.core)]  # fmt: skip
    results: dict[str, dict[str, dict[str, Any]]] = {}

    def log(msg: str) -> None:
        print(msg, flush=True)

    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if args.keep is None else args.keep
        folder.mkdir(parents=True, exist_ok=True)
        turn = LinkTurn(folder)
        with TurnWorld(folder, turn) as world:
            for sc in chosen:
                for kind in args.kinds:
                    tag = f"{re.sub(r'[^A-Za-z0-9.]+', '_', sc.name)}-{kind}"
                    log(f"{sc.name} ({kind}): {sc.settle + sc.length:.0f} s + connecting ...")
                    runner = run_chromium if kind == "chromium" else run_ours
                    try:
                        run, t0 = runner(sc, world, turn, folder, tag, log, not args.direct)
                        figures = measure(sc, run, t0)
                    except Exception as exc:  # one broken run must not lose the others
                        log(f"  {tag}: {type(exc).__name__}: {exc}")
                        figures = {"ok": False, "notes": [f"{type(exc).__name__}: {exc}"]}
                    results.setdefault(sc.name, {})[kind] = figures
    text = table(results, {s.name: len(s.outages) for s in chosen})
    print()
    print(text)
    print(f"\n{time.time() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
