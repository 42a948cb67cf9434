"""Poison isolation in the outbox: a refused change keeps the server's code and reason, blocks
only its own record, is superseded by a fix (sent in its place, versions kept aligned), can be
retried or discarded (back to the server's copy, or deleted here if never synced), and a change
the server failed on alone is held back with an exponential back-off."""

from __future__ import annotations

import time

import pytest

from clinic_app.clinic import Clinic
from clinic_app.records.patient import PatientInput
from clinic_app.services import patients
from clinic_app.services.writes import save
from local_store.store import Store
from local_store.sync_ledger import Rejection, SyncLedger

PASS = "poison-passphrase-1"


@pytest.fixture
def store(tmp_path):
    s, _ = Store.create(tmp_path / "p", "dr.poison", PASS)
    yield s
    s.lock()


def register(store, family="王", given="小明"):
    res, _ = patients.register(store, PatientInput(family=family, given=given))
    return res


def edit(store, rid, **fields):
    res = store.get("Patient", rid)
    res.update(fields)
    save(store, res)
    return store.get("Patient", rid)


def refuse(ledger, change_id, code="invalid_resource", status=422):
    ledger.record_results([], [(change_id, Rejection("Not a valid Patient.", code, status))])


def history(store, rid):
    rows = store.conn.execute(
        "SELECT version, deleted FROM record_history WHERE id = ? ORDER BY version", (rid,)
    ).fetchall()
    return [(int(v), bool(d)) for v, d in rows]


def test_refusal_keeps_code_status_and_reason(store):
    res = register(store)
    ledger = SyncLedger(store)
    (change,) = ledger.claim_batch(10)
    refuse(ledger, change.change_id, "invalid_id", 422)
    (entry,) = ledger.changes_in_error()
    assert (entry.code, entry.http_status, entry.reason) == ("invalid_id", 422,
                                                               "Not a valid Patient.")  # fmt: skip
    assert entry.record_id == res["id"] and entry.synced is False and entry.later == 0
    assert ledger.counts().error == 1 and ledger.counts().pending == 0


def test_a_fix_supersedes_the_refused_change_and_takes_its_version(store):
    res = register(store)
    ledger = SyncLedger(store)
    (first,) = ledger.claim_batch(10)
    ledger.record_applied(first, 1, 1)  # v1 is on the server
    edit(store, res["id"], gender="bogus")  # v2: refused
    (bad,) = ledger.claim_batch(10)
    refuse(ledger, bad.change_id)
    edit(store, res["id"], gender="male", birthDate="1970-01-01")  # v3: not yet the fix
    edit(store, res["id"], gender="female")  # v4: the fix
    assert ledger.changes_in_error()[0].later == 2
    (sent,) = ledger.claim_batch(10)
    # The newest version goes in the refused one's place: v2 based on v1, as the server expects.
    assert (sent.version, sent.base_version) == (2, 1)
    assert sent.resource["gender"] == "female" and sent.resource["birthDate"] == "1970-01-01"
    assert sent.resource["meta"]["versionId"] == "2"
    local = store.get("Patient", res["id"])
    assert local["meta"]["versionId"] == "2" and local["gender"] == "female"
    assert history(store, res["id"]) == [(1, False), (2, False)]
    assert ledger.changes_in_error() == []
    ledger.record_applied(sent, 2, 2)
    assert ledger.base_of(res["id"])[0] == 2
    # The next edit is v3 based on v2: aligned with the server again.
    edit(store, res["id"], gender="other")
    (nxt,) = ledger.claim_batch(10)
    assert (nxt.version, nxt.base_version) == (3, 2)
    states = [r[0] for r in store.conn.execute("SELECT state FROM outbox ORDER BY seq")]
    assert states == ["done", "superseded", "superseded", "done", "uploading"]
    assert "sync.supersede" in [e["action"] for e in store.audit_entries()]


def test_retry_without_a_fix_queues_the_same_change(store):
    register(store)
    ledger = SyncLedger(store)
    (change,) = ledger.claim_batch(10)
    refuse(ledger, change.change_id, "reference_not_found", 422)
    assert ledger.retry(change.change_id) is False
    (again,) = ledger.claim_batch(10)
    assert again.change_id == change.change_id and ledger.changes_in_error() == []


def test_discard_goes_back_to_the_servers_copy(tmp_path):
    clinic, _ = Clinic.create(tmp_path / "c", "dr.poison", PASS)
    try:
        store = clinic.store
        res = register(store, "李", "雷")
        ledger = SyncLedger(store)
        (first,) = ledger.claim_batch(10)
        ledger.record_applied(first, 1, 1)
        edit(store, res["id"], name=[{"use": "official", "family": "\x00", "given": ["x"]}])
        (bad,) = ledger.claim_batch(10)
        refuse(ledger, bad.change_id, "unstorable_text")
        edit(store, res["id"], gender="male")  # a later draft goes with it
        done = clinic.sync.discard(bad.change_id)
        assert (done.value.version, done.value.deleted) == (1, False)
        assert ("Patient", res["id"]) in done.changes.records
        back = store.get("Patient", res["id"])
        assert back["name"] == res["name"] and back.get("gender") == res.get("gender")
        assert "sync.discard" in [e["action"] for e in store.audit_entries()]
        assert back["meta"]["versionId"] == "1"
        assert history(store, res["id"]) == [(1, False)]
        assert [p["id"] for p in patients.search(store, "lilei")] == [res["id"]]
        assert ledger.counts().pending == 0 and ledger.changes_in_error() == []
        assert ledger.claim_batch(10) == []
        # Editing again starts from the server's version.
        edit(store, res["id"], gender="female")
        (nxt,) = ledger.claim_batch(10)
        assert (nxt.version, nxt.base_version) == (2, 1)
    finally:
        clinic.close()


def test_discard_of_a_record_never_synced_deletes_it_here(tmp_path):
    clinic, _ = Clinic.create(tmp_path / "c", "dr.poison", PASS)
    try:
        store = clinic.store
        res = register(store, "赵", "云")
        ledger = SyncLedger(store)
        (bad,) = ledger.claim_batch(10)
        refuse(ledger, bad.change_id, "invalid_id")
        items = clinic.sync.changes_in_error()
        assert [(i.patient_id, i.patient_name) for i in items] == [(res["id"], "赵云")]
        done = clinic.sync.discard(bad.change_id)
        assert done.value.version is None and done.value.deleted
        assert store.get_many("Patient", [res["id"]]) == []
        assert patients.search(store, "zhaoyun") == []
        assert ledger.claim_batch(10) == [] and store.pending_count() == 0
        with pytest.raises(Exception, match="no longer in error"):
            clinic.sync.discard(bad.change_id)
    finally:
        clinic.close()


def test_names_the_patient_of_a_refused_observation(tmp_path):
    clinic, _ = Clinic.create(tmp_path / "c", "dr.poison", PASS)
    try:
        store = clinic.store
        pat = register(store, "钱", "学森")
        subject = {"reference": f"Patient/{pat['id']}"}
        obs = {"resourceType": "Observation", "status": "final", "code": {"text": "Glucose"},
               "subject": subject}  # fmt: skip
        save(store, obs)
        ledger = SyncLedger(store)
        batch = ledger.claim_batch(10)
        ledger.record_applied(batch[0], 1, 1)
        refuse(ledger, batch[1].change_id, "reference_not_found")
        (item,) = clinic.sync.changes_in_error()
        assert (item.entry.rtype, item.patient_id, item.patient_name, item.what) == (
            "Observation", pat["id"], "钱学森", "Glucose")  # fmt: skip
    finally:
        clinic.close()


def test_a_held_change_waits_alone_and_backs_off_exponentially(store):
    a = register(store)
    b = register(store, "李", "雷")
    ledger = SyncLedger(store)
    first, second = ledger.claim_batch(10)
    held = ledger.hold([first.change_id], base=0.4, cap=100.0, jitter=0.0)
    ledger.release([second.change_id])
    assert held == [(first.change_id, 0.4)]
    edit(store, a["id"], gender="male")  # a later version of the held record waits with it
    assert [c.record_id for c in ledger.claim_batch(10)] == [b["id"]]
    assert ledger.counts().held == 1
    time.sleep(0.5)
    again = ledger.claim_batch(10)
    assert [c.version for c in again if c.record_id == a["id"]] == [1, 2]
    assert ledger.hold([again[0].change_id], base=0.4, cap=100.0, jitter=0.0)[0][1] == 0.8
    assert ledger.hold([again[0].change_id], base=0.4, cap=1.0, jitter=0.0)[0][1] == 1.0
    ledger.record_applied(again[0], 1, 5)
    row = store.conn.execute(
        "SELECT failures, retry_at FROM outbox WHERE change_id = ?", (again[0].change_id,)
    ).fetchone()
    assert tuple(row) == (0, None)
