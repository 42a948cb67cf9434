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


# ---- the diabetes register, worked out from the raw records ------------------------------
HBA1C_CODES = {"4548-4": "%", "59261-8": "mmol/mol"}
GLUCOSE_CODES = {"15074-8": 7.0, "2339-0": 126.0}  # controlled at or below


def diabetes_expectation(records: list[dict[str, Any]], today: date) -> dict[str, tuple[str, str]]:
    """For each patient with an active E11 Condition: (follow-up, control), where follow-up is
    overdue (no contact, or more than 90 days), due (76-90 days, or an open follow-up Task due
    by today) or ok; control is decided by the latest HbA1c taken within 183 days (< 7 %;
    IFCC mmol/mol converted with NGSP = 0.09148 x IFCC + 2.152), else by the latest glucose
    (<= 7.0 mmol/L or <= 126 mg/dL), else unknown."""
    diabetic: set[str] = set()
    contact: dict[str, date] = {}
    open_due: dict[str, date] = {}
    a1c: dict[str, tuple[datetime, float]] = {}
    glucose: dict[str, tuple[datetime, bool]] = {}
    for r in records:
        kind, pid = r["resourceType"], _subject(r)
        if kind == "Condition":
            codes = [c["code"] for c in r["code"]["coding"] if "icd" in c["system"].lower()]
            status = r["clinicalStatus"]["coding"][0]["code"]
            verified = r.get("verificationStatus", {}).get("coding", [{}])[0].get("code")
            if any(c.startswith("E11") for c in codes) and status == "active" \
                    and verified != "entered-in-error":  # fmt: skip
                diabetic.add(pid)
        elif kind == "Observation" and r["status"] in ("final", "amended", "corrected"):
            code = next(c["code"] for c in r["code"]["coding"])
            when = datetime.fromisoformat(r["effectiveDateTime"])
            value = float(r["valueQuantity"]["value"])
            if when.astimezone().date() > today:
                continue
            if code in HBA1C_CODES:
                percent = value if code == "4548-4" else 0.09148 * value + 2.152
                if pid not in a1c or when > a1c[pid][0]:
                    a1c[pid] = (when, percent)
            elif code in GLUCOSE_CODES and (pid not in glucose or when > glucose[pid][0]):
                glucose[pid] = (when, value <= GLUCOSE_CODES[code])
        elif kind == "Encounter" and r["status"] not in ("cancelled", "entered-in-error"):
            day = _local_day(r["period"]["start"])
            if day <= today:
                contact[pid] = max(contact.get(pid, day), day)
        elif kind == "Task" and r.get("intent") == "plan":
            if r["status"] == "completed":
                day = _local_day(r["executionPeriod"]["end"])
                contact[pid] = max(contact.get(pid, day), day)
            elif r["status"] != "cancelled":
                end = r.get("restriction", {}).get("period", {}).get("end")
                if end:
                    due = date.fromisoformat(end[:10])
                    open_due[pid] = min(open_due.get(pid, due), due)
    out: dict[str, tuple[str, str]] = {}
    for pid in diabetic:
        days = (today - contact[pid]).days if pid in contact else None
        if days is None or days > 90:
            follow = "overdue"
        elif days >= 76 or (pid in open_due and open_due[pid] <= today):
            follow = "due"
        else:
            follow = "ok"
        if pid in a1c and (today - a1c[pid][0].astimezone().date()).days <= 183:
            control = "controlled" if a1c[pid][1] < 7.0 else "uncontrolled"
        elif pid in glucose:
            control = "controlled" if glucose[pid][1] else "uncontrolled"
        else:
            control = "unknown"
        out[pid] = (follow, control)
    return out
