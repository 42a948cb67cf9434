"""Schema migrations: a committed schema-1 profile upgrades in place; a newer one is refused."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local_store import db as dbmod
from local_store.errors import SchemaTooNew
from local_store.keyslots import KeyHeader
from local_store.schema import CURRENT_SCHEMA, migrate, schema_version
from local_store.store import Store

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "profile_schema1"


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "make_schema1_fixture", HERE / "make_schema1_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@pytest.fixture
def v1_profile(tmp_path):
    assert sorted(p.name for p in FIXTURE.iterdir()) == ["keys.json", "records.db"]
    dest = tmp_path / "profile"
    shutil.copytree(FIXTURE, dest)
    return dest


def data_key(profile):
    return KeyHeader.load(profile / "keys.json").unlock(gen.USER, gen.PASSPHRASE)


def test_fixture_is_schema_1(v1_profile):
    conn = dbmod.connect(v1_profile / "records.db", data_key(v1_profile))
    try:
        assert schema_version(conn) == 1
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"records", "outbox", "audit", "meta"} <= tables
        assert not tables & {"search_terms", "record_history", "attachments"}
    finally:
        conn.close()


def test_upgrade_from_schema_1(v1_profile):
    original_db = (v1_profile / "records.db").read_bytes()
    expected = gen.expected_final()
    store = Store.unlock(v1_profile, gen.USER, gen.PASSPHRASE)
    try:
        assert store.schema == CURRENT_SCHEMA
        assert store.migrated_from == 1
        assert store.integrity_check() == ["ok"]

        # Records: every one there, with its version, deletion flag and body.
        for rid, (rtype, version, deleted, resource) in expected.items():
            assert store.version_of(rid) == (version, deleted)
            if not deleted:
                assert store.get(rtype, rid) == resource
        assert store.count() == sum(1 for e in expected.values() if not e[2])

        # History has the current version of each record (earlier ones were never kept by v1).
        history = dict(
            store.conn.execute("SELECT id, max(version) FROM record_history GROUP BY id").fetchall()
        )
        assert history == {rid: e[1] for rid, e in expected.items()}

        # The outbox survived as written: one row per version, first one already sent.
        outbox = store.conn.execute(
            "SELECT record_id, version, op, state FROM outbox ORDER BY seq"
        ).fetchall()
        assert len(outbox) == sum(e[1] for e in expected.values())
        assert outbox[0][3] == "done" and {r[3] for r in outbox[1:]} == {"pending"}
        assert ("pat-fixture-4", 2, "delete", "pending") in outbox
        assert store.pending_count() == len(outbox) - 1

        # Search terms are rebuilt by the records layer on the next open.
        assert store.get_meta("reindex_search") == "1"
        assert store.search_prefix(["anything"]) == []

        # The audit chain written by v1 continues unbroken.
        report = store.verify_audit()
        assert report.ok
        actions = [e["action"] for e in store.audit_entries(limit=100)]
        assert actions[0] == "unlock" and actions[-1] == "profile.create"
        assert report.entries == len(actions)

        # Writing after the upgrade works and keeps outbox and history in step.
        saved = store.put({**expected["pat-fixture-1"][3], "gender": "male"})
        assert saved.version == 3
        assert store.get_version("pat-fixture-1", 3)["gender"] == "male"
        assert store.pending_changes()[-1].base_version == 2
    finally:
        store.lock()

    # The backup taken before migrating: same key, schema 1, byte-for-byte the same content.
    backups = sorted((v1_profile / "backups").glob("records-schema1-*.db"))
    assert len(backups) == 1
    key = data_key(v1_profile)
    conn = dbmod.connect(backups[0], key)
    try:
        assert schema_version(conn) == 1
        assert dbmod.integrity_check(conn) == ["ok"]
        assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == len(expected)
        assert conn.execute("SELECT id, version FROM records ORDER BY id").fetchall() == sorted(
            (rid, e[1]) for rid, e in expected.items()
        )
    finally:
        conn.close()
    assert original_db != (v1_profile / "records.db").read_bytes()
    assert (FIXTURE / "records.db").read_bytes() == original_db  # the committed fixture is intact

    # A second open does not migrate (or back up) again.
    again = Store.unlock(v1_profile, gen.USER, gen.PASSPHRASE)
    try:
        assert again.migrated_from == CURRENT_SCHEMA
        assert again.verify_audit().ok
    finally:
        again.lock()
    assert len(list((v1_profile / "backups").iterdir())) == 1


def test_users_can_be_added_after_upgrade(v1_profile):
    """The v1 key header keeps working after the upgrade: a new user slot opens the data."""
    store = Store.unlock(v1_profile, gen.USER, gen.PASSPHRASE)
    try:
        store.add_user("fixture.nurse", "nurse passphrase v3")
    finally:
        store.lock()
    nurse = Store.unlock(v1_profile, "fixture.nurse", "nurse passphrase v3")
    try:
        assert nurse.get("Patient", "pat-fixture-2")["name"][0]["text"] == "Sample Patient Beta"
    finally:
        nurse.lock()


@pytest.mark.parametrize("start", range(2, CURRENT_SCHEMA), ids=lambda v: f"schema{v}")
def test_upgrade_from_every_later_schema(v1_profile, start):
    """Schemas after 1 have no committed fixture: made here from the schema-1 one."""
    key = data_key(v1_profile)
    conn = dbmod.connect(v1_profile / "records.db", key)
    try:
        assert migrate(conn, key, v1_profile / "backups", target=start) == 1
        assert schema_version(conn) == start
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    shutil.rmtree(v1_profile / "backups")
    expected = gen.expected_final()
    store = Store.unlock(v1_profile, gen.USER, gen.PASSPHRASE)
    try:
        assert store.migrated_from == start
        assert store.schema == CURRENT_SCHEMA
        assert store.get_meta("reindex_search") == "1"
        history = store.conn.execute("SELECT id, version FROM record_history").fetchall()
        assert sorted(history) == sorted((rid, e[1]) for rid, e in expected.items())
        assert {rid: store.version_of(rid) for rid in expected} == {
            rid: (e[1], e[2]) for rid, e in expected.items()
        }
        assert store.integrity_check() == ["ok"]
        assert store.verify_audit().ok
    finally:
        store.lock()
    assert len(list((v1_profile / "backups").glob(f"records-schema{start}-*.db"))) == 1


def test_newer_schema_is_refused_and_file_unchanged(profile, helpers):
    store = profile.store
    store.put(helpers.patient("pat-new", "新版本"))
    store.conn.execute(f"PRAGMA user_version = {CURRENT_SCHEMA + 1}")
    store.lock()
    before = helpers.snapshot(profile.path)
    assert "records.db" in before

    for attempt in (
        lambda: Store.unlock(profile.path, profile.user, profile.passphrase),
        lambda: Store.unlock_recovery(profile.path, profile.recovery),
    ):
        with pytest.raises(SchemaTooNew) as err:
            attempt()
        assert "newer version" in str(err.value)
        del err

    assert helpers.snapshot(profile.path) == before  # no backup, no write, no migration
    assert not (profile.path / "backups").exists()
    conn = dbmod.connect(profile.path / "records.db", data_key_of(profile))
    try:
        assert schema_version(conn) == CURRENT_SCHEMA + 1
        assert conn.execute(
            "SELECT count(*) FROM audit WHERE action LIKE 'unlock%'"
        ).fetchone() == (0,)
    finally:
        conn.close()


def data_key_of(profile):
    return KeyHeader.load(profile.path / "keys.json").unlock(profile.user, profile.passphrase)


def test_killed_while_backing_up_before_migration(v1_profile):
    """SIGKILL while the pre-migration backup is being written (a real child process).

    Whatever the crash leaves in backups/ under a backup's name must be a complete schema-1
    copy (or nothing): a support technician rolling back a migration will trust that name.
    The next open must then finish the migration with all data intact.
    """
    backups = v1_profile / "backups"
    code = (
        "import sys; from local_store.store import Store; "
        "Store.unlock(sys.argv[1], sys.argv[2], sys.argv[3])"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(v1_profile), gen.USER, gen.PASSPHRASE],
        env={**os.environ, "PYTHONPATH": str(HERE.parents[1])},
    )
    try:
        deadline = time.monotonic() + 30
        while child.poll() is None and time.monotonic() < deadline:
            if backups.exists() and any(backups.glob("records-schema1-*.db")):
                child.send_signal(signal.SIGKILL)
                break
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL, "the child finished before it could be killed"

    key = data_key(v1_profile)
    expected = gen.expected_final()
    conn = dbmod.connect(v1_profile / "records.db", key)
    try:
        assert schema_version(conn) == 1  # the migration itself had not started
    finally:
        conn.close()
    named = sorted(backups.glob("records-schema1-*.db"))
    assert named
    for path in named:
        conn = dbmod.connect(path, key)
        try:
            version = schema_version(conn)
            tables = sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master"))
            assert version == 1 and "records" in tables, (
                f"{path.name} is named as a pre-migration backup but is not a complete copy"
                f" (user_version {version}, tables {tables})"
            )
            assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == len(expected)
        finally:
            conn.close()

    store = Store.unlock(v1_profile, gen.USER, gen.PASSPHRASE)
    try:
        assert store.migrated_from == 1
        assert store.schema == CURRENT_SCHEMA
        assert {rid: store.version_of(rid)[0] for rid in expected} == {
            rid: e[1] for rid, e in expected.items()
        }
        assert store.integrity_check() == ["ok"]
        assert store.verify_audit().ok
    finally:
        store.lock()


def test_a_new_profile_needs_no_search_reindex(tmp_path):
    """Only a profile migrated from schema 1 lacks search terms; a new one starts complete (a
    re-index on first sign-in would be minutes at 50k patients)."""
    store, _ = Store.create(tmp_path / "new", "dr.new", "new-passphrase-1")
    try:
        assert store.get_meta("reindex_search") is None
    finally:
        store.lock()
