"""Reload a screen's data when the records it shows change (changes are broadcast, screens
decide): at once while the screen is visible, on its next show otherwise. One load runs at a
time; a change during a load queues one more. Failures go to the one error dialog."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from clinic_app.changes import Changes
from ui.bridge import Event
from ui.ops import run_op
from ui.session import Session


class Reloader(QObject):
    def __init__(
        self,
        widget: QWidget,
        session: Session,
        types: Iterable[str] | None,
        load: Callable[[], Awaitable[object]],
    ) -> None:
        """``types``: the record types the screen shows (None: any change)."""
        super().__init__(widget)
        self.widget = widget
        self.types = None if types is None else set(types)
        self.load = load
        self.stale = True
        self._task: asyncio.Future[None] | None = None
        self._again = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._start)
        session.bridge.notify.connect(self._on_event)
        widget.installEventFilter(self)

    def _on_event(self, kind: Event, payload: object) -> None:
        if (
            kind is Event.RECORDS_CHANGED
            and isinstance(payload, Changes)
            and (not payload or self.types is None or payload.touches(*self.types))
        ):
            self.request()

    def request(self) -> None:
        """Mark the data stale; reload now if the screen is visible."""
        self.stale = True
        if self.widget.isVisible():
            self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget and event.type() == QEvent.Type.Show and self.stale:
            self._timer.start()
        return False

    def _start(self) -> None:
        if not asyncio.get_event_loop().is_running():
            # Qt delivered the timer while the asyncio loop is stopped (qasync processes
            # events after run_until_complete): start when the loop runs again.
            self._timer.start(20)
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self.stale = False
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        await run_op(self.widget, self.load())
        if self._again:
            self._again = False
            self._timer.start()

    @property
    def busy(self) -> bool:
        """A load is running or about to start (what the screen shows may be stale)."""
        return self._timer.isActive() or (self._task is not None and not self._task.done())

    async def now(self) -> None:
        """Load at once and wait for it (after an action of the screen itself, and in tests)."""
        if self._task is not None and not self._task.done():
            await self._task
        self.stale = False
        await run_op(self.widget, self.load())
