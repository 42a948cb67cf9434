"""Opus for speech over lossy links: an encoder at a speech bitrate with in-band FEC, and a
decoder that conceals lost packets (FEC from the next packet, else PLC) instead of leaving a
hole. Both on libopus directly (:mod:`media.quality._native`), because PyAV's contexts give
neither live bitrate/loss settings nor ``decode_fec``.

aiortc 1.16 encodes Opus at a fixed 96 kbit/s stereo without FEC and decodes only what
arrives. Here: mono 48 kHz, 20 ms frames, ``SPEECH_BITRATE`` (28 kbit/s) with FEC on and a
packet-loss hint that follows the loss the far side reports (RTCP RR), so the encoder spends
bits on redundancy only when the link loses packets. The RTP format stays ``opus/48000/2``
(a mono Opus stream is valid there); the decoder always outputs 16-bit stereo like aiortc's.
"""

from __future__ import annotations

import contextlib
import ctypes
import fractions
import threading

import av
import numpy as np
from aiortc.codecs.base import Encoder
from aiortc.mediastreams import convert_timebase
from av.frame import Frame
from av.packet import Packet

from media.quality import _native as nat

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
SPEECH_BITRATE = 28_000
MIN_LOSS_HINT = 5  # percent: FEC always carries something, as libwebrtc does on lossy links
MAX_PACKET = 1500


class SpeechOpusEncoder(Encoder):
    """Mono Opus (VOIP) at a speech bitrate with in-band FEC; ``set_loss(pct)`` any time."""

    def __init__(self, bitrate: int = SPEECH_BITRATE, loss_pct: int = MIN_LOSS_HINT) -> None:
        lib = nat.opus()
        err = ctypes.c_int(0)
        self._enc = lib.opus_encoder_create(
            SAMPLE_RATE, 1, nat.OPUS_APPLICATION_VOIP, ctypes.byref(err)
        )
        if not self._enc or err.value != nat.OPUS_OK:
            raise nat.NativeCodecError(f"opus_encoder_create failed: {err.value}")
        self._lock = threading.Lock()
        self.bitrate = bitrate
        self.loss_pct = -1
        nat.opus_encoder_ctl(self._enc, nat.OPUS_SET_BITRATE_REQUEST, bitrate)
        nat.opus_encoder_ctl(self._enc, nat.OPUS_SET_INBAND_FEC_REQUEST, 1)
        self.set_loss(loss_pct)
        self._resampler = av.AudioResampler(
            format="s16", layout="mono", rate=SAMPLE_RATE, frame_size=FRAME_SAMPLES
        )
        self._out = (ctypes.c_uint8 * MAX_PACKET)()
        self._samples = 0  # RTP timestamp of the next packet

    def set_loss(self, pct: float) -> None:
        """The expected packet loss (percent): how much the encoder invests in FEC."""
        value = int(min(30, max(MIN_LOSS_HINT, round(pct))))
        with self._lock:
            if value != self.loss_pct:
                nat.opus_encoder_ctl(self._enc, nat.OPUS_SET_PACKET_LOSS_PERC_REQUEST, value)
                self.loss_pct = value

    def encode_pcm(self, pcm: np.ndarray) -> bytes:
        """One 20 ms mono s16 frame (960 samples) -> one Opus packet."""
        pcm = np.ascontiguousarray(pcm, dtype=np.int16).reshape(-1)
        assert pcm.size == FRAME_SAMPLES
        with self._lock:
            n = nat.opus().opus_encode(
                self._enc, pcm.ctypes.data_as(ctypes.c_void_p), FRAME_SAMPLES, self._out, MAX_PACKET
            )
        if n < 0:
            raise nat.NativeCodecError(f"opus_encode failed: {n}")
        return bytes(self._out[:n])

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        assert isinstance(frame, av.AudioFrame)
        payloads: list[bytes] = []
        first: int | None = None
        for chunk in self._resampler.resample(frame):
            if first is None:
                first = self._samples
            payloads.append(self.encode_pcm(chunk.to_ndarray()))
            self._samples += FRAME_SAMPLES
        if not payloads:
            return [], None  # type: ignore[return-value]  # aiortc's own contract
        # aiortc sends one RTP packet per payload with one timestamp: never more than one
        # 20 ms chunk per input frame here (the sources give 20 ms frames)
        return payloads[:1], first  # type: ignore[return-value]

    def pack(self, packet: Packet) -> tuple[list[bytes], int]:
        return [bytes(packet)], convert_timebase(
            packet.pts or 0, packet.time_base or TIME_BASE, TIME_BASE
        )

    def close(self) -> None:
        if self._enc:
            nat.opus().opus_encoder_destroy(self._enc)
            self._enc = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


class ConcealingOpusDecoder:
    """Opus decoder with the three ways to produce 20 ms of audio: ``decode(packet)``,
    ``recover(next_packet)`` (the lost packet from the FEC data in the one after it), and
    ``conceal()`` (PLC: extrapolated from what was heard). Output: s16 stereo 48 kHz frames."""

    def __init__(self) -> None:
        lib = nat.opus()
        err = ctypes.c_int(0)
        self._dec = lib.opus_decoder_create(SAMPLE_RATE, 2, ctypes.byref(err))
        if not self._dec or err.value != nat.OPUS_OK:
            raise nat.NativeCodecError(f"opus_decoder_create failed: {err.value}")
        self._pcm = np.zeros(FRAME_SAMPLES * 2 * 6, dtype=np.int16)  # up to 120 ms

    def _run(self, data: bytes | None, samples: int, fec: int) -> np.ndarray:
        n = nat.opus().opus_decode(
            self._dec,
            data,
            len(data) if data else 0,
            self._pcm.ctypes.data_as(ctypes.c_void_p),
            samples,
            fec,
        )
        if n < 0:
            raise nat.NativeCodecError(f"opus_decode failed: {n}")
        return self._pcm[: n * 2].copy()

    def decode(self, data: bytes) -> np.ndarray:
        return self._run(data, FRAME_SAMPLES * 6, 0)

    def recover(self, next_data: bytes, samples: int = FRAME_SAMPLES) -> np.ndarray:
        """The packet before ``next_data``, from its in-band FEC (PLC if it carries none)."""
        return self._run(next_data, samples, 1)

    def conceal(self, samples: int = FRAME_SAMPLES) -> np.ndarray:
        return self._run(None, samples, 0)

    @staticmethod
    def has_fec(data: bytes) -> bool:
        return bool(data) and nat.opus().opus_packet_has_lbrr(data, len(data)) == 1

    def close(self) -> None:
        if self._dec:
            nat.opus().opus_decoder_destroy(self._dec)
            self._dec = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def stereo_frame(pcm: np.ndarray, pts: int) -> av.AudioFrame:
    """Interleaved s16 stereo samples -> an ``av.AudioFrame`` like aiortc's decoder gives."""
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="stereo")
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = TIME_BASE
    return frame
