"""Two PCs of one clinic edit the same patient offline: disjoint fields merge, the same field
becomes a conflict that keeps both values, deletes against edits have a defined outcome."""

from __future__ import annotations

from clinic_app.records.patient import PatientInput
from clinic_app.services import conflicts, patients
from clinic_app.sync.merge import DELETED_HERE, DELETED_THERE


def edit(ws, patient_id, **changes):
    data = PatientInput.from_fhir(ws.store.get("Patient", patient_id))
    for key, value in changes.items():
        setattr(data, key, value)
    version = ws.store.version_of(patient_id)[0]
    patients.update(ws.store, data, expect_version=version)


def shared_patient(world, **kw):
    p = world.a.add_patient("张", "伟", **kw)
    world.a.sync()
    world.a2.sync()
    assert p["id"] in world.a2.ids("Patient")
    return p["id"]


def phone(ws, pid):
    return ws.store.get("Patient", pid)["telecom"][0]["value"]


def city(ws, pid):
    return ws.store.get("Patient", pid)["address"][0].get("city")


def test_disjoint_fields_merge_and_same_field_conflicts(world):
    from clinic_app.records.patient import Address

    pid = shared_patient(world, phone="13900000001", address=Address(city="昭通市"))
    world.central.stop()
    edit(world.a, pid, phone="13900000002")
    edit(world.a2, pid, address=Address(city="毕节市"))
    world.central.start()
    assert world.a.sync().conflicts == 0
    merged = world.a2.sync()
    assert merged.conflicts == 0 and merged.pending == 0
    world.a.sync()
    for ws in (world.a, world.a2):
        assert phone(ws, pid) == "13900000002" and city(ws, pid) == "毕节市"
        assert ws.store.version_of(pid) == (3, False)

    # The same field on both PCs: a conflict that keeps both values until someone chooses.
    world.central.stop()
    edit(world.a, pid, phone="13911111111")
    edit(world.a2, pid, phone="13922222222")
    world.central.start()
    world.a.sync()
    status = world.a2.sync()
    assert status.conflicts == 1
    [c] = conflicts.open_conflicts(world.a2.store)
    assert c.fields == ["telecom"]
    assert c.local["telecom"][0]["value"] == "13922222222"
    assert c.remote["telecom"][0]["value"] == "13911111111"
    assert phone(world.a2, pid) == "13922222222"  # the local edit is still shown, not lost
    text = "\n".join(conflicts.describe(world.a2.store, c.id))
    assert "13922222222" in text and "13911111111" in text

    conflicts.resolve(world.a2.store, c.id, choices={"telecom": "local"})
    assert world.a2.sync().conflicts == 0
    world.a.sync()
    assert phone(world.a, pid) == phone(world.a2, pid) == "13922222222"


def test_deleted_then_edited_and_edited_then_deleted(world):
    p1 = shared_patient(world, phone="13900000003")
    p2 = world.a.add_patient("赵", "敏", phone="13900000004")["id"]
    world.a.sync()
    world.a2.sync()
    world.central.stop()
    world.a.store.delete("Patient", p1)  # deleted here …
    edit(world.a2, p1, phone="13900000005")  # … edited there
    edit(world.a, p2, phone="13900000006")  # edited here …
    world.a2.store.delete("Patient", p2)  # … deleted there
    world.central.start()
    world.a.sync()
    status = world.a2.sync()
    assert status.conflicts == 2
    by_record = {c.record_id: c for c in conflicts.open_conflicts(world.a2.store)}
    assert by_record[p1].fields == [DELETED_THERE]
    assert by_record[p2].fields == [DELETED_HERE]
    # Until resolved, the edited version stays visible on a2 and nothing is lost.
    assert phone(world.a2, p1) == "13900000005"

    # Keep the edit (undelete) for p1; accept the other PC's edit for p2.
    conflicts.resolve(world.a2.store, by_record[p1].id, take="local")
    conflicts.resolve(world.a2.store, by_record[p2].id, take="remote")
    assert world.a2.sync().conflicts == 0
    world.a.sync()
    for ws in (world.a, world.a2):
        assert ws.store.version_of(p1)[1] is False
        assert phone(ws, p1) == "13900000005"
        assert phone(ws, p2) == "13900000006"
