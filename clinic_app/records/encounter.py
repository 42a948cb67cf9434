"""Encounter: one visit (initial or follow-up) at the clinic."""

from __future__ import annotations

from datetime import datetime

from clinic_app.errors import ValidationError
from clinic_app.records.common import SYS_ACT_CODE, SYS_ENCOUNTER_TYPE, Resource, iso, new_id, ref

VISIT_KINDS = {"initial-visit": "Initial visit", "follow-up": "Follow-up visit"}


def encounter(
    *,
    patient_id: str,
    kind: str,
    start: datetime,
    end: datetime | None = None,
    practitioner: str | None = None,
    reason: str | None = None,
    status: str = "finished",
) -> Resource:
    if kind not in VISIT_KINDS:
        raise ValidationError("kind", "A visit is an initial visit or a follow-up.")
    if end is not None and end < start:
        raise ValidationError("end", "A visit cannot end before it starts.")
    res: Resource = {
        "resourceType": "Encounter",
        "id": new_id(),
        "status": status,
        "class": {"system": SYS_ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [
            {
                "coding": [
                    {"system": SYS_ENCOUNTER_TYPE, "code": kind, "display": VISIT_KINDS[kind]}
                ],
                "text": VISIT_KINDS[kind],
            }
        ],
        "subject": ref("Patient", patient_id),
        "period": {"start": iso(start)} | ({"end": iso(end)} if end else {}),
    }
    if practitioner:
        res["participant"] = [{"individual": {"display": practitioner}}]
    if reason:
        res["reasonCode"] = [{"text": reason}]
    return res


def visit_kind(res: Resource) -> str | None:
    for t in res.get("type", []):
        for c in t.get("coding", []):
            if c.get("system") == SYS_ENCOUNTER_TYPE:
                return str(c.get("code"))
    return None
