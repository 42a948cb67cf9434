"""Condition, AllergyIntolerance and MedicationRequest (the e-prescription)."""

from __future__ import annotations

from datetime import date, datetime

from clinic_app.errors import ValidationError
from clinic_app.records.common import (
    SYS_ALLERGY_CLINICAL,
    SYS_CONDITION_CLINICAL,
    Resource,
    codeable,
    iso,
    new_id,
    ref,
)
from clinic_app.records.dosage import Dose


def _need(text: str, field: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(field, f"Enter the {what}.")
    return text


def condition(
    *,
    patient_id: str,
    text: str,
    code: str | None = None,
    system: str | None = None,
    onset: date | None = None,
    encounter_id: str | None = None,
    status: str = "active",
) -> Resource:
    if status not in ("active", "recurrence", "relapse", "inactive", "remission", "resolved"):
        raise ValidationError("status", "Unknown condition status.")
    res: Resource = {
        "resourceType": "Condition",
        "id": new_id(),
        "clinicalStatus": {"coding": [{"system": SYS_CONDITION_CLINICAL, "code": status}]},
        "code": codeable(system, code, _need(text, "text", "condition")),
        "subject": ref("Patient", patient_id),
        "recordedDate": date.today().isoformat(),
    }
    if onset:
        res["onsetDateTime"] = onset.isoformat()
    if encounter_id:
        res["encounter"] = ref("Encounter", encounter_id)
    return res


def allergy(
    *,
    patient_id: str,
    substance: str,
    reaction: str | None = None,
    criticality: str = "unable-to-assess",
) -> Resource:
    if criticality not in ("low", "high", "unable-to-assess"):
        raise ValidationError("criticality", "Criticality is low, high or unable to assess.")
    res: Resource = {
        "resourceType": "AllergyIntolerance",
        "id": new_id(),
        "clinicalStatus": {"coding": [{"system": SYS_ALLERGY_CLINICAL, "code": "active"}]},
        "code": {"text": _need(substance, "substance", "substance")},
        "patient": ref("Patient", patient_id),
        "criticality": criticality,
        "recordedDate": date.today().isoformat(),
    }
    if reaction:
        res["reaction"] = [{"manifestation": [{"text": reaction}]}]
    return res


def medication_request(
    *,
    patient_id: str,
    medication: str,
    dosage: str,
    requester: str,
    authored: datetime,
    quantity: float | None = None,
    unit: str | None = None,
    days: int | None = None,
    based_on: str | None = None,
    encounter_id: str | None = None,
    note: str | None = None,
    dose: Dose | None = None,
) -> Resource:
    """An e-prescription. Prescriptions are append-only: a change is a new request.
    ``dosage`` is the dose as written; ``dose`` its structured parts (route, timing, amount)."""
    if days is not None and not 1 <= days <= 365:
        raise ValidationError("days", "A prescription lasts 1 to 365 days.")
    res: Resource = {
        "resourceType": "MedicationRequest",
        "id": new_id(),
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": _need(medication, "medication", "medication")},
        "subject": ref("Patient", patient_id),
        "authoredOn": iso(authored),
        "requester": {"display": _need(requester, "requester", "prescriber")},
        "dosageInstruction": [(dose or Dose()).fhir(_need(dosage, "dosage", "dosage"))],
    }
    dispense: dict[str, object] = {}
    if quantity is not None:
        if quantity <= 0:
            raise ValidationError("quantity", "The quantity must be more than zero.")
        dispense["quantity"] = {"value": quantity} | ({"unit": unit} if unit else {})
    if days is not None:
        dispense["expectedSupplyDuration"] = {
            "value": days,
            "unit": "days",
            "system": "http://unitsofmeasure.org",
            "code": "d",
        }
    if dispense:
        res["dispenseRequest"] = dispense
    if based_on:
        res["basedOn"] = [ref("ServiceRequest", based_on)]
    if encounter_id:
        res["encounter"] = ref("Encounter", encounter_id)
    if note:
        res["note"] = [{"text": note}]
    return res
