"""Desk services: worklist order and filters, the case as sent, decisions as Tasks, follow-ups
marked done, schedule and conflict views with names."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from clinic_app.errors import ValidationError
from clinic_app.records import schedule as sched
from clinic_app.records.patient import PatientInput
from clinic_app.services import desk, orders, patients, schedule, visits
from clinic_app.services.writes import save_all
from local_store.sync_ledger import SyncLedger


@pytest.fixture
def pid(store):
    res, _ = patients.register(store, PatientInput("王", "小明", gender="male"))
    return res["id"]


def consult(store, pid, priority="routine", specialty="cardiology", days_ago=0, **kw):
    return orders.request_consult(
        store,
        patient_id=pid,
        specialty=specialty,
        priority=priority,
        question=f"{priority} question",
        requester="李医生",
        authored=datetime.now().astimezone() - timedelta(days=days_ago),
        **kw,
    )


def test_worklist_sorts_by_urgency_then_oldest_first_and_filters(store, pid):
    made = {
        "routine-old": consult(store, pid, "routine", days_ago=5),
        "routine-new": consult(store, pid, "routine", days_ago=1),
        "stat": consult(store, pid, "stat", days_ago=0),
        "urgent": consult(store, pid, "urgent", days_ago=2),
        "asap": consult(store, pid, "asap", specialty="dermatology", days_ago=3),
    }
    consult(store, pid, "stat", draft=True)  # drafts never reach the desk
    orders.refer(
        store, patient_id=pid, specialty="cardiology", priority="stat", reason="r", requester="x"
    )
    ids = [i.consult_id for i in desk.worklist(store)]
    order = ["stat", "asap", "urgent", "routine-old", "routine-new"]
    assert ids == [made[k]["id"] for k in order]
    derm = desk.worklist(store, specialty="dermatology")
    assert [i.consult_id for i in derm] == [made["asap"]["id"]]
    assert all(i.patient_name == "王小明" and i.state == "new" for i in desk.worklist(store))


def test_decide_writes_a_task_and_closes_a_declined_consult(store, pid, snapshot):
    sr = consult(store, pid, "urgent")
    before = snapshot(store)
    with pytest.raises(ValidationError) as err:
        desk.decide(store, consult_id=sr["id"], accept=False, reason="  ", owner="Dr. Xu")
    assert err.value.field == "reason" and snapshot(store) == before
    task = desk.decide(store, consult_id=sr["id"], accept=True, reason="will see", owner="Dr. Xu")
    stored = store.get("Task", task["id"])
    assert stored["status"] == "accepted" and stored["intent"] == "order"
    assert stored["focus"] == {"reference": f"ServiceRequest/{sr['id']}"}
    assert stored["basedOn"] == [{"reference": f"ServiceRequest/{sr['id']}"}]
    assert stored["for"] == {"reference": f"Patient/{pid}"}
    assert stored["businessStatus"]["text"] == "accepted"
    assert stored["statusReason"]["text"] == "will see"
    assert [i.state for i in desk.worklist(store)] == ["accepted"]
    # Changing one's mind updates the same Task.
    again = desk.decide(
        store, consult_id=sr["id"], accept=False, reason="out of scope", owner="Dr. Xu"
    )
    assert again["id"] == task["id"]
    assert store.get("Task", task["id"])["status"] == "rejected"
    assert store.get("Task", task["id"])["businessStatus"]["text"] == "declined"
    assert desk.worklist(store) == []
    assert [i.state for i in desk.worklist(store, include_closed=True)] == ["declined"]


def test_case_lists_what_was_sent_grouped_by_visit_and_the_answers(store, pid, b):
    visit = visits.record_visit(
        store,
        patient_id=pid,
        kind="initial-visit",
        answers=b.INITIAL_ANSWERS,
        vitals={"systolic": 165, "diastolic": 100},
        start=datetime.now().astimezone(),
        practitioner="李医生",
    )
    supporting = [
        ("Encounter", visit.encounter["id"]),
        ("QuestionnaireResponse", visit.response["id"]),
        *[("Observation", o["id"]) for o in visit.observations],
    ]
    sr = consult(store, pid, "urgent", supporting=supporting)
    sr["supportingInfo"].append({"reference": "DocumentReference/not-here-yet"})
    save_all(store, [sr])
    orders.write_opinion(store, consult_id=sr["id"], conclusion="Add a diuretic.", author="Dr")
    orders.prescribe(
        store,
        patient_id=pid,
        medication="氢氯噻嗪",
        dosage="12.5 mg qd",
        requester="Dr",
        based_on=sr["id"],
    )
    schedule.book(
        store,
        patient_id=pid,
        start=b.on_the_hour(2, 10),
        practitioner="Dr",
        description="video",
        based_on=sr["id"],
    )
    got = desk.case(store, sr["id"])
    assert got.patient and got.patient["id"] == pid
    assert [(s.rtype, s.resource is not None) for s in got.supporting] == [
        ("Encounter", True),
        ("DocumentReference", False),
    ]
    kids = got.supporting[0].children
    assert kids[0]["resourceType"] == "QuestionnaireResponse"
    assert {k["resourceType"] for k in kids[1:]} == {"Observation"} and len(kids) == 3
    assert len(got.opinions) == len(got.prescriptions) == len(got.appointments) == 1
    assert store.audit_entries(5)[0]["action"] == "consult.read"
    assert [i.state for i in desk.worklist(store, include_closed=True)] == ["answered"]


def test_complete_follow_up_marks_task_and_plan_done(store, pid):
    plan, task = schedule.plan_follow_up(
        store, patient_id=pid, due=date.today(), description="血压随访", author="Dr"
    )
    assert [r.state for r in desk.reminders_with_names(store, date.today())] == ["due"]
    done = desk.complete_follow_up(store, task["id"])
    assert store.get("Task", task["id"])["status"] == "completed" == done["status"]
    assert store.get("CarePlan", plan["id"])["status"] == "completed"
    assert desk.reminders_with_names(store, date.today()) == []
    with pytest.raises(ValidationError):
        desk.complete_follow_up(store, task["id"])


def test_overdue_reminder_carries_patient_name(store, pid):
    created = datetime.now().astimezone() - timedelta(days=30)
    plan, task = sched.follow_up(
        patient_id=pid,
        due=date.today() - timedelta(days=3),
        description="x",
        author="Dr",
        created=created,
    )
    save_all(store, [plan, task])
    (r,) = desk.reminders_with_names(store, date.today())
    assert (r.state, r.patient_name, r.due) == ("overdue", "王小明", sched.task_due(task))


def test_appointments_with_names_and_practitioner(store, pid, b):
    start = b.on_the_hour(1, 9)
    schedule.book(store, patient_id=pid, start=start, practitioner="专家门诊", description="x")
    (got,) = desk.appointments_with_names(store, start, start + timedelta(hours=1))
    assert (got.patient_name, got.practitioner, got.start) == ("王小明", "专家门诊", start)


def test_conflicts_with_names(store, pid):
    patient = store.get("Patient", pid)
    remote = dict(patient) | {"gender": "female"}
    SyncLedger(store).add_conflict(
        rtype="Patient",
        record_id=pid,
        fields=["gender"],
        base=patient,
        local=patient,
        local_deleted=False,
        remote_version=3,
        remote=remote,
        remote_deleted=False,
    )
    (c,) = desk.conflicts_with_names(store)
    assert c.patient_name == "王小明" and c.conflict.fields == ["gender"]


def test_worklist_state_follows_the_charts_derivation(store, pid, b):
    """The desk says what the clinic's chart says: proposed slots are not a booking, a booked
    slot makes an accepted consult scheduled, a withdrawn request leaves the open list."""
    from clinic_app.services.chart_view import consult_statuses

    sr = consult(store, pid, "urgent")
    start = b.on_the_hour(2, 11)
    proposed = sched.appointment(
        patient_id=pid,
        start=start,
        practitioner="李医生",
        description="suggested",
        based_on=sr["id"],
        status="proposed",
    )
    save_all(store, [proposed])
    (item,) = desk.worklist(store)
    assert (item.state, item.appointment) == ("new", None)
    desk.decide(store, consult_id=sr["id"], accept=True, reason="ok", owner="Dr. Xu")
    schedule.book(
        store,
        patient_id=pid,
        start=start,
        practitioner="Dr. Xu",
        description="v",
        based_on=sr["id"],
    )
    (item,) = desk.worklist(store)
    assert item.state == "scheduled" == consult_statuses(store, [sr])[sr["id"]]
    assert datetime.fromisoformat(item.appointment or "") == start
    withdrawn = {**store.get("ServiceRequest", sr["id"]), "status": "revoked"}
    save_all(store, [withdrawn])
    assert desk.worklist(store) == []
    assert [i.state for i in desk.worklist(store, include_closed=True)] == ["cancelled"]
