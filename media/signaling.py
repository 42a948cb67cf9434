"""Client of the central platform's call signaling (see central/signaling.py): the ICE servers
for a consult's call, and the WebSocket room.

:class:`SignalingClient` is one connection at a time; :meth:`connect` may be called again after
the socket drops (the session reconnects with backoff). Messages are typed dataclasses; refusals
become :class:`~media.errors.CallRefused` with the server's sentence, an unreachable server
:class:`~media.errors.CentralUnreachable`.

The socket must be read all the time: aiohttp answers the server's heartbeat pings (and sees
the pongs of its own) only inside :meth:`SignalingClient.messages`; a reader that stops for
longer than the heartbeat (15 s) gets the socket closed as gone. :class:`media.session.
CallSession` therefore reads in one task and negotiates in another, and sends through
:meth:`SignalingClient.send_when_up`, which waits for a reconnected socket instead of raising.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from clinic_app import __version__
from media.errors import CallRefused, CentralUnreachable

log = logging.getLogger(__name__)

CLOSE_REFUSALS = frozenset({"room_full", "replaced"})


@dataclass(frozen=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    @property
    def is_turn(self) -> bool:
        return any(u.startswith(("turn:", "turns:")) for u in self.urls)


@dataclass(frozen=True)
class IceInfo:
    side: str  # "clinic" or "specialist"
    servers: tuple[IceServer, ...]
    expires_at: int | None


@dataclass(frozen=True)
class Joined:
    side: str
    call_id: str
    peers: tuple[str, ...]
    offerer: str


@dataclass(frozen=True)
class PeerJoined:
    side: str


@dataclass(frozen=True)
class PeerLeft:
    side: str
    reason: str  # "hangup" | "gone"


@dataclass(frozen=True)
class Offer:
    sdp: str


@dataclass(frozen=True)
class Answer:
    sdp: str


@dataclass(frozen=True)
class Candidate:
    candidate: str | None
    sdp_mid: str | None
    sdp_mline_index: int | None


@dataclass(frozen=True)
class Restart:
    """The answering side asks the offering side for a fresh peer connection (its own path
    died: a new network address, or a peer connection it no longer has)."""


@dataclass(frozen=True)
class SignalError:
    code: str
    message: str


@dataclass(frozen=True)
class Pong:
    pass


Message = Joined | PeerJoined | PeerLeft | Offer | Answer | Candidate | Restart | SignalError | Pong


def parse(data: dict[str, Any]) -> Message | None:
    """A server message as its dataclass; None for anything unknown (ignored)."""
    kind = data.get("type")
    try:
        if kind == "joined":
            return Joined(str(data["side"]), str(data["call_id"]),
                          tuple(str(p) for p in data.get("peers", [])),
                          str(data.get("offerer", "clinic")))  # fmt: skip
        if kind == "peer-joined":
            return PeerJoined(str(data["side"]))
        if kind == "peer-left":
            return PeerLeft(str(data["side"]), str(data.get("reason", "gone")))
        if kind == "offer":
            return Offer(str(data["sdp"]))
        if kind == "answer":
            return Answer(str(data["sdp"]))
        if kind == "candidate":
            return Candidate(data.get("candidate"), data.get("sdpMid"), data.get("sdpMLineIndex"))
        if kind == "restart":
            return Restart()
        if kind == "error":
            return SignalError(str(data.get("code", "error")), str(data.get("message", "")))
        if kind == "pong":
            return Pong()
    except (KeyError, TypeError, ValueError):
        return None
    return None


Outgoing = Offer | Answer | Candidate | Restart


def encode(message: Outgoing) -> dict[str, Any]:
    if isinstance(message, Restart):
        return {"type": "restart"}
    if isinstance(message, Offer):
        return {"type": "offer", "sdp": message.sdp}
    if isinstance(message, Answer):
        return {"type": "answer", "sdp": message.sdp}
    return {"type": "candidate", "candidate": message.candidate, "sdpMid": message.sdp_mid,
            "sdpMLineIndex": message.sdp_mline_index}  # fmt: skip


_STATUS_MESSAGES = {
    401: "Sign in again: the central platform did not accept this account's token.",
    403: "This account cannot take part in calls.",
    404: "This account does not take part in this consult, so it cannot join its call.",
    409: "This consult's call is closed.",
}


class SignalingClient:
    """The signaling WebSocket of one consult's call, as ``token``'s account."""

    def __init__(
        self,
        server: str,
        token: str,
        consult_id: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.base = server.rstrip("/")
        self.consult_id = consult_id
        # Every request says which version this is: an outdated one is refused (426) in words.
        self._headers = {"Authorization": f"Bearer {token}", "X-Client-Version": __version__}
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._timeout = timeout
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.refusal: CallRefused | None = None  # set when the server closed us for good
        self._up: asyncio.Event | None = None  # set while a joined socket is open
        self.opened = 0  # sockets opened (joined) so far

    @property
    def up(self) -> asyncio.Event:
        """Set while a joined socket is open (cleared when it closes or a send fails)."""
        if self._up is None:
            self._up = asyncio.Event()
        return self._up

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                headers=self._headers, timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        return self._http

    def _url(self, tail: str) -> str:
        return f"{self.base}/api/v1/calls/{self.consult_id}/{tail}"

    async def _refusal(self, resp: aiohttp.ClientResponse) -> CallRefused:
        message = _STATUS_MESSAGES.get(resp.status, "The central platform refused the call.")
        code = "refused"
        try:
            body = await resp.json(content_type=None)
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                message, code = error["message"], str(error.get("code", code))
        except (ValueError, aiohttp.ClientError):
            pass
        return CallRefused(message, code, resp.status)

    async def _upgrade_refusal(self) -> CallRefused:
        """The central platform's sentence for an outdated workstation (asked again by plain
        HTTP; the version check answers before any route)."""
        fallback = CallRefused(
            f"This workstation runs version {__version__}, which the central platform no "
            "longer accepts: install the update.",
            "upgrade_required",
            426,
        )
        try:
            async with self._session().get(self._url("ice"), ssl=self._ssl) as resp:
                return await self._refusal(resp) if resp.status == 426 else fallback
        except (aiohttp.ClientError, TimeoutError):
            return fallback

    async def fetch_ice(self) -> IceInfo:
        """This account's side and ICE servers (with fresh TURN credentials)."""
        try:
            async with self._session().get(self._url("ice"), ssl=self._ssl) as resp:
                if resp.status != 200:
                    if resp.status >= 500:
                        raise CentralUnreachable(
                            "The central platform failed; the call cannot start now."
                        )
                    raise await self._refusal(resp)
                body = await resp.json()
        except (aiohttp.ClientConnectionError, TimeoutError):
            raise CentralUnreachable(
                "The central platform cannot be reached; the call will start when the link returns."
            ) from None
        servers = []
        for s in body.get("ice_servers", []):
            urls = s.get("urls")
            urls = [urls] if isinstance(urls, str) else list(urls or [])
            servers.append(IceServer(tuple(urls), s.get("username"), s.get("credential")))
        return IceInfo(str(body["side"]), tuple(servers), body.get("expires_at"))

    async def connect(self) -> Joined:
        """Open the room's socket (joining it); the first message is ``joined``."""
        await self.close()
        self.refusal = None
        try:
            ws = await self._session().ws_connect(
                self._url("ws"), ssl=self._ssl, heartbeat=15.0, autoping=True
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 426:  # too old: the sentence is in the body, which a failed
                raise await self._upgrade_refusal() from None  # handshake does not keep
            if exc.status in _STATUS_MESSAGES:
                raise CallRefused(_STATUS_MESSAGES[exc.status], "refused", exc.status) from None
            raise CentralUnreachable("The central platform did not open the call.") from None
        except (aiohttp.ClientConnectionError, TimeoutError):
            raise CentralUnreachable(
                "The central platform cannot be reached; retrying when the link returns."
            ) from None
        self._ws = ws
        first = await self._receive()
        if isinstance(first, SignalError):
            self.refusal = CallRefused(first.message, first.code)
            await self.close()
            raise self.refusal
        if not isinstance(first, Joined):
            await self.close()
            raise CentralUnreachable("The central platform answered the call unexpectedly.")
        self.opened += 1
        self.up.set()
        return first

    async def _receive(self) -> Message | None:
        """The next server message; None when the socket closed."""
        ws = self._ws
        while ws is not None and not ws.closed:
            msg = await ws.receive()
            if msg.type == aiohttp.WSMsgType.TEXT:
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                parsed = parse(data) if isinstance(data, dict) else None
                if parsed is not None:
                    return parsed
            elif msg.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                break
        if self._ws is ws:
            self.up.clear()
        return None

    async def messages(self) -> AsyncIterator[Message]:
        """Messages until the socket closes. A refusal that closes the socket (``room_full``,
        ``replaced``) is yielded, then kept in :attr:`refusal`."""
        while True:
            msg = await self._receive()
            if msg is None:
                return
            if isinstance(msg, SignalError) and msg.code in CLOSE_REFUSALS:
                self.refusal = CallRefused(msg.message, msg.code)
            yield msg

    async def send(self, message: Outgoing) -> None:
        """Send now; :class:`~media.errors.CentralUnreachable` if the socket is down."""
        await self._send_json(encode(message))

    async def send_when_up(
        self, message: Outgoing, still_wanted: Callable[[], bool] = lambda: True
    ) -> bool:
        """Send ``message``, waiting for a (re)connected socket as long as it takes (the
        session's reader reconnects with backoff); False if ``still_wanted()`` turned false
        first (e.g. the offer belongs to a peer connection that was replaced)."""
        while still_wanted():
            if self.connected:
                try:
                    await self._send_json(encode(message))
                    return True
                except CentralUnreachable:
                    self.up.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.up.wait(), 1.0)
            if self.up.is_set() and not self.connected:
                await asyncio.sleep(0.1)  # the reader has not seen the close yet
        return False

    async def _send_json(self, data: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            raise CentralUnreachable("The call's connection to the central platform dropped.")
        try:
            await ws.send_str(json.dumps(data, separators=(",", ":")))
        except (ConnectionError, RuntimeError, aiohttp.ClientError):
            raise CentralUnreachable(
                "The call's connection to the central platform dropped."
            ) from None

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    async def bye(self) -> None:
        """Hang up: tell the room, then close."""
        if self.connected:
            with contextlib.suppress(CentralUnreachable):
                await self._send_json({"type": "bye"})
        await self.close()

    async def close(self) -> None:
        ws, self._ws = self._ws, None
        self.up.clear()
        if ws is not None and not ws.closed:
            await ws.close()

    async def aclose(self) -> None:
        """Close the socket and the HTTP session."""
        await self.close()
        if self._http is not None:
            await self._http.close()
            self._http = None


@dataclass(frozen=True)
class ActiveCall:
    """A call the other side has opened and this account's side has not joined yet."""

    consult_id: str
    call_id: str
    waiting_side: str
    waiting_seconds: float


async def active_calls(
    server: str, token: str, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 10.0
) -> list[ActiveCall]:
    """``GET /api/v1/calls/active``: the calls waiting for this account (a light poll).
    Raises CentralUnreachable when the platform cannot be asked now, CallRefused when it
    refuses this account."""
    headers = {"Authorization": f"Bearer {token}", "X-Client-Version": __version__}
    url = f"{server.rstrip('/')}/api/v1/calls/active"
    try:
        async with (
            aiohttp.ClientSession(
                headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as http,
            http.get(url, ssl=ssl_context if ssl_context is not None else True) as resp,
        ):
            if resp.status != 200:
                if resp.status >= 500:
                    raise CentralUnreachable("The central platform failed; try again later.")
                message = _STATUS_MESSAGES.get(resp.status, "The central platform refused.")
                raise CallRefused(message, "refused", resp.status)
            body = await resp.json()
    except (aiohttp.ClientError, TimeoutError):
        raise CentralUnreachable("The central platform cannot be reached.") from None
    return [
        ActiveCall(
            str(c["consult_id"]),
            str(c["call_id"]),
            str(c["waiting_side"]),
            float(c["waiting_seconds"]),
        )
        for c in body.get("calls", [])
        if isinstance(c, dict)
    ]
