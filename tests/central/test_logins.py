"""Sign-in throttling, lockout, administrator unlock and the sign-in audit (issue 16, "Logins
and tokens"): per user name and per source address, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from central import accounts, cli
from central.app import build_app
from central.db import sql
from central.web import DB_KEY
from tests.central.conftest import CHEAP_HASHER, PASSWORD, Central, Reply, make_settings

pytestmark = pytest.mark.asyncio
WRONG = "not the password at all"

MakeCentral = Callable[..., Awaitable[Central]]


@pytest_asyncio.fixture
async def make_central(db_url: str) -> AsyncIterator[MakeCentral]:
    """Start an in-process server with some settings changed (each call: a new server on the
    same database)."""
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


async def add_user(central: Central, username: str, role: str = "admin", **kw: Any) -> str:
    hashed = CHEAP_HASHER.hash(PASSWORD)
    return await central.db.write(
        lambda c: accounts.create_user(c, username, hashed, role, [], kw.get("clinic_id")),
        seq_lock=False,
    )


async def login(central: Central, username: str, password: str, **kw: Any) -> Reply:
    return await central.post("/api/v1/login", {"username": username, "password": password}, **kw)


async def audit_rows(central: Central, account: str | None = None) -> list[dict[str, Any]]:
    def work(conn: Any) -> list[dict[str, Any]]:
        rows = conn.all(
            sql(
                "SELECT at_ms, event, outcome, account, subject_id, address FROM auth_audit "
                "ORDER BY at_ms, id"
            )
        )
        keys = ("at_ms", "event", "outcome", "account", "subject_id", "address")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    rows = await central.db.read(work)
    return [r for r in rows if account is None or r["account"] == account]


def assert_refusal(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply.body
    assert reply.error_code == code
    wait = int(reply.headers["Retry-After"])
    assert wait >= 1 and reply.body["error"]["details"]["retry_after"] == wait
    assert reply.headers["Content-Type"].startswith("application/json")


async def test_twenty_wrong_passwords_in_a_minute_lock_the_account(make_central):
    central = await make_central()
    await add_user(central, "dr.lock", "specialist" if False else "admin")
    started = time.monotonic()
    replies = [await login(central, "dr.lock", WRONG) for _ in range(20)]
    assert time.monotonic() - started < 60
    statuses = [r.status for r in replies]
    assert statuses[:3] == [401, 401, 401]  # then back-off, then the lock
    assert set(statuses[3:]) <= {429, 423} and statuses[-1] == 423
    assert_refusal(replies[-1], 423, "account_locked")
    # The right password now fails too, and says nothing about the password.
    right = await login(central, "dr.lock", PASSWORD)
    assert_refusal(right, 423, "account_locked")
    assert "token" not in right.body
    # Every attempt is in the audit, with time, account, address and outcome; no password.
    rows = [r for r in await audit_rows(central, "dr.lock") if r["event"] == "login"]
    assert len(rows) == 21
    assert {r["outcome"] for r in rows} <= {"failure", "throttled", "locked"}
    assert rows[-1]["outcome"] == "locked" and rows[0]["outcome"] == "failure"
    assert all(r["address"] == "127.0.0.1" and r["at_ms"] > 0 for r in rows)
    dump = json.dumps(await audit_rows(central))
    assert WRONG not in dump and PASSWORD not in dump
    # An administrator unlocks it (through the API); the right password works again.
    admin = await add_user(central, "root")
    assert admin
    locked = await central.db.write(
        lambda c: accounts.start_session(c, "user", admin, 60, 600), seq_lock=False
    )
    listing = await central.get("/api/v1/admin/locked", locked.token)
    assert [x["username"] for x in listing.body["locked"]] == ["dr.lock"]
    unlock = await central.post("/api/v1/admin/users/dr.lock/unlock", token=locked.token)
    assert unlock.status == 200 and unlock.body["was_throttled"] is True
    ok = await login(central, "dr.lock", PASSWORD)
    assert ok.status == 200 and ok.body["token"]
    events = [(r["event"], r["outcome"]) for r in await audit_rows(central, "dr.lock")]
    assert ("lockout", "locked") in events
    assert events[-2:] == [("unlock", "success"), ("login", "success")]
    audit = await central.get("/api/v1/admin/auth-audit?account=dr.lock&limit=5", locked.token)
    assert audit.status == 200 and audit.body["entries"][0]["outcome"] == "success"


async def test_a_lockout_ends_by_itself(make_central):
    central = await make_central(login_max_failures=3, login_backoff_after=10, login_lockout=1)
    await add_user(central, "dr.wait")
    for _ in range(3):
        assert (await login(central, "dr.wait", WRONG)).status == 401
    assert_refusal(await login(central, "dr.wait", PASSWORD), 423, "account_locked")
    await asyncio.sleep(1.2)
    assert (await login(central, "dr.wait", PASSWORD)).status == 200
    # A success forgets the failures: three more are needed to lock again.
    assert (await login(central, "dr.wait", WRONG)).status == 401
    assert (await login(central, "dr.wait", PASSWORD)).status == 200


async def test_answers_do_not_tell_whether_the_account_exists(make_central):
    central = await make_central(login_max_failures=6)
    await add_user(central, "dr.real")
    real = [await login(central, "dr.real", WRONG) for _ in range(8)]
    ghost = [await login(central, "dr.ghost", WRONG) for _ in range(8)]
    assert [(r.status, r.error_code) for r in real] == [(r.status, r.error_code) for r in ghost]
    for a, b in zip(real, ghost, strict=True):
        assert a.body["error"]["message"] == b.body["error"]["message"]


async def test_back_off_grows_and_then_lets_the_next_attempt_in(make_central):
    central = await make_central(login_backoff_after=2, login_max_failures=50)
    await add_user(central, "dr.slow")
    assert (await login(central, "dr.slow", WRONG)).status == 401
    assert (await login(central, "dr.slow", WRONG)).status == 401  # back-off starts: 1 s
    early = await login(central, "dr.slow", PASSWORD)  # too soon: not even checked
    assert_refusal(early, 429, "too_many_attempts")
    assert int(early.headers["Retry-After"]) in (1, 2)  # counted: the wait doubled
    await asyncio.sleep(int(early.headers["Retry-After"]) + 0.1)
    assert (await login(central, "dr.slow", PASSWORD)).status == 200


async def test_per_address_budget(make_central):
    central = await make_central(
        address_max_failures=5, login_backoff_after=100, trusted_proxies=("127.0.0.1",)
    )
    await add_user(central, "dr.ok")
    attacker = {"X-Forwarded-For": "198.51.100.7"}
    for i in range(5):  # five different names: no account reaches its own limit
        assert (await login(central, f"guess{i}", WRONG, headers=attacker)).status == 401
    # The address is held off, whatever the name and even with the right password.
    held = await login(central, "dr.ok", PASSWORD, headers=attacker)
    assert_refusal(held, 429, "too_many_attempts")
    assert held.body["error"]["details"]["retry_after"] > 60  # until the window ends
    # Another address (behind the same trusted proxy) is not.
    other = await login(central, "dr.ok", PASSWORD, headers={"X-Forwarded-For": "203.0.113.9"})
    assert other.status == 200
    rows = await audit_rows(central)
    assert rows[-2]["outcome"] == "throttled" and rows[-2]["address"] == "198.51.100.7"
    assert rows[-1]["outcome"] == "success" and rows[-1]["address"] == "203.0.113.9"


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(make_central):
    central = await make_central(address_max_failures=2, login_backoff_after=100)
    for i in range(2):
        await login(central, f"x{i}", WRONG, headers={"X-Forwarded-For": f"192.0.2.{i}"})
    held = await login(central, "x9", WRONG, headers={"X-Forwarded-For": "192.0.2.99"})
    assert_refusal(held, 429, "too_many_attempts")
    assert {r["address"] for r in await audit_rows(central)} == {"127.0.0.1"}


async def test_enrollment_code_guessing_is_throttled(make_central):
    central = await make_central(enroll_max_failures=6, trusted_proxies=("127.0.0.1",))
    clinic = await central.clinic()
    code = await central.code(clinic)
    guesser = {"X-Forwarded-For": "198.51.100.20"}
    statuses = []
    for i in range(8):
        reply = await central.post(
            "/api/v1/enroll", {"code": f"AAAA-BBBB-CCCC-{i:04d}", "device_name": "x"},
            headers=guesser,
        )  # fmt: skip
        statuses.append(reply.status)
        if reply.status == 429:
            assert_refusal(reply, 429, "too_many_attempts")
    assert statuses[:3] == [403, 403, 403] and statuses[-1] == 429
    # Even the right code waits now, from that address; nothing was enrolled.
    held = await central.post("/api/v1/enroll", {"code": code, "device_name": "x"}, headers=guesser)
    assert_refusal(held, 429, "too_many_attempts")
    assert (await central.counts())["devices"] == 0
    ok = await central.post(
        "/api/v1/enroll", {"code": code, "device_name": "PC"},
        headers={"X-Forwarded-For": "203.0.113.1"},
    )  # fmt: skip
    assert ok.status == 200
    rows = [r for r in await audit_rows(central) if r["event"] == "enroll"]
    assert len(rows) == 10
    assert rows[-1]["outcome"] == "success" and rows[-1]["subject_id"] == ok.body["device_id"]
    assert {r["outcome"] for r in rows[:-1]} == {"failure", "throttled"}
    assert code not in json.dumps(rows) and code.replace("-", "") not in json.dumps(rows)


async def test_cli_unlock_disable_enable_and_audit(make_central, db_url, capsys):
    central = await make_central(login_max_failures=2, login_backoff_after=10)
    user_id = await add_user(central, "dr.cli", "specialist" if False else "admin")
    for _ in range(2):
        await login(central, "dr.cli", WRONG)
    assert (await login(central, "dr.cli", PASSWORD)).status == 423

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main([*args, "--db", db_url])
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    rc, out, _ = await asyncio.to_thread(run, "user", "locked")
    assert rc == 0 and out.startswith("dr.cli\tlocked until")
    rc, out, _ = await asyncio.to_thread(run, "user", "unlock", "dr.cli")
    assert (rc, out) == (0, "unlocked dr.cli")
    ok = await login(central, "dr.cli", PASSWORD)
    assert ok.status == 200
    token = ok.body["token"]
    assert (await central.get("/api/v1/whoami", token)).status == 200
    rc, out, _ = await asyncio.to_thread(run, "user", "disable", "dr.cli")
    assert (rc, out) == (0, "disabled dr.cli")
    # Its sessions ended at once: the access token and the refresh token stop working.
    assert (await central.get("/api/v1/whoami", token)).status == 401
    again = await central.post("/api/v1/token/refresh", {"refresh_token": ok.body["refresh_token"]})
    assert again.status == 401 and again.error_code == "session_ended"
    assert (await login(central, "dr.cli", PASSWORD)).status == 401
    rc, out, _ = await asyncio.to_thread(run, "user", "enable", "dr.cli")
    assert (rc, out) == (0, "enabled dr.cli")
    assert (await login(central, "dr.cli", PASSWORD)).status == 200
    rc, _, err = await asyncio.to_thread(run, "user", "disable", "nobody")
    assert rc == 1 and err == "clinic-central: There is no user with that name."
    rc, out, _ = await asyncio.to_thread(run, "audit", "list", "--account", "dr.cli")
    lines = [line.split("\t") for line in out.splitlines()]
    assert [x[1:3] for x in lines[:3]] == [
        ["login", "success"], ["enable", "success"], ["login", "failure"]
    ]  # fmt: skip
    assert ["disable", "success"] in [x[1:3] for x in lines]
    assert user_id in out  # the successful sign-ins name the user


async def test_sign_in_audit_is_admin_only(make_central):
    central = await make_central()
    clinic = await central.clinic()
    device = await central.device_token(clinic)
    for path in ("/api/v1/admin/auth-audit", "/api/v1/admin/locked"):
        assert (await central.get(path, device)).status == 403
    reply = await central.post("/api/v1/admin/users/anyone/unlock", token=device)
    assert reply.status == 403
