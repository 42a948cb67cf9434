"""Vital signs as FHIR Observations: LOINC codes, UCUM units, reference ranges, abnormal flags;
with them HbA1c (LOINC 4548-4 in %, 59261-8 in IFCC mmol/mol), a laboratory result the visit
records the same way (an Observation of category "laboratory")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clinic_app.clinical.limits import limit
from clinic_app.errors import ValidationError
from clinic_app.records.common import (
    SYS_INTERPRETATION,
    SYS_LOINC,
    SYS_OBS_CATEGORY,
    SYS_UCUM,
    Resource,
    iso,
    new_id,
    ref,
)


@dataclass(frozen=True)
class VitalSpec:
    key: str
    loinc: str
    display: str
    ucum: str
    unit_label: str
    normal: tuple[float, float] | None  # reference range
    critical: tuple[float, float] | None = None
    decimals: int = 0

    @property
    def plausible(self) -> tuple[float, float]:
        """Outside this (both bounds included) the value is a typing error: the limits of
        :mod:`clinic_app.clinical.limits`, declared there with their source."""
        lim = limit(self.loinc, self.ucum)
        return lim.low, lim.high


VITALS: dict[str, VitalSpec] = {
    s.key: s
    for s in (
        VitalSpec("systolic", "8480-6", "Systolic blood pressure", "mm[Hg]", "mmHg",
                  (90, 139), (70, 180)),
        VitalSpec("diastolic", "8462-4", "Diastolic blood pressure", "mm[Hg]", "mmHg",
                  (60, 89), (40, 120)),
        VitalSpec("heart_rate", "8867-4", "Heart rate", "/min", "/min",
                  (60, 100), (40, 130)),
        VitalSpec("resp_rate", "9279-1", "Respiratory rate", "/min", "/min",
                  (12, 20), (8, 30)),
        VitalSpec("temperature", "8310-5", "Body temperature", "Cel", "°C",
                  (36.0, 37.3), (35.0, 40.0), 1),
        VitalSpec("spo2", "2708-6", "Oxygen saturation in Arterial blood", "%", "%",
                  (95, 100), (88, 100)),
        VitalSpec("glucose_mmol", "15074-8", "Glucose [Moles/volume] in Blood", "mmol/L",
                  "mmol/L", (3.9, 7.8), (2.8, 22.2), 1),
        VitalSpec("glucose_mgdl", "2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", "mg/dL",
                  (70, 140), (50, 400)),
        # HbA1c reference interval of adults without diabetes (4.0-6.0 %, 20-42 mmol/mol);
        # the diabetes target (< 7 %) is the register's, not a flag (clinical/registers.py).
        VitalSpec("hba1c", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", "%",
                  (4.0, 6.0), None, 1),
        VitalSpec("hba1c_ifcc", "59261-8",
                  "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol", "mmol/mol",
                  "mmol/mol", (20, 42)),
        VitalSpec("weight", "29463-7", "Body weight", "kg", "kg", None, None, 1),
        VitalSpec("height", "8302-2", "Body height", "cm", "cm", None, None, 1),
    )
}  # fmt: skip
BY_LOINC = {s.loinc: s for s in VITALS.values()}

# Laboratory results recorded with the vital signs (an Observation of category "laboratory").
LABS = frozenset({"hba1c", "hba1c_ifcc"})


def hba1c_percent(key: str, value: float) -> float:
    """An HbA1c value as an NGSP/DCCT percentage (IFCC mmol/mol converted by the master
    equation, :mod:`clinic_app.clinical.limits`)."""
    return value if key == "hba1c" else round(0.09148 * value + 2.152, 1)


# Other units a clinician may type, converted to the UCUM unit we store.
_CONVERSIONS: dict[tuple[str, str], Any] = {
    ("temperature", "°f"): lambda v: (v - 32) * 5 / 9,
    ("temperature", "f"): lambda v: (v - 32) * 5 / 9,
    ("weight", "lb"): lambda v: v * 0.45359237,
    ("weight", "g"): lambda v: v / 1000,
    ("height", "m"): lambda v: v * 100,
    ("height", "in"): lambda v: v * 2.54,
    ("systolic", "kpa"): lambda v: v * 7.50062,
    ("diastolic", "kpa"): lambda v: v * 7.50062,
    ("hba1c", "mmol/mol"): lambda v: 0.09148 * v + 2.152,
    ("hba1c_ifcc", "%"): lambda v: (v - 2.152) / 0.09148,
}


def normalize_value(key: str, value: float | str, unit: str | None = None) -> float:
    """Parse and convert a typed value to the stored unit; raise ValidationError if implausible."""
    spec = VITALS.get(key)
    if spec is None:
        raise ValidationError(key, "Unknown vital sign.")
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ValidationError(key, "Enter a number.") from None
    if unit and unit.strip().lower() not in (spec.ucum.lower(), spec.unit_label.lower()):
        convert = _CONVERSIONS.get((key, unit.strip().lower()))
        if convert is None:
            raise ValidationError(key, f"{spec.display} is entered in {spec.unit_label}.")
        number = convert(number)
    low, high = spec.plausible
    if not low <= number <= high:
        raise ValidationError(
            key, f"{spec.display} must be between {low:g} and {high:g} {spec.unit_label}."
        )
    return round(number, spec.decimals) if spec.decimals else round(number)


def interpretation(key: str, value: float) -> str | None:
    """HL7 v3 interpretation code: LL/HH critical, L/H outside the reference range, else None."""
    spec = VITALS[key]
    if spec.critical and value < spec.critical[0]:
        return "LL"
    if spec.critical and value > spec.critical[1]:
        return "HH"
    if spec.normal and value < spec.normal[0]:
        return "L"
    if spec.normal and value > spec.normal[1]:
        return "H"
    return None


_INTERP_DISPLAY = {"L": "Low", "H": "High", "LL": "Critical low", "HH": "Critical high"}


def vital_observation(
    key: str,
    value: float | str,
    *,
    patient_id: str,
    effective: datetime,
    encounter_id: str | None = None,
    unit: str | None = None,
    performer: str | None = None,
) -> Resource:
    """A final vital-signs Observation with reference range and abnormal flag."""
    spec = VITALS.get(key)
    if spec is None:
        raise ValidationError(key, "Unknown vital sign.")
    number = normalize_value(key, value, unit)
    category = (
        {"system": SYS_OBS_CATEGORY, "code": "laboratory", "display": "Laboratory"}
        if key in LABS
        else {"system": SYS_OBS_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}
    )
    obs: Resource = {
        "resourceType": "Observation",
        "id": new_id(),
        "status": "final",
        "category": [{"coding": [category]}],
        "code": {
            "coding": [{"system": SYS_LOINC, "code": spec.loinc, "display": spec.display}],
            "text": spec.display,
        },
        "subject": ref("Patient", patient_id),
        "effectiveDateTime": iso(effective),
        "valueQuantity": {
            "value": number,
            "unit": spec.unit_label,
            "system": SYS_UCUM,
            "code": spec.ucum,
        },
    }
    if encounter_id:
        obs["encounter"] = ref("Encounter", encounter_id)
    if performer:
        obs["performer"] = [{"display": performer}]
    if spec.normal:
        obs["referenceRange"] = [
            {
                "low": {"value": spec.normal[0], "unit": spec.unit_label, "system": SYS_UCUM,
                        "code": spec.ucum},
                "high": {"value": spec.normal[1], "unit": spec.unit_label, "system": SYS_UCUM,
                         "code": spec.ucum},
            }
        ]  # fmt: skip
    flag = interpretation(key, number)
    if flag:
        obs["interpretation"] = [
            {
                "coding": [
                    {"system": SYS_INTERPRETATION, "code": flag, "display": _INTERP_DISPLAY[flag]}
                ]
            }
        ]
    return obs


def vital_key(obs: Resource) -> str | None:
    for coding in (obs.get("code") or {}).get("coding", []):
        spec = BY_LOINC.get(coding.get("code", ""))
        if spec and coding.get("system") == SYS_LOINC:
            return spec.key
    return None


def flag_of(obs: Resource) -> str | None:
    for item in obs.get("interpretation") or []:
        for coding in item.get("coding", []):
            return str(coding.get("code"))
    return None


def entered_in_error(obs: Resource) -> Resource:
    """Corrections never overwrite a value: the old Observation is marked entered-in-error."""
    corrected = dict(obs)
    corrected["status"] = "entered-in-error"
    return corrected
