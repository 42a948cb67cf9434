"""Vital signs: LOINC codes and UCUM units, abnormal flags, unit conversion, visits, corrections."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from clinic_app.errors import ValidationError
from clinic_app.records.common import SYS_LOINC, SYS_UCUM
from clinic_app.records.patient import PatientInput
from clinic_app.records.vitals import (
    LABS,
    VITALS,
    flag_of,
    hba1c_percent,
    interpretation,
    normalize_value,
    vital_key,
    vital_observation,
)
from clinic_app.services import patients, visits

# What DESIGN.md lists: key -> (LOINC, UCUM).
DESIGN_CODES = {
    "systolic": ("8480-6", "mm[Hg]"),
    "diastolic": ("8462-4", "mm[Hg]"),
    "heart_rate": ("8867-4", "/min"),
    "temperature": ("8310-5", "Cel"),
    "spo2": ("2708-6", "%"),
    "glucose_mgdl": ("2339-0", "mg/dL"),
    "glucose_mmol": ("15074-8", "mmol/L"),
    "weight": ("29463-7", "kg"),
    "height": ("8302-2", "cm"),
}
WHEN = datetime(2025, 3, 4, 9, 30).astimezone()


def test_design_vitals_have_their_loinc_code_and_ucum_unit():
    for key, (loinc, ucum) in DESIGN_CODES.items():
        assert key in VITALS, key
        assert (VITALS[key].loinc, VITALS[key].ucum) == (loinc, ucum), key


@pytest.mark.parametrize("key", sorted(VITALS))
def test_every_vital_observation_is_coded(key):
    spec = VITALS[key]
    value = (spec.plausible[0] + spec.plausible[1]) / 2
    obs = vital_observation(key, value, patient_id="p1", effective=WHEN)
    assert obs["status"] == "final"
    # HbA1c is a laboratory result recorded with the vitals, the rest are vital signs
    category = "laboratory" if key in LABS else "vital-signs"
    assert obs["category"][0]["coding"][0]["code"] == category
    assert obs["code"]["coding"] == [
        {"system": SYS_LOINC, "code": spec.loinc, "display": spec.display}
    ]
    vq = obs["valueQuantity"]
    assert vq["system"] == SYS_UCUM and vq["code"] == spec.ucum
    assert obs["subject"] == {"reference": "Patient/p1"}
    assert vital_key(obs) == key
    if spec.normal:
        rr = obs["referenceRange"][0]
        assert (rr["low"]["value"], rr["high"]["value"]) == spec.normal
        assert rr["low"]["code"] == spec.ucum


@pytest.mark.parametrize(
    ("key", "value", "flag"),
    [
        ("systolic", 90, None),
        ("systolic", 139, None),
        ("systolic", 140, "H"),
        ("systolic", 180, "H"),
        ("systolic", 181, "HH"),
        ("systolic", 89, "L"),
        ("systolic", 70, "L"),
        ("systolic", 69, "LL"),
        ("diastolic", 60, None),
        ("diastolic", 89, None),
        ("diastolic", 90, "H"),
        ("diastolic", 120, "H"),
        ("diastolic", 121, "HH"),
        ("diastolic", 59, "L"),
        ("diastolic", 39, "LL"),
        ("heart_rate", 60, None),
        ("heart_rate", 100, None),
        ("heart_rate", 101, "H"),
        ("heart_rate", 131, "HH"),
        ("heart_rate", 59, "L"),
        ("heart_rate", 39, "LL"),
        ("temperature", 36.0, None),
        ("temperature", 37.3, None),
        ("temperature", 37.4, "H"),
        ("temperature", 40.0, "H"),
        ("temperature", 40.1, "HH"),
        ("temperature", 35.9, "L"),
        ("temperature", 35.0, "L"),
        ("temperature", 34.9, "LL"),
        ("spo2", 100, None),
        ("spo2", 95, None),
        ("spo2", 94, "L"),
        ("spo2", 88, "L"),
        ("spo2", 87, "LL"),
        ("glucose_mmol", 3.9, None),
        ("glucose_mmol", 7.8, None),
        ("glucose_mmol", 7.9, "H"),
        ("glucose_mmol", 22.3, "HH"),
        ("glucose_mmol", 3.8, "L"),
        ("glucose_mmol", 2.7, "LL"),
        ("glucose_mgdl", 140, None),
        ("glucose_mgdl", 141, "H"),
        ("glucose_mgdl", 401, "HH"),
        ("glucose_mgdl", 49, "LL"),
        ("weight", 0.5, None),
        ("weight", 350, None),
        ("height", 30, None),
    ],
)
def test_flags_at_the_boundaries(key, value, flag):
    assert interpretation(key, value) == flag
    obs = vital_observation(key, value, patient_id="p1", effective=WHEN)
    assert flag_of(obs) == flag
    if flag is None:
        assert "interpretation" not in obs
    else:
        coding = obs["interpretation"][0]["coding"][0]
        assert coding["system"].endswith("v3-ObservationInterpretation")


@pytest.mark.parametrize(
    ("key", "value", "unit", "expected"),
    [
        ("temperature", 98.6, "°F", 37.0),
        ("temperature", "100.4", "F", 38.0),
        ("temperature", 37.2, "Cel", 37.2),
        ("temperature", 37.2, "°C", 37.2),
        ("weight", 154, "lb", 69.9),
        ("weight", 3250, "g", 3.2),
        ("weight", "70,26", "kg", 70.3),
        ("height", 1.72, "m", 172.0),
        ("height", 70, "in", 177.8),
        ("systolic", 16, "kPa", 120),
        ("systolic", 120, "mmHg", 120),
        ("systolic", 120, "mm[Hg]", 120),
    ],
)
def test_unit_conversion_to_the_stored_ucum_unit(key, value, unit, expected):
    assert normalize_value(key, value, unit) == pytest.approx(expected)
    obs = vital_observation(key, value, unit=unit, patient_id="p1", effective=WHEN)
    assert obs["valueQuantity"]["value"] == pytest.approx(expected)
    assert obs["valueQuantity"]["code"] == VITALS[key].ucum


@pytest.mark.parametrize(
    ("key", "value", "unit"),
    [
        ("systolic", 400, None),
        ("systolic", 39, None),
        ("temperature", 50, None),
        ("temperature", 120, "°F"),
        ("spo2", 101, None),
        ("heart_rate", 0, None),
        ("weight", -1, None),
        ("weight", 900, "lb"),
        ("height", 5, None),
        ("systolic", "abc", None),
        ("systolic", "", None),
        ("temperature", "nan", None),
        ("temperature", "inf", None),
        ("temperature", 37, "K"),
        ("weight", 70, "stone"),
        ("systolic", 120, "cmH2O"),
        ("heart_rate", 70, "kg"),
    ],
)
def test_implausible_values_and_unknown_units_are_rejected(key, value, unit):
    with pytest.raises(ValidationError) as err:
        vital_observation(key, value, unit=unit, patient_id="p1", effective=WHEN)
    assert err.value.field == key


def test_unknown_vital_is_rejected():
    with pytest.raises(ValidationError):
        vital_observation("blood_colour", 1, patient_id="p1", effective=WHEN)


# --------------------------------------------------------------------------- services --
@pytest.fixture
def patient(store):
    res, _ = patients.register(store, PatientInput("王", "小明", gender="male"))
    return res["id"]


def test_record_visit_saves_encounter_form_and_vitals_together(store, patient, b):
    visit = visits.record_visit(
        store,
        patient_id=patient,
        kind="initial-visit",
        answers=dict(b.INITIAL_ANSWERS),
        vitals={"systolic": 150, "diastolic": "95", "temperature": (100.4, "°F"), "weight": ""},
        start=WHEN,
        practitioner="李建国医生",
    )
    assert len(visit.saved) == 2 + 3  # blank weight skipped
    assert store.counts() == {
        "Encounter": 1,
        "Observation": 3,
        "Patient": 1,
        "QuestionnaireResponse": 1,
    }
    by_key = {vital_key(o): o for o in visit.observations}
    assert by_key["temperature"]["valueQuantity"]["value"] == 38.0
    assert flag_of(by_key["systolic"]) == "H"
    for obs in visit.observations:
        assert obs["encounter"] == {"reference": f"Encounter/{visit.encounter['id']}"}
    assert visit.response["encounter"]["reference"] == f"Encounter/{visit.encounter['id']}"


@pytest.mark.parametrize(("sbp", "dbp"), [(90, 90), (80, 95), ((12, "kPa"), 95)])
def test_diastolic_not_below_systolic_is_refused_and_nothing_saved(
    store, patient, b, sbp, dbp, snapshot
):
    before = snapshot(store)
    with pytest.raises(ValidationError) as err:
        visits.record_visit(
            store,
            patient_id=patient,
            kind="initial-visit",
            answers=dict(b.INITIAL_ANSWERS),
            vitals={"systolic": sbp, "diastolic": dbp, "heart_rate": 80},
            start=WHEN,
            practitioner="Dr",
        )
    assert err.value.field == "diastolic"
    assert snapshot(store) == before
    assert store.find("Encounter") == []


def test_bad_vital_in_a_visit_saves_nothing(store, patient, b, snapshot):
    before = snapshot(store)
    with pytest.raises(ValidationError) as err:
        visits.record_visit(
            store,
            patient_id=patient,
            kind="initial-visit",
            answers=dict(b.INITIAL_ANSWERS),
            vitals={"systolic": 120, "diastolic": 80, "spo2": 130},
            start=WHEN,
            practitioner="Dr",
        )
    assert err.value.field == "spo2"
    assert snapshot(store) == before


def test_correct_vital_marks_entered_in_error_and_series_excludes_it(store, patient, b):
    first = visits.record_visit(
        store,
        patient_id=patient,
        kind="initial-visit",
        answers=dict(b.INITIAL_ANSWERS),
        vitals={"systolic": 132, "diastolic": 84},
        start=WHEN,
        practitioner="Dr",
    )
    typo = visits.add_vitals(
        store, patient_id=patient, vitals={"systolic": 231}, effective=WHEN + timedelta(days=7)
    )
    later = visits.add_vitals(
        store, patient_id=patient, vitals={"systolic": 128}, effective=WHEN + timedelta(days=14)
    )
    series = visits.vitals_series(store, patient, "systolic")
    assert [o["valueQuantity"]["value"] for o in series] == [132, 231, 128]
    pending = store.pending_count()

    saved = visits.correct_vital(store, typo[0]["id"])
    assert saved.version == 2
    assert store.pending_count() == pending + 1
    kept = store.get("Observation", typo[0]["id"])
    assert kept["status"] == "entered-in-error"
    assert kept["valueQuantity"]["value"] == 231, "a correction never overwrites the value"
    series = visits.vitals_series(store, patient, "systolic")
    assert [o["id"] for o in series] == [
        next(o["id"] for o in first.observations if vital_key(o) == "systolic"),
        later[0]["id"],
    ]
    chart = patients.open_chart(store, patient)
    assert [o["valueQuantity"]["value"] for o in chart.vitals("systolic")] == [132, 128]
    assert len(chart.vitals("diastolic")) == 1


def test_vitals_series_of_unknown_vital_is_refused(store, patient):
    with pytest.raises(ValidationError):
        visits.vitals_series(store, patient, "blood_colour")


def test_hba1c_limits_flags_and_units():
    """HbA1c: 3-20 % (9-195 mmol/mol IFCC) declared once in limits.py with its source; both
    bounds taken; above the 4.0-6.0 % reference interval flagged H; IFCC typed as % converts."""
    from clinic_app.clinical.limits import limit

    lim = limit("4548-4", "%")
    assert (lim.low, lim.high) == (3, 20) and "Hoelzel" in lim.source
    assert (limit("59261-8", "mmol/mol").low, limit("59261-8", "mmol/mol").high) == (9, 195)
    assert normalize_value("hba1c", "3") == 3.0 and normalize_value("hba1c", "20,0") == 20.0
    for bad in ("2.9", "20.1", "53"):
        with pytest.raises(ValidationError, match="between 3 and 20 %"):
            normalize_value("hba1c", bad)
    assert normalize_value("hba1c", 53, "mmol/mol") == 7.0  # IFCC 53 mmol/mol = 7.0 %
    assert normalize_value("hba1c_ifcc", 7.0, "%") == 53
    obs = vital_observation("hba1c", 7.8, patient_id="p1", effective=WHEN)
    assert flag_of(obs) == "H" and interpretation("hba1c", 5.6) is None
    assert obs["code"]["coding"][0]["code"] == "4548-4"
    assert obs["valueQuantity"]["code"] == "%"
    ifcc = vital_observation("hba1c_ifcc", 62, patient_id="p1", effective=WHEN)
    assert vital_key(ifcc) == "hba1c_ifcc" and flag_of(ifcc) == "H"
    assert hba1c_percent("hba1c_ifcc", 62) == 7.8 and hba1c_percent("hba1c", 6.4) == 6.4
