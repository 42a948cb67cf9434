"""End to end through a real central platform on loopback: a clinic sends a consult with a
visit; the specialist signs in from the settings screen, the consult arrives on the desk with
what was sent, the specialist accepts it, books a slot and writes the opinion from the desk;
the central platform accepts every one of those records (its authorization only lets a
specialist write records based on a consult they can see), and after the clinic syncs, its
chart shows the consult answered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import QDate, QSettings, QStandardPaths
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from clinic_app.services import visits
from clinic_app.services.chart_view import consult_statuses
from tests.e2e.workstation import Workstation
from tests.support.central_proc import CentralProcess
from ui.desk_screen import ActionDialog, DeskScreen
from ui.schedule_screen import BookDialog
from ui.settings_screen import SettingsScreen

PASSWORD = "specialist-password-1"
ANSWERS = {
    "chief_complaint": "胸闷两天",
    "history_present": "活动后加重。",
    "assessment": "胸痛待查",
    "plan": "请心内科会诊。",
}


@pytest.fixture
def settings_folder(tmp_path):
    fmt, scope = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(tmp_path / "settings"))
    yield
    home = QStandardPaths.StandardLocation.GenericConfigLocation
    QSettings.setPath(fmt, scope, QStandardPaths.writableLocation(home))


async def wait_for(predicate: Callable[[], object], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def new_dialog(screen: DeskScreen, button, kind: type = ActionDialog) -> QDialog:
    before = set(screen.findChildren(kind))
    button.click()
    (dialog,) = [d for d in screen.findChildren(kind) if d not in before]
    return dialog


async def submit(dialog: QDialog, what: str) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()  # type: ignore[attr-defined]
    await wait_for(lambda: dialog.result() == QDialog.DialogCode.Accepted, what)


@pytest.mark.slow
def test_specialist_answers_from_the_desk_reach_the_clinic(ui, qtbot, tmp_path, settings_folder):
    central = CentralProcess(
        f"sqlite:///{tmp_path / 'central.db'}", log_path=tmp_path / "central.log"
    )
    central.start()
    clinic = Workstation(tmp_path, "clinic")
    try:
        clinic_id = central.add_clinic("Hill Clinic")
        central.add_user("dr.heart", PASSWORD, "specialist", specialties=("cardiology",))
        clinic.enroll(central.url, central.enrollment_code(clinic_id))
        patient = clinic.add_patient("王", "小明", gender="male")
        visit = visits.record_visit(
            clinic.store,
            patient_id=patient["id"],
            kind="initial-visit",
            answers=ANSWERS,
            vitals={"systolic": 172, "diastolic": 104},
            start=datetime.now().astimezone() - timedelta(hours=1),
            practitioner="李医生",
        )
        consult = clinic.consult(patient["id"])
        consult["supportingInfo"] = [
            {"reference": f"Encounter/{visit.encounter['id']}"},
            {"reference": f"QuestionnaireResponse/{visit.response['id']}"},
            *[{"reference": f"Observation/{o['id']}"} for o in visit.observations],
        ]
        clinic.store.put(consult, patient_id=patient["id"])
        settings = SettingsScreen(ui.session)
        desk = DeskScreen(ui.session)
        for w in (settings, desk):
            qtbot.addWidget(w)
        ui.run(scenario(ui, clinic, central.url, settings, desk, consult), timeout=120)
    finally:
        clinic.close()
        central.stop()


async def scenario(ui, clinic, url, settings, desk, consult) -> None:
    clinic_engine = clinic.engine()
    try:
        sent = await clinic_engine.sync_once()
        assert sent.last_error is None and sent.pending == 0

        settings.server.setText(url)
        settings.username.setText("dr.heart")
        settings.password.setText(PASSWORD)
        assert await settings.login() is True
        assert settings.password.text() == ""  # not kept
        status = await ui.session.sync_now()
        assert status is not None and status.last_error is None, status

        desk.show()
        await wait_for(lambda: [i.consult_id for i in desk.items] == [consult["id"]], "worklist")
        desk.table.selectRow(0)
        await wait_for(lambda: desk.case is not None, "the case")
        sent_with = desk.view.sent.topLevelItem(0)
        assert sent_with.text(0).startswith("Initial visit on")
        assert sent_with.childCount() == 3  # the form and two vitals, as the clinic sent them

        accept = new_dialog(desk, desk.accept_button)
        accept.widgets["reason"].setPlainText("今天下午视频会诊。")
        await submit(accept, "the acceptance")
        book = new_dialog(desk, desk.book_button, BookDialog)
        tomorrow = date.today() + timedelta(days=1)
        book.day.setDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
        await submit(book, "the booking")
        opinion = new_dialog(desk, desk.opinion_button)
        opinion.widgets["conclusion"].setPlainText("建议加用利尿剂，两周后复查血压。")
        await submit(opinion, "the opinion")

        pushed = await ui.session.sync_now()
        assert pushed is not None and pushed.last_error is None, pushed
        assert pushed.errors == 0 and pushed.pending == 0, pushed.error_reasons

        got = await clinic_engine.sync_once()
        assert got.last_error is None
        (task,) = clinic.store.find("Task")
        assert task["businessStatus"] == {"text": "accepted"}
        assert task["statusReason"] == {"text": "今天下午视频会诊。"}
        (report,) = clinic.store.find("DiagnosticReport")
        assert report["conclusion"] == "建议加用利尿剂，两周后复查血压。"
        assert len(clinic.store.find("Appointment")) == 1
        assert consult_statuses(clinic.store, [consult]) == {consult["id"]: "answered"}
    finally:
        clinic_engine.close()
        await ui.session.stop_sync()
