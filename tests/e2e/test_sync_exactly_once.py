"""Records made offline on two clinics and by a specialist arrive everywhere, exactly once,
through a real central process; clinics and specialties see only what is theirs."""

from __future__ import annotations

from datetime import datetime

from clinic_app.services import orders, visits


def record_visit(ws, patient_id):
    return visits.record_visit(
        ws.store, patient_id=patient_id, kind="follow-up",
        answers={"progress": "worse", "plan": "会诊"},
        vitals={"systolic": 172, "diastolic": 104, "heart_rate": 88},
        start=datetime.now().astimezone(), practitioner=f"dr.{ws.name}",
    )  # fmt: skip


def test_offline_records_arrive_everywhere_exactly_once(world):
    world.central.stop()  # the link is down while everyone works
    pa = world.a.add_patient("王", "小明", phone="13900001111")
    record_visit(world.a, pa["id"])
    consult_a = world.a.consult(pa["id"], "cardiology")
    pb = world.b.add_patient("李", "雷")
    consult_b = world.b.consult(pb["id"], "dermatology")

    offline = world.a.sync()
    assert offline.online is False and offline.pending == 7 and offline.last_error

    world.central.start()
    assert world.a.sync().pending == 0
    assert world.b.sync().pending == 0

    heart = world.specialist.sync()
    assert heart.online and heart.last_error is None
    s = world.specialist
    assert s.ids("ServiceRequest") == {consult_a["id"]}
    assert s.ids("Patient") == {pa["id"]}
    assert world.other_specialist.sync().last_error is None
    assert world.other_specialist.ids("ServiceRequest") == {consult_b["id"]}
    assert pa["id"] not in world.other_specialist.ids("Patient")

    opinion = orders.write_opinion(
        s.store, consult_id=consult_a["id"], conclusion="加用氢氯噻嗪12.5mg，两周后复诊。",
        author="dr.heart",
    )  # fmt: skip
    rx = orders.prescribe(
        s.store, patient_id=pa["id"], medication="氢氯噻嗪片 12.5mg", dosage="每日一次",
        requester="dr.heart", days=14, based_on=consult_a["id"],
    )  # fmt: skip
    assert s.sync().pending == 0

    status = world.a.sync()
    assert status.pulled == 2 and status.pending == 0
    assert world.a.ids("DiagnosticReport") == {opinion["id"]}
    assert world.a.ids("MedicationRequest") == {rx["id"]}
    got = world.a.store.get("DiagnosticReport", opinion["id"])
    assert got["conclusion"] == opinion["conclusion"]

    # Clinic B sees none of it; clinic A's second PC sees all of clinic A.
    world.b.sync()
    assert world.b.ids("Patient") == {pb["id"]}
    assert not world.b.ids("DiagnosticReport")
    world.a2.sync()
    assert world.a2.ids("Patient") == {pa["id"]}
    assert world.a2.ids("DiagnosticReport") == {opinion["id"]}
    assert len(world.a2.ids("Observation")) == 3

    # Syncing again moves nothing and duplicates nothing.
    for ws in (world.a, world.b, world.a2, world.specialist, world.other_specialist):
        again = ws.sync()
        assert again.pushed == 0 and again.pulled == 0 and again.pending == 0
    for ws in (world.a, world.a2):
        assert ws.store.count("Observation") == 3
        assert ws.store.count("DiagnosticReport") == 1
        assert ws.store.count("ServiceRequest") == 1


def test_draft_consult_reaches_the_specialist_only_when_sent(world):
    from clinic_app.services.writes import save

    p = world.a.add_patient("林", "芳")
    draft = orders.request_consult(
        world.a.store, patient_id=p["id"], specialty="cardiology", priority="routine",
        question="草稿", requester="dr.a", draft=True,
    )  # fmt: skip
    world.a.sync()
    world.specialist.sync()
    assert draft["id"] not in world.specialist.ids("ServiceRequest")
    assert p["id"] not in world.specialist.ids("Patient")
    sent = world.a.store.get("ServiceRequest", draft["id"])
    sent["status"] = "active"
    save(world.a.store, sent)
    world.a.sync()
    world.specialist.sync()
    assert draft["id"] in world.specialist.ids("ServiceRequest")
    assert p["id"] in world.specialist.ids("Patient")
