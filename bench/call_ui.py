"""Call benchmark to the painted frame: the clinic side is the real consult room (Qt, offscreen,
this process), the specialist a headless peer process (``python -m media.peer``), both through a
real central process, 640x480 synthetic stamped video.

    python -m bench.call_ui [--seconds 30]

Figures (targets from issue 5): join -> first remote frame *painted* (<= 500 ms; the
specialist waits in the room, the clinic's room is opened and timed from ``start()`` to the
first paint), painted frames per second (>= 28), capture -> paint latency p50/p95 from the
stamps read on the painted frames (<= 100 / <= 150 ms), the longest gap of the Qt event loop
during the call, and CPU % of the UI process. Baseline in the same run: the same figures to the
*decoded* frame (what the media layer hands to the UI), so the UI's own share is the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.call import pct
from media import stamps
from media.sources import LocalMedia
from tests.support.call_links import CallWorld
from tests.support.call_peers import start_peer


async def measure(room: Any, seconds: float) -> dict[str, Any]:
    """Run the call for ``seconds`` after the first paint; collect paint and decode stamps."""
    from PySide6.QtCore import QTimer

    painted: list[tuple[int, float, float]] = []  # counter, sent, painted (s)
    decoded: list[tuple[int, float, float]] = []
    room.remote.painted.connect(
        lambda info, at: painted.append((info.counter, info.sent, at)) if info else None
    )
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    t0 = time.perf_counter()
    starting = asyncio.ensure_future(room.start())
    while room.call is None:
        await asyncio.sleep(0.001)
    observer = room.call.observer
    original = observer.on_remote_frame

    def on_frame(frame: Any) -> None:
        stamp = stamps.read_frame(frame)
        if stamp is not None:
            decoded.append((stamp.counter, stamp.sent, time.time()))
        original(frame)

    observer.on_remote_frame = on_frame  # type: ignore[method-assign]
    if not await starting:
        raise SystemExit("the call did not start")
    while not painted:
        if time.perf_counter() - t0 > 30:
            raise SystemExit("no frame was painted within 30 s")
        await asyncio.sleep(0.005)
    first_ms = (time.perf_counter() - t0) * 1000
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0 = time.perf_counter()
    painted.clear()
    decoded.clear()
    last[0] = time.perf_counter()
    timer.start()
    await asyncio.sleep(seconds)
    timer.stop()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter() - wall0
    cpu = (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime) / wall * 100

    def stats(rows: list[tuple[int, float, float]]) -> dict[str, float]:
        lat = [(at - sent) * 1000 for _c, sent, at in rows]
        span = rows[-1][2] - rows[0][2] if len(rows) > 1 else 1.0
        return {"fps": (len(rows) - 1) / span, "p50": pct(lat, 0.5), "p95": pct(lat, 0.95)}

    return {
        "first_ms": first_ms,
        "paint": stats(painted),
        "decode": stats(decoded),
        "max_gap_ms": max(gaps) * 1000 if gaps else float("nan"),
        "cpu_pct": cpu,
    }


def run(seconds: float, folder: Path) -> dict[str, Any]:
    import qasync
    from PySide6.QtWidgets import QApplication

    from clinic_app.clinic import Clinic
    from ui.bridge import Bridge
    from ui.consult_room import ConsultRoom
    from ui.session import Session

    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with CallWorld(folder) as world:  # a real central, a clinic and a specialist, a consult
        clinic = world.stations[0]
        spec = start_peer(folder, "specialist", world.url, world.specialist_token, world.consult,
                          "--seconds", str(seconds + 15), "--linger", "0")  # fmt: skip
        executor = ThreadPoolExecutor(1)
        session = Session(Clinic(clinic.store), Bridge(), executor)
        room = ConsultRoom(session, world.consult, title="bench",
                           media_factory=lambda: LocalMedia.synthetic(640, 480))  # fmt: skip
        room.resize(1180, 740)
        room.show()
        try:
            time.sleep(2.0)  # the specialist is in the room, waiting
            asyncio.set_event_loop(loop)
            result = loop.run_until_complete(measure(room, seconds))
            loop.run_until_complete(room.hangup())
        finally:
            spec.kill()
            executor.shutdown()
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seconds", type=float, default=30.0)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = run(args.seconds, Path(tmp))
    rows = [
        ("join -> first remote frame painted (ms)", "<= 500", r["first_ms"], None),
        ("frames per second", ">= 28", r["paint"]["fps"], r["decode"]["fps"]),
        ("latency p50 capture -> (ms)", "<= 100", r["paint"]["p50"], r["decode"]["p50"]),
        ("latency p95 capture -> (ms)", "<= 150", r["paint"]["p95"], r["decode"]["p95"]),
        ("longest Qt event-loop gap (ms)", "< 100", r["max_gap_ms"], None),
        ("CPU % of the UI process", "", r["cpu_pct"], None),
    ]
    print(f"\ncall to the painted frame, 640x480, {args.seconds:.0f} s")
    print(f"{'figure':42} {'target':>8} {'painted':>10} {'decoded':>10}")
    for name, target, value, base in rows:
        b = f"{base:10.1f}" if base is not None else f"{'':>10}"
        print(f"{name:42} {target:>8} {value:10.1f} {b}")


if __name__ == "__main__":
    main()
