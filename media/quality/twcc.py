"""Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01):
the RTCP packet both ways, and the records at each end.

* Every RTP packet a peer connection sends carries a transport-wide sequence number (the header
  extension ``TWCC_URI``, one counter per transport, audio, video, parity and padding alike);
  :class:`SendHistory` remembers when each left and how big it was.
* The receiving end notes each packet's arrival (:class:`ArrivalRecorder`) and every 50-100 ms
  sends a feedback packet (RTCP RTPFB, FMT=15): base sequence number, a 24-bit reference time
  in 64 ms units, a feedback counter, status chunks (run-length or 1/2-bit status vectors) and
  the receive deltas in 250 us ticks (one byte small, two bytes signed large). Padding as
  libwebrtc writes it (P bit, last byte = count), so Chromium parses it as its own.
* Back at the sender, :meth:`SendHistory.on_feedback` joins the two: a
  :class:`PacketResult` per packet (send time, size, arrival on the receiver's clock or None
  when lost), what :mod:`media.quality.gcc` estimates from.

aiortc 1.16 parses an RTPFB packet as a NACK and rejects a padded one (with the rest of its
compound), so :func:`split_rtcp` takes the feedback out of the raw RTCP first.
"""

from __future__ import annotations

import collections
import struct
from dataclasses import dataclass

TWCC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
RTCP_RTPFB = 205
TWCC_FMT = 15
TICK_US = 250  # receive delta unit
REF_TIME_US = 64_000  # reference time unit
MAX_STATUS = 0xFFFF
MAX_PACKET_BYTES = 1200
WIRE_OVERHEAD = 10 + 8 + 20  # SRTP auth tag + UDP + IPv4, counted in every packet's size

NOT_RECEIVED, SMALL, LARGE = 0, 1, 2


def _unwrap(value: int, last: int | None, bits: int) -> int:
    """``value`` (``bits`` wide, wrapping) as the unbounded number nearest to ``last``."""
    if last is None:
        return value
    span = 1 << bits
    half = span >> 1
    delta = (value - (last % span) + half) % span - half
    return last + delta


@dataclass(frozen=True)
class Feedback:
    """One parsed feedback packet. ``arrivals`` follow ``base_seq`` in order: the arrival in
    us on the receiver's clock (reference time + deltas), or None for not received."""

    sender_ssrc: int
    media_ssrc: int
    base_seq: int
    reference_time: int  # 24-bit, as sent (units of 64 ms)
    fb_count: int
    arrivals: tuple[int | None, ...]


def build_feedback(
    sender_ssrc: int,
    media_ssrc: int,
    base_seq: int,
    fb_count: int,
    arrivals: list[int | None],
) -> bytes:
    """One RTCP transport-cc feedback packet for ``arrivals`` (us, None = not received) of
    the packets ``base_seq``... (16-bit, wrapping). The first entry must be received (a
    feedback starts at a received packet, as libwebrtc's do); every delta must fit 16 bits
    signed (:class:`ArrivalRecorder` splits where they would not)."""
    if not arrivals or arrivals[0] is None:
        raise ValueError("a feedback starts at a received packet")
    if len(arrivals) > MAX_STATUS:
        raise ValueError("too many packets for one feedback")
    first = arrivals[0]
    ref = first // REF_TIME_US
    last_us = ref * REF_TIME_US
    symbols: list[int] = []
    deltas = bytearray()
    for at in arrivals:
        if at is None:
            symbols.append(NOT_RECEIVED)
            continue
        ticks = round((at - last_us) / TICK_US)
        last_us += ticks * TICK_US
        if 0 <= ticks <= 0xFF:
            symbols.append(SMALL)
            deltas.append(ticks)
        elif -0x8000 <= ticks <= 0x7FFF:
            symbols.append(LARGE)
            deltas += struct.pack("!h", ticks)
        else:
            raise ValueError("receive delta does not fit a feedback")
    body = struct.pack(
        "!LLHHL",
        sender_ssrc,
        media_ssrc,
        base_seq & 0xFFFF,
        len(arrivals),
        ((ref & 0xFFFFFF) << 8) | (fb_count & 0xFF),
    )
    body += _chunks(symbols) + bytes(deltas)
    pad = (-len(body)) % 4
    first_byte = 0x80 | TWCC_FMT
    if pad:
        first_byte |= 0x20
        body += bytes(pad - 1) + bytes([pad])
    return struct.pack("!BBH", first_byte, RTCP_RTPFB, (len(body) + 4) // 4 - 1) + body


def _chunks(symbols: list[int]) -> bytes:
    out = bytearray()
    i, n = 0, len(symbols)
    while i < n:
        run = 1
        while i + run < n and symbols[i + run] == symbols[i] and run < 0x1FFF:
            run += 1
        window = symbols[i : i + 14]
        if run >= 14 or (run >= 7 and not all(s < LARGE for s in window)):
            out += struct.pack("!H", (symbols[i] << 13) | run)
            i += run
        elif all(s < LARGE for s in window):
            word = 0x8000
            for k, s in enumerate(window):
                word |= s << (13 - k)
            out += struct.pack("!H", word)
            i += len(window)
        else:
            window = symbols[i : i + 7]
            word = 0xC000
            for k, s in enumerate(window):
                word |= s << (12 - 2 * k)
            out += struct.pack("!H", word)
            i += len(window)
    return bytes(out)


def parse_feedback(payload: bytes) -> Feedback:
    """A feedback packet's payload (after the 4-byte RTCP header, padding removed)."""
    if len(payload) < 16:
        raise ValueError("transport-cc feedback too short")
    sender_ssrc, media_ssrc, base_seq, count, ref_fb = struct.unpack("!LLHHL", payload[:16])
    reference_time, fb_count = ref_fb >> 8, ref_fb & 0xFF
    pos = 16
    symbols: list[int] = []
    while len(symbols) < count:
        if pos + 2 > len(payload):
            raise ValueError("transport-cc feedback: chunks truncated")
        (word,) = struct.unpack("!H", payload[pos : pos + 2])
        pos += 2
        if not word & 0x8000:
            symbols += [(word >> 13) & 0x3] * (word & 0x1FFF)
        elif not word & 0x4000:
            symbols += [(word >> (13 - k)) & 1 for k in range(14)]
        else:
            symbols += [(word >> (12 - 2 * k)) & 0x3 for k in range(7)]
    symbols = symbols[:count]
    # signed 24-bit, as libwebrtc writes it now (older versions: unsigned, same bits)
    ref_signed = reference_time - (1 << 24) if reference_time & 0x800000 else reference_time
    at = ref_signed * REF_TIME_US
    arrivals: list[int | None] = []
    for s in symbols:
        if s == NOT_RECEIVED:
            arrivals.append(None)
            continue
        if s == SMALL:
            if pos + 1 > len(payload):
                raise ValueError("transport-cc feedback: deltas truncated")
            at += payload[pos] * TICK_US
            pos += 1
        elif s == LARGE:
            if pos + 2 > len(payload):
                raise ValueError("transport-cc feedback: deltas truncated")
            at += struct.unpack("!h", payload[pos : pos + 2])[0] * TICK_US
            pos += 2
        else:
            raise ValueError("transport-cc feedback: reserved status symbol")
        arrivals.append(at)
    return Feedback(sender_ssrc, media_ssrc, base_seq, reference_time, fb_count, tuple(arrivals))


def split_rtcp(data: bytes) -> tuple[list[bytes], bytes]:
    """A (compound) RTCP datagram as (transport-cc feedback payloads, everything else as it
    was). Malformed input comes back whole, for aiortc to reject as before."""
    feedbacks: list[bytes] = []
    rest = bytearray()
    pos = 0
    while pos < len(data):
        if len(data) < pos + 4:
            return [], data
        first, ptype, length = struct.unpack("!BBH", data[pos : pos + 4])
        end = pos + 4 + 4 * length
        if end > len(data) or first >> 6 != 2:
            return [], data
        if ptype == RTCP_RTPFB and first & 0x1F == TWCC_FMT:
            payload = data[pos + 4 : end]
            if first & 0x20:
                if not payload or not payload[-1] or payload[-1] > len(payload):
                    return [], data
                payload = payload[: -payload[-1]]
            feedbacks.append(bytes(payload))
        else:
            rest += data[pos:end]
        pos = end
    return feedbacks, bytes(rest)


# -- the sending end -------------------------------------------------------------------------


@dataclass(frozen=True)
class PacketResult:
    """A sent packet as the feedback saw it: ``arrival`` in seconds on the receiver's clock
    (only differences mean anything), None when it was reported not received."""

    seq: int  # unwrapped transport-wide sequence number
    send_time: float  # s, the sender's monotonic clock
    size: int  # bytes on the wire
    arrival: float | None
    probe: int | None = None  # probe cluster id


@dataclass
class _Sent:
    send_time: float
    size: int
    probe: int | None
    acked: bool = False


class SendHistory:
    """Transport-wide sequence numbers for one transport, and what was sent under each (kept
    ``keep`` seconds)."""

    def __init__(self, keep: float = 3.0) -> None:
        self.keep = keep
        self._next = 0
        self._packets: dict[int, _Sent] = {}
        self._order: collections.deque[int] = collections.deque()
        self._last_ref: int | None = None
        self._last_fb_count: int | None = None
        self.feedbacks = 0
        self.reported = 0
        self.lost = 0

    def next_seq(self) -> int:
        """The next (unwrapped) sequence number; its low 16 bits go in the header extension."""
        seq = self._next
        self._next += 1
        return seq

    def on_sent(self, seq: int, send_time: float, size: int, probe: int | None = None) -> None:
        self._packets[seq] = _Sent(send_time, size, probe)
        self._order.append(seq)
        while self._order and send_time - self._packets[self._order[0]].send_time > self.keep:
            self._packets.pop(self._order.popleft(), None)

    def sent_bps(self, now: float, window: float = 0.5, probes: bool = False) -> float:
        """What went out over the last ``window`` s (bit/s), probes left out unless asked."""
        total = 0
        for seq in reversed(self._order):
            p = self._packets[seq]
            if now - p.send_time > window:
                break
            if probes or p.probe is None:
                total += p.size
        return total * 8 / window

    def on_feedback(self, fb: Feedback) -> list[PacketResult]:
        """The packets ``fb`` reports on, joined with their send records (packets no longer
        kept, or never sent, are left out; a packet reported twice counts once as received)."""
        self.feedbacks += 1
        base = _unwrap(fb.base_seq, self._next - 1 if self._next else None, 16)
        ref = _unwrap(fb.reference_time, self._last_ref, 24)
        self._last_ref = ref
        shift = (ref - fb.reference_time) * REF_TIME_US  # reference time wrapped
        out: list[PacketResult] = []
        for i, at in enumerate(fb.arrivals):
            seq = base + i
            sent = self._packets.get(seq)
            if sent is None:
                continue
            if at is None:
                if sent.acked:
                    continue
                self.lost += 1
                arrival = None
            else:
                if sent.acked:
                    continue
                sent.acked = True
                arrival = (at + shift) / 1e6
            self.reported += 1
            out.append(PacketResult(seq, sent.send_time, sent.size, arrival, sent.probe))
        return out


# -- the receiving end -----------------------------------------------------------------------


class ArrivalRecorder:
    """Arrivals of the packets one transport receives, and the feedback that reports them.
    Each packet is reported once (a late one, older than what was already reported, is not);
    a feedback covers the oldest unreported packet up to the newest received."""

    def __init__(self) -> None:
        self._arrivals: dict[int, int] = {}  # unwrapped seq -> arrival, us
        self._last: int | None = None
        self._start: int | None = None  # first unreported sequence number
        self.fb_count = 0
        self.media_ssrc = 0
        self.received = 0
        self.sent_feedbacks = 0

    def on_packet(self, seq16: int, arrival: float, ssrc: int) -> None:
        seq = _unwrap(seq16, self._last, 16)
        if self._last is None or seq > self._last:
            self._last = seq
        if self._start is not None and seq < self._start:
            return  # already reported (as lost): too late
        self._arrivals.setdefault(seq, int(arrival * 1e6))
        self.media_ssrc = ssrc
        self.received += 1

    @property
    def pending(self) -> int:
        return len(self._arrivals)

    def build(self, sender_ssrc: int) -> list[bytes]:
        """Feedback packets for everything received since the last call (none if nothing)."""
        if not self._arrivals:
            return []
        seqs = sorted(self._arrivals)
        start = seqs[0] if self._start is None else max(self._start, seqs[0])
        end = seqs[-1]
        packets: list[bytes] = []
        first = start
        while first <= end:
            while first not in self._arrivals:
                first += 1  # a feedback starts at a received packet
            base_at = self._arrivals[first]
            arrivals: list[int | None] = []
            last_at = (base_at // REF_TIME_US) * REF_TIME_US
            seq = first
            size = 20.0
            while seq <= end and len(arrivals) < MAX_STATUS and size < MAX_PACKET_BYTES:
                at = self._arrivals.get(seq)
                if at is not None:
                    ticks = round((at - last_at) / TICK_US)
                    if not -0x8000 <= ticks <= 0x7FFF:
                        break  # starts the next feedback
                    last_at += ticks * TICK_US
                    size += 1 if 0 <= ticks <= 0xFF else 2
                size += 0.25  # a status costs 2-16 bits of a chunk; about 2 on average
                arrivals.append(at)
                seq += 1
            packets.append(
                build_feedback(sender_ssrc, self.media_ssrc, first, self.fb_count, arrivals)
            )
            self.fb_count = (self.fb_count + 1) & 0xFF
            first = seq
        self._start = end + 1
        self._arrivals.clear()
        self.sent_feedbacks += len(packets)
        return packets
