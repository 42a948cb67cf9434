"""The other side's voice reaches a loudspeaker: a clinic and a specialist call each other
through a real central process (two in-process call sessions on aiortc), and the specialist's
player plays the clinic's tone into a real PortAudio device — an ALSA PCM that writes what it
plays to a file, paced by a PulseAudio null sink (tests/support/sound.py). The file must hold
the 440 Hz tone, with few gaps."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
import pytest

from media.playback import SpeakerPlayer
from media.session import CallObserver, CallSession, CallState
from media.sources import LocalMedia
from tests.support import sound

pytestmark = pytest.mark.slow


class Ears(CallObserver):
    def __init__(self, player: SpeakerPlayer) -> None:
        self.player = player

    def on_remote_audio(self, frame: Any) -> None:
        self.player.play(frame)


def dominant_hz(mono: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(mono.astype(np.float64) * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / rate)[int(np.argmax(spectrum))])


def test_the_remote_tone_is_played_on_the_loudspeaker(world, tmp_path):
    why = sound.missing()
    if why:  # `make sysdeps` installs all of it: a missing part is a broken set-up, not a pass
        pytest.fail(f"{why}; run `make sysdeps`")
    patient = world.a.add_patient("王", "芳")
    consult = world.a.consult(patient["id"], "cardiology")["id"]
    world.a.sync_until_quiet()
    with sound.file_speaker(tmp_path / "sound") as speaker:
        player = SpeakerPlayer.open(speaker.device)
        try:
            asyncio.run(call_and_listen(world, consult, player))
        finally:
            player.close()
        stats = player.stats
        played = speaker.samples(player.channels)
    assert player.rate == 48_000
    # the last two seconds of what the device wrote: the tone, loud, without gaps
    tail = np.asarray(played)[-2 * 48_000 :, 0]
    assert len(tail) == 2 * 48_000, f"the device played only {len(played)} frames"
    assert dominant_hz(tail, 48_000) == pytest.approx(440, abs=5)
    rms = float(np.sqrt(np.mean(tail.astype(np.float64) ** 2)))
    assert rms > 0.1 * 32767 / np.sqrt(2) * 0.5, rms  # the tone is at 0.1 of full scale
    silent_blocks = sum(not block.any() for block in np.array_split(tail, 200))  # 10 ms blocks
    assert silent_blocks <= 20, f"{silent_blocks} silent 10 ms blocks"  # at most ~2 re-primes
    assert stats.underflows <= 3, stats
    # ~3.5 s of call; the test device (PulseAudio under a loaded machine) may itself stall for
    # a moment, and then the player rightly drops what piled up instead of lagging behind
    assert stats.played_ms > 1500, stats


async def call_and_listen(world: Any, consult: str, player: SpeakerPlayer) -> None:
    # PortAudio's ALSA path over the pulse plugin may take a moment before the device clock
    # runs; wait for it so what follows measures the call, not the device start
    deadline = time.monotonic() + 10
    while player.stats.device_ms < 300:
        assert time.monotonic() < deadline, f"the test loudspeaker never started: {player.stats}"
        await asyncio.sleep(0.05)
    url = world.central.url
    media = {"media": LocalMedia.synthetic(320, 240, 15)}
    clinic = CallSession(url, world.a.account.token, consult, **media)
    far = {"media": LocalMedia.synthetic(320, 240, 15), "observer": Ears(player)}
    specialist = CallSession(url, world.specialist.account.token, consult, **far)
    await specialist.start()
    await clinic.start()
    try:
        assert await specialist.wait_for(CallState.CONNECTED, timeout=30) == CallState.CONNECTED
        await asyncio.sleep(3.5)
    finally:
        await clinic.hangup()
        await specialist.hangup()
