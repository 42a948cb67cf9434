"""The record of a call: a valid FHIR R4 Encounter (class VR, based on the consult) written
through the store's normal path, so it waits in the outbox to sync."""

from __future__ import annotations

import time

from central.validation import resource_problem
from clinic_app.clinic import Clinic
from clinic_app.records.patient import PatientInput
from clinic_app.services import orders, patients
from local_store.store import Store
from media.call_records import QUALITY_URL, save_call
from media.session import CallStats, CallSummary


def test_a_finished_call_is_saved_as_a_virtual_encounter(tmp_path):
    store, _ = Store.create(tmp_path / "p", "dr.a", "records-passphrase-1")
    patient, _ = patients.register(store, PatientInput(family="王", given="芳"))
    consult = orders.request_consult(
        store, patient_id=patient["id"], specialty="cardiology", priority="routine",
        question="Chest pain on exertion.", requester="dr.a",
    )  # fmt: skip
    t0 = time.time() - 600
    summary = CallSummary(consult["id"], "call-1", "clinic", joined_at=t0, connected_at=t0 + 2,
                          ended_at=t0 + 302, sides_seen={"clinic", "specialist"})  # fmt: skip
    summary.samples = [CallStats(t0 + i, 900.0, 1100.0, 3.0, 0.5 * i, 30.0, 30 * i)
                       for i in range(1, 5)]  # fmt: skip
    done = save_call(Clinic(store), consult["id"], summary,
                     participants=[("clinic", "dr.a"), ("specialist", "dr.heart")])  # fmt: skip
    res = done.value
    assert done.changes.ids("Encounter") == {res["id"]}
    assert resource_problem("Encounter", res) is None  # valid FHIR R4 (and our bindings)
    assert res["class"]["code"] == "VR" and res["status"] == "finished"
    assert res["basedOn"] == [{"reference": f"ServiceRequest/{consult['id']}"}]
    assert res["subject"] == {"reference": f"Patient/{patient['id']}"}
    assert res["length"]["value"] == 5.0
    (quality,) = [e for e in res["extension"] if e["url"] == QUALITY_URL]
    values = {e["url"]: e["valueDecimal"] for e in quality["extension"]}
    assert values["fps_in_avg"] == 30.0 and values["loss_pct_max"] == 2.0
    assert [p["individual"]["display"] for p in res["participant"]] == ["dr.a", "dr.heart"]
    assert store.get("Encounter", res["id"])["id"] == res["id"]
    assert any(c.record_id == res["id"] for c in store.pending_changes())
    store.lock()
