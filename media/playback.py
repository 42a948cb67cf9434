"""Playing the other side's voice: decoded remote audio (``av.AudioFrame``) to a loudspeaker or
headset through PortAudio (``sounddevice``), with a small jitter buffer in between.

Threads: :meth:`SpeakerPlayer.play` runs on the event loop (the call's observer): it converts
the frame with PyAV's ``AudioResampler`` to the device's rate and channels (a few tens of
microseconds for a 20 ms frame) and pushes the samples into the :class:`JitterBuffer`.
PortAudio calls the player's callback on its own thread every :data:`BLOCK_MS`; the callback
only copies samples out of the buffer under a lock, and hands the same block to the
microphone's echo canceller (``echo``, :mod:`media.echo`) as its far-end reference. Nothing
here touches Qt.

The jitter buffer (all sizes in frames of the device rate):

* it starts playing once ``target_ms`` of audio is queued (priming: silence until then);
* **underflow** — the device wants more than is queued: the rest of the block is silence, the
  event is counted, and the buffer primes again to ``target_ms`` (one gap instead of many);
* **overflow** — more than ``max_ms`` queued (a burst after a stall, or a sender whose clock is
  faster than the sound card's): the oldest samples are dropped down to ``target_ms``;
* **latency trim** — if the queue never fell below ``target_ms + TRIM_SLACK_MS`` during a whole
  :data:`TRIM_WINDOW_S`, the excess (old samples) is dropped, so a burst does not leave the call
  permanently delayed.

No output device (a headless machine, CI, a PC without a sound card, PortAudio missing):
:meth:`SpeakerPlayer.open` raises :class:`~media.errors.NoSpeakerFound` with a sentence for the
user; the call works without it. On Linux PortAudio is the ``libportaudio2`` package (the wheels
bundle it on Windows and macOS).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import av
import numpy as np

from media.echo import EchoCanceller, output_delay
from media.errors import MediaDeviceError, NoSpeakerFound
from media.sources import Device

log = logging.getLogger(__name__)

PREFERRED_RATE = 48_000  # aiortc's Opus decoder output: no resampling when the device takes it
BLOCK_MS = 10  # PortAudio callback period
TARGET_MS = 80.0
MAX_MS = 200.0
TRIM_WINDOW_S = 2.0
TRIM_SLACK_MS = 30.0
# ALSA lists every plugin of a card; these are never a plain loudspeaker or headset.
_NOT_SPEAKERS = ("surround", "iec958", "spdif", "dmix", "dsnoop", "upmix", "vdownmix", "lavrate",
                 "samplerate", "speexrate", "a52", "oss")  # fmt: skip


@dataclass(frozen=True)
class PlaybackStats:
    """What the buffer did so far (milliseconds at the device rate)."""

    played_ms: float  # audio handed to the device (not counting silence)
    level_ms: float  # queued right now
    underflows: int  # times the device wanted more than was queued
    underflow_ms: float  # silence played because of them
    overflows: int  # times the oldest audio was dropped (overflow or latency trim)
    dropped_ms: float
    device_underflows: int  # PortAudio's own report (the callback came too late)
    device_ms: float  # what the device asked for since it started (its clock)


class JitterBuffer:
    """A bounded FIFO of int16 samples shaped (frames, channels), safe between one pushing
    thread and one pulling thread."""

    def __init__(
        self,
        rate: int,
        channels: int,
        target_ms: float = TARGET_MS,
        max_ms: float = MAX_MS,
        trim_window_s: float = TRIM_WINDOW_S,
        trim_slack_ms: float = TRIM_SLACK_MS,
    ) -> None:
        if not 0 < target_ms < max_ms:
            raise ValueError("The jitter buffer needs 0 < target < maximum.")
        self.rate, self.channels = rate, channels
        self.target = max(1, int(rate * target_ms / 1000))
        self.capacity = max(self.target + 1, int(rate * max_ms / 1000))
        self._trim_window = int(rate * trim_window_s)
        self._trim_slack = int(rate * trim_slack_ms / 1000)
        self._buf = np.zeros((self.capacity, channels), dtype=np.int16)
        self._lock = threading.Lock()
        self._read = 0
        self._level = 0
        self._priming = True
        self._window_pulled = 0
        self._window_min: int | None = None
        self.played = 0
        self.underflows = 0
        self.underflow_frames = 0
        self.overflows = 0
        self.dropped = 0

    @property
    def level(self) -> int:
        return self._level

    @property
    def priming(self) -> bool:
        return self._priming

    def ms(self, frames: int) -> float:
        return 1000.0 * frames / self.rate

    def push(self, pcm: np.ndarray) -> None:
        """Queue ``pcm`` (int16, (frames, channels)); drops the oldest on overflow."""
        n = len(pcm)
        if n == 0:
            return
        with self._lock:
            if n > self.capacity:  # one huge frame: only its newest part can fit
                self._drop(n - self.capacity, counted_as_overflow=False)
                self.dropped += n - self.capacity
                pcm = pcm[-self.capacity :]
                n = self.capacity
            if self._level + n > self.capacity:
                self._drop(min(self._level, self._level + n - self.target))
            start = (self._read + self._level) % self.capacity
            first = min(n, self.capacity - start)
            self._buf[start : start + first] = pcm[:first]
            if first < n:
                self._buf[: n - first] = pcm[first:]
            self._level += n
            if self._priming and self._level >= self.target:
                self._priming = False
                self._window_pulled, self._window_min = 0, None

    def pull(self, out: np.ndarray) -> int:
        """Fill ``out`` (int16, (frames, channels)) with the oldest queued samples, silence for
        the rest; returns how many frames were real audio."""
        n = len(out)
        with self._lock:
            if self._priming:
                out.fill(0)
                return 0
            take = min(n, self._level)
            first = min(take, self.capacity - self._read)
            out[:first] = self._buf[self._read : self._read + first]
            if first < take:
                out[first:take] = self._buf[: take - first]
            self._read = (self._read + take) % self.capacity
            self._level -= take
            self.played += take
            if take < n:
                out[take:] = 0
                self.underflows += 1
                self.underflow_frames += n - take
                self._priming = True
                return take
            self._watch_latency(n)
            return take

    def _watch_latency(self, pulled: int) -> None:
        low = self._level if self._window_min is None else min(self._window_min, self._level)
        self._window_min = low
        self._window_pulled += pulled
        if self._window_pulled < self._trim_window:
            return
        if low > self.target + self._trim_slack:
            self._drop(low - self.target)
        self._window_pulled, self._window_min = 0, None

    def _drop(self, frames: int, counted_as_overflow: bool = True) -> None:
        frames = min(frames, self._level)
        if frames <= 0:
            return
        self._read = (self._read + frames) % self.capacity
        self._level -= frames
        if counted_as_overflow:
            self.overflows += 1
            self.dropped += frames

    def clear(self) -> None:
        with self._lock:
            self._read = self._level = 0
            self._priming = True


def _sounddevice() -> Any:
    """The ``sounddevice`` module, or NoSpeakerFound when PortAudio is not installed."""
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: "PortAudio library not found"
        log.info("no PortAudio: %s", exc)
        raise _no_speaker() from None
    return sounddevice


def _no_speaker() -> NoSpeakerFound:
    return NoSpeakerFound("No loudspeaker or headset was found; you will not hear the other side.")


def _is_speaker(info: dict[str, Any]) -> bool:
    name = str(info.get("name", "")).lower()
    return int(info.get("max_output_channels", 0)) > 0 and not name.startswith(_NOT_SPEAKERS)


def list_speakers() -> list[Device]:
    """Loudspeakers and headsets PortAudio can see (empty when there is none or no PortAudio).
    The default host API's devices come first; a name appears once."""
    try:
        sd = _sounddevice()
        devices = list(sd.query_devices())
        default_api = int(sd.default.hostapi)
    except (NoSpeakerFound, Exception) as exc:  # PortAudio errors are plain Exceptions
        log.info("listing loudspeakers failed: %s", type(exc).__name__)
        return []
    ordered = sorted(devices, key=lambda d: int(d.get("hostapi", 0)) != default_api)
    out: list[Device] = []
    for info in ordered:
        name = str(info["name"])
        if _is_speaker(info) and all(d.name != name for d in out):
            out.append(Device(name, name))
    return out


def _find_output(sd: Any, name: str | None) -> int:
    """The device index for ``name`` (None/empty: the system default); NoSpeakerFound when
    there is no output device at all. A named device that is gone falls back to the default."""
    devices = list(sd.query_devices())
    outputs = [i for i, d in enumerate(devices) if int(d["max_output_channels"]) > 0]
    if not outputs:
        raise _no_speaker()
    if name:
        default_api = int(sd.default.hostapi)
        matches = [i for i in outputs if str(devices[i]["name"]) == name]
        matches.sort(key=lambda i: int(devices[i]["hostapi"]) != default_api)
        if matches:
            return matches[0]
        log.warning("the chosen loudspeaker is not connected; using the default one")
    default = sd.default.device[1]
    index = int(default) if default is not None else -1
    if index in outputs:
        return index
    speakers = [i for i in outputs if _is_speaker(devices[i])]
    return (speakers or outputs)[0]


class SpeakerPlayer:
    """Remote audio to one output device. Build with :meth:`open`; call :meth:`play` with each
    decoded frame (on the event loop); :meth:`close` when the call ends.

    Constructed directly (``stream=None``), it has no device: the buffer and conversion work
    and :meth:`callback` can be driven by hand (tests)."""

    def __init__(
        self,
        rate: int = PREFERRED_RATE,
        channels: int = 2,
        *,
        target_ms: float = TARGET_MS,
        max_ms: float = MAX_MS,
        device_name: str = "",
    ) -> None:
        self.rate, self.channels = rate, channels
        self.device_name = device_name
        self.buffer = JitterBuffer(rate, channels, target_ms, max_ms)
        self.device_underflows = 0
        self.device_frames = 0
        self.frames_in = 0
        self._resampler: av.AudioResampler | None = None
        self._layout = "stereo" if channels >= 2 else "mono"
        self._stream: Any = None
        self._closed = False
        # the microphone's echo canceller: fed with exactly what the device plays (the far end)
        self.echo: EchoCanceller | None = None

    @classmethod
    def open(
        cls,
        device: str | None = None,
        *,
        target_ms: float = TARGET_MS,
        max_ms: float = MAX_MS,
        latency: str | float = "low",
    ) -> SpeakerPlayer:
        """Open ``device`` (a name from :func:`list_speakers`; None: the system default) and
        start it. Raises NoSpeakerFound when there is no output device, MediaDeviceError when
        it cannot be opened. Blocks briefly: call it off the GUI thread."""
        sd = _sounddevice()
        try:
            index = _find_output(sd, device)
            info = sd.query_devices(index)
            channels = 2 if int(info["max_output_channels"]) >= 2 else 1
            rate = PREFERRED_RATE
            try:
                sd.check_output_settings(index, channels=channels, dtype="int16", samplerate=rate)
            except Exception:
                rate = int(info["default_samplerate"])
        except NoSpeakerFound:
            raise
        except Exception as exc:
            log.warning("querying the loudspeaker failed: %s", type(exc).__name__)
            raise _no_speaker() from None
        player = cls(rate, channels, target_ms=target_ms, max_ms=max_ms,
                     device_name=str(info["name"]))  # fmt: skip
        try:
            stream = sd.OutputStream(
                device=index,
                samplerate=rate,
                channels=channels,
                dtype="int16",
                blocksize=rate * BLOCK_MS // 1000,
                latency=latency,
                callback=player.callback,
            )
            stream.start()
        except Exception as exc:
            log.warning("opening the loudspeaker failed: %s", exc)
            raise MediaDeviceError(
                "The loudspeaker or headset could not be opened; check that it is connected "
                "and not used by another program."
            ) from None
        player._stream = stream
        log.info("playing call audio on %s at %d Hz, %d channel(s)", info["name"], rate, channels)
        return player

    # -- the event loop side ---------------------------------------------------------------

    def play(self, frame: av.AudioFrame) -> None:
        """Convert one decoded frame and queue it (cheap; never blocks on the device)."""
        if self._closed:
            return
        self.frames_in += 1
        for pcm in self._convert(frame):
            self.buffer.push(pcm)

    def _convert(self, frame: av.AudioFrame) -> list[np.ndarray]:
        frame.pts = None  # a new peer connection restarts the clock: resample the samples only
        for attempt in range(2):
            if self._resampler is None:
                self._resampler = av.AudioResampler(
                    format="s16", layout=self._layout, rate=self.rate
                )
            try:
                out = self._resampler.resample(frame)
                break
            except ValueError:  # the format changed (another peer connection): start afresh
                self._resampler = None
                if attempt:
                    log.warning("an audio frame could not be converted; skipped")
                    return []
        return [f.to_ndarray().reshape(-1, self.channels) for f in out]

    # -- the PortAudio side ----------------------------------------------------------------

    def callback(self, outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        """PortAudio's callback (its own thread): copy from the buffer, nothing else."""
        if status and getattr(status, "output_underflow", False):
            self.device_underflows += 1
        self.device_frames += frames
        self.buffer.pull(outdata)
        echo = self.echo
        if echo is not None:
            echo.render(outdata, self.rate, output_delay(_time))

    # -- the end ---------------------------------------------------------------------------

    @property
    def stats(self) -> PlaybackStats:
        b = self.buffer
        return PlaybackStats(
            played_ms=b.ms(b.played),
            level_ms=b.ms(b.level),
            underflows=b.underflows,
            underflow_ms=b.ms(b.underflow_frames),
            overflows=b.overflows,
            dropped_ms=b.ms(b.dropped),
            device_underflows=self.device_underflows,
            device_ms=b.ms(self.device_frames),
        )

    @property
    def active(self) -> bool:
        return self._stream is not None and not self._closed

    def close(self) -> None:
        """Stop the device at once (what is queued is not played out) and release it."""
        if self._closed:
            return
        self._closed = True
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception as exc:
                log.warning("closing the loudspeaker failed: %s", type(exc).__name__)
        self.buffer.clear()
        log.info("call audio stopped: %s", self.stats)


def chime(rate: int = PREFERRED_RATE, level: float = 0.3) -> av.AudioFrame:
    """A short two-note chime (about 0.7 s, mono s16) for a loudspeaker test or an incoming
    call; soft attack and decay on each note, so it does not click."""
    notes = ((880.0, 0.18), (0.0, 0.06), (660.0, 0.18), (0.0, 0.06), (880.0, 0.22))
    parts = []
    for freq, seconds in notes:
        t = np.arange(int(rate * seconds)) / rate
        env = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02) if freq else np.zeros_like(t)
        parts.append(np.sin(2 * np.pi * freq * t) * env * level)
    pcm = (np.concatenate(parts) * 32767).astype(np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
    frame.sample_rate = rate
    return frame


def ring(device: str | None = None) -> float:
    """Play :func:`chime` once on ``device`` (None: the default) and wait until it has been
    played; returns its length in seconds. Blocks: call it off the GUI thread. Raises
    NoSpeakerFound / MediaDeviceError as :meth:`SpeakerPlayer.open`."""
    frame = chime()
    seconds = frame.samples / frame.sample_rate
    player = SpeakerPlayer.open(device, max_ms=1000 * seconds + MAX_MS)  # all of it queued
    try:
        player.play(frame)
        time.sleep(seconds + TARGET_MS / 1000 + 0.1)
    finally:
        player.close()
    return seconds
