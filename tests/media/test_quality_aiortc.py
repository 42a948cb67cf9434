"""Fails loudly when aiortc or PyAV's bundled codecs change under media/quality."""

from __future__ import annotations

import inspect

import aiortc
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
    ):
        assert name in sender, name
    pc = inspect.getsource(RTCPeerConnection)
    assert "def __createTransceiver(" in pc
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
        while not c.paused and t < 10:  # the far side reports heavy loss
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
