"""Fails loudly when aiortc or PyAV's bundled codecs change under media/quality."""

from __future__ import annotations

import asyncio
import inspect

import aiortc
import pytest
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcpeerconnection import RTCPeerConnection
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender

from media.quality import _native, rtp


def test_the_aiortc_version_is_the_one_the_layer_targets() -> None:
    assert aiortc.__version__.startswith(rtp.AIORTC_TARGET)


def test_the_private_members_we_replace_still_exist() -> None:
    receiver = inspect.getsource(RTCRtpReceiver)
    for name in (
        "self.__jitter_buffer",
        "self.__nack_generator",
        "self.__decoder_queue",
        "self.__decoder_thread",
        "self.__timestamp_mapper",
        "self.__codecs",
        "pli_flag, encoded_frame = self.__jitter_buffer.add(packet)",
        "packet._data = depayload(codec, packet.payload)",
        "self.__lsr_time[packet.ssrc] = time.time()",  # dated at arrival by QualityReceiver
    ):
        assert name in receiver, name
    sender = inspect.getsource(RTCRtpSender)
    for name in (
        "self.__encoder",
        "self.__force_keyframe",
        "self.__rtp_history",
        "self.__rtp_header_extensions_map",
        "self.__rtt",
        "self.__mid",
        "self.__octet_count",
        "self.__packet_count",
        "self.__rtp_started",
        "self.__rtp_exited",
        "async def _run_rtp(self, codec",
        "async def _next_encoded_frame(",
        "self.__rtx_payload_type",
        "self.__rtx_sequence_number",
        "packet = wrap_rtx(",
    ):
        assert name in sender, name
    pc = inspect.getsource(RTCPeerConnection)
    assert "def __createTransceiver(" in pc
    # transport-cc: the tables negotiation reads, and the raw RTCP entry point we hook
    assert "HEADER_EXTENSIONS[media.kind], media.rtp.headerExtensions" in pc
    assert "CODECS[transceiver.kind][:]" in pc
    assert "async def _handle_rtcp_data(self, data: bytes)" in inspect.getsource(RTCDtlsTransport)
    assert "sender=RTCRtpSender(sender_track or kind, dtlsTransport)" in pc


def test_libvpx_and_libopus_load_with_the_checked_layout() -> None:
    v = _native.vpx()  # raises on an unknown version or a moved config field
    assert v.version.startswith(tuple(_native.VPX_ENCODER_ABI))
    assert _native.opus().opus_get_version_string().startswith(b"libopus 1.")


def test_a_quality_peer_connection_has_our_sender_and_receiver() -> None:
    import asyncio

    async def build() -> None:
        pc = rtp.QualityPeerConnection()
        pc.addTransceiver("audio")
        pc.addTransceiver("video")
        kinds = [(type(t.sender), type(t.receiver)) for t in pc.getTransceivers()]
        assert kinds == [(rtp.QualitySender, rtp.QualityReceiver)] * 2
        assert len(pc.hub.senders) == 2 and len(pc.hub.receivers) == 2
        await pc.close()

    asyncio.run(build())


def test_the_link_state_reaches_the_session_and_its_observer() -> None:
    import asyncio
    from types import SimpleNamespace

    from media import quality

    seen: list[tuple[quality.LinkState, str]] = []

    async def run() -> None:
        pc = quality.new_peer_connection(None)  # type: ignore[arg-type]
        observer = SimpleNamespace(on_link_quality=lambda s, m: seen.append((s, m)))
        from media.session import CallSession

        session = CallSession("http://127.0.0.1:9", "token", "consult", observer=observer)  # type: ignore[arg-type]
        session._pc = pc
        quality.watch_link(session, pc)
        assert session.link_quality == quality.LinkState.GOOD
        c = pc.hub.controller
        t = 0.0
        # the far side reports heavy loss: the estimate falls until it cannot carry video
        while not c.paused and t < 30:
            c.on_loss(0.3, t)
            t += 0.5
        assert session.link_quality == quality.LinkState.WEAK
        assert session.link_message == quality.WEAK_LINK_MESSAGE
        while c.paused and t < 60:  # and then a clean line
            c.on_loss(0.0, t, kind="audio")
            c.tick(t)
            t += 0.5
        assert session.link_quality == quality.LinkState.GOOD
        assert quality.link_stats(session)["send_paused"] is False
        await pc.close()

    asyncio.run(run())
    assert [s for s, _ in seen] == [quality.LinkState.WEAK, quality.LinkState.GOOD]
    assert seen[0][1] == "The link is weak: video is paused and will come back by itself."


async def _loopback(a: RTCPeerConnection, b: RTCPeerConnection, seconds: float) -> tuple[str, str]:
    from media.sources import LocalMedia

    for pc in (a, b):
        media = LocalMedia.synthetic(320, 240, 15)
        audio, video = media.audio_track(), media.video_track()
        assert audio is not None and video is not None
        pc.addTrack(audio)
        pc.addTrack(video)
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    offer, answer = a.localDescription.sdp, b.localDescription.sdp
    deadline = asyncio.get_running_loop().time() + 10
    while a.connectionState != "connected" and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    assert a.connectionState == "connected"
    await asyncio.sleep(seconds)
    return offer, answer


def test_transport_cc_is_negotiated_fed_back_both_ways_and_drives_the_rate() -> None:
    from media.quality import twcc
    from media.quality.control import AUDIO_RESERVE

    async def run() -> None:
        stock = RTCPeerConnection()  # the same process: stock keeps aiortc's own tables
        stock.addTransceiver("video")
        assert "transport-cc" not in (await stock.createOffer()).sdp
        await stock.close()
        a, b = rtp.QualityPeerConnection(), rtp.QualityPeerConnection()
        offer, answer = await _loopback(a, b, 4.0)
        for sdp in (offer, answer):
            assert sdp.count(f"a=extmap:{rtp.TWCC_EXT_ID} {twcc.TWCC_URI}") == 2  # audio, video
            fb = [line for line in sdp.splitlines() if line.endswith(" transport-cc")]
            assert any(line.startswith("a=rtcp-fb:96 ") for line in fb)  # Opus
            assert any(line.startswith("a=rtcp-fb:97 ") for line in fb)  # VP8
        for pc in (a, b):
            stats = pc.hub.stats()
            assert stats["twcc_feedback_out"] >= 20 and stats["twcc_feedback_in"] >= 20, stats
            assert stats["bwe_probes"] >= 2 and pc.hub.bwe.probe_estimates, stats
            c = pc.hub.controller
            assert c.estimate_fresh and c.send_estimate is not None
            assert c.remb is None  # transport-cc streams get no REMB: the estimate decides
            assert c.video_budget <= c.send_estimate - AUDIO_RESERVE
            assert pc.hub.decision().bitrate <= max(30_000, c.send_estimate)
            assert sum(s.probes_sent for s in pc.hub.senders) > 0
        # probes are RTX copies of recent video packets: the far side drops them as duplicates
        # before its jitter buffer (where they would count as late and move the playout delay)
        for sender_pc, receiver_pc in ((a, b), (b, a)):
            probes = sum(s.probes_sent for s in sender_pc.hub.senders)
            video = next(r for r in receiver_pc.hub.receivers if r.kind == "video")
            assert 0 < video.duplicates <= probes + sender_pc.hub.stats()["rtx_sent"]
            assert video.buffer.stats.late_packets < probes, video.buffer.stats
        # loopback is fast: the probes lifted the estimate well past the 350 kbit/s start
        assert a.hub.bwe.target > 700_000, a.hub.stats()
        await a.close()
        await b.close()

    asyncio.run(run())


def test_a_stock_peer_gets_no_transport_cc_and_remb_stays_in_charge() -> None:
    from media.quality import twcc

    async def run() -> None:
        a, b = rtp.QualityPeerConnection(), RTCPeerConnection()
        offer, answer = await _loopback(a, b, 5.0)
        assert twcc.TWCC_URI in offer and twcc.TWCC_URI not in answer
        stats = a.hub.stats()
        assert stats["twcc_feedback_in"] == 0 and stats["bwe_probes"] == 0
        assert a.hub.controller.send_estimate is None and a.hub.controller.remb is not None
        await a.close()
        await b.close()

    asyncio.run(run())


def test_transport_cc_switched_off_leaves_two_of_ours_on_remb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from media.quality import twcc

    monkeypatch.setattr(rtp, "TRANSPORT_CC", False)

    async def run() -> None:
        a, b = rtp.QualityPeerConnection(), rtp.QualityPeerConnection()
        offer, answer = await _loopback(a, b, 4.0)
        assert twcc.TWCC_URI not in offer and "transport-cc" not in offer
        assert twcc.TWCC_URI not in answer
        for pc in (a, b):
            stats = pc.hub.stats()
            assert stats["twcc_feedback_in"] == 0 and stats["twcc_feedback_out"] == 0, stats
            assert sum(s.probes_sent for s in pc.hub.senders) == 0
            c = pc.hub.controller
            assert c.send_estimate is None and c.remb is not None
        await a.close()
        await b.close()

    asyncio.run(run())


def test_the_aioice_queue_whose_arrivals_we_stamp_is_unchanged() -> None:
    import aioice
    from aioice import ice, turn

    assert aioice.__version__.startswith(rtp.AIOICE_TARGET)
    source = inspect.getsource(ice)
    # every datagram goes through data_received into the queue recvfrom reads; only None
    # (the wake-ups) is put there otherwise
    assert "self._queue.put_nowait((data, component))" in source
    assert source.count("self._queue.put_nowait(") == 3
    assert "result = await self._queue.get()" in source
    assert "self.receiver.data_received(data, self.local_candidate.component)" in source
    # TURN-relayed data reaches the same StunProtocol.datagram_received
    assert inspect.getsource(turn).count("self.receiver.datagram_received(") == 2
