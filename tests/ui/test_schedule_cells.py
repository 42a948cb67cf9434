"""Two patients booked in the same hour (two doctors) are two entries in the schedule, each in
its own cell with its own colour and tooltip, in the day and the week view; selecting one
picks that booking, not its neighbour."""

from __future__ import annotations

from datetime import date, timedelta

from clinic_app.records import schedule as sched
from clinic_app.records.patient import PatientInput
from clinic_app.services.writes import save_all
from ui.schedule_screen import ENTRY_ROLE, ScheduleScreen, at_hour


def register(ui, family: str, given: str) -> str:
    data = PatientInput(family, given, gender="male")
    return str(ui.run(ui.session.write(ui.session.clinic.patients.register, data))["id"])


def book(ui, pid: str, day: date, hour: int, doctor: str) -> None:
    made = sched.appointment(
        patient_id=pid, start=at_hour(day, hour), practitioner=doctor, description="复诊"
    )
    ui.call(save_all, ui.store, [made])


def cells_at(screen: ScheduleScreen, day: date, hour: int):
    column = screen.days.index(day)
    rows = [r for r, h in enumerate(screen.hours) if h == hour]
    return [screen.grid.item(r, column) for r in rows]


def test_two_patients_in_one_hour_are_two_entries(qtbot, ui):
    day = date.today() + timedelta(days=2)
    book(ui, register(ui, "王", "小明"), day, 10, "李医生")
    book(ui, register(ui, "张", "伟"), day, 10, "赵医生")
    book(ui, register(ui, "刘", "洋"), day, 11, "李医生")
    screen = ScheduleScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1100, 700)
    screen.show()
    for view in (screen.day_button, screen.week_button):
        view.click()
        screen.go_to(day)
        ui.until(lambda: day in screen.days and screen.cell_text(day, 11), what="the bookings")
        entries = screen.slot_entries(day, 10)
        assert len(entries) == 2, entries
        assert any("王小明" in e for e in entries) and any("张伟" in e for e in entries)
        assert all(("王小明" in e) != ("张伟" in e) for e in entries), "never one shared cell"
        ten = cells_at(screen, day, 10)
        assert len(ten) == 2 and all("\n" not in item.text() for item in ten)
        assert {item.data(ENTRY_ROLE) for item in ten} != {None}
        assert all(item.toolTip() and item.background().color().alpha() for item in ten)
        # The hour is labelled once; its second row has no label of its own.
        first = screen.hours.index(10)
        assert screen.grid.verticalHeaderItem(first).text() == "10:00"
        assert screen.grid.verticalHeaderItem(first + 1).text() == ""
        assert screen.slot_entries(day, 11) == [screen.cell_text(day, 11)]
    # Selecting the second entry selects that booking.
    column = screen.days.index(day)
    second = screen.hours.index(10) + 1
    screen.grid.setCurrentCell(second, column)
    entry = screen.grid.currentItem().data(ENTRY_ROLE)
    assert screen.booked[entry].patient_name in screen.grid.currentItem().text()
    assert screen.selected_slot() == at_hour(day, 10)
