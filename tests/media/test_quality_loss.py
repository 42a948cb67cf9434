"""Two peer connections with the quality layer in one process, packets dropped in both
directions: video keeps moving, lost video is repaired by NACK (not a storm), audio loss is
recovered by FEC or concealed, and an outage is followed by prompt recovery."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import av
import pytest
from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media import stamps
from media.quality.rtp import QualityPeerConnection
from media.sources import LocalMedia
from tests.media.lossy import LossyPath


class Sink:
    def __init__(self) -> None:
        self.video: list[float] = []
        self.stamped = 0
        self.audio: list[float] = []

    async def consume(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            now = time.monotonic()
            if isinstance(frame, av.VideoFrame):
                self.video.append(now)
                self.stamped += stamps.read_frame(frame) is not None
            else:
                self.audio.append(now)


async def call(
    loss: float,
    seconds: float,
    outage_at: float | None = None,
    stock_receiver: bool = False,
    drop: Callable[[bytes], bool] | None = None,
) -> dict[str, Any]:
    a = QualityPeerConnection()
    b = RTCPeerConnection() if stock_receiver else QualityPeerConnection()
    media_a, media_b = LocalMedia.synthetic(320, 240, 15), LocalMedia.synthetic(320, 240, 15)
    for pc, media in ((a, media_a), (b, media_b)):
        pc.addTrack(media.audio_track())
        pc.addTrack(media.video_track())
    sink = Sink()
    tasks: list[asyncio.Task[None]] = []
    b.on("track", lambda track: tasks.append(asyncio.ensure_future(sink.consume(track))))
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    path = LossyPath(loss, seed=7, drop=drop)
    back = LossyPath(loss, seed=8)
    for _ in range(100):
        if a.connectionState == "connected" and b.connectionState == "connected":
            break
        await asyncio.sleep(0.05)
    path.wrap(a)
    back.wrap(b)
    start = time.monotonic()
    outage_end = None
    if outage_at is not None:
        await asyncio.sleep(outage_at)
        path.outage(1.0)
        back.outage(1.0)
        outage_end = time.monotonic() + 1.0
    await asyncio.sleep(seconds - (time.monotonic() - start))
    result = {
        "sink": sink,
        "start": start,
        "outage_end": outage_end,
        "receiver": b.hub.stats() if isinstance(b, QualityPeerConnection) else {},
        "sender": a.hub.stats(),
        "dropped": path.dropped,
        "sent": path.sent,
    }
    for t in tasks:
        t.cancel()
    await a.close()
    await b.close()
    return result


def gaps(times: list[float]) -> list[float]:
    return [y - x for x, y in itertools.pairwise(times)]


@pytest.mark.timeout(60)
def test_five_percent_loss_video_moves_audio_is_whole_and_nack_is_not_a_storm() -> None:
    r = asyncio.run(call(0.05, 8.0))
    sink, stats = r["sink"], r["receiver"]
    video = [t for t in sink.video if t > r["start"] + 1.0]
    assert len(video) / (sink.video[-1] - r["start"] - 1.0) >= 8  # frames keep coming
    assert max(gaps(video)) < 1.0
    assert sink.stamped >= 0.9 * len(sink.video)  # whole pictures, not corrupted ones
    # audio: one frame per 20 ms, lost packets recovered (FEC) or concealed (PLC)
    audio = [t for t in sink.audio if t > r["start"] + 1.0]
    assert len(audio) >= 0.9 * (sink.audio[-1] - r["start"] - 1.0) / 0.02
    assert stats["recovered_pct"] > 0
    assert stats["concealed_pct"] < 2.0
    # parity packets go out and reach the receiver (routed by their own payload type)
    assert r["sender"]["fec_sent"] > 0 and stats["fec_parity_in"] > 0
    # each lost video packet asked for about once per RTT, not re-listed on every new gap
    assert stats["nack_seqs"] <= 3 * max(1, stats["nack_packets"])
    assert stats["nack_seqs"] <= r["dropped"] * 3


@pytest.mark.timeout(60)
def test_after_an_outage_video_and_audio_come_back_promptly() -> None:
    r = asyncio.run(call(0.0, 7.0, outage_at=2.0))
    sink, end = r["sink"], r["outage_end"]
    first_video = min(t for t in sink.video if t > end)
    first_audio = min(t for t in sink.audio if t > end)
    assert first_audio - end < 0.5
    assert first_video - end < 2.0
    after = [t for t in sink.video if t > first_video]
    assert len(after) >= 20


@pytest.mark.timeout(60)
def test_a_receiver_without_the_quality_layer_gets_no_parity_and_video_flows() -> None:
    r = asyncio.run(call(0.0, 6.0, stock_receiver=True, drop=every_13th_video_packet))
    sink = r["sink"]
    # its description lacks rtp.PEER_MARKER: no PT 125 packets (a browser's case, issue 21)
    assert r["sender"]["fec_sent"] == 0
    video = [t for t in sink.video if t > r["start"] + 1.0]
    assert len(video) >= 30
    assert sink.stamped >= 0.9 * len(sink.video)


def every_13th_video_packet(data: bytes) -> bool:
    """VP8 media packets (not RTCP, audio or parity) whose sequence number is a multiple of 13:
    under 8 % loss, never two in one parity group, base-layer and upper-layer frames alike."""
    if len(data) < 12 or 192 <= data[1] <= 223:  # RTCP
        return False
    pt, seq = data[1] & 0x7F, int.from_bytes(data[2:4], "big")
    return pt == VP8_PT and seq % 13 == 0


VP8_PT = 97  # aiortc's first video payload type


@pytest.mark.timeout(60)
def test_lost_base_layer_packets_are_rebuilt_from_parity_without_a_round_trip() -> None:
    r = asyncio.run(call(0.0, 10.0, drop=every_13th_video_packet))
    sink, stats = r["sink"], r["receiver"]
    assert r["dropped"] >= 8
    assert stats["fec_recovered"] >= 2
    # the rest: upper-layer frames passed over, NACK for what came before parity began
    assert stats["nack_seqs"] < 2 * r["dropped"]
    video = [t for t in sink.video if t > r["start"] + 2.0]
    assert len(video) >= 60 and max(gaps(video)) < 0.5
    assert sink.stamped >= 0.9 * len(sink.video)
