"""The chart's "Join call" button with real widgets: a consult whose time is only proposed
says why it cannot be joined yet; once a slot is booked the button joins that consult's call
(the signal the workspace connects to the call launcher)."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtWidgets import QMessageBox

from clinic_app.records.patient import PatientInput
from clinic_app.services import patients, schedule
from ui.chart_screen import ChartScreen


def _select_consult(ui, screen: ChartScreen, consult_id: str) -> None:
    timeline = screen.timeline_panel

    def found() -> bool:
        for n in range(timeline.timeline.topLevelItemCount()):
            item = timeline.timeline.topLevelItem(n)
            entry = timeline.entries[item.data(0, 256)]
            if entry.kind == "consult" and entry.resource["id"] == consult_id:
                timeline.timeline.setCurrentItem(item)
                return True
        return False

    ui.until(found, what="the consult in the timeline")


def test_join_explains_a_proposed_slot_then_joins_the_booked_call(qtbot, ui):
    p, _ = patients.register(ui.store, PatientInput("王", "小明", gender="male"))
    pid = str(p["id"])
    start = (datetime.now().astimezone() + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    asked = ui.session.clinic.consults.ask(
        patient_id=pid, specialty="cardiology", priority="urgent", question="请会诊",
        requester="李医生", slots=[start],
    ).value  # fmt: skip
    consult_id = str(asked.request["id"])
    screen = ChartScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1200, 800)
    screen.show()
    joined: list[tuple[str, str, str]] = []
    screen.join_call.connect(lambda *args: joined.append(args))
    screen.show_patient(pid)
    ui.until(lambda: screen.view is not None, what="the chart loaded")
    _select_consult(ui, screen, consult_id)
    assert screen.join_button.isEnabled()
    screen.join_button.click()
    note = screen.join_prompt
    assert isinstance(note, QMessageBox) and note.objectName() == "call-not-joinable"
    assert "only proposed" in note.text() and joined == []
    note.close()

    # The specialist books the hour (arrives by sync): now the call can be joined.
    schedule.book(ui.store, patient_id=pid, start=start + timedelta(hours=1),
                  practitioner="专家门诊", description="远程会诊", based_on=consult_id)  # fmt: skip
    screen.show_patient(pid)
    ui.until(lambda: any(a.get("status") == "booked" for e in screen.view.timeline
                         for a in e.slots), what="the booked slot")  # fmt: skip
    _select_consult(ui, screen, consult_id)
    screen.join_prompt = None
    screen.join_button.click()
    assert joined == [(consult_id, pid, "王小明")]
    assert screen.join_prompt is None
