"""Keyboard use: Tab walks every form in reading order and reaches every input; the control
with the focus is framed; buttons showing only a symbol carry an accessible name."""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QToolButton, QWidget

from clinic_app.records.patient import PatientInput
from ui.patient_form import PatientForm
from ui.patients_screen import PatientsScreen
from ui.schedule_screen import ScheduleScreen
from ui.text_size import FOCUS_STYLE, apply_text_size
from ui.visit_screen import VisitDialog


def tab_walk(qtbot, window: QWidget, first: QWidget, steps: int) -> list[QWidget]:
    """The widgets the focus visits from ``first`` pressing Tab ``steps`` times."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    first.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(first.hasFocus)
    seen = [first]
    for _ in range(steps):
        focused = QApplication.focusWidget()
        assert focused is not None, "the focus never leaves the window"
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    return seen


def test_tab_walks_the_visit_form_in_reading_order(qtbot, ui):
    data = PatientInput("李", "秀英", gender="female")
    patient = ui.run(ui.session.write(ui.session.clinic.patients.register, data))
    dialog = VisitDialog(ui.session, patient, kind="initial-visit")
    qtbot.addWidget(dialog)
    dialog.show()
    answers = list(dialog.answers.values())
    edits = [f.edit for f in dialog.vitals.values()]
    seen = tab_walk(qtbot, dialog, dialog.kind, 60)
    order = [seen.index(w) if w in seen else -1 for w in (*answers, *edits, dialog.save_button)]
    assert -1 not in order, "Tab reaches every question, every vital and Save"
    assert order == sorted(order), "questions, then vitals, then the buttons"
    assert seen.index(answers[0]) < seen.index(edits[0]) < seen.index(dialog.close_button)


def test_tab_walks_the_patient_form_top_to_bottom(qtbot, ui):
    form = PatientForm(ui.session)
    qtbot.addWidget(form)
    form.show()
    fields = [
        *(form.family, form.given, form.latin_family, form.latin_given, form.gender, form.birth),
        *(form.resident_id, form.phone, form.province, form.city, form.district, form.line),
    ]
    seen = tab_walk(qtbot, form, form.family, 20)
    positions = [seen.index(w) for w in fields]
    assert positions == sorted(positions)
    assert any(w is not None and w.parent() is form.buttons for w in seen), "then the buttons"
    # A typed birth date is stepped through (year, month, day) and then left as well.
    form.birth.setDate(QDate(1958, 3, 14))
    seen = tab_walk(qtbot, form, form.birth, 6)
    assert form.resident_id in seen


def test_the_focused_control_is_framed(qtbot, ui, qapp):
    sheet = qapp.styleSheet()
    try:
        apply_text_size(qapp, 0)
        assert FOCUS_STYLE in qapp.styleSheet()
        screen = PatientsScreen(ui.session)
        qtbot.addWidget(screen)
        screen.show()
        plain = screen.add_button.grab().toImage()
        screen.add_button.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(screen.add_button.hasFocus)
        framed = screen.add_button.grab().toImage()
        assert plain != framed, "the focus changes how the button looks"
    finally:
        qapp.setStyleSheet(sheet)


def test_buttons_without_words_have_accessible_names(qtbot, ui):
    for screen in (PatientsScreen(ui.session), ScheduleScreen(ui.session)):
        qtbot.addWidget(screen)
        for button in screen.findChildren(QAbstractButton):
            if not (button.isVisibleTo(screen) and button.isEnabled()):
                continue
            words = any(ch.isalnum() for ch in button.text())
            assert words or button.accessibleName(), (type(screen).__name__, button.text())
    schedule = screen
    assert schedule.prev_button.accessibleName() == "Previous day or week"
    assert PatientsScreen(ui.session).search.findChild(QToolButton).accessibleName()
