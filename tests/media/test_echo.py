"""Echo cancellation through the real WebRTC audio processing module, on real audio buffers:
the far side's voice goes into ``SpeakerPlayer.play`` (decoded 20 ms stereo frames, as the call
delivers them), the loudspeaker callback is driven 10 ms at a time, what it played goes through
a simulated room (delay, attenuation, a short FIR: direct path plus reflections) into the
microphone, and the microphone's 20 ms frames go through ``LocalMedia``'s outgoing audio track
as in a call. ``-s`` prints the figures."""

from __future__ import annotations

import asyncio
import fractions

import av
import numpy as np
import pytest

from media import echo
from media.echo import EchoCanceller, output_delay
from media.playback import SpeakerPlayer
from media.sources import LocalMedia

pytestmark = pytest.mark.skipif(not echo.AVAILABLE, reason="pywebrtc-audio is not installed")

RATE = 48_000
BLOCK = 480  # the loudspeaker's 10 ms callback
FRAME = 960  # 20 ms network and microphone frames


def speech_like(seconds: float, seed: int, f0: float, level: float = 0.25) -> np.ndarray:
    """Float samples that behave like a voice for an echo canceller: voiced syllables (a
    gliding fundamental with harmonics under two moving formant-like bumps), noise bursts
    (fricatives) and pauses, at about ``level`` RMS in the syllables."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    pos = 0
    while pos < n:
        kind = rng.choice(["voiced", "voiced", "voiced", "fricative", "pause"])
        length = int(RATE * rng.uniform(0.08, 0.3))
        end = min(n, pos + length)
        seg = t[pos:end] - t[pos]
        env = np.sin(np.pi * np.linspace(0, 1, end - pos)) ** 0.7
        if kind == "voiced":
            pitch = f0 * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(1, 3) * seg))
            phase = 2 * np.pi * np.cumsum(pitch) / RATE
            f1, f2 = rng.uniform(300, 900), rng.uniform(1000, 2600)
            wave = np.zeros(end - pos)
            for k in range(1, int(4000 / f0)):
                fk = k * f0
                gain = np.exp(-(((fk - f1) / 250) ** 2)) + 0.6 * np.exp(-(((fk - f2) / 400) ** 2))
                wave += (gain + 0.05) * np.sin(k * phase + rng.uniform(0, 6.28)) / k**0.5
            out[pos:end] = wave * env
        elif kind == "fricative":
            noise = rng.standard_normal(end - pos)
            noise = np.convolve(noise, [1, -0.9], mode="same")  # brighter than white
            out[pos:end] = 0.3 * noise * env
        pos = end
    active = np.abs(out) > 1e-6
    return out * level / np.sqrt(np.mean(out[active] ** 2))


def room(delay_ms: float, attenuation: float) -> np.ndarray:
    """An impulse response: direct path after ``delay_ms``, three reflections, a short tail."""
    rng = np.random.default_rng(7)
    d = int(delay_ms * RATE / 1000)
    h = np.zeros(d + int(0.03 * RATE))
    h[d] = 1.0
    for extra_ms, g in ((3.1, -0.45), (7.4, 0.3), (12.9, -0.2)):
        h[d + int(extra_ms * RATE / 1000)] += g
    tail = rng.standard_normal(len(h) - d - 24) * np.exp(-np.arange(len(h) - d - 24) / 300)
    h[d + 24 :] += 0.05 * tail
    return h * attenuation


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)


def network_frame(pcm: np.ndarray, pts: int) -> av.AudioFrame:
    """A decoded 20 ms frame as aiortc hands it over: s16 stereo, 48 kHz."""
    stereo = np.repeat(pcm[:, None], 2, axis=1).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
    frame.sample_rate, frame.pts, frame.time_base = RATE, pts, fractions.Fraction(1, RATE)
    return frame


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Microphone:
    """An audio source the test fills one 20 ms frame at a time (the room's output)."""

    def __init__(self) -> None:
        self.pending: list[av.AudioFrame] = []

    async def next_frame(self) -> av.AudioFrame:
        return self.pending.pop(0)

    def close(self) -> None:
        pass


def simulate(
    far: np.ndarray,
    near: np.ndarray,
    *,
    delay_ms: float,
    attenuation: float,
    headset: bool = False,
    auto_gain: bool = True,
    reference: bool = True,
    noise_dbfs: float = -70.0,
) -> tuple[np.ndarray, np.ndarray, EchoCanceller]:
    """Runs the call path for ``len(far)`` samples; returns (microphone, sent, canceller)."""
    clock = Clock()
    mic_source = Microphone()
    media = LocalMedia(None, mic_source)
    media.echo = EchoCanceller(clock=clock, auto_gain=auto_gain)
    media.set_headset(headset)
    player = SpeakerPlayer(RATE, 2)
    player.echo = media.echo if reference else None
    track = media.audio_track()
    assert track is not None
    far16 = to_int16(far)
    h = room(delay_ms, attenuation)
    played: list[np.ndarray] = []
    mics: list[np.ndarray] = []
    sent: list[np.ndarray] = []
    noise = np.random.default_rng(3).standard_normal(len(far)) * 10 ** (noise_dbfs / 20)
    loop = asyncio.new_event_loop()
    try:
        for start in range(0, len(far) - FRAME + 1, FRAME):
            player.play(network_frame(far16[start : start + FRAME], start))
            for half in (0, BLOCK):  # the loudspeaker plays two 10 ms blocks
                clock.now = (start + half) / RATE
                out = np.empty((BLOCK, 2), np.int16)
                player.callback(out, BLOCK, None, None)
                played.append(out[:, 0].astype(np.float64) / 32767)
            clock.now = (start + FRAME) / RATE  # the microphone frame is complete now
            speaker = np.concatenate(played[-2 * (len(h) // FRAME + 2) :])
            echo_now = np.convolve(speaker, h)[len(speaker) - FRAME : len(speaker)]
            mic = echo_now + near[start : start + FRAME] + noise[start : start + FRAME]
            mics.append(mic)
            frame = av.AudioFrame.from_ndarray(
                to_int16(mic).reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate, frame.pts = RATE, start
            frame.time_base = fractions.Fraction(1, RATE)
            mic_source.pending.append(frame)
            sent_frame = loop.run_until_complete(track.recv())
            sent.append(sent_frame.to_ndarray().reshape(-1).astype(np.float64) / 32767)
    finally:
        loop.close()
    return np.concatenate(mics), np.concatenate(sent), media.echo


def db(x: np.ndarray) -> float:
    return 10 * np.log10(float(np.mean(x * x)) + 1e-20)


def best_correlation(a: np.ndarray, b: np.ndarray, max_lag: int = 960) -> float:
    """The highest normalized correlation of ``a`` with ``b`` shifted by 0..max_lag samples."""
    best = 0.0
    for lag in range(0, max_lag, 8):
        x, y = a[lag:], b[: len(b) - lag]
        best = max(best, float(np.dot(x, y) / np.sqrt(np.dot(x, x) * np.dot(y, y) + 1e-20)))
    return best


@pytest.mark.parametrize(("delay_ms", "attenuation"), [(30, 0.5), (75, 0.3), (120, 0.7)])
def test_echo_is_cancelled_on_a_loudspeaker(delay_ms: float, attenuation: float) -> None:
    seconds = 10.0
    far = speech_like(seconds, seed=1, f0=120)
    mic, sent, canceller = simulate(far, np.zeros_like(far), delay_ms=delay_ms,
                                    attenuation=attenuation)  # fmt: skip
    tail = slice(len(sent) - 3 * RATE, len(sent))  # after convergence: the last 3 s
    erle = db(mic[tail]) - db(sent[tail])
    print(f"\nERLE {erle:.1f} dB (room delay {delay_ms} ms, attenuation {attenuation}; "
          f"echo at the microphone {db(mic[tail]):.1f} dBFS, sent {db(sent[tail]):.1f} dBFS; "
          f"{canceller.stats})")  # fmt: skip
    assert erle >= 20.0
    assert canceller.stats.chunks == len(sent) // BLOCK
    assert canceller.stats.reference_dropped == 0


@pytest.mark.parametrize("auto_gain", [False, True])
def test_double_talk_keeps_the_near_voice(auto_gain: bool) -> None:
    """The far side talks alone for 8 s (convergence), then both talk: the doctor's voice
    (nearer the microphone than the loudspeaker, so a little louder than the echo there) goes
    out at its own level (with automatic gain: lifted by at most the gain cap) and shape."""
    seconds = 12.0
    far = speech_like(seconds, seed=1, f0=120)
    near = speech_like(seconds, seed=2, f0=210, level=0.2)
    near[: 8 * RATE] = 0.0
    mic, sent, canceller = simulate(far, near, delay_ms=60, attenuation=0.3, auto_gain=auto_gain)
    talk = slice(9 * RATE, len(sent))
    near_db, echo_db, sent_db = db(near[talk]), db(mic[talk] - near[talk]), db(sent[talk])
    corr = best_correlation(sent[talk], near[talk])
    print(f"\ndouble talk (automatic gain {auto_gain}): near voice {near_db:.1f} dBFS, echo "
          f"{echo_db:.1f} dBFS, sent {sent_db:.1f} dBFS, correlation with the near voice "
          f"{corr:.2f}, gain {canceller.gain_db:.1f} dB")  # fmt: skip
    lifted = echo.AGC_MAX_GAIN_DB if auto_gain else 0.0
    assert near_db - 4.0 <= sent_db <= near_db + lifted + 4.0
    assert corr >= 0.75


def test_without_the_loudspeaker_reference_the_echo_goes_out() -> None:
    """The negative control: the same room with the render hook cut leaves the echo."""
    far = speech_like(5.0, seed=1, f0=120)
    mic, sent, _ = simulate(far, np.zeros_like(far), delay_ms=75, attenuation=0.3,
                            reference=False)  # fmt: skip
    tail = slice(len(sent) - 2 * RATE, len(sent))
    assert db(mic[tail]) - db(sent[tail]) < 10.0


def test_a_headset_turns_processing_off() -> None:
    far = speech_like(2.0, seed=1, f0=120)
    near = speech_like(2.0, seed=2, f0=210, level=0.1)
    mic, sent, canceller = simulate(far, near, delay_ms=40, attenuation=0.0, headset=True)
    assert np.allclose(sent, to_int16(mic).astype(np.float64) / 32767)
    assert canceller.stats.chunks == 0 and canceller.stats.bypassed > 0


def test_the_synthetic_tone_is_not_processed() -> None:
    assert LocalMedia.synthetic().echo is None


def test_frames_that_are_not_whole_10_ms_chunks_are_carried_over() -> None:
    canceller = EchoCanceller(clock=Clock())
    tone = to_int16(0.2 * np.sin(np.arange(1024 * 3) / 10)).reshape(1, -1)
    total = 0
    for i in range(3):  # 1024-sample frames at 44.1 kHz stereo, as a PulseAudio capture gives
        stereo = np.repeat(tone[:, i * 1024 : (i + 1) * 1024], 2, axis=1)
        frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate = 44_100
        out = canceller.process(frame)
        if out is not None:
            assert out.sample_rate == RATE and out.layout.name == "mono"
            assert out.samples % BLOCK == 0 and out.pts == total
            total += out.samples
    assert total == canceller.stats.chunks * BLOCK and total > 0


def test_output_delay_reads_portaudio_time_info() -> None:
    class Info:
        currentTime = 10.0
        outputBufferDacTime = 10.035

    assert output_delay(Info()) == pytest.approx(0.035)
    assert output_delay(None) == 0.0


def test_the_call_sessions_headset_option_switches_processing() -> None:
    from media.session import CallSession

    media = LocalMedia(None, Microphone())
    assert media.echo is not None and not media.headset_recommended
    call = CallSession("http://127.0.0.1:9", "token", "consult", media=media, headset=True)
    assert call.headset and not media.echo.enabled
    call.set_headset(False)
    assert media.echo.enabled and not call.headset_recommended
