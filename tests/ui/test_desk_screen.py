"""The specialist's desk with real widgets over a real encrypted store: the worklist by urgency,
the case as sent (form answers, vitals, a document readable in memory), accepting with a reason
(a Task), writing the opinion, a prescription, a referral and booking a slot for the consult."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit

from clinic_app.records.patient import PatientInput
from clinic_app.services import desk, documents, orders, patients, visits
from ui.desk_screen import ActionDialog, DeskScreen, DocumentDialog
from ui.prescribe_dialog import PrescribeDialog
from ui.schedule_screen import BookDialog, at_hour

ANSWERS = {
    "chief_complaint": "胸闷两天",
    "history_present": "活动后加重。",
    "assessment": "胸痛待查",
    "plan": "请心内科会诊。",
}


def make_case(ui, tmp_path) -> tuple[str, dict, dict]:
    store = ui.store
    p, _ = patients.register(store, PatientInput("王", "小明", gender="male"))
    pid = p["id"]
    visit = visits.record_visit(
        store,
        patient_id=pid,
        kind="initial-visit",
        answers=ANSWERS,
        vitals={"systolic": 172, "diastolic": 104, "heart_rate": 88},
        start=datetime.now().astimezone() - timedelta(hours=2),
        practitioner="李医生",
    )
    note = tmp_path / "ecg-report.txt"
    note.write_text("ST elevation V1-V4", encoding="utf-8")
    doc = documents.attach_file(store, patient_id=pid, path=note, title="ECG report")
    supporting = [
        ("Encounter", visit.encounter["id"]),
        ("QuestionnaireResponse", visit.response["id"]),
        *[("Observation", o["id"]) for o in visit.observations],
        ("DocumentReference", doc["id"]),
    ]
    routine = orders.request_consult(
        store,
        patient_id=pid,
        specialty="dermatology",
        priority="routine",
        question="皮疹",
        requester="李医生",
        authored=datetime.now().astimezone() - timedelta(days=3),
    )
    stat = orders.request_consult(
        store,
        patient_id=pid,
        specialty="cardiology",
        priority="stat",
        question="胸痛，心电图ST段抬高，请会诊。",
        requester="李医生",
        supporting=supporting,
    )
    return pid, stat, routine


def open_dialog(ui, screen: DeskScreen, button) -> ActionDialog:
    before = set(screen.findChildren(ActionDialog))
    button.click()
    found = [d for d in screen.findChildren(ActionDialog) if d not in before and d.isVisible()]
    assert len(found) == 1
    return found[0]


def save(dialog: QDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()  # type: ignore[attr-defined]


def test_desk_shows_the_case_accepts_with_a_reason_and_writes_an_opinion(ui, qtbot, tmp_path):
    pid, stat, routine = make_case(ui, tmp_path)
    screen = DeskScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1200, 760)
    screen.show()
    ui.until(lambda: screen.table.rowCount() == 2, what="the worklist")
    assert [i.consult_id for i in screen.items] == [stat["id"], routine["id"]]
    assert screen.table.item(0, 0).text() == "STAT"
    assert not screen.accept_button.isEnabled()

    screen.table.selectRow(0)
    ui.until(lambda: screen.case is not None, what="the case")
    view = screen.view
    assert "王小明" in view.header.text()
    assert view.question.text() == "胸痛，心电图ST段抬高，请会诊。"
    visit = view.sent.topLevelItem(0)
    assert visit.text(0).startswith("Initial visit on")
    children = [visit.child(n).text(0) for n in range(visit.childCount())]
    assert children[0] == "Form answers"
    form = visit.child(0)
    assert "Chief complaint: 胸闷两天" in [form.child(n).text(0) for n in range(form.childCount())]
    assert "Systolic blood pressure: 172 mmHg (high)" in children
    document = view.sent.topLevelItem(1)
    assert document.text(0).startswith("ECG report (text/plain")
    assert ui.store.audit_entries(3)[0]["action"] == "consult.read"

    # The document is readable here, decrypted in memory.
    view.sent.itemDoubleClicked.emit(document, 0)
    ui.until(lambda: screen.findChildren(DocumentDialog), what="the document window")
    (reader,) = screen.findChildren(DocumentDialog)
    ui.until(lambda: isinstance(reader.area.widget(), QPlainTextEdit), what="the text")
    assert reader.area.widget().toPlainText() == "ST elevation V1-V4"  # type: ignore[attr-defined]
    assert ui.store.audit_entries(1)[0]["action"] == "attachment.open"
    reader.close()

    accept = open_dialog(ui, screen, screen.accept_button)
    accept.widgets["reason"].setPlainText("Will see the patient by video today.")  # type: ignore[attr-defined]
    save(accept)
    ui.until(lambda: accept.result() == QDialog.DialogCode.Accepted, what="the decision")
    (task,) = ui.store.find("Task")
    assert task["status"] == "accepted" and task["intent"] == "order"
    assert task["focus"] == {"reference": f"ServiceRequest/{stat['id']}"}
    assert task["for"] == {"reference": f"Patient/{pid}"}
    assert task["businessStatus"] == {"text": "accepted"}
    assert task["statusReason"] == {"text": "Will see the patient by video today."}
    ui.until(lambda: "Accepted by dr.ui" in view.answers.text(), what="the decision shown")
    assert screen.table.item(0, 3).text() == "Accepted"
    assert not screen.accept_button.isEnabled() and screen.decline_button.isEnabled()

    opinion = open_dialog(ui, screen, screen.opinion_button)
    save(opinion)  # empty: refused at its field
    ui.until(lambda: opinion.errors["conclusion"].isVisible())
    assert opinion.errors["conclusion"].text() == "Write the opinion."
    opinion.widgets["conclusion"].setPlainText("STEMI: transfer for primary PCI now.")  # type: ignore[attr-defined]
    save(opinion)
    ui.until(lambda: opinion.result() == QDialog.DialogCode.Accepted, what="the opinion")
    (report,) = ui.store.find("DiagnosticReport")
    assert report["conclusion"] == "STEMI: transfer for primary PCI now."
    assert report["basedOn"] == [{"reference": f"ServiceRequest/{stat['id']}"}]
    assert report["performer"] == [{"display": "dr.ui"}]
    ui.until(lambda: "Opinion (" in view.answers.text())
    # Answered, it stays on screen while it is the open case.
    assert screen.items[0].state == "answered" and screen.case is not None


def test_desk_prescribes_refers_books_and_declines(ui, qtbot, tmp_path):
    _pid, stat, _routine = make_case(ui, tmp_path)
    screen = DeskScreen(ui.session)
    qtbot.addWidget(screen)
    screen.show()
    ui.until(lambda: screen.table.rowCount() == 2)
    screen.select_consult(stat["id"])
    ui.until(lambda: screen.case is not None)

    # The desk prescribes through the same checked dialog as the clinic (formulary + checks).
    before_rx = set(screen.findChildren(PrescribeDialog))
    screen.prescribe_button.click()
    (rx,) = [d for d in screen.findChildren(PrescribeDialog) if d not in before_rx]
    assert rx.isVisible() and rx.based_on == stat["id"]
    ui.until(lambda: rx.replaces.count() > 0, what="the patient's current medicines")
    rx.choose("aspirin-100")
    rx.dosage.setText("每日一次，每次一片")
    ui.until(lambda: rx.checks.count() > 0, what="the checks")
    assert rx.sign_button.isEnabled() and not rx.warnings
    rx.sign_button.click()
    ui.until(lambda: rx.result() == QDialog.DialogCode.Accepted)
    (med,) = ui.store.find("MedicationRequest")
    assert med["basedOn"] == [{"reference": f"ServiceRequest/{stat['id']}"}]
    assert med["dispenseRequest"]["expectedSupplyDuration"]["value"] == 30
    assert med["medicationCodeableConcept"]["coding"][0]["code"] == "B01AC06"

    ref = open_dialog(ui, screen, screen.refer_button)
    ref.widgets["reason"].setPlainText("Primary PCI")  # type: ignore[attr-defined]
    save(ref)
    ui.until(lambda: ref.result() == QDialog.DialogCode.Accepted)
    referral = [r for r in ui.store.find("ServiceRequest") if r.get("basedOn")]
    assert len(referral) == 1 and referral[0]["performerType"]["coding"][0]["code"] == "cardiology"

    before = set(screen.findChildren(BookDialog))
    screen.book_button.click()
    (book,) = [d for d in screen.findChildren(BookDialog) if d not in before]
    day = date.today() + timedelta(days=1)
    book.day.setDate(book.day.date().fromString(day.isoformat(), "yyyy-MM-dd"))
    book.hour.setCurrentIndex(book.hour.findData(9))
    book.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    ui.until(lambda: book.result() == QDialog.DialogCode.Accepted)
    (appt,) = ui.store.find("Appointment")
    assert appt["basedOn"] == [{"reference": f"ServiceRequest/{stat['id']}"}]
    assert appt["start"] == at_hour(day, 9).isoformat(timespec="seconds")
    ui.until(lambda: "Slot booked" in screen.view.answers.text())

    decline = open_dialog(ui, screen, screen.decline_button)
    save(decline)
    ui.until(lambda: decline.errors["reason"].isVisible())
    assert decline.errors["reason"].text() == "Say why you decline the consult."
    decline.widgets["reason"].setPlainText("Needs the emergency department, not a consult.")  # type: ignore[attr-defined]
    save(decline)
    ui.until(lambda: decline.result() == QDialog.DialogCode.Accepted)
    (task,) = ui.store.find("Task")
    assert task["status"] == "rejected" and task["businessStatus"] == {"text": "declined"}
    assert [i.state for i in ui.call(desk.worklist, ui.store)] == ["new"]  # only the routine one


def test_specialty_filter(ui, qtbot, tmp_path):
    _pid, stat, routine = make_case(ui, tmp_path)
    screen = DeskScreen(ui.session)
    qtbot.addWidget(screen)
    screen.show()
    ui.until(lambda: screen.table.rowCount() == 2)
    screen.specialty.setCurrentIndex(screen.specialty.findData("dermatology"))
    ui.until(lambda: [i.consult_id for i in screen.items] == [routine["id"]])
    screen.specialty.setCurrentIndex(0)
    ui.until(lambda: len(screen.items) == 2)
    assert screen.items[0].consult_id == stat["id"]
