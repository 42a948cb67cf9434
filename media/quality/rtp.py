"""The one place where aiortc's internals are replaced — **targets aiortc 1.16.x** (checked at
import; ``tests/media/test_quality_aiortc.py`` fails loudly when aiortc changes under it).

* :class:`QualityPeerConnection` — an ``RTCPeerConnection`` whose transceivers get our sender
  and receiver (its private ``__createTransceiver`` is wrapped: aiortc builds the stock pair,
  we swap in ours on the same DTLS transport before anything has started).
* :class:`QualityReceiver` — aiortc's receiver keeps its SRTP, stats, RTX unwrapping, REMB
  and decoder thread; its packet-count jitter buffer and NACK generator are replaced by an
  intake that feeds :class:`~media.quality.jitter.VideoJitterBuffer` (video, VP8) or
  :class:`~media.quality.jitter.AudioConcealer` (audio, Opus; decoded here with PLC/FEC), with
  NACK/PLI timed by the RTT (:mod:`media.quality.feedback`). Other codecs keep aiortc's buffer.
* :class:`QualitySender` — encoders from :mod:`media.quality.vp8` / :mod:`media.quality.opus`;
  video follows the :class:`~media.quality.control.LinkController` (bitrate live, ladder
  rung by scaling and dropping frames, pause); video packets are paced so audio is never
  queued behind a burst; REMB and receiver reports go to the controller.
* Send-side estimation (transport-cc): inside :class:`QualityPeerConnection`'s negotiation
  aiortc's codec and header-extension tables carry ``a=rtcp-fb:* transport-cc`` and the
  transport-wide sequence number extension (stock peer connections in the same process see
  aiortc's own tables). Every packet sent is stamped and recorded
  (:class:`~media.quality.twcc.SendHistory`); stamped packets received are recorded and fed
  back every 50 ms (:class:`~media.quality.twcc.ArrivalRecorder`), and the sender's REMB for
  them is left out (libwebrtc's rule: a stream with transport-cc gets no REMB); feedback
  received is taken out of the raw RTCP before aiortc parses it and feeds
  :class:`~media.quality.gcc.SendSideBwe`, whose estimate goes to
  ``LinkController.on_estimate``. Probes are RTX copies of recently sent video packets
  (padding-only RTX packets before any); the receiver drops them as duplicates. A peer that
  negotiates no transport-cc keeps REMB. ``TRANSPORT_CC`` switches all of it off.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import copy
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import aioice
import aiortc
import av
import numpy as np
from aioice import ice as aioice_ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, clock
from aiortc import rtcpeerconnection as aiortc_pc
from aiortc.codecs import depayload
from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import (
    RTCRtcpFeedback,
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpReceiveParameters,
    RTCRtpSendParameters,
)
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCEncodedFrame, RTCRtpSender, random_sequence_number
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_PLI,
    RTP_HISTORY_SIZE,
    AnyRtcpPacket,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpSrPacket,
    RtpPacket,
    compute_audio_level_dbov,
    unpack_remb_fci,
    wrap_rtx,
)
from aiortc.utils import random32, uint16_add, uint32_add

from media import stamps
from media.quality import consent, twcc
from media.quality.control import (
    AUDIO_RESERVE,
    Decision,
    EncoderOvershoot,
    LinkController,
    LinkState,
)
from media.quality.fec import FEC_PT, FecDecoder, FecGrouper, MediaPacket, group_wait, protection
from media.quality.feedback import NackScheduler, PliLimiter
from media.quality.gcc import PROBE_CLUSTER_PACKETS, ProbeCluster, SendSideBwe
from media.quality.jitter import AudioConcealer, VideoJitterBuffer, VideoPacket
from media.quality.opus import (
    FRAME_SAMPLES,
    ConcealingOpusDecoder,
    SpeechOpusEncoder,
    stereo_frame,
)
from media.quality.vp8 import LiveVp8Encoder

log = logging.getLogger(__name__)

AIORTC_TARGET = "1.16."
if not aiortc.__version__.startswith(AIORTC_TARGET):  # pragma: no cover - guarded by a test
    raise ImportError(
        f"media.quality.rtp replaces internals of aiortc {AIORTC_TARGET}x; "
        f"aiortc {aiortc.__version__} is installed: re-check rtcrtpreceiver.py/rtcrtpsender.py"
    )


def _get(obj: Any, name: str) -> Any:
    """An aiortc private attribute (name-mangled, e.g. ``_RTCRtpSender__encoder``)."""
    return getattr(obj, name)


def _put(obj: Any, name: str, value: Any) -> None:
    if not hasattr(obj, name):  # a typo or an aiortc change must not pass silently
        raise AttributeError(f"aiortc {aiortc.__version__}: {type(obj).__name__} has no {name}")
    setattr(obj, name, value)


# How long the video receive buffer waits for a missing packet (NACK -> retransmission): a
# round trip and a little, from MAX_WAIT up to MAX_WAIT_CEIL. The ceiling covers a 900 ms
# path (a repair there takes ~1.0-1.2 s: at 1.0 s the sender refused most retransmissions as
# too old and the receiver gave up and asked for a keyframe, seconds at 400 kbit/s)
MAX_WAIT = 0.4
MAX_WAIT_CEIL = 1.5
# While the path drains a queue video goes on at this frame rate and share of its bitrate
# (gaps of 125 ms: no freeze; the queue drains at ~85 % of the link's rate instead of 100 %)
DRAIN_FPS = 8.0
DRAIN_RATE = 0.25
TICK = 0.01  # receiver timer: frame release, NACK/PLI, audio concealment
REMOTE_STALL = 2.0  # incoming video silent this long while audio flows: "weak link"
RESUME_GAP = 1.0  # video packets back after this long without any: a keyframe request at once
FEEDBACK_INTERVAL = 0.05  # s between transport-cc feedback packets
PROBE_PADDING = 255  # bytes of padding per probe packet (the RTP padding length is one byte)
PROBE_COPY_MIN = PROBE_PADDING  # bytes: recent media packets this big are resent as probes
PROBE_RECENT = 32  # recent video packets kept for probe copies
DUPLICATE_RING = 2048  # video sequence numbers remembered to drop duplicates (probe copies)
PACER_QUEUE_LIMIT = 0.5  # s: a longer pacer queue is drained faster than the pacing rate
PACER_CREDIT = 0.03  # s of sending a late wake-up may catch up on (a burst of ~4 packets)
DATA_MIN_BPS = 16_000  # bit/s: files on the data channel get at least this
TWCC_EXT_ID = 5  # our offers' id for the transport-wide sequence number (shared with BUNDLE)
# Send-side estimation on/off (off: transport-cc is neither offered nor accepted, REMB as
# before). ``CLINIC_TRANSPORT_CC=0`` turns it off for A/B runs of the benches and e2e tests.
TRANSPORT_CC = os.environ.get("CLINIC_TRANSPORT_CC", "1") != "0"
# Our offers and answers carry this session-level line: parity (media.quality.fec, PT 125
# outside the SDP, grouped across frames: format 2) goes only to a far side whose description
# has it (another of our peers of the same format), never to a browser (issue 21) or stock
# aiortc.
PEER_MARKER = "a=x-clinic-quality:fec2"

# -- negotiation: transport-cc inside QualityPeerConnection only ---------------------------------

_NEGOTIATING = contextvars.ContextVar("quality_negotiating", default=False)


class _Scoped(dict[str, Any]):
    """aiortc's ``CODECS`` / ``HEADER_EXTENSIONS`` as ``aiortc.rtcpeerconnection`` looks them
    up: ours while a :class:`QualityPeerConnection` negotiates, aiortc's own otherwise (a
    stock peer connection must not offer feedback it never sends)."""

    def __init__(self, stock: dict[str, Any], ours: dict[str, Any]) -> None:
        super().__init__(stock)
        self.ours = ours

    def __getitem__(self, kind: str) -> Any:
        if _NEGOTIATING.get():
            return self.ours[kind]
        return super().__getitem__(kind)


def _install_negotiation() -> None:
    if isinstance(aiortc_pc.CODECS, _Scoped):
        return
    codecs = copy.deepcopy(dict(aiortc_pc.CODECS))
    for kind_codecs in codecs.values():
        for codec in kind_codecs:
            if codec.mimeType.lower() != "video/rtx":
                codec.rtcpFeedback.append(RTCRtcpFeedback(type="transport-cc"))
    exts = copy.deepcopy(dict(aiortc_pc.HEADER_EXTENSIONS))
    for kind_exts in exts.values():
        kind_exts.append(RTCRtpHeaderExtensionParameters(id=TWCC_EXT_ID, uri=twcc.TWCC_URI))
    aiortc_pc.CODECS = _Scoped(aiortc_pc.CODECS, codecs)
    aiortc_pc.HEADER_EXTENSIONS = _Scoped(aiortc_pc.HEADER_EXTENSIONS, exts)


_install_negotiation()

# -- arrival times: stamped where a datagram enters Python ---------------------------------------

AIOICE_TARGET = "0.13."
if not aioice.__version__.startswith(AIOICE_TARGET):  # pragma: no cover - guarded by a test
    raise ImportError(
        f"media.quality.rtp stamps arrivals inside aioice {AIOICE_TARGET}x; "
        f"aioice {aioice.__version__} is installed: re-check Connection.data_received/recvfrom"
    )
_STAMPS = "_quality_arrivals"  # per Connection: datagram_received times, aligned with _queue
_ARRIVAL = "_quality_arrival"  # per Connection: the time of the datagram recvfrom gave last


def _install_arrival_stamps() -> None:
    """Transport-cc must report when a packet reached this host, not when the event loop got
    round to it: aioice queues every datagram (``Connection.data_received``, reached by host,
    srflx and TURN-relayed data alike) and aiortc's DTLS transport takes them one by one, so
    under load a late, bunched stamp looks like a queue on the path to the far side's
    estimator. Each datagram gets ``time.monotonic()`` as it is queued (a deque aligned with
    the queue: only datagrams go through ``data_received``, the ``None`` wake-ups do not);
    ``recvfrom`` pops it in the same step as the datagram and leaves it on the connection,
    where :func:`arrival_of` reads it while that datagram is handled."""
    cls = aioice_ice.Connection
    if getattr(cls, "_quality_stamped", False):
        return
    data_received = cls.data_received
    recvfrom = cls.recvfrom

    def stamped_data_received(self: Any, data: bytes, component: int) -> None:
        stamps = self.__dict__.get(_STAMPS)
        if stamps is None:
            stamps = self.__dict__[_STAMPS] = collections.deque()
        stamps.append(time.monotonic())
        data_received(self, data, component)

    async def stamped_recvfrom(self: Any) -> tuple[bytes, int]:
        result = await recvfrom(self)  # no await between the queue's get and this line
        stamps = self.__dict__.get(_STAMPS)
        self.__dict__[_ARRIVAL] = stamps.popleft() if stamps else time.monotonic()
        return result

    cls.data_received = stamped_data_received  # type: ignore[method-assign]
    cls.recvfrom = stamped_recvfrom  # type: ignore[method-assign]
    cls._quality_stamped = True  # type: ignore[attr-defined]


_install_arrival_stamps()


def arrival_of(dtls: Any) -> float:
    """When the datagram being handled on ``dtls`` (an ``RTCDtlsTransport``) entered Python
    (monotonic s); now, for a packet that did not come through aioice."""
    connection = getattr(getattr(dtls, "transport", None), "_connection", None)
    stamp = getattr(connection, _ARRIVAL, None) if connection is not None else None
    return stamp if isinstance(stamp, float) else time.monotonic()


class _TransportCC:
    """Transport-cc on one DTLS transport: the sequence numbers and send records, the
    arrivals we feed back, and the feedback task."""

    def __init__(self, hub: QualityHub, transport: Any) -> None:
        self.hub = hub
        self.transport = transport
        self.history = twcc.SendHistory()
        self.recorder = twcc.ArrivalRecorder()
        self.feedback_ssrc = random32()
        self.feedback_in = 0
        self.feedback_bad = 0
        self._task: asyncio.Task[None] | None = None
        original = transport._handle_rtcp_data

        async def handle_rtcp_data(data: bytes) -> None:
            feedbacks, rest = twcc.split_rtcp(data)
            for payload in feedbacks:
                self.on_feedback(payload)
            if rest:
                await original(rest)

        _put(transport, "_handle_rtcp_data", handle_rtcp_data)

    def on_feedback(self, payload: bytes) -> None:
        try:
            fb = twcc.parse_feedback(payload)
        except ValueError:
            self.feedback_bad += 1
            return
        self.feedback_in += 1
        self.hub.on_results(self, self.history.on_feedback(fb))

    def on_arrival(self, seq: int, arrival: float, ssrc: int) -> None:
        self.recorder.on_packet(seq, arrival, ssrc)
        if self._task is None:
            self._task = asyncio.ensure_future(self._feedback_loop())

    async def _feedback_loop(self) -> None:
        while True:
            await asyncio.sleep(FEEDBACK_INTERVAL)
            for packet in self.recorder.build(self.feedback_ssrc):
                # not connected (yet, or any more): these arrivals go unreported
                with contextlib.suppress(ConnectionError):
                    await self.transport._send_rtp(packet)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None


class QualityHub:
    """Per peer connection: the controller, RTT, the receivers' counters and the link state."""

    def __init__(self) -> None:
        self.controller = LinkController(on_change=self._on_decision)
        self.receivers: list[QualityReceiver] = []
        self.senders: list[QualitySender] = []
        self.fec_peer = False  # the remote description has PEER_MARKER
        self.on_state: Callable[[LinkState, dict[str, Any]], None] | None = None
        self.state = LinkState.GOOD
        self.remote_stalled = False
        self._task: asyncio.Task[None] | None = None
        self.bwe = SendSideBwe(start_bps=self.controller.estimate)
        self.tcc_states: dict[int, _TransportCC] = {}
        self.probe: ProbeCluster | None = None  # the cluster being sent: packets are tagged
        self._probe_checked = -1e9
        self._path_back_at = -1e9

    def on_path_back(self, now: float) -> None:
        """Media from the far side again after an outage: the path is most likely back both
        ways, so our video senders send a keyframe now (everything sent into the outage is
        lost; the far side would ask for one with a PLI, which reaches us a round trip after
        the path returned — this saves about half of it). Once per outage."""
        if now - self._path_back_at < RESUME_GAP:
            return
        self._path_back_at = now
        for sender in self.senders:
            if sender.kind == "video":
                sender.keyframe_on_path_back(now)

    def tcc(self, transport: Any) -> _TransportCC:
        """The transport-cc state of ``transport`` (made, and its RTCP hooked, on first use)."""
        state = self.tcc_states.get(id(transport))
        if state is None or state.transport is not transport:
            state = _TransportCC(self, transport)
            self.tcc_states[id(transport)] = state
        return state

    def on_results(self, state: _TransportCC, results: list[twcc.PacketResult]) -> None:
        """A transport-cc feedback's packets: the estimator, then the controller."""
        if not results:
            return
        now = time.monotonic()
        self.bwe.rtt = self.rtt if self.rtt is not None else 0.1
        target = self.bwe.on_feedback(results, now)
        self.controller.on_path_queue(self.bwe.delay.queue, now)
        self.controller.on_estimate(target, now, loss=self.bwe.loss.recent_loss)
        self.maybe_probe(now, state)

    def maybe_probe(self, now: float, state: _TransportCC) -> None:
        """Start the probe clusters the estimator asks for, on a video sender that can send
        padding (RTX negotiated, transport-cc negotiated) — also while video is paused: with
        audio alone nothing else shows what the path carries, and an estimate at its floor
        finds its way back up only by probing (libwebrtc probes in application-limited
        periods the same way)."""
        if now - self._probe_checked < 0.05:
            return
        self._probe_checked = now
        sender = next((s for s in self.senders if s.can_probe), None)
        if sender is None:
            return
        for cluster in self.bwe.poll_probes(now, state.history.sent_bps(now)):
            sender.probe(cluster)

    @property
    def rtt(self) -> float | None:
        values = [s.rtt for s in self.senders if s.rtt is not None]
        return max(values) if values else None

    def data_acked(self, size: int) -> None:
        """``size`` bytes of a file the far side confirmed (see ``SendSideBwe.data_acked``)."""
        self.bwe.data_acked.add(time.monotonic(), size)

    def data_pace(self) -> tuple[float, float]:
        """What the data channel's files may send (bit/s) and the round trip (s): the total
        estimate less what audio and video send now (measured on the transport-cc history,
        else the video target and the audio reserve), at least ``DATA_MIN_BPS``. Files get
        what media leaves, as libwebrtc's SCTP would if it shared the estimate; audio never
        waits behind a file in the bottleneck's queue."""
        now = time.monotonic()
        c = self.controller
        c.on_file_demand(now)
        decision = c.last_decision
        media = 0.0
        for state in self.tcc_states.values():
            media += state.history.sent_bps(now, window=1.0, probes=True)
        if media <= 0.0:
            video = 0 if decision is None or decision.paused else decision.bitrate
            media = video * (1.0 + c.fec_overhead)
        media = max(media, float(AUDIO_RESERVE))
        if c.hold:  # the path is queueing: video holds its frames, files back off too
            return float(DATA_MIN_BPS), self.rtt or 0.1
        # the send-side estimator's own target (it counts the file's acknowledged bytes, cuts
        # on a queue and climbs back within seconds), not the controller's loss-based rate:
        # its RTT-queue cut (0.6x, then +8 %/s) is there to keep video off a queue, and the
        # hold above already stops files while one drains; on a 2 Mbit/s link it left a file
        # 0.2-0.6 Mbit/s for 20 s after a single spike while the estimate was back at 2 Mbit/s
        total = self.bwe.target if c.estimate_fresh else c.link_estimate
        return max(float(DATA_MIN_BPS), total - media), self.rtt or 0.1

    def decision(self) -> Decision:
        return self.controller.update(time.monotonic())

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._watch())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        for state in self.tcc_states.values():
            state.stop()

    def _on_decision(self, decision: Decision) -> None:
        log.info(
            "video %s at %d kbit/s%s (estimate %d kbit/s)",
            decision.rung.label,
            decision.bitrate // 1000,
            ", paused" if decision.paused else "",
            decision.estimate // 1000,
        )
        self._publish()

    def _publish(self) -> None:
        state = LinkState.WEAK if self.controller.paused or self.remote_stalled else LinkState.GOOD
        if state != self.state:
            self.state = state
            if self.on_state is not None:
                try:
                    self.on_state(state, self.stats())
                except Exception:
                    log.exception("link quality callback failed")

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            now = time.monotonic()
            self.controller.tick(now)
            video = [r for r in self.receivers if r.kind == "video"]
            audio = [r for r in self.receivers if r.kind == "audio"]
            v_last = max((r.last_frame_at for r in video), default=0.0)
            a_last = max((r.last_packet_at for r in audio), default=0.0)
            stalled = bool(video and v_last and a_last) and (
                now - v_last > REMOTE_STALL and now - a_last < 0.5
            )
            if stalled != self.remote_stalled:
                self.remote_stalled = stalled
            self._publish()

    def stats(self) -> dict[str, Any]:
        """Counters for reports and tests: audio concealment, video repairs, adaptation."""
        out: dict[str, Any] = {}
        for r in self.receivers:
            out.update(r.quality_stats())
        c = self.controller
        out.update(
            send_rung=c.rung.label,
            fec_sent=sum(s.fec_sent for s in self.senders),
            rtx_sent=sum(s.rtx_sent for s in self.senders),
            rtx_refused=sum(s.rtx_refused for s in self.senders),
            frames_encoded=sum(s.frames_encoded for s in self.senders),
            frames_held=sum(s.frames_held for s in self.senders),
            frames_rate_skipped=sum(s.frames_rate_skipped for s in self.senders),
            frames_pacer_skipped=sum(s.frames_pacer_skipped for s in self.senders),
            fec_overhead_pct=round(100 * c.fec_overhead, 1),
            send_paused=c.paused,
            send_estimate_kbps=c.estimate // 1000,
            send_remb_kbps=c.remb // 1000 if c.remb is not None else None,
            send_loss_based_kbps=c.loss_based // 1000,
            send_loss_pct=round(100 * c.loss, 2),
            send_feedback_loss_pct=(
                round(100 * c.feedback_loss, 2) if c.feedback_loss is not None else None
            ),
            reports_kept=c.reports_kept,
            encoder_overshoot=round(
                max((s.overshoot.factor for s in self.senders if s.kind == "video"), default=1.0),
                2,
            ),
            rung_changes=c.changes,
            queue_ms=round(1000 * c.queue_delay),
            remote_video_stalled=self.remote_stalled,
            rtt_ms=round(1000 * self.rtt, 1) if self.rtt is not None else None,
        )
        out.update(self.bwe.stats())
        out.update(
            twcc_feedback_in=sum(t.feedback_in for t in self.tcc_states.values()),
            twcc_feedback_out=sum(t.recorder.sent_feedbacks for t in self.tcc_states.values()),
        )
        return out


def wait_cap(rtt: float | None) -> float:
    """How long a frame with a hole is waited for: 400 ms, or one NACK round trip plus a
    margin on a long path (giving up costs a keyframe: a PLI round trip plus a large frame,
    more than waiting for the repair), at most MAX_WAIT_CEIL."""
    return min(MAX_WAIT_CEIL, max(MAX_WAIT, (rtt or 0.0) + 0.2))


class _Intake:
    """Stands in for aiortc's ``JitterBuffer`` inside ``RTCRtpReceiver._handle_rtp_packet``:
    packets go to our buffers; nothing comes back to aiortc's decode step."""

    def __init__(self, receiver: QualityReceiver, stock: JitterBuffer) -> None:
        self._receiver = receiver
        self._stock = stock

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        if self._receiver.take(packet):
            return False, None
        return self._stock.add(packet)


class QualityReceiver(RTCRtpReceiver):
    def __init__(self, kind: str, transport: Any, hub: QualityHub) -> None:
        super().__init__(kind, transport)
        self.kind = kind
        self.hub = hub
        self.buffer = VideoJitterBuffer(max_wait=0.4)
        self.nacks = NackScheduler()
        self.plis = PliLimiter()
        self.concealer: AudioConcealer | None = None
        self.fec = FecDecoder()
        self.last_frame_at = 0.0
        self.last_packet_at = 0.0
        self.resume_plis = 0  # keyframe requests sent because packets flowed again
        self._ssrc: int | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._audio_ts0: int | None = None
        # (seq, timestamp) of recent video packets by seq % DUPLICATE_RING
        self._seen: list[tuple[int, int] | None] = [None] * DUPLICATE_RING
        self.duplicates = 0  # video packets received twice (probe copies, late repairs)
        # aiortc internals (1.16): replace the packet-count buffer and the NACK storm
        stock: JitterBuffer = _get(self, "_RTCRtpReceiver__jitter_buffer")
        _put(self, "_RTCRtpReceiver__jitter_buffer", _Intake(self, stock))
        _put(self, "_RTCRtpReceiver__nack_generator", None)
        hub.receivers.append(self)

    # -- intake ----------------------------------------------------------------------------

    async def receive(self, parameters: RTCRtpReceiveParameters) -> None:
        await super().receive(parameters)
        if self.kind == "video" and all(c.payloadType != FEC_PT for c in parameters.codecs):
            # parity packets (media.quality.fec) are not in the SDP: route them here
            router = _get(self.transport, "_rtp_router")
            router.payload_type_table.setdefault(FEC_PT, set()).add(self)

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        # when the datagram entered Python, not when the loop got to it (aiortc's REMB
        # estimator reads arrival_time_ms, taken after aioice's queue)
        arrival = arrival_of(self.transport)
        arrival_time_ms -= max(0, int((time.monotonic() - arrival) * 1000))
        seq = packet.extensions.transport_sequence_number
        if seq is not None:
            # the far side estimates from transport-cc: its arrival goes into our feedback,
            # and no REMB for it (aiortc's estimator runs on abs-send-time)
            self.hub.tcc(self.transport).on_arrival(seq, arrival, packet.ssrc)
            packet.extensions.abs_send_time = None
        if not packet.payload and packet.padding_size:
            return  # a probe's padding: counted above, nothing to decode or report
        # aiortc counts every packet in its bandwidth estimate (REMB), then drops the
        # parity packets as an unknown payload type; they are taken here
        await super()._handle_rtp_packet(packet, arrival_time_ms)
        if packet.payload_type == FEC_PT and self.kind == "video" and self._enabled:
            now = time.monotonic()
            for rebuilt in self.fec.on_parity(packet.payload, now):
                self._take_rebuilt(rebuilt, now)

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None:
        await super()._handle_rtcp_packet(packet)
        if isinstance(packet, RtcpSrPacket):
            # aiortc dates the sender report when the loop reads it: date it at its arrival,
            # or the delay since (DLSR) misses this side's backlog and the far side's RTT
            # counts it as path
            times: dict[int, float] = _get(self, "_RTCRtpReceiver__lsr_time")
            if packet.ssrc in times:
                times[packet.ssrc] -= max(0.0, time.monotonic() - arrival_of(self.transport))

    def _take_rebuilt(self, rebuilt: MediaPacket, now: float) -> None:
        codec = self._codec(rebuilt.payload_type)
        if codec is None or self._ssrc is None or codec.name.lower() != "vp8":
            return
        packet = RtpPacket(
            payload_type=rebuilt.payload_type,
            marker=int(rebuilt.marker),
            sequence_number=rebuilt.seq,
            timestamp=rebuilt.timestamp,
            ssrc=self._ssrc,
            payload=rebuilt.payload,
        )
        try:
            packet._data = depayload(codec, packet.payload)  # type: ignore[attr-defined]
        except ValueError:
            return
        self._take_vp8(packet, codec, now, rebuilt=True)

    def _codec(self, payload_type: int) -> RTCRtpCodecParameters | None:
        codecs: dict[int, RTCRtpCodecParameters] = _get(self, "_RTCRtpReceiver__codecs")
        return codecs.get(payload_type)

    def take(self, packet: RtpPacket) -> bool:
        """A depayloaded packet from aiortc; False = not ours (aiortc's buffer takes it)."""
        codec = self._codec(packet.payload_type)
        if codec is None:
            return False
        now = time.monotonic()
        name = codec.name.lower()
        self._ssrc = packet.ssrc
        silent = now - self.last_packet_at if self.last_packet_at else 0.0
        self.last_packet_at = now
        if silent >= RESUME_GAP:
            self.hub.on_path_back(now)
        if self.kind == "video" and name == "vp8":
            self._take_vp8(packet, codec, now)
            if silent >= RESUME_GAP:
                self.request_keyframe()  # after the gap, nothing decodes until a keyframe
            return True
        if self.kind == "audio" and name == "opus":
            self._take_opus(packet, now)
            return True
        return False

    def _ensure_ticker(self) -> None:
        if self._ticker is None:
            self._ticker = asyncio.ensure_future(self._tick_loop())

    def _take_vp8(
        self, packet: RtpPacket, codec: RTCRtpCodecParameters, now: float, rebuilt: bool = False
    ) -> None:
        self._ensure_ticker()
        self._codec_in_use = codec
        key = (packet.sequence_number, packet.timestamp)
        slot = packet.sequence_number % DUPLICATE_RING
        if self._seen[slot] == key:
            # a copy of one we hold or released (a probe, a repair that came twice): it would
            # only count as late and move the playout delay
            self.duplicates += 1
            return
        self._seen[slot] = key
        if not rebuilt:
            media = MediaPacket(
                packet.sequence_number,
                packet.timestamp,
                bool(packet.marker),
                packet.payload,
                packet.payload_type,
            )
            for item in self.fec.on_media(media, now):
                self._take_rebuilt(item, now)
        try:
            desc, rest = VpxPayloadDescriptor.parse(packet.payload)
        except ValueError:
            return
        start = bool(desc.partition_start) and desc.partition_id == 0
        self.buffer.insert(
            VideoPacket(
                seq=packet.sequence_number,
                timestamp=packet.timestamp,
                marker=bool(packet.marker),
                frame_start=start,
                keyframe=start and bool(rest) and not rest[0] & 1,
                tid=desc.tid[0] if desc.tid is not None else None,
                tl0=desc.tl0picidx,
                data=_get(packet, "_data"),  # set by aiortc's depayload step
                arrival=now,
            )
        )
        self._pump(now)

    def _take_opus(self, packet: RtpPacket, now: float) -> None:
        self._ensure_ticker()
        if self.concealer is None:
            self.concealer = AudioConcealer(ConcealingOpusDecoder(), frame_ticks=FRAME_SAMPLES)
        try:
            outs = self.concealer.on_packet(
                packet.sequence_number, packet.timestamp, packet.payload, now
            )
        except Exception:
            log.warning("opus decode failed", exc_info=True)
            return
        self._deliver_audio(outs)

    def _deliver_audio(self, outs: list[Any]) -> None:
        track = self._track
        if track is None:
            return
        for item in outs:
            if self._audio_ts0 is None:
                self._audio_ts0 = item.timestamp
            track._queue.put_nowait(stereo_frame(item.pcm, item.timestamp - self._audio_ts0))

    # -- timers ----------------------------------------------------------------------------

    def _pump(self, now: float) -> None:
        """Release due frames to aiortc's decoder thread; NACK/PLI as the buffer needs."""
        self.buffer.max_wait = wait_cap(self.hub.rtt)
        frames = self.buffer.pop(now)
        if frames:
            queue = _get(self, "_RTCRtpReceiver__decoder_queue")
            mapper = _get(self, "_RTCRtpReceiver__timestamp_mapper")
            thread = _get(self, "_RTCRtpReceiver__decoder_thread")
            for frame in frames:
                self.last_frame_at = now
                if thread is not None:
                    queue.put(
                        (self._codec_in_use, JitterFrame(frame.data, mapper.map(frame.timestamp)))
                    )
        self.nacks.update(self.buffer.missing(), now)
        lost = self.nacks.due(now, self.hub.rtt)
        if lost and self._ssrc is not None:
            self._spawn(self._send_rtcp_nack(self._ssrc, lost))
        if self.buffer.want_keyframe and self._ssrc is not None:
            self._spawn(self._send_rtcp_pli(self._ssrc))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            now = time.monotonic()
            try:
                if self.kind == "video":
                    self._pump(now)
                elif self.concealer is not None:
                    self._deliver_audio(self.concealer.tick(now))
            except Exception:
                log.exception("receiver tick failed")

    async def _send_rtcp_pli(self, media_ssrc: int) -> None:
        # every PLI (ours and aiortc's on decode errors) goes through the limiter
        if self.plis.allow(time.monotonic(), self.hub.rtt):
            await super()._send_rtcp_pli(media_ssrc)

    def request_keyframe(self) -> bool:
        """A PLI now, whatever the limiter says (media flows again after an outage); False
        before any video packet (no SSRC to ask)."""
        if self.kind != "video" or self._ssrc is None:
            return False
        self.plis.reset()
        self.resume_plis += 1
        self._spawn(self._send_rtcp_pli(self._ssrc))
        return True

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    async def stop(self) -> None:
        self._stop_ticker()
        await super().stop()

    def _handle_disconnect(self) -> None:
        self._stop_ticker()
        super()._handle_disconnect()

    def quality_stats(self) -> dict[str, Any]:
        if self.kind == "audio":
            s = self.concealer.stats if self.concealer is not None else None
            if s is None:
                return {}
            return {
                "audio_frames": s.total,
                "concealed_pct": round(s.concealed_pct, 2),
                "recovered_pct": round(s.recovered_pct, 2),
                "audio_late": s.late,
                "audio_resyncs": s.resyncs,
            }
        b = self.buffer.stats
        return {
            "video_frames": b.frames_out,
            "keyframe_skips": b.keyframe_skips,
            "layer_skips": b.layer_skips,
            "video_gave_up": b.frames_dropped,
            "nack_seqs": self.nacks.sent,
            "nack_packets": self.nacks.requests,
            "pli_sent": self.plis.sent,
            "pli_on_resume": self.resume_plis,
            "pli_suppressed": self.plis.suppressed,
            "jitter_target_ms": round(1000 * self.buffer.target_delay, 1),
            "fec_parity_in": self.fec.stats.parity_in,
            "fec_recovered": self.fec.stats.recovered,
            "video_duplicates": self.duplicates,
        }


def scale_frame(frame: av.VideoFrame, width: int, height: int) -> av.VideoFrame:
    """``frame`` scaled down to the rung's size; a measurement stamp (synthetic source, see
    :mod:`media.stamps`) is drawn again at the new size, so frame rate and latency stay
    measurable on every rung."""
    stamp = stamps.read(stamps.luma(frame)) if frame.format.name == "yuv420p" else None
    scaled = frame.reformat(width=width, height=height, format="yuv420p")
    if stamp is not None and height >= stamps.stamp_height(width):
        yuv = np.asarray(scaled.to_ndarray(), dtype=np.uint8)
        stamps.write(yuv[:height], stamp.counter, stamp.sent_us)
        scaled = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
    scaled.pts, scaled.time_base = frame.pts, frame.time_base
    return scaled


class Pacer:
    """The video packets of one sender, sent at ``rate`` from their own task, so the encoder
    loop never waits and audio (another sender, unpaced) is never behind a video burst."""

    def __init__(self, send: Callable[[RtpPacket], Any]) -> None:
        self._send = send
        self._queue: collections.deque[RtpPacket] = collections.deque()
        self._bytes = 0
        self._wake = asyncio.Event()
        self.rate = 300_000.0

    def push(self, packet: RtpPacket) -> None:
        self._queue.append(packet)
        self._bytes += len(packet.payload) + 40
        self._wake.set()

    @property
    def queued_seconds(self) -> float:
        return self._bytes * 8 / self.rate

    async def run(self) -> None:
        next_at = time.monotonic()
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                next_at = max(next_at, time.monotonic() - 0.005)  # idle: no credit saved
            delay = next_at - time.monotonic()
            if delay > 0.001:
                await asyncio.sleep(delay)
            packet = self._queue.popleft()
            size = len(packet.payload) + 40
            # bounded: a queue longer than PACER_QUEUE_LIMIT drains within it (libwebrtc's
            # pacer does the same with 2 s); the encoder drops frames well before that
            rate = max(self.rate, self._bytes * 8 / PACER_QUEUE_LIMIT)
            self._bytes -= size
            await self._send(packet)
            # a wake-up that came late (a busy event loop: 10-30 ms is common on a loaded
            # machine) keeps up to PACER_CREDIT of its sending time: with 5 ms the pacer lost
            # the rest each time and fell below the link's rate; the queue it then built made
            # the sender skip 427 of 982 frames toward a browser (1 Mbit/s, 150 ms)
            next_at = max(next_at, time.monotonic() - PACER_CREDIT) + size * 8 / rate


class QualitySender(RTCRtpSender):
    def __init__(self, trackOrKind: MediaStreamTrack | str, transport: Any, hub: QualityHub):
        super().__init__(trackOrKind, transport)
        self.hub = hub
        self.pacer = Pacer(self._send_packet)
        self.frames_skipped = 0
        # why source frames were not encoded: paused or held for a queue, the rung's frame
        # rate, the pacer behind (the rest were encoded)
        self.frames_held = 0
        self.frames_rate_skipped = 0
        self.frames_pacer_skipped = 0
        self.frames_encoded = 0
        self.overshoot = EncoderOvershoot()  # the encoder's output over what it was asked
        self._asked_bps = 0
        self._next_due: float | None = None
        self._drain_at: float | None = None  # the last frame sent thin while a queue drains
        self._own_keyframe_at = -1e9  # a keyframe sent when the path came back
        self.path_keyframes = 0
        self.plis_answered_early = 0
        self.fec_enabled = False
        self.fec_sent = 0
        self._fec_bytes = 0.0
        self._media_bytes = 0.0
        self._fec_ssrc = random32()
        self._fec_seq = random_sequence_number()
        self._fec_group = FecGrouper()
        self._sr_sent: collections.OrderedDict[int, float | None] = collections.OrderedDict()
        self._rtt: float | None = None
        self._sent_at: dict[int, tuple[int, float]] = {}  # seq % history -> (seq, when it left)
        self._rtx_tokens = 0.0  # bytes of retransmission allowed now (token bucket)
        self._rtx_refill_at = time.monotonic()
        self.rtx_sent = 0
        self.rtx_refused = 0
        self.twcc = False  # transport-cc negotiated for this sender
        self.probes_sent = 0
        self._probes: collections.deque[ProbeCluster] = collections.deque()
        self._probe_task: asyncio.Task[None] | None = None
        self._last_timestamp = 0
        # recently sent media packets (video): probes are RTX copies of them
        self._recent: collections.deque[RtpPacket] = collections.deque(maxlen=PROBE_RECENT)
        hub.senders.append(self)

    async def send(self, parameters: RTCRtpSendParameters) -> None:
        self.fec_enabled = (
            self.kind == "video"
            and self.hub.fec_peer
            and all(c.payloadType != FEC_PT for c in parameters.codecs)
        )
        self.twcc = any(e.uri == twcc.TWCC_URI for e in parameters.headerExtensions)
        await super().send(parameters)

    @property
    def can_probe(self) -> bool:
        """Probes go on the RTX stream of a video sender with transport-cc, once it has sent
        media (its first frame: probes are copies of its packets, see :meth:`_send_probe`)."""
        return (
            self.kind == "video"
            and self.twcc
            and bool(self._recent)
            and _get(self, "_RTCRtpSender__rtx_payload_type") is not None
            and _get(self, "_RTCRtpSender__rtp_started").is_set()
        )

    def probe(self, cluster: ProbeCluster) -> None:
        """Send ``cluster`` after the ones before it (clusters never overlap)."""
        self._probes.append(cluster)
        if self._probe_task is None or self._probe_task.done():
            self._probe_task = asyncio.ensure_future(self._run_probes())

    async def _run_probes(self) -> None:
        while self._probes:
            cluster = self._probes.popleft()
            self.hub.probe = cluster
            try:
                await self._send_probe(cluster)
            except ConnectionError:
                return
            finally:
                self.hub.probe = None
                cluster.done_at = time.monotonic()

    async def _send_probe(self, cluster: ProbeCluster) -> None:
        """RTX copies of recently sent media packets (libwebrtc's payload padding: ~1200-byte
        packets, a quarter as many sends as 255-byte padding-only ones, each one SRTP send
        in Python), padding-only RTX packets while nothing big enough was sent yet; paced at
        the cluster's rate until its bytes are out. Media sent meanwhile counts too (every
        packet leaving during it is tagged). The receiver drops the copies as duplicates."""
        rtx_pt = _get(self, "_RTCRtpSender__rtx_payload_type")
        mid = _get(self, "_RTCRtpSender__mid")
        # the biggest first (the first frames are small; no smaller than a padding packet),
        # none so big that the cluster's bytes make fewer than PROBE_CLUSTER_PACKETS packets
        # (a result needs that many spread over its span; on a slow link eight 1.2 kB copies
        # would make a cluster of several hundred ms: padding-only packets then)
        fit = max(PROBE_COPY_MIN, cluster.bytes // PROBE_CLUSTER_PACKETS)
        copies = sorted(
            (p for p in self._recent if PROBE_COPY_MIN <= len(p.payload) <= fit),
            key=lambda p: len(p.payload),
            reverse=True,
        )
        start = time.monotonic()
        n = 0
        while cluster.sent_bytes < cluster.bytes or cluster.sent_packets < PROBE_CLUSTER_PACKETS:
            delay = start + cluster.sent_bytes * 8 / cluster.bps - time.monotonic()
            if delay > 0.001:
                await asyncio.sleep(delay)
            if self.hub.probe is not cluster:
                return
            rtx_seq = _get(self, "_RTCRtpSender__rtx_sequence_number")
            _put(self, "_RTCRtpSender__rtx_sequence_number", uint16_add(rtx_seq, 1))
            if copies:
                source = copies[n % len(copies)]
                packet = wrap_rtx(source, payload_type=rtx_pt, sequence_number=rtx_seq,
                                  ssrc=self._rtx_ssrc)  # fmt: skip
                packet.extensions = copy.copy(source.extensions)
            else:
                packet = RtpPacket(
                    payload_type=rtx_pt,
                    sequence_number=rtx_seq,
                    timestamp=self._last_timestamp,
                    ssrc=self._rtx_ssrc,
                )
                packet.padding_size = PROBE_PADDING
                packet.extensions.mid = mid
            n += 1
            if not await self._transmit(packet):
                return
            self.probes_sent += 1

    @property
    def rtt(self) -> float | None:
        """Round trip from our own samples (see ``_note_rtt``), else aiortc's."""
        if self._rtt is not None:
            return self._rtt
        value: float | None = _get(self, "_RTCRtpSender__rtt")
        return value

    async def _send_rtcp(self, packets: list[AnyRtcpPacket]) -> None:
        at = time.monotonic()  # not the wall clock: a clock step must not look like a queue
        await super()._send_rtcp(packets)
        if any(isinstance(p, RtcpSrPacket) for p in packets):
            # aiortc measures the RTT only against the latest sender report, so on a queueing
            # path (reports arrive after the next one was sent) it never updates; keep the
            # recent ones. One sent twice (no media between: same NTP stamp) is ambiguous.
            lsr = _get(self, "_RTCRtpSender__lsr")
            self._sr_sent[lsr] = None if lsr in self._sr_sent else at
            while len(self._sr_sent) > 32:
                self._sr_sent.popitem(last=False)

    async def _retransmit(self, sequence_number: int) -> None:
        """A NACKed packet again — unless it is older than any receiver still waits for, or
        retransmissions already take a quarter of the estimate (aiortc resends every NACKed
        packet at once: on a congested link that is a collapse). Also while the path drains a
        queue: refused then, a hole became a give-up, a keyframe request and a keyframe — far
        more bytes behind the same queue than the few packets the tail drop took (a 4.5 s
        freeze on a 1 Mbit/s -> 300 kbit/s drop)."""
        now = time.monotonic()
        c = self.hub.controller
        rate = 0.25 * c.estimate / 8  # bytes/s
        cap = max(0.5 * rate, 1500.0)  # at least one whole packet, however low the estimate
        self._rtx_tokens = min(cap, self._rtx_tokens + (now - self._rtx_refill_at) * rate)
        self._rtx_refill_at = now
        slot = sequence_number % RTP_HISTORY_SIZE
        seq_sent, sent = self._sent_at.get(slot, (None, 0.0))
        history: dict[int, RtpPacket] = _get(self, "_RTCRtpSender__rtp_history")
        packet = history.get(slot)
        if (
            packet is None
            or packet.sequence_number != sequence_number
            or seq_sent != packet.sequence_number
        ):
            return  # no longer kept, or still waiting in the pacer: nothing to resend
        size = len(packet.payload) + 40
        if now - sent > MAX_WAIT_CEIL or size > self._rtx_tokens:
            self.rtx_refused += 1
            return
        self._rtx_tokens -= size
        self.rtx_sent += 1
        # aiortc 1.16's _retransmit, through _transmit so the copy gets its own transport-wide
        # sequence number
        rtx_pt = _get(self, "_RTCRtpSender__rtx_payload_type")
        if rtx_pt is not None:
            rtx_seq = _get(self, "_RTCRtpSender__rtx_sequence_number")
            packet = wrap_rtx(packet, payload_type=rtx_pt, sequence_number=rtx_seq,
                              ssrc=self._rtx_ssrc)  # fmt: skip
            packet.extensions = copy.copy(packet.extensions)
            _put(self, "_RTCRtpSender__rtx_sequence_number", uint16_add(rtx_seq, 1))
        await self._transmit(packet)

    def _note_rtt(self, lsr: int, dlsr: int, now: float) -> None:
        sent = self._sr_sent.get(lsr)
        if sent is None or not dlsr:
            return
        rtt = now - sent - dlsr / 65536
        if rtt < 0:
            return
        self._rtt = rtt if self._rtt is None else 0.5 * self._rtt + 0.5 * rtt
        self.hub.controller.on_rtt(rtt, now, sent=sent)

    def _encoder(self, codec: RTCRtpCodecParameters) -> Any:
        enc = _get(self, "_RTCRtpSender__encoder")
        if enc is None:
            name = codec.name.lower()
            if name == "vp8":
                enc = LiveVp8Encoder(self.hub.decision().bitrate)
            elif name == "opus":
                enc = SpeechOpusEncoder()
            else:
                from aiortc.codecs import get_encoder

                enc = get_encoder(codec)
            _put(self, "_RTCRtpSender__encoder", enc)
        return enc

    async def _next_encoded_frame(self, codec: RTCRtpCodecParameters) -> RTCEncodedFrame | None:
        data = await self.track.recv()
        if not self._enabled:
            return None
        encoder = self._encoder(codec)
        audio_level = None
        if not isinstance(data, av.frame.Frame):
            payloads, timestamp = encoder.pack(data)
        else:
            if isinstance(data, av.AudioFrame):
                audio_level = compute_audio_level_dbov(data)
            elif isinstance(data, av.VideoFrame):
                shaped = self._shape_video(data, encoder)
                if shaped is None:
                    return None
                data = shaped
            force = _get(self, "_RTCRtpSender__force_keyframe")
            _put(self, "_RTCRtpSender__force_keyframe", False)
            loop = asyncio.get_running_loop()
            payloads, timestamp = await loop.run_in_executor(None, encoder.encode, data, force)
        if not payloads:
            return None
        if self.kind == "video" and self._asked_bps:
            keyframe = bool(getattr(encoder, "last_was_keyframe", False))
            bits = 8 * sum(len(p) for p in payloads)
            self.overshoot.on_frame(time.monotonic(), bits, self._asked_bps, keyframe)
        return RTCEncodedFrame(payloads, timestamp, audio_level)  # type: ignore[arg-type]

    def _shape_video(self, frame: av.VideoFrame, encoder: Any) -> av.VideoFrame | None:
        """Pause, frame rate and resolution of the current rung; the bitrate, live. While the
        path drains a queue (``decision.hold``) video goes on thin — ``DRAIN_FPS`` frames a
        second at ``DRAIN_RATE`` of the bitrate — instead of stopping: the queue drains
        almost as fast, and the picture keeps moving (a held stream froze up to 2 s)."""
        self.hub.controller.on_source(frame.width, frame.height)  # the ladder fits the source
        decision = self.hub.decision()
        now = time.monotonic()
        if decision.paused or (
            decision.hold
            and self._drain_at is not None
            and now - self._drain_at < 1.0 / DRAIN_FPS - 0.01
        ):
            self.frames_skipped += 1
            self.frames_held += 1
            self._next_due = None
            return None
        bitrate = decision.bitrate
        if decision.hold:
            self._drain_at = now
            self._next_due = None
            bitrate = int(DRAIN_RATE * bitrate)
        else:
            self._drain_at = None
            period = 1.0 / decision.rung.fps
            if self._next_due is not None and now < self._next_due - 0.25 * period:
                self.frames_skipped += 1
                self.frames_rate_skipped += 1
                return None
            due = now if self._next_due is None else self._next_due
            self._next_due = max(due + period, now - period)
        self.pacer.rate = max(150_000.0, 1.5 * decision.bitrate)
        if self.pacer.queued_seconds > 0.15:  # the link is behind: drop, do not queue
            self.frames_skipped += 1
            self.frames_pacer_skipped += 1
            return None
        if getattr(encoder, "last_quantizer", None) is not None:  # size by quantizer too
            qp = encoder.take_quantizer()
            if not decision.hold and qp is not None:  # a thin frame's says nothing of the rung
                self.hub.controller.on_quantizer(qp, now)
        rung = decision.rung
        if frame.width > rung.width or frame.height > rung.height:
            frame = scale_frame(frame, rung.width, rung.height)
        if hasattr(encoder, "target_bitrate"):  # parity packets come out of the same budget
            overhead = self.hub.controller.fec_overhead
            # asked for less by what it has been putting out over what it was asked
            self._asked_bps = int(bitrate / (1.0 + overhead) / self.overshoot.factor)
            encoder.target_bitrate = self._asked_bps
        self.frames_encoded += 1
        return frame

    def keyframe_on_path_back(self, now: float) -> None:
        """A keyframe with the next frame (see :meth:`QualityHub.on_path_back`)."""
        if self.hub.controller.paused:
            return
        _put(self, "_RTCRtpSender__force_keyframe", True)
        self._own_keyframe_at = now
        self.path_keyframes += 1

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_PLI:
            # the far side's request for the keyframe we already sent when the path came
            # back (it asked on its first packet after the outage): not a second one
            rtt = self.hub.rtt if self.hub.rtt is not None else 0.3
            if time.monotonic() - self._own_keyframe_at < rtt + 0.2:
                self.plis_answered_early += 1
                return
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            with contextlib.suppress(ValueError):
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
                if self._ssrc in ssrcs:
                    self.hub.controller.on_remb(bitrate, time.monotonic())
            return  # not to aiortc: it would clamp and rebuild the encoder
        await super()._handle_rtcp_packet(packet)
        if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
            for report in packet.reports:
                if report.ssrc != self._ssrc:
                    continue
                fraction = report.fraction_lost / 256
                now = time.monotonic()
                # the RTT ends when the report reached this host, not when the loop read it
                self._note_rtt(report.lsr, report.dlsr, arrival_of(self.transport))
                self.hub.controller.on_loss(fraction, now, self.kind)
                encoder = _get(self, "_RTCRtpSender__encoder")
                if isinstance(encoder, SpeechOpusEncoder):
                    encoder.set_loss(100 * max(fraction, self.hub.controller.loss))

    def _protect(self, packets: list[RtpPacket], mid: str | None) -> list[RtpPacket]:
        """Parity packets for keyframes and base-layer frames (media.quality.fec), grouped
        across frames, as many as the reported loss and the RTT call for; none for upper-layer
        frames."""
        if not self.fec_enabled or not packets:
            return []
        media_bytes = sum(len(p.payload) for p in packets)
        factor = protection(self.hub.controller.loss, self.hub.rtt)
        try:
            desc, rest = VpxPayloadDescriptor.parse(packets[0].payload)
        except ValueError:
            return []
        keyframe = bool(rest) and not rest[0] & 1
        out: list[RtpPacket] = []
        if keyframe or desc.tid is None or desc.tid[0] == 0:
            media = [
                MediaPacket(p.sequence_number, p.timestamp, bool(p.marker), p.payload,
                            p.payload_type)
                for p in packets
            ]  # fmt: skip
            now = time.monotonic()
            wait = group_wait(self.hub.rtt)
            for payload in self._fec_group.add(media, factor, now, close=keyframe, max_wait=wait):
                fec = RtpPacket(
                    payload_type=FEC_PT,
                    sequence_number=self._fec_seq,
                    timestamp=packets[-1].timestamp,
                    ssrc=self._fec_ssrc,
                    payload=payload,
                )
                fec.extensions.mid = mid
                self._fec_seq = uint16_add(self._fec_seq, 1)
                out.append(fec)
        fec_bytes = sum(len(p.payload) for p in out)
        # parity bytes per media byte, each smoothed over ~20 frames (a keyframe weighs more)
        self._fec_bytes += (fec_bytes - self._fec_bytes) / 20
        self._media_bytes += (media_bytes - self._media_bytes) / 20
        self.hub.controller.fec_overhead = self._fec_bytes / max(1.0, self._media_bytes)
        self.fec_sent += len(out)
        return out

    async def _transmit(self, packet: RtpPacket) -> bool:
        """Stamp abs-send-time and the transport-wide sequence number as it leaves (the far
        side's estimator needs the real send time), send, and record it for transport-cc
        (tagged with the probe cluster under way). False when not connected."""
        packet.extensions.abs_send_time = (clock.current_ntp_time() >> 14) & 0x00FFFFFF
        state = self.hub.tcc(self.transport) if self.twcc else None
        seq = None
        if state is not None:
            seq = state.history.next_seq()
            packet.extensions.transport_sequence_number = seq & 0xFFFF
        ext_map = _get(self, "_RTCRtpSender__rtp_header_extensions_map")
        data = packet.serialize(ext_map)
        try:
            await self.transport._send_rtp(data)
        except ConnectionError:
            return False
        if state is not None and seq is not None:
            now = time.monotonic()
            size = len(data) + twcc.WIRE_OVERHEAD
            cluster = self.hub.probe
            if cluster is not None:
                cluster.sent_packets += 1
                cluster.sent_bytes += size
            state.history.on_sent(seq, now, size, cluster.id if cluster is not None else None)
            if self.kind == "video":
                self.hub.maybe_probe(now, state)
        return True

    async def _send_packet(self, packet: RtpPacket) -> None:
        """Send (:meth:`_transmit`) and count it for the sender reports (aiortc's private
        counters)."""
        if not await self._transmit(packet):
            return
        if packet.payload_type == FEC_PT:
            return  # not a packet of the media stream the sender reports describe
        self._last_timestamp = packet.timestamp
        if self.kind == "video":
            self._recent.append(packet)
        seq = packet.sequence_number
        self._sent_at[seq % RTP_HISTORY_SIZE] = (seq, time.monotonic())
        _put(self, "_RTCRtpSender__ntp_timestamp", clock.current_ntp_time())
        _put(self, "_RTCRtpSender__rtp_timestamp", packet.timestamp)
        _put(
            self,
            "_RTCRtpSender__octet_count",
            _get(self, "_RTCRtpSender__octet_count") + len(packet.payload),
        )
        _put(self, "_RTCRtpSender__packet_count", _get(self, "_RTCRtpSender__packet_count") + 1)

    async def _run_rtp(self, codec: RTCRtpCodecParameters) -> None:
        """aiortc 1.16's RTP loop; video packets go through :class:`Pacer`."""
        _get(self, "_RTCRtpSender__rtp_started").set()
        sequence_number = random_sequence_number()
        timestamp_origin = random32()
        history: dict[int, RtpPacket] = _get(self, "_RTCRtpSender__rtp_history")
        mid = _get(self, "_RTCRtpSender__mid")
        pacer_task = asyncio.ensure_future(self.pacer.run()) if self.kind == "video" else None
        try:
            while True:
                if not self.track:
                    await asyncio.sleep(0.02)
                    continue
                enc_frame = await self._next_encoded_frame(codec)
                if enc_frame is None:
                    continue
                timestamp = uint32_add(timestamp_origin, enc_frame.timestamp)
                frame_packets: list[RtpPacket] = []
                for i, payload in enumerate(enc_frame.payloads):
                    packet = RtpPacket(
                        payload_type=codec.payloadType or 0,
                        sequence_number=sequence_number,
                        timestamp=timestamp,
                    )
                    packet.ssrc = self._ssrc
                    packet.payload = payload
                    packet.marker = ((i == len(enc_frame.payloads) - 1) and 1) or 0
                    packet.extensions.mid = mid
                    if enc_frame.audio_level is not None:
                        packet.extensions.audio_level = (False, -enc_frame.audio_level)
                    history[packet.sequence_number % RTP_HISTORY_SIZE] = packet
                    sequence_number = uint16_add(sequence_number, 1)
                    if pacer_task is not None:
                        self.pacer.push(packet)
                        frame_packets.append(packet)
                    else:
                        await self._send_packet(packet)
                for fec in self._protect(frame_packets, mid):
                    self.pacer.push(fec)
        except (asyncio.CancelledError, ConnectionError, MediaStreamError):
            pass
        except Exception:
            log.exception("RTP sender (%s) failed", self.kind)
        if pacer_task is not None:
            pacer_task.cancel()
        track = self.track
        if track:
            track.stop()
            self.replaceTrack(None)
        _put(self, "_RTCRtpSender__encoder", None)
        _get(self, "_RTCRtpSender__rtp_exited").set()


def path_resumed(pc: RTCPeerConnection) -> None:
    """Packets flow again on ``pc`` after an outage (the same peer connection): ask for a
    keyframe on every video receiver now (the receivers also do it on their first packet
    after :data:`RESUME_GAP`; this covers a receiver whose first packets were all audio). The
    data channel needs nothing: aiortc 1.16's SCTP retransmits on its plain RTO (no
    exponential back-off of T3), so it resumes within about a second by itself."""
    hub = getattr(pc, "hub", None)
    if hub is not None:
        for receiver in hub.receivers:
            if receiver.kind == "video":
                receiver.request_keyframe()


class QualityPeerConnection(RTCPeerConnection):
    """``RTCPeerConnection`` with :class:`QualitySender`/:class:`QualityReceiver` on every
    transceiver and a :class:`QualityHub` (``pc.hub``) for the link state and counters."""

    def __init__(self, configuration: RTCConfiguration | None = None) -> None:
        self.hub = QualityHub()
        super().__init__(configuration)

        @self.on("connectionstatechange")
        def _state() -> None:
            if self.connectionState == "connected":
                self.hub.start()
                if not consent.install(self):
                    log.warning("ICE consent checks not replaced: a long path may be cut")
            elif self.connectionState in ("failed", "closed"):
                self.hub.stop()

    async def createOffer(self) -> RTCSessionDescription:
        token = _NEGOTIATING.set(TRANSPORT_CC)  # transport-cc in the offer (see _Scoped)
        try:
            return await super().createOffer()
        finally:
            _NEGOTIATING.reset(token)

    @property
    def localDescription(self) -> RTCSessionDescription:
        """aiortc's description with :data:`PEER_MARKER` after the ``t=`` line."""
        desc = super().localDescription
        if desc is None or PEER_MARKER in desc.sdp:
            return desc
        lines = desc.sdp.split("\r\n")
        at = next((i + 1 for i, line in enumerate(lines) if line.startswith("t=")), 1)
        lines.insert(at, PEER_MARKER)
        return RTCSessionDescription(sdp="\r\n".join(lines), type=desc.type)

    async def setRemoteDescription(self, sessionDescription: RTCSessionDescription) -> None:
        self.hub.fec_peer = PEER_MARKER in sessionDescription.sdp.splitlines()
        token = _NEGOTIATING.set(TRANSPORT_CC)  # ... and accepted from the far side's offer
        try:
            await super().setRemoteDescription(sessionDescription)
        finally:
            _NEGOTIATING.reset(token)

    def _RTCPeerConnection__createTransceiver(
        self, direction: str, kind: str, sender_track: MediaStreamTrack | None = None
    ) -> Any:
        transceiver = super()._RTCPeerConnection__createTransceiver(  # type: ignore[misc]
            direction, kind, sender_track
        )
        old_sender, old_receiver = transceiver.sender, transceiver.receiver
        sender = QualitySender(sender_track or kind, old_sender.transport, self.hub)
        sender._stream_id = old_sender._stream_id
        receiver = QualityReceiver(kind, old_receiver.transport, self.hub)
        receiver._set_rtcp_ssrc(sender._ssrc)
        _put(transceiver, "_RTCRtpTransceiver__sender", sender)
        _put(transceiver, "_RTCRtpTransceiver__receiver", receiver)
        return transceiver

    async def close(self) -> None:
        self.hub.stop()
        await super().close()
