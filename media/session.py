"""One live call of a consult: a peer connection on aiortc, negotiated through the central
platform's signaling room, with local media, a data channel, states and stats.

Who offers: always the **clinic** side (the room says so in ``joined.offerer``); the specialist
side answers. Full SDP, no trickle: aiortc gathers every candidate before it offers.

ICE: only the servers the central platform hands out for this call (``GET …/ice``), passed
explicitly, so aiortc's default public STUN server is never contacted; none configured means
host candidates only. ``relay_only=True`` uses relayed (TURN) candidates only.

Reconnecting. Each side sends a data-channel heartbeat every :data:`HEARTBEAT_INTERVAL` and
counts every byte the peer connection receives (media, RTCP, data channel). Nothing for
:data:`DEAD_AFTER` (2 s) -> ``RECONNECTING`` ("disconnected" in WebRTC's words); the same peer
connection is kept and keeps sending, and ICE consent (:mod:`media.quality.consent`, RFC 7675)
only expires after 30 s without any answer, so when the path returns within that, media resumes
on it at once (a keyframe is asked for as soon as packets flow again) and the state goes back
to ``CONNECTED``. A fresh peer connection is negotiated only when consent expired (the peer
connection failed), at once when this side's network address changed, or after
:data:`REBUILD_AFTER` dead as a safety net; the clinic side offers it, every :data:`RETRY_EVERY`
while the path stays dead (the specialist side asks for it with a ``restart`` message); after
``reconnect_timeout`` the call is ``FAILED``. ICE restart on the same connection: aiortc 1.16
cannot do it (see media/README.md). The data channel (:class:`CallChannel`) outlives peer
connections, so a file transfer resumes on the new one.

Signaling never waits for media: one task reads the socket all the time (so aiohttp answers
the server's heartbeat even while a TURN allocation over a dead path holds up gathering), and
negotiation steps run one at a time in another (:meth:`CallSession._enqueue`). A socket that
closes during a call is reopened with backoff (0.5 s to 10 s) and nothing is renegotiated that
may still live; an offer/answer that cannot be sent waits for the reopened socket (and is sent
again if the other side's socket was down when it went); none of this ends the call.

``stock=True`` is aiortc as shipped, for baselines (bench/call_links): no media/quality layer
and no heartbeat/dead-path watch.

States (:class:`CallState`): ``WAITING`` for the other side, ``CONNECTING``, ``CONNECTED``,
``RECONNECTING`` (link dropped, trying again), ``ENDED`` (hung up), ``FAILED`` (refused; the
message says why). Everything is reported to a :class:`CallObserver` on the event loop thread;
remote video frames also go to :attr:`CallSession.remote_video` (latest frame wins) for a
converter thread.

Echo: aiortc has no echo canceller; :mod:`media.echo` runs the microphone through the WebRTC
audio processing module (the loudspeaker feeds it). ``headset=True`` (or :meth:`CallSession.
set_headset`) turns that processing off. Where the module is missing
:attr:`CallSession.headset_recommended` and :data:`media.sources.HEADSET_ADVICE` are what the UI
shows. Nothing is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import ssl
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import av
from aioice.ice import get_host_addresses
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from media.datachannel import (
    CallChannel,
    ChatMessage,
    FileProgress,
    ReceivedFile,
    VitalReading,
)
from media.errors import CallError, CallRefused, CentralUnreachable
from media.frames import LatestFrame
from media.quality import consent
from media.signaling import (
    Answer,
    Candidate,
    IceInfo,
    Joined,
    Message,
    Offer,
    PeerJoined,
    PeerLeft,
    Restart,
    SignalError,
    SignalingClient,
)
from media.sources import HEADSET_ADVICE, LocalMedia

if TYPE_CHECKING:
    from media.quality.control import LinkState

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 0.5  # seconds between data-channel heartbeats
DEAD_AFTER = 2.0  # nothing received for this long: the path is dead -> RECONNECTING
# dead this long with the same address and a peer connection that still says "connected": build
# a fresh one. Normally ICE consent expiry (30 s without an answer, RFC 7675) fails the peer
# connection first; this is the safety net behind it.
REBUILD_AFTER = consent.EXPIRE_AFTER + 5.0
RETRY_EVERY = 4.0  # while still dead, offer a fresh peer connection again this often


class CallState(enum.Enum):
    IDLE = "idle"
    WAITING = "waiting"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    FAILED = "failed"


STATE_MESSAGES = {
    CallState.IDLE: "",
    CallState.WAITING: "Waiting for the other side to join the call.",
    CallState.CONNECTING: "Connecting the call.",
    CallState.CONNECTED: "",
    CallState.RECONNECTING: "The connection dropped; reconnecting.",
    CallState.ENDED: "The call has ended.",
    CallState.FAILED: "The call failed.",
}


@dataclass(frozen=True)
class CallStats:
    """One second of the call, from aiortc's getStats and the frames delivered."""

    at: float
    send_kbps: float
    recv_kbps: float
    rtt_ms: float | None
    loss_pct: float  # inbound packets lost in the interval
    fps_in: float
    frames_in: int  # remote video frames delivered so far


@dataclass
class CallSummary:
    """What goes into the call's record (media/call_records.py)."""

    consult_id: str
    call_id: str | None
    side: str | None
    joined_at: float
    connected_at: float | None = None
    ended_at: float | None = None
    sides_seen: set[str] = field(default_factory=set)
    reconnects: int = 0  # times the call went RECONNECTING (path dead or pc failed)
    peer_connections: int = 0  # peer connections built (1: every outage resumed on the first)
    signaling_drops: int = 0  # signaling sockets that closed during the call (reopened)
    samples: list[CallStats] = field(default_factory=list)

    @property
    def duration(self) -> float:
        if self.connected_at is None:
            return 0.0
        return max(0.0, (self.ended_at or time.time()) - self.connected_at)

    def quality(self) -> dict[str, float]:
        """Averages over the connected seconds (fps, kbit/s, RTT) and the worst loss."""
        live = [s for s in self.samples if s.fps_in > 0 or s.recv_kbps > 0]
        if not live:
            return {}
        rtts = [s.rtt_ms for s in live if s.rtt_ms is not None]
        return {
            "fps_in_avg": round(sum(s.fps_in for s in live) / len(live), 1),
            "recv_kbps_avg": round(sum(s.recv_kbps for s in live) / len(live), 1),
            "send_kbps_avg": round(sum(s.send_kbps for s in live) / len(live), 1),
            "rtt_ms_avg": round(sum(rtts) / len(rtts), 1) if rtts else -1.0,
            "loss_pct_max": round(max(s.loss_pct for s in live), 2),
            "reconnects": float(self.reconnects),
        }


class CallObserver:
    """Override what you need; every method runs on the event loop and must return quickly
    (hand frames to another thread: see :class:`media.frames.LatestFrame`)."""

    def on_state(self, state: CallState, message: str) -> None: ...

    def on_link_quality(self, state: LinkState, message: str) -> None:
        """media/quality's verdict on the link changed (WEAK: video paused, audio goes on)."""

    def on_remote_frame(self, frame: av.VideoFrame) -> None: ...

    def on_remote_audio(self, frame: av.AudioFrame) -> None: ...

    def on_stats(self, stats: CallStats) -> None: ...

    def on_chat(self, message: ChatMessage) -> None: ...

    def on_vitals(self, reading: VitalReading) -> None: ...

    def on_file_progress(self, progress: FileProgress) -> None: ...

    def on_file_received(self, file: ReceivedFile) -> None: ...

    def on_remote_media(self, camera_on: bool, audio_only: bool) -> None: ...


def rtc_configuration(ice: IceInfo, relay_only: bool = False) -> RTCConfiguration:
    """The peer connection's configuration from the central platform's ICE answer. The list is
    always given (possibly empty), so aiortc never falls back to its public STUN default."""
    servers = [
        RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
        for s in ice.servers
    ]
    if relay_only and not any(s.is_turn for s in ice.servers):
        raise CallError(
            "Relay-only calls need a TURN server, and the central platform has none configured."
        )
    policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)


class CallSession:
    """The call of consult ``consult_id`` as the account of ``token``.

    ``await start()`` fetches the ICE servers and joins the room (raising
    :class:`~media.errors.CallRefused` if this account is not admitted); the rest runs in the
    background until ``await hangup()``.
    """

    def __init__(
        self,
        server: str,
        token: str,
        consult_id: str,
        *,
        media: LocalMedia | None = None,
        observer: CallObserver | None = None,
        relay_only: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        stats_interval: float = 1.0,
        stock: bool = False,
        reconnect_timeout: float = 120.0,
        headset: bool = False,
    ) -> None:
        self.consult_id = consult_id
        # stock: plain aiortc for baselines (no media/quality layer, no dead-path watch)
        self.stock = stock
        self.reconnect_timeout = reconnect_timeout
        self.media = media if media is not None else LocalMedia.synthetic()
        self.observer = observer or CallObserver()
        self.relay_only = relay_only
        self.stats_interval = stats_interval
        self.signaling = SignalingClient(server, token, consult_id, ssl_context=ssl_context)
        self.channel = CallChannel(
            on_chat=lambda m: self._notify("on_chat", m),
            on_vitals=lambda v: self._notify("on_vitals", v),
            on_progress=lambda p: self._notify("on_file_progress", p),
            on_file=lambda f: self._notify("on_file_received", f),
            on_control=self._on_control,
            on_activity=self._on_activity,
        )
        self.remote_video: LatestFrame[av.VideoFrame] = LatestFrame()
        self.state = CallState.IDLE
        self.side: str | None = None
        self.call_id: str | None = None
        self.offerer = "clinic"
        self.peer_present = False
        self.stats: CallStats | None = None
        self.summary = CallSummary(consult_id, None, None, time.time())
        self.headset_recommended = self.media.headset_recommended
        self.headset_advice = HEADSET_ADVICE
        self.headset = False
        self.set_headset(headset)
        self.camera_on = self.media.camera_on
        self.audio_only = False
        self.peer_audio_only = False
        self.peer_camera_on = True
        # set by media/quality (watch_link) unless stock: GOOD or WEAK, and what to tell people
        self.link_quality: LinkState | None = None
        self.link_message = ""
        self.started_at: float | None = None  # monotonic, at start()
        self.first_frame_at: float | None = None  # monotonic, first remote video frame
        self.frames_in = 0
        self._config: RTCConfiguration | None = None
        self._pc: RTCPeerConnection | None = None
        self._pc_tasks: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stats_task: asyncio.Task[None] | None = None
        self._closing = False
        self._state_waiters: list[tuple[set[CallState], asyncio.Future[CallState]]] = []
        self._reoffer: asyncio.Task[None] | None = None
        self._neg_task: asyncio.Task[None] | None = None  # the negotiation job running/last
        self._answering: str | None = None  # the offer SDP this (answering) side works on
        self._answered: tuple[str, str] | None = None  # (offer, answer) of the current pc
        self._watch_task: asyncio.Task[None] | None = None
        self._watched: RTCPeerConnection | None = None  # the pc the watch is measuring
        self._rx_bytes = -1
        self._last_rx = 0.0  # monotonic: last byte or data-channel message received
        self._dead_since: float | None = None  # monotonic, while the path is dead
        self._last_attempt = 0.0  # monotonic: last fresh peer connection for a dead path

    # -- public ----------------------------------------------------------------------------

    @property
    def is_offerer(self) -> bool:
        return self.side == self.offerer

    async def start(self) -> None:
        """Join the call. Raises CallRefused / CentralUnreachable / CallError for the UI."""
        self.started_at = time.monotonic()
        ice = await self.signaling.fetch_ice()
        self.side = ice.side
        self.summary.side = ice.side
        self._config = rtc_configuration(ice, self.relay_only)
        joined = await self.signaling.connect()
        self._task = asyncio.create_task(self._run(joined))
        self._stats_task = asyncio.create_task(self._poll_stats())
        if not self.stock:
            self._watch_task = asyncio.create_task(self._watch())

    async def hangup(self) -> None:
        """Leave the call (tell the other side), close the peer connection, stop tasks."""
        if self._closing:
            return
        self._closing = True
        self.summary.ended_at = time.time()
        with contextlib.suppress(Exception):
            await self.signaling.bye()
        for task in (self._task, self._stats_task, self._reoffer, self._watch_task, self._neg_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self._close_pc()
        self.channel.close()
        await self.signaling.aclose()
        if self.state != CallState.FAILED:
            self._set_state(CallState.ENDED)

    def set_headset(self, headset: bool) -> None:
        """A headset: no acoustic echo, so the microphone goes out without echo processing."""
        self.headset = headset
        self.media.set_headset(headset)

    def set_muted(self, muted: bool) -> None:
        """Microphone off: the far side receives silence."""
        self.media.muted = muted

    def set_camera(self, on: bool) -> None:
        """Camera off: the far side receives black frames and is told to show a placeholder."""
        self.camera_on = on
        self._apply_video()

    def set_audio_only(self, audio_only: bool) -> None:
        """Audio only: neither side sends video (both are asked); audio keeps going."""
        self.audio_only = audio_only
        self._apply_video()

    async def wait_for(self, *states: CallState, timeout: float = 30.0) -> CallState:
        """Until the call is in one of ``states`` (or ENDED/FAILED); returns the state."""
        wanted = set(states) | {CallState.ENDED, CallState.FAILED}
        if self.state in wanted:
            return self.state
        fut: asyncio.Future[CallState] = asyncio.get_running_loop().create_future()
        self._state_waiters.append((wanted, fut))
        return await asyncio.wait_for(fut, timeout)

    def selected_candidate_types(self) -> tuple[str, str] | None:
        """(local, remote) candidate types of the pair in use ("host", "srflx", "relay"), or
        None before a pair is nominated."""
        pc = self._pc
        if pc is None:
            return None
        try:
            for transceiver in pc.getTransceivers():
                ice = transceiver.receiver.transport.transport
                nominated = ice._connection._nominated
                for pair in nominated.values():
                    return str(pair.local_candidate.type), str(pair.remote_candidate.type)
        except AttributeError:
            return None
        return None

    # -- observer --------------------------------------------------------------------------

    def _notify(self, name: str, *args: Any) -> None:
        try:
            getattr(self.observer, name)(*args)
        except Exception:
            # the type and the place only: an exception's message may carry call content
            exc = sys.exc_info()[1]
            where = traceback.extract_tb(exc.__traceback__)[-1] if exc is not None else None
            log.error(
                "call observer %s failed: %s at %s:%s", name, type(exc).__name__,
                where.filename if where else "?", where.lineno if where else "?",
            )  # fmt: skip

    def _set_state(self, state: CallState, message: str | None = None) -> None:
        if state == self.state and message is None:
            return
        self.state = state
        if state == CallState.CONNECTED and self.summary.connected_at is None:
            self.summary.connected_at = time.time()
        self._notify("on_state", state, message if message is not None else STATE_MESSAGES[state])
        for wanted, fut in list(self._state_waiters):
            if state in wanted and not fut.done():
                fut.set_result(state)
                self._state_waiters.remove((wanted, fut))

    # -- signaling loop --------------------------------------------------------------------

    async def _run(self, joined: Joined) -> None:
        """The reader: reads the signaling socket all the time (aiohttp answers the server's
        heartbeat only while someone reads) and never waits for a negotiation, which runs as
        its own task (:meth:`_enqueue`); a socket that closes is reopened with backoff while
        the call goes on."""
        while not self._closing:
            try:
                self._on_joined(joined)
                async for msg in self.signaling.messages():
                    self._handle(msg)
                if self.signaling.refusal is not None:
                    raise self.signaling.refusal
                if self._closing:
                    return
                self.peer_present = False
                self.summary.signaling_drops += 1
                if self.state in (CallState.CONNECTED, CallState.RECONNECTING):
                    # the media path is not the signaling path: a call whose peer connection
                    # lives goes on (its dead-path watch decides about media)
                    log.info("signaling dropped during the call; reopening it")
                else:
                    self._set_state(
                        CallState.RECONNECTING,
                        "The link to the central platform dropped; reconnecting.",
                    )
                joined = await self._reconnect_signaling()
            except CallRefused as exc:
                await self._fail(str(exc))
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("call signaling failed")
                await self._fail("The call failed because of an internal error.")
                return

    async def _reconnect_signaling(self) -> Joined:
        """Open the socket again, backing off from 0.5 s to 10 s (x 0.8-1.2) between tries;
        raises CallRefused if the central platform now refuses this account."""
        delay = 0.5
        while True:
            await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))
            try:
                return await self.signaling.connect()
            except CentralUnreachable:
                delay = min(delay * 2, 10.0)

    async def _fail(self, message: str) -> None:
        self._set_state(CallState.FAILED, message)
        await self._close_pc()
        await self.signaling.close()

    def _on_joined(self, joined: Joined) -> None:
        self.side, self.call_id, self.offerer = joined.side, joined.call_id, joined.offerer
        self.summary.call_id = self.summary.call_id or joined.call_id
        self.summary.sides_seen.add(joined.side)
        self.peer_present = bool(joined.peers)
        self.summary.sides_seen.update(joined.peers)
        if not self.peer_present:
            if self.state not in (CallState.CONNECTED, CallState.RECONNECTING):
                self._set_state(CallState.WAITING)
            return
        if self.state not in (CallState.CONNECTED, CallState.RECONNECTING):
            self._set_state(CallState.CONNECTING)
        if not self.is_offerer and self._pc is None and not self._negotiating():
            # we joined second, or our peer connection is gone: ask for a (fresh) offer
            self._enqueue(self._ask_restart, "restart")
            return
        self._resume_negotiation()

    def _resume_negotiation(self) -> None:
        """Both sides are in the room (again): carry on from where the negotiation was. Never
        rebuilds a peer connection that may still live (an outage within consent expiry
        resumes on it); a pending offer/answer goes out through the new socket by itself."""
        if self._closing or self.media_alive() or self._negotiating():
            return
        pc = self._pc
        if self.is_offerer:
            if pc is None or pc.connectionState in ("failed", "closed"):
                self._enqueue(self._offer, "offer", supersede=True)
            elif pc.signalingState == "have-local-offer":
                # the offer may have been lost (the other side's socket was down): same again
                self._enqueue(self._resend_offer, "offer again")
        elif pc is not None and self._answered is not None and pc.connectionState != "connected":
            self._enqueue(self._resend_answer, "answer again")

    def _handle(self, msg: Message) -> None:
        """One message from the room; anything that touches the peer connection is queued
        (:meth:`_enqueue`), so this returns at once."""
        if isinstance(msg, PeerJoined):
            self.peer_present = True
            self.summary.sides_seen.add(msg.side)
            if self.state not in (CallState.CONNECTED, CallState.RECONNECTING):
                self._set_state(CallState.CONNECTING)
            self._resume_negotiation()
        elif isinstance(msg, Restart):
            if not self.is_offerer or self._closing or self._negotiating():
                return  # a pending offer answers it
            pc = self._pc
            if pc is not None and pc.signalingState == "have-local-offer":
                self._enqueue(self._resend_offer, "offer again")
                return
            log.info("the other side asked for a fresh peer connection")
            if self.state == CallState.CONNECTED:
                self.summary.reconnects += 1
                self._set_state(CallState.RECONNECTING)
            self._last_attempt = time.monotonic()
            self._enqueue(self._offer, "offer", supersede=True)
        elif isinstance(msg, PeerLeft):
            self.peer_present = False
            if msg.reason == "hangup":
                self._enqueue(self._close_pc, "close", supersede=True)
                self._set_state(CallState.WAITING, "The other side left the call.")
            elif self.state not in (CallState.CONNECTED, CallState.RECONNECTING):
                self._enqueue(self._close_pc, "close", supersede=True)
                self._set_state(CallState.WAITING)
            # else: only its signaling socket went; media may still flow peer to peer
        elif isinstance(msg, Offer) and not self.is_offerer:
            pc = self._pc
            if self._answering == msg.sdp and (self._negotiating() or pc is not None):
                if self._answered is not None and self._answered[0] == msg.sdp:
                    self._enqueue(self._resend_answer, "answer again")
                return  # the same offer again (re-sent after a signaling drop)
            self._answering = msg.sdp
            self._enqueue(lambda: self._answer(msg.sdp), "answer", supersede=True)
        elif isinstance(msg, Answer) and self.is_offerer:
            self._enqueue(lambda: self._take_answer(msg.sdp), "take answer")
        elif isinstance(msg, Candidate):
            if msg.candidate:
                self._enqueue(lambda: self._add_candidate(msg), "candidate")
        elif isinstance(msg, SignalError):
            log.info("signaling error: %s", msg.code)

    # -- negotiation, one job at a time, never on the reader ---------------------------------

    def _negotiating(self) -> bool:
        task = self._neg_task
        return task is not None and not task.done()

    def _enqueue(
        self, job: Callable[[], Awaitable[None]], name: str, *, supersede: bool = False
    ) -> None:
        """Run ``job`` after the negotiation job before it (or instead of it: ``supersede``
        cancels a pending one, e.g. an offer still gathering for a peer connection that a
        newer offer replaces)."""
        prev = self._neg_task
        if supersede and prev is not None and not prev.done():
            prev.cancel()

        async def run() -> None:
            if prev is not None and not prev.done():
                await asyncio.wait([prev])
            if self._closing:
                return
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._negotiation_failed(name, exc)

        self._neg_task = asyncio.create_task(run())

    async def _negotiation_failed(self, name: str, exc: Exception) -> None:
        # the type only: an SDP in a message is not for the log
        log.warning("call negotiation step %r failed: %s", name, type(exc).__name__)
        if self.stock or self._closing:
            await self._fail("The call failed because of an internal error.")
            return
        # never the end of the call: drop this peer connection; the watch offers (or asks
        # for) a fresh one every RETRY_EVERY, until reconnect_timeout
        await self._close_pc()
        if self.state != CallState.RECONNECTING:
            self.summary.reconnects += 1
            self._set_state(CallState.RECONNECTING)

    async def _send_signal(self, message: Offer | Answer | Restart, pc: Any) -> bool:
        """Send through the room, waiting for a reconnected socket if it is down; False if
        ``pc`` (the peer connection the message is about) was replaced meanwhile."""
        return await self.signaling.send_when_up(
            message, lambda: not self._closing and (pc is None or pc is self._pc)
        )

    # -- peer connection -------------------------------------------------------------------

    def _new_pc(self) -> RTCPeerConnection:
        assert self._config is not None
        if self.stock:
            pc = RTCPeerConnection(self._config)
        else:  # media/quality: jitter buffer, concealment, adaptation, audio-only fallback
            from media import quality

            qpc = quality.new_peer_connection(self._config)
            quality.watch_link(self, qpc)
            pc = qpc
        self._pc = pc
        self.summary.peer_connections += 1

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc is not self._pc or self._closing:
                return
            if pc.connectionState == "connected":
                self._set_state(CallState.CONNECTED)
                self._apply_video()
            elif pc.connectionState == "failed":
                # ICE consent expired (30 s without an answer, RFC 7675) or the checks
                # failed: this peer connection is over, a fresh one is negotiated
                log.info("the peer connection failed")
                await self._close_pc()
                if self.state != CallState.RECONNECTING:
                    self.summary.reconnects += 1
                if self.peer_present:
                    self._set_state(CallState.RECONNECTING)
                    self._last_attempt = time.monotonic()
                    if self.is_offerer:
                        self._schedule_reoffer()
                    else:
                        self._enqueue(self._ask_restart, "restart")
                else:
                    self._set_state(CallState.WAITING)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            consume = self._consume_video if track.kind == "video" else self._consume_audio
            task = asyncio.create_task(consume(track))
            self._pc_tasks.add(task)
            task.add_done_callback(self._pc_tasks.discard)

        @pc.on("datachannel")
        def on_datachannel(channel: Any) -> None:
            self.channel.attach(channel)

        return pc

    def _add_tracks(self, pc: RTCPeerConnection) -> None:
        audio, video = self.media.audio_track(), self.media.video_track()
        if audio is not None:
            pc.addTrack(audio)
        else:
            pc.addTransceiver("audio", direction="recvonly")
        if video is not None:
            pc.addTrack(video)
        else:
            pc.addTransceiver("video", direction="recvonly")

    async def _offer(self) -> None:
        await self._close_pc()
        self._set_state(
            CallState.CONNECTING if self.state != CallState.RECONNECTING else self.state
        )
        pc = self._new_pc()
        self._add_tracks(pc)
        self.channel.attach(pc.createDataChannel("call", ordered=True))
        # gathers every candidate: a TURN allocation over a dead path can take many seconds,
        # during which the reader keeps the signaling socket alive
        await pc.setLocalDescription(await pc.createOffer())
        if pc is not self._pc:
            return
        await self._send_signal(Offer(pc.localDescription.sdp), pc)

    async def _resend_offer(self) -> None:
        pc = self._pc
        if pc is not None and pc.signalingState == "have-local-offer":
            await self._send_signal(Offer(pc.localDescription.sdp), pc)

    async def _answer(self, sdp: str) -> None:
        await self._close_pc()
        if self.state != CallState.RECONNECTING:
            self._set_state(CallState.CONNECTING)
        pc = self._new_pc()
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        audio, video = self.media.audio_track(), self.media.video_track()
        if audio is not None:
            pc.addTrack(audio)
        if video is not None:
            pc.addTrack(video)
        await pc.setLocalDescription(await pc.createAnswer())
        if pc is not self._pc:
            return
        self._answered = (sdp, pc.localDescription.sdp)
        await self._send_signal(Answer(pc.localDescription.sdp), pc)

    async def _resend_answer(self) -> None:
        pc, answered = self._pc, self._answered
        if pc is not None and answered is not None:
            await self._send_signal(Answer(answered[1]), pc)

    async def _take_answer(self, sdp: str) -> None:
        pc = self._pc
        if pc is not None and pc.signalingState == "have-local-offer":
            await pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))

    async def _add_candidate(self, msg: Candidate) -> None:
        if self._pc is not None and msg.candidate:
            cand = candidate_from_sdp(msg.candidate.removeprefix("candidate:"))
            cand.sdpMid, cand.sdpMLineIndex = msg.sdp_mid, msg.sdp_mline_index
            await self._pc.addIceCandidate(cand)

    def _schedule_reoffer(self) -> None:
        async def later() -> None:
            await asyncio.sleep(1.0)
            if not self._closing and self.peer_present and self._pc is None:
                self._last_attempt = time.monotonic()
                self._enqueue(self._offer, "offer", supersede=True)

        if self._reoffer is None or self._reoffer.done():
            self._reoffer = asyncio.create_task(later())

    async def _close_pc(self) -> None:
        pc, self._pc = self._pc, None
        if pc is None:
            return
        self._answered = None
        self._answering = None
        self.channel.detach()
        for task in list(self._pc_tasks):
            task.cancel()
        if not self.stock:
            from media import quality

            quality.retire(self, pc)  # its counters carry over into the call's totals
        # shielded: a negotiation cancelled meanwhile must not leave a half-closed pc
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(pc.close())

    async def _consume_video(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.VideoFrame):
                continue
            self.frames_in += 1
            if self.first_frame_at is None:
                self.first_frame_at = time.monotonic()
            self.remote_video.put(frame)
            self._notify("on_remote_frame", frame)

    async def _consume_audio(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, av.AudioFrame):
                self._notify("on_remote_audio", frame)

    # -- dead-path watch and reconnect -----------------------------------------------------

    def media_alive(self, within: float = DEAD_AFTER) -> bool:
        """The peer connection is connected and received something in the last ``within`` s."""
        pc = self._pc
        if pc is None or pc.connectionState != "connected":
            return False
        if self.stock:
            return True  # no watch: trust aiortc's own state
        return pc is self._watched and time.monotonic() - self._last_rx < within

    def _on_activity(self) -> None:
        self._last_rx = time.monotonic()

    async def _ask_restart(self) -> None:
        """Ask the offering side for a fresh peer connection (sent when the socket is up)."""
        await self._send_signal(Restart(), None)

    async def _watch(self) -> None:
        """Heartbeats out, bytes in; see the module docstring for what happens when they stop."""
        last_beat = 0.0
        while not self._closing:
            await asyncio.sleep(0.1)
            try:
                now = time.monotonic()
                if now - last_beat >= HEARTBEAT_INTERVAL:
                    last_beat = now
                    self.channel.send_heartbeat()
                await self._watch_step(now)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("call watch failed")

    async def _watch_step(self, now: float) -> None:
        pc = self._pc
        if pc is not None and pc is not self._watched:
            self._watched, self._rx_bytes, self._last_rx = pc, -1, now  # a fresh pc: a fresh clock
        if pc is not None and pc.connectionState == "connected":
            rx = _received_bytes(pc)
            if rx is not None and rx != self._rx_bytes:
                self._rx_bytes, self._last_rx = rx, now
        alive = self.media_alive()
        if self.state == CallState.CONNECTED:
            self._dead_since = None
            if pc is not None and not alive and pc is self._watched:
                # "disconnected" in WebRTC's words: the same peer connection is kept
                self._dead_since = self._last_rx
                self.summary.reconnects += 1
                log.info("no packets for %.1f s: the path is dead", now - self._last_rx)
                self._set_state(CallState.RECONNECTING)
            return
        if self.state != CallState.RECONNECTING:
            return
        if self._dead_since is None:  # reconnecting for another reason (the pc failed)
            self._dead_since = now
        if alive:  # the same path came back (or a fresh pc connected)
            dead_for = now - self._dead_since
            log.info("the path came back after %.1f s", dead_for)
            self._dead_since = None
            if pc is not None and not self.stock:
                from media import quality

                quality.path_resumed(pc)  # keyframe request, data channel retransmits now
            self._set_state(CallState.CONNECTED)
            self._apply_video()
            return
        dead_for = now - self._dead_since
        if dead_for > self.reconnect_timeout:
            await self._fail("The connection could not be restored.")
            return
        if not self.peer_present or now - self._last_attempt < RETRY_EVERY:
            return
        if self._negotiating():
            return  # an offer/answer is on its way (gathering, or waiting for signaling)
        moved = pc is not None and pc is self._watched and _address_gone(pc)
        gone = pc is None or pc.connectionState in ("failed", "closed")
        if moved or gone or dead_for >= REBUILD_AFTER:
            self._last_attempt = now
            why = "new address" if moved else "no peer connection" if gone else "dead"
            if self.is_offerer:
                log.info("building a fresh peer connection (%s)", why)
                self._enqueue(self._offer, "offer", supersede=True)
            else:
                log.info("asking for a fresh peer connection (%s)", why)
                self._enqueue(self._ask_restart, "restart")

    # -- controls over the data channel ----------------------------------------------------

    def _apply_video(self) -> None:
        self.media.camera_on = (
            self.camera_on
            and not self.audio_only
            and not self.peer_audio_only
            and self.media.video is not None
        )
        self.channel.send_control(camera=self.camera_on, audio_only=self.audio_only)

    def _on_control(self, values: dict[str, Any]) -> None:
        self.peer_camera_on = bool(values.get("camera", True))
        self.peer_audio_only = bool(values.get("audio_only", False))
        self.media.camera_on = (
            self.camera_on
            and not self.audio_only
            and not self.peer_audio_only
            and self.media.video is not None
        )
        self._notify("on_remote_media", self.peer_camera_on, self.peer_audio_only)

    # -- stats -----------------------------------------------------------------------------

    async def _poll_stats(self) -> None:
        last: dict[str, float] = {}
        last_frames, last_at = 0, time.monotonic()
        while True:
            await asyncio.sleep(self.stats_interval)
            pc = self._pc
            now = time.monotonic()
            span = max(1e-3, now - last_at)
            fps = (self.frames_in - last_frames) / span
            last_frames, last_at = self.frames_in, now
            if pc is None or self.state != CallState.CONNECTED:
                last = {}
                continue
            try:
                report = await pc.getStats()
            except Exception:
                continue
            cur = {"sent": 0.0, "recv": 0.0, "lost": 0.0, "got": 0.0}
            rtts: list[float] = []
            for s in report.values():
                if s.type == "transport":
                    cur["sent"] += s.bytesSent
                    cur["recv"] += s.bytesReceived
                elif s.type == "inbound-rtp":
                    cur["lost"] += max(0, s.packetsLost)
                    cur["got"] += s.packetsReceived
                elif s.type == "remote-inbound-rtp" and s.roundTripTime:
                    rtts.append(s.roundTripTime * 1000)
            if last:
                lost = cur["lost"] - last["lost"]
                got = cur["got"] - last["got"]
                stats = CallStats(
                    at=time.time(),
                    send_kbps=(cur["sent"] - last["sent"]) * 8 / 1000 / span,
                    recv_kbps=(cur["recv"] - last["recv"]) * 8 / 1000 / span,
                    rtt_ms=sum(rtts) / len(rtts) if rtts else None,
                    loss_pct=100.0 * lost / (lost + got) if lost + got > 0 else 0.0,
                    fps_in=fps,
                    frames_in=self.frames_in,
                )
                self.stats = stats
                self.summary.samples.append(stats)
                self._notify("on_stats", stats)
            last = cur


def _transports(pc: RTCPeerConnection) -> list[Any]:
    found: dict[int, Any] = {}
    for transceiver in pc.getTransceivers():
        transport = transceiver.receiver.transport
        if transport is not None:
            found[id(transport)] = transport
    sctp = pc.sctp
    if sctp is not None:
        found[id(sctp.transport)] = sctp.transport
    return list(found.values())


def _received_bytes(pc: RTCPeerConnection) -> int | None:
    """Bytes the peer connection's DTLS transports received so far (aiortc's transport
    stats), or None if aiortc's internals moved."""
    try:
        total = 0
        for transport in _transports(pc):
            for s in transport._get_stats().values():
                if s.type == "transport":
                    total += int(s.bytesReceived)
        return total
    except (AttributeError, TypeError):
        return None


def _address_gone(pc: RTCPeerConnection) -> bool:
    """The local address of the pair in use is no longer one of this machine's (a network
    change: the old path can never come back).

    The address that matters is the one this machine sends from (:func:`_local_base`): for a
    relayed candidate that is the socket towards the TURN server, not the candidate's own
    address, which is the relay's (on the TURN server) and never one of this machine's —
    taking it would see a "network change" in every outage of a relay-only call."""
    try:
        local: set[str] = set()
        for transport in _transports(pc):
            for pair in transport.transport._connection._nominated.values():
                base = _local_base(pair)
                if base is not None:
                    local.add(base)
    except AttributeError:
        return False
    if not local:
        return False
    current = set(get_host_addresses(use_ipv4=True, use_ipv6=True))
    return not (local & current)


def _local_base(pair: Any) -> str | None:
    """This machine's address that ``pair`` (an aioice candidate pair) sends from: the host
    candidate's address, or for a relayed candidate the local address of the socket to the
    TURN server (aioice's ``TurnTransport`` wraps it); None if aioice's internals moved or
    the socket is gone."""
    candidate = pair.local_candidate
    if candidate.type != "relay":
        return str(candidate.host)
    inner = getattr(pair.protocol.transport, "_TurnTransport__inner_protocol", None)
    sock_transport = getattr(inner, "transport", None)
    if sock_transport is None:
        return None
    name = sock_transport.get_extra_info("sockname")
    if not name:
        return None
    return str(name[0])
