"""Frame stamps survive VP8 encoding and decoding (aiortc's own codec), at the default size and
at the lowest bitrate aiortc uses; a damaged stamp reads as None, never as a wrong value."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
from aiortc.jitterbuffer import JitterFrame

from media import stamps
from media.sources import SyntheticVideoSource


def _roundtrip(width: int, height: int, bitrate: int, frames: int = 20):
    source = SyntheticVideoSource(width, height, fps=1000)  # no pacing in the test
    encoder, decoder = Vp8Encoder(), Vp8Decoder()
    encoder.target_bitrate = bitrate
    sent, got = [], []

    async def go() -> None:
        for _ in range(frames):
            frame = await source.next_frame()
            sent.append(stamps.read_frame(frame))
            payloads, ts = encoder.encode(frame)
            data = b"".join(vp8_depayload(p) for p in payloads)
            for out in decoder.decode(JitterFrame(data, ts)):
                got.append(stamps.read_frame(out))

    asyncio.run(go())
    return sent, got


@pytest.mark.parametrize(("width", "height"), [(640, 480), (320, 240)])
@pytest.mark.parametrize("bitrate", [250_000, 1_500_000])
def test_stamps_survive_vp8(width, height, bitrate):
    sent, got = _roundtrip(width, height, bitrate)
    assert all(s is not None for s in sent)
    assert got == sent  # every frame decoded, every stamp read back exactly
    counters = [s.counter for s in got]
    assert counters == sorted(set(counters)) and len(counters) == 20


def test_values_roundtrip_and_damage_is_detected():
    y = np.full((60, 640), 100, np.uint8)
    now = stamps.now_us()
    for counter, sent in ((0, now), (2**32 - 1, now - 5_000_000), (123456, now + 1000)):
        stamps.write(y, counter, sent)
        assert stamps.read(y, now) == stamps.Stamp(counter, sent)
    y[16:32, 48:64] = 255 - y[20, 56]  # flip one bit
    assert stamps.read(y) is None
    assert stamps.read(np.zeros((60, 640), np.uint8)) is None  # an unstamped (black) frame
    with pytest.raises(ValueError):
        stamps.write(np.zeros((10, 640), np.uint8), 1, 1)
