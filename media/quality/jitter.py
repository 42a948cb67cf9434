"""Receive buffers that count time, not packets.

:class:`VideoJitterBuffer` (replaces aiortc 1.16's 512-packet ``JitterBuffer`` for video):
frames are assembled from packets, released in decoding order as soon as they are complete,
continuous with what was released before, and due (a small target delay from the measured
jitter, as libwebrtc's FrameBuffer does). A frame that cannot be completed is waited for at
most ``max_wait`` seconds (the latency cap, NACK gets that long to repair it); then the buffer
skips to the next complete keyframe and asks for one (``want_keyframe``); so does a buffer
that has packets but no keyframe to start from for ``max_wait`` (the first keyframe was
lost). A complete keyframe
further on is taken at once instead of waiting for a hole before it, and so is a frame of a
VP8 temporal layer that does not depend on what is missing (a lost TL1 frame is skipped).

:class:`AudioConcealer` (replaces the 16-packet audio buffer, which waits for 4 packets and
then plays only what arrived): packets are decoded as they arrive; a gap is filled with Opus
in-band FEC taken from the packet after it, or with PLC; when packets stop coming it conceals
up to ``max_conceal`` seconds (then goes quiet, as a stalled line should) and plays again the
moment packets return. Late packets (already concealed) are dropped.

Both are pure logic (``now`` is passed in), so tests drive them with a fake clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

SEQ_MOD = 1 << 16
TS_MOD = 1 << 32


def unwrap(value: int, ref: int | None, mod: int) -> int:
    """``value`` (mod ``mod``) as the extended integer closest to ``ref``."""
    if ref is None:
        return value
    delta = (value - ref) % mod
    if delta >= mod // 2:
        delta -= mod
    return ref + delta


@dataclass
class VideoPacket:
    seq: int  # RTP sequence number (16 bit)
    timestamp: int  # RTP timestamp (32 bit)
    marker: bool  # last packet of a frame
    frame_start: bool  # first packet of a frame (VP8: S=1, PID=0)
    keyframe: bool  # first packet of a keyframe
    data: bytes  # depayloaded
    arrival: float
    tid: int | None = None  # VP8 temporal layer (descriptor T), None without layers
    tl0: int | None = None  # TL0PICIDX: the TL0 frame this frame depends on (or is)


@dataclass
class EncodedFrame:
    timestamp: int
    data: bytes
    keyframe: bool
    first_seq: int  # extended
    last_seq: int  # extended
    complete_at: float
    tid: int | None = None
    tl0: int | None = None


@dataclass
class VideoBufferStats:
    frames_out: int = 0
    keyframe_skips: int = 0  # gave up on a frame and went to the next keyframe
    layer_skips: int = 0  # lost upper-layer frames passed over without waiting
    frames_dropped: int = 0
    late_packets: int = 0


class VideoJitterBuffer:
    """See the module docstring. ``insert`` packets, ``pop(now)`` frames to decode."""

    def __init__(
        self,
        clock_rate: int = 90_000,
        max_wait: float = 0.4,
        max_target: float = 0.1,
        nack_horizon: int = 128,
        max_packets: int = 2048,
    ) -> None:
        self.clock_rate = clock_rate
        self.max_wait = max_wait
        self.max_target = max_target
        self.nack_horizon = nack_horizon  # beyond this many packets a hole cannot be repaired
        self.max_packets = max_packets
        self.stats = VideoBufferStats()
        self.want_keyframe = False
        self._packets: dict[int, VideoPacket] = {}
        self._high: int | None = None  # highest extended seq seen
        self._next: int | None = None  # extended seq expected next; None = wait for keyframe
        self._last_ts: int | None = None  # extended timestamp of the last released frame
        self._last_tl0: int | None = None  # TL0PICIDX of the last TL0 frame released
        self._stuck_since: float | None = None
        # time mapping: offset = arrival - media time; its minimum is the fastest path
        self._offset_min: float | None = None
        self._offset_window: list[tuple[float, float]] = []
        self._late_mean = 0.0  # EWMA of how late frames complete vs the fastest path
        self._late_dev = 0.0  # EWMA of the deviation from that mean: the jitter
        self._ts_ref: int | None = None

    # -- input -----------------------------------------------------------------------------

    def insert(self, pkt: VideoPacket) -> None:
        ext = unwrap(pkt.seq, self._high, SEQ_MOD)
        if self._next is not None and ext < self._next:
            self.stats.late_packets += 1  # already released or given up on
            return
        if self._high is None or ext > self._high:
            self._high = ext
        self._packets[ext] = pkt
        if len(self._packets) > self.max_packets:
            self._give_up()
            for seq in sorted(self._packets)[: len(self._packets) - self.max_packets]:
                del self._packets[seq]

    @property
    def target_delay(self) -> float:
        """Playout delay over the fastest path: typical lateness plus twice the jitter."""
        return min(self.max_target, self._late_mean + 2.0 * self._late_dev)

    @property
    def next_seq(self) -> int | None:
        return self._next

    def missing(self) -> list[int]:
        """Sequence numbers (16 bit) of holes still worth repairing, oldest first."""
        if self._high is None or not self._packets:
            return []
        low = min(self._packets) if self._next is None else self._next
        low = max(low, self._high - self.nack_horizon)
        return [s % SEQ_MOD for s in range(low, self._high) if s not in self._packets]

    # -- output ----------------------------------------------------------------------------

    def pop(self, now: float) -> list[EncodedFrame]:
        out: list[EncodedFrame] = []
        while True:
            if self._next is None:
                key = self._find_keyframe(None)
                if key is None:
                    self._await_keyframe(now)
                    return out
                self._drop_below(key)
                self._next = key
                self.want_keyframe = False
                self._stuck_since = None
            frame = self._assemble(self._next)
            if frame is not None:
                self._stuck_since = None
                if now < self._due(frame):
                    return out
                self._release(frame)
                out.append(frame)
                continue
            # the frame at _next is incomplete or missing
            key = self._find_keyframe(self._next)
            if key is not None:
                self.stats.keyframe_skips += 1
                self._drop_below(key)
                self._next = key
                continue
            skip = self._decodable_after_gap()
            if skip is not None:  # only upper-layer frames are missing: nothing waits for them
                self.stats.layer_skips += 1
                self._drop_below(skip)
                self._next = skip
                continue
            later = [s for s in self._packets if s >= self._next]
            if not later:
                self._stuck_since = None
                return out  # nothing after the gap: idle, not lost
            if self._stuck_since is None:
                self._stuck_since = min(self._packets[s].arrival for s in later)
            if self._hopeless(later) or now - self._stuck_since >= self.max_wait:
                self._give_up()
            return out

    def _await_keyframe(self, now: float) -> None:
        """Packets but no complete keyframe to start from: ask for one once the packets have
        waited ``max_wait``. Not only after giving up: the very first keyframe is lost when it
        left before this side's DTLS was ready (a relayed path connects the two sides a second
        or more apart), and then nothing would ever decode until the sender chose a keyframe
        by itself."""
        if not self._packets:
            self._stuck_since = None
            return
        if self._stuck_since is None:
            self._stuck_since = min(p.arrival for p in self._packets.values())
        if now - self._stuck_since >= self.max_wait:
            self.want_keyframe = True

    def _hopeless(self, later: list[int]) -> bool:
        """The hole cannot be repaired in time: too many packets or too much media time."""
        assert self._next is not None
        first = min(later)
        if first - self._next > self.nack_horizon:
            return True
        if self._last_ts is None:
            return False
        ts = unwrap(self._packets[first].timestamp, self._last_ts, TS_MOD)
        return (ts - self._last_ts) / self.clock_rate > 2 * self.max_wait

    def _decodable_after_gap(self) -> int | None:
        """The first complete frame after the hole at ``_next`` that does not depend on
        anything in it (temporal layers): a TL1 frame of the last TL0 released, or the next
        TL0 frame. Everything in the hole is then a TL1 frame nothing refers to."""
        if self._last_tl0 is None or self._next is None:
            return None
        for seq in sorted(s for s in self._packets if s > self._next):
            pkt = self._packets[seq]
            if not pkt.frame_start or pkt.tid is None or pkt.tl0 is None:
                continue
            upper = pkt.tid > 0 and pkt.tl0 == self._last_tl0
            next_base = pkt.tid == 0 and pkt.tl0 == (self._last_tl0 + 1) % 256
            if (upper or next_base) and self._assemble(seq) is not None:
                return seq
            return None  # it needs a frame we do not have (or is incomplete): wait/repair
        return None

    def _give_up(self) -> None:
        self._next = None
        self._stuck_since = None
        self.want_keyframe = True
        self.stats.frames_dropped += 1

    def _assemble(self, start: int) -> EncodedFrame | None:
        first = self._packets.get(start)
        if first is None or not first.frame_start:
            return None
        parts = [first.data]
        seq = start
        pkt = first
        complete = pkt.arrival
        while not pkt.marker:
            seq += 1
            nxt = self._packets.get(seq)
            if nxt is None:
                return None
            if nxt.timestamp != first.timestamp or nxt.frame_start:
                break  # the marker was lost but the next frame begins: this one is whole
            pkt = nxt
            parts.append(pkt.data)
            complete = max(complete, pkt.arrival)
        last = seq if pkt.marker else seq - 1
        return EncodedFrame(
            timestamp=first.timestamp,
            data=b"".join(parts),
            keyframe=first.keyframe,
            first_seq=start,
            last_seq=last,
            complete_at=complete,
            tid=first.tid,
            tl0=first.tl0,
        )

    def _find_keyframe(self, after: int | None) -> int | None:
        for seq in sorted(self._packets):
            if after is not None and seq <= after:
                continue
            pkt = self._packets[seq]
            if pkt.keyframe and pkt.frame_start and self._assemble(seq) is not None:
                return seq
        return None

    def _drop_below(self, seq: int) -> None:
        for s in [s for s in self._packets if s < seq]:
            del self._packets[s]

    def _media_time(self, timestamp: int) -> float:
        self._ts_ref = unwrap(timestamp, self._ts_ref, TS_MOD)
        return self._ts_ref / self.clock_rate

    def _due(self, frame: EncodedFrame) -> float:
        media = self._media_time(frame.timestamp)
        offset = frame.complete_at - media
        self._note_offset(frame.complete_at, offset)
        assert self._offset_min is not None
        lateness = max(0.0, offset - self._offset_min)
        # early frames wait for the usual lateness; late ones go at once
        return frame.complete_at + max(0.0, self.target_delay - lateness)

    def _note_offset(self, at: float, offset: float) -> None:
        # minimum over the last ~10 s, so a path that got slower for good is followed
        self._offset_window.append((at, offset))
        while self._offset_window and at - self._offset_window[0][0] > 10.0:
            self._offset_window.pop(0)
        self._offset_min = min(o for _, o in self._offset_window)

    def _release(self, frame: EncodedFrame) -> None:
        assert self._offset_min is not None
        lateness = frame.complete_at - self._media_time(frame.timestamp) - self._offset_min
        lateness = max(lateness, 0.0)
        # a frame that waited for a retransmission says nothing about the path's jitter
        # (libwebrtc leaves retransmitted frames out of its jitter estimate too)
        if lateness <= max(0.1, 3 * (self._late_mean + 2 * self._late_dev)):
            self._late_dev += (abs(lateness - self._late_mean) - self._late_dev) / 16
            self._late_mean += (lateness - self._late_mean) / 16
        for s in range(frame.first_seq, frame.last_seq + 1):
            self._packets.pop(s, None)
        self._next = frame.last_seq + 1
        self._last_ts = unwrap(frame.timestamp, self._last_ts, TS_MOD)
        if frame.tid == 0 or frame.keyframe:
            self._last_tl0 = frame.tl0
        elif frame.tid is None:
            self._last_tl0 = None
        self.stats.frames_out += 1


# -- audio -----------------------------------------------------------------------------------


class Decoder(Protocol):
    def decode(self, data: bytes) -> np.ndarray: ...

    def recover(self, next_data: bytes, samples: int = ...) -> np.ndarray: ...

    def conceal(self, samples: int = ...) -> np.ndarray: ...


@dataclass
class AudioStats:
    decoded: int = 0  # frames from packets that arrived
    recovered: int = 0  # frames rebuilt from the next packet's in-band FEC
    concealed: int = 0  # frames made up by PLC
    late: int = 0  # packets that came after their frame was concealed
    resyncs: int = 0  # gaps too long to conceal (outages)

    @property
    def total(self) -> int:
        return self.decoded + self.recovered + self.concealed

    @property
    def concealed_pct(self) -> float:
        """Share of played audio that was made up (PLC), in percent."""
        return 100.0 * self.concealed / self.total if self.total else 0.0

    @property
    def recovered_pct(self) -> float:
        return 100.0 * self.recovered / self.total if self.total else 0.0


@dataclass
class AudioOut:
    pcm: np.ndarray
    timestamp: int  # RTP timestamp (extended) of the frame's first sample
    kind: str  # "decoded" | "fec" | "plc"


@dataclass
class AudioConcealer:
    """See the module docstring; ``frame_ticks`` = RTP ticks per packet (960 at 48 kHz/20 ms)."""

    decoder: Decoder
    frame_ticks: int = 960
    frame_time: float = 0.020
    max_conceal: float = 0.12  # PLC at most this long when packets stop, then quiet
    max_gap: float = 0.5  # a longer hole is an outage: restart, do not fill it
    stats: AudioStats = field(default_factory=AudioStats)
    _expected: int | None = None  # extended seq of the next frame to play
    _ts: int | None = None  # extended RTP timestamp of the next frame
    _last_arrival: float | None = None
    _run: int = 0  # frames concealed in a row by tick()
    _jitter: float = 0.0
    stall_gap: float = 0.05  # ticks further apart than this: our own loop was stalled
    _last_tick: float | None = None
    _pending: dict[int, bytes] = field(default_factory=dict)  # past a hole, by extended seq
    _hole_since: float | None = None  # when the first packet past the current hole came

    @property
    def hold(self) -> float:
        """How long past a packet's expected arrival before it is concealed."""
        return min(0.2, max(0.06, 3 * self._jitter + 0.04))

    def on_packet(self, seq: int, timestamp: int, data: bytes, now: float) -> list[AudioOut]:
        """A packet: played at once when it is the next one; after a hole it waits (up to
        :attr:`hold` from the first packet past the hole) for the missing ones, which a
        jittery path often only reorders — filling the hole at once made every reordered
        packet a concealed frame and then a late one (9.5 % bad audio against Chromium's
        0.4 % with 40 ms of jitter)."""
        out: list[AudioOut] = []
        if self._expected is None:
            self._start(seq, timestamp)
        assert self._expected is not None and self._ts is not None
        ext = unwrap(seq, self._expected, SEQ_MOD)
        if ext < self._expected or ext in self._pending:
            self.stats.late += 1
            return out
        gap = ext - self._expected
        if self._last_arrival is not None and not self._pending:
            spacing = now - self._last_arrival
            self._jitter += (abs(spacing - self.frame_time * (gap + 1)) - self._jitter) / 16
        self._last_arrival = now
        self._run = 0
        if gap * self.frame_time > self.max_gap:
            self.stats.resyncs += 1
            self._pending.clear()
            self._hole_since = None
            self._start(seq, timestamp)
            gap = 0
        if gap == 0:
            out.append(self._emit(self.decoder.decode(data), "decoded"))
            out += self._drain()
            return out
        self._pending[ext] = data
        if self._hole_since is None:
            self._hole_since = now
        return out

    def _drain(self) -> list[AudioOut]:
        """The waiting packets that now follow on without a hole."""
        out: list[AudioOut] = []
        while self._expected in self._pending:
            out.append(
                self._emit(self.decoder.decode(self._pending.pop(self._expected)), "decoded")
            )
        if not self._pending:
            self._hole_since = None
        return out

    def _fill_hole(self, now: float) -> list[AudioOut]:
        """The missing packets did not come in time: conceal them (the last one from the next
        packet's in-band FEC) and play on."""
        assert self._expected is not None
        first = min(self._pending)
        out = [self._emit(self.decoder.conceal(), "plc") for _ in range(first - self._expected - 1)]
        data = self._pending.pop(first)
        out.append(self._emit(self.decoder.recover(data), "fec"))
        out.append(self._emit(self.decoder.decode(data), "decoded"))
        out += self._drain()
        if self._pending:
            self._hole_since = now  # another hole among the waiting ones
        return out

    def tick(self, now: float) -> list[AudioOut]:
        """Fill a hole that waited long enough; conceal frames whose packets are overdue
        (called every ~10-20 ms).

        After a stall of our own event loop (ticks far apart) the packets are usually
        waiting unread in the socket: this tick conceals nothing, so they are read and
        played before the next tick decides what is really missing."""
        out: list[AudioOut] = []
        stalled = self._last_tick is not None and now - self._last_tick > self.stall_gap
        self._last_tick = now
        if stalled or self._expected is None or self._last_arrival is None:
            return out
        if self._pending:
            if self._hole_since is not None and now - self._hole_since >= self.hold:
                out += self._fill_hole(now)
            return out
        while (
            self._run * self.frame_time < self.max_conceal
            and now > self._last_arrival + (self._run + 1) * self.frame_time + self.hold
        ):
            self._run += 1
            out.append(self._emit(self.decoder.conceal(), "plc"))
        return out

    def _start(self, seq: int, timestamp: int) -> None:
        ts = timestamp if self._ts is None else unwrap(timestamp, self._ts, TS_MOD)
        self._expected = seq if self._expected is None else unwrap(seq, self._expected, SEQ_MOD)
        self._ts = ts

    def _emit(self, pcm: np.ndarray, kind: str) -> AudioOut:
        assert self._expected is not None and self._ts is not None
        item = AudioOut(pcm, self._ts, kind)
        if kind == "decoded":
            self.stats.decoded += 1
        elif kind == "fec":
            self.stats.recovered += 1
        else:
            self.stats.concealed += 1
        self._expected += 1
        self._ts += self.frame_ticks
        return item
