"""Call benchmark: two headless peers (``python -m media.peer``) in separate processes on this
machine, calling through a real central process, 640x480 synthetic stamped video both ways.

    python -m bench.call [--seconds 60] [--size 640x480]

Figures (targets from issue 5): join -> first remote frame (<= 500 ms; measured for the peer
that joins second, from its start() to its first decoded frame — the painted frame is measured
later in the UI), fps each way sustained over the run (>= 28), freezes (gaps > 200 ms),
capture -> receive latency p50/p95 from the stamps (<= 100 / <= 150 ms; "receive" = decoded
frame handed to the observer, before any paint), CPU % of each process.

Baseline in the same run: a raw aiortc pair (two RTCPeerConnections in ONE process, SDP passed
in memory, no central, no signaling, no session layer) with the same synthetic source.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError

from media import stamps
from media.sources import LocalMedia
from tests.e2e.workstation import Workstation
from tests.support.call_peers import start_peer
from tests.support.central_proc import CentralProcess

PASSWORD = "bench-specialist-pw-1"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def figures(received: list[tuple[int, int, int]], seconds: float) -> dict[str, float]:
    """fps over the last ``seconds`` of frames, freezes, latency percentiles (ms)."""
    if not received:
        return {"fps": 0.0, "frames": 0, "freezes": 0, "p50": float("nan"), "p95": float("nan")}
    end = received[-1][2]
    window = [r for r in received if r[2] >= end - seconds * 1e6]
    span = (window[-1][2] - window[0][2]) / 1e6 if len(window) > 1 else 1.0
    gaps = [(b[2] - a[2]) / 1e3 for a, b in itertools.pairwise(window)]
    lat = [(got - sent) / 1e3 for _c, sent, got in window]
    return {
        "fps": (len(window) - 1) / span if span > 0 else 0.0,
        "frames": len(window),
        "freezes": sum(1 for g in gaps if g > 200),
        "max_gap": max(gaps) if gaps else 0.0,
        "p50": pct(lat, 0.50),
        "p95": pct(lat, 0.95),
    }


async def raw_pair(seconds: float, width: int, height: int) -> dict[str, Any]:
    """Baseline: two plain aiortc peer connections in this process, no layer of ours."""
    config = RTCConfiguration(iceServers=[])
    a, b = RTCPeerConnection(config), RTCPeerConnection(config)
    ma, mb = LocalMedia.synthetic(width, height), LocalMedia.synthetic(width, height)
    got: dict[str, list[tuple[int, int, int]]] = {"a": [], "b": []}
    first: dict[str, float] = {}
    tasks: list[asyncio.Future[None]] = []
    t0 = time.monotonic()

    def sink(pc: RTCPeerConnection, name: str) -> None:
        @pc.on("track")
        def on_track(track: Any) -> None:
            if track.kind != "video":
                return

            async def pull() -> None:
                while True:
                    try:
                        frame = await track.recv()
                    except MediaStreamError:
                        return
                    now = stamps.now_us()
                    first.setdefault(name, time.monotonic())
                    s = stamps.read_frame(frame)
                    if s is not None:
                        got[name].append((s.counter, s.sent_us, now))

            tasks.append(asyncio.ensure_future(pull()))

    sink(a, "a")
    sink(b, "b")
    for pc, m in ((a, ma), (b, mb)):
        pc.addTrack(m.audio_track())
        pc.addTrack(m.video_track())
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    await asyncio.sleep(seconds)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    await a.close()
    await b.close()
    wall = time.monotonic() - t0
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {
        "first_ms": (min(first.values()) - t0) * 1000 if first else float("nan"),
        "a": figures(got["a"], seconds - 2),
        "b": figures(got["b"], seconds - 2),
        "cpu_pct": 100 * cpu / wall,
    }


def ours(seconds: float, size: str, folder: Path) -> dict[str, Any]:
    with CentralProcess(f"sqlite:///{folder / 'central.db'}") as central:
        clinic_id = central.add_clinic("Bench Clinic")
        central.add_user("dr.bench", PASSWORD, "specialist", specialties=("cardiology",))
        a, s = Workstation(folder, "clinic"), Workstation(folder, "spec")
        a.enroll(central.url, central.enrollment_code(clinic_id))
        s.login(central.url, "dr.bench", PASSWORD)
        patient = a.add_patient("Bench", "Patient")
        consult = a.consult(patient["id"])["id"]
        a.sync_until_quiet()
        assert a.account is not None and s.account is not None
        clinic = start_peer(folder, "clinic", central.url, a.account.token, consult,
                            "--seconds", str(seconds), "--size", size, "--linger", "0")  # fmt: skip
        time.sleep(1.5)  # the specialist joins a waiting clinic: its join is the one timed
        spec = start_peer(folder, "specialist", central.url, s.account.token, consult,
                          "--seconds", str(seconds), "--size", size, "--linger", "0")  # fmt: skip
        try:
            rc, rs = clinic.wait(seconds + 90), spec.wait(seconds + 90)
        finally:
            clinic.kill()
            spec.kill()
            a.close()
            s.close()
    for r in (rc, rs):
        if not r["ok"]:
            raise SystemExit(f"call failed: {r.get('error')}\n{r['log']}")
    return {
        "first_ms": rs["first_frame_ms"],
        "connected_ms": rs["connected_ms"],
        "to_specialist": figures(rs["received"], seconds - 2),
        "to_clinic": figures(rc["received"], seconds - 2),
        "cpu_clinic": 100 * rc["cpu_s"] / rc["wall_s"],
        "cpu_specialist": 100 * rs["cpu_s"] / rs["wall_s"],
        "quality": rs["quality"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--size", default="640x480")
    p.add_argument("--no-baseline", action="store_true")
    args = p.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    print(f"call benchmark: {args.size}, {args.seconds:.0f} s each", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        r = ours(args.seconds, args.size, Path(tmp))
    base = None if args.no_baseline else asyncio.run(raw_pair(args.seconds, w, h))
    rows = [
        ("join -> first remote frame (ms)", "<= 500", r["first_ms"],
         base["first_ms"] if base else None),
        ("fps clinic -> specialist", ">= 28", r["to_specialist"]["fps"],
         base["a"]["fps"] if base else None),
        ("fps specialist -> clinic", ">= 28", r["to_clinic"]["fps"],
         base["b"]["fps"] if base else None),
        ("freezes > 200 ms (both ways)", "0",
         r["to_specialist"]["freezes"] + r["to_clinic"]["freezes"],
         base["a"]["freezes"] + base["b"]["freezes"] if base else None),
        ("latency p50 capture->receive (ms)", "<= 100",
         max(r["to_specialist"]["p50"], r["to_clinic"]["p50"]),
         max(base["a"]["p50"], base["b"]["p50"]) if base else None),
        ("latency p95 capture->receive (ms)", "<= 150",
         max(r["to_specialist"]["p95"], r["to_clinic"]["p95"]),
         max(base["a"]["p95"], base["b"]["p95"]) if base else None),
        ("CPU % clinic process", "", r["cpu_clinic"], None),
        ("CPU % specialist process", "", r["cpu_specialist"], None),
        ("CPU % raw pair (both peers, 1 process)", "", None, base["cpu_pct"] if base else None),
    ]  # fmt: skip
    print(f"\n{'figure':42} {'target':>8} {'ours':>10} {'raw aiortc':>11}")
    for name, target, value, baseline in rows:
        v = f"{value:10.1f}" if value is not None else f"{'':>10}"
        b = f"{baseline:11.1f}" if baseline is not None else f"{'':>11}"
        print(f"{name:42} {target:>8} {v} {b}")
    print(f"\nconnected after {r['connected_ms']:.0f} ms (specialist); quality {r['quality']}")
    print("(latency is to the decoded frame; painting is measured in the UI benchmark)")


if __name__ == "__main__":
    main()
