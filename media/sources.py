"""Where the outgoing audio and video come from: a camera and microphone through PyAV, or a
synthetic source (stamped video, a tone) when there is none — and the per-call tracks.

A *source* lives as long as the workstation keeps the device open; a *track* lives for one
peer connection (aiortc stops a sender's track when its connection closes, and a call makes a
fresh connection after a link drop). :class:`LocalMedia` holds the two sources and the
microphone/camera switches and hands out fresh tracks that read from the sources:

* mute: the audio track sends silence (same timing, so the far side hears a steady line);
* camera off: the video track sends black frames (a few bytes each once encoded).

Devices (best effort, what PyAV/FFmpeg offers on each system):
Linux ``v4l2`` (``/dev/videoN``) and ``pulse`` or ``alsa``; Windows ``dshow``
(``video=<name>``, ``audio=<name>``); macOS ``avfoundation`` (``"0"``, ``":0"``).
"""

from __future__ import annotations

import asyncio
import fractions
import glob
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import av
import numpy as np
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media import echo, stamps
from media.errors import MediaDeviceError
from media.frames import LatestFrame

log = logging.getLogger(__name__)

VIDEO_CLOCK = 90_000
AUDIO_RATE = 48_000
AUDIO_PTIME = 0.020  # 20 ms audio frames


class VideoSource(Protocol):
    width: int
    height: int

    async def next_frame(self) -> av.VideoFrame: ...

    def close(self) -> None: ...


class AudioSource(Protocol):
    async def next_frame(self) -> av.AudioFrame: ...

    def close(self) -> None: ...


# -- synthetic -------------------------------------------------------------------------------


class SyntheticVideoSource:
    """Frames at ``fps`` with a moving pattern and a stamp (counter, send time) in the top
    rows (see :mod:`media.stamps`). The send time is taken as the frame leaves the source,
    i.e. just before encoding."""

    def __init__(self, width: int = 640, height: int = 480, fps: float = 30.0) -> None:
        if width < 64 or height < stamps.stamp_height(width) + 8 or width % 2 or height % 2:
            raise ValueError("The synthetic frame size is too small or odd.")
        self.width, self.height, self.fps = width, height, fps
        self.counter = 0
        self._start: float | None = None
        yy, xx = np.mgrid[0:height, 0:width]
        # a smooth diagonal gradient with a few soft stripes: moves every frame, yet cheap
        # enough to encode that the stamp keeps its share of the bitrate
        self._pattern = (((xx + yy) // 4) % 160 + 48).astype(np.uint8)
        self._chroma = np.full((height // 2, width), 128, dtype=np.uint8)

    async def next_frame(self) -> av.VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self.counter / self.fps
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -1.0:  # far behind (a suspended laptop): skip ahead instead of bursting
            self.counter = int((time.monotonic() - self._start) * self.fps)
        n = self.counter
        self.counter += 1
        y = np.roll(self._pattern, n * 4, axis=1)
        yuv = np.concatenate([y, self._chroma])
        stamps.write(yuv, n, stamps.now_us())
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = int(n * VIDEO_CLOCK / self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        return frame

    def close(self) -> None:
        pass


class SyntheticAudioSource:
    """A quiet 440 Hz tone, 48 kHz mono, in 20 ms frames, paced in real time."""

    def __init__(self, frequency: float = 440.0, level: float = 0.1) -> None:
        self.frequency, self.level = frequency, level
        self.samples = int(AUDIO_RATE * AUDIO_PTIME)
        self._n = 0
        self._start: float | None = None

    async def next_frame(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._n * AUDIO_PTIME
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -1.0:
            self._n = int((time.monotonic() - self._start) / AUDIO_PTIME)
        first = self._n * self.samples
        self._n += 1
        t = (np.arange(first, first + self.samples) / AUDIO_RATE) * 2 * math.pi * self.frequency
        pcm = (np.sin(t) * self.level * 32767).astype(np.int16).reshape(1, -1)
        return _audio_frame(pcm, first)

    def close(self) -> None:
        pass


def _audio_frame(pcm: np.ndarray, pts: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
    frame.sample_rate = AUDIO_RATE
    frame.pts = pts
    frame.time_base = fractions.Fraction(1, AUDIO_RATE)
    return frame


# -- devices ---------------------------------------------------------------------------------

SYNTHETIC = "synthetic"  # as a camera or microphone name: the test picture or the tone


def audio_level(frame: av.AudioFrame) -> float:
    """The frame's loudness as RMS relative to full scale (0.0 silence .. 1.0), any format."""
    pcm = frame.to_ndarray()
    if pcm.size == 0:
        return 0.0
    if pcm.dtype.kind == "f":
        samples = pcm.astype(np.float64)
    else:
        samples = pcm.astype(np.float64) / float(2 ** (8 * pcm.dtype.itemsize - 1))
    return float(min(1.0, math.sqrt(float(np.mean(samples * samples)))))


@dataclass(frozen=True)
class Device:
    """A camera or microphone: ``name`` is what :func:`open_camera` / :func:`open_microphone`
    take, ``label`` is for people."""

    name: str
    label: str


def list_cameras() -> list[Device]:
    """Cameras found without opening them (best effort; may be empty where one exists)."""
    if sys.platform.startswith("linux"):
        out = []
        for path in sorted(glob.glob("/dev/video*")):
            label_file = Path("/sys/class/video4linux") / Path(path).name / "name"
            try:
                label = label_file.read_text(encoding="utf-8").strip()
            except OSError:
                label = path
            out.append(Device(path, label))
        return out
    if sys.platform == "darwin":
        return [Device("0", "Default camera")]
    return []  # Windows: DirectShow names are entered in settings ("Integrated Camera")


def list_microphones() -> list[Device]:
    if sys.platform.startswith("linux"):
        if os.environ.get("PULSE_SERVER") or glob.glob("/run/user/*/pulse/native"):
            return [Device("pulse:default", "Default (PulseAudio)")]
        try:
            cards = Path("/proc/asound/cards").read_text(encoding="utf-8")
        except OSError:
            return []
        return [] if "no soundcards" in cards else [Device("alsa:default", "Default (ALSA)")]
    if sys.platform == "darwin":
        return [Device(":0", "Default microphone")]
    return []


def _player(name: str, fmt: str, options: dict[str, str]) -> MediaPlayer:
    try:
        return MediaPlayer(name, format=fmt, options=options)
    except (av.FFmpegError, OSError, ValueError) as exc:
        log.warning("device open failed: %s", type(exc).__name__)
        raise MediaDeviceError(
            "The camera or microphone could not be opened; check that it is connected and "
            "not used by another program."
        ) from None


class _PlayerSource:
    """Frames of one track of an aiortc MediaPlayer (a PyAV capture in a thread)."""

    def __init__(self, player: MediaPlayer, track: MediaStreamTrack, width: int, height: int):
        self._player, self._track = player, track
        self.width, self.height = width, height

    async def next_frame(self) -> av.VideoFrame:
        return await self._track.recv()  # type: ignore[return-value]

    def close(self) -> None:
        self._track.stop()


def open_camera(name: str, width: int = 640, height: int = 480, fps: int = 30) -> VideoSource:
    """A camera by :class:`Device` name (Linux ``/dev/video0``, Windows ``video=Name``,
    macOS ``0``)."""
    size = {"video_size": f"{width}x{height}", "framerate": str(fps)}
    if sys.platform.startswith("linux"):
        player = _player(name, "v4l2", size)
    elif sys.platform == "darwin":
        player = _player(f"{name}:none", "avfoundation", size)
    else:
        player = _player(name if name.startswith("video=") else f"video={name}", "dshow", size)
    if player.video is None:
        raise MediaDeviceError("The camera gives no video.")
    return _PlayerSource(player, player.video, width, height)


def open_microphone(name: str) -> AudioSource:
    """A microphone by :class:`Device` name (``pulse:default``, ``alsa:hw:0``,
    ``audio=Name`` on Windows, ``:0`` on macOS)."""
    if name.startswith("pulse:"):
        player = _player(name.removeprefix("pulse:"), "pulse", {})
    elif name.startswith("alsa:"):
        player = _player(name.removeprefix("alsa:"), "alsa", {})
    elif sys.platform == "darwin":
        player = _player(name, "avfoundation", {})
    else:
        player = _player(name if name.startswith("audio=") else f"audio={name}", "dshow", {})
    if player.audio is None:
        raise MediaDeviceError("The microphone gives no sound.")
    return _PlayerSource(player, player.audio, 0, 0)  # type: ignore[return-value]


# -- the per-call tracks ---------------------------------------------------------------------


class OutgoingVideoTrack(MediaStreamTrack):
    """One call's video: frames of the source, black while the camera is off."""

    kind = "video"

    def __init__(self, media: LocalMedia) -> None:
        super().__init__()
        self._media = media
        self._black: av.VideoFrame | None = None

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live" or self._media.video is None:
            raise MediaStreamError
        frame = await self._media.video.next_frame()
        if not self._media.camera_on:
            if self._black is None or self._black.width != frame.width:
                self._black = _black_frame(frame.width, frame.height)
            black = self._black
            black.pts, black.time_base = frame.pts, frame.time_base
            return black
        self._media.self_view.put(frame)
        return frame


class OutgoingAudioTrack(MediaStreamTrack):
    """One call's audio: the microphone (or tone), silence while muted."""

    kind = "audio"

    def __init__(self, media: LocalMedia) -> None:
        super().__init__()
        self._media = media

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live" or self._media.audio is None:
            raise MediaStreamError
        frame = await self._media.audio.next_frame()
        canceller = self._media.echo
        if canceller is not None:  # the echo removed; None until 10 ms are together
            while (clean := canceller.process(frame)) is None:
                frame = await self._media.audio.next_frame()
            frame = clean
        if self._media.muted:
            silent = np.zeros((1, frame.samples * len(frame.layout.channels)), dtype=np.int16)
            quiet = av.AudioFrame.from_ndarray(
                silent, format="s16", layout="mono" if len(frame.layout.channels) == 1 else "stereo"
            )
            quiet.sample_rate, quiet.pts, quiet.time_base = (
                frame.sample_rate,
                frame.pts,
                frame.time_base,
            )
            return quiet
        return frame


def _black_frame(width: int, height: int) -> av.VideoFrame:
    yuv = np.concatenate(
        [np.full((height, width), 16, np.uint8), np.full((height // 2, width), 128, np.uint8)]
    )
    return av.VideoFrame.from_ndarray(yuv, format="yuv420p")


# Echo: aiortc has none; media/echo.py cancels it (the microphone through the WebRTC audio
# processing module) where its bindings exist. Without them a headset is the only remedy.
HEADSET_RECOMMENDED = not echo.AVAILABLE
HEADSET_ADVICE = (
    "Use a headset for the call: this program does not cancel echo, so sound from the "
    "loudspeakers would reach the other side through the microphone."
)


class LocalMedia:
    """This workstation's outgoing media: the sources plus mute and camera switches.

    ``self_view`` receives every outgoing frame while the camera is on (for the small self
    view; latest frame wins)."""

    def __init__(self, video: VideoSource | None, audio: AudioSource | None) -> None:
        self.video = video
        self.audio = audio
        self.muted = False
        self.camera_on = video is not None
        self.self_view: LatestFrame[av.VideoFrame] = LatestFrame()
        self.headset_recommended = HEADSET_RECOMMENDED
        self.headset_advice = HEADSET_ADVICE if HEADSET_RECOMMENDED else ""
        # the microphone's echo canceller, fed by the loudspeaker (playback.SpeakerPlayer.echo);
        # none for the synthetic tone (no room between it and a loudspeaker) or without the module
        real_mic = audio is not None and not isinstance(audio, SyntheticAudioSource)
        self.echo: echo.EchoCanceller | None = (
            echo.EchoCanceller() if real_mic and echo.AVAILABLE else None
        )

    def set_headset(self, headset: bool) -> None:
        """A headset has no acoustic echo: the microphone then goes out unprocessed."""
        if self.echo is not None:
            self.echo.enabled = not headset
            self.echo.reset()

    @classmethod
    def synthetic(cls, width: int = 640, height: int = 480, fps: float = 30.0) -> LocalMedia:
        return cls(SyntheticVideoSource(width, height, fps), SyntheticAudioSource())

    @classmethod
    def open(
        cls,
        camera: str | None = None,
        microphone: str | None = None,
        *,
        synthetic_fallback: bool = True,
        width: int = 640,
        height: int = 480,
    ) -> LocalMedia:
        """The chosen (or first found) camera and microphone; a synthetic source for whichever
        is missing when ``synthetic_fallback`` (else none: a call can be audio-only or
        receive-only). :data:`SYNTHETIC` as a name chooses the synthetic source."""
        cam = camera or next((d.name for d in list_cameras()), None)
        mic = microphone or next((d.name for d in list_microphones()), None)
        video: VideoSource | None = None
        audio: AudioSource | None = None
        if cam == SYNTHETIC:
            cam, video = None, SyntheticVideoSource(width, height)
        if mic == SYNTHETIC:
            mic, audio = None, SyntheticAudioSource()
        if cam:
            try:
                video = open_camera(cam, width, height)
            except MediaDeviceError:
                if camera or not synthetic_fallback:
                    raise
        if mic:
            try:
                audio = open_microphone(mic)
            except MediaDeviceError:
                if microphone or not synthetic_fallback:
                    raise
        if synthetic_fallback:
            video = video or SyntheticVideoSource(width, height)
            audio = audio or SyntheticAudioSource()
        return cls(video, audio)

    def video_track(self) -> OutgoingVideoTrack | None:
        return OutgoingVideoTrack(self) if self.video is not None else None

    def audio_track(self) -> OutgoingAudioTrack | None:
        return OutgoingAudioTrack(self) if self.audio is not None else None

    def close(self) -> None:
        for source in (self.video, self.audio):
            if source is not None:
                source.close()
