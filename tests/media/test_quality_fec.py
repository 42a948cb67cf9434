"""media.quality.fec: XOR parity rebuilds a lost packet of a protected frame at once — one
per parity group, bursts of two with interleaving — and nothing is made up otherwise."""

from __future__ import annotations

import random

from media.quality.fec import FecDecoder, MediaPacket, parity, protection


def frame(first_seq: int, n: int, ts: int = 90_000, seed: int = 1) -> list[MediaPacket]:
    rng = random.Random(seed)
    return [
        MediaPacket(
            seq=(first_seq + i) % 65536,
            timestamp=ts,
            marker=i == n - 1,
            payload=bytes(rng.randrange(256) for _ in range(rng.randrange(50, 1200))),
            payload_type=97,
        )
        for i in range(n)
    ]


def deliver(packets: list[MediaPacket], lost: set[int], factor: float) -> list[MediaPacket]:
    dec = FecDecoder()
    got: list[MediaPacket] = []
    for i, p in enumerate(packets):
        if i not in lost:
            got += dec.on_media(p, 0.0)
    for payload in parity(packets, factor):
        got += dec.on_parity(payload, 0.01)
    return got


def test_a_single_lost_packet_is_rebuilt_exactly_wherever_it_was() -> None:
    packets = frame(65530, 9)  # crosses the sequence wrap
    for lost in range(9):
        got = deliver(packets, {lost}, 0.3)
        assert got == [packets[lost]]


def test_a_one_packet_frame_is_protected_by_a_copy() -> None:
    packets = frame(10, 1)
    assert deliver(packets, {0}, 0.2) == packets


def test_interleaving_repairs_a_burst_of_two() -> None:
    packets = frame(100, 6)
    assert len(parity(packets, 0.34)) == 3
    got = deliver(packets, {2, 3}, 0.34)
    assert sorted(p.seq for p in got) == [102, 103]
    assert all(p == packets[p.seq - 100] for p in got)


def test_two_losses_in_one_group_are_left_to_nack_and_repaired_once_one_returns() -> None:
    packets = frame(200, 4)
    dec = FecDecoder()
    dec.on_media(packets[0], 0.0)
    dec.on_media(packets[3], 0.0)
    (payload,) = parity(packets, 0.2)
    assert dec.on_parity(payload, 0.01) == []  # packets 1 and 2 lost: nothing made up
    # the NACK retransmission of packet 1 arrives: packet 2 follows from the parity
    assert dec.on_media(packets[1], 0.3) == [packets[2]]
    assert dec.stats.recovered == 1


def test_no_parity_on_a_clean_link_more_with_loss_less_on_a_short_path() -> None:
    assert protection(0.0, 0.3) == 0.0
    assert protection(0.003, 0.3) == 0.0
    assert protection(0.03, 0.3) == 0.3
    assert protection(0.08, 0.6) == 0.5
    assert protection(0.03, 0.02) == 0.15
    assert parity(frame(0, 5), 0.0) == []


def test_garbage_and_stale_parity_change_nothing() -> None:
    dec = FecDecoder(max_age=1.0)
    packets = frame(300, 3)
    dec.on_media(packets[0], 0.0)
    assert dec.on_parity(b"\x01\x02", 0.0) == []
    assert dec.on_parity(bytes(12), 0.0) == []  # n = 0
    assert dec.stats.malformed == 2
    (payload,) = parity(packets, 0.2)
    assert dec.on_parity(payload, 0.0) == []
    # far too late: the parity has been dropped, nothing is rebuilt from it
    dec.on_media(packets[1], 5.0)
    assert dec.on_media(packets[1], 5.0) == []
    assert dec.stats.recovered == 0
