"""The call bus on both backends (central/callbus.py): a room whose sides are on different
server processes (PostgreSQL: two applications on one database; SQLite: one process), a
message larger than one NOTIFY, /calls/active from either process, and a process that stops
beating: its side leaves the room ("gone") at the next sweep of a live one."""

from __future__ import annotations

import psycopg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from central.app import build_app
from central.callbus import HUB_KEY, NOTIFY_LIMIT
from central.db import sql
from central.web import DB_KEY
from tests.central.builders import consult, patient, put
from tests.central.conftest import Central, make_settings

pytestmark = pytest.mark.asyncio


async def test_a_room_across_processes_relays_large_messages_and_drops_dead_sides(
    db_url: str,
) -> None:
    one = TestClient(TestServer(build_app(make_settings(db_url))))
    await one.start_server()
    # PostgreSQL: a second process on the same database; SQLite holds calls in one process
    two = one
    if db_url.startswith("postgresql"):
        quiet = make_settings(db_url, call_heartbeat=3600.0)  # beats once, at start
        two = TestClient(TestServer(build_app(quiet)))
        await two.start_server()
    try:
        c1, c2 = Central(one, one.app[DB_KEY]), Central(two, two.app[DB_KEY])
        clinic = await c1.clinic("A")
        device = await c1.device_token(clinic)
        heart = await c1.user("dr.heart", "specialist", specialties=("cardiology",))
        p = patient()
        sr = consult(p["id"], "cardiology")
        await c1.push(device, put(p), put(sr))
        path = f"/api/v1/calls/{sr['id']}/ws"
        async with one.ws_connect(path, headers={"Authorization": f"Bearer {heart}"}) as spec:
            assert (await spec.receive_json(timeout=5))["peers"] == []
            waiting = await c2.get("/api/v1/calls/active", device)  # asked of the other one
            assert [c["waiting_side"] for c in waiting.body["calls"]] == ["specialist"]
            async with two.ws_connect(path, headers={"Authorization": f"Bearer {device}"}) as desk:
                joined = await desk.receive_json(timeout=5)
                assert joined["peers"] == ["specialist"]
                assert await spec.receive_json(timeout=5) == {
                    "type": "peer-joined",
                    "side": "clinic",
                }
                sdp = "v=0\r\n" + "a=candidate:x\r\n" * (2 * NOTIFY_LIMIT // 15)
                assert len(sdp) > NOTIFY_LIMIT
                await desk.send_json({"type": "offer", "sdp": sdp})
                await desk.send_json({"type": "candidate", "candidate": "c1"})
                got = await spec.receive_json(timeout=5)
                assert (got["type"], got["sdp"], got["from"]) == ("offer", sdp, "clinic")
                assert (await spec.receive_json(timeout=5))["candidate"] == "c1"  # in order
                await spec.send_json({"type": "answer", "sdp": "v=0\r\n"})
                assert (await desk.receive_json(timeout=5))["type"] == "answer"
                assert (await c1.get("/api/v1/calls/active", device)).body["calls"] == []
                # the clinic's process stops beating (as if killed): a sweep by a live
                # process drops its side and tells the specialist
                hub_two = two.app[HUB_KEY]
                if two is not one:
                    two.app[DB_KEY].write_sync(
                        lambda c: c.execute(
                            sql("UPDATE central_instances SET seen_ms = 0 WHERE instance_id = :i"),
                            {"i": hub_two.instance_id},
                        ),
                        seq_lock=False,
                    )
                    assert await one.app[HUB_KEY].beat() == 1
                    left = await spec.receive_json(timeout=5)
                    assert left == {"type": "peer-left", "side": "clinic", "reason": "gone"}
                    with psycopg.connect(db_url) as conn:
                        rows = conn.execute(b"SELECT side FROM call_presence").fetchall()
                    assert [r[0] for r in rows] == ["specialist"]
    finally:
        if two is not one:
            await two.close()
        await one.close()
