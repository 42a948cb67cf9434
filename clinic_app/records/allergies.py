"""Allergies and intolerances (FHIR AllergyIntolerance): a substance or a drug class, its
category, reactions with their severity, and the criticality; and "no known allergies" as its
own dated statement (SNOMED CT 716186003 "No known allergy"), which an allergy recorded later
replaces."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from clinic_app.errors import ValidationError
from clinic_app.records.common import SYS_ALLERGY_CLINICAL, SYS_SNOMED, Resource, new_id, ref

SYS_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
NKA_CODE = "716186003"
NKA_DISPLAY = "No known allergy"
CATEGORIES = ("medication", "food", "environment", "biologic")
CRITICALITIES = ("low", "high", "unable-to-assess")
SEVERITIES = ("mild", "moderate", "severe")


def _status(code: str) -> dict[str, object]:
    return {"coding": [{"system": SYS_ALLERGY_CLINICAL, "code": code}]}


def _verified() -> dict[str, object]:
    return {"coding": [{"system": SYS_VERIFICATION, "code": "confirmed"}]}


def allergy(
    *, patient_id: str, substance: str, recorder: str, recorded: date,
    category: str = "medication", reaction: str | None = None, severity: str | None = None,
    criticality: str = "unable-to-assess",
) -> Resource:  # fmt: skip
    """An active allergy to ``substance`` (a drug, a drug class such as "青霉素类", a food…)."""
    substance = (substance or "").strip()
    if not substance:
        raise ValidationError("substance", "Enter the substance or drug class.")
    if category not in CATEGORIES:
        raise ValidationError("category", "Unknown allergy category.")
    if criticality not in CRITICALITIES:
        raise ValidationError("criticality", "Criticality is low, high or unable to assess.")
    if severity is not None and severity not in SEVERITIES:
        raise ValidationError("severity", "Severity is mild, moderate or severe.")
    res: Resource = {
        "resourceType": "AllergyIntolerance",
        "id": new_id(),
        "clinicalStatus": _status("active"),
        "verificationStatus": _verified(),
        "category": [category],
        "criticality": criticality,
        "code": {"text": substance},
        "patient": ref("Patient", patient_id),
        "recordedDate": recorded.isoformat(),
        "recorder": {"display": recorder},
    }
    reaction = (reaction or "").strip()
    if reaction or severity:
        item: dict[str, object] = {"manifestation": [{"text": reaction or substance}]}
        if severity:
            item["severity"] = severity
        res["reaction"] = [item]
    return res


def no_known_allergies(*, patient_id: str, recorder: str, recorded: date) -> Resource:
    """The statement that the patient was asked and has no known allergy, dated."""
    return {
        "resourceType": "AllergyIntolerance",
        "id": new_id(),
        "clinicalStatus": _status("active"),
        "verificationStatus": _verified(),
        "code": {
            "coding": [{"system": SYS_SNOMED, "code": NKA_CODE, "display": NKA_DISPLAY}],
            "text": NKA_DISPLAY,
        },
        "patient": ref("Patient", patient_id),
        "recordedDate": recorded.isoformat(),
        "recorder": {"display": recorder},
    }


def ended(record: Resource, status: str = "resolved") -> Resource:
    """The record no longer current: ``resolved`` (outgrown, desensitised) or ``inactive``
    (a no-known-allergies statement replaced by an allergy)."""
    out = dict(record)
    out["clinicalStatus"] = _status(status)
    return out


# ---- reading -------------------------------------------------------------------------
def is_nka(record: Resource) -> bool:
    return any(
        c.get("system") == SYS_SNOMED and c.get("code") == NKA_CODE
        for c in (record.get("code") or {}).get("coding", [])
    )


def is_current(record: Resource) -> bool:
    codings = (record.get("clinicalStatus") or {}).get("coding") or [{}]
    verification = (record.get("verificationStatus") or {}).get("coding") or [{}]
    return codings[0].get("code") in (None, "active") and verification[0].get("code") not in (
        "entered-in-error", "refuted")  # fmt: skip


def substance(record: Resource) -> str:
    return str((record.get("code") or {}).get("text") or "")


def reactions(record: Resource) -> list[tuple[str, str | None]]:
    """(manifestation, severity) of each reaction recorded."""
    out = []
    for item in record.get("reaction") or []:
        for m in item.get("manifestation") or []:
            out.append((str(m.get("text") or ""), item.get("severity")))
    return out


def current(records: Iterable[Resource]) -> tuple[Resource | None, list[Resource]]:
    """(the current no-known-allergies statement or None, the current allergies)."""
    live = [r for r in records if is_current(r)]
    nka = sorted((r for r in live if is_nka(r)), key=lambda r: str(r.get("recordedDate")))
    return (nka[-1] if nka else None), [r for r in live if not is_nka(r)]
