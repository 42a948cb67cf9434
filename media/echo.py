"""Echo cancellation for calls on a loudspeaker: the microphone goes through the WebRTC audio
processing module (AEC3 acoustic echo cancellation, noise suppression, automatic gain; the
``pywebrtc-audio`` bindings) before it is encoded.

Two threads meet here:

* **render** — :meth:`EchoCanceller.render` runs on PortAudio's callback thread
  (:meth:`media.playback.SpeakerPlayer.callback`) with exactly the block the loudspeaker is
  about to play, and the time it will leave the sound card. It only mixes down to mono and
  queues the block under a lock.
* **capture** — :meth:`EchoCanceller.process` runs where the microphone frames are read (the
  outgoing audio track on the event loop): it cuts the microphone into 10 ms chunks at 48 kHz
  and hands the module each chunk with the 10 ms of loudspeaker audio that had been played by
  then (the far-end reference). The reference is therefore never later than its echo; AEC3's
  own delay estimator finds the acoustic path and the sound card's input latency.

When the loudspeaker plays nothing (no device, priming), the reference is silence. When the
queue of played audio grows (the two sound card clocks drift, a late capture) the oldest
chunks beyond :data:`MAX_BACKLOG_MS` are dropped so the reference never falls behind its echo.

With a headset there is no acoustic echo: :attr:`EchoCanceller.enabled` False passes the
microphone through untouched. Without the bindings (an unsupported platform)
:data:`AVAILABLE` is False and the UI keeps advising a headset.
"""

from __future__ import annotations

import fractions
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av
import numpy as np

log = logging.getLogger(__name__)

RATE = 48_000  # processing rate: aiortc's Opus runs at 48 kHz, so no resampling there
CHUNK = RATE // 100  # the module works on 10 ms frames
MAX_BACKLOG_MS = 40.0  # played audio not yet used as reference beyond this is dropped
NS_LEVEL = 1  # noise suppression 0-3 (6, 12, 18, 21 dB): moderate, keeps quiet voices
# automatic gain lifts a quiet or distant voice by at most this much: uncapped, AGC2 drives a
# normal voice towards full scale and lifts the residual echo with it
AGC_MAX_GAIN_DB = 12.0

try:
    from pywebrtc_audio import AudioProcessor

    AVAILABLE = True
except ImportError:  # pragma: no cover - the wheel exists for every platform we ship
    AudioProcessor = None  # type: ignore[assignment,misc]
    AVAILABLE = False


@dataclass(frozen=True)
class EchoStats:
    """What the canceller did so far (counts of 10 ms chunks)."""

    chunks: int  # microphone chunks processed
    reference_missing: int  # chunks processed with silence as reference (nothing played yet)
    reference_dropped: int  # played chunks skipped to catch up with the microphone
    bypassed: int  # chunks passed through untouched (headset)


class EchoCanceller:
    """One workstation's echo canceller: fed by the loudspeaker, applied to the microphone.

    ``clock`` (seconds, monotonic) stamps both sides; tests drive it by hand."""

    def __init__(
        self,
        *,
        noise_suppression: bool = True,
        auto_gain: bool = True,
        max_gain_db: float = AGC_MAX_GAIN_DB,
        clock: Callable[[], float] = time.monotonic,
        max_backlog_ms: float = MAX_BACKLOG_MS,
    ) -> None:
        if AudioProcessor is None:
            raise RuntimeError("echo cancellation is not available on this system")
        self.clock = clock
        self.enabled = True
        self._apm = AudioProcessor(
            sample_rate=RATE,
            num_channels=1,
            echo_cancellation=True,
            noise_suppression=noise_suppression,
            high_pass_filter=True,
            auto_gain_control=auto_gain,
            ns_level=NS_LEVEL,
            agc_max_gain_db=max_gain_db,
        )
        self._max_backlog = max(1, int(max_backlog_ms * RATE / 1000) // CHUNK)
        self._lock = threading.Lock()
        # render side: (play time of the first sample, rate, mono int16)
        self._blocks: deque[tuple[float, int, np.ndarray]] = deque()
        # capture side only from here on
        self._far: deque[tuple[float, np.ndarray]] = deque()  # 10 ms chunks at RATE
        self._far_rest = np.zeros(0, np.int16)
        self._far_rest_t = 0.0
        self._far_resampler: av.AudioResampler | None = None
        self._far_rate = RATE
        self._near = np.zeros(0, np.int16)
        self._near_resampler: av.AudioResampler | None = None
        self._near_key: tuple[str, str, int] | None = None
        self._pts = 0
        self._silence = np.zeros(CHUNK, np.int16)
        self.chunks = self.reference_missing = self.reference_dropped = self.bypassed = 0

    # -- the loudspeaker's thread ------------------------------------------------------------

    def render(self, played: np.ndarray, rate: int, output_delay_s: float = 0.0) -> None:
        """The block the loudspeaker plays now (int16, (frames, channels) at ``rate``), which
        leaves the sound card ``output_delay_s`` from now. Cheap: a mix-down and a queue."""
        if not self.enabled or len(played) == 0:
            return
        mono = played if played.ndim == 1 else played.mean(axis=1)
        block = np.asarray(mono, dtype=np.int16).copy()
        with self._lock:
            self._blocks.append((self.clock() + output_delay_s, rate, block))
            while len(self._blocks) > 200:  # nobody reads the microphone: keep 2 s at most
                self._blocks.popleft()

    # -- the microphone's side ---------------------------------------------------------------

    def process(self, frame: av.AudioFrame) -> av.AudioFrame | None:
        """The microphone frame with the echo removed (mono s16 at 48 kHz), or None when it
        held less than 10 ms (kept for the next frame). With processing off, ``frame``."""
        if not self.enabled:
            self.bypassed += max(1, frame.samples // CHUNK)
            return frame
        now = self.clock()
        self._near = np.concatenate([self._near, self._near_pcm(frame)])
        self._collect_far()
        n = len(self._near) // CHUNK
        if n == 0:
            return None
        out = np.empty(n * CHUNK, np.int16)
        for i in range(n):
            end_time = now - (len(self._near) - (i + 1) * CHUNK) / RATE
            near = self._near[i * CHUNK : (i + 1) * CHUNK]
            out[i * CHUNK : (i + 1) * CHUNK] = self._apm.process(near, self._reference(end_time))
        self._near = self._near[n * CHUNK :]
        self.chunks += n
        result = av.AudioFrame.from_ndarray(out.reshape(1, -1), format="s16", layout="mono")
        result.sample_rate = RATE
        result.pts = self._pts
        result.time_base = fractions.Fraction(1, RATE)
        self._pts += len(out)
        return result

    def _near_pcm(self, frame: av.AudioFrame) -> np.ndarray:
        key = (frame.format.name, frame.layout.name, frame.sample_rate)
        if key == ("s16", "mono", RATE):
            return np.asarray(frame.to_ndarray(), np.int16).reshape(-1)
        if self._near_resampler is None or key != self._near_key:
            self._near_resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            self._near_key = key
        frame.pts = None
        parts = [f.to_ndarray().reshape(-1) for f in self._near_resampler.resample(frame)]
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)

    def _collect_far(self) -> None:
        """Move the blocks the loudspeaker played into 10 ms reference chunks at RATE."""
        with self._lock:
            blocks = list(self._blocks)
            self._blocks.clear()
        for t, rate, block in blocks:
            if rate != RATE:
                block = self._resample_far(block, rate)
            if len(self._far_rest) == 0:
                self._far_rest_t = t
            self._far_rest = np.concatenate([self._far_rest, block])
            while len(self._far_rest) >= CHUNK:
                self._far.append((self._far_rest_t, self._far_rest[:CHUNK]))
                self._far_rest = self._far_rest[CHUNK:]
                self._far_rest_t += CHUNK / RATE

    def _resample_far(self, block: np.ndarray, rate: int) -> np.ndarray:
        if self._far_resampler is None or rate != self._far_rate:
            self._far_resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            self._far_rate = rate
        frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        parts = [f.to_ndarray().reshape(-1) for f in self._far_resampler.resample(frame)]
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)

    def _reference(self, end_time: float) -> np.ndarray:
        """The oldest played chunk that had fully left the loudspeaker by ``end_time``."""
        due = 0
        for t, _chunk in self._far:
            if t + CHUNK / RATE > end_time + 1e-6:
                break
            due += 1
        if due == 0:
            self.reference_missing += 1
            return self._silence
        extra = due - 1 - self._max_backlog
        for _ in range(max(0, extra)):
            self._far.popleft()
            self.reference_dropped += 1
        return self._far.popleft()[1]

    # -- both ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the echo path and both queues (a new loudspeaker, a new call)."""
        with self._lock:
            self._blocks.clear()
        self._far.clear()
        self._far_rest = np.zeros(0, np.int16)
        self._near = np.zeros(0, np.int16)
        self._apm.reset()

    @property
    def stats(self) -> EchoStats:
        return EchoStats(self.chunks, self.reference_missing, self.reference_dropped,
                         self.bypassed)  # fmt: skip

    @property
    def gain_db(self) -> float:
        """The automatic gain applied now (dB); 0 without automatic gain."""
        try:
            return float(self._apm.gain_db)
        except RuntimeError:
            return 0.0


def output_delay(time_info: Any) -> float:
    """How long until a PortAudio callback's block leaves the sound card (0 when unknown)."""
    try:
        delay = float(time_info.outputBufferDacTime) - float(time_info.currentTime)
    except (AttributeError, TypeError, ValueError):
        return 0.0
    return delay if 0.0 <= delay < 1.0 else 0.0
