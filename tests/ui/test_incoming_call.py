"""The incoming-call notice with real widgets over a real encrypted store: a call the specialist
opened shows the patient's name over the window, rings once, and "Join" hands the consult (its
own ids) to the launcher; it closes by itself when the call stops waiting, is not shown for a
call already open in a room, and "Later" keeps it away for that call. The poll itself against a
real central process is tests/central/test_signaling_active.py."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from clinic_app.records.patient import PatientInput
from clinic_app.services import orders, patients
from media.signaling import ActiveCall
from ui.incoming_call import IncomingCallNotice, IncomingCallWatcher


def consult_of_new_patient(ui, family: str, given: str) -> tuple[str, str]:
    res, _ = ui.call(patients.register, ui.store, PatientInput(family, given, gender="male"))
    sr = ui.call(lambda: orders.request_consult(
        ui.store, patient_id=res["id"], specialty="cardiology", priority="routine",
        question="胸痛", requester="dr.clinic",
    ))  # fmt: skip
    return str(sr["id"]), str(res["id"])


def test_a_waiting_call_shows_a_notice_that_joins_it(ui, qtbot):
    consult, pid = consult_of_new_patient(ui, "陈", "建国")
    other_consult, _ = consult_of_new_patient(ui, "刘", "芳")
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    waiting: list[ActiveCall] = [ActiveCall(consult, "call-1", "specialist", 3.0)]
    rang: list[int] = []
    open_rooms: set[str] = set()

    async def fetch() -> list[ActiveCall]:
        return list(waiting)

    async def ring() -> None:
        rang.append(1)

    watcher = IncomingCallWatcher(ui.session, window, fetch=fetch, ring=ring,
                                  is_open=lambda c: c in open_rooms)  # fmt: skip
    joined: list[tuple[str, str, str]] = []
    watcher.join_call.connect(lambda c, p, n: joined.append((c, p, n)))

    ui.run(watcher.poll())
    notice = watcher.notices["call-1"]
    assert isinstance(notice, IncomingCallNotice) and notice.isVisible()
    assert "陈建国" in notice.body.text()
    ui.until(lambda: rang == [1], what="the chime")
    ui.run(watcher.poll())  # still waiting: the same notice, no second ring
    assert list(watcher.notices) == ["call-1"] and watcher.rings == 1

    qtbot.mouseClick(notice.join_button, Qt.MouseButton.LeftButton)
    assert joined == [(consult, pid, "陈建国")]
    assert not watcher.notices

    # another call: "Later" puts it off; it does not come back while it waits
    waiting[:] = [ActiveCall(other_consult, "call-2", "specialist", 1.0)]
    ui.run(watcher.poll())
    watcher.notices["call-2"].later_button.click()
    ui.run(watcher.poll())
    assert not watcher.notices and watcher.rings == 2

    # a call already open in a consult room is never announced; one that stopped waiting closes
    waiting[:] = [ActiveCall(consult, "call-3", "specialist", 1.0)]
    open_rooms.add(consult)
    ui.run(watcher.poll())
    assert not watcher.notices
    open_rooms.clear()
    ui.run(watcher.poll())
    assert "call-3" in watcher.notices
    waiting.clear()
    ui.run(watcher.poll())
    assert not watcher.notices and len(joined) == 1


def test_no_link_shows_nothing(ui, qtbot):
    async def offline() -> list[ActiveCall]:
        raise ConnectionError("no route")

    async def ring() -> None:
        raise AssertionError("no ring without a call")

    watcher = IncomingCallWatcher(ui.session, None, fetch=offline, ring=ring)
    ui.run(watcher.poll())
    assert not watcher.notices
    # the real fetch of a workstation without an account asks nobody and finds nothing
    assert ui.run(IncomingCallWatcher(ui.session, None).fetch()) == []
