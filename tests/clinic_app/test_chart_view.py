"""The chart's shaping on the store thread: consult status (the one place it is derived),
asking a specialist with proposed slots, the timeline, and thinned vitals trends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from clinic_app.errors import ValidationError
from clinic_app.records.common import new_id, ref
from clinic_app.records.patient import PatientInput
from clinic_app.records.schedule import appointment
from clinic_app.services import chart_view, orders, patients, visits
from clinic_app.services.writes import save, save_all


@pytest.fixture
def pid(store):
    res, _ = patients.register(store, PatientInput("王", "小明", gender="male"))
    return res["id"]


def _deliver_everything(store):
    store.set_change_state([c.change_id for c in store.pending_changes(10_000)], "done")


def _consult(store, pid, **kw):
    args = {
        "patient_id": pid,
        "specialty": "cardiology",
        "priority": "routine",
        "question": "血压控制不佳",
        "requester": "李医生",
    } | kw
    return chart_view.ask_specialist(store, **args).request


def desk_task(sr, decision, when, reason=None):
    """A Task as the specialist desk writes it: intent order, focus and basedOn the request."""
    task = {
        "resourceType": "Task",
        "id": new_id(),
        "status": "accepted" if decision == "accepted" else "rejected",
        "intent": "order",
        "focus": ref("ServiceRequest", sr["id"]),
        "basedOn": [ref("ServiceRequest", sr["id"])],
        "for": sr["subject"],
        "authoredOn": when,
        "lastModified": when,
        "businessStatus": {"text": decision},
    }
    if reason:
        task["statusReason"] = {"text": reason}
    return task


def test_a_draft_is_a_draft_until_sent_then_queued_then_delivered(store, pid):
    sr = _consult(store, pid, draft=True)
    assert chart_view.consult_status(store, sr) == "draft"
    _deliver_everything(store)
    assert chart_view.consult_status(store, store.get("ServiceRequest", sr["id"])) == "draft"
    sent = chart_view.send_draft(store, sr["id"])
    assert sent["status"] == "active"
    assert chart_view.consult_status(store, sent) == "queued"
    _deliver_everything(store)
    assert chart_view.consult_status(store, sent) == "delivered"
    with pytest.raises(ValidationError):
        chart_view.send_draft(store, sr["id"])


def test_a_change_in_error_or_conflict_is_still_queued(store, pid):
    sr = _consult(store, pid)
    changes = [c.change_id for c in store.pending_changes() if c.record_id == sr["id"]]
    store.set_change_state(changes, "error", "server said no")
    assert chart_view.consult_status(store, sr) == "queued"


def test_desk_task_accepts_then_booking_schedules_then_opinion_answers(store, pid, b):
    sr = _consult(store, pid, slots=[b.on_the_hour(2, 9)])
    _deliver_everything(store)
    # The clinic's own proposed slot does not make it scheduled.
    assert chart_view.consult_status(store, sr) == "delivered"
    save(store, desk_task(sr, "accepted", "2026-01-02T10:00:00+08:00"))
    assert chart_view.consult_status(store, sr) == "accepted"
    booked = appointment(
        patient_id=pid,
        start=b.on_the_hour(3, 10),
        practitioner="张专家",
        description="远程会诊",
        based_on=sr["id"],
    )
    save_all(store, [booked])
    assert chart_view.consult_status(store, sr) == "scheduled"
    orders.write_opinion(store, consult_id=sr["id"], conclusion="加用利尿剂。", author="张专家")
    assert chart_view.consult_status(store, sr) == "answered"


def test_the_latest_desk_task_decides_accepted_or_declined(store, pid):
    sr = _consult(store, pid)
    save(store, desk_task(sr, "declined", "2026-01-02T10:00:00+08:00", "请转皮肤科"))
    assert chart_view.consult_status(store, sr) == "declined"
    save(store, desk_task(sr, "accepted", "2026-01-03T10:00:00+08:00"))
    assert chart_view.consult_status(store, sr) == "accepted"


def test_a_task_of_another_consult_or_a_follow_up_plan_changes_nothing(store, pid):
    sr = _consult(store, pid)
    other = _consult(store, pid)
    save(store, desk_task(other, "declined", "2026-01-02T10:00:00+08:00"))
    from clinic_app.services.schedule import plan_follow_up

    plan_follow_up(
        store,
        patient_id=pid,
        due=datetime.now().date() + timedelta(days=3),
        description="随访",
        author="李医生",
    )
    assert chart_view.consult_status(store, sr) == "queued"
    assert chart_view.consult_status(store, other) == "declined"


def test_a_revoked_request_is_cancelled(store, pid):
    sr = _consult(store, pid)
    sr["status"] = "revoked"
    save(store, sr)
    assert chart_view.consult_status(store, sr) == "cancelled"


def test_batch_statuses_match_single_ones(store, pid):
    a = _consult(store, pid)
    c = _consult(store, pid, draft=True)
    save(store, desk_task(a, "accepted", "2026-01-02T10:00:00+08:00"))
    got = chart_view.consult_statuses(store, [a, c])
    assert got == {a["id"]: "accepted", c["id"]: "draft"}
    assert got[a["id"]] == chart_view.consult_status(store, a)


def test_ask_specialist_writes_request_and_proposed_slots_together(store, pid, b):
    v = visits.record_visit(
        store,
        patient_id=pid,
        kind="initial-visit",
        answers=b.INITIAL_ANSWERS,
        vitals={"systolic": 150},
        start=datetime.now().astimezone(),
        practitioner="李医生",
    )
    supporting = [("Encounter", v.encounter["id"]), ("Observation", v.observations[0]["id"])]
    slots = [b.on_the_hour(2, 9), b.on_the_hour(2, 14), b.on_the_hour(3, 9)]
    made = chart_view.ask_specialist(
        store,
        patient_id=pid,
        specialty="cardiology",
        priority="urgent",
        question="请会诊",
        requester="李医生",
        supporting=supporting,
        slots=slots,
    )
    sr = store.get("ServiceRequest", made.request["id"])
    assert sr["status"] == "active"
    assert sr["supportingInfo"] == [ref(t, i) for t, i in supporting]
    appts = store.find("Appointment", patient_id=pid)
    assert len(appts) == 3
    assert {a["status"] for a in appts} == {"proposed"}
    assert {a["basedOn"][0]["reference"] for a in appts} == {f"ServiceRequest/{sr['id']}"}
    assert sorted(a["start"] for a in appts) == [a["start"] for a in made.slots]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slots": "four"}, "slots"),
        ({"slots": "past"}, "slots"),
        ({"slots": "twice"}, "slots"),
        ({"slots": "half-past"}, "start"),
        ({"question": "  "}, "reason"),
        ({"specialty": "astrology"}, "specialty"),
        ({"supporting": "other-patient"}, "supporting"),
    ],
)
def test_ask_specialist_refuses_bad_input_and_saves_nothing(store, pid, b, snapshot, change, field):
    other, _ = patients.register(store, PatientInput("张", "伟"))
    other_obs = visits.add_vitals(
        store,
        patient_id=other["id"],
        vitals={"heart_rate": 70},
        effective=datetime.now().astimezone(),
    )[0]
    kw: dict = {"slots": [b.on_the_hour(2, 9)]}
    value = next(iter(change.values()))
    if value == "four":
        kw["slots"] = [b.on_the_hour(2, h) for h in (9, 10, 11, 12)]
    elif value == "past":
        kw["slots"] = [b.on_the_hour(-1, 9)]
    elif value == "twice":
        kw["slots"] = [b.on_the_hour(2, 9), b.on_the_hour(2, 9)]
    elif value == "half-past":
        kw["slots"] = [b.on_the_hour(2, 9) + timedelta(minutes=30)]
    elif value == "other-patient":
        kw["supporting"] = [("Observation", other_obs["id"])]
    else:
        kw.update(change)
    before = snapshot(store)
    with pytest.raises(ValidationError) as err:
        _consult(store, pid, **kw)
    assert err.value.field == field
    assert snapshot(store) == before


def test_downsample_keeps_extremes_and_bounds_the_size():
    points = [(float(t), 120.0 + (t % 7), None) for t in range(10_000)]
    points[4321] = (4321.0, 210.0, "HH")
    points[777] = (777.0, 60.0, "LL")
    thin = chart_view.downsample(points, 400)
    assert len(thin) <= 400
    assert (4321.0, 210.0, "HH") in thin and (777.0, 60.0, "LL") in thin
    assert thin[0] == points[0] and thin[-1] == points[-1]
    assert [p[0] for p in thin] == sorted(p[0] for p in thin)
    assert chart_view.downsample(points[:50], 400) == points[:50]


def test_chart_view_timeline_trends_and_summary(store, pid, b):
    start = datetime.now().astimezone() - timedelta(days=800)
    for n in range(20):
        when = start + timedelta(days=40 * n)
        visits.record_visit(
            store,
            patient_id=pid,
            kind="initial-visit" if n == 0 else "follow-up",
            answers=b.INITIAL_ANSWERS if n == 0 else b.FOLLOW_UP_ANSWERS,
            vitals={
                "systolic": 130 + n * 3,
                "diastolic": 80,
                "heart_rate": 72,
                "glucose_mgdl": 180,
                "weight": ("150", "lb"),
            },
            start=when,
            practitioner="李医生",
        )
    orders.add_allergy(store, patient_id=pid, substance="青霉素", reaction="皮疹")
    orders.add_condition(store, patient_id=pid, text="高血压")
    orders.prescribe(
        store, patient_id=pid, medication="氨氯地平", dosage="每日一次", requester="李医生", days=30
    )
    orders.prescribe(
        store,
        patient_id=pid,
        medication="旧药",
        dosage="每日一次",
        requester="李医生",
        days=7,
        authored=start,
    )
    sr = _consult(store, pid)
    orders.write_opinion(store, consult_id=sr["id"], conclusion="继续观察。", author="张专家")
    view = chart_view.open_chart_view(store, pid)
    kinds = [e.kind for e in view.timeline]
    assert kinds.count("visit") == 20 and kinds.count("opinion") == 1
    assert kinds.count("consult") == 1 and kinds.count("prescription") == 2
    whens = [datetime.fromisoformat(e.when) for e in view.timeline]
    assert whens == sorted(whens, reverse=True)
    first_visit = next(e for e in reversed(view.timeline) if e.kind == "visit")
    assert ("Chief complaint", "头晕、乏力一周", False) in first_visit.answers
    follow = next(e for e in view.timeline if e.kind == "visit")
    assert ("Progress since last visit", "Improved", True) in follow.answers
    assert [o["code"]["coding"][0]["code"] for o in follow.vitals][:3] == [
        "8480-6",
        "8462-4",
        "8867-4",
    ]
    opinion = next(e for e in view.timeline if e.kind == "opinion")
    assert opinion.consult is not None and opinion.consult["id"] == sr["id"]
    assert view.consult_states == {sr["id"]: "answered"}
    bp = view.trends["systolic"]
    assert bp.total == 20 and bp.values[0] == 130 and (bp.low, bp.high) == (90, 139)
    assert "H" in bp.flags
    glucose = view.trends["glucose"]
    assert glucose.unit == "mmol/L" and glucose.values[0] == pytest.approx(10.0, abs=0.1)
    assert glucose.high == pytest.approx(140 / 18.016)
    assert view.trends["weight"].values[0] == pytest.approx(68.0, abs=0.1)
    assert [m["medicationCodeableConcept"]["text"] for m in view.medications] == ["氨氯地平"]
    assert [a["code"]["text"] for a in view.allergies] == ["青霉素"]
    assert len(view.vitals_sets) == 20 and len(view.vitals_sets[0].observations) == 5


def test_a_documents_content_is_read_into_memory_audited_and_refused_when_too_big(
    store, pid, tmp_path
):
    """``clinic.documents.content``: the one in-memory read of a document (the chart's image
    viewer, the desk's document window and the consult room's file sharing use it)."""
    from clinic_app.clinic import Clinic
    from clinic_app.services import documents

    clinic = Clinic(store)
    photo = tmp_path / "rash.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 5000)
    doc = documents.attach_file(store, patient_id=pid, path=photo)
    assert clinic.documents.content(doc) == photo.read_bytes()
    assert store.audit_entries(1)[0]["action"] == "attachment.open"
    with pytest.raises(ValidationError) as too_big:
        clinic.documents.content(doc, max_size=100)
    assert too_big.value.field == "file" and "system viewer" in too_big.value.message
    missing = dict(doc, content=[{"attachment": {"url": "attachment:sha256:" + "0" * 64}}])
    with pytest.raises(ValidationError):
        clinic.documents.content(missing)


def test_a_video_calls_record_shows_as_a_video_consult_with_its_duration_and_quality(store, pid):
    import time

    from media.call_records import save_call
    from media.session import CallStats, CallSummary

    sr = orders.request_consult(
        store, patient_id=pid, specialty="cardiology", priority="urgent", question="q",
        requester="李医生",
    )  # fmt: skip
    now = time.time()
    summary = CallSummary(sr["id"], "call-1", "clinic", now - 800, connected_at=now - 754,
                          ended_at=now)  # fmt: skip
    summary.samples = [CallStats(now - 10, 600.0, 650.0, 48.0, 0.4, 29.7, 2000)]
    from clinic_app.clinic import Clinic

    done = save_call(Clinic(store), sr["id"], summary, participants=[("clinic", "李医生")])
    assert done.changes.types == {"Encounter"}
    view = chart_view.open_chart_view(store, pid)
    (call,) = [e for e in view.timeline if e.title == "Video consult"]
    rows = {q: v for q, v, _choice in call.answers}
    assert rows["Duration"] == "12 min 34 s"
    assert rows["Taken part"] == "李医生"
    assert rows["Call quality"].startswith("29.7 fps · 650 kbit/s · RTT 48 ms")
