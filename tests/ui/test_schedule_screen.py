"""The schedule screen with real widgets over a real encrypted store: a slot booked through the
dialog (patient found by search) appears in the day view; booking the same hour for the same
doctor again is refused with the message shown in the dialog; a due follow-up is marked done."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from clinic_app.records import schedule as sched
from clinic_app.records.patient import PatientInput
from clinic_app.services import patients
from clinic_app.services import schedule as schedule_service
from clinic_app.services.writes import save_all
from ui.schedule_screen import OVERDUE_COLOR, BookDialog, ScheduleScreen, at_hour


def register(ui, family: str, given: str) -> str:
    res, _ = ui.call(patients.register, ui.store, PatientInput(family, given, gender="male"))
    return str(res["id"])


def book_through_dialog(ui, dialog: BookDialog, search: str) -> None:
    assert dialog.picker is not None
    dialog.picker.search.setText(search)
    ui.until(lambda: dialog.picker.results.count() > 0, what="search results")
    dialog.description.setText("复诊 follow-up")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def test_book_a_slot_see_it_in_the_day_view_and_double_booking_is_refused(ui, qtbot):
    pid = register(ui, "王", "小明")
    register(ui, "张", "伟")
    day = date.today() + timedelta(days=2)
    screen = ScheduleScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1100, 700)
    screen.show()
    screen.day_button.click()
    screen.go_to(day)
    ui.until(lambda: screen.days == [day], what="the day view")
    assert screen.cell_text(day, 10) == ""

    dialog = screen.book_dialog(at_hour(day, 10))
    qtbot.addWidget(dialog)
    dialog.show()
    book_through_dialog(ui, dialog, "王")
    ui.until(lambda: dialog.result() == QDialog.DialogCode.Accepted, what="the booking")
    assert dialog.picker is not None and dialog.picker.chosen == pid
    # The screen refreshes itself from the "records changed" broadcast.
    ui.until(lambda: "王小明" in screen.cell_text(day, 10), what="the slot in the day view")
    assert "Booked" in screen.cell_text(day, 10)
    (appt,) = ui.store.find("Appointment")
    assert appt["start"] == at_hour(day, 10).isoformat(timespec="seconds")
    assert appt["participant"][1]["actor"]["display"] == ui.session.user

    again = screen.book_dialog(at_hour(day, 10))
    qtbot.addWidget(again)
    again.show()
    book_through_dialog(ui, again, "zhang")
    ui.until(lambda: again.errors["start"].isVisible(), what="the double-booking message")
    assert again.errors["start"].text() == "That hour is already booked for this doctor."
    assert again.isVisible() and again.result() != QDialog.DialogCode.Accepted
    assert len(ui.store.find("Appointment")) == 1

    # Another hour is fine, and the week view shows both.
    again.hour.setCurrentIndex(again.hour.findData(11))
    again.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    ui.until(lambda: again.result() == QDialog.DialogCode.Accepted, what="the second booking")
    screen.week_button.click()
    ui.until(lambda: len(screen.days) == 7 and "张伟" in screen.cell_text(day, 11))
    assert "王小明" in screen.cell_text(day, 10)


def test_a_slot_that_is_over_is_not_booked(ui, qtbot):
    register(ui, "王", "小明")
    screen = ScheduleScreen(ui.session)
    qtbot.addWidget(screen)
    dialog = BookDialog(ui.session, screen)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.day.setMinimumDate(QDate(2000, 1, 1))
    dialog.day.setDate(QDate.currentDate().addDays(-1))
    book_through_dialog(ui, dialog, "王")
    ui.until(lambda: dialog.errors["start"].isVisible())
    assert dialog.errors["start"].text() == "That slot is over; choose a later one."
    assert ui.store.find("Appointment") == []


def test_reminders_highlight_overdue_and_mark_done_completes_the_task(ui, qtbot):
    pid = register(ui, "李", "娜")
    created = datetime.now().astimezone() - timedelta(days=30)
    plan, overdue = sched.follow_up(
        patient_id=pid,
        due=date.today() - timedelta(days=2),
        description="血压复查",
        author="Dr",
        created=created,
    )
    save_all(ui.store, [plan, overdue])
    _plan, due = ui.call(
        lambda: schedule_service.plan_follow_up(
            ui.store,
            patient_id=pid,
            due=date.today() + timedelta(days=1),
            description="血糖复查",
            author="Dr",
        )
    )
    screen = ScheduleScreen(ui.session)
    qtbot.addWidget(screen)
    screen.show()
    ui.until(lambda: screen.reminder_table.rowCount() == 2, what="two reminders")
    first = screen.reminder_table.item(0, 3)
    assert first.text().startswith("Overdue by 2")
    assert first.background().color() == QColor(OVERDUE_COLOR)
    assert screen.reminder_table.item(1, 1).text() == "李娜"
    assert not screen.done_button.isEnabled()

    assert screen.select_reminder(overdue["id"])
    screen.done_button.click()
    ui.until(lambda: screen.reminder_table.rowCount() == 1, what="the reminder to go")
    assert ui.store.get("Task", overdue["id"])["status"] == "completed"
    assert ui.store.get("CarePlan", plan["id"])["status"] == "completed"
    assert ui.store.get("Task", due["id"])["status"] == "requested"
