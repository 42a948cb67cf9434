"""Call signaling and ICE servers on the central platform: who is admitted to a consult's room,
the room's messages, and the TURN REST credentials (coturn's use-auth-secret scheme)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from central.app import build_app
from central.signaling import NO_SUCH_CONSULT
from central.turn import turn_credential
from central.web import DB_KEY
from tests.central.builders import consult, patient, put
from tests.central.conftest import Central, make_settings

pytestmark = pytest.mark.asyncio
SECRET = "shared-turn-secret"
TURN = "turn:127.0.0.1:3478?transport=udp"


@pytest_asyncio.fixture
async def central(db_url: str) -> AsyncIterator[Central]:
    settings = make_settings(db_url, turn_urls=(TURN,), turn_secret=SECRET, turn_ttl=600)
    app = build_app(settings)
    async with TestClient(TestServer(app)) as client:
        yield Central(client, app[DB_KEY])


@pytest_asyncio.fixture
async def room(central):
    """Clinic A with a cardiology consult; clinic B with a dermatology one."""
    a, b = await central.clinic("A"), await central.clinic("B")
    a_dev, b_dev = await central.device_token(a), await central.device_token(b)
    pa, pb = patient(), patient()
    sr_a, sr_b = consult(pa["id"], "cardiology"), consult(pb["id"], "dermatology")
    draft = {**consult(pa["id"], "cardiology"), "status": "draft"}
    await central.push(a_dev, put(pa), put(sr_a), put(draft))
    await central.push(b_dev, put(pb), put(sr_b))
    return {
        "consult": sr_a["id"],
        "other_consult": sr_b["id"],
        "draft": draft["id"],
        "a_dev": a_dev,
        "a_dev2": await central.device_token(a),
        "a_clinician": await central.user("dr.li", "clinician", clinic_id=a),
        "b_dev": b_dev,
        "cardio": await central.user("dr.heart", "specialist", specialties=("cardiology",)),
        "cardio2": await central.user("dr.beat", "specialist", specialties=("cardiology",)),
        "derm": await central.user("dr.skin", "specialist", specialties=("dermatology",)),
        "admin": await central.user("root", "admin"),
    }


def ws(central: Central, consult_id: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return central.client.ws_connect(f"/api/v1/calls/{consult_id}/ws", headers=headers)


async def test_participants_get_their_side_and_no_ice_servers_by_default(db_url, room):
    app = build_app(make_settings(db_url))
    async with TestClient(TestServer(app)) as client:
        c = Central(client, app[DB_KEY])
        for token, side in ((room["a_dev"], "clinic"), (room["a_clinician"], "clinic"),
                            (room["cardio"], "specialist")):  # fmt: skip
            reply = await c.get(f"/api/v1/calls/{room['consult']}/ice", token)
            assert reply.status == 200, reply.body
            assert reply.body == {"side": side, "ice_servers": [], "expires_at": None}


async def test_turn_credentials_are_coturn_rest_credentials(central, room):
    before = int(time.time())
    reply = await central.get(f"/api/v1/calls/{room['consult']}/ice", room["cardio"])
    assert reply.status == 200
    (server,) = reply.body["ice_servers"]
    assert server["urls"] == [TURN]
    expiry, _, who = server["username"].partition(":")
    whoami = await central.get("/api/v1/whoami", room["cardio"])
    assert who == whoami.body["id"]
    assert before + 600 <= int(expiry) <= int(time.time()) + 600
    assert int(expiry) == reply.body["expires_at"]
    mac = hmac.new(SECRET.encode(), server["username"].encode(), hashlib.sha1).digest()
    assert server["credential"] == base64.b64encode(mac).decode()
    assert turn_credential(SECRET, server["username"]) == server["credential"]


async def test_who_is_refused(central, room):
    path = f"/api/v1/calls/{room['consult']}"
    for suffix in ("ice", "ws"):
        url = f"{path}/{suffix}"
        assert (await central.get(url)).status == 401
        assert (await central.get(url, "not-a-token")).status == 401
        assert (await central.get(url, room["admin"])).status == 403
        for outsider in (room["b_dev"], room["derm"]):  # another clinic, another specialty
            reply = await central.get(url, outsider)
            assert reply.status == 404 and reply.body["error"]["message"] == NO_SUCH_CONSULT
        # a consult that does not exist, a draft, a malformed id: the same answer
        for other in ("0" * 8 + "-0000-4000-8000-" + "0" * 12, room["draft"], "x"):
            reply = await central.get(f"/api/v1/calls/{other}/{suffix}", room["a_dev"])
            assert reply.status == 404 and reply.body["error"]["message"] == NO_SUCH_CONSULT


async def test_a_token_for_another_consult_does_not_open_this_one(central, room):
    # dr.skin and clinic B take part in the dermatology consult, not in clinic A's
    for token in (room["derm"], room["b_dev"]):
        ok = await central.get(f"/api/v1/calls/{room['other_consult']}/ice", token)
        assert ok.status == 200
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            async with ws(central, room["consult"], token):
                pass
        assert err.value.status == 404
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        async with ws(central, room["consult"], None):
            pass
    assert err.value.status == 401


async def test_the_room_relays_between_the_two_sides(central, room):
    cid = room["consult"]
    async with ws(central, cid, room["a_dev"]) as clinic:
        joined = await clinic.receive_json(timeout=5)
        assert joined["type"] == "joined" and joined["side"] == "clinic"
        assert joined["peers"] == [] and joined["offerer"] == "clinic"
        await clinic.send_json({"type": "offer", "sdp": "v=0 early"})
        assert (await clinic.receive_json(timeout=5))["code"] == "peer_absent"
        async with ws(central, cid, room["cardio"]) as spec:
            joined2 = await spec.receive_json(timeout=5)
            assert joined2["side"] == "specialist" and joined2["peers"] == ["clinic"]
            assert joined2["call_id"] == joined["call_id"]
            assert await clinic.receive_json(timeout=5) == {
                "type": "peer-joined",
                "side": "specialist",
            }
            await clinic.send_json({"type": "offer", "sdp": "v=0 offer"})
            assert await spec.receive_json(timeout=5) == {
                "type": "offer",
                "sdp": "v=0 offer",
                "from": "clinic",
            }
            await spec.send_json({"type": "answer", "sdp": "v=0 answer"})
            assert (await clinic.receive_json(timeout=5))["sdp"] == "v=0 answer"
            await spec.send_json({"type": "answer", "sdp": "x", "evil": 1})
            assert (await spec.receive_json(timeout=5))["code"] == "bad_message"
            await spec.send_json({"type": "ping"})
            assert await spec.receive_json(timeout=5) == {"type": "pong"}
            # the answering side asks for a fresh offer (its path died); nothing else rides on it
            await spec.send_json({"type": "restart"})
            assert await clinic.receive_json(timeout=5) == {"type": "restart", "from": "specialist"}
            await spec.send_json({"type": "restart", "sdp": "x"})
            assert (await spec.receive_json(timeout=5))["code"] == "bad_message"
            # another specialist of the same specialty: the specialist side is taken
            async with ws(central, cid, room["cardio2"]) as third:
                refused = await third.receive_json(timeout=5)
                assert refused["type"] == "error" and refused["code"] == "room_full"
                assert "specialist side" in refused["message"]
                assert (await third.receive(timeout=5)).type == aiohttp.WSMsgType.CLOSE
            await spec.send_json({"type": "bye"})
            assert await clinic.receive_json(timeout=5) == {
                "type": "peer-left",
                "side": "specialist",
                "reason": "hangup",
            }


async def test_a_reconnect_of_the_same_account_replaces_its_old_socket(central, room):
    cid = room["consult"]
    async with ws(central, cid, room["cardio"]) as spec:
        await spec.receive_json(timeout=5)
        async with ws(central, cid, room["a_dev"]) as clinic:
            await clinic.receive_json(timeout=5)
            assert (await spec.receive_json(timeout=5))["type"] == "peer-joined"
            async with ws(central, cid, room["a_dev"]) as again:
                assert (await again.receive_json(timeout=5))["peers"] == ["specialist"]
                old = await clinic.receive_json(timeout=5)
                assert old["code"] == "replaced"
                assert (await spec.receive_json(timeout=5)) == {
                    "type": "peer-joined",
                    "side": "clinic",
                }
            # the replacing socket went away without a bye: the peer hears "gone"
            left = await spec.receive_json(timeout=5)
            assert left == {"type": "peer-left", "side": "clinic", "reason": "gone"}
        # a second PC of the same clinic is a different account: refused while one is in
        async with ws(central, cid, room["a_dev"]) as first:
            await first.receive_json(timeout=5)
            async with ws(central, cid, room["a_dev2"]) as second:
                assert (await second.receive_json(timeout=5))["code"] == "room_full"


def _encounter(pid: str, sr_id: str, cls: str) -> dict:
    from tests.central.builders import uid

    return {
        "resourceType": "Encounter",
        "id": uid(),
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": cls},
        "subject": {"reference": f"Patient/{pid}"},
        "basedOn": [{"reference": f"ServiceRequest/{sr_id}"}],
        "period": {"start": "2026-01-05T09:00:00+08:00", "end": "2026-01-05T09:20:00+08:00"},
    }


async def test_a_specialist_may_record_a_video_call_and_nothing_else(central):
    a = await central.clinic("A")
    a_dev = await central.device_token(a)
    cardio = await central.user("dr.heart", "specialist", specialties=("cardiology",))
    derm = await central.user("dr.skin", "specialist", specialties=("dermatology",))
    p = patient()
    sr = consult(p["id"], "cardiology")
    await central.push(a_dev, put(p), put(sr))
    call = _encounter(p["id"], sr["id"], "VR")
    visit = _encounter(p["id"], sr["id"], "AMB")
    res = await central.push(cardio, put(call), put(visit))
    assert [r["status"] for r in res["results"]] == ["applied", "rejected"]
    assert "video call" in res["results"][1]["error"]
    # a specialist of another specialty cannot hang a call record on this consult
    res = await central.push(derm, put(_encounter(p["id"], sr["id"], "VR")))
    assert res["results"][0]["status"] == "rejected"
    # the clinic receives the specialist's record of the call
    pulled = await central.pull_all(a_dev)
    assert call["id"] in {c["record_id"] for c in pulled}
