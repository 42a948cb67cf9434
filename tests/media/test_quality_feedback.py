"""NACK and PLI timed by the round-trip time: no storms, no keyframe request floods."""

from __future__ import annotations

import itertools

from media.quality.feedback import NackScheduler, PliLimiter


def test_a_missing_packet_is_asked_for_at_once_then_once_per_rtt() -> None:
    nacks = NackScheduler(max_retries=3)
    nacks.update([10, 11], now=0.0)
    assert nacks.due(0.0, rtt=0.3) == [10, 11]
    # aiortc stock would re-send the whole list on every new gap; here nothing before an RTT
    for t in (0.05, 0.1, 0.2, 0.3):
        nacks.update([10, 11, 20], now=t)
        assert nacks.due(t, rtt=0.3) == ([20] if t == 0.05 else [])
    assert nacks.due(0.35, rtt=0.3) == [10, 11]
    assert nacks.due(0.70, rtt=0.3) == [10, 11, 20]
    assert nacks.due(1.05, rtt=0.3) == [20]  # 10 and 11 used their 3 tries
    assert nacks.due(2.0, rtt=0.3) == []


def test_repaired_or_abandoned_packets_are_not_asked_for_again() -> None:
    nacks = NackScheduler()
    nacks.update([5, 6], now=0.0)
    nacks.due(0.0, rtt=0.1)
    nacks.update([6], now=0.05)  # 5 arrived
    assert nacks.due(0.2, rtt=0.1) == [6]
    nacks.update([], now=0.3)  # the buffer gave up (skipped to a keyframe)
    assert nacks.due(0.5, rtt=0.1) == []


def test_old_holes_expire() -> None:
    nacks = NackScheduler(max_age=1.0, max_retries=100)
    nacks.update([1], now=0.0)
    assert nacks.due(0.0, rtt=0.05) == [1]
    assert nacks.due(0.9, rtt=0.05) == [1]
    assert nacks.due(1.2, rtt=0.05) == []


def test_wrapping_sequence_numbers_stay_in_order() -> None:
    nacks = NackScheduler()
    nacks.update([65534, 65535, 0, 1], now=0.0)
    assert nacks.due(0.0, rtt=0.1) == [65534, 65535, 0, 1]


def test_pli_at_most_once_per_rtt() -> None:
    plis = PliLimiter(min_interval=0.25, margin=0.1)
    sent = [t / 100 for t in range(0, 300) if plis.allow(t / 100, rtt=0.6)]
    assert len(sent) == 5 and sent[0] == 0.0
    assert all(0.69 <= b - a <= 0.72 for a, b in itertools.pairwise(sent))
    assert plis.suppressed == 300 - 5
    short = PliLimiter(min_interval=0.25)
    assert len([t for t in range(0, 100) if short.allow(t / 100, rtt=0.01)]) == 4
