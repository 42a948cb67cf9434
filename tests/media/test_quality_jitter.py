"""The time-based video jitter buffer: release by time, the latency cap, keyframe skip."""

from __future__ import annotations

from media.quality.jitter import VideoJitterBuffer, VideoPacket

FRAME = 3000  # 90 kHz ticks at 30 fps


def packets(frame: int, n: int = 2, *, key: bool = False, seq0: int = 100) -> list[VideoPacket]:
    """Frame ``frame`` as ``n`` packets with seqs ``seq0 + frame * n + i``."""
    return [
        VideoPacket(
            seq=(seq0 + frame * n + i) % 65536,
            timestamp=frame * FRAME,
            marker=i == n - 1,
            frame_start=i == 0,
            keyframe=key and i == 0,
            data=bytes([frame % 256, i]),
            arrival=0.0,
        )
        for i in range(n)
    ]


def feed(buf: VideoJitterBuffer, pkts: list[VideoPacket], at: float) -> None:
    for p in pkts:
        p.arrival = at
        buf.insert(p)


def test_complete_continuous_frames_go_out_in_order_as_they_complete() -> None:
    buf = VideoJitterBuffer()
    out = []
    for f in range(10):
        t = f / 30
        feed(buf, packets(f, key=f == 0), t)
        out += buf.pop(t)
    assert [fr.timestamp for fr in out] == [f * FRAME for f in range(10)]
    assert out[0].keyframe and not out[1].keyframe
    assert buf.stats.keyframe_skips == 0


def test_a_frame_waits_for_its_missing_packet_then_goes_when_it_is_repaired() -> None:
    buf = VideoJitterBuffer(max_wait=0.4)
    feed(buf, packets(0, key=True), 0.0)
    assert len(buf.pop(0.0)) == 1
    lost, *rest = packets(1)
    feed(buf, rest, 1 / 30)
    feed(buf, packets(2), 2 / 30)
    assert buf.pop(0.1) == []  # frame 1 is incomplete, frame 2 must wait behind it
    assert buf.missing() == [lost.seq]
    feed(buf, [lost], 0.25)  # the retransmission, one RTT later
    got = buf.pop(0.25)
    assert [f.timestamp for f in got] == [FRAME, 2 * FRAME]
    assert buf.missing() == []


def test_an_unrepaired_hole_is_waited_for_at_most_the_cap_then_skipped_to_a_keyframe() -> None:
    buf = VideoJitterBuffer(max_wait=0.4)
    feed(buf, packets(0, key=True), 0.0)
    buf.pop(0.0)
    feed(buf, packets(1)[1:], 0.033)
    for f in range(2, 6):
        feed(buf, packets(f), f / 30)
    assert buf.pop(0.40) == [] and not buf.want_keyframe  # still within the cap
    assert buf.pop(0.434) == []
    assert buf.want_keyframe  # gave up: ask for a keyframe (PLI), do not wait 512 packets
    assert buf.next_seq is None
    feed(buf, packets(6), 0.45)
    assert buf.pop(0.45) == []  # a delta frame cannot be decoded now
    feed(buf, packets(7, key=True), 0.5)
    got = buf.pop(0.5)
    assert [f.timestamp for f in got] == [7 * FRAME] and got[0].keyframe
    assert not buf.want_keyframe


def test_a_complete_keyframe_after_a_hole_is_taken_at_once() -> None:
    buf = VideoJitterBuffer(max_wait=0.4)
    feed(buf, packets(0, key=True), 0.0)
    buf.pop(0.0)
    feed(buf, packets(1)[:1], 0.033)  # frame 1 loses its second packet
    feed(buf, packets(2, key=True), 0.066)
    got = buf.pop(0.07)  # long before the cap
    assert [f.timestamp for f in got] == [2 * FRAME]
    assert buf.stats.keyframe_skips == 1


def test_a_hole_longer_than_the_sender_can_repair_is_given_up_at_once() -> None:
    buf = VideoJitterBuffer(max_wait=0.4)
    feed(buf, packets(0, key=True), 0.0)
    buf.pop(0.0)
    # an outage: 5 s of frames never arrive, then the link returns
    feed(buf, packets(150), 5.0)
    assert buf.pop(5.0) == []
    assert buf.want_keyframe


def test_release_is_timed_by_measured_jitter_and_capped() -> None:
    buf = VideoJitterBuffer(max_target=0.1)
    # frames arrive 0 or 60 ms late alternately: the buffer learns a playout delay
    released: list[tuple[int, float]] = []
    pending: list[int] = []
    for f in range(300):
        base = f / 30
        arrival = base + (0.06 if f % 2 else 0.0)
        feed(buf, packets(f, key=f == 0), arrival)
        for step in range(4):
            now = arrival + step * 0.01
            for fr in buf.pop(now):
                released.append((fr.timestamp // FRAME, now))
        pending.append(f)
    assert 0.02 < buf.target_delay <= 0.1
    # early frames were held (not released on arrival), so playout is smoother
    early_held = [now - f / 30 for f, now in released[200:] if f % 2 == 0]
    assert min(early_held) >= 0.02
    assert max(now - f / 30 for f, now in released) <= 0.1 + 0.06 + 0.03  # capped


def test_sequence_numbers_wrap() -> None:
    buf = VideoJitterBuffer()
    out = []
    for f in range(6):
        feed(buf, packets(f, key=f == 0, seq0=65530), f / 30)
        out += buf.pop(f / 30)
    assert len(out) == 6


def layered(frame: int, n: int = 2, *, key: bool = False) -> list[VideoPacket]:
    """Two temporal layers: even frames TL0 (TL0PICIDX = frame // 2), odd frames TL1."""
    pkts = packets(frame, n, key=key)
    for p in pkts:
        p.tid, p.tl0 = frame % 2, (frame // 2) % 256
    return pkts


def test_a_lost_upper_layer_frame_is_skipped_without_waiting() -> None:
    buf = VideoJitterBuffer(max_wait=0.4)
    feed(buf, layered(0, key=True), 0.0)
    assert len(buf.pop(0.0)) == 1
    feed(buf, layered(1)[:1], 0.033)  # TL1 frame 1 loses a packet
    feed(buf, layered(2), 0.066)  # the next TL0 frame does not need it
    got = buf.pop(0.07)
    assert [f.timestamp for f in got] == [2 * FRAME]
    assert buf.stats.layer_skips == 1 and not buf.want_keyframe
    feed(buf, layered(3), 0.1)
    assert [f.timestamp for f in buf.pop(0.1)] == [3 * FRAME]


def test_a_lost_base_layer_frame_is_waited_for() -> None:
    buf = VideoJitterBuffer(max_wait=0.4)
    feed(buf, layered(0, key=True), 0.0)
    feed(buf, layered(1), 0.033)
    buf.pop(0.04)
    feed(buf, layered(2)[1:], 0.066)  # TL0 frame 2 loses its first packet
    feed(buf, layered(3), 0.1)  # TL1 of TL0 #1: depends on frame 2
    feed(buf, layered(4), 0.133)  # TL0 #2: depends on frame 2
    assert buf.pop(0.2) == []
    feed(buf, layered(2)[:1], 0.3)  # repaired by NACK
    assert [f.timestamp // FRAME for f in buf.pop(0.3)] == [2, 3, 4]


def test_a_stream_whose_first_keyframe_was_lost_asks_for_one_after_the_cap() -> None:
    """The first keyframe left before this side could decrypt it (a relayed path connects the
    sides apart): delta frames arrive, nothing decodes, and a keyframe is asked for once they
    have waited the cap, not only after some later give-up."""
    buf = VideoJitterBuffer(max_wait=0.4)
    for f in range(1, 10):
        feed(buf, packets(f), f / 30)
        assert buf.pop(f / 30) == []
    assert not buf.want_keyframe  # 0.27 s: still within the cap
    feed(buf, packets(20), 0.5)
    assert buf.pop(0.5) == [] and buf.want_keyframe
    feed(buf, packets(21, key=True), 0.6)
    got = buf.pop(0.6)
    assert [f.timestamp for f in got] == [21 * FRAME] and got[0].keyframe
    assert not buf.want_keyframe
