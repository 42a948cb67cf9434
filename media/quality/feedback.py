"""When to ask the sender for repairs, timed by the round-trip time.

aiortc 1.16 sends a NACK listing *every* missing packet each time a new gap appears (a storm
on a lossy link: the same packets are asked for again and again, at packet rate) and a PLI on
every jitter-buffer overflow or decode error. Here, as in libwebrtc's NackRequester and
keyframe request throttling:

* :class:`NackScheduler`: each missing packet is asked for at once, then again only after
  about one RTT without it arriving, at most ``max_retries`` times, and never once it is too
  old to matter (the jitter buffer has given up on it).
* :class:`PliLimiter`: a keyframe request at most once per ``max(min_interval, RTT + margin)``
  — repeated while the keyframe does not come, never faster than it could arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

from media.quality.jitter import SEQ_MOD, unwrap

DEFAULT_RTT = 0.2


@dataclass
class _Missing:
    first_seen: float
    sent_at: float | None = None
    retries: int = 0


class NackScheduler:
    def __init__(self, max_retries: int = 8, max_age: float = 1.0, max_tracked: int = 512) -> None:
        self.max_retries = max_retries
        self.max_age = max_age
        self.max_tracked = max_tracked
        self._missing: dict[int, _Missing] = {}  # extended seq ->
        self._ref: int | None = None
        self.sent = 0  # sequence numbers asked for (with repeats)
        self.requests = 0  # NACK packets

    def update(self, missing: list[int], now: float) -> None:
        """The holes the jitter buffer still wants (16-bit seqs); others are forgotten."""
        current: set[int] = set()
        for seq in missing:
            ext = unwrap(seq, self._ref, SEQ_MOD)
            self._ref = ext if self._ref is None or ext > self._ref else self._ref
            current.add(ext)
            if ext not in self._missing:
                self._missing[ext] = _Missing(first_seen=now)
        for ext in [e for e in self._missing if e not in current]:
            del self._missing[ext]
        if len(self._missing) > self.max_tracked:
            for ext in sorted(self._missing)[: len(self._missing) - self.max_tracked]:
                del self._missing[ext]

    def due(self, now: float, rtt: float | None) -> list[int]:
        """Sequence numbers to NACK now (16 bit, ascending); marks them sent."""
        interval = max(0.03, (rtt if rtt is not None else DEFAULT_RTT) * 1.1 + 0.01)
        out: list[int] = []
        for ext in sorted(self._missing):
            item = self._missing[ext]
            if now - item.first_seen > self.max_age or item.retries >= self.max_retries:
                continue
            if item.sent_at is None or now - item.sent_at >= interval:
                item.sent_at = now
                item.retries += 1
                out.append(ext % SEQ_MOD)
        if out:
            self.sent += len(out)
            self.requests += 1
        return out


class PliLimiter:
    def __init__(self, min_interval: float = 0.25, margin: float = 0.1) -> None:
        self.min_interval = min_interval
        self.margin = margin
        self._last: float | None = None
        self.sent = 0
        self.suppressed = 0

    def allow(self, now: float, rtt: float | None) -> bool:
        interval = max(self.min_interval, (rtt if rtt is not None else DEFAULT_RTT) + self.margin)
        if self._last is not None and now - self._last < interval:
            self.suppressed += 1
            return False
        self._last = now
        self.sent += 1
        return True

    def reset(self) -> None:
        """Forget the last PLI: the next one goes at once (the path came back)."""
        self._last = None
