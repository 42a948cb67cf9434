"""Transport-cc feedback: the packet format both ways (Chromium's own packets, as recorded in
pion/rtcp's tests, parse; ours parse back), the RTCP split, and the records at each end."""

from __future__ import annotations

import itertools
import struct

import pytest
from aiortc.rtp import RtcpPacket, RtcpReceiverInfo, RtcpRrPacket

from media.quality import twcc


# Chromium transport-cc feedback packets (RTCP header included), recorded in pion/rtcp's
# transport_layer_cc_test.go ("example1", "example4"; its "example3" sets the
# padding bit over a zero count, which libwebrtc itself rejects)
def _chrome(words: list[int]) -> bytes:
    return bytes(words)


CHROME_EXAMPLE1 = _chrome(
    [0xAF, 0xCD, 0x0, 0x5, 0xFA, 0x17, 0xFA, 0x17, 0x43, 0x3, 0x2F, 0xA0,
     0x0, 0x99, 0x0, 0x1, 0x3D, 0xE8, 0x2, 0x17, 0x20, 0x1, 0x94, 0x1]
)  # fmt: skip
CHROME_EXAMPLE4 = _chrome(
    [0xAF, 0xCD, 0x0, 0x7, 0xFA, 0x17, 0xFA, 0x17, 0x19, 0x3D, 0xD8, 0xBB,
     0x0, 0x4, 0x0, 0x7, 0x10, 0x63, 0x6E, 0x1, 0x20, 0x7, 0x4C, 0x24,
     0x24, 0x10, 0xC, 0xC, 0x10, 0x0, 0x0, 0x3]
)  # fmt: skip


def _one(data: bytes) -> twcc.Feedback:
    feedbacks, rest = twcc.split_rtcp(data)
    assert rest == b"" and len(feedbacks) == 1
    return twcc.parse_feedback(feedbacks[0])


def test_chromium_feedback_parses() -> None:
    fb = _one(CHROME_EXAMPLE1)
    assert (fb.sender_ssrc, fb.media_ssrc) == (4195875351, 1124282272)
    assert (fb.base_seq, fb.reference_time, fb.fb_count) == (153, 4057090, 23)
    assert fb.arrivals == (4057090 * 64_000 + 37_000,)

    fb = _one(CHROME_EXAMPLE4)
    assert fb.base_seq == 4 and fb.fb_count == 1 and len(fb.arrivals) == 7
    got = [a for a in fb.arrivals if a is not None]
    deltas = [b - a for a, b in itertools.pairwise(got)]
    assert deltas == [9000, 9000, 4000, 3000, 3000, 4000]


def test_our_feedback_is_padded_like_libwebrtc_and_parses_back() -> None:
    base = 1_000_000_000
    arrivals: list[int | None] = [base, base + 250, None, None, base + 80_000, base + 79_000]
    arrivals += [None] * 20 + [base + 90_000 + 250 * i for i in range(30)]
    data = twcc.build_feedback(11, 22, 65530, 7, arrivals)
    assert data[1] == 205 and data[0] & 0x1F == 15 and len(data) % 4 == 0
    # the same bytes through aiortc's own header rules: V=2, length in words
    assert data[0] >> 6 == 2 and (struct.unpack("!H", data[2:4])[0] + 1) * 4 == len(data)
    fb = _one(data)
    assert (fb.sender_ssrc, fb.media_ssrc, fb.base_seq, fb.fb_count) == (11, 22, 65530, 7)
    assert fb.arrivals == tuple(arrivals)  # 250 us ticks: these are exact


def test_deltas_are_rounded_without_drift() -> None:
    base = 5_000_000
    arrivals: list[int | None] = [base + 333 * i for i in range(200)]
    fb = _one(twcc.build_feedback(1, 2, 0, 0, arrivals))
    for sent, got in zip(arrivals, fb.arrivals, strict=True):
        assert sent is not None and got is not None
        assert abs(sent - got) <= twcc.TICK_US / 2


def test_a_feedback_must_start_at_a_received_packet() -> None:
    with pytest.raises(ValueError):
        twcc.build_feedback(1, 2, 0, 0, [None, 5])


def test_split_rtcp_takes_feedback_out_of_a_compound_and_leaves_the_rest_to_aiortc() -> None:
    rr = bytes(RtcpRrPacket(ssrc=5, reports=[RtcpReceiverInfo(9, 10, 1, 100, 3, 0, 0)]))
    fb = twcc.build_feedback(1, 2, 10, 0, [64_000_000, 64_001_000, None, 64_003_000])
    feedbacks, rest = twcc.split_rtcp(rr + fb)
    assert rest == rr and len(feedbacks) == 1
    assert [type(p) for p in RtcpPacket.parse(rest)] == [RtcpRrPacket]
    # aiortc alone drops the whole compound (a padded RTPFB is not a multiple of 4 bytes)
    with pytest.raises(ValueError):
        RtcpPacket.parse(rr + CHROME_EXAMPLE1)
    assert twcc.split_rtcp(b"\x80\xc9\x00\x09")[1] == b"\x80\xc9\x00\x09"  # truncated: as is


def test_arrival_recorder_reports_each_packet_once_across_the_wrap() -> None:
    rec = twcc.ArrivalRecorder()
    t = 100.0
    for seq in (65533, 65534, 65535, 0, 2, 3):  # 1 lost
        rec.on_packet(seq, t, ssrc=77)
        t += 0.002
    (first,) = rec.build(sender_ssrc=9)
    fb = _one(first)
    assert fb.base_seq == 65533 and fb.media_ssrc == 77 and fb.fb_count == 0
    assert [a is not None for a in fb.arrivals] == [True, True, True, True, False, True, True]
    rec.on_packet(1, t, ssrc=77)  # the "lost" one, too late: not reported again
    rec.on_packet(4, t + 0.001, ssrc=77)
    (second,) = rec.build(sender_ssrc=9)
    fb2 = _one(second)
    assert fb2.base_seq == 4 and len(fb2.arrivals) == 1 and fb2.fb_count == 1
    assert rec.build(sender_ssrc=9) == []


def test_arrival_recorder_splits_where_a_delta_would_not_fit() -> None:
    rec = twcc.ArrivalRecorder()
    rec.on_packet(1, 10.0, ssrc=1)
    rec.on_packet(2, 20.0, ssrc=1)  # 10 s later: more than a 16-bit delta holds
    packets = rec.build(sender_ssrc=2)
    assert len(packets) == 2
    got = [_one(p) for p in packets]
    assert [g.base_seq for g in got] == [1, 2]
    assert got[1].arrivals[0] is not None and got[0].arrivals[0] is not None
    assert got[1].arrivals[0] - got[0].arrivals[0] == 10_000_000


def test_send_history_joins_feedback_with_what_was_sent() -> None:
    hist = twcc.SendHistory()
    rec = twcc.ArrivalRecorder()
    for i in range(70_000):  # past the 16-bit wrap
        seq = hist.next_seq()
        if i >= 69_990:
            hist.on_sent(seq, 50.0 + i * 1e-5, 1000 + i % 7, probe=3 if i % 2 else None)
            if i != 69_995:
                rec.on_packet(seq & 0xFFFF, 20.0 + i * 1e-5, ssrc=1)
    results: list[twcc.PacketResult] = []
    for data in rec.build(sender_ssrc=2):
        results += hist.on_feedback(_one(data))
    assert [r.seq for r in results] == list(range(69_990, 70_000))
    lost = [r.seq for r in results if r.arrival is None]
    assert lost == [69_995] and hist.lost == 1
    r0 = results[0]
    assert r0.size == 1000 + 69_990 % 7 and r0.probe is None and results[1].probe == 3
    assert r0.arrival is not None and abs(r0.arrival - (20.0 + 69_990e-5)) < 3e-4
    assert hist.sent_bps(50.0 + 70_000e-5, probes=True) > hist.sent_bps(50.0 + 70_000e-5)


def test_arrival_is_stamped_when_the_datagram_enters_python_not_when_it_is_handled() -> None:
    """Two datagrams reach aioice 0.2 s apart while the event loop is blocked before the DTLS
    reader takes them: transport-cc records each at its ``datagram_received`` time (through
    aioice's real protocol, queue and ``recv``), not both at the late moment they are handled."""
    import asyncio
    import time

    from aioice.candidate import Candidate
    from aioice.ice import StunProtocol
    from aiortc import RTCCertificate, RTCDtlsTransport, RTCIceGatherer, RTCIceTransport
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
    from aiortc.rtp import HeaderExtensionsMap, RtpPacket

    from media.quality import rtp

    async def run() -> tuple[list[float], dict[int, float], list[float]]:
        ice = RTCIceTransport(RTCIceGatherer())
        dtls = RTCDtlsTransport(ice, [RTCCertificate.generateCertificate()])
        connection = ice._connection
        connection._nominated[1] = object()  # recv() serves only a connected pair
        hub = rtp.QualityHub()
        receiver = rtp.QualityReceiver("video", dtls, hub)
        ext = HeaderExtensionsMap()
        ext.configure(
            RTCRtpParameters(
                headerExtensions=[RTCRtpHeaderExtensionParameters(id=5, uri=twcc.TWCC_URI)]
            )
        )
        protocol = StunProtocol(connection)
        protocol.local_candidate = Candidate("1", 1, "udp", 1, "127.0.0.1", 9, "host")
        entered: list[float] = []
        handled: list[float] = []

        def arrive(seq: int) -> None:
            packet = RtpPacket(payload_type=96, sequence_number=seq, ssrc=1234)
            packet.padding_size = 200  # a probe's padding: recorded, nothing to decode
            packet.extensions.transport_sequence_number = seq
            entered.append(time.monotonic())
            protocol.datagram_received(packet.serialize(ext), ("127.0.0.1", 10))

        async def reader() -> None:
            for _ in range(2):
                data = await ice._recv()
                handled.append(time.monotonic())
                packet = RtpPacket.parse(data, ext)
                await receiver._handle_rtp_packet(packet, arrival_time_ms=0)

        task = asyncio.ensure_future(reader())
        await asyncio.sleep(0)  # the reader waits on aioice's queue
        loop = asyncio.get_running_loop()
        loop.call_soon(arrive, 7)
        loop.call_soon(time.sleep, 0.2)  # the loop is busy: the reader cannot run
        loop.call_soon(arrive, 8)
        loop.call_soon(time.sleep, 0.2)
        await asyncio.wait_for(task, 5)
        hub.stop()
        state = hub.tcc(dtls)
        recorded = {seq: at / 1e6 for seq, at in state.recorder._arrivals.items()}
        return entered, recorded, handled

    entered, recorded, handled = asyncio.run(run())
    assert sorted(recorded) == [7, 8]
    for seq, at in zip((7, 8), entered, strict=True):
        assert abs(recorded[seq] - at) < 0.005, (seq, recorded[seq] - at)
    assert handled[0] - recorded[7] > 0.35  # handled late: the stamp is not the handling time
    assert recorded[8] - recorded[7] > 0.19  # the spacing on the wire survives the backlog
