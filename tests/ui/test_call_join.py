"""Joining from the schedule opens the call of the consult the user selected, with real widgets
over a real encrypted store: two patients booked for consults in the same hour each join their
own consult (whichever was booked first), and a consult whose time is only proposed is not
joined; the user reads why and what happens next."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from clinic_app.records.patient import PatientInput
from clinic_app.services import chart_view, orders, patients
from clinic_app.services import schedule as schedule_service
from ui.schedule_screen import ScheduleScreen, at_hour


def register(ui, family: str, given: str) -> str:
    res, _ = ui.call(patients.register, ui.store, PatientInput(family, given, gender="female"))
    return str(res["id"])


def consult_for(ui, pid: str) -> str:
    sr = ui.call(lambda: orders.request_consult(
        ui.store, patient_id=pid, specialty="cardiology", priority="routine",
        question="胸闷", requester="dr.clinic",
    ))  # fmt: skip
    return str(sr["id"])


def book(ui, pid: str, start: datetime, practitioner: str, consult: str) -> None:
    ui.call(lambda: schedule_service.book(
        ui.store, patient_id=pid, start=start, practitioner=practitioner,
        description="video consult", based_on=consult,
    ))  # fmt: skip


def open_day(ui, qtbot, day: date) -> ScheduleScreen:
    screen = ScheduleScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1100, 700)
    screen.show()
    screen.day_button.click()
    screen.go_to(day)
    ui.until(lambda: screen.days == [day] and screen.booked, what="the day's bookings")
    return screen


def select_entry(screen: ScheduleScreen, hour: int, name: str) -> None:
    for row, h in enumerate(screen.hours):
        item = screen.grid.item(row, 0)
        if h == hour and item is not None and name in item.text():
            screen.grid.setCurrentCell(row, 0)
            return
    raise AssertionError(f"no entry of {name} at {hour}:00")


def test_two_patients_in_one_hour_each_join_their_own_consult(ui, qtbot):
    day = date.today() + timedelta(days=1)
    first, second = register(ui, "李", "梅"), register(ui, "赵", "兰")
    first_consult, second_consult = consult_for(ui, first), consult_for(ui, second)
    # the second patient is booked first: "the first booking of the hour" would be theirs
    book(ui, second, at_hour(day, 10), "dr.wang", second_consult)
    book(ui, first, at_hour(day, 10), "dr.zhou", first_consult)
    screen = open_day(ui, qtbot, day)
    ui.until(lambda: len(screen.slot_entries(day, 10)) == 2, what="both entries of the hour")
    joined: list[tuple[str, str, str]] = []
    screen.join_call.connect(lambda c, p, t: joined.append((c, p, t)))

    for name, pid, consult in (("李梅", first, first_consult), ("赵兰", second, second_consult)):
        select_entry(screen, 10, name)
        assert screen.join_button.isEnabled()
        screen.join_button.click()
        assert joined[-1] == (consult, pid, name)
    assert len(joined) == 2 and screen.join_prompt is None


def test_a_proposed_consult_says_why_it_cannot_be_joined_yet(ui, qtbot):
    day = date.today() + timedelta(days=2)
    pid = register(ui, "孙", "丽")
    ui.call(lambda: chart_view.ask_specialist(
        ui.store, patient_id=pid, specialty="cardiology", priority="routine",
        question="心悸", requester="dr.clinic", slots=[at_hour(day, 14)],
    ))  # fmt: skip
    screen = open_day(ui, qtbot, day)
    joined: list[str] = []
    screen.join_call.connect(lambda c, _p, _t: joined.append(c))
    select_entry(screen, 14, "孙丽")
    assert screen.join_button.isEnabled()  # pressing it explains, rather than doing nothing
    screen.join_button.click()
    note = screen.join_prompt
    assert note is not None and note.isVisible()
    text = note.text()
    assert "not accepted it yet" in text and "shows here as Booked" in text
    assert "孙丽" in note.informativeText()
    assert joined == []
