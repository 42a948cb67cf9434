"""The signaling socket during a call, in process against a small stand-in for the central
platform's room (the real one is exercised by tests/e2e/test_call_links.py):

* the socket is read (and the server's heartbeat answered) while the offer is still gathering
  candidates from a TURN server that never answers — the reader never waits for negotiation;
* a socket the server closes is reopened with backoff and the call does not fail;
* an offer made while the socket is down is sent on the reopened socket (no new peer
  connection for it).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from media.session import CallSession, CallState
from media.sources import LocalMedia


@dataclass
class FakeRoom:
    """``/ice`` and ``/ws`` of one consult, as the clinic side, the specialist "present"."""

    ice_servers: list[dict[str, Any]] = field(default_factory=list)
    heartbeat: float = 0.5
    refuse_until: float = 0.0  # loop time before which a new socket is refused (503)
    close_after_joined: int = 0  # close this many sockets right after "joined", then
    refuse_for: float = 0.0  # refuse new sockets this long (503)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    received: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (socket no., msg)
    refused: int = 0
    closed_by_heartbeat: int = 0

    async def ice(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"side": "clinic", "ice_servers": self.ice_servers, "expires_at": None}
        )

    async def ws(self, request: web.Request) -> web.StreamResponse:
        if asyncio.get_running_loop().time() < self.refuse_until:
            self.refused += 1
            return web.Response(status=503)
        ws = web.WebSocketResponse(heartbeat=self.heartbeat)
        await ws.prepare(request)
        self.sockets.append(ws)
        n = len(self.sockets)
        await ws.send_json(
            {"type": "joined", "side": "clinic", "call_id": "c1", "peers": ["specialist"],
             "offerer": "clinic"}
        )  # fmt: skip
        if self.close_after_joined > 0:
            self.close_after_joined -= 1
            self.refuse_until = asyncio.get_running_loop().time() + self.refuse_for
            await ws.close()
            return ws
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.received.append((n, json.loads(msg.data)))
        if ws.close_code == 1006 or isinstance(ws.exception(), asyncio.TimeoutError):
            self.closed_by_heartbeat += 1
        return ws

    def offers(self) -> list[int]:
        return [n for n, m in self.received if m.get("type") == "offer"]


@asynccontextmanager
async def serve(room: FakeRoom) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/api/v1/calls/{consult}/ice", room.ice)
    app.router.add_get("/api/v1/calls/{consult}/ws", room.ws)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def session_for(url: str) -> CallSession:
    return CallSession(url, "token", "consult-1", media=LocalMedia.synthetic(320, 240, 5))


@pytest.mark.timeout(60)
def test_socket_is_read_while_a_turn_allocation_hangs_and_reopened_when_closed() -> None:
    # a TURN server that never answers: aioice retries its allocation for ~30 s, all inside
    # setLocalDescription (the 16 s over a dead path)
    blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blackhole.bind(("127.0.0.1", 0))
    port = blackhole.getsockname()[1]
    room = FakeRoom(
        ice_servers=[
            {"urls": [f"turn:127.0.0.1:{port}?transport=udp"], "username": "u",
             "credential": "p"}
        ],
        heartbeat=0.5,
    )  # fmt: skip

    async def run() -> None:
        async with serve(room) as url:
            session = session_for(url)
            try:
                await session.start()
                await asyncio.sleep(4.0)  # 8 server heartbeats while the offer gathers
                assert blackhole.recv(2048)  # the allocation really is being tried
                assert session._negotiating(), "the offer should still be gathering"
                assert len(room.sockets) == 1 and not room.sockets[0].closed
                assert room.closed_by_heartbeat == 0
                assert session.state == CallState.CONNECTING
                # the server drops the socket (a restart, a proxy): reopened, call goes on
                await room.sockets[0].close()
                assert await until(lambda: len(room.sockets) == 2, 10)
                assert session.state not in (CallState.FAILED, CallState.ENDED)
                assert session.summary.signaling_drops == 1
                assert session.summary.peer_connections == 1  # the gathering one goes on
            finally:
                await session.hangup()
            assert session.state == CallState.ENDED

    try:
        asyncio.run(run())
    finally:
        blackhole.close()


@pytest.mark.timeout(60)
def test_an_offer_made_while_the_socket_is_down_goes_out_on_the_reopened_one() -> None:
    # the first socket closes right after "joined"; new ones are refused for 2 s (the
    # central restarting): the offer waits for the next socket instead of failing the call
    room = FakeRoom(close_after_joined=1, refuse_for=2.0)

    async def run() -> None:
        async with serve(room) as url:
            session = session_for(url)
            try:
                await session.start()
                assert await until(lambda: bool(room.offers()), 20), room.received
                assert room.refused >= 1  # it backed off and tried again
                assert room.offers()[0] >= 2  # not on the socket that closed
                assert session.state not in (CallState.FAILED, CallState.ENDED)
                assert session.summary.peer_connections == 1  # the same offer, not a new one
            finally:
                await session.hangup()

    asyncio.run(run())
