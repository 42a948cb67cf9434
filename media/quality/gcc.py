"""Send-side bandwidth estimation from transport-cc feedback, after libwebrtc's GoogCC
(``modules/congestion_controller/goog_cc``), written here from its published design:

* :class:`InterArrival` groups packets sent within 5 ms (a frame's burst) and gives the send
  and arrival time between consecutive groups;
* :class:`TrendlineEstimator` — the slope of the smoothed accumulated one-way delay variation
  over the last 20 groups (least squares), scaled, against an adaptive threshold (over-use
  after 10 ms and two detections above it while the trend still rises; under-use below it);
* :class:`AimdRateControl` — increase 8 %/s (multiplicative) far from the link capacity seen
  at the last over-use, about one packet per response time (additive) near it, never above
  1.5x the acknowledged rate + 10 kbit/s; over-use: 0.85x the acknowledged rate;
* :class:`LossBasedBwe` — below 5 % loss +8 %/s, 5-10 % hold, above 10 % x(1 - loss/2)
  (GoogCC's 2 % is lower: random loss of a few percent is repaired here by FEC/NACK and says
  nothing about congestion), never above the delay-based estimate;
* :class:`ProbeController` / :func:`probe_rate` — probe clusters (3x and 6x the start rate
  at once, 2x the result while a probe is answered in full, in application-limited periods
  every 5 s, and back toward the recent peak after a drop), a result = min(send rate, receive
  rate) of the cluster's packets, checked as libwebrtc's ProbeBitrateEstimator checks it (see
  :func:`probe_rate`), and bounded afterwards by what arrives (``PROBE_VERIFY``);
* :class:`SendSideBwe` — all of it: target = min(delay-based, loss-based).

Where this differs from GoogCC, on purpose: a delay trend alone does not cut the rate.
Smoothly varying delay (Wi-Fi, 3G) makes the trendline fire on the rising half of every swing
without any queue of ours; GoogCC then cuts to 0.85x what arrived each time, sends less, cuts
again and sits at its floor. Here an over-use cuts only when something says the queue is ours:
loss of at least ``CUT_LOSS`` in the last feedback second, a queue (one-way delay over its
10 s minimum) of at least ``QUEUE_CUT``, a steep trend (``STEEP_TREND``: far more sent
than arrives, as after a capacity drop; a swing of tens of ms over seconds is ~0.1) with
``STEEP_QUEUE`` queued, or an over-use that lasted ``SUSTAINED`` s with at
least ``SUSTAINED_QUEUE`` queued (a queue we feed keeps growing while we hold; a swing turns
back). An over-use without any of these holds the rate (no increase), which is also what stops
a queue we do feed from growing faster than the trend shows it.
"""

from __future__ import annotations

import collections
import enum
import math
from dataclasses import dataclass

from media.quality.twcc import PacketResult

BURST = 0.005  # s: packets sent this close are one group
TRENDLINE_WINDOW = 20
SMOOTHING = 0.9
THRESHOLD_GAIN = 4.0
OVERUSE_TIME_MS = 10.0
K_UP, K_DOWN = 0.0087, 0.039
BETA = 0.85
CUT_LOSS = 0.05
QUEUE_CUT = 0.25
SUSTAINED = 1.5
SUSTAINED_QUEUE = 0.08
STEEP_TREND = 0.25  # delay growing this fast (s per s): far more sent than arrives
STEEP_QUEUE = 0.05
DELAY_WINDOW = 10.0
LOSS_INCREASE_BELOW = 0.05
LOSS_DECREASE_ABOVE = 0.10
# Recovery on lossy paths without a queue (a long path at 900 ms: GoogCC's additive increase,
# a packet per response time, climbs a few kbit/s per second there): what arrived recently
# with the queue empty is what the path carries, whatever it lost on the way
CALM_QUEUE = 0.05  # s: at most this queued (and no over-use): the path is not congested
ACKED_PEAK_WINDOW = 10.0  # s: the highest acknowledged rate seen calm in this long
FLOOR_SHARE = 0.7  # calm: never under this share of that peak
RECOVERY_RATE = 1.3  # calm and under that peak: x this per second back toward it
FLOOR_MAX_LOSS = 0.2  # the floor holds only while the last second lost less than this
PROBE_DURATION = 0.04  # s per cluster
PROBE_MIN_PACKETS = 5  # a result needs at least this many of a cluster's packets received
PROBE_CLUSTER_PACKETS = 8  # a cluster is sent with at least this many packets
# A probe result (after libwebrtc's ProbeBitrateEstimator, in spirit):
PROBE_MIN_RECEIVED = 0.8  # share of the cluster's packets and of its bytes that must arrive
PROBE_MAX_INTERVAL = 1.0  # s: a send or receive span longer than this is implausible
PROBE_MAX_RATIO = 2.0  # receive rate over send rate above this: arrivals bunched, invalid
PROBE_SATURATED = 0.9  # receive rate under this share of the send rate: the link was full
PROBE_UTILIZATION = 0.95  # ... and the result is this share of the receive rate
PROBE_TAIL_PACKETS = 3  # packets after the middle arrival needed for the sustained rate
# after a probe raised the estimate, an over-use with a queue building is ours (the probe
# read high: a shaper's burst, a relay's bunching) and cuts to the acknowledged rate
PROBE_VERIFY = 3.0  # s
PROBE_SETTLE = 0.5  # s: from then on (the probe's own queue has drained by then)
PROBE_OVERSHOOT = 1.1  # ... while we send this much more than arrives (we feed that queue)
ALR_SHARE = 0.65  # sending under this share of the estimate: application-limited
ALR_PROBE_EVERY = 5.0


class Usage(enum.Enum):
    NORMAL = "normal"
    OVERUSE = "overuse"
    UNDERUSE = "underuse"


@dataclass
class _Group:
    first_send: float
    last_send: float
    first_arrival: float
    last_arrival: float


class InterArrival:
    """Packet groups (sent within ``BURST`` of the group's first, or arriving in a burst
    behind it) and the deltas between consecutive ones."""

    def __init__(self) -> None:
        self._cur: _Group | None = None
        self._prev: _Group | None = None

    def add(self, send: float, arrival: float) -> tuple[float, float, float] | None:
        """(send delta, arrival delta, arrival) when ``send`` starts a new group, else None."""
        cur = self._cur
        if cur is None:
            self._cur = _Group(send, send, arrival, arrival)
            return None
        if send < cur.first_send:
            return None  # reordered: a packet of an older group
        if self._same_group(cur, send, arrival):
            cur.last_send = max(cur.last_send, send)
            cur.last_arrival = max(cur.last_arrival, arrival)
            return None
        out = None
        if self._prev is not None:
            send_delta = cur.last_send - self._prev.last_send
            arrival_delta = cur.last_arrival - self._prev.last_arrival
            if arrival_delta >= 0:
                out = (send_delta, arrival_delta, cur.last_arrival)
        self._prev = cur
        self._cur = _Group(send, send, arrival, arrival)
        return out

    @staticmethod
    def _same_group(cur: _Group, send: float, arrival: float) -> bool:
        if send - cur.first_send <= BURST:
            return True
        arrival_delta = arrival - cur.last_arrival
        propagation = arrival_delta - (send - cur.last_send)
        return propagation < 0 and arrival_delta <= BURST and arrival - cur.first_arrival < 0.1


class TrendlineEstimator:
    """The delay trend of the last ``TRENDLINE_WINDOW`` groups and GoogCC's over-use
    detector with its adaptive threshold (all in ms, as libwebrtc's constants are)."""

    def __init__(self) -> None:
        self._points: collections.deque[tuple[float, float]] = collections.deque()
        self._acc = 0.0
        self._smoothed = 0.0
        self._first: float | None = None
        self.num_deltas = 0
        self.trend = 0.0
        self._prev_trend = 0.0
        self.threshold = 12.5
        self._threshold_at: float | None = None
        self._overuse_ms = -1.0
        self._overuse_count = 0
        self.usage = Usage.NORMAL
        self.modified_trend = 0.0

    def update(self, send_delta: float, arrival_delta: float, arrival: float) -> Usage:
        delta_ms = (arrival_delta - send_delta) * 1000
        self.num_deltas = min(self.num_deltas + 1, 1000)
        if self._first is None:
            self._first = arrival
        self._acc += delta_ms
        self._smoothed = SMOOTHING * self._smoothed + (1 - SMOOTHING) * self._acc
        self._points.append(((arrival - self._first) * 1000, self._smoothed))
        if len(self._points) > TRENDLINE_WINDOW:
            self._points.popleft()
        if len(self._points) == TRENDLINE_WINDOW:
            slope = _slope(self._points)
            if slope is not None:
                self.trend = slope
        self._detect(send_delta * 1000, arrival)
        return self.usage

    def _detect(self, send_delta_ms: float, now: float) -> None:
        if self.num_deltas < 2:
            return
        modified = min(self.num_deltas, 60) * self.trend * THRESHOLD_GAIN
        self.modified_trend = modified
        if modified > self.threshold:
            if self._overuse_ms == -1:
                self._overuse_ms = send_delta_ms / 2
            else:
                self._overuse_ms += send_delta_ms
            self._overuse_count += 1
            if (
                self._overuse_ms > OVERUSE_TIME_MS
                and self._overuse_count > 1
                and self.trend >= self._prev_trend
            ):
                self._overuse_ms = 0.0
                self._overuse_count = 0
                self.usage = Usage.OVERUSE
        elif modified < -self.threshold:
            self._overuse_ms = -1.0
            self._overuse_count = 0
            self.usage = Usage.UNDERUSE
        else:
            self._overuse_ms = -1.0
            self._overuse_count = 0
            self.usage = Usage.NORMAL
        self._prev_trend = self.trend
        self._adapt(modified, now)

    def _adapt(self, modified: float, now: float) -> None:
        if self._threshold_at is None:
            self._threshold_at = now
        if abs(modified) > self.threshold + 15.0:
            self._threshold_at = now  # a spike: do not let it drag the threshold up
            return
        k = K_DOWN if abs(modified) < self.threshold else K_UP
        dt_ms = min((now - self._threshold_at) * 1000, 100.0)
        self.threshold += k * (abs(modified) - self.threshold) * dt_ms
        self.threshold = min(600.0, max(6.0, self.threshold))
        self._threshold_at = now


def _slope(points: collections.deque[tuple[float, float]]) -> float | None:
    n = len(points)
    xm = sum(x for x, _ in points) / n
    ym = sum(y for _, y in points) / n
    num = sum((x - xm) * (y - ym) for x, y in points)
    den = sum((x - xm) ** 2 for x, _ in points)
    return num / den if den else None


class LinkCapacity:
    """The acknowledged rate at over-use, averaged, with its spread (kbit/s, as GoogCC)."""

    def __init__(self) -> None:
        self.estimate_kbps: float | None = None
        self._deviation = 0.4

    def on_overuse(self, acked_bps: float) -> None:
        kbps = acked_bps / 1000
        if self.estimate_kbps is None:
            self.estimate_kbps = kbps
        else:
            self.estimate_kbps = 0.95 * self.estimate_kbps + 0.05 * kbps
        norm = max(self.estimate_kbps, 1.0)
        error = self.estimate_kbps - kbps
        self._deviation = 0.95 * self._deviation + 0.05 * error * error / norm
        self._deviation = min(2.5, max(0.4, self._deviation))

    def _spread(self) -> float:
        assert self.estimate_kbps is not None
        return 3 * math.sqrt(self.estimate_kbps * self._deviation)

    def upper_bps(self) -> float:
        if self.estimate_kbps is None:
            return math.inf
        return (self.estimate_kbps + self._spread()) * 1000

    def lower_bps(self) -> float:
        if self.estimate_kbps is None:
            return 0.0
        return (self.estimate_kbps - self._spread()) * 1000

    def reset(self) -> None:
        self.estimate_kbps = None


class AimdRateControl:
    """GoogCC's AIMD rate control: hold, increase, decrease (state machine on the detector's
    signal, after the corroboration rule of :class:`DelayBasedBwe`)."""

    def __init__(self, start_bps: float, min_bps: float, max_bps: float) -> None:
        self.rate = float(start_bps)
        self.min_bps, self.max_bps = float(min_bps), float(max_bps)
        self.state = "hold"
        self.capacity = LinkCapacity()
        self._changed_at: float | None = None
        self._decreased_at = -1e9
        self.decreases = 0

    def set_estimate(self, bps: float, now: float) -> None:
        self.rate = min(self.max_bps, max(self.min_bps, bps))
        self._changed_at = now

    def can_reduce(self, now: float, acked: float | None, rtt: float) -> bool:
        interval = min(0.2, max(0.01, rtt))
        if now - self._decreased_at >= interval:
            return True
        return acked is not None and acked < 0.5 * self.rate

    def update(
        self,
        usage: Usage,
        acked: float | None,
        now: float,
        rtt: float,
        recover_to: float | None = None,
    ) -> float:
        """``recover_to``: what the path carried recently with no queue (see
        :class:`SendSideBwe`); while under it and increasing, the rate grows by
        ``RECOVERY_RATE`` per second instead of a packet per response time."""
        if usage == Usage.OVERUSE:
            self.state = "decrease"
        elif usage == Usage.UNDERUSE:
            self.state = "hold"
        elif self.state == "hold":
            self.state = "increase"
            self._changed_at = now
        changed_at = now if self._changed_at is None else self._changed_at
        dt = max(0.0, now - changed_at)
        if self.state == "increase":
            if acked is not None and acked > self.capacity.upper_bps():
                self.capacity.reset()
            limit = math.inf if acked is None else 1.5 * acked + 10_000
            if recover_to is not None:
                limit = max(limit, recover_to)
            if self.rate < limit:
                if recover_to is not None and self.rate < recover_to:
                    grown = min(recover_to, self.rate * RECOVERY_RATE ** min(dt, 1.0))
                elif self.capacity.estimate_kbps is not None:
                    grown = self.rate + self._additive(rtt) * dt
                else:
                    grown = self.rate + max(self.rate * (1.08 ** min(dt, 1.0) - 1), 1000 * dt)
                self.rate = max(self.rate, min(grown, limit))
            self._changed_at = now
        elif self.state == "decrease":
            if acked is not None:
                cut = BETA * acked
                if cut > 5000:
                    cut -= 5000
                if cut > self.rate and self.capacity.estimate_kbps is not None:
                    cut = BETA * self.capacity.estimate_kbps * 1000
                if cut < self.rate:
                    self.rate = cut
                    self.decreases += 1
                if acked < self.capacity.lower_bps():
                    self.capacity.reset()
                self.capacity.on_overuse(acked)
            self.state = "hold"
            self._changed_at = now
            self._decreased_at = now
        else:
            self._changed_at = now
        self.rate = min(self.max_bps, max(self.min_bps, self.rate))
        return self.rate

    def _additive(self, rtt: float) -> float:
        """bit/s per second near the link's capacity: about one packet per response time."""
        frame_bits = self.rate / 30
        packets = max(1.0, math.ceil(frame_bits / (1200 * 8)))
        return max(4000.0, (frame_bits / packets) / (rtt + 0.1))


class AcknowledgedBitrate:
    """What arrived (bit/s) over the last ``window`` s of arrivals, probes left out."""

    def __init__(self, window: float = 0.5) -> None:
        self.window = window
        self._arrivals: collections.deque[tuple[float, int]] = collections.deque()
        self._bytes = 0

    def add(self, arrival: float, size: int) -> None:
        self._arrivals.append((arrival, size))
        self._bytes += size
        latest = max(arrival, self._arrivals[-1][0])
        while self._arrivals and latest - self._arrivals[0][0] > self.window:
            self._bytes -= self._arrivals.popleft()[1]

    @property
    def bps(self) -> float | None:
        if len(self._arrivals) < 2:
            return None
        span = self._arrivals[-1][0] - self._arrivals[0][0]
        if span < 0.15:
            return None
        return self._bytes * 8 / max(span, self.window * 0.5)


class RecentRate:
    """Bytes confirmed over the last ``window`` s before ``now`` (bit/s)."""

    def __init__(self, window: float = 1.0) -> None:
        self.window = window
        self._events: collections.deque[tuple[float, int]] = collections.deque()
        self._bytes = 0

    def add(self, now: float, size: int) -> None:
        self._events.append((now, size))
        self._bytes += size

    def bps(self, now: float) -> float:
        while self._events and now - self._events[0][0] > self.window:
            self._bytes -= self._events.popleft()[1]
        return self._bytes * 8 / self.window


class DelayBasedBwe:
    """Inter-arrival groups -> trendline -> corroboration -> AIMD. ``robust=False`` is plain
    GoogCC (every detected over-use cuts), kept for comparison in tests."""

    def __init__(
        self, start_bps: float, min_bps: float, max_bps: float, *, robust: bool = True
    ) -> None:
        self.robust = robust
        self.inter = InterArrival()
        self.trend = TrendlineEstimator()
        self.aimd = AimdRateControl(start_bps, min_bps, max_bps)
        # (arrival, one-way delay) of groups, increasing in both: the front is the minimum of
        # the last DELAY_WINDOW s
        self._delays: collections.deque[tuple[float, float]] = collections.deque()
        self._last_arrival: float | None = None
        self.queue = 0.0
        self.usage = Usage.NORMAL
        self._overuse_since: float | None = None
        self.uncorroborated = 0  # over-use signals that held instead of cutting
        self.probe_raised_at: float | None = None  # (sender clock) a probe raised the rate

    @property
    def rate(self) -> float:
        return self.aimd.rate

    def on_packet(self, p: PacketResult) -> Usage | None:
        """Feed one received packet; the detector's signal when a group completed."""
        assert p.arrival is not None
        out = self.inter.add(p.send_time, p.arrival)
        if out is None:
            return None
        send_delta, arrival_delta, arrival = out
        delay = p.arrival - p.send_time
        # the window's minimum, kept as a monotonic deque (a scan of the 10 s window for every
        # group cost more than the rest of the estimator)
        delays = self._delays
        while delays and delays[-1][1] >= delay:
            delays.pop()
        delays.append((arrival, delay))
        while arrival - delays[0][0] > DELAY_WINDOW:
            delays.popleft()
        self._last_arrival = arrival
        self.queue = max(0.0, delay - delays[0][1])
        self.usage = self.trend.update(send_delta, arrival_delta, arrival)
        if self.usage == Usage.OVERUSE:
            if self._overuse_since is None:
                self._overuse_since = arrival
        else:
            self._overuse_since = None
        return self.usage

    def corroborated(
        self,
        loss: float,
        now: float | None = None,
        acked: float | None = None,
        sent: float | None = None,
    ) -> bool:
        """An over-use signal backed by something a swing of delay does not produce
        (``sent``: what we sent lately, bit/s, lost packets included; ``acked``: what
        arrived)."""
        if not self.robust:
            return True
        if self.queue >= QUEUE_CUT:
            return True
        raised = self.probe_raised_at
        if (
            raised is not None
            and now is not None
            and PROBE_SETTLE <= now - raised <= PROBE_VERIFY
            and self.queue >= STEEP_QUEUE
            and acked is not None
            and sent is not None
            and sent > PROBE_OVERSHOOT * acked
        ):
            # a probe just raised the rate, we send more than arrives and a queue builds: the
            # probe read more than the path carries (a shaper's burst, bunching in a relay);
            # the acknowledged rate, what actually arrives, sets it back. (Sending under the
            # raised rate, a queue is someone else's or a swing: the robust rules above.)
            return True
        # loss backs an over-use only with a queue building: random or bursty loss on a path
        # whose delay is flat (radio, a long lossy route) is not our congestion, and cutting
        # on it each time the trendline twitches dragged a 400 kbit/s, 900 ms, 4 %-bursty path
        # to the 30 kbit/s floor (the loss-based estimate answers heavy loss anyway)
        if loss >= CUT_LOSS and self.queue >= STEEP_QUEUE:
            return True
        if self.trend.trend >= STEEP_TREND and self.queue >= STEEP_QUEUE:
            return True
        since = self._overuse_since
        last = self._last_arrival
        return (
            since is not None
            and last is not None
            and last - since >= SUSTAINED
            and self.queue >= SUSTAINED_QUEUE
        )

    def update(
        self,
        acked: float | None,
        loss: float,
        now: float,
        rtt: float,
        recover_to: float | None = None,
        sent: float | None = None,
    ) -> float:
        usage = self.usage
        if usage == Usage.OVERUSE:
            if not self.corroborated(loss, now, acked, sent):
                self.uncorroborated += 1
                usage = Usage.UNDERUSE  # hold: no increase, no cut
            elif not self.aimd.can_reduce(now, acked, rtt):
                usage = Usage.UNDERUSE
        return self.aimd.update(usage, acked, now, rtt, recover_to)


class LossBasedBwe:
    """Loss from the feedback (packets reported not received), judged per ~20 packets."""

    def __init__(self, start_bps: float, min_bps: float, max_bps: float) -> None:
        self.rate = float(start_bps)
        self.min_bps, self.max_bps = float(min_bps), float(max_bps)
        self._received = 0
        self._lost = 0
        self.loss = 0.0  # of the last judged batch
        self._updated_at: float | None = None
        self._decreased_at = -1e9
        self._recent: collections.deque[tuple[float, int, int]] = collections.deque()

    def on_results(self, results: list[PacketResult], now: float) -> None:
        received = sum(1 for r in results if r.arrival is not None)
        lost = len(results) - received
        self._received += received
        self._lost += lost
        self._recent.append((now, received, lost))
        while self._recent and now - self._recent[0][0] > 1.0:
            self._recent.popleft()

    @property
    def recent_loss(self) -> float:
        """Loss over the last second of feedback."""
        got = sum(r for _, r, _ in self._recent)
        lost = sum(lo for _, _, lo in self._recent)
        return lost / (got + lost) if got + lost else 0.0

    def update(
        self, now: float, delay_based: float, rtt: float, recover_to: float | None = None
    ) -> float:
        total = self._received + self._lost
        last = self._updated_at
        if total >= 20 and (last is None or now - last >= 0.1):
            self.loss = self._lost / total
            self._received = self._lost = 0
            dt = 0.0 if last is None else min(1.0, now - last)
            self._updated_at = now
            if self.loss < LOSS_INCREASE_BELOW:
                grown = self.rate * 1.08**dt + 1000 * dt
                if recover_to is not None and self.rate < recover_to:
                    grown = max(grown, min(recover_to, self.rate * RECOVERY_RATE**dt))
                self.rate = grown
            elif (
                self.loss > LOSS_DECREASE_ABOVE
                and self.recent_loss > LOSS_DECREASE_ABOVE
                and now - self._decreased_at >= 0.3 + rtt
            ):
                # a batch of ~20 packets that caught one loss burst says 15 % on a path
                # losing 4 %: the last second of feedback must say so too, and the cut is
                # by the loss over that second
                self.rate *= 1 - 0.5 * min(self.loss, self.recent_loss)
                self._decreased_at = now
        self.rate = min(self.max_bps, delay_based, max(self.min_bps, self.rate))
        return self.rate


# -- probing ---------------------------------------------------------------------------------


@dataclass
class ProbeCluster:
    id: int
    bps: float
    duration: float = PROBE_DURATION
    sent_packets: int = 0
    sent_bytes: int = 0
    done_at: float | None = None  # the sender finished it

    @property
    def bytes(self) -> int:
        return int(self.bps * self.duration / 8)


def _sustained_rate(by_arrival: list[PacketResult]) -> float | None:
    """The receive rate over the second half of a cluster's arrivals (bit/s, without the
    packet that opens the interval); None when too few or bunched into no time."""
    tail = by_arrival[len(by_arrival) // 2 :]
    if len(tail) < PROBE_TAIL_PACKETS + 1:
        return None
    first, last = tail[0].arrival, tail[-1].arrival
    assert first is not None and last is not None
    if last - first <= 0.0:
        return None
    return sum(r.size for r in tail[1:]) * 8 / (last - first)


def probe_rate(results: list[PacketResult], cluster: ProbeCluster | None = None) -> float | None:
    """A probe cluster's result (bit/s), or None when it says nothing trustworthy.

    After libwebrtc's ProbeBitrateEstimator: at least ``PROBE_MIN_RECEIVED`` of the cluster's
    packets and of its bytes must have arrived (``cluster``: what was sent; else what the
    feedback reported); the send rate is taken over the send span without the last packet
    sent (the span ends when it leaves), the receive rate over the arrival span without the
    first packet received (the span starts when it arrived); a receive rate more than
    ``PROBE_MAX_RATIO`` x the send rate means arrivals bunched behind something (a queue, a
    relay, a descheduled reader): invalid. A receive rate well under the send rate means the
    cluster filled the link: the result is ``PROBE_UTILIZATION`` x that rate, else
    min(send, receive).

    Beyond libwebrtc: the receive rate is also the *sustained* one, over the second half of
    the arrivals, when that is lower. A token-bucket shaper (cable, cellular, a policer; the
    link emulator's 3 kB bucket) lets the head of a cluster through at line rate, and only
    the tail shows what the link carries: a 2 Mbit/s cluster of eight 1.2 kB packets through
    a 1 Mbit/s link with a 3 kB bucket reads 1.27 Mbit/s over its whole span, 1.0 over its
    second half."""
    got = [r for r in results if r.arrival is not None]
    sent_packets = len(results)
    sent_bytes = sum(r.size for r in results)
    if cluster is not None:
        sent_packets = max(sent_packets, cluster.sent_packets)
        sent_bytes = max(sent_bytes, cluster.sent_bytes)
    total = sum(r.size for r in got)
    if (
        len(got) < PROBE_MIN_PACKETS
        or len(got) < PROBE_MIN_RECEIVED * sent_packets
        or total < PROBE_MIN_RECEIVED * sent_bytes
    ):
        return None
    by_send = sorted(got, key=lambda r: r.send_time)
    by_arrival = sorted(got, key=lambda r: r.arrival or 0.0)
    send_interval = by_send[-1].send_time - by_send[0].send_time
    first_arrival = by_arrival[0].arrival
    last_arrival = by_arrival[-1].arrival
    assert first_arrival is not None and last_arrival is not None
    recv_interval = last_arrival - first_arrival
    if not 0 < send_interval <= PROBE_MAX_INTERVAL or not 0 < recv_interval <= PROBE_MAX_INTERVAL:
        return None
    send_rate = (total - by_send[-1].size) * 8 / send_interval
    recv_rate = (total - by_arrival[0].size) * 8 / recv_interval
    if recv_rate > PROBE_MAX_RATIO * send_rate:
        return None
    sustained = _sustained_rate(by_arrival)
    if sustained is not None and sustained < recv_rate:
        recv_rate = sustained
    if recv_rate < PROBE_SATURATED * send_rate:
        return PROBE_UTILIZATION * recv_rate
    return min(send_rate, recv_rate)


class ProbeController:
    """When to probe and how high."""

    def __init__(self, start_bps: float, max_bps: float) -> None:
        self.start_bps, self.max_bps = start_bps, max_bps
        self._next_id = 1
        self._pending: list[ProbeCluster] = []
        self.clusters: dict[int, ProbeCluster] = {}
        self._started = False
        self._waiting_for: float | None = None  # the rate of the last exponential probe
        self._last_probe_at = -1e9
        self._peaks: collections.deque[tuple[float, float]] = collections.deque()
        self._recovery_wait = 2.0
        self.sent = 0
        self.invalid = 0  # clusters whose result was not trustworthy (None)

    def _new(self, bps: float, now: float) -> None:
        cluster = ProbeCluster(self._next_id, min(bps, self.max_bps))
        self._next_id += 1
        self._pending.append(cluster)
        self.clusters[cluster.id] = cluster
        self._last_probe_at = now
        self.sent += 1

    def start(self, now: float) -> None:
        """The transport is up: probe at 3x and 6x the start rate."""
        if self._started:
            return
        self._started = True
        self._new(3 * self.start_bps, now)
        self._new(6 * self.start_bps, now)
        self._waiting_for = min(6 * self.start_bps, self.max_bps)

    def on_result(self, bps: float, now: float) -> None:
        waiting = self._waiting_for
        if waiting is not None and bps > 0.7 * waiting and bps < self.max_bps:
            self._new(2 * bps, now)
            self._waiting_for = min(2 * bps, self.max_bps)
        else:
            self._waiting_for = None

    def tick(self, now: float, estimate: float, sent_bps: float, calm: bool) -> None:
        """Probes in application-limited periods, and back toward a recent peak after a drop
        (on a calm link: no loss, no over-use; the wait doubles while they fail)."""
        self._peaks.append((now, estimate))
        while self._peaks and now - self._peaks[0][0] > 60.0:
            self._peaks.popleft()
        if not self._started or self._pending or estimate >= self.max_bps or not calm:
            return
        since = now - self._last_probe_at
        peak = max(e for _, e in self._peaks)
        if estimate < 0.6 * peak and since >= self._recovery_wait:
            self._recovery_wait = min(8.0, self._recovery_wait * 2)
            self._new(min(2 * estimate, peak), now)
            self._waiting_for = min(2 * estimate, peak)
        elif sent_bps < ALR_SHARE * estimate and since >= ALR_PROBE_EVERY:
            self._new(2 * estimate, now)
            self._waiting_for = None
        if estimate >= 0.9 * peak:
            self._recovery_wait = 2.0

    def take(self) -> list[ProbeCluster]:
        out, self._pending = self._pending, []
        return out


class SendSideBwe:
    """The send-side estimate of one peer connection (total bit/s, all media and overhead)."""

    def __init__(
        self,
        start_bps: float = 350_000,
        min_bps: float = 30_000,
        max_bps: float = 2_500_000,
        *,
        robust: bool = True,
    ) -> None:
        self.delay = DelayBasedBwe(start_bps, min_bps, max_bps, robust=robust)
        self.loss = LossBasedBwe(start_bps, min_bps, max_bps)
        self.acked = AcknowledgedBitrate()
        # what we sent (by send time, lost packets included, probes left out) of the
        # packets the feedback reported: over what arrived, we feed a queue
        self.sent = AcknowledgedBitrate()
        # data-channel bytes the far side confirmed (SCTP carries no transport-cc number): they
        # crossed the same path, so they count as acknowledged throughput
        self.data_acked = RecentRate()
        self.probes = ProbeController(start_bps, max_bps)
        self._probe_results: dict[int, list[PacketResult]] = {}
        self.probe_estimates: list[float] = []
        self.rtt = 0.1
        self.feedbacks = 0
        self._calm_since: float | None = None
        # (when, acknowledged bit/s) while the path was calm, the front the highest of the
        # last ACKED_PEAK_WINDOW s; cleared by a (corroborated) delay-based cut
        self._acked_peaks: collections.deque[tuple[float, float]] = collections.deque()
        self._decreases = 0
        self.floor_lifts = 0  # feedbacks where the calm floor raised the estimate

    @property
    def target(self) -> int:
        return int(min(self.delay.rate, self.loss.rate))

    def on_feedback(self, results: list[PacketResult], now: float) -> int:
        """The packets one feedback reported (in sequence order); the new target."""
        self.feedbacks += 1
        self.loss.on_results(results, now)
        for r in results:
            if r.probe is not None:
                self._probe_results.setdefault(r.probe, []).append(r)
            else:
                self.sent.add(r.send_time, r.size)
            if r.arrival is None:
                continue
            if r.probe is None:
                self.acked.add(r.arrival, r.size)
            self.delay.on_packet(r)
        self._finish_probes(now)
        loss = self.loss.recent_loss
        acked = self.acked.bps
        data = self.data_acked.bps(now)
        if acked is not None and data > 0.0:
            acked += data
        peak = self.acked_peak(now, acked) if self.delay.robust else None  # plain: GoogCC's
        sent = self.sent.bps
        if sent is not None and data > 0.0:
            sent += data
        delay_rate = self.delay.update(acked, loss, now, self.rtt, peak, sent)
        if self.delay.aimd.decreases != self._decreases:  # a real over-use: the peak is gone
            self._decreases = self.delay.aimd.decreases
            self._acked_peaks.clear()
            peak = None
        self.loss.update(now, delay_rate, self.rtt, peak)
        if peak is not None and loss < FLOOR_MAX_LOSS:
            # calm: no queue, no over-use. Whatever it lost, the path just carried ``peak``;
            # the estimate does not sink under a share of it (a real capacity drop builds a
            # queue first, and the floor is off then)
            floor = FLOOR_SHARE * peak
            if self.target < floor:
                self.floor_lifts += 1
            self.delay.aimd.rate = max(self.delay.aimd.rate, floor)
            self.loss.rate = max(self.loss.rate, min(floor, self.delay.aimd.rate))
        # calm enough to probe: no over-use, no queue of ours, and loss the loss-based
        # estimate grows through (a 2 % bar broke on every second of feedback that held two
        # lost packets of a hundred, as a 1 %-lossy path often does, and each break
        # restarted the second of calm probes wait for)
        calm = (
            loss < LOSS_INCREASE_BELOW
            and self.delay.usage != Usage.OVERUSE
            and self.delay.queue < CALM_QUEUE
        )
        if not calm:
            self._calm_since = None
        elif self._calm_since is None:
            self._calm_since = now
        return self.target

    def acked_peak(self, now: float, acked: float | None) -> float | None:
        """The highest acknowledged rate of the last ``ACKED_PEAK_WINDOW`` s while the path
        was calm (queue under ``CALM_QUEUE``, no over-use); None while it is not calm now."""
        peaks = self._acked_peaks
        calm = self.delay.queue < CALM_QUEUE and self.delay.usage != Usage.OVERUSE
        if calm and acked is not None:
            while peaks and peaks[-1][1] <= acked:
                peaks.pop()
            peaks.append((now, acked))
        while peaks and now - peaks[0][0] > ACKED_PEAK_WINDOW:
            peaks.popleft()
        return peaks[0][1] if calm and peaks else None

    def _finish_probes(self, now: float) -> None:
        for cid in list(self._probe_results):
            cluster = self.probes.clusters.get(cid)
            if cluster is None:
                del self._probe_results[cid]
                continue
            results = self._probe_results[cid]
            if cluster.done_at is None or len(results) < 0.8 * cluster.sent_packets:
                if cluster.done_at is not None and now - cluster.done_at > 2.0:
                    del self._probe_results[cid]  # never answered in full: nothing learnt
                    del self.probes.clusters[cid]
                continue
            del self._probe_results[cid]
            del self.probes.clusters[cid]
            bps = probe_rate(results, cluster)
            if bps is None:
                self.probes.invalid += 1
                self.probes.on_result(0.0, now)
                continue
            self.probe_estimates.append(bps)
            # a probe raises the estimate to what the path was measured to carry, never while
            # over-using (libwebrtc applies a probe only then too); what arrives afterwards
            # bounds it: an over-use with a queue building in the next PROBE_VERIFY s cuts to
            # the acknowledged rate (DelayBasedBwe.corroborated)
            if (
                bps > self.delay.rate
                and self.loss.recent_loss < LOSS_DECREASE_ABOVE
                and self.delay.usage != Usage.OVERUSE
            ):
                self.delay.aimd.set_estimate(bps, now)
                self.delay.probe_raised_at = now
                self.loss.rate = max(self.loss.rate, min(bps, self.loss.max_bps))
            self.probes.on_result(bps, now)

    def poll_probes(self, now: float, sent_bps: float) -> list[ProbeCluster]:
        """Clusters to send now (the first call starts the initial probes)."""
        self.probes.start(now)
        calm = self._calm_since is not None and now - self._calm_since >= 1.0
        self.probes.tick(now, self.target, sent_bps, calm)
        return self.probes.take()

    def stats(self) -> dict[str, float | int | str]:
        return {
            "bwe_kbps": self.target // 1000,
            "bwe_delay_kbps": int(self.delay.rate) // 1000,
            "bwe_loss_kbps": int(self.loss.rate) // 1000,
            "bwe_acked_kbps": int(self.acked.bps or 0) // 1000,
            "bwe_queue_ms": round(1000 * self.delay.queue, 1),
            "bwe_usage": self.delay.usage.value,
            "bwe_feedbacks": self.feedbacks,
            "bwe_probes": self.probes.sent,
            "bwe_probes_invalid": self.probes.invalid,
            "bwe_delay_cuts": self.delay.aimd.decreases,
            "bwe_held_overuse": self.delay.uncorroborated,
            "bwe_floor_lifts": self.floor_lifts,
        }
