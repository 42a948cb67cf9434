"""A VP8 encoder whose bitrate changes while it runs.

aiortc 1.16's ``Vp8Encoder`` (PyAV ``libvpx`` context) clamps the bitrate to >= 250 kbit/s and
rebuilds the whole encoder — a keyframe — whenever the target moves by more than 10 %, because
FFmpeg's libvpx wrapper reads the bitrate only when it opens. This encoder drives libvpx
directly (:mod:`media.quality._native`): a bitrate change is a ``vpx_codec_enc_config_set`` on
the same encoder (no keyframe); only a new frame size rebuilds it (a keyframe is unavoidable
then). Keyframes otherwise come only when asked (``force_keyframe``, i.e. a PLI/FIR).

Two temporal layers (as libwebrtc does for VP8 on lossy links): every other frame (TL1)
references only the last TL0 frame and updates no reference and no entropy context, so a
receiver that loses a TL1 frame simply skips it — only TL0 losses need a repair. The layer
(TID) and the TL0 picture index go in the VP8 payload descriptor (RFC 7741).

Output packets are RTP payloads with aiortc's VP8 payload descriptor, so any VP8 receiver
(stock aiortc, browsers) decodes them.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import random
import threading

import av
import numpy as np
from aiortc.codecs.base import Encoder
from aiortc.codecs.vpx import PACKET_MAX, VpxPayloadDescriptor
from aiortc.codecs.vpx import Vp8Encoder as _StockVp8
from aiortc.mediastreams import VIDEO_TIME_BASE, convert_timebase
from av.frame import Frame
from av.packet import Packet

from media.quality import _native as nat

VP8E_GET_LAST_QUANTIZER_64 = 20  # vp8cx.h: the last frame's quantizer, 0-63
MIN_BITRATE = 12_000  # the low-rate mode: 192x144 at 8 fps
MAX_BITRATE = 2_500_000
DEFAULT_BITRATE = 400_000


class LiveVp8Encoder(Encoder):
    """VP8 realtime CBR encoder; ``target_bitrate`` may be set at any time (any thread)."""

    def __init__(self, bitrate: int = DEFAULT_BITRATE) -> None:
        self._vpx = nat.vpx()
        self._ctx: ctypes.Array[ctypes.c_uint8] | None = None
        self._cfg: nat.VpxConfig | None = None
        self._size: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._target = self._clamp(bitrate)
        self._applied = 0
        self._pts = 0
        self.picture_id = random.randint(0, (1 << 15) - 1)
        self.rebuilds = 0  # encoder (re)creations: one per frame size
        self.reconfigs = 0  # live bitrate changes
        self.keyframes = 0
        self.last_was_keyframe = False
        self.last_quantizer: int | None = None  # 0-63, of the last frame encoded
        self.temporal_layers = 2
        self.last_tid = 0
        self.tl0picidx = random.randint(0, 255)
        self._layer_index = 0
        self._fresh = True  # a new encoder starts with a keyframe: TL0

    # -- bitrate ---------------------------------------------------------------------------

    @staticmethod
    def _clamp(bitrate: int) -> int:
        return max(MIN_BITRATE, min(int(bitrate), MAX_BITRATE))

    @property
    def target_bitrate(self) -> int:
        return self._target

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        with self._lock:
            self._target = self._clamp(bitrate)

    # -- encoding --------------------------------------------------------------------------

    def _open(self, width: int, height: int) -> None:
        self.close()
        v = self._vpx
        cfg = nat.VpxConfig.defaults(v.lib, v.iface)
        cfg.set("g_w", width)
        cfg.set("g_h", height)
        cfg.set("g_timebase_num", 1)
        cfg.set("g_timebase_den", 90_000)
        cfg.set("g_threads", _threads(width * height))
        cfg.set("g_lag_in_frames", 0)
        cfg.set("g_error_resilient", 0)
        cfg.set("rc_end_usage", nat.VPX_CBR)
        cfg.set("rc_dropframe_thresh", 0)
        cfg.set("rc_resize_allowed", 0)
        cfg.set("rc_target_bitrate", self._target // 1000)
        cfg.set("rc_min_quantizer", 2)
        cfg.set("rc_max_quantizer", 56)
        cfg.set("rc_undershoot_pct", 100)
        cfg.set("rc_overshoot_pct", 15)
        cfg.set("rc_buf_sz", 1000)
        cfg.set("rc_buf_initial_sz", 500)
        cfg.set("rc_buf_optimal_sz", 600)
        cfg.set("kf_mode", nat.VPX_KF_DISABLED)  # keyframes only when asked
        cfg.set("kf_max_dist", 100_000)
        ctx = (ctypes.c_uint8 * 256)()
        if v.lib.vpx_codec_enc_init_ver(ctx, v.iface, cfg.buf, 0, v.abi) != 0:
            raise nat.NativeCodecError("vpx_codec_enc_init failed")
        for ctrl, value in (
            (nat.VP8E_SET_CPUUSED, -6),
            (nat.VP8E_SET_NOISE_SENSITIVITY, 0),
            (nat.VP8E_SET_STATIC_THRESHOLD, 1),
            # keyframes at most 3x an average frame: they cross a thin link quickly
            (nat.VP8E_SET_MAX_INTRA_BITRATE_PCT, 300),
        ):
            if v.lib.vpx_codec_control_(ctx, ctypes.c_int(ctrl), ctypes.c_int(ctrl and value)):
                raise nat.NativeCodecError(f"vpx_codec_control({ctrl}) failed")
        self._ctx, self._cfg, self._size = ctx, cfg, (width, height)
        self._applied = self._target
        self._fresh = True
        self.rebuilds += 1

    def _apply_bitrate(self) -> None:
        with self._lock:
            target = self._target
        if self._cfg is None or target == self._applied:
            return
        self._cfg.set("rc_target_bitrate", max(1, target // 1000))
        if self._vpx.lib.vpx_codec_enc_config_set(self._ctx, self._cfg.buf) != 0:
            raise nat.NativeCodecError("vpx_codec_enc_config_set failed")
        self._applied = target
        self.reconfigs += 1

    def take_quantizer(self) -> int | None:
        """The last frame's quantizer (0-63) once: None if no frame came out since."""
        q, self.last_quantizer = self.last_quantizer, None
        return q

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        assert isinstance(frame, av.VideoFrame)
        data, timestamp = self.encode_raw(frame, force_keyframe)
        payloads = self._packetize(data) if data else []
        self.picture_id = (self.picture_id + 1) % (1 << 15)
        return payloads, timestamp

    def _packetize(self, data: bytes) -> list[bytes]:
        if self.temporal_layers < 2:
            return _StockVp8._packetize(data, self.picture_id)
        desc = VpxPayloadDescriptor(
            partition_start=1,
            partition_id=0,
            picture_id=self.picture_id,
            tl0picidx=self.tl0picidx,
            tid=(self.last_tid, 1),  # Y: TL1 depends on TL0 only
        )
        payloads = []
        for pos in range(0, len(data), PACKET_MAX - 8):
            payloads.append(bytes(desc) + data[pos : pos + PACKET_MAX - 8])
            desc.partition_start = 0
        return payloads

    def _layer_flags(self, force_keyframe: bool) -> int:
        """TL0/TL1 alternation; a keyframe restarts the pattern."""
        if self.temporal_layers < 2:
            self.last_tid = 0
            return 0
        if force_keyframe or self._fresh or self._layer_index % 2 == 0:
            self._fresh = False
            self._layer_index = 1
            self.last_tid = 0
            self.tl0picidx = (self.tl0picidx + 1) % 256
            return 0
        self._layer_index = 0
        self.last_tid = 1
        return (
            nat.VP8_EFLAG_NO_UPD_LAST
            | nat.VP8_EFLAG_NO_UPD_GF
            | nat.VP8_EFLAG_NO_UPD_ARF
            | nat.VP8_EFLAG_NO_UPD_ENTROPY
        )

    def encode_raw(self, frame: av.VideoFrame, force_keyframe: bool = False) -> tuple[bytes, int]:
        """One frame -> (VP8 bitstream, RTP timestamp at 90 kHz)."""
        width, height = frame.width & ~1, frame.height & ~1
        if (width, height) != (frame.width, frame.height) or frame.format.name != "yuv420p":
            frame = frame.reformat(width=width, height=height, format="yuv420p")
        if self._size != (width, height):
            self._open(width, height)
        else:
            self._apply_bitrate()
        planes = np.ascontiguousarray(frame.to_ndarray())  # Y, then U, then V (I420)
        v = self._vpx
        img = (ctypes.c_uint8 * 512)()
        if not v.lib.vpx_img_wrap(
            img, nat.VPX_IMG_FMT_I420, width, height, 1, planes.ctypes.data_as(ctypes.c_void_p)
        ):
            raise nat.NativeCodecError("vpx_img_wrap failed")
        timestamp = convert_timebase(
            frame.pts or 0, frame.time_base or VIDEO_TIME_BASE, VIDEO_TIME_BASE
        )
        pts = max(self._pts + 1, timestamp)
        self._pts = pts
        flags = self._layer_flags(force_keyframe)
        flags |= nat.VPX_EFLAG_FORCE_KF if force_keyframe else 0
        if v.lib.vpx_codec_encode(self._ctx, img, pts, 3000, flags, nat.VPX_DL_REALTIME) != 0:
            raise nat.NativeCodecError(
                "vpx_codec_encode failed: " + (v.lib.vpx_codec_error(self._ctx) or b"").decode()
            )
        out = b""
        key = False
        it = ctypes.c_void_p(0)
        while True:
            pkt = v.lib.vpx_codec_get_cx_data(self._ctx, ctypes.byref(it))
            if not pkt:
                break
            if ctypes.c_int.from_address(pkt).value != nat.VPX_CODEC_CX_FRAME_PKT:
                continue
            buf = ctypes.c_void_p.from_address(pkt + 8).value
            assert buf is not None
            size = ctypes.c_size_t.from_address(pkt + 16).value
            flags_out = ctypes.c_uint32.from_address(pkt + 40).value
            out += ctypes.string_at(buf, size)
            key = key or bool(flags_out & nat.VPX_FRAME_IS_KEY)
        self.last_was_keyframe = key
        self.keyframes += key
        if out:
            q = ctypes.c_int(-1)
            ctrl = ctypes.c_int(VP8E_GET_LAST_QUANTIZER_64)
            if v.lib.vpx_codec_control_(self._ctx, ctrl, ctypes.byref(q)) == 0 and q.value >= 0:
                self.last_quantizer = q.value
        if key and self.last_tid != 0:  # the encoder chose a keyframe: it is TL0
            self.last_tid = 0
            self._layer_index = 1
        return out, timestamp

    def pack(self, packet: Packet) -> tuple[list[bytes], int]:
        payloads = _StockVp8._packetize(bytes(packet), self.picture_id)
        timestamp = convert_timebase(
            packet.pts or 0, packet.time_base or VIDEO_TIME_BASE, VIDEO_TIME_BASE
        )
        self.picture_id = (self.picture_id + 1) % (1 << 15)
        return payloads, timestamp

    def close(self) -> None:
        if self._ctx is not None:
            self._vpx.lib.vpx_codec_destroy(self._ctx)
            self._ctx = None
            self._size = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown
            self.close()


def _threads(pixels: int) -> int:
    return 2 if pixels > 640 * 360 and multiprocessing.cpu_count() >= 3 else 1
