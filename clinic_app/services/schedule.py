"""Schedule: one-hour appointments without double booking, and follow-up reminders."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from clinic_app.errors import ValidationError
from clinic_app.records import schedule as sched
from clinic_app.records.common import Resource
from clinic_app.services.writes import save_all
from local_store.store import Store

TAKES_THE_SLOT = ("booked", "pending", "arrived", "checked-in", "fulfilled")


def appointments_between(store: Store, start: datetime, end: datetime) -> list[Resource]:
    out = []
    for appt in store.find("Appointment"):
        if appt.get("status") in ("cancelled", "noshow", "entered-in-error"):
            continue
        when = datetime.fromisoformat(appt["start"])
        if start <= when < end:
            out.append(appt)
    return sorted(out, key=lambda a: a["start"])


def day(store: Store, on: date) -> list[Resource]:
    start = datetime.combine(on, datetime.min.time()).astimezone()
    return appointments_between(store, start, start + timedelta(days=1))


def book(
    store: Store,
    *,
    patient_id: str,
    start: datetime,
    practitioner: str,
    description: str,
    based_on: str | None = None,
    now: datetime | None = None,
) -> Resource:
    """Book a one-hour slot; refuses a slot that is over and one the practitioner already has
    booked (slots a clinic only proposed do not count)."""
    store.get("Patient", patient_id)
    appt = sched.appointment(
        patient_id=patient_id,
        start=start,
        practitioner=practitioner,
        description=description,
        based_on=based_on,
    )
    if start.tzinfo is None:
        start = start.astimezone()
    if start + sched.SLOT <= (now or datetime.now().astimezone()):
        raise ValidationError("start", "That slot is over; choose a later one.")
    for other in appointments_between(store, start, start + sched.SLOT):
        if other.get("status") not in TAKES_THE_SLOT:
            continue
        names = [p.get("actor", {}).get("display") for p in other.get("participant", [])]
        if practitioner in names:
            raise ValidationError("start", "That hour is already booked for this doctor.")
    save_all(store, [appt])
    return appt


def plan_follow_up(
    store: Store, *, patient_id: str, due: date, description: str, author: str
) -> tuple[Resource, Resource]:
    store.get("Patient", patient_id)
    plan, task = sched.follow_up(
        patient_id=patient_id,
        due=due,
        description=description,
        author=author,
        created=datetime.now().astimezone(),
    )
    save_all(store, [plan, task])
    return plan, task


def reminders(store: Store, today: date) -> list[tuple[Resource, str]]:
    """Follow-up tasks that are due soon or overdue, most overdue first."""
    out = []
    for task in store.find("Task"):
        state = sched.follow_up_state(task, today)
        if state in ("due", "overdue"):
            out.append((task, state))
    return sorted(out, key=lambda ts: sched.task_due(ts[0]) or today)
