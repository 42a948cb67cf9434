"""Schedule: one-hour appointments without double booking, and follow-up reminders."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from clinic_app.errors import ValidationError
from clinic_app.records import schedule as sched
from clinic_app.records.patient import PatientInput
from clinic_app.services import patients, schedule
from clinic_app.services.writes import save_all
from local_store.errors import NotFound


@pytest.fixture
def pid(store):
    res, _ = patients.register(store, PatientInput("王", "小明", gender="male"))
    return res["id"]


def test_book_a_one_hour_slot(store, pid, b):
    start = b.on_the_hour(3, 14)
    appt = schedule.book(
        store, patient_id=pid, start=start, practitioner="专家门诊", description="远程会诊"
    )
    assert appt["status"] == "booked"
    assert datetime.fromisoformat(appt["end"]) - datetime.fromisoformat(appt["start"]) == (
        timedelta(hours=1)
    )
    assert appt["minutesDuration"] == 60
    assert store.get("Appointment", appt["id"])["start"] == appt["start"]
    assert [a["id"] for a in schedule.day(store, start.date())] == [appt["id"]]


@pytest.mark.parametrize(
    "offset", [timedelta(minutes=30), timedelta(seconds=1), timedelta(microseconds=5)]
)
def test_book_refuses_a_start_not_on_the_hour(store, pid, b, offset, snapshot):
    before = snapshot(store)
    with pytest.raises(ValidationError) as err:
        schedule.book(
            store,
            patient_id=pid,
            start=b.on_the_hour(1, 9) + offset,
            practitioner="Dr",
            description="x",
        )
    assert err.value.field == "start"
    assert snapshot(store) == before


def test_book_refuses_a_double_booking_of_the_same_practitioner(store, pid, b, snapshot):
    start = b.on_the_hour(2, 10)
    schedule.book(store, patient_id=pid, start=start, practitioner="专家门诊", description="a")
    other, _ = patients.register(store, PatientInput("张", "伟"))
    before = snapshot(store)
    with pytest.raises(ValidationError) as err:
        schedule.book(
            store, patient_id=other["id"], start=start, practitioner="专家门诊", description="b"
        )
    assert err.value.field == "start"
    assert snapshot(store) == before
    # Another practitioner at that hour, and the same one the next hour, are fine.
    schedule.book(
        store, patient_id=other["id"], start=start, practitioner="Dr. Chen", description="c"
    )
    schedule.book(
        store,
        patient_id=other["id"],
        start=start + timedelta(hours=1),
        practitioner="专家门诊",
        description="d",
    )
    schedule.book(
        store,
        patient_id=other["id"],
        start=start - timedelta(hours=1),
        practitioner="专家门诊",
        description="e",
    )
    assert len(schedule.day(store, start.date())) == 4


def test_double_booking_is_found_for_the_same_hour_given_in_another_timezone(store, pid, b):
    start = b.on_the_hour(2, 10)
    schedule.book(store, patient_id=pid, start=start, practitioner="Dr", description="a")
    from datetime import timezone

    elsewhere = start.astimezone(timezone(timedelta(hours=-5)))
    with pytest.raises(ValidationError):
        schedule.book(store, patient_id=pid, start=elsewhere, practitioner="Dr", description="b")


def test_book_for_unknown_patient_is_refused(store):
    with pytest.raises(NotFound):
        schedule.book(
            store,
            patient_id="no-such-patient",
            start=datetime(2030, 1, 1, 9).astimezone(),
            practitioner="Dr",
            description="x",
        )


def test_reminders_return_due_and_overdue_tasks(store, pid):
    today = date.today()
    long_ago = datetime.now().astimezone() - timedelta(days=60)
    items = {}
    for name, due, created in [
        ("overdue", today - timedelta(days=10), long_ago),
        ("overdue-1", today - timedelta(days=1), long_ago),
        ("today", today, None),
        ("in-3-days", today + timedelta(days=3), None),
        ("in-4-days", today + timedelta(days=4), None),
        ("in-30-days", today + timedelta(days=30), None),
        ("done", today - timedelta(days=2), long_ago),
    ]:
        if created is None:
            _plan, task = schedule.plan_follow_up(
                store, patient_id=pid, due=due, description=f"随访 {name}", author="Dr"
            )
        else:
            plan, task = sched.follow_up(
                patient_id=pid, due=due, description=f"随访 {name}", author="Dr", created=created
            )
            if name == "done":
                task["status"] = "completed"
            save_all(store, [plan, task])
        items[name] = task["id"]
    got = schedule.reminders(store, today)
    assert [(t["id"], state) for t, state in got] == [
        (items["overdue"], "overdue"),
        (items["overdue-1"], "overdue"),
        (items["today"], "due"),
        (items["in-3-days"], "due"),
    ]
    later = schedule.reminders(store, today + timedelta(days=27))
    assert {t["id"] for t, _ in later} >= {items["in-30-days"], items["in-4-days"]}
    assert items["done"] not in {t["id"] for t, _ in later}
    chart = patients.open_chart(store, pid)
    states = dict((t["id"], s) for t, s in chart.follow_ups(today))
    assert states[items["in-30-days"]] == "planned" and states[items["done"]] == "done"


def test_plan_follow_up_saves_care_plan_and_task(store, pid, snapshot):
    before = snapshot(store)
    plan, task = schedule.plan_follow_up(
        store, patient_id=pid, due=date.today() + timedelta(7), description="血压随访", author="Dr"
    )
    assert task["basedOn"] == [{"reference": f"CarePlan/{plan['id']}"}]
    assert plan["activity"] == [{"reference": {"reference": f"Task/{task['id']}"}}]
    assert sched.task_due(task) == date.today() + timedelta(7)
    counts, pending = snapshot(store)
    assert counts["CarePlan"] == counts["Task"] == 1 and pending == before[1] + 2


@pytest.mark.parametrize(
    ("due_days", "description", "field"), [(-1, "随访", "due"), (5, "  ", "description")]
)
def test_plan_follow_up_refuses_bad_input(store, pid, due_days, description, field, snapshot):
    before = snapshot(store)
    with pytest.raises(ValidationError) as err:
        schedule.plan_follow_up(
            store,
            patient_id=pid,
            due=date.today() + timedelta(days=due_days),
            description=description,
            author="Dr",
        )
    assert err.value.field == field
    assert snapshot(store) == before


def test_book_refuses_a_slot_that_is_over_but_takes_the_current_hour(store, pid, b, snapshot):
    now = b.on_the_hour(1, 10) + timedelta(minutes=20)
    before = snapshot(store)
    with pytest.raises(ValidationError) as err:
        schedule.book(
            store,
            patient_id=pid,
            start=now.replace(minute=0) - timedelta(hours=1),
            practitioner="Dr",
            description="x",
            now=now,
        )
    assert err.value.field == "start" and "over" in err.value.message
    assert snapshot(store) == before
    current = schedule.book(
        store,
        patient_id=pid,
        start=now.replace(minute=0),
        practitioner="Dr",
        description="now",
        now=now,
    )
    assert current["status"] == "booked"


def test_a_slot_the_clinic_only_proposed_does_not_block_the_booking(store, pid, b):
    start = b.on_the_hour(2, 15)
    proposed = sched.appointment(
        patient_id=pid, start=start, practitioner="Dr", description="suggested", status="proposed"
    )
    save_all(store, [proposed])
    booked = schedule.book(store, patient_id=pid, start=start, practitioner="Dr", description="b")
    assert booked["status"] == "booked"
    with pytest.raises(ValidationError):  # the booked one does block
        schedule.book(store, patient_id=pid, start=start, practitioner="Dr", description="c")
