"""The main window only assembles screens: sign-in first, then the workspace (navigation on
the left, the current screen, the sync bar below). It locks itself after idle time."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRect, QSize, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app import __version__
from clinic_app.changes import Changes
from clinic_app.clinic import Clinic
from clinic_app.domains.profile import RestoreReport
from clinic_app.recovery import RebuildReport
from clinic_app.sync.account import SyncAccount
from clinic_app.sync.engine import SyncStatus
from ui import preferences
from ui.backup_runner import BackupRunner
from ui.bridge import Bridge, Event
from ui.call_launcher import CallLauncher
from ui.first_sync_dialog import FirstSyncDialog, wants_first_sync_dialog
from ui.incoming_call import IncomingCallWatcher
from ui.ops import run_op
from ui.page_host import Page
from ui.pages import arrange, build_pages, carry_over, page_steps, page_title, rebuild_page
from ui.patient_form import PatientForm
from ui.rebuild_runner import RebuildJob, RebuildRun
from ui.restore_runner import RestoreJob, RestoreRun
from ui.session import Session
from ui.setup_screen import CLINIC_NAME_META, SetupScreen
from ui.sync_bar import SyncBar
from ui.unlock_screen import UnlockScreen
from ui.widgets import available_area, clamp_geometry, fit_to_screen, shortcut

GEOMETRY_KEY = "window/geometry"  # the main window's last place (a QRect in QSettings)
MINIMUM_SIZE = QSize(960, 600)  # every screen is laid out to work at this size
REBUILT_PAGE_GRACE_MS = 30_000  # a screen rebuilt for a new language is deleted after this


class Workspace(QWidget):
    """Navigation + pages + sync bar for one signed-in session."""

    def __init__(self, session: Session, *, build: bool = True) -> None:
        """``build=False``: the pages come later from :meth:`fill` (on the event loop, a step
        at a time)."""
        super().__init__()
        self.session = session
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.nav = QListWidget()
        self.nav.setFixedWidth(170)
        self.stack = QStackedWidget()
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        outer.addLayout(row, 1)
        self.sync_bar = SyncBar(session)
        outer.addWidget(self.sync_bar)
        self.calls = CallLauncher(session, precheck=True)  # camera, microphone, loudspeaker first
        # the specialist opened a call: a notice with the patient's name over any screen
        self.incoming = IncomingCallWatcher(session, self, is_open=lambda c: c in self.calls.rooms)
        self.incoming.join_call.connect(self.calls.join)
        self.incoming.start()
        self.backups = BackupRunner(session, self)  # on a timer when due, and at close
        self.pages: list[Page] = []
        if build:
            self._install(build_pages(session, self))

    async def fill(self) -> None:
        """Build the pages a step at a time, yielding to the event loop between steps."""
        pages: list[Page] = []
        for step in page_steps(self.session, self):
            pages += step
            await asyncio.sleep(0)
        self._install(arrange(pages))

    def _install(self, pages: list[Page]) -> None:
        session = self.session
        self.pages = pages
        for page in self.pages:
            self.nav.addItem(page.title)
            self.stack.addWidget(page.widget)
        self.role_shown = ""
        self.first_sync: FirstSyncDialog | None = None
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)
        self.sync_bar.sync_now.connect(self.on_sync_now)
        session.bridge.notify.connect(self._on_event)
        self.show_role(None)
        self.sync_bar.show_conflicts.connect(lambda: self.show_page("conflicts"))
        self.sync_bar.show_errors.connect(lambda: self.show_page("sync_errors"))
        self.sync_bar.show_backups.connect(lambda: self.show_page("settings"))
        shortcut("F5", self, self.on_sync_now)
        for n in range(1, min(len(self.pages), 9) + 1):
            shortcut(f"Alt+{n}", self, partial(self.nav.setCurrentRow, n - 1))

    def changeEvent(self, event: QEvent) -> None:
        """A new language applies at once: the navigation's titles, and the screens that
        cannot re-translate themselves are built again (keeping what they showed)."""
        if event.type() == QEvent.Type.LanguageChange:
            for row, page in enumerate(self.pages):
                self.nav.item(row).setText(page_title(page.key, page.title))
            for page in self.pages:
                if not hasattr(page.widget, "retranslate"):
                    self._rebuild(page)
        super().changeEvent(event)

    def _rebuild(self, page: Page) -> None:
        old = page.widget
        if any(d.isVisible() for d in old.findChildren(QDialog)):
            return  # a form is open over it: keep what is typed (it changes at the next sign-in)
        new = rebuild_page(page.key, self.session, self)
        if new is None:
            return
        carry_over(old, new)
        index = self.stack.indexOf(old)
        current = self.stack.currentIndex()
        self.stack.insertWidget(index, new)
        self.stack.removeWidget(old)
        self.stack.setCurrentIndex(current)
        page.widget = new
        # Work the old screen started (a search, a chart load) may still be running on the
        # store thread and write to its widgets when it ends: deleted once that has ended.
        old.hide()
        QTimer.singleShot(REBUILT_PAGE_GRACE_MS, old.deleteLater)

    def _on_event(self, kind: Event, payload: object) -> None:
        if kind is Event.ACCOUNT_CHANGED:
            self.show_role(payload if isinstance(payload, SyncAccount) else None)
        elif kind is Event.SYNC_STATUS and isinstance(payload, SyncStatus):
            self._first_sync(payload)

    def _first_sync(self, status: SyncStatus) -> None:
        """A first sync of many records shows its progress in a window of its own, once."""
        dialog = self.first_sync
        if dialog is None:
            if not wants_first_sync_dialog(status):
                return
            dialog = self.first_sync = FirstSyncDialog(self)
            dialog.show()
        if not status.syncing:
            dialog.hide()
            return
        dialog.show_status(status)

    async def load_role(self) -> None:
        self.show_role(await self.session.call(self.session.clinic.sync.account))

    def show_role(self, account: SyncAccount | None) -> None:
        """The same program serves both sides: the consult desk is listed for a specialist's
        account only, and a specialist starts on it."""
        specialist = account is not None and account.kind == "user"
        for row, page in enumerate(self.pages):
            if page.key == "desk":
                self.nav.item(row).setHidden(not specialist)
        if specialist and self.role_shown != "specialist":
            self.show_page("desk")
        self.role_shown = "specialist" if specialist else "clinic"

    def show_page(self, key: str) -> QWidget | None:
        for n, page in enumerate(self.pages):
            if page.key == key:
                self.nav.setCurrentRow(n)
                return page.widget
        return None

    def open_chart(self, patient_id: str) -> None:
        """Show a patient's chart (the chart page decides how)."""
        widget = self.show_page("chart")
        show = getattr(widget, "show_patient", None)
        if show is not None:
            show(patient_id)

    def new_patient(self) -> None:
        form = PatientForm(self.session, self)
        form.open()

    @asyncSlot()
    async def on_sync_now(self) -> None:
        await run_op(self, self.session.sync_now(), disable=self.sync_bar.button)


class MainWindow(QMainWindow):
    def __init__(self, profile: Path) -> None:
        super().__init__()
        self.profile = profile
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        self.bridge = Bridge()
        self.session: Session | None = None
        self.opening: Clinic | None = None  # signed in, workspace being built
        self.workspace: Workspace | None = None
        self.restoring: asyncio.Future[RestoreReport | None] | None = None
        self.restore_run: RestoreRun | None = None
        self.rebuilding: asyncio.Future[RebuildReport | None] | None = None
        self.rebuild_run: RebuildRun | None = None
        self.signed_in = ("", "")  # clinic name and user shown in the title
        self.retitle()
        self.restore_geometry()
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.unlock = UnlockScreen(profile, self.executor)
        self.unlock.unlocked.connect(self.on_unlocked)
        self.stack.addWidget(self.unlock)
        self.setup: SetupScreen | None = None
        if not Clinic.exists(profile):  # first run: make the profile, then sign in
            self.setup = SetupScreen(profile, self.executor)
            self.setup.created.connect(self.on_created)
            self.stack.addWidget(self.setup)
            self.stack.setCurrentWidget(self.setup)
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(preferences.idle_lock_ms())
        self.idle.timeout.connect(self.lock)
        self.bridge.notify.connect(self._on_event)
        QApplication.instance().installEventFilter(self)  # type: ignore[union-attr]
        shortcut("Ctrl+L", self, self.lock)

    def retitle(self) -> None:
        """The window's title in the interface language; who is signed in on a shared PC is in
        the title bar and the task bar."""
        title = self.tr("Clinic workstation %1").replace("%1", __version__)
        clinic_name, user = self.signed_in
        if user:
            signed_in = f"{user} — {title}"
            title = f"{clinic_name} — {signed_in}" if clinic_name else signed_in
        self.setWindowTitle(title)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retitle()
        super().changeEvent(event)

    def restore_geometry(self) -> None:
        """The size and place of the last session, moved and shrunk onto the screen it opens
        on; a first start takes 1200x780 or what the screen allows (1366x768 included)."""
        self.setMinimumSize(MINIMUM_SIZE)
        saved = preferences.settings().value(GEOMETRY_KEY)
        if isinstance(saved, QRect) and saved.isValid():
            area = available_area(self)
            self.setGeometry(clamp_geometry(saved, area.adjusted(0, 30, 0, 0)))
            return
        fit_to_screen(self, 1200, 780)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.workspace is not None and self.workspace.backups.closing:
            event.ignore()  # closes by itself once the backup at close is written
            return
        if self.workspace is not None and self.workspace.backups.wanted_at_close():
            event.ignore()  # the backup at close first, with a message; then close again
            self.backup_then_close()
            return
        if not self.isMaximized() and not self.isFullScreen():
            preferences.settings().setValue(GEOMETRY_KEY, self.geometry())
        super().closeEvent(event)

    @asyncSlot()
    async def backup_then_close(self) -> None:
        if self.workspace is not None:
            await self.workspace.backups.at_close(self)  # bounded wait, says what it does
        self.close()

    def _on_event(self, kind: Event, payload: object) -> None:
        if kind is Event.SETTINGS_CHANGED and payload == preferences.IDLE_LOCK_MINUTES.key:
            self.idle.setInterval(preferences.idle_lock_ms())
        elif kind is Event.RESTORE_REQUESTED and isinstance(payload, RestoreJob):
            self.restoring = asyncio.ensure_future(self.restore_backup(payload))
        elif kind is Event.REBUILD_REQUESTED and isinstance(payload, RebuildJob):
            self.rebuilding = asyncio.ensure_future(self.rebuild_profile(payload))

    async def restore_backup(self, job: RestoreJob) -> RestoreReport | None:
        """Close the open records (the old store must not write into the restored profile),
        restore on the store thread with progress, then the sign-in opens the restored one."""
        await self.close_records()
        self.restore_run = RestoreRun(self, self.executor)
        report = await self.restore_run.run(job)
        self.unlock.refresh_users()
        return report

    async def rebuild_profile(self, job: RebuildJob) -> RebuildReport | None:
        """Close the open records (the profile being replaced must not be written meanwhile),
        rebuild from the central platform on the store thread with progress, then the sign-in
        opens the rebuilt one (or the same one again if the rebuild failed: nothing changed)."""
        await self.close_records()
        self.rebuild_run = RebuildRun(self, self.executor)
        report = await self.rebuild_run.run(job)
        self.unlock.refresh_users()
        return report

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.session is not None and event.type() in (
            QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel,
        ):  # fmt: skip
            self.idle.start()
        return False

    @asyncSlot(object)
    async def on_unlocked(self, clinic: Clinic) -> None:
        await self.open_session(clinic)

    async def open_session(self, clinic: Clinic) -> None:
        """Build the workspace for a signed-in user and start syncing. What must be read first
        is read before the session is published, so a lock or quit meanwhile finds either no
        session or a complete one."""
        self.opening = clinic
        session = Session(clinic, self.bridge, self.executor)
        await session.call(clinic.patients.reindex_if_needed)
        clinic_name = await session.call(clinic.profile.setting, CLINIC_NAME_META)
        account = await session.call(clinic.sync.account)
        workspace = Workspace(session, build=False)
        await workspace.fill()  # ~150 ms of widgets in all: a page or two per loop turn
        await asyncio.sleep(0)  # building and first showing it are each ~50 ms: not in one go
        if self.opening is not clinic:  # shut down meanwhile (the store is locked by now)
            workspace.deleteLater()
            return
        self.opening = None
        self.session, self.workspace = session, workspace
        self.stack.addWidget(workspace)
        self.stack.setCurrentWidget(workspace)
        self.signed_in = (str(clinic_name or ""), clinic.user)
        self.retitle()
        workspace.show_role(account)
        session.start_sync()
        self.bridge.emit_now(Event.UNLOCKED)
        self.bridge.emit_now(Event.RECORDS_CHANGED, Changes(reason="signed in"))
        self.idle.start()

    @asyncSlot(object)
    async def on_created(self, clinic: Clinic) -> None:
        """The profile was just made: sign in, then connect to the central platform."""
        await self.open_session(clinic)
        if self.setup is not None:
            self.stack.removeWidget(self.setup)
            self.setup.deleteLater()
            self.setup = None
        if self.workspace is not None:
            self.workspace.show_page("settings")

    @asyncSlot()
    async def lock(self) -> None:
        """Close the records and go back to sign-in (auto after idle, or Ctrl+L)."""
        await self.close_records()

    async def close_records(self) -> None:
        if self.session is None:
            return
        session, self.session = self.session, None
        self.idle.stop()
        if self.workspace is not None:
            await self.workspace.calls.close_all()  # a locked screen ends the call
        await session.close()
        if self.workspace is not None:
            self.stack.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None
        self.unlock.refresh_users()
        self.stack.setCurrentWidget(self.unlock)

    async def shutdown(self) -> None:
        if self.opening is not None:  # quit while the workspace was being built
            opening, self.opening = self.opening, None
            await asyncio.get_running_loop().run_in_executor(self.executor, opening.close)
        if self.session is not None:
            if self.workspace is not None:
                await self.workspace.calls.close_all()
                await self.workspace.backups.at_close(None)  # quit by a signal: no window
            await self.session.close()
            self.session = None
        self.executor.shutdown(wait=True)  # the store is locked: nothing left to wait for
