"""A headless call peer: joins a consult's call with the synthetic source and reports what it
received as JSON. For tests, benchmarks and operators checking a link ("call test").

    CLINIC_CALL_TOKEN=... python -m media.peer --server URL --consult ID [--seconds 5]
        [--relay-only] [--size 640x480] [--chat TEXT] [--vitals 8480-6=142:mm[Hg]]
        [--send-file-bytes N] [--send-file PATH] [--expect-file N] [--expect-chat N]
        [--report FILE]
        [--stock] [--rss-every S] [--timeline S] [--reconnect-timeout S]

The token comes from the environment only (never on a command line); ``CLINIC_CALL_LOG=info``
(or ``debug``) sends the call's log lines to stderr, for diagnosis. The report holds stamps
of received frames (counter, sent and received microseconds), the arrival of every remote audio
frame and the audio figures derived from them (``audio``: frames, 20 ms slots missing by RTP
timestamp, longest gap), chat, vitals, files (SHA-256), the selected candidate pair, every state
with its time, reconnects, the final state, CPU seconds and, with ``--rss-every``, the resident
memory over time; with ``--timeline``, the link counters (queue, estimate, rung, loss, RTT,
FEC) over time. ``--stock`` runs aiortc as shipped (``CallSession(stock=True)``: no
media/quality layer, no dead-path watch) for baselines.

``"ok"`` and the exit status say whether the call worked: ``ok`` is true (exit 0) only when the
call connected within ``--connect-timeout``, never ended in ``FAILED`` and was not still
``RECONNECTING`` when it ended (an outage it never recovered from, whether its time ran out or
the other side hung up meanwhile); a call that failed
at any point (refused, the central platform unreachable at start, the other side never came,
the connection could not be restored) is ``"ok": false`` with ``error``/``error_type`` and exit
status 1. Counters (frames, audio missing, the ``link`` counters) cover the whole call across
reconnects; ``peer_connections`` says how many peer connections it took (1: every outage
resumed on the first) and ``signaling_drops`` how often the signaling socket was reopened.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import faulthandler
import hashlib
import itertools
import json
import logging
import mimetypes
import os
import random
import resource
import sys
import threading
import time
from array import array
from pathlib import Path
from typing import Any

import av

from media import stamps
from media.datachannel import ChatMessage, ReceivedFile, VitalReading
from media.errors import CallError
from media.quality import link_stats
from media.session import CallObserver, CallSession, CallState, CallStats
from media.sources import LocalMedia

TOKEN_ENV = "CLINIC_CALL_TOKEN"
LOG_ENV = "CLINIC_CALL_LOG"  # e.g. "info": log lines to stderr (never media or tokens)
TIMELINE_KEYS = (
    "send_rung", "send_paused", "send_estimate_kbps", "send_remb_kbps", "send_loss_based_kbps",
    "send_loss_pct", "queue_ms", "rtt_ms", "fec_overhead_pct", "video_frames", "fec_recovered",
    "nack_seqs", "video_gave_up", "bwe_kbps", "bwe_delay_kbps", "bwe_loss_kbps",
    "bwe_acked_kbps", "bwe_queue_ms", "bwe_delay_cuts", "encoder_overshoot",
)  # fmt: skip


class Recorder(CallObserver):
    def __init__(self) -> None:
        # compact (8 bytes a number): an hour's soak must measure the call, not this log
        self._frames = array("q")  # counter, sent_us, received_us per stamped frame
        self.unstamped = 0
        self.states: list[tuple[float, str, str]] = []
        self.chat: list[str] = []
        self.vitals: list[dict[str, Any]] = []
        self.files: list[dict[str, Any]] = []
        self.stats: collections.deque[dict[str, Any]] = collections.deque(maxlen=120)
        self.sizes: set[str] = set()
        self.audio_frames = 0
        self._audio_pts = array("q")  # pts in samples, per audio frame
        self._audio_at = array("q")  # received_us, per audio frame
        self.audio_rate = 48000
        self.audio_samples = 960
        self.remote_media: list[tuple[float, bool, bool]] = []  # time, camera on, audio only
        self.link_states: list[tuple[float, str]] = []  # media/quality's link state changes

    def on_state(self, state: CallState, message: str) -> None:
        self.states.append((time.time(), state.value, message))

    def on_remote_frame(self, frame: av.VideoFrame) -> None:
        got = stamps.now_us()
        stamp = stamps.read_frame(frame)
        self.sizes.add(f"{frame.width}x{frame.height}")
        if stamp is None:
            self.unstamped += 1
        else:
            self._frames.extend((stamp.counter, stamp.sent_us, got))

    def on_remote_audio(self, frame: av.AudioFrame) -> None:
        self.audio_frames += 1
        self.audio_rate, self.audio_samples = frame.sample_rate or 48000, frame.samples or 960
        self._audio_pts.append(int(frame.pts or 0))
        self._audio_at.append(stamps.now_us())

    @property
    def received(self) -> list[tuple[int, int, int]]:
        f = self._frames
        return [(f[i], f[i + 1], f[i + 2]) for i in range(0, len(f), 3)]

    @property
    def audio(self) -> list[tuple[int, int]]:
        return list(zip(self._audio_pts, self._audio_at, strict=True))

    def audio_figures(self) -> dict[str, float]:
        """Frames received, 20 ms slots missing between them, longest arrival gap. Slots are
        counted by RTP timestamp; where the timestamps jump back or by more than 5 s (a new
        peer connection, or an outage longer than that on the same one) by arrival time, so an
        outage and a reconnect count as missing audio instead of resetting the count."""
        missing = 0
        slots = 0
        max_gap_ms = 0.0
        step = max(1, self.audio_samples)
        frame_us = 1e6 * step / max(1, self.audio_rate)
        audio = self.audio
        for (p0, t0), (p1, t1) in itertools.pairwise(audio):
            max_gap_ms = max(max_gap_ms, (t1 - t0) / 1000)
            d = p1 - p0
            if 0 < d <= 5 * self.audio_rate:
                n = round(d / step)
            else:
                n = max(1, round((t1 - t0) / frame_us))
            slots += n
            missing += max(0, n - 1)
        return {
            "frames": float(len(audio)),
            "slots": float(slots),
            "missing": float(missing),
            "missing_pct": 100.0 * missing / slots if slots else 0.0,
            "max_gap_ms": max_gap_ms,
        }

    def on_link_quality(self, state: Any, message: str) -> None:
        self.link_states.append((time.time(), str(getattr(state, "value", state))))

    def on_remote_media(self, camera_on: bool, audio_only: bool) -> None:
        self.remote_media.append((time.time(), camera_on, audio_only))

    def on_stats(self, stats: CallStats) -> None:
        self.stats.append(stats.__dict__)

    def on_chat(self, message: ChatMessage) -> None:
        self.chat.append(message.text)

    def on_vitals(self, reading: VitalReading) -> None:
        self.vitals.append({"code": reading.code, "value": reading.value, "unit": reading.unit})

    def on_file_received(self, file: ReceivedFile) -> None:
        self.files.append(
            {"name": file.name, "mime": file.mime, "size": len(file.data), "sha256": file.sha256}
        )


def sample_bytes(size: int, seed: int = 5) -> bytes:
    """Deterministic incompressible bytes (a stand-in image of ``size`` bytes)."""
    return random.Random(seed).randbytes(size)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    token = os.environ.get(TOKEN_ENV, "")
    width, height = (int(v) for v in args.size.split("x"))
    rec = Recorder()
    media = LocalMedia.synthetic(width, height, args.fps)
    session = CallSession(
        args.server,
        token,
        args.consult,
        media=media,
        observer=rec,
        relay_only=args.relay_only,
        stock=args.stock,
        reconnect_timeout=args.reconnect_timeout,
    )
    rss: list[tuple[float, int]] = []

    async def sample_rss() -> None:
        while True:
            rss.append((time.time(), _rss_kb()))
            await asyncio.sleep(args.rss_every)

    rss_task = asyncio.create_task(sample_rss()) if args.rss_every > 0 else None
    timeline: list[tuple[float, dict[str, Any]]] = []

    async def sample_link() -> None:
        while True:
            await asyncio.sleep(args.timeline)
            stats = link_stats(session)
            if stats:
                timeline.append((time.time(), {k: stats.get(k) for k in TIMELINE_KEYS}))

    timeline_task = asyncio.create_task(sample_link()) if args.timeline > 0 else None
    report: dict[str, Any] = {"ok": False}
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    try:
        await session.start()
        report["side"] = session.side
        try:
            state = await session.wait_for(CallState.CONNECTED, timeout=args.connect_timeout)
        except TimeoutError:
            raise CallError(
                f"The call did not connect within {args.connect_timeout:g} s "
                f"(last state: {session.state.value})."
            ) from None
        if state != CallState.CONNECTED:
            raise CallError(rec.states[-1][2] if rec.states else "The call did not connect.")
        report["connected_ms"] = (time.monotonic() - t0) * 1000
        sent_file = None
        if args.chat:
            session.channel.send_chat(args.chat)
        for spec in args.vitals:
            code, _, rest = spec.partition("=")
            value, _, unit = rest.partition(":")
            session.channel.send_vitals(code, float(value), unit)
        if args.send_file_bytes or args.send_file:
            if args.send_file:  # a real file (e.g. an image the other side shows)
                name, data = args.send_file.name, args.send_file.read_bytes()
                mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            else:
                name, data, mime = "image.jpg", sample_bytes(args.send_file_bytes), "image/jpeg"
            sent_file = session.channel.send_file(name, data, mime)
            report["file_sent"] = {"sha256": hashlib.sha256(data).hexdigest(), "ok": False}
        measure_from = time.monotonic()
        deadline = measure_from + args.seconds
        while time.monotonic() < deadline or (
            time.monotonic() < deadline + args.wait_extra
            and (
                (args.expect_file and len(rec.files) < args.expect_file)
                or len(rec.chat) < args.expect_chat
                or (sent_file is not None and not sent_file.result.done())
            )
        ):
            if session.state in (CallState.ENDED, CallState.FAILED):
                break
            await asyncio.sleep(0.05)
        if sent_file is not None and sent_file.result.done() and not sent_file.result.exception():
            report["file_sent"]["ok"] = True
            report["file_sent"]["resumed_from"] = sent_file.resumed_from
        report["selected"] = session.selected_candidate_types()
        report["measured_s"] = time.monotonic() - measure_from
        if session.state == CallState.FAILED:
            raise CallError(rec.states[-1][2] if rec.states else "The call failed.")
        live = [(t, s) for t, s, _m in rec.states if s in ("connected", "reconnecting")]
        if session.state == CallState.RECONNECTING or (live and live[-1][1] == "reconnecting"):
            # the time ran out (or the other side hung up) before the connection was
            # restored: not a call that worked
            since = live[-1][0] if live else time.time()
            raise CallError(
                f"The call ended while reconnecting (for {time.time() - since:.1f} s): "
                "the connection was not restored."
            )
        report["ok"] = True
    except CallError as exc:
        report["error"] = str(exc)
        report["error_type"] = type(exc).__name__
    finally:
        if args.linger:
            await asyncio.sleep(args.linger)
        for task in (rss_task, timeline_task):
            if task is not None:
                task.cancel()
        await session.hangup()
        media.close()
    if session.state == CallState.FAILED or any(s == "failed" for _t, s, _m in rec.states):
        # failed while hanging up, or in a state the loop did not look at: never "ok"
        report["ok"] = False
        report.setdefault("error", next(m for _t, s, m in rec.states if s == "failed"))
        report.setdefault("error_type", "CallError")
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    report.update(
        first_frame_ms=(
            (session.first_frame_at - t0) * 1000 if session.first_frame_at is not None else None
        ),
        wall_s=time.monotonic() - t0,
        cpu_s=(cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
        received=rec.received,
        unstamped=rec.unstamped,
        sizes=sorted(rec.sizes),
        audio_frames=rec.audio_frames,
        audio=rec.audio_figures(),
        link=link_stats(session),  # media/quality counters (empty when --stock)
        audio_received=list(rec._audio_at),
        rss_kb=rss,
        link_timeline=timeline,
        reconnects=session.summary.reconnects,
        peer_connections=session.summary.peer_connections,
        signaling_drops=session.summary.signaling_drops,
        final_state=session.state.value,
        remote_media=rec.remote_media,
        link_states=rec.link_states,
        stock=args.stock,
        states=rec.states,
        chat=rec.chat,
        vitals=rec.vitals,
        files=rec.files,
        stats=list(rec.stats),
        quality=session.summary.quality(),
        headset_recommended=session.headset_recommended,
    )
    return report


def _rss_kb() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m media.peer", description=__doc__)
    p.add_argument("--server", required=True)
    p.add_argument("--consult", required=True)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--size", default="640x480")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--relay-only", action="store_true")
    p.add_argument("--chat")
    p.add_argument("--vitals", action="append", default=[])
    p.add_argument("--send-file-bytes", type=int, default=0)
    p.add_argument("--send-file", type=Path, help="share this file once connected")
    p.add_argument("--expect-file", type=int, default=0)
    p.add_argument("--expect-chat", type=int, default=0)
    p.add_argument("--wait-extra", type=float, default=20.0)
    p.add_argument("--connect-timeout", type=float, default=30.0)
    p.add_argument("--linger", type=float, default=0.5, help="seconds before hanging up")
    p.add_argument(
        "--reconnect-timeout", type=float, default=120.0,
        help="seconds a dead connection is tried again before the call fails",
    )  # fmt: skip
    p.add_argument("--report", type=Path)
    p.add_argument("--stock", action="store_true", help="aiortc as shipped (baselines)")
    p.add_argument("--rss-every", type=float, default=0.0, help="sample RSS every S seconds")
    p.add_argument(
        "--timeline", type=float, default=0.0, help="sample the link counters every S seconds"
    )
    args = p.parse_args(argv)
    level = os.environ.get(LOG_ENV, "").upper()
    if level:
        # for diagnosis: the call's own log lines (states, reconnect decisions, ICE/TURN)
        logging.basicConfig(
            level=getattr(logging, level, logging.INFO),
            stream=sys.stderr,
            format="%(asctime)s.%(msecs)03d %(name)s %(levelname)s %(message)s",
            datefmt="%H:%M:%S",
        )
    report = asyncio.run(run(args))
    text = json.dumps(report)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    else:
        print(text)
    if not report["ok"]:
        print(f"call failed: {report.get('error')}", file=sys.stderr)
    return 0 if report["ok"] else 1


def _exit_watchdog(code: int, grace: float = 10.0) -> None:
    """Once the report is out, the process must end: if a non-daemon thread still holds it
    after ``grace`` s (seen once in a full test run: the call had ended and been reported),
    print every thread's stack to stderr and leave with the call's exit status."""

    def fire() -> None:
        sys.stdout.flush()  # a report printed (no --report) must not be lost
        names = [t.name for t in threading.enumerate() if not t.daemon]
        print(f"still running after the report: {names}", file=sys.stderr)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(code)

    timer = threading.Timer(grace, fire)
    timer.daemon = True
    timer.start()


if __name__ == "__main__":
    status = main()
    _exit_watchdog(status)
    sys.exit(status)
