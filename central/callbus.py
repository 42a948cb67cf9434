"""Call rooms shared by every server process: presence in the database, messages on a bus.

One :class:`CallHub` per server process holds the signaling sockets *this* process serves;
who is in which consult's room lives in the database (``call_presence``, one row per side), so
any process can admit a joiner, refuse a second account on an occupied side, hand out the
room's ``call_id`` and answer ``/calls/active``. A message for a side is delivered to that
side's socket wherever it is, by the :class:`Bus`:

* :class:`PgBus` (PostgreSQL, N processes): ``pg_notify('central_calls', '<conn_id> <json>')``
  in the sender's transaction, the target connection read from ``call_presence`` in the same
  statement (no row: the side is absent); every process LISTENs on one dedicated connection
  and delivers the messages meant for its own sockets, in commit order. A message larger than
  :data:`NOTIFY_LIMIT` is stored in ``call_messages`` and only its id is notified.
* :class:`LocalBus` (SQLite, one process): the same calls, delivered in process.

Liveness: each process writes its heartbeat (``central_instances.seen_ms``) every
``Settings.call_heartbeat`` seconds. Presence rows of a process not seen for
``Settings.call_presence_ttl`` seconds count as absent at once, and the next sweep (by any
live process) deletes them and tells the other side ``peer-left`` (``gone``). A client whose
process was killed reconnects (media/signaling.py, with backoff) through the load balancer to
a live process; the same account on the same side replaces its stale row, keeps the room's
``call_id`` and the other side sees ``peer-joined``, exactly as after a reconnect to one
process. Host clocks must agree to well within the TTL (NTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from central.config import Settings
from central.db import Conn, Database, sql

log = logging.getLogger(__name__)

CHANNEL = "central_calls"
NOTIFY_LIMIT = 7000  # bytes of one NOTIFY body (PostgreSQL's limit is 8000 with the channel)
ROOM_LOCK = 7_352_001  # two-key advisory lock class (ROOM_LOCK, hashtext(consult)): one room
MESSAGE_TTL_MS = 60_000  # a stored large message nobody fetched is dropped after this
SIDES = ("clinic", "specialist")
CLOSE = "_close"  # an internal message: send ``error`` then close the socket with ``code``

Message = dict[str, Any]
Outbox = list[tuple[str, Message]]  # (conn_id, message)


def now_ms() -> int:
    return int(time.time() * 1000)


def other_side(side: str) -> str:
    return SIDES[1] if side == SIDES[0] else SIDES[0]


def close_message(code: int, error: str, text: str) -> Message:
    return {"type": CLOSE, "code": code, "error": error, "message": text}


def _dump(message: Message) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


# -- sockets of this process ----------------------------------------------------------------


@dataclass
class LocalPeer:
    """One signaling socket this process serves; messages reach it through its queue, in
    order, written by its own pump task (a slow socket never holds up the others)."""

    conn_id: str
    consult_id: str
    side: str
    principal_id: str
    ws: web.WebSocketResponse
    queue: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    pump: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.pump = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        while True:
            message = await self.queue.get()
            if self.ws.closed:
                continue
            if message.get("type") == CLOSE:
                error = {"type": "error", "code": message["error"], "message": message["message"]}
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.ws.send_str(_dump(error))
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.ws.close(
                        code=int(message["code"]), message=message["error"].encode()
                    )
                continue
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(_dump(message))

    async def stop(self) -> None:
        if self.pump is not None:
            self.pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.pump


# -- statements -------------------------------------------------------------------------------

_ROOM = sql(
    "SELECT p.side, p.principal_id, p.conn_id, p.call_id, "
    "CASE WHEN i.seen_ms > :live THEN 1 ELSE 0 END "
    "FROM call_presence p LEFT JOIN central_instances i ON i.instance_id = p.instance_id "
    "WHERE p.consult_id = :consult"
)
_ROOM_LOCK = sql("SELECT pg_advisory_xact_lock(:ns, hashtext(:consult))")
_DROP_SIDE = sql("DELETE FROM call_presence WHERE consult_id = :consult AND side = :side")
_DROP_CONN = sql(
    "DELETE FROM call_presence WHERE consult_id = :consult AND side = :side AND conn_id = :conn"
)
_ADD = sql(
    "INSERT INTO call_presence "
    "(consult_id, side, principal_id, conn_id, instance_id, call_id, joined_ms) "
    "VALUES (:consult, :side, :principal, :conn, :instance, :call, :at)"
)
_LIVE_CONN = sql(
    "SELECT p.conn_id FROM call_presence p JOIN central_instances i "
    "ON i.instance_id = p.instance_id "
    "WHERE p.consult_id = :consult AND p.side = :side AND i.seen_ms > :live"
)
_BEAT = sql(
    "INSERT INTO central_instances (instance_id, started_ms, seen_ms) VALUES (:id, :at, :at) "
    "ON CONFLICT (instance_id) DO UPDATE SET seen_ms = excluded.seen_ms"
)
_DEAD = sql(
    "SELECT p.consult_id, p.side, p.conn_id FROM call_presence p "
    "LEFT JOIN central_instances i ON i.instance_id = p.instance_id "
    "WHERE i.seen_ms IS NULL OR i.seen_ms <= :live"
)
_FORGET_INSTANCES = sql(
    "DELETE FROM central_instances WHERE seen_ms <= :live AND instance_id NOT IN "
    "(SELECT instance_id FROM call_presence)"
)
_FORGET_OTHERS = sql("DELETE FROM central_instances WHERE instance_id <> :id")
_FORGET_ALL_PRESENCE = sql("DELETE FROM call_presence WHERE instance_id <> :id")
_LEAVE_INSTANCE = sql("DELETE FROM central_instances WHERE instance_id = :id")
_DROP_OLD_MESSAGES = sql("DELETE FROM call_messages WHERE created_ms < :before")
_WAITING = sql(
    "SELECT p.consult_id, p.call_id, p.side, p.joined_ms FROM call_presence p "
    "JOIN central_instances i ON i.instance_id = p.instance_id "
    "WHERE i.seen_ms > :live AND p.side <> :side AND NOT EXISTS ("
    "SELECT 1 FROM call_presence q JOIN central_instances j ON j.instance_id = q.instance_id "
    "WHERE q.consult_id = p.consult_id AND q.side = :side AND j.seen_ms > :live)"
)
_NOTIFY = sql("SELECT pg_notify(:channel, :payload)")
_NOTIFY_SIDE = sql(
    "SELECT pg_notify(:channel, p.conn_id || ' ' || :body) FROM call_presence p "
    "JOIN central_instances i ON i.instance_id = p.instance_id "
    "WHERE p.consult_id = :consult AND p.side = :side AND i.seen_ms > :live"
)
_STORE = sql("INSERT INTO call_messages (id, body, created_ms) VALUES (:id, :body, :at)")
_FETCH = sql("DELETE FROM call_messages WHERE id = :id RETURNING body")


# -- buses ------------------------------------------------------------------------------------


class Bus(Protocol):
    """How a message reaches a socket that may be served by another process."""

    async def start(self, hub: CallHub) -> None: ...

    async def stop(self) -> None: ...

    def in_tx(self, conn: Conn, outbox: Outbox) -> Outbox:
        """Inside a write transaction: send what can be sent with it; returns the rest, to be
        delivered by :meth:`CallHub.deliver` after the commit."""
        ...

    async def to_side(self, consult_id: str, side: str, message: Message) -> bool:
        """Deliver to the side's current socket; False when that side is absent."""
        ...


class LocalBus:
    """One process (SQLite): every socket of a room is here."""

    def __init__(self) -> None:
        self._hub: CallHub | None = None

    async def start(self, hub: CallHub) -> None:
        self._hub = hub

    async def stop(self) -> None:
        self._hub = None

    def in_tx(self, conn: Conn, outbox: Outbox) -> Outbox:
        return outbox

    async def to_side(self, consult_id: str, side: str, message: Message) -> bool:
        assert self._hub is not None
        peer = self._hub.local_side(consult_id, side)
        if peer is None:
            return False
        peer.queue.put_nowait(message)
        return True


class PgBus:
    """N processes on PostgreSQL: NOTIFY in the sender's transaction, one LISTEN connection
    per process (reopened with backoff if it drops; messages sent meanwhile are lost, and the
    clients' resend-on-rejoin covers the offer and answer)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._hub: CallHub | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self, hub: CallHub) -> None:
        self._hub = hub
        self._task = asyncio.get_running_loop().create_task(self._listen())
        await asyncio.wait_for(self._ready.wait(), timeout=30)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self) -> None:
        import psycopg

        backoff = 0.5
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self._db.url.target, autocommit=True, connect_timeout=10
                )
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}".encode())
                    self._ready.set()
                    backoff = 0.5
                    log.info("call bus listening")
                    async for note in conn.notifies():
                        await self._received(note.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("call bus connection lost (%s); reopening", type(exc).__name__)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)

    async def _received(self, payload: str) -> None:
        assert self._hub is not None
        conn_id, _, body = payload.partition(" ")
        if not self._hub.is_local(conn_id):
            return
        if body.startswith("@"):  # a large message, stored
            key = body[1:]
            stored = await self._db.write(lambda c: c.scalar(_FETCH, {"id": key}), seq_lock=False)
            if stored is None:
                log.warning("call bus: a stored message was gone")
                return
            body = str(stored)
        try:
            message = json.loads(body)
        except ValueError:
            return
        if isinstance(message, dict):
            self._hub.deliver(conn_id, message)

    def _body(self, conn: Conn, message: Message) -> str:
        body = _dump(message)
        if len(body.encode()) <= NOTIFY_LIMIT:
            return body
        key = str(uuid.uuid4())
        conn.execute(_STORE, {"id": key, "body": body, "at": now_ms()})
        return "@" + key

    def in_tx(self, conn: Conn, outbox: Outbox) -> Outbox:
        for conn_id, message in outbox:
            payload = f"{conn_id} {self._body(conn, message)}"
            conn.scalar(_NOTIFY, {"channel": CHANNEL, "payload": payload})
        return []

    async def to_side(self, consult_id: str, side: str, message: Message) -> bool:
        assert self._hub is not None
        live = self._hub.live_after()

        def send(conn: Conn) -> int:
            body = self._body(conn, message)
            params = {"channel": CHANNEL, "body": body, "consult": consult_id, "side": side,
                      "live": live}  # fmt: skip
            return len(conn.all(_NOTIFY_SIDE, params))

        return await self._db.write(send, seq_lock=False) > 0


# -- the hub ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Joined:
    call_id: str
    other_present: bool


@dataclass(frozen=True)
class Waiting:
    consult_id: str
    call_id: str
    side: str
    waiting_seconds: float


class CallHub:
    """This process's share of every call room (see the module's docstring)."""

    def __init__(self, db: Database, settings: Settings, bus: Bus | None = None) -> None:
        self.db = db
        self.settings = settings
        self.bus: Bus = bus or (PgBus(db) if db.dialect == "postgresql" else LocalBus())
        self.instance_id = str(uuid.uuid4())
        self._peers: dict[str, LocalPeer] = {}
        self._sides: dict[tuple[str, str], str] = {}  # (consult, side) -> conn_id here
        self._beat: asyncio.Task[None] | None = None
        self._leaving: set[asyncio.Task[bool]] = set()

    # -- life -------------------------------------------------------------------------------

    async def start(self) -> None:
        at = now_ms()

        def register(conn: Conn) -> None:
            conn.execute(_BEAT, {"id": self.instance_id, "at": at})
            if conn.dialect == "sqlite":  # one process holds the calls: earlier ones are gone
                conn.execute(_FORGET_ALL_PRESENCE, {"id": self.instance_id})
                conn.execute(_FORGET_OTHERS, {"id": self.instance_id})

        await self.db.write(register, seq_lock=False)
        await self.bus.start(self)
        self._beat = asyncio.get_running_loop().create_task(self._heartbeat())
        log.info("call hub %s started (%s)", self.instance_id, type(self.bus).__name__)

    async def close_sockets(self) -> None:
        for peer in list(self._peers.values()):
            with contextlib.suppress(Exception):
                await peer.ws.close(code=1001, message=b"server shutting down")

    async def stop(self) -> None:
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
        for peer in list(self._peers.values()):
            self.leave_soon(peer, "gone")
        if self._leaving:
            await asyncio.wait(list(self._leaving), timeout=10)
        with contextlib.suppress(Exception):
            await self.db.write(
                lambda c: c.execute(_LEAVE_INSTANCE, {"id": self.instance_id}), seq_lock=False
            )
        await self.bus.stop()

    def live_after(self) -> int:
        return now_ms() - int(self.settings.call_presence_ttl * 1000)

    async def _heartbeat(self) -> None:
        while True:
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database hiccup: the next beat tries again
                log.warning("call heartbeat failed (%s)", type(exc).__name__)
            await asyncio.sleep(self.settings.call_heartbeat)

    async def beat(self) -> int:
        """Write this process's heartbeat and sweep the rooms of dead processes; returns how
        many presences were dropped."""
        live = self.live_after()

        def sweep(conn: Conn) -> tuple[int, Outbox]:
            at = now_ms()
            conn.execute(_BEAT, {"id": self.instance_id, "at": at})
            outbox: Outbox = []
            dropped = 0
            for consult_id, side, conn_id in conn.all(_DEAD, {"live": live}):
                gone = conn.execute(
                    _DROP_CONN, {"consult": consult_id, "side": side, "conn": conn_id}
                )
                if not gone:
                    continue  # another process swept it first
                dropped += 1
                other = other_side(str(side))
                for (peer_conn,) in conn.all(
                    _LIVE_CONN, {"consult": consult_id, "side": other, "live": live}
                ):
                    left = {"type": "peer-left", "side": side, "reason": "gone"}
                    outbox.append((str(peer_conn), left))
            conn.execute(_FORGET_INSTANCES, {"live": live})
            conn.execute(_DROP_OLD_MESSAGES, {"before": at - MESSAGE_TTL_MS})
            return dropped, self.bus.in_tx(conn, outbox)

        dropped, rest = await self.db.write(sweep, seq_lock=False)
        self._deliver_all(rest)
        if dropped:
            log.info("call rooms: %d presences of stopped server processes dropped", dropped)
        return dropped

    # -- this process's sockets -------------------------------------------------------------

    def is_local(self, conn_id: str) -> bool:
        return conn_id in self._peers

    def local_side(self, consult_id: str, side: str) -> LocalPeer | None:
        conn_id = self._sides.get((consult_id, side))
        return self._peers.get(conn_id) if conn_id else None

    def deliver(self, conn_id: str, message: Message) -> None:
        peer = self._peers.get(conn_id)
        if peer is not None:
            peer.queue.put_nowait(message)

    def _deliver_all(self, outbox: Outbox) -> None:
        for conn_id, message in outbox:
            self.deliver(conn_id, message)

    def local_count(self) -> int:
        return len(self._peers)

    # -- rooms ------------------------------------------------------------------------------

    async def join(
        self, consult_id: str, side: str, principal_id: str, ws: web.WebSocketResponse
    ) -> tuple[LocalPeer, Joined] | None:
        """Enter the room on ``side``; None when another account holds that side. The same
        account again replaces its earlier socket (wherever it is: told ``replaced``)."""
        peer = LocalPeer(str(uuid.uuid4()), consult_id, side, principal_id, ws)
        self._peers[peer.conn_id] = peer  # before the commit: messages may follow at once
        previous = self._sides.get((consult_id, side))
        self._sides[(consult_id, side)] = peer.conn_id
        live = self.live_after()

        def enter(conn: Conn) -> tuple[Joined | None, Outbox]:
            if conn.dialect == "postgresql":
                conn.scalar(_ROOM_LOCK, {"ns": ROOM_LOCK, "consult": consult_id})
            rows = {str(r[0]): r for r in conn.all(_ROOM, {"consult": consult_id, "live": live})}
            mine, other = rows.get(side), rows.get(other_side(side))
            if mine is not None and mine[4] and mine[1] != principal_id:
                return None, []
            other_live = other is not None and bool(other[4])
            if other is not None and not other_live:
                conn.execute(_DROP_SIDE, {"consult": consult_id, "side": other[0]})
            if other is not None and other_live:
                call_id = str(other[3])
            elif mine is not None:
                call_id = str(mine[3])
            else:
                call_id = str(uuid.uuid4())
            conn.execute(_DROP_SIDE, {"consult": consult_id, "side": side})
            conn.execute(
                _ADD,
                {"consult": consult_id, "side": side, "principal": principal_id,
                 "conn": peer.conn_id, "instance": self.instance_id, "call": call_id,
                 "at": now_ms()},
            )  # fmt: skip
            outbox: Outbox = []
            if mine is not None and mine[1] == principal_id:
                text = "This call was opened again elsewhere."
                outbox.append((str(mine[2]), close_message(4000, "replaced", text)))
            if other is not None and other_live:
                outbox.append((str(other[2]), {"type": "peer-joined", "side": side}))
            return Joined(call_id, other_live), self.bus.in_tx(conn, outbox)

        try:
            joined, rest = await self.db.write(enter, seq_lock=False)
        except BaseException:
            self._forget(peer, previous)
            raise
        if joined is None:
            self._forget(peer, previous)
            return None
        self._deliver_all(rest)
        return peer, joined

    def _forget(self, peer: LocalPeer, previous: str | None = None) -> None:
        self._peers.pop(peer.conn_id, None)
        key = (peer.consult_id, peer.side)
        if self._sides.get(key) == peer.conn_id:
            if previous is not None and previous in self._peers:
                self._sides[key] = previous
            else:
                del self._sides[key]

    async def relay(self, peer: LocalPeer, message: Message) -> bool:
        """Send to the other side of ``peer``'s room; False when it is absent."""
        return await self.bus.to_side(peer.consult_id, other_side(peer.side), message)

    def leave_soon(self, peer: LocalPeer, reason: str) -> asyncio.Task[bool]:
        """:meth:`leave` as a task of its own: it finishes even when the socket's handler is
        cancelled (aiohttp cancels it when the client's connection drops)."""
        task = asyncio.get_running_loop().create_task(self._leave_logged(peer, reason))
        self._leaving.add(task)
        task.add_done_callback(self._leaving.discard)
        return task

    async def _leave_logged(self, peer: LocalPeer, reason: str) -> bool:
        try:
            held = await self.leave(peer, reason)
        except Exception as exc:  # the database is away: the heartbeat sweep tidies up
            log.warning("leaving a call room failed (%s)", type(exc).__name__)
            return False
        if held:
            log.info("consult %s: %s side left (%s)", peer.consult_id, peer.side, reason)
        return held

    async def leave(self, peer: LocalPeer, reason: str) -> bool:
        """Leave the room (if this socket still holds its side: the other side is told
        ``peer-left``); returns whether it did."""
        live = self.live_after()
        if peer.conn_id not in self._peers:
            return False

        def out(conn: Conn) -> tuple[bool, Outbox]:
            params = {"consult": peer.consult_id, "side": peer.side, "conn": peer.conn_id}
            if not conn.execute(_DROP_CONN, params):
                return False, []
            outbox: Outbox = []
            for (conn_id,) in conn.all(_LIVE_CONN, {"consult": peer.consult_id,
                                                   "side": other_side(peer.side),
                                                   "live": live}):  # fmt: skip
                left = {"type": "peer-left", "side": peer.side, "reason": reason}
                outbox.append((str(conn_id), left))
            return True, self.bus.in_tx(conn, outbox)

        try:
            held, rest = await self.db.write(out, seq_lock=False)
            self._deliver_all(rest)
        finally:
            self._forget(peer)
            await peer.stop()
        return held

    async def waiting(self, side: str) -> list[Waiting]:
        """Rooms where the other side waits and ``side`` is absent (any process)."""
        live = self.live_after()
        rows = await self.db.read(lambda c: c.all(_WAITING, {"live": live, "side": side}))
        now = now_ms()
        return [
            Waiting(str(r[0]), str(r[1]), str(r[2]), round(max(0, now - int(r[3])) / 1000, 1))
            for r in rows
        ]


HUB_KEY = web.AppKey("call_hub", CallHub)


def hub_context(
    make: Callable[[web.Application], CallHub],
) -> Callable[[web.Application], Any]:
    """A cleanup context: the hub starts once the database is open, stops before it closes."""

    async def context(app: web.Application) -> Any:
        hub = make(app)
        await hub.start()
        app[HUB_KEY] = hub
        try:
            yield
        finally:
            await hub.stop()

    return context
