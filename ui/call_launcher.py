"""Opens consult rooms: one window per consult (asking again brings it to the front), started
on the event loop; rooms still open when the session closes are hung up first.

:func:`join_booking` is how a screen turns "join" on one appointment into its consult's call:
the appointment's own consult (two patients can share an hour: the screen passes the entry the
user selected, never "the first of the hour"); a consult whose time is only proposed (or
pending, cancelled) is not joined and the user reads why and what happens next.

The room (and with it aiortc and PyAV, about half a second of imports) is imported on the first
call, not at start-up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget
from qasync import asyncSlot

from clinic_app.services.desk import Booked
from ui.consult_status import join_blocker
from ui.session import Session

if TYPE_CHECKING:
    from ui.consult_room import ConsultRoom
    from ui.precall_check import PreCallCheck


class CallLauncher(QObject):
    def __init__(
        self,
        session: Session,
        media_factory: Callable[[], Any] | None = None,
        *,
        precheck: bool = False,
    ) -> None:
        super().__init__()
        self.session = session
        self.media_factory = media_factory
        self.precheck = precheck  # the pre-call check (ui/precall_check.py) before a new room
        self.check: PreCallCheck | None = None  # the one open now
        self.rooms: dict[str, ConsultRoom] = {}

    @asyncSlot(str, str, str)
    async def join(self, consult_id: str, patient_id: str, title: str) -> None:
        headset: bool | None = None  # without the check: as chosen for the last call
        if self.precheck and consult_id not in self.rooms:
            checked = await self.check_devices(title)
            if checked is None:
                return
            headset = checked
        await self.open_room(consult_id, patient_id, title, headset=headset)

    async def check_devices(self, title: str) -> bool | None:
        """The pre-call check; whether a headset is used, or None when the user cancelled."""
        from ui.precall_check import PreCallCheck

        if self.check is not None:
            self.check.raise_()
            return None
        self.check = check = PreCallCheck(title)
        finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def ended(result: int) -> None:
            if not finished.done():
                finished.set_result(int(result))

        check.finished.connect(ended)
        check.open()
        try:
            accepted = await finished == int(QDialog.DialogCode.Accepted)
        finally:
            self.check = None
            check.deleteLater()
        return check.uses_headset if accepted else None

    async def open_room(
        self, consult_id: str, patient_id: str = "", title: str = "", *,
        headset: bool | None = None,
    ) -> ConsultRoom:  # fmt: skip
        from ui.consult_room import ConsultRoom

        room = self.rooms.get(consult_id)
        if room is not None:
            room.raise_()
            room.activateWindow()
            return room
        room = ConsultRoom(
            self.session,
            consult_id,
            title=title,
            patient_id=patient_id or None,
            media_factory=self.media_factory,
            headset=headset,
        )
        self.rooms[consult_id] = room
        room.closed.connect(lambda cid: self.rooms.pop(cid, None))
        room.show()
        await room.start()
        return room

    async def close_all(self) -> None:
        for room in list(self.rooms.values()):
            await room.hangup()
            room.close()
        self.rooms.clear()


Join = Callable[[str, str, str], Any]  # consult id, patient id, title (the patient's name)


def explain_not_joinable(parent: QWidget, booking: Booked, why: str) -> QMessageBox:
    """A note (not blocking the window) on why this consult's call cannot be joined yet."""
    title = QCoreApplication.translate("call_launcher", "No call to join yet")
    box = QMessageBox(QMessageBox.Icon.Information, title, why, QMessageBox.StandardButton.Ok,
                      parent)  # fmt: skip
    box.setObjectName("call-not-joinable")
    box.setInformativeText(
        QCoreApplication.translate("call_launcher", "%1, %2")
        .replace("%1", booking.patient_name)
        .replace("%2", _when(booking))
    )
    box.open()
    return box


def _when(booking: Booked) -> str:
    return booking.start.strftime("%Y-%m-%d %H:%M")


def join_booking(parent: QWidget, booking: Booked, join: Join) -> QMessageBox | None:
    """Join the call of this consult appointment (its own consult id, never another booking's
    of the same hour); when it cannot be joined yet, the note that says why (returned)."""
    if not booking.consult_id:
        return None
    why = join_blocker(str(booking.appointment.get("status") or ""))
    if why is not None:
        return explain_not_joinable(parent, booking, why)
    join(str(booking.consult_id), booking.patient_id or "", booking.patient_name)
    return None
