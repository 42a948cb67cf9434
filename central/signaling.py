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

The clinic side always makes the offer (see media/session.py). Rooms are shared by every
server process on the database (:mod:`central.callbus`): the two sides of a call may be served
by different processes behind one load balancer, and a side whose process dies rejoins through
any other one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from central import accounts, authz
from central.accounts import Principal
from central.callbus import HUB_KEY, SIDES, CallHub, hub_context
from central.db import Conn
from central.errors import ApiError, not_found
from central.records import consult_specialty
from central.turn import ice_config
from central.web import DB_KEY, SETTINGS_KEY, authenticate, db, is_uuid, json_response, settings

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

OFFERER = "clinic"
RELAYED = frozenset({"offer", "answer", "candidate", "restart"})
MAX_MESSAGE = 128 * 1024  # an SDP with all candidates is a few KiB
CLOSED_STATUSES = frozenset({"revoked", "entered-in-error", "draft"})
NO_SUCH_CONSULT = (
    "There is no such consult, or this account does not take part in it: only the consult's "
    "clinic and the specialist it was sent to can join its call."
)


def install(app: web.Application) -> None:
    """Add the call routes, and the call hub once the database is open (call after the
    database's cleanup context is registered, so the hub stops before the database closes)."""
    app.add_routes(routes)
    app.cleanup_ctx.append(hub_context(lambda a: CallHub(a[DB_KEY], a[SETTINGS_KEY])))

    async def close_sockets(app: web.Application) -> None:
        if HUB_KEY in app:
            await app[HUB_KEY].close_sockets()

    app.on_shutdown.append(close_sockets)


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
    waiting = await request.app[HUB_KEY].waiting(side) if side is not None else []

    def admitted(conn: Conn) -> set[str]:
        ok = set()
        for w in waiting:
            try:
                if admit(conn, p, w.consult_id) == side:
                    ok.add(w.consult_id)
            except ApiError:
                continue
        return ok

    allowed = await db(request).read(admitted) if waiting else set()
    calls = [
        {
            "consult_id": w.consult_id,
            "call_id": w.call_id,
            "waiting_side": w.side,
            "waiting_seconds": w.waiting_seconds,
        }
        for w in waiting
        if w.consult_id in allowed
    ]
    return json_response({"calls": calls})


@routes.get("/api/v1/calls/{consult_id}/ice")
async def call_ice(request: web.Request) -> web.Response:
    p, _consult_id, side = await _admitted(request)
    return json_response({"side": side, **ice_config(settings(request), p.id)})


def new_socket() -> web.WebSocketResponse:
    return web.WebSocketResponse(heartbeat=15.0, max_msg_size=MAX_MESSAGE)


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
    return await serve_room(request, p, consult_id, side)


async def serve_room(
    request: web.Request,
    p: Principal,
    consult_id: str,
    side: str,
    ws: web.WebSocketResponse | None = None,
) -> web.WebSocketResponse:
    """Serve one admitted participant's socket in the consult's room until it leaves (also
    the web desk's call page, central/desk/views.py, admitted by its session cookie)."""
    if ws is None:
        ws = new_socket()
    await ws.prepare(request)
    hub = request.app[HUB_KEY]
    entered = await hub.join(consult_id, side, p.id, ws)
    if entered is None:
        await _refuse(
            ws,
            "room_full",
            f"Someone else is already in this call on the {side} side.",
            4409,
        )
        return ws
    me, joined = entered
    other_side = SIDES[1] if side == SIDES[0] else SIDES[0]
    await _send(
        ws,
        {
            "type": "joined",
            "side": side,
            "call_id": joined.call_id,
            "peers": [other_side] if joined.other_present else [],
            "offerer": OFFERER,
        },
    )
    me.start()  # messages for this socket (queued since the join) flow from here on
    log.info("call %s: %s side joined", joined.call_id, side)
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
                if not await hub.relay(me, {**data, "from": side}):
                    await _send(ws, _error("peer_absent", "The other side has not joined yet."))
            else:
                await _send(ws, _error("bad_message", "Unknown signaling message type."))
    except asyncio.CancelledError:
        raise
    finally:
        if not ending.is_set():
            watcher.cancel()
        leaving = hub.leave_soon(me, reason)  # finishes even if this handler is cancelled
        if not watcher.done():  # the watcher is closing the socket: let it finish
            await asyncio.wait([watcher], timeout=5)
            watcher.cancel()
        if not ws.closed:
            await ws.close()
        await asyncio.shield(leaving)
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
