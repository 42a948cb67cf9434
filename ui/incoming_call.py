"""The incoming-call notice: when the specialist opens a consult's call, the clinic workstation
shows it on top of whatever screen is open, with the patient's name, a chime and a "Join"
button.

How the workstation learns it: :class:`IncomingCallWatcher` asks the central platform every
:data:`POLL_MS` (``GET /api/v1/calls/active``, :func:`media.signaling.active_calls`: the calls
whose other side is in the room and this side is not; ids only) while an account is set. The
patient's name is read from this workstation's own store. A call already open in a consult room
is not announced; a notice closes by itself when the call stops waiting; "Later" hides it for
that call (the schedule still joins it). No link: nothing is shown and nothing is logged but
the kind of failure.

The chime goes through the chosen loudspeaker (:func:`media.playback.ring`, off the GUI thread);
without one (PySide6-Essentials has no QtMultimedia) ``QApplication.beep()``.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.records.common import patient_of
from clinic_app.records.patient import display_name
from ui import preferences
from ui.errors import safe_details
from ui.session import Session
from ui.text_size import LARGE, relative_font

if TYPE_CHECKING:
    from media.signaling import ActiveCall

log = logging.getLogger(__name__)
POLL_MS = 10_000  # a light poll: one small GET per workstation every 10 s
Fetch = Callable[[], Awaitable["list[ActiveCall]"]]
Ring = Callable[[], Awaitable[None]]


class IncomingCallNotice(QFrame):
    """A small always-on-top window: who is calling, "Join" and "Later"."""

    join = Signal()
    later = Signal()

    def __init__(self, patient_name: str, parent: QWidget | None = None) -> None:
        flags = Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint
        super().__init__(parent, flags)
        self.setObjectName("incoming-call")
        self.patient_name = patient_name
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet(
            "#incoming-call { background: #e8f5e9; border: 2px solid #1e7b34; }"
            " QPushButton#join-call { background: #1e7b34; color: white; padding: 6px 18px;"
            " border-radius: 4px; font-weight: 600; }"
        )
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        relative_font(self.heading, LARGE, weight=QFont.Weight.DemiBold)
        self.body = QLabel()
        self.body.setWordWrap(True)
        layout.addWidget(self.heading)
        layout.addWidget(self.body)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.later_button = QPushButton()
        self.join_button = QPushButton()
        self.join_button.setObjectName("join-call")
        self.join_button.setDefault(True)
        buttons.addWidget(self.later_button)
        buttons.addWidget(self.join_button)
        layout.addLayout(buttons)
        self.join_button.clicked.connect(self.join)
        self.later_button.clicked.connect(self.later)
        self.setMinimumWidth(340)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Incoming video call"))
        self.heading.setText(self.tr("Incoming video call"))
        self.body.setText(
            self.tr("The specialist has opened the video consult for %1 and is waiting.").replace(
                "%1", self.patient_name or self.tr("a patient")
            )
        )
        self.join_button.setText(self.tr("Join"))
        self.later_button.setText(self.tr("Later"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def place(self, over: QWidget | None) -> None:
        """Top right of ``over`` (the main window), else of the screen."""
        self.adjustSize()
        if over is not None and over.isVisible():
            corner = over.mapToGlobal(QPoint(over.width(), 0))
        else:
            screen = QApplication.primaryScreen()
            area = screen.availableGeometry() if screen is not None else None
            corner = area.topRight() if area is not None else QPoint(self.width() + 24, 0)
        self.move(corner.x() - self.width() - 24, corner.y() + 24)


class IncomingCallWatcher(QObject):
    """Polls for calls waiting for this workstation and shows a notice for each (see the
    module's docstring). ``join_call`` carries (consult id, patient id, patient's name), as the
    schedule's; the workspace connects it to the call launcher."""

    join_call = Signal(str, str, str)

    def __init__(
        self,
        session: Session,
        window: QWidget | None = None,
        *,
        fetch: Fetch | None = None,
        ring: Ring | None = None,
        is_open: Callable[[str], bool] = lambda _consult_id: False,
        poll_ms: int = POLL_MS,
    ) -> None:
        super().__init__(window)  # stops with the window it belongs to
        self.session = session
        self.window_ = window
        self.fetch = fetch or self._fetch
        self.ring = ring or self._ring
        self.is_open = is_open
        self.notices: dict[str, IncomingCallNotice] = {}  # by call id
        self.dismissed: set[str] = set()  # call ids the user put off with "Later"
        self.rings = 0
        self._busy = False
        self._ringing: asyncio.Future[None] | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.on_poll)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        for call_id in list(self.notices):
            self._close(call_id)

    async def _fetch(self) -> list[ActiveCall]:
        from media.signaling import active_calls

        clinic = self.session.clinic
        account = await self.session.call(clinic.sync.account)
        if account is None:
            return []
        ctx = ssl.create_default_context(cafile=account.ca_file) if account.ca_file else None
        token = await clinic.sync.fresh_token(account)
        return await active_calls(account.server, token, ssl_context=ctx)

    async def _ring(self) -> None:
        from media.errors import CallError
        from media.playback import ring

        device = str(preferences.get(preferences.SPEAKER)) or None
        try:
            await asyncio.get_running_loop().run_in_executor(None, ring, device)
        except CallError:  # no loudspeaker: the system's own bell
            QApplication.beep()

    @asyncSlot()
    async def on_poll(self) -> None:
        await self.poll()

    async def poll(self) -> None:
        """Ask once; show notices for new waiting calls, close those no longer waiting."""
        if self._busy:
            return
        self._busy = True
        try:
            calls = await self.fetch()
        except Exception as exc:  # offline, refused, a token to renew: try at the next tick
            log.info("checking for incoming calls failed: %s", safe_details(exc))
            return
        finally:
            self._busy = False
        waiting = {c.call_id: c for c in calls if not self.is_open(c.consult_id)}
        for call_id in [c for c in self.notices if c not in waiting]:
            self._close(call_id)
        self.dismissed &= set(waiting)
        new = [
            c for cid, c in waiting.items() if cid not in self.notices and cid not in self.dismissed
        ]
        for call in new:
            patient_id, name = await self.session.call(self._patient_of, call.consult_id)
            self._show(call, patient_id, name)
        if new:
            self.rings += 1
            self._ringing = asyncio.ensure_future(self.ring())

    def _patient_of(self, consult_id: str) -> tuple[str, str]:
        """(patient id, display name) of a consult in this workstation's store; empty when the
        consult has not synced here yet."""
        clinic = self.session.clinic
        try:
            pid = patient_of(clinic.consults.get(consult_id)) or ""
            return pid, display_name(clinic.patients.get(pid)) if pid else ""
        except Exception as exc:  # NotFound: not synced yet
            log.info("incoming call for a consult not in this store: %s", type(exc).__name__)
            return "", ""

    def _show(self, call: ActiveCall, patient_id: str, name: str) -> None:
        notice = IncomingCallNotice(name, self.window_)
        self.notices[call.call_id] = notice

        def join() -> None:
            self._close(call.call_id)
            self.join_call.emit(call.consult_id, patient_id, name)

        def later() -> None:
            self.dismissed.add(call.call_id)
            self._close(call.call_id)

        notice.join.connect(join)
        notice.later.connect(later)
        notice.place(self.window_)
        notice.show()
        notice.raise_()

    def _close(self, call_id: str) -> None:
        notice = self.notices.pop(call_id, None)
        if notice is not None:
            notice.close()
            notice.deleteLater()
