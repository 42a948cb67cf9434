"""Shared bits of the record helpers: ids, references, naming systems, time."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

Resource = dict[str, Any]

# Naming systems. The resident ID system is our own URI until the region assigns an OID.
SYS_RESIDENT_ID = "https://fhir.clinic-workstation.cn/sid/cn-resident-id"
SYS_LOINC = "http://loinc.org"
SYS_UCUM = "http://unitsofmeasure.org"
SYS_SNOMED = "http://snomed.info/sct"
SYS_OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SYS_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
SYS_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SYS_CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
SYS_ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
SYS_SPECIALTY = "https://fhir.clinic-workstation.cn/CodeSystem/specialty"
SYS_ENCOUNTER_TYPE = "https://fhir.clinic-workstation.cn/CodeSystem/encounter-type"
QUESTIONNAIRE_BASE = "https://fhir.clinic-workstation.cn/Questionnaire"


def new_id() -> str:
    """A client-generated UUID: records made offline on different PCs never collide."""
    return str(uuid.uuid4())


def ref(rtype: str, rid: str, display: str | None = None) -> dict[str, str]:
    out = {"reference": f"{rtype}/{rid}"}
    if display:
        out["display"] = display
    return out


def ref_id(reference: dict[str, Any] | None, rtype: str) -> str | None:
    """The id out of ``{"reference": "Type/id"}`` if it points at ``rtype``."""
    if not reference:
        return None
    text = str(reference.get("reference", ""))
    prefix = f"{rtype}/"
    return text[len(prefix) :] if text.startswith(prefix) else None


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat(timespec="seconds")


def parse_date(text: str, field: str) -> date:
    from clinic_app.errors import ValidationError

    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ValidationError(field, "Enter a date as YYYY-MM-DD.") from None


def codeable(system: str | None, code: str | None, display: str) -> dict[str, Any]:
    if system and code:
        return {"coding": [{"system": system, "code": code, "display": display}], "text": display}
    return {"text": display}


def patient_of(res: dict[str, Any]) -> str | None:
    """The Patient a record belongs to (its own id for a Patient), for indexing and access."""
    if res.get("resourceType") == "Patient":
        return str(res.get("id")) if res.get("id") else None
    for key in ("subject", "patient", "for"):
        pid = ref_id(res.get(key), "Patient")
        if pid:
            return pid
    for participant in res.get("participant", []) or []:
        pid = ref_id(participant.get("actor"), "Patient")
        if pid:
            return pid
    return None
