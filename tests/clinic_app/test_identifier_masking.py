"""Resident IDs and phones masked for screens; revealing one is audited without its value."""

from __future__ import annotations

import pytest

from clinic_app.clinic import Clinic
from clinic_app.records import masking
from clinic_app.records.patient import PatientInput


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110101199003071234", "110101********1234"),
        ("11010119900307123X", "110101********123X"),
        ("110101900307123", "110101*****7123"),  # the old 15-digit form
        ("12345", "***45"),
        ("", ""),
    ],
)
def test_mask_resident_id(value, masked):
    assert masking.mask_resident_id(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("0871-6512345", "087*-***2345"),
        ("+86 138 1234 5678", "+86 1** **** 5678"),
        ("123456", "****56"),
    ],
)
def test_mask_phone(value, masked):
    assert masking.mask_phone(value) == masked


def test_masked_value_of_a_patient(b):
    rid = b.resident_id(b.on_the_hour().date().replace(year=1980), male=True)
    patient = PatientInput("王", "芳", resident_id=rid, phone="13812345678").to_fhir()
    assert masking.masked_value(patient, "resident_id") == rid[:6] + "********" + rid[-4:]
    assert masking.masked_value(patient, "phone") == "138****5678"
    assert masking.masked_value(PatientInput("李", "四").to_fhir(), "phone") == ""


def test_reveal_returns_the_value_and_audits_the_field_only(tmp_path, b):
    clinic = Clinic(b.new_store(tmp_path / "profile"))
    try:
        patient = clinic.patients.register(PatientInput("王", "芳", phone="13812345678")).value
        done = clinic.patients.reveal(patient["id"], "phone")
        assert done.value == "13812345678"
        entry = clinic.store.audit_entries(limit=1)[0]
        assert (entry["action"], entry["record_id"], entry["detail"]) == (
            "patient.reveal",
            patient["id"],
            "phone",
        )
        assert "13812345678" not in str(clinic.store.audit_entries(limit=50))
        assert clinic.store.verify_audit().ok
        with pytest.raises(ValueError):
            clinic.patients.reveal(patient["id"], "address")  # type: ignore[arg-type]
    finally:
        clinic.close()
