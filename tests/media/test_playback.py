"""The speaker's jitter buffer and conversion, driven by hand (a simulated device clock), and the
"no loudspeaker" path. Playing through a real PortAudio device is in
tests/e2e/test_call_playback.py."""

from __future__ import annotations

import fractions
from typing import Any

import av
import numpy as np
import pytest

from media import playback
from media.errors import NoSpeakerFound
from media.playback import JitterBuffer, SpeakerPlayer
from media.sources import audio_level

RATE = 48_000
BLOCK = 480  # 10 ms device blocks
PACKET = 960  # 20 ms network frames


def ramp(start: int, n: int, channels: int = 2) -> np.ndarray:
    """Samples numbered start..start+n (mod 2**15) so order and losses can be checked."""
    values = (np.arange(start, start + n) % 30000).astype(np.int16)
    return np.repeat(values[:, None], channels, axis=1)


def drive(buf: JitterBuffer, seconds: float, send_rate: float) -> list[np.ndarray]:
    """A sender at ``send_rate`` x real time pushing 20 ms packets; the device pulling 10 ms
    blocks at exactly real time. Returns what the device played."""
    played, sent, next_send = [], 0, 0.0
    for tick in range(int(seconds * 100)):
        now = tick / 100
        while next_send <= now:
            buf.push(ramp(sent, PACKET))
            sent += PACKET
            next_send += PACKET / RATE / send_rate
        out = np.empty((BLOCK, 2), np.int16)
        buf.pull(out)
        played.append(out)
    return played


def test_primes_to_the_target_then_plays_in_order():
    buf = JitterBuffer(RATE, 2, target_ms=80, max_ms=200)
    out = np.empty((BLOCK, 2), np.int16)
    buf.push(ramp(0, 3 * PACKET))  # 60 ms: below the 80 ms target
    assert buf.pull(out) == 0 and not out.any() and buf.priming
    buf.push(ramp(3 * PACKET, PACKET))  # 80 ms
    assert not buf.priming
    got = []
    for _ in range(8):
        assert buf.pull(out) == BLOCK
        got.append(out[:, 0].copy())
    assert np.array_equal(np.concatenate(got), ramp(0, 8 * BLOCK)[:, 0])
    assert buf.underflows == 0 and buf.level == 0


def test_underflow_plays_silence_counts_it_and_primes_again():
    buf = JitterBuffer(RATE, 2, target_ms=40, max_ms=200)
    buf.push(ramp(0, 2 * PACKET))  # 40 ms
    out = np.empty((BLOCK, 2), np.int16)
    for _ in range(4):
        assert buf.pull(out) == BLOCK
    assert buf.pull(out) == 0 and not out.any()
    assert buf.underflows == 1 and buf.ms(buf.underflow_frames) == 10
    buf.push(ramp(0, PACKET))  # 20 ms is not enough to start again: no second underflow
    assert buf.pull(out) == 0 and buf.underflows == 1
    buf.push(ramp(0, PACKET))
    assert buf.pull(out) == BLOCK


def test_a_partial_block_keeps_its_audio_and_pads_with_silence():
    buf = JitterBuffer(RATE, 1, target_ms=5, max_ms=100)
    buf.push(ramp(1, 300, channels=1))
    out = np.empty((BLOCK, 1), np.int16)
    assert buf.pull(out) == 300
    assert np.array_equal(out[:300, 0], ramp(1, 300, 1)[:, 0]) and not out[300:].any()
    assert buf.underflows == 1


def test_overflow_drops_the_oldest_down_to_the_target():
    buf = JitterBuffer(RATE, 2, target_ms=80, max_ms=200)
    for i in range(10):  # 200 ms: exactly full
        buf.push(ramp(i * PACKET, PACKET))
    assert buf.overflows == 0 and buf.ms(buf.level) == 200
    buf.push(ramp(10 * PACKET, PACKET))  # a burst: 220 ms would not fit
    assert buf.overflows == 1
    assert buf.ms(buf.level) == pytest.approx(80)
    assert buf.ms(buf.dropped) == pytest.approx(140)
    out = np.empty((buf.level, 2), np.int16)
    buf.pull(out)  # what is left is the newest audio, in order
    assert np.array_equal(out[:, 0], ramp(11 * PACKET - buf.target, buf.target)[:, 0])


def test_a_frame_larger_than_the_buffer_keeps_its_newest_part():
    buf = JitterBuffer(RATE, 2, target_ms=20, max_ms=50)
    buf.push(ramp(0, RATE))  # one second at once
    assert buf.level == buf.capacity
    out = np.empty((buf.capacity, 2), np.int16)
    buf.pull(out)
    assert np.array_equal(out[:, 0], ramp(RATE - buf.capacity, buf.capacity)[:, 0])


@pytest.mark.parametrize("drift", [1.01, 1.002])
def test_a_fast_sender_clock_stays_within_bounds(drift):
    buf = JitterBuffer(RATE, 2, target_ms=80, max_ms=200)
    played = drive(buf, 60, drift)
    assert buf.ms(buf.level) <= 200
    assert buf.underflows == 0
    # 1 % of 60 s = 600 ms too much; dropped a bit at a time, never more than that
    assert buf.ms(buf.dropped) <= 60_000 * (drift - 1) + 200
    assert buf.overflows <= 60 * (drift - 1) * 1000 / 30 + 2
    audio = np.concatenate(played)[:, 0]
    assert np.count_nonzero(audio) > 0.97 * len(audio)  # nearly all real audio, little silence


def test_a_slow_sender_clock_gives_rare_underflows():
    buf = JitterBuffer(RATE, 2, target_ms=80, max_ms=200)
    drive(buf, 60, 0.99)  # 600 ms short over a minute
    # each underflow re-primes 80 ms: about 600 / 80 of them, not one per block
    assert 1 <= buf.underflows <= 600 / 80 + 2
    assert buf.ms(buf.level) <= 200


def test_a_burst_after_a_stall_does_not_leave_the_call_delayed():
    buf = JitterBuffer(RATE, 2, target_ms=80, max_ms=300)
    drive(buf, 2, 1.0)
    buf.push(ramp(0, 8 * PACKET))  # a 160 ms burst after a stall (no underflow meanwhile)
    assert buf.ms(buf.level) > 200
    drive(buf, 5, 1.0)  # steady again
    assert buf.ms(buf.level) <= 80 + 30 + 20
    assert buf.overflows >= 1


def frame(pcm: np.ndarray, layout: str = "stereo", rate: int = RATE, pts: int = 0) -> av.AudioFrame:
    f = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout=layout)
    f.sample_rate, f.pts, f.time_base = rate, pts, fractions.Fraction(1, rate)
    return f


def tone(n: int, start: int = 0, hz: float = 440.0, level: float = 0.2) -> np.ndarray:
    t = np.arange(start, start + n) / RATE * 2 * np.pi * hz
    return (np.sin(t) * level * 32767).astype(np.int16)


def test_the_player_converts_what_aiortc_decodes_and_the_device_pulls_it():
    player = SpeakerPlayer(RATE, 2, target_ms=40)  # no device: driven by hand
    for i in range(5):
        mono = tone(PACKET, i * PACKET)
        player.play(frame(np.repeat(mono, 2), pts=i * PACKET))  # aiortc: interleaved stereo
    out = np.empty((BLOCK, 2), np.int16)
    player.callback(out, BLOCK, None, None)
    assert np.array_equal(out[:, 0], tone(BLOCK)) and np.array_equal(out[:, 1], tone(BLOCK))
    stats = player.stats
    assert stats.played_ms == 10 and stats.underflows == 0 and stats.device_ms == 10


def test_the_player_resamples_for_a_44k_mono_device_and_survives_a_format_change():
    player = SpeakerPlayer(44_100, 1, target_ms=40)
    for i in range(10):
        player.play(frame(np.repeat(tone(PACKET, i * PACKET), 2), pts=i * PACKET))
    assert player.buffer.ms(player.buffer.level) == pytest.approx(200, abs=10)
    # the next peer connection sends mono and starts its clock again
    player.play(frame(tone(PACKET), layout="mono", pts=0))
    assert player.buffer.ms(player.buffer.level) > 0
    out = np.empty((441, 1), np.int16)
    player.callback(out, 441, None, None)
    rms = float(np.sqrt(np.mean(out.astype(np.float64) ** 2)))
    assert rms == pytest.approx(0.2 * 32767 / np.sqrt(2), rel=0.1)  # the tone, resampled


def test_a_closed_player_ignores_frames():
    player = SpeakerPlayer()
    player.close()
    player.play(frame(np.repeat(tone(PACKET), 2)))
    assert player.buffer.level == 0 and not player.active


class NoDevices:
    """sounddevice as seen on a machine with no sound card."""

    class default:
        hostapi = 0
        device = (-1, -1)

    @staticmethod
    def query_devices(*_args: Any) -> list[dict[str, Any]]:
        return [{"name": "mic", "max_output_channels": 0, "hostapi": 0}]


def test_no_output_device_is_said_for_people(monkeypatch):
    monkeypatch.setattr(playback, "_sounddevice", lambda: NoDevices)
    with pytest.raises(NoSpeakerFound) as err:
        SpeakerPlayer.open()
    assert str(err.value) == (
        "No loudspeaker or headset was found; you will not hear the other side."
    )
    assert playback.list_speakers() == []


def test_audio_level():
    assert audio_level(frame(np.zeros(PACKET * 2, np.int16))) == 0.0
    level = audio_level(frame(np.repeat(tone(PACKET, level=0.5), 2)))
    assert level == pytest.approx(0.5 / np.sqrt(2), rel=0.02)
