"""FHIR R4 export: every kind of record the services make validates with fhir.resources (R4B),
as NDJSON and as a Bundle; export -> import -> export gives the same resources."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from fhir.resources.R4B import get_fhir_model_class

from clinic_app.clinic import Clinic
from clinic_app.demo_data import generate
from clinic_app.exchange.fhir_io import export_fhir, import_file
from clinic_app.records import documents
from clinic_app.records.orders import kind_of
from clinic_app.records.patient import PatientInput
from clinic_app.services import orders, patients, schedule, visits
from clinic_app.services.writes import save

KINDS = {
    "Patient",
    "Encounter",
    "QuestionnaireResponse",
    "Observation",
    "Condition",
    "AllergyIntolerance",
    "MedicationRequest",
    "ServiceRequest",
    "Appointment",
    "CarePlan",
    "Task",
    "DocumentReference",
    "MedicationStatement",
}
# Made from the formulary for the prescriptions that name it, not stored: exported only.
REFERENCE_KINDS = {"Medication"}


@pytest.fixture(scope="module")
def full(tmp_path_factory, b):
    """A store holding one of every kind of record made through the services, plus demo data."""
    folder = tmp_path_factory.mktemp("fhir")
    store = b.new_store(folder / "profile")
    rid = b.resident_id(date(1958, 4, 12), male=True)
    pat, _ = patients.register(
        store, PatientInput("王", "小明", resident_id=rid, phone="+86 138 1234 5678")
    )
    eng, _ = patients.register(store, PatientInput("Smith", "John", gender="male"))
    pid = pat["id"]
    start = datetime.now().astimezone().replace(microsecond=0) - timedelta(days=3)
    v1 = visits.record_visit(
        store,
        patient_id=pid,
        kind="initial-visit",
        answers=dict(b.INITIAL_ANSWERS),
        vitals={
            "systolic": 162,
            "diastolic": 101,
            "heart_rate": 88,
            "temperature": (99.1, "F"),
            "spo2": 96,
            "glucose_mmol": 8.4,
            "glucose_mgdl": 150,
            "weight": (150, "lb"),
            "height": 168,
            "resp_rate": 18,
        },
        start=start,
        practitioner="李建国医生",
        reason="头晕",
    )
    v2 = visits.record_visit(
        store,
        patient_id=pid,
        kind="follow-up",
        answers=dict(b.FOLLOW_UP_ANSWERS),
        vitals={"systolic": 140, "diastolic": 90},
        start=start + timedelta(days=1),
        practitioner="李建国医生",
    )
    visits.correct_vital(store, v2.observations[0]["id"])
    orders.add_condition(store, patient_id=pid, text="原发性高血压", onset=date(2019, 1, 1))
    orders.add_allergy(
        store, patient_id=pid, substance="青霉素", reaction="皮疹", criticality="high"
    )
    coded = Clinic(store)  # ICD-10 diagnoses and problem, a no-known-allergies statement
    coded.problems.diagnose(
        patient_id=pid, encounter_id=v1.encounter["id"], codes=["I10", "E11.9"],
        recorder="李建国医生", to_problems=["I10"],
    )  # fmt: skip
    coded.allergies.no_known_allergies(patient_id=eng["id"], recorder="李建国医生")
    image = folder / "ecg.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    digest, size = store.add_attachment(image, "image/png")
    doc = documents.document(
        patient_id=pid,
        digest=digest,
        size=size,
        mime="image/png",
        title="心电图 ECG",
        created=start,
        kind="ecg",
    )
    save(store, doc)
    consult = orders.request_consult(
        store,
        patient_id=pid,
        specialty="cardiology",
        priority="urgent",
        question="血压控制不佳，请协助调整方案。",
        requester="李建国医生",
        supporting=[("Observation", v1.observations[0]["id"]), ("DocumentReference", doc["id"])],
    )
    orders.prescribe(
        store,
        patient_id=pid,
        medication="氨氯地平片 5mg",
        dosage="每日一次",
        requester="专家",
        days=30,
        based_on=consult["id"],
    )
    orders.refer(
        store,
        patient_id=pid,
        specialty="cardiology",
        priority="routine",
        reason="需住院进一步检查",
        requester="专家",
        based_on=consult["id"],
    )
    schedule.book(
        store,
        patient_id=pid,
        start=b.on_the_hour(2, 10),
        practitioner="专家门诊",
        description="远程会诊",
        based_on=consult["id"],
    )
    schedule.plan_follow_up(
        store,
        patient_id=pid,
        due=date.today() + timedelta(days=14),
        description="血压随访",
        author="李建国医生",
    )
    meds = Clinic(store).medications  # a superseded dose, one taken elsewhere, an override
    five = meds.prescribe(
        patient_id=pid,
        formulary_id="amlodipine-5",
        dosage="每日一次",
        requester="李建国医生",
        days=30,
        override_reason="已在用，换用目录药品",
    )
    ten = meds.prescribe(patient_id=pid, formulary_id="amlodipine-10", dosage="每日一次",
                         requester="李建国医生", days=30)  # fmt: skip
    meds.record_taken(patient_id=pid, recorded_by="李建国医生", formulary_id="clopidogrel-75",
                      dosage="每日一次", source="县医院")  # fmt: skip
    override = meds.prescribe(
        patient_id=pid,
        formulary_id="omeprazole-20",
        dosage="每日一次",
        requester="李建国医生",
        days=14,
        override_reason="既往消化道出血",
    )
    summary = generate(Clinic(store), 30, seed=7)
    assert summary.patients == 30
    ndjson = folder / "export.ndjson"
    bundle = folder / "export.json"
    n_nd = export_fhir(store, ndjson)
    n_bundle = export_fhir(store, bundle)
    info = {
        "store": store,
        "folder": folder,
        "pid": pid,
        "eng": eng["id"],
        "ndjson": ndjson,
        "bundle": bundle,
        "n_nd": n_nd,
        "n_bundle": n_bundle,
        "digest": digest,
        "five": five.value["id"],
        "ten": ten.value["id"],
        "override": override.value["id"],
    }
    yield info
    store.lock()


def ndjson_resources(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def without_meta(resources):
    out = {}
    for res in resources:
        res = dict(res)
        res.pop("meta", None)
        key = (res["resourceType"], res["id"])
        assert key not in out, f"duplicate {key}"
        out[key] = res
    return out


def test_export_counts_match_the_store(full):
    store = full["store"]
    total = sum(store.counts().values())
    exported = ndjson_resources(full["ndjson"])
    medications = [r for r in exported if r["resourceType"] in REFERENCE_KINDS]
    assert {r["id"] for r in medications} == {
        "amlodipine-5", "amlodipine-10", "clopidogrel-75", "omeprazole-20"}  # fmt: skip
    assert full["n_nd"] == full["n_bundle"] == total + len(medications) == len(exported)
    assert set(store.counts()) == KINDS


def test_prescriptions_keep_prior_prescription_and_medications_validate(full):
    exported = {(r["resourceType"], r["id"]): r for r in ndjson_resources(full["ndjson"])}
    ten = exported[("MedicationRequest", full["ten"])]
    assert ten["priorPrescription"] == {"reference": f"MedicationRequest/{full['five']}"}
    five = exported[("MedicationRequest", full["five"])]
    assert five["status"] == "completed"  # superseded by the 10 mg one
    override = exported[("MedicationRequest", full["override"])]
    assert "既往消化道出血" in override["note"][0]["text"]
    assert override["extension"][0]["extension"]
    statement = next(r for (t, _), r in exported.items() if t == "MedicationStatement")
    med = exported[("Medication", "clopidogrel-75")]
    codes = {c["code"] for c in statement["medicationCodeableConcept"]["coding"]}
    assert codes == {c["code"] for c in med["code"]["coding"]}
    for rtype in ("MedicationRequest", "MedicationStatement", "Medication"):
        for (t, _), res in exported.items():
            if t == rtype:
                get_fhir_model_class(rtype).model_validate(res)
    assert med["ingredient"][0]["strength"]["numerator"]["value"] == 75


def test_demo_prescriptions_carry_a_structured_dose_with_route(full):
    """The demo's prescriptions say their dose structured too (oral, once a day, one tablet)
    beside the dose as written, and validate as FHIR R4 Dosage."""
    exported = ndjson_resources(full["ndjson"])
    demo = [r for r in exported if r["resourceType"] == "MedicationRequest"
            and r["medicationCodeableConcept"].get("text") == "氨氯地平片 5mg"
            and r["requester"]["display"] != "专家"]  # fmt: skip
    assert demo
    for res in demo:
        [dosage] = res["dosageInstruction"]
        assert dosage["text"] == "每日一次，每次一片"
        oral = {"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}
        assert dosage["route"]["coding"] == [oral]
        assert dosage["timing"]["repeat"] == {"frequency": 1, "period": 1, "periodUnit": "d"}
        assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 1
        model = get_fhir_model_class("MedicationRequest").model_validate(res)
        assert model.dosageInstruction[0].route.coding[0].code == "26643006"


def test_export_of_medications_alone(full, tmp_path):
    out = tmp_path / "meds.ndjson"
    n = export_fhir(full["store"], out, ["Medication"])
    assert n == 4 and {r["resourceType"] for r in ndjson_resources(out)} == {"Medication"}


def test_every_ndjson_resource_validates_with_r4b(full):
    kinds = set()
    for res in ndjson_resources(full["ndjson"]):
        model = get_fhir_model_class(res["resourceType"]).model_validate(res)
        assert model.id == res["id"]
        kinds.add(res["resourceType"])
    assert kinds == KINDS | REFERENCE_KINDS


def test_coded_conditions_and_no_known_allergies_are_exported_and_valid(full):
    exported = ndjson_resources(full["ndjson"])
    mine = [r for r in exported if r.get("subject", r.get("patient", {})).get("reference")
            in (f"Patient/{full['pid']}", f"Patient/{full['eng']}")]  # fmt: skip
    categories = set()
    for res in mine:
        if res["resourceType"] == "Condition" and "category" in res:
            get_fhir_model_class("Condition").model_validate(res)
            categories.add(res["category"][0]["coding"][0]["code"])
            coding = res["code"]["coding"][0]
            assert coding["system"] == "http://hl7.org/fhir/sid/icd-10"
            assert coding["code"] in ("I10", "E11.9")
            if res["category"][0]["coding"][0]["code"] == "encounter-diagnosis":
                assert res["encounter"]["reference"].startswith("Encounter/")
    assert categories == {"encounter-diagnosis", "problem-list-item"}
    nka = [r for r in mine if r["resourceType"] == "AllergyIntolerance"
           and r["code"].get("coding", [{}])[0].get("code") == "716186003"]  # fmt: skip
    assert len(nka) == 1 and nka[0]["patient"]["reference"] == f"Patient/{full['eng']}"
    get_fhir_model_class("AllergyIntolerance").model_validate(nka[0])


def test_bundle_and_its_entries_validate_with_r4b(full):
    doc = json.loads(full["bundle"].read_text(encoding="utf-8"))
    assert doc["resourceType"] == "Bundle" and doc["type"] == "collection"
    bundle = get_fhir_model_class("Bundle").model_validate(doc)
    assert len(bundle.entry) == full["n_bundle"]
    for entry in doc["entry"]:
        res = entry["resource"]
        if res["resourceType"] in REFERENCE_KINDS:
            assert entry["fullUrl"].endswith(f"/Medication/{res['id']}")
        else:
            assert entry["fullUrl"] == f"urn:uuid:{res['id']}"
        get_fhir_model_class(res["resourceType"]).model_validate(res)
    assert without_meta(e["resource"] for e in doc["entry"]) == without_meta(
        ndjson_resources(full["ndjson"])
    )


def _references(node):
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def test_every_reference_resolves_inside_the_export(full):
    resources = ndjson_resources(full["ndjson"])
    present = {f"{r['resourceType']}/{r['id']}" for r in resources}
    refs = [ref for r in resources for ref in _references(r)]
    assert refs
    assert [ref for ref in refs if ref not in present] == []


def test_the_service_made_records_are_in_the_export(full):
    mine = [
        r
        for r in ndjson_resources(full["ndjson"])
        if f"Patient/{full['pid']}" in set(_references(r)) or r["id"] == full["pid"]
    ]
    kinds = {r["resourceType"] for r in mine}
    assert kinds == KINDS
    requests = [r for r in mine if r["resourceType"] == "ServiceRequest"]
    assert sorted(kind_of(r) for r in requests) == ["consult", "referral"]
    doc = next(r for r in mine if r["resourceType"] == "DocumentReference")
    assert documents.digest_of(doc) == full["digest"]
    assert full["store"].attachment_info(full["digest"])[1] == "image/png"
    corrected = [r for r in mine if r.get("status") == "entered-in-error"]
    assert len(corrected) == 1 and corrected[0]["resourceType"] == "Observation"
    task = next(r for r in mine if r["resourceType"] == "Task")
    plan = next(r for r in mine if r["resourceType"] == "CarePlan")
    assert task["basedOn"] == [{"reference": f"CarePlan/{plan['id']}"}]


def test_export_of_chosen_types_only(full, tmp_path):
    out = tmp_path / "patients.ndjson"
    n = export_fhir(full["store"], out, ["Patient"])
    resources = ndjson_resources(out)
    assert n == len(resources) == 32
    assert {r["resourceType"] for r in resources} == {"Patient"}
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize("source", ["ndjson", "bundle"])
def test_import_into_a_fresh_profile_then_export_gives_the_same_resources(
    full, b, tmp_path, source
):
    store_b = b.new_store(tmp_path / "b")
    try:
        counts = import_file(store_b, full[source])
        assert counts == full["store"].counts()
        assert store_b.counts() == full["store"].counts()
        assert store_b.pending_count() == sum(counts.values())
        out = tmp_path / "b.ndjson"  # the Medications were left out, and made again
        assert export_fhir(store_b, out) == full["n_nd"]
        assert without_meta(ndjson_resources(out)) == without_meta(ndjson_resources(full["ndjson"]))
        # Imported patients are searchable like registered ones.
        assert [p["id"] for p in patients.search(store_b, "wangxiaoming wxm")] == [full["pid"]]
        assert [p["id"] for p in patients.search(store_b, "smith")][:1] == [full["eng"]]
    finally:
        store_b.lock()


def test_a_long_first_record_survives_export_and_import(b, tmp_path):
    # Consult questions of 2000 characters (6 kB of UTF-8 per line) in an NDJSON export.
    store_a = b.new_store(tmp_path / "a")
    store_b = b.new_store(tmp_path / "b")
    try:
        pat, _ = patients.register(store_a, PatientInput("张", "伟"))
        for word in ("头痛", "胸闷"):
            orders.request_consult(
                store_a,
                patient_id=pat["id"],
                specialty="neurology",
                priority="routine",
                question=word * 1000,
                requester="Dr",
            )
        out = tmp_path / "consults.ndjson"
        assert export_fhir(store_a, out, ["ServiceRequest"]) == 2
        assert len(out.read_text(encoding="utf-8").splitlines()[0].encode()) > 4096
        assert import_file(store_b, out) == {"ServiceRequest": 2}
        assert store_b.counts() == {"ServiceRequest": 2}
    finally:
        store_a.lock()
        store_b.lock()


def test_a_bundle_written_without_indentation_imports(b, tmp_path):
    # json.dumps(bundle, indent=0): every line starts at column 0, including "{" lines.
    store_b = b.new_store(tmp_path / "b")
    try:
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"resource": {"resourceType": "Patient", "id": f"p{n}", "gender": "female"}}
                for n in range(3)
            ],
        }
        path = tmp_path / "bundle.json"
        path.write_text(json.dumps(bundle, indent=0), encoding="utf-8")
        assert import_file(store_b, path) == {"Patient": 3}
    finally:
        store_b.lock()
