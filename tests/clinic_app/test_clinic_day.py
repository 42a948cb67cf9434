"""A whole clinic day through `Clinic` alone, headless, against a real central process: create a
profile, register a patient, record a visit with vitals, ask a cardiologist with an ECG
attached, sync; the specialist (another profile) accepts, writes an opinion and a
prescription; the clinic receives them and exports FHIR. No store, no Qt: what a new engineer
writes to drive the product."""

from __future__ import annotations

import ast
import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from clinic_app import Clinic
from clinic_app.records.patient import PatientInput
from tests.support.central_proc import CentralProcess

PASSPHRASE = "clinic-day-passphrase-1"
SPECIALIST_PASSWORD = "specialist-password-1"
ANSWERS = {
    "chief_complaint": "头晕、乏力一周",
    "history_present": "一周前无明显诱因出现头晕。",
    "assessment": "高血压病",
    "plan": "调整降压药，两周后复诊。",
}


def _sync(clinic: Clinic) -> None:
    engine = clinic.sync.engine()
    try:
        status = asyncio.run(engine.sync_once())
    finally:
        engine.close()
    assert status.online and not status.last_error, status
    assert status.pending == 0 and status.errors == 0


def test_a_clinic_day(tmp_path: Path) -> None:
    central = CentralProcess(f"sqlite:///{tmp_path / 'central.db'}",
                             log_path=tmp_path / "central.log")  # fmt: skip
    central.start()
    try:
        clinic_id = central.add_clinic("山河乡卫生院")
        central.add_user("dr.heart", SPECIALIST_PASSWORD, "specialist",
                         specialties=("cardiology",))  # fmt: skip
        ecg = tmp_path / "ecg.png"
        ecg.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)

        clinic, recovery = Clinic.create(tmp_path / "clinic", "dr.li", PASSPHRASE)
        assert recovery
        with clinic:
            asyncio.run(clinic.sync.enroll(central.url, central.enrollment_code(clinic_id),
                                           "front desk"))  # fmt: skip
            made = clinic.patients.register(
                PatientInput(family="王", given="芳", gender="female", phone="13800001111")
            )
            patient = made.value
            assert made.changes.ids("Patient") == {patient["id"]}
            visit = clinic.visits.record(
                patient_id=patient["id"], kind="initial-visit", answers=ANSWERS,
                vitals={"systolic": 172, "diastolic": 104, "heart_rate": 88},
                start=datetime.now().astimezone(), practitioner="李医生",
            )  # fmt: skip
            assert {"Encounter", "QuestionnaireResponse", "Observation"} <= visit.changes.types
            doc = clinic.documents.attach_file(patient_id=patient["id"], path=ecg, title="ECG",
                                               kind="ecg")  # fmt: skip
            asked = clinic.consults.ask(
                patient_id=patient["id"], specialty="cardiology", priority="urgent",
                question="血压控制不佳，请会诊。", requester="李医生",
                supporting=[("Encounter", visit.value.encounter["id"]),
                            ("DocumentReference", doc.value["id"])],
            )  # fmt: skip
            consult_id = asked.value.request["id"]
            assert asked.changes.types == {"ServiceRequest"}
            _sync(clinic)

        desk, _ = Clinic.create(tmp_path / "desk", "dr.heart", PASSPHRASE)
        with desk:
            asyncio.run(desk.sync.login(central.url, "dr.heart", SPECIALIST_PASSWORD))
            _sync(desk)
            [item] = desk.consults.worklist(specialty="cardiology")
            assert item.consult_id == consult_id
            case = desk.consults.case(consult_id)
            shown = {(i.resource or {}).get("id") for i in case.supporting}
            assert doc.value["id"] in shown and visit.value.encounter["id"] in shown
            desk.consults.decide(consult_id=consult_id, accept=True, reason="可以", owner="张主任")
            desk.consults.write_opinion(consult_id=consult_id, author="张主任",
                                        conclusion="氨氯地平5mg每日一次，两周后复查。")  # fmt: skip
            rx = desk.orders.prescribe(patient_id=patient["id"], medication="氨氯地平 5 mg",
                                       dosage="每日一次，每次一片", requester="张主任",
                                       based_on=consult_id)  # fmt: skip
            assert rx.changes.types == {"MedicationRequest"}
            _sync(desk)

        with Clinic.open(tmp_path / "clinic", "dr.li", PASSPHRASE) as clinic:
            _sync(clinic)
            chart = clinic.patients.chart(patient["id"])
            assert [m["id"] for m in chart.of("MedicationRequest")] == [rx.value["id"]]
            assert chart.of("DiagnosticReport")
            assert clinic.consults.status(clinic.consults.get(consult_id)) == "answered"
            out = tmp_path / "all.ndjson"
            exported = clinic.profile.export_fhir(out)
            lines = [json.loads(line) for line in out.read_text().splitlines()]
            assert exported == len(lines) >= 8
            types = {r["resourceType"] for r in lines}
            assert {"Patient", "Encounter", "Observation", "ServiceRequest", "DocumentReference",
                    "DiagnosticReport", "MedicationRequest"} <= types  # fmt: skip
    finally:
        central.stop()
    assert not {"local_store", "ui"} & {
        getattr(v, "__module__", getattr(v, "__name__", "")).split(".")[0]
        for v in vars(sys.modules[__name__]).values()
    }


def test_the_day_is_written_against_clinic_alone() -> None:
    """This file imports neither the store, nor Qt, nor the UI (lazy imports included)."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "clinic_app" in imported
    assert not {m for m in imported if m.split(".")[0] in ("local_store", "ui", "PySide6")}
