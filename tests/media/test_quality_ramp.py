"""Fast start on a good link (issue 14): two peer connections with the quality layer in one
process over loopback, a 640x480 synthetic camera at 30 fps each way. The receiver sees
640x480 at >= 28 fps within 3 s of the first frame (aiortc's REMB needs ~3 s before it says
anything, so this is the controller's own start: 300 kbit/s, doubling per second while the
path is short and its queue empty, stepping up without waiting in the first seconds).

``-s`` prints the figure: seconds from the first frame to the first 1 s window of 640x480
frames at >= 28 fps."""

from __future__ import annotations

import asyncio
import time

import av
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.quality.rtp import QualityPeerConnection
from media.sources import LocalMedia


class SizeSink:
    def __init__(self) -> None:
        self.frames: list[tuple[float, int, int]] = []  # (monotonic, width, height)

    async def consume(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, av.VideoFrame):
                self.frames.append((time.monotonic(), frame.width, frame.height))


def full_size_at(frames: list[tuple[float, int, int]], fps: float = 28.0) -> float | None:
    """Seconds from the first frame to the start of the first 1 s window whose frames are all
    640x480 and at least ``fps`` of them."""
    if not frames:
        return None
    t0 = frames[0][0]
    for i, (t, _w, _h) in enumerate(frames):
        window = [f for f in frames[i:] if f[0] < t + 1.0]
        if frames[-1][0] < t + 1.0:
            return None
        if len(window) >= fps and all((w, h) == (640, 480) for _t, w, h in window):
            return t - t0
    return None


async def loopback_call(seconds: float) -> tuple[SizeSink, dict[str, object]]:
    a, b = QualityPeerConnection(), QualityPeerConnection()
    for pc in (a, b):
        media = LocalMedia.synthetic(640, 480, 30)
        audio, video = media.audio_track(), media.video_track()
        assert audio is not None and video is not None
        pc.addTrack(audio)
        pc.addTrack(video)
    sink = SizeSink()
    tasks: list[asyncio.Task[None]] = []
    b.on("track", lambda track: tasks.append(asyncio.ensure_future(sink.consume(track))))
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    deadline = time.monotonic() + 10
    while not sink.frames and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await asyncio.sleep(seconds)
    stats = a.hub.stats()
    for t in tasks:
        t.cancel()
    await a.close()
    await b.close()
    return sink, stats


@pytest.mark.timeout(60)
def test_loopback_reaches_640x480_at_28_fps_within_3_s_of_the_first_frame() -> None:
    sink, stats = asyncio.run(loopback_call(6.0))
    ramp = full_size_at(sink.frames)
    last = [f for f in sink.frames if f[0] >= sink.frames[-1][0] - 2.0]
    print(f"\nloopback: 640x480 at >= 28 fps {ramp} s after the first frame; "
          f"last 2 s {len(last) / 2:.1f} fps; sender {stats['send_rung']}, "
          f"estimate {stats['send_estimate_kbps']} kbit/s")  # fmt: skip
    assert ramp is not None and ramp <= 3.0, (ramp, sink.frames[:: max(1, len(sink.frames) // 40)])
    assert all((w, h) == (640, 480) for _t, w, h in last) and len(last) >= 2 * 25
    assert stats["send_paused"] is False
