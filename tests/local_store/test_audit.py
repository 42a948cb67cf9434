"""Audit log: the hash chain detects altered, deleted, truncated and reordered entries."""

from __future__ import annotations

import pytest

from local_store.store import Store, WriteItem


@pytest.fixture
def audited(profile, helpers):
    """A store with a dozen audit entries: creation, writes, chart reads, a delete."""
    store = profile.store
    for i in range(4):
        store.put(helpers.patient(f"pat-{i}", f"患者{i}"), patient_id=f"pat-{i}")
    for i in range(4):
        store.audit("chart.open", "Patient", f"pat-{i}", detail="from search")
    store.put(helpers.patient("pat-0", "患者0 改"), patient_id="pat-0")
    store.delete("Patient", "pat-3")
    report = store.verify_audit()
    assert report.ok and report.entries == count(store) == 11
    return profile


def count(store):
    return store.conn.execute("SELECT count(*) FROM audit").fetchone()[0]


def test_untouched_log_verifies_and_survives_reopening(audited):
    entries = audited.store.audit_entries(limit=100)
    assert [e["seq"] for e in entries] == list(range(11, 0, -1))
    assert entries[-1]["action"] == "profile.create"
    assert {e["actor"] for e in entries} == {audited.user}
    assert [e["action"] for e in entries[:2]] == ["delete", "update"]
    store = audited.reopen()
    report = store.verify_audit()
    assert report.ok and report.entries == 12  # + the unlock itself


def test_altered_detail(audited):
    conn = audited.store.conn
    conn.execute("UPDATE audit SET detail = 'from the ward' WHERE seq = 7")
    report = audited.store.verify_audit()
    assert not report.ok
    assert report.first_bad_seq == 7
    assert report.reason == "an entry was altered"


@pytest.mark.parametrize("column", ["ts", "actor", "action", "rtype", "record_id"])
def test_altered_other_fields(audited, column):
    audited.store.conn.execute(f"UPDATE audit SET {column} = {column} || 'x' WHERE seq = 4")
    report = audited.store.verify_audit()
    assert not report.ok and report.first_bad_seq == 4 and report.reason


def test_deleted_middle_entry(audited):
    audited.store.conn.execute("DELETE FROM audit WHERE seq = 5")
    report = audited.store.verify_audit()
    assert not report.ok
    assert report.first_bad_seq == 5
    assert report.reason == "an entry is missing"


def test_deleted_middle_entry_and_renumbered(audited):
    conn = audited.store.conn
    conn.execute("DELETE FROM audit WHERE seq = 5")
    conn.execute("UPDATE audit SET seq = seq - 1 WHERE seq > 5")
    report = audited.store.verify_audit()
    assert not report.ok
    assert report.first_bad_seq == 5
    assert report.reason


def test_deleted_last_entry(audited):
    audited.store.conn.execute("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")
    report = audited.store.verify_audit()
    assert not report.ok
    assert report.reason == "entries were removed from the end"


def test_all_entries_deleted(audited):
    audited.store.conn.execute("DELETE FROM audit")
    report = audited.store.verify_audit()
    assert not report.ok and report.reason


def test_reordered_entries(audited):
    conn = audited.store.conn
    with audited.store.transaction():
        conn.execute("UPDATE audit SET seq = -1 WHERE seq = 6")
        conn.execute("UPDATE audit SET seq = 6 WHERE seq = 7")
        conn.execute("UPDATE audit SET seq = 7 WHERE seq = -1")
    report = audited.store.verify_audit()
    assert not report.ok
    assert report.first_bad_seq == 6
    assert report.reason


def test_entry_copied_over_another(audited):
    conn = audited.store.conn
    cols = "ts, actor, action, rtype, record_id, detail, prev_hash, hash"
    conn.execute(
        f"UPDATE audit SET ({cols}) = (SELECT {cols} FROM audit WHERE seq = 8) WHERE seq = 9"
    )
    report = audited.store.verify_audit()
    assert not report.ok and report.first_bad_seq == 9


def test_tampering_persists_and_is_seen_after_reopening(audited):
    audited.store.conn.execute("UPDATE audit SET actor = 'someone.else' WHERE seq = 3")
    audited.store.lock()
    store = Store.unlock(audited.path, audited.user, audited.passphrase)
    try:
        report = store.verify_audit()
        assert not report.ok and report.first_bad_seq == 3
    finally:
        store.lock()


def test_every_change_writes_an_audit_entry(profile, helpers):
    store = profile.store
    before = count(store)
    saved = store.put_many([WriteItem(helpers.patient(f"p{i}", f"name {i}")) for i in range(5)])
    store.delete("Patient", saved[0].record_id)
    rows = store.conn.execute(
        "SELECT action, record_id, detail FROM audit WHERE seq > ? ORDER BY seq", (before,)
    ).fetchall()
    assert rows == [("create", f"p{i}", "v1") for i in range(5)] + [("delete", "p0", "v2")]
    assert store.verify_audit().ok
