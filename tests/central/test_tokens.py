"""Sessions: short-lived access tokens, refresh tokens that rotate, revocation of the whole
session when a rotated refresh token comes back, and revocation ending open call sockets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from central import accounts
from central.app import build_app
from central.db import sql
from central.web import DB_KEY
from tests.central.builders import consult, patient, put
from tests.central.conftest import PASSWORD, Central, make_settings

pytestmark = pytest.mark.asyncio
MakeCentral = Callable[..., Awaitable[Central]]


@pytest_asyncio.fixture
async def make_central(db_url: str) -> AsyncIterator[MakeCentral]:
    clients: list[TestClient] = []

    async def start(**settings: Any) -> Central:
        app = build_app(make_settings(db_url, **settings))
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return Central(client, app[DB_KEY])

    yield start
    for client in clients:
        await client.close()


async def sign_in(central: Central, username: str, role: str = "specialist") -> dict[str, Any]:
    await central.user(username, role, specialties=("cardiology",) if role == "specialist" else ())
    reply = await central.post("/api/v1/login", {"username": username, "password": PASSWORD})
    assert reply.status == 200
    return reply.body


async def refresh(central: Central, token: str) -> Any:
    return await central.post("/api/v1/token/refresh", {"refresh_token": token})


async def outcomes(central: Central, event: str = "refresh") -> list[str]:
    rows = await central.db.read(
        lambda c: c.all(
            sql("SELECT outcome FROM auth_audit WHERE event = :e ORDER BY at_ms, id"), {"e": event}
        )
    )
    return [str(r[0]) for r in rows]


async def test_sign_in_answers_a_short_access_token_and_a_refresh_token(make_central):
    central = await make_central()
    body = await sign_in(central, "dr.a")
    now = time.time()
    assert now + 14 * 60 < body["expires_at"] <= now + 15 * 60 + 1  # 15 minutes by default
    assert body["refresh_expires_at"] > now + 11 * 3600  # the working day
    assert body["refresh_token"] != body["token"]
    # A refresh token is not a bearer token.
    assert (await central.get("/api/v1/whoami", body["refresh_token"])).status == 401
    # Only digests are stored.
    rows = await central.db.read(lambda c: c.all(sql("SELECT token_hash FROM tokens")))
    stored = str(rows)
    assert body["token"] not in stored and body["refresh_token"] not in stored
    assert accounts.digest(body["refresh_token"]) in stored


async def test_refresh_rotates_and_reuse_revokes_the_session(make_central):
    central = await make_central(refresh_reuse_grace=0)
    first = await sign_in(central, "dr.b")
    second = await refresh(central, first["refresh_token"])
    assert second.status == 200
    assert second.body["kind"] == "user" and second.body["refresh_token"] != first["refresh_token"]
    third = await refresh(central, second.body["refresh_token"])
    assert third.status == 200
    assert (await central.get("/api/v1/whoami", third.body["token"])).status == 200
    # The first refresh token again: it was copied. The whole session ends.
    stolen = await refresh(central, first["refresh_token"])
    assert stolen.status == 401 and stolen.error_code == "session_ended"
    assert (await central.get("/api/v1/whoami", third.body["token"])).status == 401
    assert (await refresh(central, third.body["refresh_token"])).error_code == "session_ended"
    assert await outcomes(central) == ["success", "success", "reuse", "invalid"]
    reasons = await central.db.read(
        lambda c: c.all(sql("SELECT revoke_reason FROM sessions WHERE revoked_at IS NOT NULL"))
    )
    assert [r[0] for r in reasons] == ["refresh_reuse"]  # only that session (not the others)
    # Signing in again starts a new session.
    again = await central.post("/api/v1/login", {"username": "dr.b", "password": PASSWORD})
    assert again.status == 200


async def test_a_lost_refresh_answer_may_be_retried_within_the_grace(make_central):
    central = await make_central(refresh_reuse_grace=30)
    first = await sign_in(central, "dr.c")
    lost = await refresh(central, first["refresh_token"])  # the answer never arrived
    retry = await refresh(central, first["refresh_token"])
    assert retry.status == 200
    assert (await refresh(central, lost.body["refresh_token"])).status == 401  # superseded
    fourth = await refresh(central, retry.body["refresh_token"])
    assert fourth.status == 200
    # Its successor was used: the first token again is theft, within the grace or not.
    assert (await refresh(central, first["refresh_token"])).error_code == "session_ended"
    assert (await central.get("/api/v1/whoami", fourth.body["token"])).status == 401
    assert await outcomes(central) == ["success", "retry", "invalid", "success", "reuse"]


async def test_concurrent_use_of_one_refresh_token_is_reuse(make_central):
    central = await make_central(refresh_reuse_grace=0)
    first = await sign_in(central, "dr.d")
    a, b = await asyncio.gather(
        refresh(central, first["refresh_token"]), refresh(central, first["refresh_token"])
    )
    assert sorted([a.status, b.status]) == [200, 401]
    winner = a if a.status == 200 else b
    assert (await central.get("/api/v1/whoami", winner.body["token"])).status == 401


async def test_an_expired_access_token_says_so_and_a_refresh_renews_it(make_central):
    central = await make_central(access_token_ttl=1)
    body = await sign_in(central, "dr.e")
    assert body["expires_at"] <= time.time() + 1
    await asyncio.sleep(1.1)
    expired = await central.get("/api/v1/whoami", body["token"])
    assert expired.status == 401 and expired.error_code == "token_expired"
    renewed = await refresh(central, body["refresh_token"])
    assert (await central.get("/api/v1/whoami", renewed.body["token"])).status == 200


async def test_devices_get_a_refresh_token_that_extends_their_session(make_central):
    central = await make_central(device_token_ttl=3600)
    enrolled = await central.device(await central.clinic())
    assert enrolled["refresh_token"] and enrolled["refresh_expires_at"] <= time.time() + 3600
    await central.sql("UPDATE sessions SET expires_at = expires_at - 600")
    renewed = await refresh(central, enrolled["refresh_token"])
    assert renewed.status == 200 and renewed.body["kind"] == "device"
    assert renewed.body["subject_id"] == enrolled["device_id"]
    assert renewed.body["refresh_expires_at"] >= int(time.time()) + 3599
    who = await central.get("/api/v1/whoami", renewed.body["token"])
    assert who.body["id"] == enrolled["device_id"]


async def test_logout_ends_the_session(make_central):
    central = await make_central()
    body = await sign_in(central, "dr.f")
    assert (await central.post("/api/v1/logout", token=body["token"])).status == 204
    assert (await refresh(central, body["refresh_token"])).error_code == "session_ended"


async def test_revoking_a_device_ends_its_tokens_at_once(make_central):
    central = await make_central()
    admin = await sign_in(central, "root", "admin")
    dev = await central.device(await central.clinic())
    reply = await central.post(
        f"/api/v1/admin/devices/{dev['device_id']}/revoke", token=admin["token"]
    )
    assert reply.status == 200
    assert (await central.get("/api/v1/whoami", dev["token"])).status == 401
    assert (await refresh(central, dev["refresh_token"])).error_code == "session_ended"
    assert "success" in await outcomes(central, "revoke")


# -- open call sockets ---------------------------------------------------------------------------


async def _room(central: Central) -> dict[str, Any]:
    clinic = await central.clinic("A")
    dev = await central.device(clinic)
    pa = patient()
    sr = consult(pa["id"], "cardiology")
    await central.push(dev["token"], put(pa), put(sr))
    spec = await sign_in(central, "dr.heart")
    return {"consult": sr["id"], "device": dev, "specialist": spec}


def _ws(central: Central, consult_id: str, token: str) -> Any:
    return central.client.ws_connect(
        f"/api/v1/calls/{consult_id}/ws", headers={"Authorization": f"Bearer {token}"}
    )


async def _closed_by_server(sock: aiohttp.ClientWebSocketResponse, within: float) -> list[Any]:
    """Messages until the server closes the socket (fails if it stays open longer)."""
    seen: list[Any] = []
    deadline = time.monotonic() + within
    while True:
        msg = await sock.receive(timeout=max(0.01, deadline - time.monotonic()))
        if msg.type == aiohttp.WSMsgType.TEXT:
            seen.append(msg.json())
            continue
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg
        return [*seen, ("close", sock.close_code)]


@pytest.mark.parametrize("how", ["revoke_device", "disable_user", "logout"])
async def test_revocation_closes_an_open_call_socket_within_seconds(make_central, db_url, how):
    # The revocation is made by "another server process": straight in the shared database.
    # It starts first: on SQLite the last process started holds the calls (central/callbus.py
    # forgets earlier ones' presence at start), and the calls here are served by `central`.
    other = await make_central()
    central = await make_central(session_check_interval=0.5)
    room = await _room(central)
    async with _ws(central, room["consult"], room["device"]["token"]) as clinic:
        assert (await clinic.receive_json(timeout=5))["type"] == "joined"
        async with _ws(central, room["consult"], room["specialist"]["token"]) as spec:
            assert (await spec.receive_json(timeout=5))["type"] == "joined"
            assert (await clinic.receive_json(timeout=5))["type"] == "peer-joined"
            started = time.monotonic()
            if how == "revoke_device":
                ended, kept = clinic, spec
                await other.db.write(
                    lambda c: accounts.revoke_device(c, room["device"]["device_id"]),
                    seq_lock=False,
                )
            elif how == "disable_user":
                ended, kept = spec, clinic
                await other.db.write(
                    lambda c: accounts.set_user_disabled(c, "dr.heart", True), seq_lock=False
                )
            else:
                ended, kept = spec, clinic
                reply = await other.post("/api/v1/logout", token=room["specialist"]["token"])
                assert reply.status == 204
            seen = await _closed_by_server(ended, within=4)
            assert time.monotonic() - started < 4
            assert seen[-1] == ("close", 4401)
            assert seen[0]["type"] == "error" and seen[0]["code"] == "session_ended"
            left = await kept.receive_json(timeout=5)
            assert left["type"] == "peer-left"
            # The other side stays in its call.
            await kept.send_json({"type": "ping"})
            assert (await kept.receive_json(timeout=5)) == {"type": "pong"}


async def test_a_call_outlives_its_access_token(make_central):
    central = await make_central(session_check_interval=0.3, access_token_ttl=1)
    room = await _room(central)
    async with _ws(central, room["consult"], room["specialist"]["token"]) as spec:
        assert (await spec.receive_json(timeout=5))["type"] == "joined"
        await asyncio.sleep(1.5)  # the access token expired; the session lives
        await spec.send_json({"type": "ping"})
        assert (await spec.receive_json(timeout=5)) == {"type": "pong"}
    # and the call may be rejoined with it (a link drop), within the call grace
    async with _ws(central, room["consult"], room["specialist"]["token"]) as again:
        assert (await again.receive_json(timeout=5))["type"] == "joined"
    # while the rest of the API wants a fresh one
    who = await central.get("/api/v1/whoami", room["specialist"]["token"])
    assert who.error_code == "token_expired"
