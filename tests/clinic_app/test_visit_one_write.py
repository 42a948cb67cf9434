"""A visit and its diagnoses are one write: the ``also`` hook of ``record_visit`` puts the
diagnoses in the visit's transaction, so a failure writes neither."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from clinic_app.clinic import Clinic
from clinic_app.errors import ValidationError
from clinic_app.records import conditions
from clinic_app.records.patient import PatientInput
from clinic_app.services import visits

USER = "dr.test"


@pytest.fixture
def clinic(tmp_path, b):
    c = Clinic(b.new_store(tmp_path / "profile"))
    yield c
    c.close()


def _patient(clinic: Clinic) -> str:
    done = clinic.patients.register(PatientInput(family="王", given="芳", gender="female",
                                                 birth_date=date(1960, 1, 1)))  # fmt: skip
    return str(done.value["id"])


def test_hook_records_are_written_with_the_visit(clinic, b):
    pid = _patient(clinic)
    seen = []

    def also(encounter):
        seen.append(encounter["id"])
        return [conditions.diagnosis(patient_id=pid, encounter_id=encounter["id"], code="I10",
                                     recorder=USER, recorded=date.today())]  # fmt: skip

    visit = visits.record_visit(
        clinic.store, patient_id=pid, kind="initial-visit", answers=b.INITIAL_ANSWERS,
        start=datetime.now(), practitioner=USER, vitals={"heart_rate": "72"}, also=also,
    )  # fmt: skip
    assert seen == [visit.encounter["id"]]
    assert [c["id"] for c in visit.extra] == [c["id"] for c in clinic.problems.of_patient(pid)]
    assert len(visit.saved) == 3  # encounter, form answers, one vital: the visit's own saves


def test_a_failing_hook_writes_nothing(clinic, b):
    pid = _patient(clinic)
    before = clinic.store.counts()

    def also(_encounter):
        raise ValidationError("diagnoses", "refused")

    with pytest.raises(ValidationError):
        visits.record_visit(
            clinic.store, patient_id=pid, kind="initial-visit", answers=b.INITIAL_ANSWERS,
            start=datetime.now(), practitioner=USER, also=also,
        )  # fmt: skip
    assert clinic.store.counts() == before


def test_visit_and_diagnoses_are_one_transaction(clinic, b, monkeypatch):
    """The service makes exactly one store write holding the visit and its diagnoses (they
    used to be a second transaction right after the visit's)."""
    pid = _patient(clinic)
    writes: list[list[str]] = []
    real = clinic.store.put_many

    def put_many(items, *args, **kw):
        items = list(items)
        writes.append(sorted({str(i.resource["resourceType"]) for i in items}))
        return real(items, *args, **kw)

    monkeypatch.setattr(clinic.store, "put_many", put_many)
    done = clinic.problems.record_visit(
        patient_id=pid, kind="initial-visit", answers=b.INITIAL_ANSWERS, start=datetime.now(),
        practitioner=USER, vitals={"heart_rate": "72"}, diagnoses=["I10"], to_problems=["I10"],
    )  # fmt: skip
    assert writes == [["Condition", "Encounter", "Observation", "QuestionnaireResponse"]]
    visit, records = done.value
    assert len(records) == 2 and [r["id"] for r in records] == [r["id"] for r in visit.extra]
    assert {"Encounter", "Condition"} <= done.changes.types
