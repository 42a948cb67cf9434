"""Opus on a lossy link: the encoder carries in-band FEC at a speech bitrate, and the receive
side turns lost packets into FEC-recovered or PLC audio, never into silence or a stall."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

from media.quality.jitter import AudioConcealer
from media.quality.opus import (
    FRAME_SAMPLES,
    SPEECH_BITRATE,
    ConcealingOpusDecoder,
    SpeechOpusEncoder,
)


def speechlike(seconds: float) -> np.ndarray:
    """A voiced sound with moving formants: what Opus' speech modes (and LBRR) are made for."""
    t = np.arange(int(48_000 * seconds)) / 48_000
    f0 = 140 + 20 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / 48_000
    sig = sum(np.sin(k * phase) / k for k in range(1, 12)) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return (sig * 6000).astype(np.int16)


def rms(pcm: np.ndarray) -> float:
    return float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))


@pytest.fixture(scope="module")
def stream() -> list[bytes]:
    enc = SpeechOpusEncoder(loss_pct=10)
    pcm = speechlike(4.0)
    return [
        enc.encode_pcm(pcm[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES])
        for i in range(len(pcm) // FRAME_SAMPLES)
    ]


def test_encoder_is_at_a_speech_bitrate_with_fec(stream: list[bytes]) -> None:
    kbps = sum(map(len, stream)) * 8 / (len(stream) * 0.020) / 1000
    assert 18 <= kbps <= 36, kbps  # aiortc stock: 96 kbit/s
    assert SPEECH_BITRATE == 28_000
    with_fec = sum(ConcealingOpusDecoder.has_fec(p) for p in stream[5:])
    assert with_fec >= 0.5 * len(stream[5:])  # LBRR goes with voice activity, per frame


def test_encoder_takes_av_frames_and_a_live_loss_hint() -> None:
    enc = SpeechOpusEncoder()
    enc.set_loss(25)
    assert enc.loss_pct == 25
    frame = av.AudioFrame.from_ndarray(speechlike(0.02).reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate, frame.pts, frame.time_base = 48_000, 0, fractions.Fraction(1, 48_000)
    payloads, ts = enc.encode(frame)
    assert len(payloads) == 1 and ts == 0


def play(stream: list[bytes], lost: set[int]) -> tuple[list, AudioConcealer]:
    conc = AudioConcealer(ConcealingOpusDecoder())
    out = []
    for i, data in enumerate(stream):
        now = i * 0.02
        out += conc.tick(now)
        if i not in lost:
            out += conc.on_packet(1000 + i, 5000 + i * FRAME_SAMPLES, data, now)
    return out, conc


def test_lost_packets_are_recovered_by_fec_or_concealed_not_silent(stream: list[bytes]) -> None:
    rng = np.random.default_rng(3)
    lost = {i for i in range(5, len(stream) - 1) if rng.random() < 0.08}
    lost |= {60, 61, 62}  # a burst: PLC for the first two, FEC for the last
    out, conc = play(stream, lost)
    # one 20 ms frame out for every packet sent: no hole, no stall
    assert len(out) == len(stream)
    ts = [o.timestamp for o in out]
    assert ts == list(range(5000, 5000 + len(stream) * FRAME_SAMPLES, FRAME_SAMPLES))
    kinds = {o.timestamp: o.kind for o in out}
    for i in lost:
        kind = kinds[5000 + i * FRAME_SAMPLES]
        assert kind == ("fec" if i + 1 not in lost else "plc"), i
        pcm = out[i].pcm
        assert rms(pcm) > 300, (i, kind, rms(pcm))  # not silence
    assert conc.stats.recovered >= len(lost) - 4
    assert conc.stats.concealed == sum(1 for i in lost if i + 1 in lost)
    assert conc.stats.concealed_pct < 2.0


def test_fec_is_closer_to_the_original_than_plc(stream: list[bytes]) -> None:
    clean, _ = play(stream, set())
    fec, _ = play(stream, {100})
    plc_only = AudioConcealer(ConcealingOpusDecoder())
    plc = []
    for i, data in enumerate(stream):
        if i == 100:
            plc.append(plc_only._emit(plc_only.decoder.conceal(), "plc"))
            continue
        plc += [o for o in plc_only.on_packet(1000 + i, 5000 + i * 960, data, i * 0.02)]
    ref = clean[100].pcm.astype(float)
    err_fec = rms(fec[100].pcm - ref)
    err_plc = rms(plc[100].pcm - ref)
    assert fec[100].kind == "fec"
    assert err_fec < err_plc


def test_a_stalled_stream_is_concealed_briefly_then_quiet_and_resumes_at_once(
    stream: list[bytes],
) -> None:
    conc = AudioConcealer(ConcealingOpusDecoder(), max_conceal=0.12)
    out = []
    for i in range(50):
        out += conc.on_packet(i, i * 960, stream[i], i * 0.02)
    # the link goes dead for 2 s
    for step in range(1, 200):
        out += conc.tick(49 * 0.02 + step * 0.01)
    plc = [o for o in out if o.kind == "plc"]
    assert len(plc) == 6  # 120 ms of concealment, then nothing (not 2 s of made-up sound)
    # packets come back: played at once, no waiting for a buffer to refill
    back = conc.on_packet(150, 150 * 960, stream[150], 3.0)
    assert [o.kind for o in back] == ["decoded"]
    assert conc.stats.resyncs == 1


def test_late_packets_after_concealment_are_dropped(stream: list[bytes]) -> None:
    conc = AudioConcealer(ConcealingOpusDecoder())
    conc.on_packet(0, 0, stream[0], 0.0)
    assert [o.kind for o in conc.tick(0.3)]  # packet 1 is overdue: concealed
    assert conc.on_packet(1, 960, stream[1], 0.31) == []
    assert conc.stats.late == 1


def test_a_stall_of_our_own_loop_is_not_taken_for_loss(stream: list[bytes]) -> None:
    conc = AudioConcealer(ConcealingOpusDecoder())
    for i in range(10):
        conc.tick(i * 0.02)
        conc.on_packet(i, i * 960, stream[i], i * 0.02)
    # the loop is busy for 250 ms; packets 10..21 wait in the socket meanwhile
    assert conc.tick(0.18 + 0.25) == []
    out = []
    for i in range(10, 22):
        out += conc.on_packet(i, i * 960, stream[i], 0.18 + 0.25 + 0.001 * (i - 9))
    out += conc.tick(0.18 + 0.26)
    assert [o.kind for o in out] == ["decoded"] * 12
    assert conc.stats.concealed == 0
    # a real loss after the stall is still concealed on the following ticks
    t = 0.45
    got = []
    for step in range(30):
        got += conc.tick(t + step * 0.01)
    assert any(o.kind == "plc" for o in got)


def test_reordered_packets_are_played_in_order_not_concealed(stream: list[bytes]) -> None:
    """A jittery path swaps packets: each waits for the one before it (up to the hold), so
    nothing is concealed and nothing comes late; a real loss is still filled after the hold."""
    conc = AudioConcealer(ConcealingOpusDecoder())
    order = list(range(60))
    for i in range(5, 55, 7):  # swap neighbours every 7 packets
        order[i], order[i + 1] = order[i + 1], order[i]
    out = []
    for k, i in enumerate(order):
        now = k * 0.02 + 0.005
        out += conc.tick(k * 0.02)
        if i != 40:  # lost
            out += conc.on_packet(1000 + i, 5000 + i * FRAME_SAMPLES, stream[i], now)
    out += conc.tick(60 * 0.02)
    out += conc.tick(60 * 0.02 + 0.2)
    assert [o.timestamp for o in out] == [5000 + i * FRAME_SAMPLES for i in range(60)]
    assert conc.stats.late == 0
    assert [o.kind for o in out if o.kind != "decoded"] == ["fec"]  # only the lost one
    assert out[40].kind == "fec"
