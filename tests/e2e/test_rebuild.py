"""Rebuilding a damaged profile from a real central process (clinic_app.recovery).

A clinic syncs, works on offline, and its database is damaged (bytes flipped in a records page
and in the record-history page holding one offline patient, found by reading the pages the way
SQLCipher writes them). The rebuild receives everything the platform holds, puts back the
changes that were never sent, lists the one that cannot be read, and the next sync pushes the
rest, with nothing applied twice on the platform.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from clinic_app.recovery import rebuild
from clinic_app.sync.account import SyncAccount
from clinic_app.sync.client import CentralClient, SyncError
from clinic_app.sync.engine import SyncEngine
from local_store import db as dbmod
from local_store.errors import ProfileExists
from local_store.store import Store
from tests.e2e.workstation import PASSPHRASE, Workstation
from tests.local_store.test_salvage import PAGE, btree, flip, snapshot
from tests.support.central_proc import CentralProcess


@pytest.fixture
def central(tmp_path):
    proc = CentralProcess(f"sqlite:///{tmp_path / 'central.db'}",
                          log_path=tmp_path / "central.log")  # fmt: skip
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def damage_around(profile: Path, user: str, record_id: str) -> tuple[set[str], set[tuple]]:
    """Flip a byte in the records page and the history page holding ``record_id``; returns the
    ids on that records page and the (id, version) keys on that history page."""
    key = Store.load_header(profile).unlock(user, PASSPHRASE)
    conn = dbmod.connect(profile / "records.db", key, readonly=True)
    try:
        roots = dict(conn.execute("SELECT name, rootpage FROM sqlite_master").fetchall())
        by_rowid = dict(conn.execute("SELECT rowid, id FROM records").fetchall())
        versions = {  # record_history is a rowid table (schema 7): its leaves hold rowids
            r[0]: (r[1], r[2])
            for r in conn.execute("SELECT rowid, id, version FROM record_history").fetchall()
        }
    finally:
        conn.close()
    raw = (profile / "records.db").read_bytes()
    rowid = next(r for r, rid in by_rowid.items() if rid == record_id)
    rec_pages = btree(raw, key, roots["records"])
    page_r = next(p for p, (kind, keys) in rec_pages.items() if kind == "table-leaf"
                  and rowid in keys)  # fmt: skip
    hist_pages = {  # page -> (kind, the (id, version) of the history rows on it)
        pgno: (kind, [versions[k] for k in keys] if kind == "table-leaf" else [])
        for pgno, (kind, keys) in btree(raw, key, roots["record_history"]).items()
    }
    page_h = next(p for p, (_kind, keys) in hist_pages.items()
                  if any(k[0] == record_id for k in keys))  # fmt: skip
    for pgno in (page_r, page_h):
        flip(profile / "records.db", (pgno - 1) * PAGE + 1500)
    return {by_rowid[r] for r in rec_pages[page_r][1]}, set(hist_pages[page_h][1])


def sync(store: Store) -> object:
    account = SyncAccount.require(store)
    engine = SyncEngine(store, lambda: CentralClient(account.server, account.token, timeout=20))
    try:
        return asyncio.run(engine.sync_once())
    finally:
        engine.close()


def test_rebuild_pulls_everything_and_pushes_what_was_never_sent(tmp_path, central):
    clinic = central.add_clinic("Hill Clinic")
    ws = Workstation(tmp_path, "a")
    ws.enroll(central.url, central.enrollment_code(clinic))
    synced = [ws.add_patient("张", f"同步{i}")["id"] for i in range(40)]
    assert ws.sync_until_quiet().pending == 0
    # A change central applied whose answer never arrived: still waiting here.
    first = ws.store.get("Patient", synced[0])
    first["gender"] = "female"
    acked_lost = ws.store.put(first, patient_id=synced[0])
    assert ws.sync().pending == 0
    ws.store.set_change_state([acked_lost.change_id], "pending")
    # Offline work: new patients and an edit of a synced one.
    offline = [ws.add_patient("李", f"离线{i}")["id"] for i in range(8)]
    second = ws.store.get("Patient", synced[1])
    second["gender"] = "male"
    ws.store.put(second, patient_id=synced[1])
    ws.close()

    source = tmp_path / "a"
    on_page, hist_keys = damage_around(source, "dr.a", offline[3])
    unreadable = {rid for rid in on_page if rid in offline and any(k[0] == rid for k in hist_keys)}
    assert offline[3] in unreadable
    before = snapshot(source)

    out = tmp_path / "rebuilt"
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("x")
    with pytest.raises(ProfileExists):  # bad input: nothing made, nothing changed
        asyncio.run(rebuild(source, busy, "dr.a", PASSPHRASE, server=central.url))
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    with pytest.raises(SyncError, match="enrollment code"):  # the new profile is removed again
        asyncio.run(rebuild(source, out, "dr.a", PASSPHRASE, server=central.url, code="NOPE-1"))
    assert not out.exists()

    code = central.enrollment_code(clinic)
    report = asyncio.run(rebuild(source, out, "dr.a", PASSPHRASE, server=central.url, code=code))
    assert snapshot(source) == before
    assert report.already_on_central == 1
    assert {lost.record_id for lost in report.unsent_lost} == unreadable
    assert report.requeued == len(offline) - len(unreadable) + 1
    assert report.received["Patient"] == len(synced) + report.requeued - 1
    text = "\n".join(report.lines())
    assert "could not be read: Patient/" in text

    store = Store.unlock(out, "dr.a", PASSPHRASE)
    try:
        assert store.integrity_check() == ["ok"] and store.verify_audit().ok
        here = {r["id"] for r in store.find("Patient")}
        assert set(synced) <= here  # synced records on the damaged page came back from central
        assert here == set(synced) | (set(offline) - unreadable)
        assert store.pending_count() == report.requeued
        status = sync(store)
        assert status.pending == 0 and status.errors == 0 and status.pushed == report.requeued
        assert store.get("Patient", synced[1])["gender"] == "male"
    finally:
        store.lock()

    # What the platform holds, seen by another PC of the clinic: each change applied once.
    other = Workstation(tmp_path, "other")
    other.enroll(central.url, central.enrollment_code(clinic))
    try:
        assert other.sync().errors == 0
        there = {r["id"]: r for r in other.store.find("Patient")}
        assert set(there) == set(synced) | (set(offline) - unreadable)
        assert there[synced[0]]["meta"]["versionId"] == "2"  # not applied a second time
        assert there[synced[0]]["gender"] == "female"
        assert there[synced[1]]["meta"]["versionId"] == "2"
        for rid in set(offline) - unreadable:
            assert there[rid]["meta"]["versionId"] == "1"
        assert json.dumps(there[synced[1]], ensure_ascii=False)
    finally:
        other.close()
