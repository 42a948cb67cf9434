"""Accounts over HTTP: health, enrollment codes, sign-in, tokens, client version."""

from __future__ import annotations

import time

import pytest

from central import __version__
from central.app import build_app
from central.db import sql
from central.web import DB_KEY
from tests.central.conftest import PASSWORD, Central, make_settings

pytestmark = pytest.mark.asyncio


async def test_health(central):
    reply = await central.get("/api/v1/health")
    assert reply.status == 200
    body = reply.body
    assert body["status"] == "ok" and body["protocol"] == 1 and body["version"] == __version__
    assert body["epoch"] and body["min_client_version"] == __version__


async def test_enrollment_code_is_single_use(central):
    clinic = await central.clinic("Hill Clinic")
    code = await central.code(clinic)
    first = await central.post("/api/v1/enroll", {"code": code, "device_name": "PC 1"})
    assert first.status == 200
    assert first.body["clinic_id"] == clinic and first.body["clinic_name"] == "Hill Clinic"
    assert first.body["expires_at"] > time.time() and len(first.body["token"]) >= 40
    again = await central.post("/api/v1/enroll", {"code": code, "device_name": "PC 2"})
    assert again.status == 403 and again.error_code == "bad_code"
    who = await central.get("/api/v1/whoami", first.body["token"])
    assert who.body == {
        "kind": "device",
        "id": first.body["device_id"],
        "role": "device",
        "clinic_id": clinic,
        "specialties": [],
    }


async def test_code_is_accepted_in_lower_case_without_dashes(central):
    code = await central.code(await central.clinic())
    reply = await central.post(
        "/api/v1/enroll", {"code": code.replace("-", "").lower(), "device_name": "PC"}
    )
    assert reply.status == 200


async def test_expired_code_is_refused(central):
    code = await central.code(await central.clinic())
    await central.sql("UPDATE enrollment_codes SET expires_at = :at", {"at": int(time.time()) - 1})
    reply = await central.post("/api/v1/enroll", {"code": code, "device_name": "PC"})
    assert reply.status == 403 and reply.error_code == "bad_code"
    assert (await central.counts())["devices"] == 0


async def test_codes_are_stored_only_as_hashes(central):
    code = await central.code(await central.clinic())
    rows = await central.db.read(lambda c: c.all(sql("SELECT code_hash FROM enrollment_codes")))
    assert code not in str(rows) and code.replace("-", "") not in str(rows)


async def test_login_whoami_logout(central):
    clinic = await central.clinic()
    token = await central.user("dr.li", "clinician", clinic_id=clinic)
    who = await central.get("/api/v1/whoami", token)
    assert who.body["kind"] == "user" and who.body["role"] == "clinician"
    assert who.body["clinic_id"] == clinic
    out = await central.post("/api/v1/logout", token=token)
    assert out.status == 204
    assert (await central.get("/api/v1/whoami", token)).status == 401


async def test_specialist_login_answers_specialties(central):
    await central.user("dr.heart", "specialist", specialties=("cardiology", "neurology"))
    reply = await central.post("/api/v1/login", {"username": "dr.heart", "password": PASSWORD})
    assert reply.body["role"] == "specialist"
    assert reply.body["specialties"] == ["cardiology", "neurology"]


async def test_wrong_password_and_unknown_user_look_the_same(central):
    await central.user("dr.li", "admin")
    wrong = await central.post("/api/v1/login", {"username": "dr.li", "password": "nope" * 3})
    unknown = await central.post("/api/v1/login", {"username": "nobody", "password": "x" * 12})
    assert wrong.status == unknown.status == 401
    assert wrong.body == unknown.body


async def test_expired_token_is_refused(central):
    token = await central.device_token(await central.clinic())
    assert (await central.get("/api/v1/whoami", token)).status == 200
    await central.sql("UPDATE tokens SET expires_at = :at", {"at": int(time.time()) - 1})
    reply = await central.get("/api/v1/whoami", token)
    # Its session still lasts: the code tells the client to renew it with its refresh token.
    assert reply.status == 401 and reply.error_code == "token_expired"
    await central.sql("UPDATE sessions SET expires_at = :at", {"at": int(time.time()) - 1})
    reply = await central.get("/api/v1/whoami", token)
    assert reply.status == 401 and reply.error_code == "unauthorized"


async def test_revoked_device_is_refused_on_its_very_next_request(central):
    clinic = await central.clinic()
    device = await central.device(clinic)
    admin = await central.user("root", "admin")
    assert (await central.pull(device["token"]))["changes"] == []
    reply = await central.post(f"/api/v1/admin/devices/{device['device_id']}/revoke", token=admin)
    assert reply.status == 200 and reply.body["revoked_at"]
    nxt = await central.post("/api/v1/sync/pull", {"since": 0}, device["token"])
    assert nxt.status == 401
    devices = (await central.get("/api/v1/admin/devices", admin)).body["devices"]
    assert devices[0]["revoked_at"] is not None


async def test_revoking_the_device_row_alone_is_enough(central):
    """No cache: the device row is re-read on each request."""
    device = await central.device(await central.clinic())
    await central.sql("UPDATE devices SET revoked_at = 1")
    assert (await central.get("/api/v1/whoami", device["token"])).status == 401


async def test_tokens_are_stored_only_as_hashes(central):
    token = await central.device_token(await central.clinic())
    rows = await central.db.read(lambda c: c.all(sql("SELECT token_hash FROM tokens")))
    assert token not in str(rows)


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Basic abc", "Bearer nope", "Bearer " + "A" * 43]
)
async def test_bad_authorization_headers(central, header):
    reply = await central.get("/api/v1/whoami", headers={"Authorization": header} if header else {})
    assert reply.status == 401 and reply.error_code == "unauthorized"


async def test_old_client_gets_426_in_words(db_url):
    from aiohttp.test_utils import TestClient, TestServer

    app = build_app(make_settings(db_url, min_client_version="0.2.0"))
    async with TestClient(TestServer(app)) as client:
        c = Central(client, app[DB_KEY])
        reply = await c.get("/api/v1/whoami", headers={"X-Client-Version": "0.1.5"})
        assert reply.status == 426 and reply.error_code == "upgrade_required"
        assert reply.body["error"]["message"] == (
            "This workstation runs version 0.1.5; the central platform needs version 0.2.0 or "
            "newer. Ask the central platform's administrator for the update."
        )
        ok = await c.get("/api/v1/whoami", headers={"X-Client-Version": "0.2.0"})
        assert ok.status == 401  # past the version check, no token
        health = await c.get("/api/v1/health", headers={"X-Client-Version": "0.0.1"})
        assert health.status == 200 and health.body["min_client_version"] == "0.2.0"
        bad = await c.get("/api/v1/whoami", headers={"X-Client-Version": "banana"})
        assert bad.status == 400


async def test_admin_routes(central):
    admin = await central.user("root", "admin")
    made = await central.post("/api/v1/admin/clinics", {"name": "Valley Clinic"}, admin)
    assert made.status == 201
    clinic = made.body["id"]
    listed = await central.get("/api/v1/admin/clinics", admin)
    assert [c["name"] for c in listed.body["clinics"]] == ["Valley Clinic"]
    code = await central.post(
        "/api/v1/admin/enrollment-codes", {"clinic_id": clinic, "ttl_hours": 2}, admin
    )
    assert code.status == 201 and 7100 < code.body["expires_at"] - time.time() <= 7200
    user = await central.post(
        "/api/v1/admin/users",
        {
            "username": "dr.wang",
            "password": "long enough pw",
            "role": "specialist",
            "specialties": ["dermatology"],
        },
        admin,
    )
    assert user.status == 201 and user.body["specialties"] == ["dermatology"]
    dup = await central.post(
        "/api/v1/admin/users",
        {"username": "dr.wang", "password": "long enough pw", "role": "admin"},
        admin,
    )
    assert dup.status == 409
    login = await central.post(
        "/api/v1/login", {"username": "dr.wang", "password": "long enough pw"}
    )
    assert login.status == 200
    enrolled = await central.post(
        "/api/v1/enroll", {"code": code.body["code"], "device_name": "PC"}
    )
    assert enrolled.status == 200
    missing = await central.post(
        f"/api/v1/admin/devices/{enrolled.body['clinic_id']}/revoke", token=admin
    )
    assert missing.status == 404


@pytest.mark.parametrize(
    "body",
    [
        {"username": "x", "password": "long enough pw", "role": "admin"},
        {"username": "dr.a", "password": "short", "role": "admin"},
        {"username": "dr.a", "password": "long enough pw", "role": "root"},
        {"username": "dr.a", "password": "long enough pw", "role": "specialist"},
        {
            "username": "dr.a",
            "password": "long enough pw",
            "role": "specialist",
            "specialties": ["astrology"],
        },
        {"username": "dr.a", "password": "long enough pw", "role": "clinician"},
        {
            "username": "dr.a",
            "password": "long enough pw",
            "role": "admin",
            "clinic_id": "00000000-0000-0000-0000-000000000000",
        },
    ],
)
async def test_admin_user_rules(central, body):
    admin = await central.user("root", "admin")
    reply = await central.post("/api/v1/admin/users", body, admin)
    assert 400 <= reply.status < 500 and reply.error_code
    assert (await central.counts())["users"] == 1


async def test_logs_hold_no_contents_names_tokens_or_passwords(central, caplog):
    import logging

    from tests.central.builders import patient, put

    caplog.set_level(logging.DEBUG)
    clinic = await central.clinic()
    code = await central.code(clinic)
    enrolled = await central.post("/api/v1/enroll", {"code": code, "device_name": "PC"})
    token = enrolled.body["token"]
    p = patient(name="Zhang Uniquename", resident_id="110101199003074477")
    await central.push(token, put(p), put({**p, "gender": 5}, base=1))
    await central.get("/fhir/Patient?identifier=110101199003074477", token)
    user_token = await central.user("dr.li", "admin")
    await central.post("/api/v1/login", {"username": "dr.li", "password": "wrong password!"})
    text = caplog.text
    for secret in ("Uniquename", "110101199003074477", token, code, user_token, PASSWORD,
                   "wrong password!"):  # fmt: skip
        assert secret not in text
