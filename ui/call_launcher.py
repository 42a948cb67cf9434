"""Opens consult rooms: one window per consult (asking again brings it to the front), started
on the event loop; rooms still open when the session closes are hung up first.

The room (and with it aiortc and PyAV, about half a second of imports) is imported on the first
call, not at start-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from qasync import asyncSlot

from ui.session import Session

if TYPE_CHECKING:
    from ui.consult_room import ConsultRoom


class CallLauncher(QObject):
    def __init__(self, session: Session, media_factory: Callable[[], Any] | None = None) -> None:
        super().__init__()
        self.session = session
        self.media_factory = media_factory
        self.rooms: dict[str, ConsultRoom] = {}

    @asyncSlot(str, str, str)
    async def join(self, consult_id: str, patient_id: str, title: str) -> None:
        await self.open_room(consult_id, patient_id, title)

    async def open_room(
        self, consult_id: str, patient_id: str = "", title: str = ""
    ) -> ConsultRoom:
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
