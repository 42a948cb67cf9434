"""The send-side estimator on simulated links: a sender paced at its estimate, a bottleneck
with a drop-tail queue, optional smooth delay swings, and transport-cc feedback every 50 ms
through the real packet format (:mod:`media.quality.twcc`) back to :class:`SendSideBwe`."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from media.quality import gcc, twcc

STEP = 0.005
FEEDBACK_EVERY = 0.05


@dataclass
class Link:
    capacity: Callable[[float], float]  # bit/s at time t
    base: float = 0.04  # one-way propagation, s
    swing: Callable[[float], float] = lambda t: 0.0  # extra delay, s (not a queue)
    queue_limit: float = 0.3  # s of queue before tail drop
    free_at: float = 0.0
    lost: Callable[[], bool] = lambda: False  # loss on the way, after the queue

    def send(self, t: float, size: int) -> float | None:
        start = max(t, self.free_at)
        if start - t > self.queue_limit:
            return None
        self.free_at = start + size * 8 / self.capacity(start)
        if self.lost():
            return None
        return self.free_at + self.base + self.swing(self.free_at)


def random_loss(rate: float, seed: int = 1) -> Callable[[], bool]:
    rng = random.Random(seed)
    return lambda: rng.random() < rate


def bursty_loss(rate: float, mean_burst: float, seed: int = 1) -> Callable[[], bool]:
    """Gilbert-Elliott with every packet lost in the bad state: ``rate`` on average, in
    bursts of ``mean_burst`` packets."""
    rng = random.Random(seed)
    leave = 1.0 / mean_burst
    enter = rate * leave / (1.0 - rate)
    state = [False]

    def lost() -> bool:
        state[0] = (rng.random() >= leave) if state[0] else (rng.random() < enter)
        return state[0]

    return lost


@dataclass
class Sim:
    link: Link
    bwe: gcc.SendSideBwe = field(default_factory=gcc.SendSideBwe)
    history: twcc.SendHistory = field(default_factory=twcc.SendHistory)
    recorder: twcc.ArrivalRecorder = field(default_factory=twcc.ArrivalRecorder)
    t: float = 0.0
    trace: list[tuple[float, int]] = field(default_factory=list)
    video: bool = True  # False: audio only (video paused), the sender application-limited
    probe_size: int = 250  # bytes per probe packet (rtp.py sends ~1.2 kB copies of media)
    video_max: float = math.inf  # bit/s the encoder puts out at most (application-limited)

    def __post_init__(self) -> None:
        self._scheduled: list[tuple[float, int, int, int | None]] = []  # send at, n, size, probe
        self._arrivals: list[tuple[float, int]] = []
        self._feedback: list[tuple[float, bytes]] = []
        self._n = 0
        self._queued = 0.0  # pacer backlog, bytes
        self._next_frame = 0.0
        self._next_audio = 0.0
        self._next_fb = FEEDBACK_EVERY
        self._probe_free_at = 0.0
        # (start, end, cluster) of clusters under way: media sent meanwhile is tagged with
        # the cluster and counts in it, as rtp.py tags every packet leaving during a probe
        self._probing: list[tuple[float, float, gcc.ProbeCluster]] = []

    def _schedule(self, at: float, size: int, probe: int | None = None) -> None:
        self._n += 1
        heapq.heappush(self._scheduled, (at, self._n, size, probe))

    def run(self, until: float) -> None:
        while self.t < until:
            self._step()
            self.t += STEP

    def _step(self) -> None:
        t = self.t
        target = self.bwe.target
        if t >= self._next_audio:
            self._schedule(t, 120)
            self._next_audio += 0.02
        if t >= self._next_frame:  # video frames at the budget, paced at 1.5x the target
            if self.video:
                self._queued += max(0.0, min(target - 45_000, self.video_max) / 30 / 8)
            self._next_frame += 1 / 30
        budget = 1.5 * target * STEP / 8
        at = t
        while self._queued >= 1 and budget > 0:
            size = int(min(1200, self._queued))
            self._queued -= size
            budget -= size
            self._schedule(at, size + 50)
            at += STEP * (size / (1.5 * target * STEP / 8))
        start = max(t, self._probe_free_at)
        for cluster in self.bwe.poll_probes(t, self.history.sent_bps(t)):  # one after another
            size = self.probe_size
            n = max(gcc.PROBE_CLUSTER_PACKETS, -(-cluster.bytes // size))
            for i in range(n):
                self._schedule(start + i * size * 8 / cluster.bps, size, cluster.id)
            cluster.sent_packets, cluster.sent_bytes = n, n * size
            end = start + (n - 1) * size * 8 / cluster.bps
            self._probing.append((start, end, cluster))
            start += n * size * 8 / cluster.bps
            cluster.done_at = self._probe_free_at = start
        while self._scheduled and self._scheduled[0][0] < t + STEP:
            send_at, _, size, probe = heapq.heappop(self._scheduled)
            while self._probing and self._probing[0][1] < send_at:
                self._probing.pop(0)
            if probe is None and self._probing and self._probing[0][0] <= send_at:
                cluster = self._probing[0][2]
                probe = cluster.id
                cluster.sent_packets += 1
                cluster.sent_bytes += size
            seq = self.history.next_seq()
            self.history.on_sent(seq, send_at, size, probe)
            arrival = self.link.send(send_at, size)
            if arrival is not None:
                heapq.heappush(self._arrivals, (arrival, seq))
        while self._arrivals and self._arrivals[0][0] < t + STEP:
            arrival, seq = heapq.heappop(self._arrivals)
            self.recorder.on_packet(seq & 0xFFFF, arrival, ssrc=1)
        if t >= self._next_fb:
            self._next_fb += FEEDBACK_EVERY
            for data in self.recorder.build(sender_ssrc=2):
                self._feedback.append((t + self.link.base, data))
        while self._feedback and self._feedback[0][0] <= t:
            _, data = self._feedback.pop(0)
            payloads, _ = twcc.split_rtcp(data)
            for payload in payloads:
                results = self.history.on_feedback(twcc.parse_feedback(payload))
                self.bwe.on_feedback(results, t)
        self.trace.append((round(t, 3), self.bwe.target))

    def at(self, t: float) -> int:
        """The estimate at ``t`` (the last one before it)."""
        return [v for when, v in self.trace if when <= t][-1]

    def lowest(self, start: float, end: float) -> int:
        return min(v for when, v in self.trace if start <= when <= end)


def test_probing_reaches_a_2_mbit_link_within_3_s() -> None:
    sim = Sim(Link(lambda t: 2_000_000))
    sim.run(6.0)
    reached = next((t for t, v in sim.trace if v >= 1_600_000), None)
    assert reached is not None and reached <= 3.0, sim.trace[::40]
    assert sim.bwe.probes.sent >= 2 and sim.bwe.probe_estimates
    assert max(v for _, v in sim.trace) <= 2_300_000  # not over the link for long
    assert sim.bwe.target >= 1_600_000 and sim.bwe.stats()["bwe_kbps"] == sim.bwe.target // 1000


def test_a_capacity_drop_is_detected_within_a_second() -> None:
    sim = Sim(Link(lambda t: 2_000_000 if t < 10 else 500_000))
    sim.run(10.0)
    assert sim.bwe.target >= 1_500_000
    sim.run(11.0)
    assert sim.at(11.0) <= 650_000, sim.trace[1990::10]
    sim.run(20.0)
    late = sim.lowest(15, 20)
    assert late >= 250_000 and max(v for t, v in sim.trace if t >= 15) <= 650_000


def test_the_estimate_comes_back_when_the_link_does() -> None:
    def capacity(t: float) -> float:
        return 300_000 if 8 <= t < 20 else 1_000_000

    sim = Sim(Link(capacity))
    sim.run(35.0)
    assert sim.lowest(10, 20) <= 350_000
    back = next((t for t, v in sim.trace if t >= 20 and v >= 800_000), None)
    assert back is not None and back <= 32.0, sim.trace[4000::100]


def _swing(t: float) -> float:
    """Wi-Fi/3G-like: delay that rises and falls by 100 ms over a few seconds, no queue."""
    return 0.05 + 0.05 * math.sin(2 * math.pi * t / 2.5)


def test_delay_swings_without_a_queue_do_not_collapse_the_estimate() -> None:
    ours = Sim(Link(lambda t: 4_000_000, swing=_swing))
    ours.run(40.0)
    plain = Sim(Link(lambda t: 4_000_000, swing=_swing), bwe=gcc.SendSideBwe(robust=False))
    plain.run(40.0)
    # plain GoogCC: every rising half cuts to 0.85x what arrived
    assert plain.bwe.delay.aimd.decreases >= 5
    assert ours.lowest(10, 40) >= 1_000_000, ours.trace[2000::200]
    assert ours.lowest(10, 40) >= 2 * plain.lowest(10, 40)
    assert ours.bwe.delay.uncorroborated > 0  # the trendline did fire; it only held


def test_a_swinging_link_that_also_loses_capacity_is_still_cut() -> None:
    sim = Sim(Link(lambda t: 2_000_000 if t < 10 else 400_000, swing=_swing))
    sim.run(12.0)
    assert sim.at(11.5) <= 600_000


def _long_lossy(capacity: float, base: float, lost: Callable[[], bool]) -> Sim:
    sim = Sim(Link(lambda t: capacity, base=base, lost=lost))
    sim.bwe.rtt = 2 * base
    return sim


def test_random_or_bursty_loss_without_a_queue_is_not_congestion() -> None:
    """Long lossy paths (the call scenarios 250k/500 ms/2 %, 400k/900 ms/4 % in bursts of 3,
    and a 1 Mbit/s one losing 5 %): the estimate settles near the capacity and stays at
    60 % of it or more; it once sat at its 30 kbit/s floor, climbing a few kbit/s a second."""
    for capacity, base, lost in (
        (250_000, 0.25, random_loss(0.02)),
        (400_000, 0.45, bursty_loss(0.04, 3)),
        (1_000_000, 0.45, random_loss(0.05)),
    ):
        sim = _long_lossy(capacity, base, lost)
        sim.run(40.0)
        assert sim.lowest(15, 40) >= 0.6 * capacity, (capacity, sim.trace[3000::200])
        assert max(v for t, v in sim.trace if t >= 15) <= 1.3 * capacity


def test_an_estimate_far_under_what_the_path_carried_climbs_back_in_seconds() -> None:
    """After a dip (here: forced to 40 kbit/s, as by a spurious cut) on a calm 900 ms path,
    recovery is multiplicative toward what was acknowledged, not a packet per response time."""
    sim = _long_lossy(400_000, 0.45, bursty_loss(0.04, 3, seed=2))
    sim.run(20.0)
    assert sim.bwe.target >= 240_000
    sim.bwe.delay.aimd.set_estimate(40_000, sim.t)
    sim.bwe.loss.rate = 40_000
    dip = sim.t
    sim.run(dip + 6.0)
    assert sim.at(dip + 6.0) >= 240_000, sim.trace[-1200::60]
    assert sim.bwe.floor_lifts > 0


def test_an_estimate_at_its_floor_with_video_paused_probes_its_way_back_on_a_lossy_path() -> None:
    """Issue 21's browser call: the estimate at its 30 kbit/s floor, video paused (audio
    alone: nothing else to measure with), a calm 1 Mbit/s path losing 1 % at random. Probes
    (application-limited, and toward the recent peak) bring it back within seconds, so the
    controller can resume video (media/quality/rtp.py probes while video is paused)."""
    sim = Sim(Link(lambda t: 1_000_000, base=0.075, lost=random_loss(0.01, seed=3)))
    sim.bwe.rtt = 0.15
    sim.run(10.0)
    assert sim.bwe.target >= 600_000
    sim.video = False
    sim.bwe.delay.aimd.set_estimate(30_000, sim.t)
    sim.bwe.loss.rate = 30_000
    probes = sim.bwe.probes.sent
    dip = sim.t
    sim.run(dip + 10.0)
    assert sim.bwe.probes.sent > probes
    assert sim.at(dip + 10.0) >= 300_000, sim.trace[-2000::100]


def test_a_capacity_drop_on_a_long_lossy_path_is_still_followed_within_two_rtt() -> None:
    sim = Sim(Link(lambda t: 1_000_000 if t < 20 else 300_000, base=0.45, lost=random_loss(0.02)))
    sim.bwe.rtt = 0.9
    sim.run(20.0)
    assert sim.bwe.target >= 600_000
    sim.run(20.0 + 2 * 0.9 + 0.2)
    assert sim.at(20.0 + 2 * 0.9 + 0.2) <= 450_000, sim.trace[3900::20]
    sim.run(35.0)
    assert max(v for t, v in sim.trace if t >= 25) <= 450_000


def test_inter_arrival_groups_bursts() -> None:
    ia = gcc.InterArrival()
    out = []
    for i in range(4):  # four 3-packet bursts, 20 ms apart, spread 1 ms each on arrival
        for k in range(3):
            res = ia.add(i * 0.02 + k * 0.001, 1.0 + i * 0.02 + k * 0.001)
            if res is not None:
                out.append(res)
    assert len(out) == 2
    assert all(abs(s - 0.02) < 1e-9 and abs(a - 0.02) < 1e-9 for s, a, _ in out)


def test_probe_rate_is_min_of_send_and_receive() -> None:
    results = [
        twcc.PacketResult(i, 1.0 + i * 0.001, 250, 2.0 + i * 0.002, probe=1) for i in range(20)
    ]
    rate = gcc.probe_rate(results)
    assert rate is not None and abs(rate - 0.95 * 250 * 8 * 19 / 0.038) < 1
    assert gcc.probe_rate(results[:3]) is None


def test_queue_is_the_delay_over_the_window_minimum() -> None:
    """The running minimum (a monotonic deque) matches a scan of the last 10 s of groups."""
    bwe = gcc.DelayBasedBwe(300_000, 30_000, 2_500_000)
    seen: list[tuple[float, float]] = []
    for i in range(3000):
        send = i * 0.01
        delay = 0.05 + 0.04 * math.sin(i / 97) + 0.01 * ((i * 7919) % 13) / 13
        arrival = send + delay
        if bwe.on_packet(twcc.PacketResult(i, send, 1000, arrival)) is None:
            continue
        group_arrival = bwe._last_arrival
        assert group_arrival is not None
        seen.append((group_arrival, bwe._delays[-1][1]))
        window = [d for at, d in seen if group_arrival - at <= gcc.DELAY_WINDOW]
        assert math.isclose(bwe.queue, max(0.0, window[-1] - min(window)), abs_tol=1e-12)


# -- probe results (after libwebrtc's ProbeBitrateEstimator) --------------------------------


def _cluster(
    rate: float,
    deliver: Callable[[float, int], float | None],
    n: int = 10,
    size: int = 1200,
) -> tuple[list[twcc.PacketResult], gcc.ProbeCluster]:
    """``n`` probe packets sent at ``rate`` from t=1 s, each through ``deliver`` (send time,
    size -> arrival or None when lost)."""
    cluster = gcc.ProbeCluster(1, rate, sent_packets=n, sent_bytes=n * size)
    results = []
    for i in range(n):
        send = 1.0 + i * size * 8 / rate
        results.append(twcc.PacketResult(i, send, size, deliver(send, size), probe=1))
    return results, cluster


def _bottleneck(
    capacity: float, bucket: int = 0, base: float = 0.05
) -> Callable[[float, int], float | None]:
    """A FIFO link of ``capacity`` bit/s behind a token bucket of ``bucket`` bytes (full at
    the start: a quiet link lets that much through at line rate)."""
    state = {"free_at": 0.0, "tokens": float(bucket), "at": 0.0}

    def deliver(send: float, size: int) -> float:
        start = max(send, state["free_at"])
        tokens = min(bucket, state["tokens"] + (start - state["at"]) * capacity / 8)
        if tokens >= size:
            depart, state["tokens"] = start, tokens - size
        else:
            depart, state["tokens"] = start + (size - tokens) * 8 / capacity, 0.0
        state["at"] = state["free_at"] = depart
        return depart + base

    return deliver


def test_a_clean_probe_under_the_link_reads_its_send_rate() -> None:
    results, cluster = _cluster(1_000_000, _bottleneck(5_000_000))
    rate = gcc.probe_rate(results, cluster)
    assert rate is not None and abs(rate - 1_000_000) < 20_000, rate


def test_a_probe_over_the_link_reads_the_link() -> None:
    results, cluster = _cluster(2_000_000, _bottleneck(1_000_000))
    rate = gcc.probe_rate(results, cluster)
    assert rate is not None and 0.9e6 <= rate <= 1.0e6, rate


def test_a_shapers_burst_does_not_make_a_probe_read_high() -> None:
    """A 3 kB token bucket (the link emulator's) lets the head of a 2 Mbit/s cluster through
    at once: over its whole span it read 1.27 Mbit/s on a 1 Mbit/s link; the sustained rate
    of its second half is the link's."""
    for n in (8, 10, 16):
        results, cluster = _cluster(2_000_000, _bottleneck(1_000_000, bucket=3000), n=n)
        rate = gcc.probe_rate(results, cluster)
        assert rate is not None and 0.9e6 <= rate <= 1.0e6, (n, rate)


def test_a_probe_whose_arrivals_were_bunched_is_rejected() -> None:
    """Sent over ~40 ms, arrived within 8 ms (held by a queue or a descheduled reader and let
    go at once): the receive rate says nothing about the link."""
    results, cluster = _cluster(2_400_000, lambda send, size: None)
    bunched = [
        twcc.PacketResult(r.seq, r.send_time, r.size, 1.2 + i * 0.0008, probe=1)
        for i, r in enumerate(results)
    ]
    assert gcc.probe_rate(bunched, cluster) is None


def test_a_lossy_probe_is_rejected() -> None:
    results, cluster = _cluster(1_000_000, _bottleneck(5_000_000))
    lost = {2, 5, 7}
    lossy = [
        twcc.PacketResult(r.seq, r.send_time, r.size, None if r.seq in lost else r.arrival, 1)
        for r in results
    ]
    assert gcc.probe_rate(lossy, cluster) is None  # 7 of 10 arrived
    # packets never reported count against it too (what was sent, not what came back)
    assert gcc.probe_rate([r for r in lossy if r.arrival is not None], cluster) is None
    # one lost of ten: still a result
    one = [
        twcc.PacketResult(r.seq, r.send_time, r.size, None if r.seq == 4 else r.arrival, 1)
        for r in results
    ]
    assert gcc.probe_rate(one, cluster) is not None
    # 8 of 10 packets but the two lost were the big ones: under 80 % of the bytes
    sizes = [1200, 1200] + [300] * 8
    mixed = [
        twcc.PacketResult(i, 1.0 + i * 0.004, size, None if i < 2 else 1.05 + i * 0.004, 1)
        for i, size in enumerate(sizes)
    ]
    mixed_cluster = gcc.ProbeCluster(1, 1_000_000, sent_packets=10, sent_bytes=sum(sizes))
    assert gcc.probe_rate(mixed, mixed_cluster) is None


@dataclass
class ShapedLink(Link):
    """:class:`Link` behind a token bucket of ``bucket`` bytes (a shaper's burst)."""

    bucket: int = 3000
    _tokens: float = 3000.0
    _at: float = 0.0

    def send(self, t: float, size: int) -> float | None:
        start = max(t, self.free_at)
        if start - t > self.queue_limit:
            return None
        cap = self.capacity(start)
        tokens = min(self.bucket, self._tokens + (start - self._at) * cap / 8)
        if tokens >= size:
            self.free_at, self._tokens = start, tokens - size
        else:
            self.free_at, self._tokens = start + (size - tokens) * 8 / cap, 0.0
        self._at = self.free_at
        if self.lost():
            return None
        return self.free_at + self.base


def test_probes_through_a_shaper_do_not_raise_the_estimate_over_the_link() -> None:
    """1 Mbit/s behind a 3 kB bucket, 150 ms RTT, 1 % loss (the browser call's link), probes
    of ~1.2 kB copies with the media sent meanwhile counted in, as rtp.py sends them: whether
    the encoder fills the estimate or sends half of it (probes every 5 s then), no probe reads
    over the link and the estimate stays near it. Before, each probe read 1.3 Mbit/s and an
    application-limited sender kept that estimate for good."""
    for video_max in (math.inf, 500_000):
        sim = Sim(
            ShapedLink(lambda t: 1_000_000, base=0.075, lost=random_loss(0.01)),
            probe_size=1200,
            video_max=video_max,
        )
        sim.run(30.0)
        assert len(sim.bwe.probe_estimates) >= 2, video_max
        assert max(sim.bwe.probe_estimates) <= 1_000_000, (video_max, sim.bwe.probe_estimates)
        assert max(v for _, v in sim.trace) <= 1_100_000, (video_max, sim.trace[::100])
        assert sim.lowest(10.0, 30.0) >= 700_000, (video_max, sim.trace[::100])


def test_a_queue_we_feed_right_after_a_probe_raise_cuts_to_what_arrives() -> None:
    """For a few seconds after a probe raised the estimate, an over-use with a modest queue
    is ours when we send more than arrives (the probe read high), and cuts; the same queue
    while sending what arrives, or long after the probe, only holds (the robust rules)."""
    bwe = gcc.DelayBasedBwe(1_500_000, 30_000, 2_500_000)
    bwe.queue, bwe.usage = 0.06, gcc.Usage.OVERUSE
    bwe.probe_raised_at = 10.0
    assert bwe.corroborated(0.0, 11.0, acked=1_000_000, sent=1_400_000)
    assert not bwe.corroborated(0.0, 11.0, acked=1_000_000, sent=1_020_000)  # not ours
    assert not bwe.corroborated(0.0, 10.2, acked=1_000_000, sent=1_400_000)  # its own queue
    assert not bwe.corroborated(0.0, 14.0, acked=1_000_000, sent=1_400_000)  # long after
    bwe.aimd.set_estimate(1_500_000, 10.0)
    rate = bwe.update(1_000_000, 0.0, 11.0, 0.15, sent=1_400_000)
    assert rate <= 0.85 * 1_000_000, rate
