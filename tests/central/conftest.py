"""Fixtures for the central platform tests: every test runs on SQLite AND PostgreSQL.

``db_url`` is parametrized over both; the PostgreSQL server (tests.support.postgres) starts
once per session and each test gets a fresh database copied from a template that already
holds the schema. ``central`` is the in-process aiohttp server (aiohttp's test server) with
helpers to make clinics, devices and users and to push and pull.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher

from central import accounts, schema
from central.app import build_app
from central.config import Settings
from central.db import Database, sql
from central.web import DB_KEY, AccessLogger
from tests.support.postgres import PostgresServer, PostgresUnavailable

TEMPLATE = "central_template"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL is required (make sysdeps installs it): {exc}")
    try:
        url = server.create_database(TEMPLATE)
        db = Database(url, pool_size=1)
        schema.ensure(db)
        db.close()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_shared(pg_server: PostgresServer) -> str:
    """One database reused by the tests, emptied before each (faster than a new database)."""
    return pg_server.create_database("central_shared", template=TEMPLATE)


def _empty_pg(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            b"SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
        tables = sorted({str(r[0]) for r in rows} | set(_tables()))
        tables = [t for t in tables if t != "meta"]  # every step's tables, not only step 1's
        conn.execute(("TRUNCATE " + ", ".join(tables)).encode())


def _tables() -> list[str]:
    import re

    return [
        m.group(1)
        for s in schema.statements("postgresql")
        if (m := re.match(r"CREATE TABLE IF NOT EXISTS (\w+)", s))
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'central.db'}"
    url: str = request.getfixturevalue("pg_shared")
    _empty_pg(url)
    return url


@pytest.fixture
def fresh_db_url(request: pytest.FixtureRequest, tmp_path, db_url: str) -> str:
    """A database of the same kind no other test has touched (for server processes)."""
    if db_url.startswith("sqlite"):
        return db_url
    pg: PostgresServer = request.getfixturevalue("pg_server")
    return pg.create_database(template=TEMPLATE)


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any

    @property
    def error_code(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"].get("code")
        return None


class Central:
    """The in-process server plus helpers (what a test needs, in one place)."""

    def __init__(self, client: TestClient, db: Database) -> None:
        self.client = client
        self.db = db

    # -- raw HTTP ----------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        gzip_body: bool = False,
    ) -> Reply:
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        body = data
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if gzip_body and body is not None:
            body = gzip.compress(body)
            hdrs["Content-Encoding"] = "gzip"
        async with self.client.request(method, path, data=body, headers=hdrs) as resp:
            raw = await resp.read()
            try:
                parsed: Any = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw
            return Reply(resp.status, parsed, resp.headers)

    async def get(self, path: str, token: str | None = None, **kw: Any) -> Reply:
        return await self.call("GET", path, token=token, **kw)

    async def post(self, path: str, body: Any = None, token: str | None = None, **kw: Any) -> Reply:
        return await self.call("POST", path, token=token, json_body=body, **kw)

    # -- accounts ----------------------------------------------------------------------------

    async def clinic(self, name: str = "Hill Clinic") -> str:
        return await self.db.write(lambda c: accounts.create_clinic(c, name), seq_lock=False)

    async def code(self, clinic_id: str, ttl_hours: float = 24) -> str:
        code, _ = await self.db.write(
            lambda c: accounts.create_enrollment_code(c, clinic_id, ttl_hours), seq_lock=False
        )
        return code

    async def device(self, clinic_id: str, name: str = "front desk PC") -> dict[str, Any]:
        """Enroll a device through the API; returns the enroll answer (token, device_id…)."""
        code = await self.code(clinic_id)
        reply = await self.post("/api/v1/enroll", {"code": code, "device_name": name})
        assert reply.status == 200, reply.body
        return reply.body

    async def user(
        self,
        username: str,
        role: str,
        *,
        specialties: tuple[str, ...] = (),
        clinic_id: str | None = None,
    ) -> str:
        """Create a user and sign in through the API; returns the token."""
        hashed = CHEAP_HASHER.hash(PASSWORD)
        await self.db.write(
            lambda c: accounts.create_user(c, username, hashed, role, list(specialties), clinic_id),
            seq_lock=False,
        )
        reply = await self.post("/api/v1/login", {"username": username, "password": PASSWORD})
        assert reply.status == 200, reply.body
        return reply.body["token"]

    async def device_token(self, clinic_id: str) -> str:
        return (await self.device(clinic_id))["token"]

    # -- sync --------------------------------------------------------------------------------

    async def push(self, token: str, *changes: dict, expect: int = 200) -> dict:
        reply = await self.post(
            "/api/v1/sync/push", {"protocol": 1, "changes": list(changes)}, token
        )
        assert reply.status == expect, reply.body
        return reply.body

    async def push_one(self, token: str, change: dict) -> dict:
        return (await self.push(token, change))["results"][0]

    async def pull(self, token: str, since: int = 0, limit: int = 500) -> dict:
        reply = await self.post("/api/v1/sync/pull", {"since": since, "limit": limit}, token)
        assert reply.status == 200, reply.body
        return reply.body

    async def pull_all(self, token: str, since: int = 0, limit: int = 500) -> list[dict]:
        out: list[dict] = []
        while True:
            page = await self.pull(token, since, limit)
            out += page["changes"]
            since = page["next"]
            if not page["more"]:
                return out

    # -- database ----------------------------------------------------------------------------

    async def counts(self) -> dict[str, int]:
        tables = (
            "records",
            "changes",
            "change_audience",
            "applied_changes",
            "clinics",
            "users",
            "devices",
            "tokens",
            "enrollment_codes",
            "uploads",
            "chunks",
            "blobs",
            "grants",
        )

        def work(conn: Any) -> dict[str, int]:
            return {t: int(conn.scalar(sql(f"SELECT COUNT(*) FROM {t}"))) for t in tables}

        return await self.db.read(work)

    async def sql(self, query: str, params: dict[str, Any] | None = None) -> int:
        return await self.db.write(lambda c: c.execute(sql(query), params or {}), seq_lock=False)


def make_settings(db_url: str, **kw: Any) -> Settings:
    return Settings(db_url, password_hasher=CHEAP_HASHER, pool_size=4, **kw)


@pytest_asyncio.fixture
async def central(db_url: str) -> AsyncIterator[Central]:
    app = build_app(make_settings(db_url))
    server = TestServer(app)
    await server.start_server(access_log_class=AccessLogger)  # the production access log
    async with TestClient(server) as client:
        yield Central(client, app[DB_KEY])
