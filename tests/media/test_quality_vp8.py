"""VP8 on libvpx: bitrate changes on the same encoder, without a keyframe."""

from __future__ import annotations

import fractions

import av
import numpy as np

from media.quality.vp8 import LiveVp8Encoder


def frames(n: int, width: int = 320, height: int = 240, first: int = 0):
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:height, 0:width]
    pattern = (((xx + yy) // 4) % 160 + 48).astype(np.uint8)
    noise = rng.integers(0, 24, (height, width), dtype=np.uint8)
    chroma = np.full((height // 2, width), 128, np.uint8)
    for i in range(first, first + n):
        y = np.roll(pattern, i * 4, axis=1) + np.roll(noise, i * 5, axis=0)
        f = av.VideoFrame.from_ndarray(np.concatenate([y, chroma]), format="yuv420p")
        f.pts, f.time_base = i * 3000, fractions.Fraction(1, 90_000)
        yield f


def encode(enc: LiveVp8Encoder, n: int, first: int, dec: av.CodecContext, **kw: int):
    sizes, keys = [], []
    for f in frames(n, first=first, **kw):
        data, _ts = enc.encode_raw(f)
        sizes.append(len(data))
        keys.append(enc.last_was_keyframe)
        assert len(dec.decode(av.Packet(data))) == 1  # decodable, in order
    return sum(sizes) * 8 / (n / 30), keys


def test_bitrate_changes_without_rebuilding_the_encoder_or_a_keyframe() -> None:
    enc = LiveVp8Encoder(600_000)
    dec = av.CodecContext.create("libvpx", "r")
    high, keys = encode(enc, 60, 0, dec)
    ctx_before = enc._ctx
    assert keys[0] and not any(keys[1:])
    enc.target_bitrate = 150_000  # -75 %: aiortc stock would rebuild (and send a keyframe)
    low, keys_low = encode(enc, 90, 60, dec)
    enc.target_bitrate = 450_000
    back, keys_back = encode(enc, 90, 150, dec)
    assert enc._ctx is ctx_before and enc.rebuilds == 1 and enc.reconfigs == 2
    assert not any(keys_low) and not any(keys_back) and enc.keyframes == 1
    assert low < 0.6 * high
    assert back > 1.5 * low


def test_the_bitrate_can_go_below_aiortcs_250_kbit_floor() -> None:
    enc = LiveVp8Encoder(100_000)
    assert enc.target_bitrate == 100_000
    rate, _ = encode(enc, 90, 0, av.CodecContext.create("libvpx", "r"))
    assert rate < 200_000


def test_keyframes_only_on_request_or_a_new_size() -> None:
    enc = LiveVp8Encoder(300_000)
    dec = av.CodecContext.create("libvpx", "r")
    encode(enc, 30, 0, dec)
    f = next(frames(1, first=30))
    enc.encode_raw(f, force_keyframe=True)
    assert enc.last_was_keyframe
    _, keys = encode(enc, 5, 31, dec)
    assert not any(keys)
    _, keys = encode(enc, 3, 40, av.CodecContext.create("libvpx", "r"), width=192, height=144)
    assert keys == [True, False, False] and enc.rebuilds == 2


def test_rtp_payloads_carry_the_vp8_descriptor() -> None:
    enc = LiveVp8Encoder(300_000)
    payloads, ts = enc.encode(next(frames(1, first=7)))
    assert ts == 7 * 3000 and payloads
    assert payloads[0][0] & 0x10  # S bit on the first packet of the frame


def test_upper_layer_frames_can_be_dropped_without_damaging_the_rest() -> None:
    enc = LiveVp8Encoder(400_000)
    encoded = []
    for f in frames(40):
        data, _ts = enc.encode_raw(f)
        encoded.append((enc.last_tid, data))
    assert [tid for tid, _ in encoded[:6]] == [0, 1, 0, 1, 0, 1]

    def decode(skip_tl1: set[int]) -> dict[int, bytes]:
        dec = av.CodecContext.create("libvpx", "r")
        out = {}
        for i, (_tid, data) in enumerate(encoded):
            if i in skip_tl1:
                continue
            (frame,) = dec.decode(av.Packet(data))
            out[i] = bytes(frame.planes[0])
        return out

    whole = decode(set())
    lossy = decode({i for i, (tid, _) in enumerate(encoded) if tid == 1 and i % 3 == 0})
    for i, pixels in lossy.items():
        assert pixels == whole[i], i  # bit-exact: nothing depended on the dropped frames


def test_payload_descriptor_carries_the_layer() -> None:
    from aiortc.codecs.vpx import VpxPayloadDescriptor

    enc = LiveVp8Encoder(300_000)
    seen = []
    for f in frames(4):
        payloads, _ = enc.encode(f)
        desc, _rest = VpxPayloadDescriptor.parse(payloads[0])
        assert desc.tid is not None
        seen.append((desc.tid[0], desc.tl0picidx))
    assert [t for t, _ in seen] == [0, 1, 0, 1]
    assert seen[0][1] == seen[1][1] and seen[2][1] == (seen[0][1] + 1) % 256


def test_the_quantizer_of_each_frame_is_reported_and_rises_as_the_rate_falls() -> None:
    """The controller chooses the size by it (libwebrtc's quality scaler): 0-63, once per
    frame encoded."""
    dec = av.CodecContext.create("libvpx", "r")
    qps = {}
    for bitrate in (600_000, 60_000):
        enc = LiveVp8Encoder(bitrate)
        seen = []
        for f in frames(45, width=640, height=480):
            data, _ts = enc.encode_raw(f)
            assert dec.decode(av.Packet(data))
            q = enc.take_quantizer()
            assert q is not None and 0 <= q <= 63
            assert enc.take_quantizer() is None  # once
            seen.append(q)
        qps[bitrate] = sum(seen[15:]) / len(seen[15:])
    assert qps[60_000] > 47 and qps[600_000] < qps[60_000] - 10, qps


def test_the_low_rate_mode_target_is_not_clamped_up() -> None:
    assert LiveVp8Encoder(12_000).target_bitrate == 12_000
