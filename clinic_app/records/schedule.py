"""Appointments in one-hour slots, and follow-ups as CarePlan + Task with a due date."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from clinic_app.errors import ValidationError
from clinic_app.records.common import Resource, iso, new_id, ref

SLOT = timedelta(hours=1)


def appointment(
    *,
    patient_id: str,
    start: datetime,
    practitioner: str,
    description: str,
    based_on: str | None = None,
    status: str = "booked",
) -> Resource:
    """A one-hour appointment; ``start`` must be on the hour."""
    if start.minute or start.second or start.microsecond:
        raise ValidationError("start", "Appointments start on the hour (one-hour slots).")
    if status not in ("proposed", "pending", "booked"):
        raise ValidationError("status", "A new appointment is proposed, pending or booked.")
    res: Resource = {
        "resourceType": "Appointment",
        "id": new_id(),
        "status": status,
        "description": description,
        "start": iso(start),
        "end": iso(start + SLOT),
        "minutesDuration": 60,
        "participant": [
            {"actor": ref("Patient", patient_id), "status": "accepted"},
            {"actor": {"display": practitioner}, "status": "accepted"},
        ],
    }
    if based_on:
        res["basedOn"] = [ref("ServiceRequest", based_on)]
    return res


def follow_up(
    *,
    patient_id: str,
    due: date,
    description: str,
    author: str,
    created: datetime,
) -> tuple[Resource, Resource]:
    """A CarePlan with one follow-up Task due on ``due``: (care plan, task)."""
    description = (description or "").strip()
    if not description:
        raise ValidationError("description", "Say what the follow-up is for.")
    if due < created.date():
        raise ValidationError("due", "A follow-up cannot be due in the past.")
    task_id = new_id()
    plan: Resource = {
        "resourceType": "CarePlan",
        "id": new_id(),
        "status": "active",
        "intent": "plan",
        "title": description,
        "subject": ref("Patient", patient_id),
        "created": iso(created),
        "author": {"display": author},
        "activity": [{"reference": ref("Task", task_id)}],
    }
    task: Resource = {
        "resourceType": "Task",
        "id": task_id,
        "status": "requested",
        "intent": "plan",
        "description": description,
        "basedOn": [ref("CarePlan", plan["id"])],
        "for": ref("Patient", patient_id),
        "authoredOn": iso(created),
        "restriction": {"period": {"end": due.isoformat()}},
    }
    return plan, task


def task_due(task: Resource) -> date | None:
    end = ((task.get("restriction") or {}).get("period") or {}).get("end")
    return date.fromisoformat(end[:10]) if end else None


def follow_up_state(task: Resource, today: date) -> str:
    """done, overdue, due (today or within 3 days) or planned."""
    if task.get("status") in ("completed", "cancelled"):
        return "done"
    due = task_due(task)
    if due is None:
        return "planned"
    if due < today:
        return "overdue"
    if due <= today + timedelta(days=3):
        return "due"
    return "planned"
