"""Workstation housekeeping: acknowledged outbox rows compacted (keeping what idempotency and a
restored platform need), run by the sync engine after a successful cycle against a real
central; an open conflict exported with the local value's own base version and an unresolved
tag; Bundle DELETE entries imported as synced tombstones, idempotent and all-or-nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from central import accounts
from central.app import build_app
from central.web import DB_KEY
from clinic_app.errors import ImportFailed
from clinic_app.exchange.fhir_io import SYNC_STATE_SYSTEM, export_fhir, import_file
from clinic_app.records.patient import PatientInput
from clinic_app.services import patients
from clinic_app.services.writes import save
from clinic_app.sync.client import CentralClient
from clinic_app.sync.engine import SyncEngine
from local_store.store import Store
from local_store.sync_ledger import Incoming, SyncLedger
from tests.central.conftest import make_settings

PASS = "housekeeping-pass-1"


@pytest.fixture
def store(tmp_path):
    s, _ = Store.create(tmp_path / "p", "dr.tidy", PASS)
    yield s
    s.lock()


def register(store: Store, family: str = "王", given: str = "小明") -> dict:
    res, _ = patients.register(store, PatientInput(family=family, given=given))
    return res


def edit(store: Store, rid: str, **fields: object) -> dict:
    res = store.get("Patient", rid)
    res.update(fields)
    save(store, res)
    return store.get("Patient", rid)


def sync_all(ledger: SyncLedger) -> list:
    """Acknowledge every pending change as the platform would (version = local version)."""
    sent = ledger.claim_batch(100)
    ledger.record_results([(c, c.version, 100 + c.seq) for c in sent], [])
    return sent


def outbox(store: Store) -> list[tuple[str, int, str]]:
    rows = store.conn.execute("SELECT record_id, version, state FROM outbox ORDER BY seq")
    return [(str(r), int(v), str(s)) for r, v, s in rows]


def age_outbox(store: Store, days: int) -> None:
    with store.transaction() as conn:
        for seq, created in conn.execute("SELECT seq, created_at FROM outbox").fetchall():
            old = datetime.fromisoformat(created) - timedelta(days=days)
            conn.execute(
                "UPDATE outbox SET created_at = ? WHERE seq = ?",
                (old.isoformat(timespec="milliseconds"), seq),
            )


# -- (b) outbox compaction ----------------------------------------------------------------


def test_old_done_rows_go_the_newest_of_each_record_and_open_ones_stay(store):
    ledger = SyncLedger(store)
    a, b = register(store), register(store, "李", "雷")
    edit(store, a["id"], gender="male")
    edit(store, a["id"], gender="female")
    sync_all(ledger)  # a v1..v3 and b v1 acknowledged
    age_outbox(store, 40)
    edit(store, a["id"], gender="other")  # a v4: acknowledged but recent
    sync_all(ledger)
    edit(store, b["id"], gender="male")  # b v2: still pending
    edit(store, b["id"], gender="female")
    refused = ledger.claim_batch(1)[0]
    ledger.record_rejected(refused.change_id, "refused", "invalid_resource", 422)

    # a v1, v2, v3: old and not a's newest done (v4); b v1 is old but b's newest done
    assert ledger.compact_done(30) == 3
    assert outbox(store) == [
        (b["id"], 1, "done"),  # kept: a restored platform gets b's newest synced version
        (a["id"], 4, "done"),  # recent
        (b["id"], 2, "error"),  # open states are never compacted
        (b["id"], 3, "pending"),
    ]
    assert ledger.compact_done(30) == 0  # nothing more to do
    assert any(e["action"] == "sync.compact" for e in store.audit_entries(limit=20))


def test_compaction_keeps_what_a_restored_platform_and_a_pull_need(store):
    ledger = SyncLedger(store)
    a = register(store)
    edit(store, a["id"], gender="male")
    sent = sync_all(ledger)
    age_outbox(store, 40)
    assert ledger.compact_done(30) == 1
    assert outbox(store) == [(a["id"], 2, "done")]
    # Our own first change coming back in a pull is still recognised as nothing new.
    first = sent[0]
    back = Incoming("Patient", a["id"], 1, False, first.resource, first.change_id, a["id"], None)
    assert ledger.apply_incoming([back], 5, "e") == 0
    assert store.get("Patient", a["id"])["gender"] == "male"
    # A platform restored from a backup gets the record's newest synced version again.
    assert ledger.reset_for_restored_server("new-epoch") == 1
    again = ledger.claim_batch(10)
    assert [(c.record_id, c.version, c.base_version) for c in again] == [(a["id"], 2, 1)]


@pytest.mark.asyncio
async def test_the_engine_compacts_after_a_successful_cycle(store, tmp_path):
    server = TestServer(build_app(make_settings(f"sqlite:///{tmp_path / 'central.db'}")))
    await server.start_server()
    try:
        db = server.app[DB_KEY]
        clinic = await db.write(lambda c: accounts.create_clinic(c, "Hill"), seq_lock=False)
        code, _ = await db.write(
            lambda c: accounts.create_enrollment_code(c, clinic, 1), seq_lock=False
        )
        url = str(server.make_url("")).rstrip("/")
        async with CentralClient(url) as client:
            token = (await client.enroll(code, "PC"))["token"]
        engine = SyncEngine(store, lambda: CentralClient(url, token))
        try:
            a = register(store)
            edit(store, a["id"], gender="male")
            status = await engine.sync_once()
            assert status.last_error is None and status.pending == 0
            assert [s for _r, _v, s in outbox(store)] == ["done", "done"]
            age_outbox(store, 40)
            engine._compacted_at = None  # the hourly timer: due now
            status = await engine.sync_once()
            assert status.last_error is None
            assert outbox(store) == [(a["id"], 2, "done")]
        finally:
            engine.close()
    finally:
        await server.close()


# -- (c) export during an open conflict ---------------------------------------------------


def test_an_open_conflict_exports_the_local_value_with_its_own_base(store, tmp_path):
    ledger = SyncLedger(store)
    a = register(store)
    sync_all(ledger)  # the platform has v1
    local = edit(store, a["id"], gender="male")  # local v2, based on v1
    change = ledger.claim_batch(1)[0]
    assert (change.version, change.base_version) == (2, 1)
    remote = dict(a, gender="female")  # another clinic's v2
    ledger.add_conflict(
        rtype="Patient", record_id=a["id"], fields=["gender"], base=a, local=local,
        local_deleted=False, remote_version=2, remote=remote, remote_deleted=False,
    )  # fmt: skip
    other = register(store, "李", "雷")
    sync_all(ledger)

    out = tmp_path / "export.json"
    export_fhir(store, out)
    by_id = {e["resource"]["id"]: e["resource"] for e in json.loads(out.read_text())["entry"]}
    mine = by_id[a["id"]]
    assert mine["gender"] == "male"  # the local value, unresolved
    assert mine["meta"]["versionId"] == "1"  # its own base, never the platform's "2"
    tags = [t for t in mine["meta"].get("tag", []) if t["system"] == SYNC_STATE_SYSTEM]
    assert [t["code"] for t in tags] == ["unresolved-conflict"]
    clean = by_id[other["id"]]  # a record without conflict is exported as it is
    assert clean["meta"]["versionId"] == "1" and "tag" not in clean["meta"]
    # Re-importing the export changes nothing (the tag is ours, not part of the record).
    assert import_file(store, out) == {}


def test_a_conflicting_create_exports_without_a_version(store, tmp_path):
    ledger = SyncLedger(store)
    a = register(store)  # never synced: its create meets a record the platform already has
    ledger.claim_batch(1)
    ledger.add_conflict(
        rtype="Patient", record_id=a["id"], fields=["name"], base=None, local=a,
        local_deleted=False, remote_version=3, remote=dict(a, gender="male"),
        remote_deleted=False,
    )  # fmt: skip
    out = tmp_path / "export.ndjson"
    export_fhir(store, out)
    (res,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert "versionId" not in res["meta"]
    assert res["meta"]["tag"][-1]["code"] == "unresolved-conflict"


# -- (d) Bundle DELETE entries ------------------------------------------------------------


def bundle(path: Path, *entries: dict) -> Path:
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "transaction",
                                "entry": list(entries)}))  # fmt: skip
    return path


def put_entry(res: dict) -> dict:
    return {"resource": res, "request": {"method": "PUT", "url": f"Patient/{res['id']}"}}


def delete_entry(url: str) -> dict:
    return {"request": {"method": "DELETE", "url": url}}


def test_delete_entries_become_synced_tombstones_idempotently(store, tmp_path):
    ledger = SyncLedger(store)
    gone, kept = register(store), register(store, "李", "雷")
    sync_all(ledger)
    new = PatientInput(family="赵", given="云").to_fhir()
    path = bundle(
        tmp_path / "b.json",
        put_entry(new),
        delete_entry(f"Patient/{gone['id']}"),
        delete_entry("Patient/never-here"),  # nothing to delete: no error, nothing written
    )
    assert import_file(store, path) == {"Patient": 1, "deleted Patient": 1}
    assert store.version_of(gone["id"]) == (2, True)
    assert store.version_of(kept["id"]) == (1, False)
    assert store.version_of("never-here") is None
    sent = ledger.claim_batch(10)
    assert sorted((c.op, c.record_id, c.base_version) for c in sent) == sorted(
        [("put", new["id"], None), ("delete", gone["id"], 1)]
    )
    ledger.record_results([(c, c.version, 200 + c.seq) for c in sent], [])
    # The same file again: the record is deleted already, the new one is the same: no change.
    assert import_file(store, path) == {}
    assert store.version_of(gone["id"]) == (2, True) and ledger.claim_batch(10) == []


def test_a_bad_entry_anywhere_writes_nothing(store, tmp_path):
    victim = register(store)
    new = PatientInput(family="赵", given="云").to_fhir()
    bad = dict(PatientInput(family="钱", given="多").to_fhir(), gender="nonsense")
    before = outbox(store)
    for entries, says in [
        ((delete_entry(f"Patient/{victim['id']}"), put_entry(bad)), "not valid FHIR"),
        ((put_entry(new), delete_entry("Patient?identifier=x")), "conditional delete"),
        ((put_entry(new), delete_entry("Binary/x1")), "does not keep"),
        ((put_entry(new), delete_entry("Patient/a b")), "not Type/id"),
        ((delete_entry(f"Patient/{victim['id']}"), {"request": {"method": "DELETE"}}), "url"),
        ((put_entry(new), delete_entry(f"Patient/{new['id']}")), "repeats an id"),
        ((put_entry(new), delete_entry(f"Observation/{victim['id']}")), "another type"),
    ]:
        with pytest.raises(ImportFailed) as err:
            import_file(store, bundle(tmp_path / "bad.json", *entries))
        assert says in str(err.value)
        assert "nothing was imported" in str(err.value)
        assert store.version_of(victim["id"]) == (1, False)
        assert store.version_of(new["id"]) is None
        assert outbox(store) == before


def test_a_delete_only_bundle_is_fine(store, tmp_path):
    victim = register(store)
    path = bundle(tmp_path / "d.json", delete_entry(f" Patient/{victim['id']} "))
    assert import_file(store, path) == {"deleted Patient": 1}
    assert store.version_of(victim["id"]) == (2, True)
    assert any(e["action"] == "delete" for e in store.audit_entries(limit=10))
