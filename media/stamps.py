"""Frame stamps: a frame counter and the send time written into the pixels of a video frame.

Three rows of 64 black/white blocks across the top of the luma plane carry the counter, the
send time (microseconds since the Unix epoch) and a check word. Blocks are ``width // 64``
pixels wide and :data:`BLOCK_H` rows high; decoding averages the middle of each block and
thresholds it, so a stamp survives VP8 (and H.264) encoding at any usable bitrate, and a frame
whose check word does not match (a damaged or half-updated frame) decodes to None.

Used by the synthetic source (:mod:`media.sources`), the tests and ``bench/call.py`` to measure
frame rate, freezes and capture -> receive latency.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

BITS = 64
ROWS = 3
BLOCK_H = 12
STAMP_HEIGHT = ROWS * BLOCK_H
_MASK = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15

Plane = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Stamp:
    counter: int
    sent_us: int  # microseconds since the epoch, on the sender's clock

    @property
    def sent(self) -> float:
        return self.sent_us / 1e6


def now_us() -> int:
    return time.time_ns() // 1000


def check_word(counter: int, sent_us: int) -> int:
    return ((counter * _MIX) ^ sent_us ^ 0xA5A5_5A5A_C3C3_3C3C) & _MASK


def _bits(value: int) -> list[int]:
    return [(value >> (63 - i)) & 1 for i in range(BITS)]


def write(y: Plane, counter: int, sent_us: int) -> None:
    """Stamp a luma plane (H x W uint8, W >= 64) in place."""
    width = y.shape[1]
    bw = width // BITS
    if bw < 1 or y.shape[0] < STAMP_HEIGHT:
        raise ValueError("The frame is too small to carry a stamp.")
    for row, value in enumerate((counter, sent_us, check_word(counter, sent_us))):
        levels = np.where(np.array(_bits(value & _MASK), dtype=np.uint8) == 1, 235, 16)
        band = np.repeat(levels.astype(np.uint8), bw)
        top = row * BLOCK_H
        y[top : top + BLOCK_H, : bw * BITS] = band
        y[top : top + BLOCK_H, bw * BITS :] = 16


def read(y: Plane) -> Stamp | None:
    """The stamp of a luma plane, or None when there is none (or it is damaged)."""
    height, width = y.shape[:2]
    bw = width // BITS
    if bw < 1 or height < STAMP_HEIGHT:
        return None
    values = []
    x0, x1 = bw // 4, max(bw // 4 + 1, bw - bw // 4)
    y0, y1 = BLOCK_H // 4, BLOCK_H - BLOCK_H // 4
    for row in range(ROWS):
        top = row * BLOCK_H
        band = y[top + y0 : top + y1, : bw * BITS].astype(np.float32)
        cells = band.reshape(band.shape[0], BITS, bw)[:, :, x0:x1].mean(axis=(0, 2))
        bits = (cells > 125).astype(np.int64)
        values.append(int(sum(int(b) << (63 - i) for i, b in enumerate(bits))))
    counter, sent_us, check = values
    if check != check_word(counter, sent_us):
        return None
    return Stamp(counter, sent_us)


def luma(frame: av.VideoFrame, rows: int = STAMP_HEIGHT) -> Plane:
    """The top ``rows`` of a frame's luma plane as an array (a yuv420p frame is read without
    conversion; any other format is converted to gray first)."""
    if frame.format.name in ("yuv420p", "yuvj420p", "nv12", "gray"):
        plane = frame.planes[0]
        data = np.frombuffer(memoryview(plane), dtype=np.uint8)
        data = data.reshape(-1, plane.line_size)[: min(rows, frame.height), : frame.width]
        return data
    gray = frame.to_ndarray(format="gray")
    return np.asarray(gray[:rows], dtype=np.uint8)


def read_frame(frame: av.VideoFrame) -> Stamp | None:
    """The stamp of a decoded frame, or None."""
    return read(luma(frame))
