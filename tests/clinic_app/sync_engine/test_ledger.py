"""The store's sync bookkeeping: claiming, results, pulled changes with their cursor, conflicts."""

import pytest

from clinic_app.records.patient import PatientInput, search_terms
from clinic_app.services import patients
from clinic_app.services.writes import save
from local_store.store import Store, WriteItem
from local_store.sync_ledger import Incoming, SyncLedger


@pytest.fixture
def store(tmp_path):
    s, _ = Store.create(tmp_path / "p", "dr.sync", "sync-passphrase-1")
    yield s
    s.lock()


def new_patient(store, family="王", given="小明"):
    res, saved = patients.register(store, PatientInput(family=family, given=given))
    return res, saved


def incoming(res, version, change_id=None, deleted=False):
    return Incoming(
        rtype=res["resourceType"],
        record_id=res["id"],
        version=version,
        deleted=deleted,
        resource=None if deleted else res,
        change_id=change_id,
        patient_id=res["id"] if res["resourceType"] == "Patient" else None,
        terms=search_terms(res) if res["resourceType"] == "Patient" and not deleted else None,
    )


def test_claim_marks_uploading_and_release_returns_them(store):
    new_patient(store)
    new_patient(store, "李", "雷")
    ledger = SyncLedger(store)
    batch = ledger.claim_batch(10)
    assert [c.version for c in batch] == [1, 1]
    assert all(c.resource and c.resource["resourceType"] == "Patient" for c in batch)
    assert ledger.claim_batch(10) == []
    assert ledger.counts().uploading == 2
    ledger.release([c.change_id for c in batch])
    assert ledger.counts().pending == 2


def test_a_batch_does_not_end_inside_one_write(store):
    """Records saved together (a CarePlan and its Task refer to each other) go in one push: the
    batch is finished with the rest of the last write, within the room given."""
    new_patient(store)
    store.put_many(WriteItem({"resourceType": "Basic", "code": {"text": str(n)}}) for n in range(3))
    new_patient(store, "李", "雷")
    ledger = SyncLedger(store)
    batch = ledger.claim_batch(2, room=5)
    assert [c.rtype for c in batch] == ["Patient", "Basic", "Basic", "Basic"]
    assert [c.rtype for c in ledger.claim_batch(2, room=5)] == ["Patient"]
    ledger.release([c.change_id for c in batch])
    # the write does not fit in the room: the batch ends before it, and it goes next, whole
    assert [c.rtype for c in ledger.claim_batch(2, room=1)] == ["Patient"]
    assert [c.rtype for c in ledger.claim_batch(3)] == ["Basic", "Basic", "Basic"]


def test_a_write_larger_than_a_batch_is_split_where_no_reference_crosses(store):
    """A write of more changes than a batch holds (the demo's first save, an import) is split,
    but never between a record and one it refers to further on: the central platform refuses a
    reference to a record it does not hold yet (a CarePlan and its Task refer to each other;
    split at the batch's size, both were refused)."""
    plan = {
        "resourceType": "CarePlan",
        "id": "plan-1",
        "activity": [{"reference": {"reference": "Task/task-1"}}],
    }
    task = {"resourceType": "Task", "id": "task-1", "basedOn": [{"reference": "CarePlan/plan-1"}]}
    basics = [{"resourceType": "Basic", "code": {"text": str(n)}} for n in range(6)]
    store.put_many(WriteItem(r) for r in [*basics[:3], plan, task, *basics[3:]])
    ledger = SyncLedger(store)
    first = ledger.claim_batch(4, room=1)
    assert [c.rtype for c in first] == ["Basic", "Basic", "Basic"]  # the plan waits for its task
    second = ledger.claim_batch(4, room=1)
    assert [c.rtype for c in second][:2] == ["CarePlan", "Task"]
    ledger.release([c.change_id for c in first + second])
    # nothing refers across the cut: split at the batch's size, as asked
    assert [c.rtype for c in ledger.claim_batch(2, room=1)] == ["Basic", "Basic"]


def test_later_versions_wait_behind_an_error(store):
    res, _ = new_patient(store)
    other, _ = new_patient(store, "张", "三")
    ledger = SyncLedger(store)
    first = ledger.claim_batch(1)[0]
    ledger.record_rejected(first.change_id, "refused")
    counts = ledger.counts()
    assert counts.error == 1 and counts.errors[0][2] == "refused"
    batch = ledger.claim_batch(10)
    # The rejected record waits; the other patient is not blocked.
    assert [c.record_id for c in batch] == [other["id"]]
    # A newer version of the rejected record (every put is the whole record) goes in the
    # rejected change's place: the same version (a create), not behind it forever.
    res2 = store.get("Patient", res["id"])
    res2["gender"] = "male"
    save(store, res2)
    (fixed,) = ledger.claim_batch(10)
    assert (fixed.record_id, fixed.version, fixed.base_version) == (res["id"], 1, None)
    assert fixed.resource["gender"] == "male" and ledger.counts().error == 0


def test_applied_moves_merge_base(store):
    res, _ = new_patient(store)
    ledger = SyncLedger(store)
    change = ledger.claim_batch(1)[0]
    ledger.record_applied(change, 1, 17)
    assert ledger.base_of(res["id"])[0] == 1
    assert ledger.counts().pending == 0
    assert store.pending_count() == 0


def test_incoming_written_once_with_cursor_and_terms(store):
    ledger = SyncLedger(store)
    remote = PatientInput(family="赵", given="云").to_fhir()
    assert ledger.apply_incoming([incoming(remote, 1)], 5, "epoch-1") == 1
    assert ledger.cursor() == 5 and ledger.epoch() == "epoch-1"
    assert store.get("Patient", remote["id"])["meta"]["versionId"] == "1"
    assert [p["id"] for p in patients.search(store, "zhaoyun")] == [remote["id"]]
    # Pulling the same page again changes nothing.
    assert ledger.apply_incoming([incoming(remote, 1)], 5, "epoch-1") == 0
    assert store.pending_count() == 0  # pulled records are not sent back


def test_incoming_does_not_overwrite_local_edits(store):
    res, _ = new_patient(store)
    ledger = SyncLedger(store)
    remote = dict(res, gender="male")
    assert ledger.apply_incoming([incoming(remote, 2)], 3, "e") == 0
    assert store.get("Patient", res["id"]).get("gender") != "male"


def test_own_change_coming_back_is_skipped(store):
    res, saved = new_patient(store)
    ledger = SyncLedger(store)
    change = ledger.claim_batch(1)[0]
    ledger.record_applied(change, 1, 1)
    assert ledger.apply_incoming([incoming(res, 1, change_id=saved.change_id)], 1, "e") == 0


def test_tombstone_hides_record(store):
    ledger = SyncLedger(store)
    remote = PatientInput(family="钱", given="多").to_fhir()
    ledger.apply_incoming([incoming(remote, 1)], 1, "e")
    ledger.apply_incoming([incoming(remote, 2, deleted=True)], 2, "e")
    assert store.version_of(remote["id"]) == (2, True)
    assert patients.search(store, "qian") == []


def test_restored_server_requeues_everything(store):
    new_patient(store)
    ledger = SyncLedger(store)
    change = ledger.claim_batch(1)[0]
    ledger.record_applied(change, 1, 1)
    ledger.apply_incoming([], 9, "old-epoch")
    assert ledger.reset_for_restored_server("new-epoch") == 1
    assert ledger.cursor() == 0 and ledger.epoch() == "new-epoch"
    assert [c.change_id for c in ledger.claim_batch(5)] == [change.change_id]


def test_conflict_keeps_both_until_resolved(store):
    from clinic_app.services import conflicts

    res, _ = new_patient(store)
    ledger = SyncLedger(store)
    change = ledger.claim_batch(1)[0]
    remote = dict(res, gender="female")
    local = dict(res, gender="male")
    cid = ledger.add_conflict(
        rtype="Patient", record_id=res["id"], fields=["gender"], base=res, local=local,
        local_deleted=False, remote_version=2, remote=remote, remote_deleted=False,
    )  # fmt: skip
    assert ledger.counts().conflict == 1
    assert any("gender" in line for line in conflicts.describe(store, cid))
    conflicts.resolve(store, cid, choices={"gender": "local"})
    assert ledger.open_conflicts() == []
    batch = ledger.claim_batch(5)
    assert len(batch) == 1 and batch[0].change_id != change.change_id
    assert batch[0].base_version == 2 and batch[0].version == 3
    assert batch[0].resource["gender"] == "male"


def test_a_batch_does_not_end_between_records_written_apart_that_refer_forward(store):
    """An import cuts its writes anywhere: a CarePlan ending one write and its Task starting
    the next still go in one push."""
    plan = {
        "resourceType": "CarePlan",
        "id": "plan-2",
        "activity": [{"reference": {"reference": "Task/task-2"}}],
    }
    task = {"resourceType": "Task", "id": "task-2", "basedOn": [{"reference": "CarePlan/plan-2"}]}
    store.put_many(WriteItem({"resourceType": "Basic", "code": {"text": str(n)}}) for n in range(2))
    store.put_many([WriteItem(plan)])
    store.put_many(
        [WriteItem(task), *(WriteItem({"resourceType": "Basic", "code": {"text": "x"}}),) * 2]
    )
    ledger = SyncLedger(store)
    assert [c.rtype for c in ledger.claim_batch(3, room=1)] == ["Basic", "Basic"]
    assert [c.rtype for c in ledger.claim_batch(3, room=2)] == [
        "CarePlan",
        "Task",
        "Basic",
        "Basic",
    ]
