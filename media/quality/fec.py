"""Forward error correction for the video frames that later frames depend on.

On a long path a lost packet repaired by NACK costs a round trip (300-600 ms on our links)
during which video cannot move: every later frame needs the one with the hole. So the sender
adds XOR parity packets to keyframes and base-layer (TL0) frames — never to upper-layer
frames, which the receive buffer simply skips when they are lost — and the receiver rebuilds
a single lost packet of a group the moment its parity arrives. NACK stays for what FEC could
not rebuild. The amount follows the loss the far side reports and the RTT
(:func:`protection`): none on a clean link, more as loss rises, less on a short path where a
NACK repair comes back in time anyway.

Parity packets travel as RTP on their own SSRC with payload type :data:`FEC_PT`, which is
not negotiated in the SDP: both ends are this program (the session-level line
``a=x-clinic-quality:fec2`` says so); a receiver without this layer (stock aiortc, a browser)
never gets them. Protected packets are grouped across frames (:class:`FecGrouper`), as
libwebrtc's ULPFEC generator does: a one-packet frame at a low rate would otherwise need a
whole copy (100 % overhead); a group closes once its parity costs about ``factor`` of it, at a
keyframe's end, or after a wait short against the round trip (a parity later than a NACK
repair is worth nothing). A group's ``n`` packets get ``m`` parity packets, interleaved
(parity ``j`` covers members ``j, j+m, j+2m, ...``), so a burst of two is still repaired.
Payload of a parity packet (network byte order)::

    0      payload type of the protected packets
    1-2    base: sequence number of the first protected packet
    3-8    mask: bit i (from the most significant) set = base + i is covered (i < 48)
    9      XOR of their marker bits (bit 0)
    10-11  XOR of their payload lengths
    12-15  XOR of their RTP timestamps
    16-    XOR of their payloads, each zero-padded to the longest

Pure logic (``now`` is passed in); :mod:`media.quality.rtp` wires it to aiortc.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from media.quality.jitter import SEQ_MOD

FEC_PT = 125  # aiortc's dynamic payload types go up from 96/97 two per codec: far from this
HEADER = struct.Struct("!BH6sBHI")
MASK_BITS = 48  # a group spans at most this many sequence numbers
MIN_LOSS = 0.005  # below this the link is clean: no parity
SHORT_RTT = 0.08  # a NACK repair comes back within about two frames


@dataclass(frozen=True)
class MediaPacket:
    seq: int  # 16 bit
    timestamp: int
    marker: bool
    payload: bytes
    payload_type: int


def protection(loss: float, rtt: float | None) -> float:
    """Parity packets per protected media packet: 0 on a clean link, 0.2-0.5 with loss
    (10x the loss rate), halved on a short path."""
    if loss < MIN_LOSS:
        return 0.0
    factor = min(0.5, max(0.2, 10.0 * loss))
    if rtt is not None and rtt < SHORT_RTT:
        factor /= 2
    return factor


def _xor(blocks: list[bytes]) -> bytes:
    size = max((len(b) for b in blocks), default=0)
    acc = 0
    for b in blocks:
        acc ^= int.from_bytes(b.ljust(size, b"\0"), "big")
    return acc.to_bytes(size, "big") if size else b""


def parity(packets: list[MediaPacket], factor: float) -> list[bytes]:
    """Parity payloads for a group of packets of one stream, in sending order, spanning fewer
    than :data:`MASK_BITS` sequence numbers (empty when ``factor`` is 0)."""
    n = len(packets)
    if factor <= 0 or n == 0:
        return []
    base = packets[0].seq
    if any((p.seq - base) % SEQ_MOD >= MASK_BITS for p in packets):
        raise ValueError("a parity group spans too many sequence numbers")
    m = min(n, max(1, math.ceil(n * factor - 1e-9)), 255)
    out: list[bytes] = []
    for j in range(m):
        members = packets[j::m]
        marker = length = timestamp = mask = 0
        for p in members:
            marker ^= int(p.marker)
            length ^= len(p.payload)
            timestamp ^= p.timestamp
            mask |= 1 << (MASK_BITS - 1 - (p.seq - base) % SEQ_MOD)
        first = members[0].seq
        shift = (first - base) % SEQ_MOD  # the parity's own base: its first member
        mask = (mask << shift) & ((1 << MASK_BITS) - 1)
        head = HEADER.pack(
            members[0].payload_type & 0x7F,
            first,
            mask.to_bytes(6, "big"),
            marker,
            length,
            timestamp,
        )
        out.append(head + _xor([p.payload for p in members]))
    return out


class FecGrouper:
    """Collects the protected packets (keyframes, base-layer frames) of one stream across
    frames and says when a group is closed: its parity then costs about ``factor`` of it."""

    def __init__(self) -> None:
        self._group: list[MediaPacket] = []
        self._opened = 0.0

    @property
    def pending(self) -> int:
        return len(self._group)

    def add(
        self,
        packets: list[MediaPacket],
        factor: float,
        now: float,
        *,
        close: bool = False,
        max_wait: float = 0.15,
    ) -> list[bytes]:
        """Add one frame's packets; the parity payloads of every group this closes. ``close``
        (a keyframe) closes the group with this frame; else it closes once ``n * factor``
        reaches one parity, or ``max_wait`` s after it opened."""
        if factor <= 0:
            self._group = []
            return []
        out: list[bytes] = []
        for p in packets:
            if self._group and (p.seq - self._group[0].seq) % SEQ_MOD >= MASK_BITS:
                out += parity(self._group, factor)  # the mask is full: close it early
                self._group = []
            if not self._group:
                self._opened = now
            self._group.append(p)
        n = len(self._group)
        if n and (close or n * factor >= 1.0 - 1e-9 or now - self._opened >= max_wait):
            out += parity(self._group, factor)
            self._group = []
        return out


def group_wait(rtt: float | None) -> float:
    """How long a group may stay open: a parity must arrive well before a NACK repair could
    (one round trip after the loss shows)."""
    if rtt is None:
        return 0.1
    return min(0.25, max(0.05, 0.3 * rtt))


@dataclass
class _Parity:
    arrival: float
    payload_type: int
    seqs: list[int]
    marker: int
    length: int
    timestamp: int
    data: bytes


@dataclass
class FecStats:
    parity_in: int = 0
    recovered: int = 0
    malformed: int = 0


class FecDecoder:
    """Keeps the recent media packets and the parity packets still useful; returns each
    packet it rebuilds (once)."""

    def __init__(self, max_age: float = 1.5) -> None:
        self.max_age = max_age
        self.stats = FecStats()
        self._media: dict[int, tuple[float, MediaPacket]] = {}
        self._pending: list[_Parity] = []

    def on_media(self, packet: MediaPacket, now: float) -> list[MediaPacket]:
        self._media[packet.seq % SEQ_MOD] = (now, packet)
        self._prune(now)
        return self._recover(now) if self._pending else []

    def on_parity(self, payload: bytes, now: float) -> list[MediaPacket]:
        self.stats.parity_in += 1
        if len(payload) < HEADER.size:
            self.stats.malformed += 1
            return []
        pt, first, mask_bytes, marker, length, timestamp = HEADER.unpack_from(payload)
        mask = int.from_bytes(mask_bytes, "big")
        seqs = [(first + i) % SEQ_MOD for i in range(MASK_BITS) if mask >> (MASK_BITS - 1 - i) & 1]
        if not seqs:
            self.stats.malformed += 1
            return []
        self._pending.append(
            _Parity(now, pt, seqs, marker & 1, length, timestamp, payload[HEADER.size :])
        )
        self._prune(now)
        return self._recover(now)

    def _recover(self, now: float) -> list[MediaPacket]:
        out: list[MediaPacket] = []
        progress = True
        while progress:
            progress = False
            keep: list[_Parity] = []
            for par in self._pending:
                missing = [s for s in par.seqs if s not in self._media]
                if len(missing) > 1:
                    keep.append(par)
                    continue
                if len(missing) == 1:
                    rebuilt = self._rebuild(par, missing[0])
                    if rebuilt is not None:
                        self._media[rebuilt.seq] = (now, rebuilt)
                        self.stats.recovered += 1
                        out.append(rebuilt)
                        progress = True
            self._pending = keep
        return out

    def _rebuild(self, par: _Parity, seq: int) -> MediaPacket | None:
        others = [self._media[s][1] for s in par.seqs if s != seq]
        marker, length, timestamp = par.marker, par.length, par.timestamp
        for p in others:
            marker ^= int(p.marker)
            length ^= len(p.payload)
            timestamp ^= p.timestamp
        acc = _xor([par.data, *(p.payload for p in others)])
        if length > len(acc) or length == 0:
            self.stats.malformed += 1  # not a parity of these packets
            return None
        return MediaPacket(seq, timestamp, bool(marker), bytes(acc[:length]), par.payload_type)

    def _prune(self, now: float) -> None:
        horizon = now - self.max_age
        if self._pending and self._pending[0].arrival < horizon:
            self._pending = [p for p in self._pending if p.arrival >= horizon]
        if len(self._media) > 256:
            for seq in [s for s, (t, _) in self._media.items() if t < horizon]:
                del self._media[seq]
