"""Medications, safely (issue 19): the formulary, the checks (duplicate therapy, allergy by
substance and class, interactions from the cited table), one current line per ingredient when a
new dose supersedes the old, overrides recorded with their reason, and the FHIR shape."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from fhir.resources.R4B import get_fhir_model_class

from clinic_app.clinic import Clinic
from clinic_app.clinical import medication_checks as mc
from clinic_app.clinical.medication_formulary import SYS_ATC, starter
from clinic_app.clinical.medication_list import build
from clinic_app.records import clinical
from clinic_app.records.common import SYS_SNOMED
from clinic_app.records.patient import PatientInput
from clinic_app.services import orders
from clinic_app.services.orders import MedicationWarnings
from clinic_app.services.writes import save


@pytest.fixture
def clinic(store):
    return Clinic(store)


@pytest.fixture
def pid(clinic):
    data = PatientInput(family="李", given="秀英", gender="female", birth_date=date(1956, 3, 2))
    return clinic.patients.register(data).value["id"]


def validate(res):
    get_fhir_model_class(res["resourceType"]).model_validate(res)


def test_formulary_entries_carry_atc_and_validate_as_medication():
    form = starter()
    ids = {e.id for e in form.entries}
    for wanted in (
        "amlodipine-5",
        "amlodipine-10",
        "warfarin-2.5",
        "clarithromycin-250",
        "simvastatin-20",
        "amoxicillin-500",
        "metformin-500",
        "salbutamol-inhaler",
    ):
        assert wanted in ids
    assert form.get("amlodipine-5").atc == "C08CA01"
    assert form.get("amoxicillin-500").atc == "J01CA04"
    assert "atcddd.fhi.no" in form.source["atc"]
    for entry in form.entries:
        validate(entry.medication())
    assert form.recognise("氨氯地平片 5mg").ingredient == "amlodipine"
    assert [e.id for e in form.search("华法林")] == ["warfarin-2.5"]


def test_same_ingredient_at_a_new_dose_supersedes_the_old(clinic, pid):
    old = clinic.medications.prescribe(
        patient_id=pid, formulary_id="amlodipine-5", dosage="每日一次，每次一片", requester="dr.li"
    ).value
    new = clinic.medications.prescribe(
        patient_id=pid, formulary_id="amlodipine-10", dosage="每日一次，每次一片", requester="dr.li"
    )
    assert new.changes.ids("MedicationRequest") == {old["id"], new.value["id"]}
    listed = clinic.medications.medication_list(pid)
    assert [x.rid for x in listed.current] == [new.value["id"]]
    (stopped,) = listed.stopped
    assert stopped.rid == old["id"] and stopped.resource["status"] == "completed"
    assert stopped.replaced_by == new.value["id"]
    assert new.value["priorPrescription"] == {"reference": f"MedicationRequest/{old['id']}"}
    assert listed.current[0].dose_change == "5 mg → 10 mg"
    validate(new.value)
    validate(stopped.resource)


def test_penicillin_allergy_blocks_amoxicillin_until_a_reason_is_given(clinic, store, pid):
    save(store, clinical.allergy(patient_id=pid, substance="青霉素", criticality="high"))
    findings = clinic.medications.check(patient_id=pid, formulary_id="amoxicillin-500")
    (allergy,) = [f for f in findings if f.kind == "allergy"]
    assert allergy.severity == "contraindicated" and allergy.group["en"] == "penicillins"
    before = store.counts().get("MedicationRequest", 0)
    with pytest.raises(MedicationWarnings) as refused:
        clinic.medications.prescribe(
            patient_id=pid, formulary_id="amoxicillin-500", dosage="0.5g tid", requester="dr.li"
        )
    assert refused.value.findings[0].kind == "allergy"
    assert store.counts().get("MedicationRequest", 0) == before
    done = clinic.medications.prescribe(
        patient_id=pid,
        formulary_id="amoxicillin-500",
        dosage="0.5g tid",
        requester="dr.li",
        override_reason="皮试阴性，既往耐受阿莫西林",
    )
    reason, codes = mc.overridden(done.value)
    assert reason == "皮试阴性，既往耐受阿莫西林" and codes == ["allergy:penicillins"]
    audit = [e for e in store.audit_entries(20) if e["action"] == "medication.override"]
    assert audit and audit[0]["record_id"] == done.value["id"]
    validate(done.value)


def test_allergy_found_by_snomed_code_and_cross_reactive_class():
    allergy = {
        "resourceType": "AllergyIntolerance",
        "id": "a1",
        "patient": {},
        "code": {"coding": [{"system": SYS_SNOMED, "code": "764146007"}]},
    }
    cefalexin = starter().get("cefalexin-250").drug()
    (f,) = mc.allergy_findings(cefalexin, [allergy])
    assert f.code == "allergy-cross:penicillins" and f.severity == "moderate"
    atc_allergy = {
        "resourceType": "AllergyIntolerance",
        "id": "a2",
        "code": {"coding": [{"system": SYS_ATC, "code": "J01C"}]},
    }
    assert mc.allergy_findings(starter().get("amoxicillin-500").drug(), [atc_allergy])
    resolved = dict(atc_allergy, clinicalStatus={"coding": [{"code": "resolved"}]})
    assert not mc.allergy_findings(starter().get("amoxicillin-500").drug(), [resolved])


@pytest.mark.parametrize(
    ("taking", "adding", "severity"),
    [
        ("simvastatin-20", "clarithromycin-250", "contraindicated"),
        ("warfarin-2.5", "ibuprofen-300", "major"),
        ("warfarin-2.5", "aspirin-100", "major"),
        ("methotrexate-2.5", "sulfamethoxazole-trimethoprim-480", "contraindicated"),
        ("clopidogrel-75", "omeprazole-20", "moderate"),
    ],
)
def test_listed_interactions_are_found_with_their_source(taking, adding, severity):
    form = starter()
    current = [mc.Current("MedicationRequest", "m1", form.get(taking).drug())]
    (f,) = [x for x in mc.check(form.get(adding).drug(), current, []) if x.kind == "interaction"]
    assert f.severity == severity and f.record == ("MedicationRequest", "m1")
    assert f.effect["en"] and f.effect["zh"]
    assert any(name in f.source for name in ("Phansalkar", "FDA", "Medsafe", "HL7"))
    (row,) = [r for r in mc.rules().interactions if r["effect"] == f.effect]
    assert mc.rules().sources[row["source"]]["title"] == f.source
    assert row["verified"] and row["status"] in ("verified", "partly-verified")


def test_every_interaction_row_names_where_it_was_checked():
    """Each row of the interaction table records the public source it was checked against
    (declared under "sources", with where it was read), which of its drugs that source names,
    and a status; a row not fully found in a source read says so ("partly-verified")."""
    table = mc.rules()
    assert len(table.interactions) == 12
    for row in table.interactions:
        assert row["source"] in table.sources
        assert {v["source"] for v in row["verified"]} <= set(table.sources)
        assert all(table.sources[k]["checked_against"] for k in table.sources)
        covered = {c for v in row["verified"] for c in v["covers"]}
        missing = set(row["a"] + row["b"]) - covered
        assert bool(missing) == (row["status"] == "partly-verified"), (row["a_name"], missing)
        assert all(v["where"] for v in row["verified"])
    # Neither methotrexate-trimethoprim nor potassium-potassium-sparing diuretics is on the ONC
    # high-priority list: they are cited to the sources that carry them.
    by_name = {r["a_name"]: r["source"] for r in table.interactions}
    assert by_name["methotrexate"] == "medsafe-2022"
    assert by_name["potassium supplements"] == "fda-labels"


def test_two_statins_or_two_ace_inhibitors_are_a_duplication():
    form = starter()
    current = [
        mc.Current("MedicationRequest", "s", form.get("atorvastatin-20").drug()),
        mc.Current("MedicationRequest", "e", form.get("enalapril-10").drug()),
    ]
    kinds = {
        (f.kind, f.record[1]) for f in mc.check(form.get("simvastatin-20").drug(), current, [])
    }
    assert ("class-duplicate", "s") in kinds
    kinds = {(f.kind, f.record[1]) for f in mc.check(form.get("captopril-25").drug(), current, [])}
    assert ("class-duplicate", "e") in kinds
    # Marked as replacing: no duplication, an information line instead.
    found = mc.check(form.get("simvastatin-20").drug(), current, [], replacing=["s"])
    assert [f.kind for f in found if f.record == ("MedicationRequest", "s")] == ["replaces"]


def test_a_specialists_prescription_pointing_at_the_clinics_supersedes_it(clinic, store, pid):
    mine = clinic.medications.prescribe(
        patient_id=pid, formulary_id="amlodipine-5", dosage="qd", requester="dr.li"
    ).value
    # As it arrives by sync: the clinic's record is left active, the new one points at it.
    theirs = orders.orders.prescription(
        patient_id=pid,
        concept={"text": "氨氯地平片 10mg"},
        dosage="qd",
        requester="dr.heart",
        authored=datetime.now().astimezone(),
        based_on="c1",
        prior=mine["id"],
    )
    listed = build([mine, theirs])
    assert [x.rid for x in listed.current] == [theirs["id"]]
    assert listed.current[0].dose_change.endswith("10mg")
    # Without the pointer (free text of the same ingredient), the newer still wins.
    theirs.pop("priorPrescription")
    assert [x.rid for x in build([mine, theirs]).current] == [theirs["id"]]


def test_medication_statement_and_stop_with_reason(clinic, pid):
    taken = clinic.medications.record_taken(
        patient_id=pid,
        recorded_by="dr.li",
        formulary_id="metformin-500",
        dosage="0.5g bid",
        source="县医院",
    ).value
    validate(taken)
    assert [x.rid for x in clinic.medications.medication_list(pid).current] == [taken["id"]]
    with pytest.raises(Exception, match="reason"):
        clinic.medications.stop(rtype="MedicationStatement", record_id=taken["id"], reason="")
    stopped = clinic.medications.stop(
        rtype="MedicationStatement", record_id=taken["id"], reason="胃肠道反应"
    ).value
    validate(stopped)
    (line,) = clinic.medications.medication_list(pid).stopped
    assert line.reason == "胃肠道反应" and line.ended


def test_review_flags_an_interaction_that_arrived_from_elsewhere(clinic, store, pid):
    clinic.medications.prescribe(
        patient_id=pid, formulary_id="simvastatin-20", dosage="qn", requester="dr.li"
    )
    incoming = orders.orders.prescription(
        patient_id=pid,
        concept={"text": "克拉霉素片 0.25g"},
        dosage="bid",
        requester="dr.x",
        authored=datetime.now().astimezone(),
        based_on="c1",
    )
    save(store, incoming)
    flagged = clinic.medications.review(pid)
    assert [f.kind for f in flagged[incoming["id"]]] == ["interaction"]
