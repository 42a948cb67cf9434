"""The link emulator itself: the model of one direction (rate, queue, delay, jitter, loss,
bursts, outages, scripts) on its own, then real UDP packets between two namespaces through the
relay process, measured from the outside."""

from __future__ import annotations

import itertools
import socket
import threading
import time

import pytest

from tests.support.link_emulator import EmulatedLink, GilbertElliott, Profile, Shaper, link


def _feed(shaper: Shaper, n: int, size: int, every: float, t0: float = 0.0) -> list[float | None]:
    return [shaper.admit(t0 + i * every, size) for i in range(n)]


def test_rate_cap_spaces_packets_at_the_link_rate():
    s = Shaper([(0, Profile(rate_kbps=800, bucket_bytes=0, queue_bytes=10**9))], seed=1)
    out = _feed(s, 100, 1000, 0.0)  # a burst of 100 packets of 1000 bytes at once
    assert all(t is not None for t in out)
    span = out[-1] - out[0]  # type: ignore[operator]
    assert span == pytest.approx(99 * 1000 * 8 / 800_000, rel=1e-6)  # 10 ms per packet


def test_queue_builds_delay_then_tail_drops():
    s = Shaper([(0, Profile(rate_kbps=300, queue_bytes=30_000))], seed=1)
    out = _feed(s, 100, 1200, 0.001)  # 9.6 Mbit/s offered into 300 kbit/s
    delivered = [t for t in out if t is not None]
    assert 20 <= len(delivered) <= 30  # the queue holds 30 kB, the rest is tail-dropped
    stats = s.stats()["totals"]
    assert stats["queue"] == 100 - len(delivered)
    # the last one admitted waited about queue_bytes / rate = 0.8 s
    worst = max(t - i * 0.001 for i, t in enumerate(out) if t is not None)
    assert 0.6 < worst < 0.9


def test_delay_and_jitter_without_reordering():
    s = Shaper([(0, Profile(delay_ms=150, jitter_ms=40))], seed=3)
    out = _feed(s, 500, 200, 0.002)
    assert all(t is not None for t in out)
    delays = [t - i * 0.002 for i, t in enumerate(out)]  # type: ignore[operator]
    assert min(delays) >= 0.110 - 1e-9
    assert max(delays) <= 0.190 + 0.004
    assert out == sorted(out)  # type: ignore[type-var]
    r = Shaper([(0, Profile(delay_ms=150, jitter_ms=40, reorder=True))], seed=3)
    out_r = _feed(r, 500, 200, 0.002)
    assert out_r != sorted(out_r)  # type: ignore[type-var]


def test_random_and_burst_loss_rates():
    s = Shaper([(0, Profile(loss_pct=5))], seed=7)
    lost = sum(t is None for t in _feed(s, 20_000, 100, 0.001))
    assert 0.045 < lost / 20_000 < 0.055
    ge = GilbertElliott.bursts(loss_pct=4, mean_burst=5)
    assert ge.mean_loss == pytest.approx(0.04, rel=1e-6)
    b = Shaper([(0, Profile(bursts=ge))], seed=7)
    out = _feed(b, 50_000, 100, 0.001)
    assert 0.035 < sum(t is None for t in out) / 50_000 < 0.045
    runs, run = [], 0
    for t in out:
        if t is None:
            run += 1
        elif run:
            runs.append(run)
            run = 0
    assert 4 < sum(runs) / len(runs) < 6  # losses come in bursts of ~5


def test_script_over_time_and_outage_drops_what_is_in_flight():
    s = Shaper([(0, Profile()), (10, Profile.down()), (12, link(2000, 100))], seed=1)
    assert s.admit(5.0, 100) == 5.0
    assert s.admit(10.5, 100) is None
    assert s.admit(12.5, 100) == pytest.approx(12.55)
    assert s.deliverable(12.55, 100)
    t = s.admit(9.99, 100)  # admitted just before the outage ...
    assert t is not None
    s2 = Shaper([(0, link(None, 200)), (1, Profile.down())], seed=1)
    due = s2.admit(0.95, 100)
    assert due is not None and not s2.deliverable(due, 100)  # ... lost in flight
    assert s2.stats()["totals"]["outage"] == 1


# -- real packets through the relay ------------------------------------------------------


@pytest.fixture
def udp_link(tmp_path):
    with EmulatedLink(tmp_path) as emu:
        a = emu.socket("a")
        a.bind((emu.addr_a, 5000))
        b = emu.socket("b")
        b.bind((emu.addr_b, 5000))
        b.settimeout(2.0)
        try:
            yield emu, a, b
        finally:
            a.close()
            b.close()


class _Receiver(threading.Thread):
    """Collects (payload, arrival time) on a socket while the test sends."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(daemon=True)
        self.sock, self.got = sock, []
        self.stop = threading.Event()
        sock.settimeout(0.05)
        self.start()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                data, _ = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            self.got.append((data, time.monotonic()))

    def wait(self, seconds: float) -> list[tuple[bytes, float]]:
        time.sleep(seconds)
        self.stop.set()
        self.join()
        return self.got


def test_udp_through_the_relay_has_the_delay_and_loss_asked_for(udp_link):
    emu, a, b = udp_link
    emu.schedule([(0, link(None, rtt_ms=200))], [(0, Profile())])
    sent = time.monotonic()
    a.sendto(b"ping", (emu.addr_b, 5000))
    b.recvfrom(100)
    assert 0.095 < time.monotonic() - sent < 0.160  # 100 ms one way (+ scheduling)
    b.sendto(b"back", (emu.addr_a, 5000))  # the other direction is not delayed
    a.settimeout(2.0)
    sent = time.monotonic()
    a.recvfrom(100)
    assert time.monotonic() - sent < 0.05

    emu.set(link(None, loss_pct=10))
    rx = _Receiver(b)
    for i in range(2000):
        a.sendto(i.to_bytes(4, "big"), (emu.addr_b, 5000))
        if i % 50 == 0:
            time.sleep(0.002)
    got = rx.wait(1.0)
    assert 0.07 < 1 - len(got) / 2000 < 0.13
    totals = emu.stats()["ab"]["totals"]
    assert totals["loss"] == 2000 - len(got)


def test_udp_rate_cap_and_queueing_delay(udp_link):
    emu, a, b = udp_link
    emu.set(link(500, queue_bytes=40_000), "ab")
    rx = _Receiver(b)
    start = time.monotonic()
    for _ in range(120):  # 120 kB at once into 500 kbit/s with a 40 kB queue
        a.sendto(b"x" * 972, (emu.addr_b, 5000))  # 1000 bytes with IP and UDP headers
    got = rx.wait(1.5)
    span = got[-1][1] - got[0][1]
    rate = (len(got) - 1) * 1000 * 8 / span / 1000
    assert 450 < rate < 560, rate
    assert 38 <= len(got) <= 46  # the queue's worth; the rest tail-dropped
    assert got[-1][1] - start == pytest.approx(40_000 * 8 / 500_000, abs=0.12)
    stats = emu.stats()["ab"]
    assert stats["totals"]["queue"] == 120 - len(got)
    assert max(b["qdelay_max"] for b in stats["bins"]) > 500


def test_udp_outage_then_recovery_and_a_new_address(udp_link):
    emu, a, b = udp_link
    emu.schedule([(0, Profile()), (0.3, Profile.down()), (0.8, Profile())])
    rx = _Receiver(b)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 1.2:
        a.sendto(b"x", (emu.addr_b, 5000))
        time.sleep(0.01)
    got = rx.wait(0.3)
    times = [t - t0 for _d, t in got]
    gap = max(y - x for x, y in itertools.pairwise(times))
    assert 0.4 < gap < 0.65
    # a network change: b's old address no longer answers, its new one does
    b.settimeout(2.0)
    new = emu.move_address("b")
    nb = emu.socket("b")
    nb.bind((new, 5000))
    nb.settimeout(2.0)
    a.sendto(b"hello", (new, 5000))
    assert nb.recvfrom(100)[0] == b"hello"
    nb.close()
