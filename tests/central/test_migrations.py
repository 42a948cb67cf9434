"""Central schema migrations: a real version-1 database (tests/central/fixtures/make_v1.py,
committed as a SQLite file and built on PostgreSQL at test time) is upgraded on both databases
with every row kept; a newer database is refused untouched; several processes starting at once
apply each step exactly once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from central import migrations, schema
from central.app import build_app
from central.db import Database, Sql, UniqueViolation, in_list, sql
from central.web import DB_KEY
from tests.central.conftest import Central, make_settings
from tests.central.fixtures import make_v1 as v1
from tests.support.central_proc import REPO, run_cli

TABLES = [
    "meta",
    "clinics",
    "users",
    "devices",
    "enrollment_codes",
    "tokens",
    "records",
    "identifiers",
    "changes",
    "change_audience",
    "applied_changes",
    "grants",
    "links",
    "record_attachments",
    "uploads",
    "blobs",
    "blob_owners",
    "chunks",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> str:
    """A database of ``kind`` with nothing in it."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'central.db'}"
    return str(request.getfixturevalue("pg_server").create_database())


def make_v1_at(url: str) -> str:
    """Turn an empty database into the version-1 fixture (the committed file on SQLite)."""
    if url.startswith("sqlite:///"):
        shutil.copyfile(v1.SQLITE_FILE, url[len("sqlite:///") :])
    else:
        v1.build_postgresql(url)
    return url


@pytest.fixture
def v1_url(empty_url: str) -> str:
    """A version-1 database made by the first release."""
    return make_v1_at(empty_url)


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every version-1 table, sorted (bytes as bytes on both databases)."""
    db = Database(url, pool_size=1)
    try:

        def work(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
            out = {}
            for table in TABLES:
                rows = conn.all(sql(f"SELECT * FROM {table}"))
                out[table] = sorted(
                    (tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows),
                    key=repr,
                )
            return out

        return db.read_sync(work)
    finally:
        db.close()


def results(url: str) -> dict[str, dict[str, Any]]:
    rows = dump(url)["applied_changes"]
    return {str(r[0]): json.loads(r[2]) for r in rows}


def set_version(url: str, version: int) -> None:
    db = Database(url, pool_size=1)
    try:
        db.write_sync(
            lambda c: c.execute(
                sql("UPDATE meta SET value = :v WHERE key = 'schema_version'"), {"v": str(version)}
            )
        )
    finally:
        db.close()


def version_of(url: str) -> int:
    db = Database(url, pool_size=1)
    try:
        return db.read_sync(migrations.schema_version)
    finally:
        db.close()


def test_step_one_is_the_first_release_schema() -> None:
    """Step 1 must keep making exactly what the first release made (never edit a step)."""
    for dialect in ("sqlite", "postgresql"):
        assert migrations.v1_statements(dialect) == v1.v1_statements(dialect)
    assert [m.version for m in migrations.MIGRATIONS] == list(
        range(1, migrations.CURRENT_SCHEMA + 1)
    )
    assert schema.SCHEMA_VERSION == migrations.CURRENT_SCHEMA == 4


def test_the_committed_sqlite_fixture_is_what_the_script_makes(tmp_path: Path) -> None:
    fresh = tmp_path / "again.sqlite"
    v1.build_sqlite(fresh)
    assert dump(f"sqlite:///{fresh}") == dump(f"sqlite:///{v1.SQLITE_FILE}")


def test_a_fresh_database_gets_every_step(empty_url: str) -> None:
    db = Database(empty_url, pool_size=1)
    try:
        assert schema.ensure(db) == [1, 2, 3, 4]
        assert schema.ensure(db) == []
        assert db.read_sync(migrations.schema_version) == migrations.CURRENT_SCHEMA
        assert len(db.read_sync(schema.epoch)) == 32
    finally:
        db.close()


def test_a_version_1_database_is_upgraded_and_keeps_its_data(v1_url: str) -> None:
    before = dump(v1_url)
    assert version_of(v1_url) == 1
    db = Database(v1_url, pool_size=2)
    try:
        assert schema.ensure(db) == [2, 3, 4]
        assert schema.ensure(db) == []  # already current: nothing runs again
    finally:
        db.close()
    after = dump(v1_url)
    assert version_of(v1_url) == migrations.CURRENT_SCHEMA
    for table in TABLES:
        if table in ("meta", "applied_changes", "tokens"):
            continue
        assert after[table] == before[table], table
    # Step 3: tokens made before sessions keep their columns and become lone access tokens.
    assert [r[:6] for r in after["tokens"]] == before["tokens"]
    assert {r[6:] for r in after["tokens"]} == {("access", None, None, None)}
    assert dict((k, v) for k, v, *_ in after["meta"]) == {
        "schema_version": str(migrations.CURRENT_SCHEMA),
        "epoch": v1.EPOCH,
        "created_at": str(v1.T0),
    }
    chunks = {r[0]: r[2] for r in after["chunks"]}
    assert chunks[f"b:{v1.BLOB_SHA}"] == v1.BLOB  # binary survives as bytes
    # Step 2: results stored before content digests now carry their change's key.
    stored = results(v1_url)
    assert stored[v1.C2]["content_sha256"] == v1.p1_v2_digest()  # untouched
    assert "legacy_key" not in stored[v1.C2]
    assert stored[v1.C1]["content_sha256"] is None
    assert stored[v1.C1]["legacy_key"] == migrations.legacy_key(
        "Patient", v1.P1, "put", None, v1.canonical_json(v1.P1_V1)
    )
    assert stored[v1.C4]["legacy_key"] == migrations.legacy_key("Patient", v1.P2, "delete", 1, None)
    assert stored[v1.C6]["content_sha256"] == migrations.UNVERIFIABLE
    for cid in (v1.C1, v1.C3, v1.C4, v1.C5, v1.C6):  # the answers themselves are unchanged
        old = json.loads(next(r[2] for r in before["applied_changes"] if r[0] == cid))
        assert {k: stored[cid][k] for k in old} == old


def _change(cid: str, rtype: str, rid: str, base: int | None, res: dict | None) -> dict:
    return {
        "change_id": cid,
        "rtype": rtype,
        "record_id": rid,
        "op": "put" if res is not None else "delete",
        "base_version": base,
        "resource": res,
    }


@pytest.mark.asyncio
async def test_an_upgraded_database_serves_and_checks_reused_change_ids(v1_url: str) -> None:
    app = build_app(make_settings(v1_url))  # the server migrates when it starts
    server = TestServer(app)
    await server.start_server()
    async with TestClient(server) as client:
        central = Central(client, app[DB_KEY])
        token = v1.DEVICE_TOKEN
        pulled = await central.pull_all(token)
        assert [c["seq"] for c in pulled] == [1, 2, 3, 4, 5]
        assert pulled[1]["resource"] == v1.P1_V2 and pulled[3]["deleted"] is True
        # The same changes sent again: their first results, nothing applied.
        same = await central.push(
            token,
            _change(v1.C1, "Patient", v1.P1, None, v1.P1_V1),
            _change(v1.C2, "Patient", v1.P1, 1, v1.P1_V2),
            _change(v1.C4, "Patient", v1.P2, 1, None),
            _change(v1.C5, "ServiceRequest", v1.SR, None, v1.SR_V1),
        )
        assert [(r["status"], r["version"], r["seq"]) for r in same["results"]] == [
            ("applied", 1, 1),
            ("applied", 2, 2),
            ("applied", 2, 4),
            ("applied", 1, 5),
        ]
        assert same["epoch"] == v1.EPOCH
        # Other content under an id stored before digests: refused (it used to be "applied").
        other = await central.push(
            token,
            _change(v1.C1, "Patient", v1.P1, None, v1.patient(v1.P1, "Someone Else")),
            _change(v1.C3, "Patient", v1.P1, 2, v1.P2_V1 | {"id": v1.P1}),
            _change(v1.C4, "Patient", v1.P1, 2, None),
            _change(v1.C6, "Patient", v1.P2, None, v1.P2_V1),
        )
        assert [r.get("code") for r in other["results"]] == ["change_id_reused"] * 4
        counts = await central.counts()
        assert counts["changes"] == 6 and counts["applied_changes"] == 6
        # New work goes on from the old sequence.
        fresh = await central.push_one(
            token,
            _change(
                "6f1c2b3a-0000-4000-8000-0000000000d1", "Patient", v1.P1, 2, v1.patient(v1.P1, "L")
            ),
        )
        assert (fresh["status"], fresh["version"], fresh["seq"]) == ("applied", 3, 7)


def test_a_newer_database_is_refused_untouched(v1_url: str) -> None:
    db = Database(v1_url, pool_size=1)
    try:
        schema.ensure(db)
    finally:
        db.close()
    set_version(v1_url, migrations.CURRENT_SCHEMA + 1)
    before = dump(v1_url)
    db = Database(v1_url, pool_size=1)
    try:
        with pytest.raises(migrations.SchemaTooNew, match="newer clinic-central") as err:
            schema.ensure(db)
        assert f"schema {migrations.CURRENT_SCHEMA + 1}" in str(err.value)
    finally:
        db.close()
    proc = run_cli("clinic", "list", db=v1_url, check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "newer clinic-central" in lines[0] and "Upgrade" in lines[0]
    assert dump(v1_url) == before


# Each process waits for the go file, then migrates with every step held open for a while
# (so the other one certainly arrives in the middle) and prints the steps it applied.
_RACER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from central import migrations, schema
    from central.db import Database

    url, go = sys.argv[1], Path(sys.argv[2])
    slow = []
    for step in migrations.MIGRATIONS:
        def apply(conn, _f=step.apply):
            _f(conn)
            time.sleep(0.6)
        slow.append(migrations.Migration(step.version, step.description, apply))
    migrations.MIGRATIONS[:] = slow
    db = Database(url, pool_size=1)
    while not go.exists():
        time.sleep(0.005)
    print(json.dumps(schema.ensure(db)))
    db.close()
    """
)


@pytest.mark.parametrize("start", ["empty", "version 1"])
def test_processes_starting_at_once_migrate_once(
    start: str, empty_url: str, tmp_path: Path
) -> None:
    url = make_v1_at(empty_url) if start == "version 1" else empty_url
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, url, str(go)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1.0)  # both imported and waiting
    go.touch()
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    # Every step ran exactly once, in one process or the other.
    expected = [1, 2, 3, 4] if start == "empty" else [2, 3, 4]
    assert sorted(step for out in outs for step in out) == expected
    assert all(out == sorted(out) for out in outs)  # each process in order
    assert version_of(url) == migrations.CURRENT_SCHEMA
    if start == "version 1":
        assert results(url)[v1.C1]["legacy_key"]["record_id"] == v1.P1


# -- the statement layer the migrations run on ----------------------------------------------


def test_statements_are_translated_once_for_psycopg() -> None:
    q = sql(
        "SELECT a::text, ':x', \"c:d\" FROM t /* :y */ WHERE a = :a AND b LIKE '%z' -- :c\n"
        "AND d = :d"
    )
    assert q.names == {"a", "d"}
    assert q.pg == (
        "SELECT a::text, ':x', \"c:d\" FROM t /* :y */ WHERE a = %(a)s AND b LIKE '%%z' -- :c\n"
        "AND d = %(d)s"
    )
    plain = sql("SELECT 1 WHERE 'a' LIKE '%'")
    assert plain.pg == plain.text and not plain.names  # psycopg reads no placeholders then
    joined = Sql.join(" AND ", [plain, sql("b = :b")])
    assert joined.pg == "SELECT 1 WHERE 'a' LIKE '%%' AND b = %(b)s"
    part, params = in_list("aud", ["x", "y"])
    assert (part.text, part.pg, params) == (":aud0, :aud1", "%(aud0)s, %(aud1)s", {
        "aud0": "x", "aud1": "y"})  # fmt: skip
    for bad in ("SELECT ?", "SELECT 'open"):
        with pytest.raises(ValueError):
            sql(bad)


def test_one_statement_runs_on_both_databases(empty_url: str) -> None:
    db = Database(empty_url, pool_size=1)
    try:
        schema.ensure(db)
        q = sql(
            "SELECT :text LIKE '%b%', CAST(:n AS BIGINT) + 1, ':n', "
            "(SELECT COUNT(*) FROM clinics WHERE id IN (" + "'x', :id))"
        )
        row = db.read_sync(lambda c: c.one(q, {"text": "abc", "n": 41, "id": "nope"}))
        assert row is not None and (bool(row[0]), row[1], row[2], row[3]) == (True, 42, ":n", 0)
        with pytest.raises(TypeError, match="missing: n"):
            db.read_sync(lambda c: c.one(q, {"text": "abc", "id": "x"}))
        with pytest.raises(TypeError, match="Sql values"):
            db.read_sync(lambda c: c.one("SELECT 1"))  # type: ignore[arg-type]
        add = sql("INSERT INTO meta (key, value) VALUES (:key, 'x')")
        with pytest.raises(UniqueViolation):
            db.write_sync(lambda c: c.execute(add, {"key": "epoch"}))
        with pytest.raises(UniqueViolation):
            db.write_sync(lambda c: c.executemany(add, [{"key": "k"}, {"key": "k"}]))
    finally:
        db.close()


def test_dead_pooled_postgresql_connections_are_replaced(pg_server: Any) -> None:
    import psycopg

    url = pg_server.create_database()
    db = Database(url, pool_size=3)
    try:
        schema.ensure(db)
        assert db.read_sync(schema.epoch)
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        for _ in range(3):
            assert db.read_sync(schema.epoch)
            assert db.write_sync(schema.bump_epoch)
    finally:
        db.close()
