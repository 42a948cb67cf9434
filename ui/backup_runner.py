"""Automatic backups in the GUI: a timer asks the core whether one is due and runs it on the
store thread (the event loop never waits for it), and the window makes one at close when
records changed or one is due, with a short bounded wait and a message saying so.

What the core says (``clinic.backups.status()``) and how the last run went reach the sync bar
and the settings as :class:`BackupNews` through the bridge (``Event.BACKUP_STATUS``). A failed
scheduled run is not a dialog in the middle of a consultation: the sync bar shows it, and the
next try waits an hour (a folder that is not there is not tried until it is).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from clinic_app.changes import Changes
from clinic_app.domains.backups import BackupResult, BackupStatus
from clinic_app.errors import ClinicError
from ui.bridge import Event
from ui.errors import safe_details, tr_core
from ui.session import Session

log = logging.getLogger(__name__)

SETTINGS_KEY = "backup"  # Event.SETTINGS_CHANGED payload when the backup settings change
FIRST_CHECK_MS = 3_000  # after sign-in: the warning shows soon, the start is not slowed
CHECK_MS = 5 * 60_000  # then every five minutes
RETRY_AFTER_S = 3600.0  # after a failed scheduled run
CLOSE_WAIT_S = 30.0  # at close: how long the window waits for the backup before saying more


@dataclass(frozen=True)
class BackupNews:
    """The core's status, and the last run in this session: its result or its error."""

    status: BackupStatus
    error: str = ""  # the failed run's message (translated), "" when the last run went well
    result: BackupResult | None = None
    running: bool = False


class BackupRunner(QObject):
    """Runs ``clinic.backups`` for one signed-in session (made by the workspace)."""

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.news: BackupNews | None = None
        self.changed = False  # records changed since the last good backup of this session
        self.changed_at = datetime.now(UTC)
        self.last_seconds: float | None = None
        self.error = ""
        self.failed_at = 0.0
        self.task: asyncio.Task[BackupResult | None] | None = None
        self.closed = False
        self.closing = False  # the backup at close is being written
        self.checking: asyncio.Future[BackupNews | None] | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._tick)
        self.timer.start(FIRST_CHECK_MS)
        session.bridge.notify.connect(self._on_event)

    def _on_event(self, kind: Event, payload: object) -> None:
        if kind is Event.RECORDS_CHANGED and isinstance(payload, Changes) and payload:
            if not self.changed:
                self.changed, self.changed_at = True, datetime.now(UTC)
        elif kind is Event.SETTINGS_CHANGED and payload == SETTINGS_KEY:
            self.error, self.failed_at = "", 0.0  # a new folder deserves a try at once
            self.timer.start(0)
        elif kind is Event.LOCKED:
            self.stop()

    def stop(self) -> None:
        self.closed = True
        if shiboken6.isValid(self.timer):
            self.timer.stop()

    def _tick(self) -> None:
        self.checking = asyncio.ensure_future(self.check())

    async def check(self, *, run_if_due: bool = True) -> BackupNews | None:
        """Read the status on the store thread, tell the screens, run a backup when due."""
        if self.closed:
            return None
        try:
            status, seconds = await self.session.call(self._read)
        except Exception as exc:  # a locked or failing store: say nothing new, try later
            log.warning("backup status could not be read: %s", safe_details(exc))
            self._again()
            return None
        self.last_seconds = seconds
        self._publish(status)
        retry_ok = time.monotonic() - self.failed_at >= RETRY_AFTER_S or not self.failed_at
        if run_if_due and status.due and retry_ok and self.task is None:
            await self.run_now()
        self._again()
        return self.news

    def _read(self) -> tuple[BackupStatus, float | None]:
        backups = self.session.clinic.backups
        return backups.status(), backups.last_seconds()

    def _again(self) -> None:
        if not self.closed and shiboken6.isValid(self.timer):
            self.timer.start(CHECK_MS)

    def _publish(self, status: BackupStatus, result: BackupResult | None = None) -> None:
        running = self.task is not None and not self.task.done()
        if status.newest_good is not None and status.newest_good >= self.changed_at:
            self.changed = False  # a backup made since (also one from `clinic-app backups`)
        self.news = BackupNews(status, self.error, result, running)
        self.session.bridge.emit_now(Event.BACKUP_STATUS, self.news)

    async def run_now(self) -> BackupResult | None:
        """One backup on the store thread; the error is kept for the sync bar, not raised."""
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())
            if self.news is not None:
                self._publish(self.news.status)  # the screens show it running
        return await asyncio.shield(self.task)

    async def _run(self) -> BackupResult | None:
        backups = self.session.clinic.backups
        result: BackupResult | None = None
        try:
            result = await self.session.call(backups.run)
        except ClinicError as exc:
            self.error, self.failed_at = tr_core(str(exc)), time.monotonic()
        except Exception as exc:
            log.error("automatic backup failed: %s", safe_details(exc))
            self.error = self.tr("The backup failed unexpectedly; the records are unchanged.")
            self.failed_at = time.monotonic()
        else:
            self.error, self.failed_at = "", 0.0
            self.last_seconds = result.seconds
        status: BackupStatus | None = self.news.status if self.news else None
        try:
            status = await self.session.call(backups.status)
        except Exception as exc:
            log.warning("backup status could not be read: %s", safe_details(exc))
        self.task = None
        if status is not None:
            self._publish(status, result)
        return result

    # ---- at close ---------------------------------------------------------------------
    def wanted_at_close(self) -> bool:
        """A backup at close: a folder is chosen and there, records changed in this session
        or one is due, and the last one took no longer than the wait at close allows (a long
        one is left to the schedule, so closing stays short)."""
        news = self.news
        if self.closed or self.closing or news is None or news.status.target_state != "ok":
            return False
        if not (self.changed or news.status.due):
            return False
        return self.last_seconds is None or self.last_seconds <= CLOSE_WAIT_S

    async def at_close(self, parent: QWidget | None) -> BackupResult | None:
        """Make the backup at close, with a message in ``parent`` (None: no window, e.g. on
        SIGTERM) while it is written; after ``CLOSE_WAIT_S`` the message says it takes longer
        (the records cannot be closed under a backup being written, so it is awaited)."""
        if not self.wanted_at_close():
            return None
        self.closing = True
        self.timer.stop()
        news = self.news
        folder = str(news.status.plan.target) if news is not None else ""
        dialog: QProgressDialog | None = None
        if parent is not None:
            dialog = QProgressDialog(parent)
            dialog.setWindowTitle(self.tr("Closing"))
            dialog.setLabelText(
                self.tr("Writing the automatic backup to %1 before closing…").replace("%1", folder)
            )
            dialog.setCancelButton(None)
            dialog.setRange(0, 0)
            dialog.setMinimumDuration(0)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.show()
        task = asyncio.ensure_future(self.run_now())
        try:
            result = await asyncio.wait_for(asyncio.shield(task), CLOSE_WAIT_S)
        except TimeoutError:
            if dialog is not None:
                dialog.setLabelText(
                    self.tr(
                        "The backup to %1 takes longer than usual; the workstation closes as "
                        "soon as it is written."
                    ).replace("%1", folder)
                )
            result = await task
        finally:
            if dialog is not None:
                dialog.close()
                dialog.deleteLater()
        self.closed, self.closing = True, False
        if result is None and parent is not None and self.error:
            await self._tell(parent, self.error)
        elif result is None:
            log.warning("the backup at close failed")
        return result

    async def _tell(self, parent: QWidget, error: str) -> None:
        """A failed backup at close is said before the window goes (one dialog, then close)."""
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Backup not made"))
        box.setText(
            self.tr("The backup at close was not made: %1\n\nThe records on this PC are safe.")
            .replace("%1", error)
        )  # fmt: skip
        box.addButton(QMessageBox.StandardButton.Close)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def finished(_code: int) -> None:
            if not done.done():
                done.set_result(None)

        box.finished.connect(finished)
        box.open()
        await done
