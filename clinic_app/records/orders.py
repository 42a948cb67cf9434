"""ServiceRequest: a consult request to a specialist, and a referral to a hospital; the
medication records: e-prescriptions (MedicationRequest, with the one each replaces), stopping
one, and MedicationStatements for medicines taken from elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from clinic_app.errors import ValidationError
from clinic_app.records import clinical
from clinic_app.records.common import SYS_SNOMED, SYS_SPECIALTY, Resource, iso, new_id, ref
from clinic_app.records.dosage import Dose

SPECIALTIES = {
    "cardiology": "Cardiology",
    "endocrinology": "Endocrinology",
    "dermatology": "Dermatology",
    "neurology": "Neurology",
    "pediatrics": "Pediatrics",
    "radiology": "Radiology",
    "respiratory": "Respiratory medicine",
    "obstetrics": "Obstetrics and gynaecology",
    "general": "General medicine",
}
PRIORITIES = ("routine", "urgent", "asap", "stat")
CONSULT = ("11429006", "Consultation")
REFERRAL = ("3457005", "Patient referral")


def _request(
    kind: tuple[str, str],
    *,
    patient_id: str,
    specialty: str,
    priority: str,
    reason: str,
    requester: str,
    authored: datetime,
    supporting: Sequence[tuple[str, str]],
    status: str,
) -> Resource:
    if specialty not in SPECIALTIES:
        raise ValidationError("specialty", "Choose a specialty from the list.")
    if priority not in PRIORITIES:
        raise ValidationError("priority", "Urgency is routine, urgent, asap or stat.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("reason", "Write the question for the specialist.")
    if len(reason) > 4000:
        raise ValidationError("reason", "The question is too long (4000 characters at most).")
    if status not in ("draft", "active"):
        raise ValidationError("status", "A new request is a draft or active.")
    code, display = kind
    return {
        "resourceType": "ServiceRequest",
        "id": new_id(),
        "status": status,
        "intent": "order",
        "priority": priority,
        "category": [{"coding": [{"system": SYS_SNOMED, "code": code, "display": display}]}],
        "code": {"text": display},
        "subject": ref("Patient", patient_id),
        "authoredOn": iso(authored),
        "requester": {"display": requester},
        "performerType": {
            "coding": [
                {"system": SYS_SPECIALTY, "code": specialty, "display": SPECIALTIES[specialty]}
            ]
        },
        "reasonCode": [{"text": reason}],
        "supportingInfo": [ref(t, i) for t, i in supporting],
    }


def consult_request(
    *,
    patient_id: str,
    specialty: str,
    priority: str,
    question: str,
    requester: str,
    authored: datetime,
    supporting: Sequence[tuple[str, str]] = (),
    status: str = "active",
) -> Resource:
    return _request(
        CONSULT,
        patient_id=patient_id,
        specialty=specialty,
        priority=priority,
        reason=question,
        requester=requester,
        authored=authored,
        supporting=supporting,
        status=status,
    )


def referral(
    *,
    patient_id: str,
    specialty: str,
    priority: str,
    reason: str,
    requester: str,
    authored: datetime,
    based_on: str | None = None,
    supporting: Sequence[tuple[str, str]] = (),
) -> Resource:
    res = _request(
        REFERRAL,
        patient_id=patient_id,
        specialty=specialty,
        priority=priority,
        reason=reason,
        requester=requester,
        authored=authored,
        supporting=supporting,
        status="active",
    )
    if based_on:
        res["basedOn"] = [ref("ServiceRequest", based_on)]
    return res


def kind_of(res: Resource) -> str | None:
    for cat in res.get("category", []):
        for c in cat.get("coding", []):
            if c.get("code") == CONSULT[0]:
                return "consult"
            if c.get("code") == REFERRAL[0]:
                return "referral"
    return None


def specialty_of(res: Resource) -> str | None:
    for c in (res.get("performerType") or {}).get("coding", []):
        return str(c.get("code"))
    return None


def opinion(
    *,
    patient_id: str,
    consult_id: str,
    conclusion: str,
    author: str,
    issued: datetime,
    specialty: str | None = None,
) -> Resource:
    """The specialist's written opinion on a consult (a final DiagnosticReport)."""
    conclusion = (conclusion or "").strip()
    if not conclusion:
        raise ValidationError("conclusion", "Write the opinion.")
    if len(conclusion) > 20000:
        raise ValidationError("conclusion", "The opinion is too long (20000 characters at most).")
    res: Resource = {
        "resourceType": "DiagnosticReport",
        "id": new_id(),
        "status": "final",
        "category": [{"coding": [{"system": SYS_SNOMED, "code": CONSULT[0],
                                  "display": CONSULT[1]}]}],
        "code": {"text": "Specialist consult opinion"},
        "basedOn": [ref("ServiceRequest", consult_id)],
        "subject": ref("Patient", patient_id),
        "issued": iso(issued),
        "performer": [{"display": author}],
        "conclusion": conclusion,
    }  # fmt: skip
    if specialty in SPECIALTIES:
        res["code"]["coding"] = [
            {"system": SYS_SPECIALTY, "code": specialty, "display": SPECIALTIES[specialty]}
        ]
    return res


# ------------------------------------------------------------------------- medications --
EXT_STOPPED = "https://fhir.clinic-workstation.cn/StructureDefinition/medication-stopped"


def prescription(
    *,
    patient_id: str,
    concept: dict[str, Any],
    dosage: str,
    requester: str,
    authored: datetime,
    days: int | None = None,
    based_on: str | None = None,
    encounter_id: str | None = None,
    prior: str | None = None,
    override: dict[str, Any] | None = None,
    dose: Dose | None = None,
) -> Resource:
    """An e-prescription of a formulary medicine (``concept`` with its ATC and formulary
    codes) or of free text; ``prior`` is the MedicationRequest it replaces, ``override`` the
    extension recording warnings signed past with a reason."""
    res = clinical.medication_request(
        patient_id=patient_id,
        medication=str(concept.get("text") or ""),
        dosage=dosage,
        requester=requester,
        authored=authored,
        days=days,
        based_on=based_on,
        encounter_id=encounter_id,
        dose=dose,
    )
    res["medicationCodeableConcept"] = dict(concept)
    if prior:
        res["priorPrescription"] = ref("MedicationRequest", prior)
    if override:
        res["extension"] = [override]
        reason = next(
            (str(p.get("valueString")) for p in override.get("extension", [])
             if p.get("url") == "reason"), "",
        )  # fmt: skip
        res["note"] = [{"text": f"Warnings overridden at signing. Reason: {reason}"}]
    return res


def stopped(res: Resource, *, reason: str, when: datetime, superseded: bool = False) -> Resource:
    """A new version of a prescription or statement, stopped (or, replaced by a new
    prescription, completed) with its reason and date."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("reason", "Give the reason the medicine is stopped.")
    out = dict(res)
    out.pop("meta", None)
    if res.get("resourceType") == "MedicationRequest":
        out["status"] = "completed" if superseded else "stopped"
        out["statusReason"] = {"text": reason}
        out["extension"] = [
            e for e in res.get("extension") or [] if e.get("url") != EXT_STOPPED
        ] + [{"url": EXT_STOPPED, "valueDateTime": iso(when)}]
    else:
        out["status"] = "completed" if superseded else "stopped"
        out["statusReason"] = [{"text": reason}]
        period = dict(res.get("effectivePeriod") or {})
        if "effectiveDateTime" in out:
            period.setdefault("start", out.pop("effectiveDateTime"))
        period["end"] = iso(when)
        out["effectivePeriod"] = period
    return out


def medication_statement(
    *,
    patient_id: str,
    concept: dict[str, Any],
    dosage: str,
    source: str,
    recorded_by: str,
    since: datetime | None = None,
    asserted: datetime,
) -> Resource:
    """A medicine the patient already takes, prescribed elsewhere (``source``: a hospital, a
    pharmacy, the patient's own word)."""
    text = str(concept.get("text") or "").strip()
    if not text:
        raise ValidationError("medication", "Enter the medication.")
    res: Resource = {
        "resourceType": "MedicationStatement",
        "id": new_id(),
        "status": "active",
        "medicationCodeableConcept": dict(concept),
        "subject": ref("Patient", patient_id),
        "dateAsserted": iso(asserted),
        "informationSource": {"display": recorded_by},
    }
    if since:
        res["effectivePeriod"] = {"start": iso(since)}
    if (dosage or "").strip():
        res["dosage"] = [{"text": dosage.strip()}]
    if (source or "").strip():
        res["note"] = [{"text": f"Prescribed elsewhere: {source.strip()}"}]
    return res
