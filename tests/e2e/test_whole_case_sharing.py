"""The specialist sees only what the clinic ticks, through a real central process: the ticked
problem, allergy, prescription, medicine taken elsewhere, visit and vitals reach the
specialist's desk as the whole case; an unticked record of the same patient does not."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from clinic_app.clinic import Clinic
from clinic_app.services import chart_view, desk, visits


def test_ticked_records_reach_the_specialist_and_unticked_ones_do_not(world):
    a = world.a
    clinic = Clinic(a.store)
    pid = a.add_patient("王", "小明", gender="male", birth_date=date(1958, 4, 12))["id"]
    now = datetime.now().astimezone()
    old, new = (
        visits.record_visit(
            a.store,
            patient_id=pid,
            kind="follow-up",
            answers={"progress": "worse", "plan": "会诊"},
            vitals={"systolic": sys_, "diastolic": 96},
            start=now - timedelta(days=days),
            practitioner="dr.a",
        )
        for days, sys_ in ((30, 170), (1, 150))
    )
    hypertension = clinic.problems.add(patient_id=pid, code="I10", recorder="dr.a").value
    diabetes = clinic.problems.add(patient_id=pid, code="E11.9", recorder="dr.a").value
    allergy = clinic.allergies.record(patient_id=pid, substance="青霉素", recorder="dr.a").value
    rx = clinic.medications.prescribe(
        patient_id=pid, formulary_id="amlodipine-10", dosage="每日一次", requester="dr.a", days=30
    ).value
    taken = clinic.medications.record_taken(patient_id=pid, recorded_by="dr.a",
                                            formulary_id="metformin-500").value  # fmt: skip
    ticked = [
        ("Condition", hypertension["id"]),
        ("AllergyIntolerance", allergy["id"]),
        ("MedicationRequest", rx["id"]),
        ("MedicationStatement", taken["id"]),
        ("Encounter", new.encounter["id"]),
        ("QuestionnaireResponse", new.response["id"]),
        *[("Observation", o["id"]) for o in new.observations],
    ]
    asked = chart_view.ask_specialist(
        a.store, patient_id=pid, specialty="cardiology", priority="urgent",
        question="血压控制不佳，请会诊。", requester="dr.a", supporting=ticked,
    )  # fmt: skip
    assert a.sync_until_quiet().pending == 0

    s = world.specialist
    assert s.sync_until_quiet().last_error is None
    for rtype, rid in ticked:
        assert rid in s.ids(rtype), rtype
    # Not ticked: the other problem, the older visit and its vitals.
    assert diabetes["id"] not in s.ids("Condition")
    assert old.encounter["id"] not in s.ids("Encounter")
    assert not {o["id"] for o in old.observations} & s.ids("Observation")
    assert s.ids("Condition") == {hypertension["id"]}
    assert s.ids("Encounter") == {new.encounter["id"]}
    # Another specialty sees none of it.
    world.other_specialist.sync_until_quiet()
    assert not world.other_specialist.ids("Condition")
    assert pid not in world.other_specialist.ids("Patient")

    case = desk.case(s.store, asked.request["id"])
    assert [c["id"] for c in case.problems] == [hypertension["id"]]
    assert {m["id"] for m in case.medications} == {rx["id"], taken["id"]}
    assert [x["id"] for x in case.allergies] == [allergy["id"]]
    assert case.trends["systolic"].values == [150]
    assert all(i.resource is not None for i in case.supporting)
