"""The answer to the issue-19 query, worked out from the raw FHIR records alone (not with
``clinic_app.clinical.registers`` or ``clinic_app.query``): hypertension patients (an active
ICD-10 I10 Condition) whose last systolic BP is >= 140 mmHg and who had no follow-up contact (a
visit, or a completed follow-up Task) in the last 90 days."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

SPEC: dict[str, Any] = {
    "match": "all",
    "conditions": [
        {"kind": "diagnosis", "code": "I10"},
        {"kind": "vital", "vital": "systolic", "which": "latest", "op": ">=", "value": 140},
        {"kind": "followup", "within_days": 90, "negate": True},
    ],
}
NAME = "HTN SBP>=140, no follow-up 90d"


def _subject(res: dict[str, Any]) -> str:
    ref = (res.get("subject") or res.get("for") or {}).get("reference", "")
    return ref.removeprefix("Patient/")


def _local_day(text: str) -> date:
    return datetime.fromisoformat(text).astimezone().date()


def expected_ids(records: list[dict[str, Any]], today: date) -> set[str]:
    hypertensive: set[str] = set()
    systolic: dict[str, tuple[datetime, float]] = {}
    contact: dict[str, date] = {}
    for r in records:
        kind, pid = r["resourceType"], _subject(r)
        if kind == "Condition":
            codes = [c["code"] for c in r["code"]["coding"] if "icd" in c["system"].lower()]
            status = r["clinicalStatus"]["coding"][0]["code"]
            verified = r.get("verificationStatus", {}).get("coding", [{}])[0].get("code")
            if any(c.startswith("I10") for c in codes) and status == "active" \
                    and verified != "entered-in-error":  # fmt: skip
                hypertensive.add(pid)
        elif (
            kind == "Observation"
            and r["status"] == "final"
            and any(c["code"] == "8480-6" for c in r["code"]["coding"])
        ):
            when = datetime.fromisoformat(r["effectiveDateTime"])
            if pid not in systolic or when > systolic[pid][0]:
                systolic[pid] = (when, float(r["valueQuantity"]["value"]))
        elif kind == "Encounter" and r["status"] not in ("cancelled", "entered-in-error"):
            day = _local_day(r["period"]["start"])
            contact[pid] = max(contact.get(pid, day), day)
        elif kind == "Task" and r["status"] == "completed" and r.get("intent") == "plan":
            day = _local_day(r["executionPeriod"]["end"])
            contact[pid] = max(contact.get(pid, day), day)
    return {
        pid for pid in hypertensive
        if pid in systolic and systolic[pid][1] >= 140
        and (pid not in contact or (today - contact[pid]).days > 90)
    }  # fmt: skip


def all_records(store: Any) -> list[dict[str, Any]]:
    return list(store.iter_records(["Condition", "Observation", "Encounter", "Task"]))
