"""media.quality.fec: XOR parity rebuilds a lost packet of a protected frame at once — one
per parity group, bursts of two with interleaving — and nothing is made up otherwise."""

from __future__ import annotations

import random

import pytest

from media.quality.fec import FecDecoder, FecGrouper, MediaPacket, parity, protection


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


def test_one_packet_frames_are_grouped_so_parity_costs_about_the_factor() -> None:
    """At a low rate every base-layer frame is one packet: each would need a whole copy. The
    grouper closes a group once its parity costs ``factor`` of it, and a lost packet of any
    frame of the group is rebuilt when the group's parity arrives."""
    grouper = FecGrouper()
    dec = FecDecoder()
    frames = [frame(1000 + 2 * i, 1, ts=3000 * i, seed=i) for i in range(20)]  # TL1 between
    parities: list[bytes] = []
    rebuilt: list[MediaPacket] = []
    for i, f in enumerate(frames):
        if i != 7:  # lost
            rebuilt += dec.on_media(f[0], 0.066 * i)
        for payload in grouper.add(f, 0.25, 0.066 * i, max_wait=1.0):
            parities.append(payload)
            rebuilt += dec.on_parity(payload, 0.066 * i + 0.01)
    assert len(parities) == 5  # 20 packets x 0.25, not 20 copies
    assert rebuilt == frames[7]


def test_a_group_closes_after_its_wait_at_a_keyframe_and_before_its_mask_overflows() -> None:
    grouper = FecGrouper()
    assert grouper.add(frame(0, 1), 0.2, 0.0, max_wait=0.1) == []
    assert grouper.add(frame(2, 1), 0.2, 0.05, max_wait=0.1) == []
    assert len(grouper.add(frame(4, 1), 0.2, 0.12, max_wait=0.1)) == 1  # waited long enough
    assert grouper.pending == 0
    assert len(grouper.add(frame(10, 3, seed=3), 0.2, 0.2, close=True)) == 1  # a keyframe
    assert grouper.add(frame(20, 1), 0.2, 0.3, max_wait=9) == []
    # the next packet is 48 sequence numbers on (many upper-layer packets between): the open
    # group is closed first, on its own; every parity still decodes
    out = grouper.add(frame(68, 1), 0.2, 0.31, max_wait=9)
    assert len(out) == 1 and grouper.pending == 1
    with pytest.raises(ValueError):
        parity(frame(0, 1) + frame(48, 1), 0.5)


def test_parity_covers_packets_that_are_not_consecutive() -> None:
    packets = frame(65500, 1, seed=1) + frame(65510, 2, seed=2) + frame(4, 1, seed=3)  # wraps
    for lost in range(4):
        dec = FecDecoder()
        got: list[MediaPacket] = []
        for i, p in enumerate(packets):
            if i != lost:
                got += dec.on_media(p, 0.0)
        for payload in parity(packets, 0.25):
            got += dec.on_parity(payload, 0.01)
        assert got == [packets[lost]]
