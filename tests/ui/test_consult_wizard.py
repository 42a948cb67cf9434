"""The consult wizard with real widgets: a request with the ticked visits, vitals and
attachments as supportingInfo and the proposed one-hour slots as Appointments; a draft that is
sent later from the chart; and the consult's status shown in the chart."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWizard

from clinic_app.records.common import ref
from clinic_app.records.patient import PatientInput
from clinic_app.services import documents, patients, visits
from ui.chart_screen import ChartScreen
from ui.consult_wizard import ConsultWizard

ANSWERS = {
    "chief_complaint": "胸闷",
    "history_present": "两周",
    "assessment": "待查",
    "plan": "会诊",
}


def patient_with_history(ui, tmp_path: Path) -> tuple[str, list, dict]:
    res, _ = ui.call(patients.register, ui.store, PatientInput("张", "伟", gender="male"))
    pid = res["id"]
    now = datetime.now().astimezone()
    made = []
    for n, days in enumerate((60, 30, 2)):
        made.append(
            ui.call(
                lambda d=days, n=n: visits.record_visit(
                    ui.store,
                    patient_id=pid,
                    kind="initial-visit" if n == 0 else "follow-up",
                    answers=ANSWERS if n == 0 else {"progress": "worse", "plan": "会诊"},
                    vitals={"systolic": 165 + n, "diastolic": 100, "heart_rate": 88},
                    start=now - timedelta(days=d),
                    practitioner="李医生",
                )
            )
        )
    image = QImage(320, 200, QImage.Format.Format_RGB32)
    image.fill(QColor("black"))
    image.save(str(tmp_path / "ecg.png"))
    doc = ui.call(
        lambda: documents.attach_file(
            ui.store, patient_id=pid, path=tmp_path / "ecg.png", kind="photo"
        )
    )
    return pid, made, doc


def open_wizard(qtbot, ui, pid: str) -> tuple[ChartScreen, ConsultWizard]:
    screen = ChartScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1280, 800)
    screen.show()
    loads = []
    screen.loaded.connect(loads.append)
    screen.show_patient(pid)
    ui.until(lambda: loads, what="the chart to load")
    qtbot.mouseClick(screen.consult_button, Qt.MouseButton.LeftButton)
    wizard = screen.consult_wizard
    assert wizard.isVisible()
    return screen, wizard


def next_page(qtbot, wizard: QWizard) -> None:
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)


def test_the_wizard_sends_a_request_with_supporting_records_and_proposed_slots(qtbot, ui, tmp_path):
    pid, made, doc = patient_with_history(ui, tmp_path)
    screen, wizard = open_wizard(qtbot, ui, pid)
    page = wizard.request_page
    # The question is required: Next stays on the first page and says so next to the field.
    next_page(qtbot, wizard)
    assert wizard.currentPage() is page
    assert page.errors["reason"].text() == "Write the question for the specialist."
    page.specialty.setFocus()
    while page.specialty.currentData() != "cardiology":
        qtbot.keyClick(page.specialty, Qt.Key.Key_Down)
    page.priority.setFocus()
    qtbot.keyClick(page.priority, Qt.Key.Key_Down)
    assert page.priority.currentData() == "urgent"
    page.question.setFocus()
    qtbot.keyClicks(page.question, "BP stays 165/100 on three drugs. Please advise.")
    assert not page.errors["reason"].isVisible()
    next_page(qtbot, wizard)
    support = wizard.support_page
    assert wizard.currentPage() is support
    # The newest visits (3) and vitals sets (6) are ticked by default, attachments are not:
    # tick the ECG photo, untick the middle visit and the older vitals.
    assert support.visits.count() == 3 and support.vitals.count() == 3
    assert support.files.count() == 1
    ticked = [Qt.CheckState.Checked] * 3
    assert [support.visits.item(n).checkState() for n in range(3)] == ticked
    assert [support.vitals.item(n).checkState() for n in range(3)] == ticked
    assert support.files.item(0).checkState() == Qt.CheckState.Unchecked
    assert "BP 167/100 (High)" in support.vitals.item(0).text()
    support.files.item(0).setCheckState(Qt.CheckState.Checked)
    support.visits.item(1).setCheckState(Qt.CheckState.Unchecked)
    for n in (1, 2):
        support.vitals.item(n).setCheckState(Qt.CheckState.Unchecked)
    next_page(qtbot, wizard)
    slots = wizard.slots_page
    assert wizard.currentPage() is slots
    check, edit = slots.rows[1]
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton, pos=QPoint(8, check.height() // 2))
    assert check.isChecked() and edit.isEnabled()
    chosen = slots.slots()
    assert len(chosen) == 2 and all(
        s.minute == 0 and s > datetime.now().astimezone() for s in chosen
    )
    next_page(qtbot, wizard)
    assert wizard.currentPage() is wizard.review_page
    assert "Cardiology" in wizard.review_page.summary.text()
    assert "2 visit(s), 3 vital sign reading(s), 1 attachment(s)" in (
        wizard.review_page.summary.text()
    )
    before = ui.store.counts()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    ui.until(lambda: wizard.result_request is not None, what="the request to be stored")
    sr = ui.store.get("ServiceRequest", wizard.result_request.request["id"])
    assert sr["status"] == "active" and sr["priority"] == "urgent"
    assert sr["performerType"]["coding"][0]["code"] == "cardiology"
    assert sr["reasonCode"] == [{"text": "BP stays 165/100 on three drugs. Please advise."}]
    newest, oldest = made[-1], made[0]
    expected = [
        ref("Encounter", newest.encounter["id"]),
        ref("QuestionnaireResponse", newest.response["id"]),
        ref("Encounter", oldest.encounter["id"]),
        ref("QuestionnaireResponse", oldest.response["id"]),
        *[ref("Observation", o["id"]) for o in newest.observations],
        ref("DocumentReference", doc["id"]),
    ]
    assert sorted(sr["supportingInfo"], key=str) == sorted(expected, key=str)
    appts = ui.store.find("Appointment", patient_id=pid)
    assert len(appts) == 2
    assert {a["status"] for a in appts} == {"proposed"}
    assert {a["basedOn"][0]["reference"] for a in appts} == {f"ServiceRequest/{sr['id']}"}
    assert sorted(datetime.fromisoformat(a["start"]) for a in appts) == sorted(chosen)
    after = ui.store.counts()
    assert after["ServiceRequest"] == before.get("ServiceRequest", 0) + 1
    # The chart shows the consult with its status: queued offline until the sync sends it.
    ui.until(
        lambda: any(
            screen.timeline.topLevelItem(n).text(1) == "Consult request"
            for n in range(screen.timeline.topLevelItemCount())
        )
    )
    row = next(
        screen.timeline.topLevelItem(n)
        for n in range(screen.timeline.topLevelItemCount())
        if screen.timeline.topLevelItem(n).text(1) == "Consult request"
    )
    assert row.text(3) == "Queued offline"
    assert "Cardiology" in row.text(2)


def test_a_draft_is_kept_then_sent_from_the_chart(qtbot, ui, tmp_path):
    pid, _made, _doc = patient_with_history(ui, tmp_path)
    screen, wizard = open_wizard(qtbot, ui, pid)
    qtbot.keyClicks(wizard.request_page.question, "Please review the ECG")
    draft_button = wizard.button(QWizard.WizardButton.CustomButton1)
    assert draft_button.text() == "Save as draft"
    loads = []
    screen.loaded.connect(loads.append)
    qtbot.mouseClick(draft_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: wizard.result_request is not None, what="the draft to be stored")
    sr = wizard.result_request.request
    assert ui.store.get("ServiceRequest", sr["id"])["status"] == "draft"
    assert sr["supportingInfo"] == []  # the "what to include" page was never shown
    # saved before the slots page was shown: no slot is proposed behind the user's back
    assert ui.store.find("Appointment", patient_id=pid) == []
    ui.until(lambda: loads)
    entry = next(
        n
        for n in range(screen.timeline.topLevelItemCount())
        if screen.timeline.topLevelItem(n).text(1) == "Consult request"
    )
    screen.timeline.setCurrentItem(screen.timeline.topLevelItem(entry))
    assert screen.timeline.topLevelItem(entry).text(3) == "Draft (not sent)"
    assert screen.send_draft_button.isVisible()
    loads.clear()
    qtbot.mouseClick(screen.send_draft_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: loads, what="the chart to reload after sending")
    assert ui.store.get("ServiceRequest", sr["id"])["status"] == "active"
    item = screen.timeline.currentItem()
    assert item.text(3) == "Queued offline"
    assert not screen.send_draft_button.isVisible()


def test_a_slot_in_the_past_is_refused_on_its_page(qtbot, ui, tmp_path):
    pid, _made, _doc = patient_with_history(ui, tmp_path)
    _screen, wizard = open_wizard(qtbot, ui, pid)
    qtbot.keyClicks(wizard.request_page.question, "?")
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    _check, edit = wizard.slots_page.rows[0]
    edit.setDateTime(edit.dateTime().addDays(-3))
    before = ui.store.counts()
    next_page(qtbot, wizard)
    assert wizard.currentPage() is wizard.slots_page
    assert wizard.slots_page.error.text() == "A proposed slot must be in the future."
    assert ui.store.counts() == before
