"""The whole case with real widgets: the wizard ticks active problems, current medicines,
allergies, recent visits and vitals by default; what is unticked is not sent; the desk's case
view shows the summary, the vitals trends (the chart's plots), the visits and the conversation."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt

from clinic_app.records.patient import PatientInput
from clinic_app.services import patients, visits
from ui.consult_wizard import ConsultWizard
from ui.desk_screen import DeskScreen


def _patient(ui) -> str:
    clinic, store = ui.session.clinic, ui.store
    p, _ = patients.register(store, PatientInput("王", "小明", gender="male"))
    pid = str(p["id"])
    now = datetime.now().astimezone()
    for days, sys_ in ((40, 168), (20, 158), (2, 150)):
        visits.record_visit(
            store, patient_id=pid, kind="follow-up",
            answers={"progress": "worse", "plan": "会诊"},
            vitals={"systolic": sys_, "diastolic": 96, "heart_rate": 80, "weight": 70},
            start=now - timedelta(days=days), practitioner="李医生",
        )  # fmt: skip
    clinic.problems.add(patient_id=pid, code="I10", recorder="李医生")
    clinic.problems.add(patient_id=pid, code="E11.9", recorder="李医生")
    clinic.allergies.record(patient_id=pid, substance="青霉素", recorder="李医生",
                            reaction="皮疹", criticality="high")  # fmt: skip
    clinic.medications.prescribe(patient_id=pid, formulary_id="amlodipine-10",
                                 dosage="每日一次", requester="李医生", days=30)  # fmt: skip
    clinic.medications.record_taken(patient_id=pid, recorded_by="李医生",
                                    formulary_id="metformin-500", dosage="每日两次")  # fmt: skip
    return pid


def test_wizard_sends_the_ticked_summary_and_the_desk_shows_the_whole_case(qtbot, ui):
    pid = _patient(ui)
    screen = DeskScreen(ui.session)  # open first: the wizard closing is not the last window
    qtbot.addWidget(screen)
    screen.resize(1280, 900)
    screen.show()
    view = ui.session.clinic.patients.chart_view(pid)
    wizard = ConsultWizard(ui.session, view, screen)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.request_page.question.setPlainText("血压控制不佳，请会诊。")
    wizard.next()
    support = wizard.support_page
    assert wizard.currentPage() is support
    ticked = Qt.CheckState.Checked
    for box, count in ((support.problems, 2), (support.medicines, 2), (support.allergies, 1),
                       (support.visits, 3), (support.vitals, 3)):  # fmt: skip
        assert box.count() == count
        assert all(box.item(n).checkState() == ticked for n in range(count))
    assert any("I10" in support.problems.item(n).text() for n in range(2))
    # The clinic keeps control: the diabetes problem and the oldest vitals stay here.
    diabetes = next(n for n in range(2) if "E11.9" in support.problems.item(n).text())
    support.problems.item(diabetes).setCheckState(Qt.CheckState.Unchecked)
    support.vitals.item(2).setCheckState(Qt.CheckState.Unchecked)
    sent = support.supporting()
    unticked = {support.problems.item(diabetes).data(Qt.ItemDataRole.UserRole)[0]}
    unticked |= {tuple(r) for r in support.vitals.item(2).data(Qt.ItemDataRole.UserRole)}
    assert not unticked & set(sent)
    wizard.next()
    wizard.next()
    assert "1 problem(s), 2 medicine(s), 1 allergy record(s)" in wizard.review_page.summary.text()
    wizard.accept()
    ui.until(lambda: wizard.result_request is not None, what="the request stored")
    consult_id = str(wizard.result_request.request["id"])

    ui.until(lambda: screen.table.rowCount() == 1, what="the request on the worklist")
    screen.select_consult(consult_id)
    ui.until(lambda: screen.case is not None, what="the case loaded")
    case_view = screen.view
    assert "I10" in case_view.problems.text() and "E11.9" not in case_view.problems.text()
    assert "苯磺酸氨氯地平片" in case_view.medicines.text()
    assert "prescribed elsewhere" in case_view.medicines.text()
    assert "青霉素" in case_view.allergies.text() and "皮疹" in case_view.allergies.text()
    # Trends drawn from the two vitals sets sent (not the unticked oldest one).
    trends = screen.case.trends
    assert trends["systolic"].values == [158, 150]
    assert case_view.trends.readings_shown == 8  # 2 × (systolic, diastolic, HR, weight)
    assert case_view.sent.topLevelItemCount() == 3  # the three visits
    assert "血压控制不佳，请会诊。" in case_view.answers.text()
    assert "Not accepted or declined yet." in case_view.answers.text()
    assert case_view.split.isVisible() and case_view.summary.isVisible()
