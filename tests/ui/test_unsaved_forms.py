"""Closing a form with unsaved input asks Save / Discard / Cancel: the visit form (typed
vitals), the patient form and the consult wizard. Cancel keeps every field, Discard closes
and stores nothing, Save stores and closes; a form with nothing typed closes at once."""

from __future__ import annotations

import functools

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QPlainTextEdit, QWizard

from clinic_app.records.patient import PatientInput
from ui.consult_wizard import ConsultWizard
from ui.patient_form import PatientForm
from ui.visit_screen import VisitDialog
from ui.widgets import UnsavedGuard


@pytest.fixture(autouse=True)
def keep_running_when_the_form_closes(qapp):
    """The form is the only window here (in the app, the main window stays open)."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


def register(ui) -> dict:
    data = PatientInput("李", "秀英", gender="female")
    return ui.run(ui.session.write(ui.session.clinic.patients.register, data))


def shown(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def question(ui, guard: UnsavedGuard):
    ui.until(lambda: guard.box is not None and guard.box.isVisible(), what="the question")
    return guard.box


def answer(qtbot, ui, guard: UnsavedGuard, which: str) -> None:
    box = question(ui, guard)
    button = {"save": guard.save_button, "discard": guard.discard_button}.get(which)
    if which == "cancel":
        qtbot.keyClick(box, Qt.Key.Key_Escape)
    else:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    ui.until(lambda: guard.box is None, what="the question to close")


def visits(ui, pid: str) -> list:
    return ui.call(functools.partial(ui.store.find, "Encounter", patient_id=pid))


def test_visit_form_with_typed_vitals_asks_and_cancel_keeps_them(qtbot, ui):
    patient = register(ui)
    dialog = shown(qtbot, VisitDialog(ui.session, patient, kind="follow-up"))
    dialog.vitals["systolic"].edit.setFocus()
    qtbot.keyClicks(dialog.vitals["systolic"].edit, "150")
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert "Save" in question(ui, dialog.guard).text()
    answer(qtbot, ui, dialog.guard, "cancel")
    assert dialog.isVisible() and dialog.vitals["systolic"].text() == "150"
    # Escape asks too; Discard closes and stores nothing.
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    answer(qtbot, ui, dialog.guard, "discard")
    ui.until(lambda: not dialog.isVisible(), what="the form to close")
    assert visits(ui, patient["id"]) == []


def test_visit_form_save_from_the_question_stores_the_visit(qtbot, ui):
    patient = register(ui)
    dialog = shown(qtbot, VisitDialog(ui.session, patient, kind="follow-up"))
    qtbot.keyClicks(dialog.vitals["systolic"].edit, "150")
    qtbot.keyClicks(dialog.vitals["diastolic"].edit, "95")
    progress, plan = dialog.answers["progress"], dialog.answers["plan"]
    assert isinstance(progress, QComboBox) and isinstance(plan, QPlainTextEdit)
    progress.setCurrentIndex(1)  # the follow-up form's required answers
    qtbot.keyClicks(plan, "Continue")
    dialog.close()  # the title bar's close
    answer(qtbot, ui, dialog.guard, "save")
    ui.until(lambda: not dialog.isVisible(), what="the form to close after saving")
    assert len(visits(ui, patient["id"])) == 1


def test_visit_form_with_nothing_typed_closes_at_once(qtbot, ui):
    dialog = shown(qtbot, VisitDialog(ui.session, register(ui)))
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and dialog.guard.box is None


def test_visit_form_save_with_an_invalid_value_stays_open(qtbot, ui):
    patient = register(ui)
    dialog = shown(qtbot, VisitDialog(ui.session, patient, kind="follow-up"))
    qtbot.keyClicks(dialog.vitals["systolic"].edit, "999")
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    answer(qtbot, ui, dialog.guard, "save")
    ui.settle(0.2)
    assert dialog.isVisible() and dialog.vital_errors["systolic"].text()
    assert visits(ui, patient["id"]) == []


def test_patient_form_asks_and_save_registers(qtbot, ui):
    form = shown(qtbot, PatientForm(ui.session))
    form.family.setText("赵")  # what an input method commits (QTest types no Han)
    form.given.setText("丽")
    form.reject()  # Cancel
    answer(qtbot, ui, form.guard, "cancel")
    assert form.isVisible() and form.family.text() == "赵"
    form.reject()
    answer(qtbot, ui, form.guard, "save")
    ui.until(lambda: not form.isVisible(), what="the form to close")
    assert [p["name"][0]["text"] for p in ui.call(ui.session.clinic.patients.search, "赵丽")] == [
        "赵丽"
    ]


def test_patient_form_unchanged_edit_closes_at_once(qtbot, ui):
    form = shown(qtbot, PatientForm(ui.session, existing=register(ui)))
    form.buttons.rejected.emit()
    assert not form.isVisible()


def test_consult_wizard_asks_and_save_keeps_a_draft(qtbot, ui):
    patient = register(ui)
    view = ui.call(ui.session.clinic.patients.chart_view, patient["id"])
    wizard = shown(qtbot, ConsultWizard(ui.session, view))
    qtbot.keyClicks(wizard.request_page.question, "BP stays high; please advise.")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CancelButton), Qt.MouseButton.LeftButton)
    answer(qtbot, ui, wizard.guard, "save")
    ui.until(lambda: not wizard.isVisible(), what="the wizard to close")
    requests = ui.call(functools.partial(ui.store.find, "ServiceRequest", patient_id=patient["id"]))
    assert [r["status"] for r in requests] == ["draft"]
