"""ctypes bindings to the libvpx and libopus that PyAV ships (``av.libs/``), for what PyAV's
codec contexts cannot do: change a VP8 encoder's bitrate while it runs
(``vpx_codec_enc_config_set``), and decode Opus with packet-loss concealment and in-band FEC
(``opus_decode(..., decode_fec)``), plus an Opus encoder whose FEC and loss hint can be set.

Targets **PyAV 18.x wheels with libvpx v1.16 and libopus 1.6** (aiortc 1.16's dependency set).
The few ``vpx_codec_enc_cfg`` fields we touch are read at fixed offsets, checked at load time
against libvpx's VP8 defaults; ``tests/media/test_quality_native.py`` fails loudly if the
libraries or the layout change. Nothing here is thread-safe per object: one encoder/decoder
is used from one thread at a time.
"""

from __future__ import annotations

import ctypes
import glob
import os
from dataclasses import dataclass
from pathlib import Path

import av

# libvpx version prefix -> VPX_ENCODER_ABI_VERSION it was built with (vpx/vpx_encoder.h)
VPX_ENCODER_ABI = {"v1.16.": 39}

# vpx_codec_enc_cfg_t field offsets (bytes), stable since libvpx 1.4 (x86-64/aarch64 LP64)
CFG_SIZE = 2048  # generous: the struct is ~ 600 bytes on LP64
OFF = {
    "g_threads": 4,
    "g_w": 12,
    "g_h": 16,
    "g_timebase_num": 28,
    "g_timebase_den": 32,
    "g_error_resilient": 36,
    "g_pass": 40,
    "g_lag_in_frames": 44,
    "rc_dropframe_thresh": 48,
    "rc_resize_allowed": 52,
    "rc_end_usage": 72,
    "rc_target_bitrate": 112,
    "rc_min_quantizer": 116,
    "rc_max_quantizer": 120,
    "rc_undershoot_pct": 124,
    "rc_overshoot_pct": 128,
    "rc_buf_sz": 132,
    "rc_buf_initial_sz": 136,
    "rc_buf_optimal_sz": 140,
    "kf_mode": 160,
    "kf_min_dist": 164,
    "kf_max_dist": 168,
}
# libvpx's VP8 encoder defaults at those offsets (vp8_cx_iface.c): the layout check
VP8_DEFAULTS = {
    "g_w": 320,
    "g_h": 240,
    "g_timebase_num": 1,
    "g_timebase_den": 30,
    "rc_target_bitrate": 256,
    "rc_min_quantizer": 4,
    "rc_max_quantizer": 63,
    "rc_buf_sz": 6000,
    "rc_buf_initial_sz": 4000,
    "rc_buf_optimal_sz": 5000,
    "kf_mode": 1,
    "kf_max_dist": 128,
}
VPX_CBR = 1
VPX_KF_DISABLED = 0
VPX_IMG_FMT_I420 = 0x102
VPX_EFLAG_FORCE_KF = 1
VPX_FRAME_IS_KEY = 1
VPX_CODEC_CX_FRAME_PKT = 0
VPX_DL_REALTIME = 1
# vp8cx.h per-frame flags (temporal layering)
VP8_EFLAG_NO_UPD_LAST = 1 << 18
VP8_EFLAG_NO_UPD_ENTROPY = 1 << 20
VP8_EFLAG_NO_UPD_GF = 1 << 22
VP8_EFLAG_NO_UPD_ARF = 1 << 23
VP8E_SET_CPUUSED = 13
VP8E_SET_NOISE_SENSITIVITY = 15
VP8E_SET_STATIC_THRESHOLD = 17
VP8E_SET_MAX_INTRA_BITRATE_PCT = 26

OPUS_OK = 0
OPUS_APPLICATION_VOIP = 2048
OPUS_SET_BITRATE_REQUEST = 4002
OPUS_SET_INBAND_FEC_REQUEST = 4012
OPUS_SET_PACKET_LOSS_PERC_REQUEST = 4014


class NativeCodecError(RuntimeError):
    """libvpx/libopus missing, of an unknown version, or refusing a call."""


def _lib(stem: str) -> ctypes.CDLL:
    libdir = Path(av.__file__).resolve().parent.parent / "av.libs"
    found = sorted(glob.glob(str(libdir / f"{stem}-*.so*"))) or sorted(
        glob.glob(str(libdir / f"{stem}*.dylib"))
    )
    if not found:
        raise NativeCodecError(f"{stem} not found next to PyAV ({libdir})")
    return ctypes.CDLL(found[0], mode=os.RTLD_LOCAL if hasattr(os, "RTLD_LOCAL") else 0)


@dataclass
class _Vpx:
    lib: ctypes.CDLL
    iface: int
    abi: int
    version: str


_vpx: _Vpx | None = None
_opus: ctypes.CDLL | None = None


def vpx() -> _Vpx:
    """The loaded libvpx, its VP8 encoder interface and ABI version (checked once)."""
    global _vpx
    if _vpx is not None:
        return _vpx
    lib = _lib("libvpx")
    lib.vpx_codec_version_str.restype = ctypes.c_char_p
    version = lib.vpx_codec_version_str().decode()
    abi = next((v for prefix, v in VPX_ENCODER_ABI.items() if version.startswith(prefix)), None)
    if abi is None:
        raise NativeCodecError(f"libvpx {version} is not one this module was checked against")
    lib.vpx_codec_vp8_cx.restype = ctypes.c_void_p
    lib.vpx_codec_enc_config_default.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint]
    lib.vpx_codec_enc_init_ver.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_long,
        ctypes.c_int,
    ]
    lib.vpx_codec_enc_config_set.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.vpx_codec_encode.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int64,
        ctypes.c_ulong,
        ctypes.c_long,
        ctypes.c_ulong,
    ]
    lib.vpx_codec_get_cx_data.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.vpx_codec_get_cx_data.restype = ctypes.c_void_p
    lib.vpx_codec_destroy.argtypes = [ctypes.c_void_p]
    lib.vpx_img_wrap.argtypes = [
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
    ]
    lib.vpx_img_wrap.restype = ctypes.c_void_p
    lib.vpx_codec_error.argtypes = [ctypes.c_void_p]
    lib.vpx_codec_error.restype = ctypes.c_char_p
    iface = lib.vpx_codec_vp8_cx()
    cfg = VpxConfig.defaults(lib, iface)
    for name, want in VP8_DEFAULTS.items():
        if cfg.get(name) != want:
            raise NativeCodecError(
                f"libvpx {version}: vpx_codec_enc_cfg layout changed ({name}={cfg.get(name)})"
            )
    _vpx = _Vpx(lib, iface, abi, version)
    return _vpx


class VpxConfig:
    """A ``vpx_codec_enc_cfg_t`` in a byte buffer, fields by offset."""

    def __init__(self) -> None:
        self.buf = (ctypes.c_uint8 * CFG_SIZE)()

    @classmethod
    def defaults(cls, lib: ctypes.CDLL, iface: int) -> VpxConfig:
        cfg = cls()
        if lib.vpx_codec_enc_config_default(iface, cfg.buf, 0) != 0:
            raise NativeCodecError("vpx_codec_enc_config_default failed")
        return cfg

    def get(self, name: str) -> int:
        return ctypes.c_uint32.from_buffer(self.buf, OFF[name]).value

    def set(self, name: str, value: int) -> None:
        ctypes.c_uint32.from_buffer(self.buf, OFF[name]).value = value


def opus() -> ctypes.CDLL:
    """The loaded libopus with argument types declared."""
    global _opus
    if _opus is not None:
        return _opus
    lib = _lib("libopus")
    lib.opus_get_version_string.restype = ctypes.c_char_p
    version = lib.opus_get_version_string().decode()
    if not version.startswith("libopus 1."):
        raise NativeCodecError(f"{version} is not libopus 1.x")
    lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_void_p]
    lib.opus_decoder_create.restype = ctypes.c_void_p
    lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_decode.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int32,
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_int,
    ]
    lib.opus_encoder_create.argtypes = [
        ctypes.c_int32,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_void_p,
    ]
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_encode.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_void_p,
        ctypes.c_int32,
    ]
    lib.opus_packet_has_lbrr.argtypes = [ctypes.c_char_p, ctypes.c_int32]
    _opus = lib
    return lib


def opus_encoder_ctl(enc: int, request: int, value: int) -> None:
    """``opus_encoder_ctl(enc, request, (opus_int32)value)`` (variadic: one int argument)."""
    lib = opus()
    res = lib.opus_encoder_ctl(ctypes.c_void_p(enc), ctypes.c_int(request), ctypes.c_int32(value))
    if res != OPUS_OK:
        raise NativeCodecError(f"opus_encoder_ctl({request}) failed: {res}")
