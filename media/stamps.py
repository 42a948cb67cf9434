"""Frame stamps: a frame counter and the send time written into the pixels of a video frame.

96 bits — the counter (32 bits), the send time in microseconds since the Unix epoch modulo
2**48 (about nine years; the reader restores the full value from its own clock) and a 16-bit
check word — are drawn as black/white 16x16 blocks aligned to VP8/H.264 macroblocks, in raster
order from the top-left corner (40 blocks a row at 640 pixels: three rows). A block that
changes between frames is then a pure change of its macroblocks' DC, which survives coding at
any bitrate aiortc uses; reading averages the middle 8x8 of each block and thresholds it. A
frame whose check word does not match (damaged, half-updated) reads as None, never as a wrong
value.

Used by the synthetic source (:mod:`media.sources`), the tests and ``bench/call.py`` to measure
frame rate, freezes and capture -> receive latency.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

BLOCK = 16
COUNTER_BITS, TIME_BITS, CHECK_BITS = 32, 48, 16
BITS = COUNTER_BITS + TIME_BITS + CHECK_BITS
BLACK, WHITE = 16, 235

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


def stamp_height(width: int) -> int:
    """Rows of pixels a stamp takes at this frame width."""
    per_row = width // BLOCK
    return -(-BITS // per_row) * BLOCK if per_row else 0


def _check(counter: int, time48: int) -> int:
    raw = counter.to_bytes(4, "big") + time48.to_bytes(6, "big")
    return int.from_bytes(hashlib.blake2s(raw, digest_size=2).digest(), "big")


def _word(counter: int, sent_us: int) -> int:
    counter &= (1 << COUNTER_BITS) - 1
    time48 = sent_us & ((1 << TIME_BITS) - 1)
    return (counter << (TIME_BITS + CHECK_BITS)) | (time48 << CHECK_BITS) | _check(counter, time48)


def write(y: Plane, counter: int, sent_us: int) -> None:
    """Stamp a luma plane (H x W uint8) in place."""
    height, width = y.shape[:2]
    per_row = width // BLOCK
    if per_row < 4 or height < stamp_height(width):
        raise ValueError("The frame is too small to carry a stamp.")
    word = _word(counter, sent_us)
    bits = np.array([(word >> (BITS - 1 - i)) & 1 for i in range(BITS)], dtype=np.uint8)
    rows = -(-BITS // per_row)
    cells = np.full(rows * per_row, BLACK, dtype=np.uint8)
    cells[:BITS] = np.where(bits == 1, WHITE, BLACK)
    grid = cells.reshape(rows, per_row)
    y[: rows * BLOCK, : per_row * BLOCK] = np.kron(grid, np.ones((BLOCK, BLOCK), np.uint8))


def read(y: Plane, now: int | None = None) -> Stamp | None:
    """The stamp of a luma plane, or None when there is none (or it is damaged)."""
    height, width = y.shape[:2]
    per_row = width // BLOCK
    if per_row < 4 or height < stamp_height(width):
        return None
    rows = -(-BITS // per_row)
    area = y[: rows * BLOCK, : per_row * BLOCK].astype(np.float32)
    blocks = area.reshape(rows, BLOCK, per_row, BLOCK)[:, 4:12, :, 4:12].mean(axis=(1, 3))
    bits = (blocks.reshape(-1)[:BITS] > (BLACK + WHITE) / 2).astype(np.uint8)
    word = 0
    for b in bits:
        word = (word << 1) | int(b)
    check = word & ((1 << CHECK_BITS) - 1)
    time48 = (word >> CHECK_BITS) & ((1 << TIME_BITS) - 1)
    counter = word >> (TIME_BITS + CHECK_BITS)
    if check != _check(counter, time48):
        return None
    ref = now if now is not None else now_us()
    sent = ref - ((ref - time48) % (1 << TIME_BITS))  # the latest time with these low bits
    if ref - sent > (1 << (TIME_BITS - 1)):  # stamped "in the future" by a fast sender clock
        sent += 1 << TIME_BITS
    return Stamp(counter, sent)


def luma(frame: av.VideoFrame, rows: int | None = None) -> Plane:
    """The top ``rows`` (default: a stamp's height) of a frame's luma plane as an array (a
    yuv420p frame is read without conversion; any other format is converted to gray)."""
    rows = rows if rows is not None else stamp_height(frame.width)
    if frame.format.name in ("yuv420p", "yuvj420p", "nv12", "gray"):
        plane = frame.planes[0]
        data = np.frombuffer(memoryview(plane), dtype=np.uint8)
        return data.reshape(-1, plane.line_size)[: min(rows, frame.height), : frame.width]
    gray = frame.to_ndarray(format="gray")
    return np.asarray(gray[:rows], dtype=np.uint8)


def read_frame(frame: av.VideoFrame) -> Stamp | None:
    """The stamp of a decoded frame, or None."""
    return read(luma(frame))
