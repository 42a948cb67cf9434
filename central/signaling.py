"""Call signaling: one WebSocket room per consult, and the ICE servers for a call.

Routes (both authenticate with the bearer token of the rest of the API):

* ``GET /api/v1/calls/{consult_id}/ice`` -> ``{"side", "ice_servers", "expires_at"}``
  (see :mod:`central.turn`).
* ``GET /api/v1/calls/{consult_id}/ws`` -> a WebSocket. Connecting *is* joining.
* ``GET /api/v1/calls/active`` -> ``{"calls": [{"consult_id", "call_id", "waiting_side",
  "waiting_seconds"}]}``: the calls this account may join where the *other* side is already
  in the room and its own side is not (a specialist opened the call: the clinic's workstation
  polls this lightly and shows a notice). Ids only: the workstation knows its patients.

Who is admitted (checked here, before the upgrade, on every connection): whoever may read the
consult ServiceRequest (:func:`central.authz.readable`) and the request has been sent (not a
draft, not revoked). A clinic device or clinician of the owning clinic joins the ``clinic``
side; a specialist the consult is granted to joins the ``specialist`` side. Anyone else gets the
same 404 as for a consult that does not exist; no token is 401; an admin account is 403.

A room holds at most one peer per side. A second connection of the *same* account on a side
replaces the first (a workstation reconnecting after a link drop must not be locked out by its
own dead socket); a different account on an occupied side is refused (``room_full``).

An open socket re-checks its account's session every ``Settings.session_check_interval``
seconds (against the database, so it works across server processes): once the device is
revoked, the user disabled or the session signed out or revoked, the socket gets an ``error``
``session_ended`` and is closed (4401) — the access token's own expiry does not end a call,
and a call may rejoin with its token up to ``Settings.call_token_grace`` after that expiry.

Messages are JSON objects with a ``type``:

server -> client
    ``joined`` {side, call_id, peers: [side...], offerer: "clinic"} — once, on connecting;
    ``peer-joined`` {side}; ``peer-left`` {side, reason: "hangup" | "gone" | "replaced"};
    ``offer`` / ``answer`` {sdp, from}; ``candidate`` {candidate, sdpMid, sdpMLineIndex, from};
    ``restart`` {from} (the answering side asks for a fresh offer: its path died); ``pong``;
    ``error`` {code, message} (a sentence for people), sometimes followed by a close.
client -> server
    ``offer`` / ``answer`` {sdp}; ``candidate`` {...}; ``restart``; ``bye`` (hang up); ``ping``.

The clinic side always makes the offer (see media/session.py). Rooms live in this process's
memory: a deployment with several server processes needs sticky routing by consult id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from central import accounts, authz
from central.accounts import Principal
from central.db import Conn
from central.errors import ApiError, not_found
from central.records import consult_specialty
from central.turn import ice_config
from central.web import authenticate, db, is_uuid, json_response, settings

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

SIDES = ("clinic", "specialist")
OFFERER = "clinic"
RELAYED = frozenset({"offer", "answer", "candidate", "restart"})
MAX_MESSAGE = 128 * 1024  # an SDP with all candidates is a few KiB
CLOSED_STATUSES = frozenset({"revoked", "entered-in-error", "draft"})
NO_SUCH_CONSULT = (
    "There is no such consult, or this account does not take part in it: only the consult's "
    "clinic and the specialist it was sent to can join its call."
)


@dataclass
class Peer:
    side: str
    principal_id: str
    ws: web.WebSocketResponse
    joined_at: float = field(default_factory=time.monotonic)


@dataclass
class Room:
    consult_id: str
    call_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    peers: dict[str, Peer] = field(default_factory=dict)


class Rooms:
    """Every open room of this process (one event loop: no lock needed between awaits)."""

    def __init__(self) -> None:
        self.rooms: dict[str, Room] = {}

    def room(self, consult_id: str) -> Room:
        room = self.rooms.get(consult_id)
        if room is None:
            room = self.rooms[consult_id] = Room(consult_id)
        return room

    def discard_if_empty(self, room: Room) -> None:
        if not room.peers and self.rooms.get(room.consult_id) is room:
            del self.rooms[room.consult_id]

    async def close_all(self) -> None:
        sockets = [p.ws for r in self.rooms.values() for p in r.peers.values()]
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"server shutting down")


ROOMS_KEY = web.AppKey("call_rooms", Rooms)


def install(app: web.Application) -> None:
    """Add the call routes and the room registry to the application."""
    app[ROOMS_KEY] = Rooms()
    app.add_routes(routes)

    async def close_rooms(app: web.Application) -> None:
        await app[ROOMS_KEY].close_all()

    app.on_shutdown.append(close_rooms)


# -- admission -------------------------------------------------------------------------------


def side_of(p: Principal) -> str | None:
    if p.role in ("device", "clinician") and p.clinic_id:
        return "clinic"
    if p.role == "specialist":
        return "specialist"
    return None


def admit(conn: Conn, p: Principal, consult_id: str) -> str:
    """The side ``p`` joins the consult's call on, or an ApiError (404 for anyone who is not a
    participant, exactly as for a consult that does not exist)."""
    side = side_of(p)
    if side is None or not is_uuid(consult_id):
        raise not_found(NO_SUCH_CONSULT)
    row = authz.readable(conn, p, "ServiceRequest", consult_id)
    if row is None or row.deleted or row.resource is None:
        raise not_found(NO_SUCH_CONSULT)
    if consult_specialty(row.resource) is None:  # not a consult, or a draft addressed to nobody
        raise not_found(NO_SUCH_CONSULT)
    if row.resource.get("status") in CLOSED_STATUSES:
        raise ApiError(409, "consult_closed", "This consult was withdrawn; its call is closed.")
    return side


async def _call_principal(request: web.Request) -> Principal:
    """As :func:`central.web.authenticate`, but a token of a live session is taken up to
    ``Settings.call_token_grace`` after its expiry (a call rejoins with the token it began
    with; the session itself is re-checked while the socket is open)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    grace = settings(request).call_token_grace
    if scheme.lower() == "bearer" and token.strip() and grace > 0:
        found = await db(request).read(
            lambda conn: accounts.check_token(conn, token.strip(), grace)
        )
        if isinstance(found, Principal):
            return found
    return await authenticate(request)  # the usual answers (401 and its codes)


async def _admitted(request: web.Request) -> tuple[Principal, str, str]:
    p = await _call_principal(request)
    authz.require_clinical(p)
    consult_id = request.match_info["consult_id"]
    side = await db(request).read(lambda conn: admit(conn, p, consult_id))
    return p, consult_id, side


# -- routes ----------------------------------------------------------------------------------


@routes.get("/api/v1/calls/active")
async def active_calls(request: web.Request) -> web.Response:
    """Calls waiting for this account's side (see the module's docstring)."""
    p = await authenticate(request)
    authz.require_clinical(p)
    side = side_of(p)
    rooms = request.app[ROOMS_KEY]
    waiting = [
        (room, peer)
        for room in list(rooms.rooms.values())
        for peer in list(room.peers.values())
        if side is not None and side not in room.peers and peer.side != side
    ]

    def admitted(conn: Conn) -> set[str]:
        ok = set()
        for room, _peer in waiting:
            try:
                if admit(conn, p, room.consult_id) == side:
                    ok.add(room.consult_id)
            except ApiError:
                continue
        return ok

    allowed = await db(request).read(admitted) if waiting else set()
    now = time.monotonic()
    calls = [
        {
            "consult_id": room.consult_id,
            "call_id": room.call_id,
            "waiting_side": peer.side,
            "waiting_seconds": round(now - peer.joined_at, 1),
        }
        for room, peer in waiting
        if room.consult_id in allowed
    ]
    return json_response({"calls": calls})


@routes.get("/api/v1/calls/{consult_id}/ice")
async def call_ice(request: web.Request) -> web.Response:
    p, _consult_id, side = await _admitted(request)
    return json_response({"side": side, **ice_config(settings(request), p.id)})


async def _send(ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
    if not ws.closed:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(json.dumps(message, separators=(",", ":")))


async def _refuse(ws: web.WebSocketResponse, code: str, message: str, close: int) -> None:
    await _send(ws, {"type": "error", "code": code, "message": message})
    await ws.close(code=close, message=code.encode())


@routes.get("/api/v1/calls/{consult_id}/ws")
async def call_socket(request: web.Request) -> web.WebSocketResponse:
    p, consult_id, side = await _admitted(request)
    ws = web.WebSocketResponse(heartbeat=15.0, max_msg_size=MAX_MESSAGE)
    await ws.prepare(request)
    rooms = request.app[ROOMS_KEY]
    room = rooms.room(consult_id)
    other_side = SIDES[1] if side == SIDES[0] else SIDES[0]
    current = room.peers.get(side)
    if current is not None and current.principal_id != p.id:
        rooms.discard_if_empty(room)
        await _refuse(
            ws,
            "room_full",
            f"Someone else is already in this call on the {side} side.",
            4409,
        )
        return ws
    me = Peer(side, p.id, ws)
    room.peers[side] = me
    if current is not None:  # the same account again: the new connection wins
        await _refuse(current.ws, "replaced", "This call was opened again elsewhere.", 4000)
    other = room.peers.get(other_side)
    await _send(
        ws,
        {
            "type": "joined",
            "side": side,
            "call_id": room.call_id,
            "peers": [other_side] if other else [],
            "offerer": OFFERER,
        },
    )
    if other is not None:
        await _send(other.ws, {"type": "peer-joined", "side": side})
    log.info("call %s: %s side joined", room.call_id, side)
    reason = "gone"
    ending = asyncio.Event()  # set by the watcher when it closes the socket
    watcher = asyncio.create_task(_watch_session(request, p, ws, ending))
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                if msg.type == WSMsgType.BINARY:
                    await _send(ws, _error("bad_message", "Signaling messages are JSON text."))
                continue
            data = _parse(msg.data)
            if data is None:
                await _send(ws, _error("bad_message", "A signaling message is a JSON object."))
                continue
            kind = data.get("type")
            if kind == "ping":
                await _send(ws, {"type": "pong"})
            elif kind == "bye":
                reason = "hangup"
                break
            elif kind in RELAYED:
                problem = _relay_problem(data)
                if problem:
                    await _send(ws, _error("bad_message", problem))
                    continue
                other = room.peers.get(other_side)
                if other is None:
                    await _send(ws, _error("peer_absent", "The other side has not joined yet."))
                    continue
                await _send(other.ws, {**data, "from": side})
            else:
                await _send(ws, _error("bad_message", "Unknown signaling message type."))
    except asyncio.CancelledError:
        raise
    finally:
        if not ending.is_set():
            watcher.cancel()
        if room.peers.get(side) is me:
            del room.peers[side]
            other = room.peers.get(other_side)
            if other is not None:
                await _send(other.ws, {"type": "peer-left", "side": side, "reason": reason})
            log.info("call %s: %s side left (%s)", room.call_id, side, reason)
        rooms.discard_if_empty(room)
        if not watcher.done():  # the watcher is closing the socket: let it finish
            await asyncio.wait([watcher], timeout=5)
            watcher.cancel()
        if not ws.closed:
            await ws.close()
    return ws


SESSION_ENDED = (
    "This session has ended (signed out, revoked or disabled): the call was closed. Sign in "
    "again, or enroll this workstation again."
)


async def _watch_session(
    request: web.Request, p: Principal, ws: web.WebSocketResponse, ending: asyncio.Event
) -> None:
    """Close ``ws`` once ``p``'s session ends (device revoked, user disabled, signed out,
    refresh token reuse). Every few seconds the database is asked, so a revocation made through
    any server process sharing it reaches this socket; a database hiccup keeps the call."""
    interval = settings(request).session_check_interval
    while not ws.closed:
        await asyncio.sleep(interval)
        try:
            alive = await db(request).read(lambda conn: accounts.session_alive(conn, p))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("call session check failed: %s", type(exc).__name__)
            continue
        if not alive:
            log.info("call socket of %s %s closed: session ended", p.kind, p.id)
            ending.set()
            await _refuse(ws, "session_ended", SESSION_ENDED, 4401)
            return


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def _parse(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _relay_problem(data: dict[str, Any]) -> str | None:
    allowed = {"type", "sdp", "candidate", "sdpMid", "sdpMLineIndex"}
    if set(data) - allowed:
        return "The signaling message has unknown fields."
    if data["type"] == "restart":
        return None if set(data) == {"type"} else "A restart request carries nothing else."
    if data["type"] in ("offer", "answer"):
        sdp = data.get("sdp")
        if not isinstance(sdp, str) or not 0 < len(sdp) <= MAX_MESSAGE:
            return "An offer or answer carries its SDP as text."
    else:
        cand = data.get("candidate")
        if cand is not None and (not isinstance(cand, str) or len(cand) > 1024):
            return "A candidate is a line of text."
    return None
