"""Always visible at the bottom: online or offline, changes waiting, the changes in error
(refused by the central platform: a click shows them), last successful sync, progress while
syncing (records of the total, rate, time left), and the conflicts waiting for a decision.
Status symbols are drawn icons, never glyphs a font may lack.

It also starts the profile's full check in the background when it is due
(``clinic.profile.start_full_check_if_due``: after an unclean shutdown, or when the last one is
too old) and shows it: a discreet "Checking records…" while it runs after an unclean shutdown,
and a warning when the last one found damage, which a click explains (what is damaged, and
what to do: ``clinic-app check --full``, restore a backup, salvage)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QWidget,
)

from clinic_app.changes import Changes
from clinic_app.domains.profile import FullCheckState
from clinic_app.sync.engine import SyncStatus
from ui.backup_runner import BackupNews
from ui.bridge import Event
from ui.errors import tr_core
from ui.session import Session

log = logging.getLogger(__name__)
DOT_COLOURS = {
    "none": "#9e9e9e",
    "connecting": "#f0a500",
    "online": "#2e7d32",
    "offline": "#c62828",
}


def dot_pixmap(colour: str, size: int = 12, ratio: float = 1.0) -> QPixmap:
    """A filled circle: the link state's symbol, sharp on high-DPI screens."""
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return pixmap


def tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    return QCoreApplication.translate("sync_bar", text, disambiguation, n)


def duration_text(seconds: float) -> str:
    whole = max(1, round(seconds))
    if whole < 90:
        return tr("%n s", "", whole)
    return tr("%n min", "", round(whole / 60))


def part_name(name: str) -> str:
    """A part of the profile as the full check names it, translated."""
    names = {
        "key file": tr("key file"),
        "database": tr("record database"),
        "change log": tr("change log"),
        "high-water mark": tr("high-water mark"),
        "audit log": tr("audit log"),
        "attachments": tr("attachments"),
    }
    return names.get(name, name)


def full_check_advice() -> str:
    """What to do when the full check found damage (the same in every language's words)."""
    return "\n".join(
        (
            tr("What to do:"),
            tr("1. For the details, run: clinic-app check --full"),
            tr("2. Restore the newest backup (clinic-app restore, or ask for help)."),
            tr(
                "3. If there is no good backup, copy every readable record into a new profile:"
                " clinic-app salvage --out NEW-FOLDER"
            ),
            tr("Leave the profile folder as it is until then; do not copy over it."),
        )
    )


def progress_text(s: SyncStatus) -> str:
    """'Receiving 1,200 of 21,294 · 850/s · about 24 s left', translated."""
    done, total = f"{s.records_done:,}", f"{max(s.records_total, s.records_done):,}"
    text = tr("Receiving %1 of %2") if s.phase == "receiving" else tr("Sending %1 of %2")
    text = text.replace("%1", done).replace("%2", total)
    if s.rate > 0:
        text += " · " + tr("%1/s").replace("%1", f"{s.rate:,.0f}")
    if s.eta_seconds is not None and s.records_done < s.records_total:
        text += " · " + tr("about %1 left").replace("%1", duration_text(s.eta_seconds))
    return text


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone().strftime("%m-%d %H:%M")


class SyncBar(QWidget):
    show_conflicts = Signal()
    show_errors = Signal()
    show_backups = Signal()
    sync_now = Signal()

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        self.dot = QLabel()
        self.link_state = "none"  # the dot's colour: none, connecting, online, offline
        self.link = QLabel()
        self.pending = QLabel()
        # Changes the central platform refused: never holding the others up, but to be fixed.
        self.errors = QPushButton()
        self.errors.setFlat(True)
        self.errors.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical))
        self.errors.clicked.connect(self.show_errors.emit)
        self.errors.hide()
        self.last = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.progress_label = QLabel()
        self.progress_label.hide()
        self.conflicts = QPushButton()
        self.conflicts.setFlat(True)
        self.conflicts.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        )
        self.conflicts.clicked.connect(self.show_conflicts.emit)
        self.conflicts.hide()
        # A warning when the newest good backup is too old or its folder is missing.
        self.backup = QPushButton()
        self.backup.setFlat(True)
        self.backup.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DriveHDIcon))
        self.backup.clicked.connect(self.show_backups.emit)
        self.backup.hide()
        # The full check of the records: discreet while it runs, a warning if it found damage.
        self.checking = QLabel(self.tr("Checking records…"))
        self.checking.setStyleSheet("color: #757575;")
        self.checking.setToolTip(
            self.tr(
                "The program was not closed properly last time: all records are checked in the"
                " background. You can keep working."
            )
        )
        self.checking.hide()
        self.damage = QPushButton()
        self.damage.setFlat(True)
        self.damage.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical))
        self.damage.clicked.connect(self.show_damage)
        self.damage.hide()
        self.full_check: FullCheckState | None = None
        self.backup_news: BackupNews | None = None
        self.damage_box: QMessageBox | None = None
        self._check_finished = False  # a finished check's news is newer than the start's
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(False)
        self.button = QPushButton(self.tr("Sync now"))
        self.button.setToolTip(self.tr("Sync with the central platform now (F5)"))
        self.button.clicked.connect(self.sync_now.emit)
        for w in (self.dot, self.link, self.pending, self.errors, self.last, self.progress):
            layout.addWidget(w)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.conflicts)
        layout.addWidget(self.backup)
        layout.addWidget(self.checking)
        layout.addWidget(self.damage)
        layout.addWidget(self.error, 1)
        layout.addWidget(self.button)
        self.status = SyncStatus()
        self._counting: asyncio.Future[None] | None = None
        session.bridge.notify.connect(self._on_event)
        self.show_status(self.status)
        # What the profile knows (waiting changes, last success) is read on the store thread.
        self._initial = asyncio.ensure_future(self._load_initial())
        self._checks = asyncio.ensure_future(self._start_full_check())

    async def _load_initial(self) -> None:
        try:
            status = await self.session.call(self.session.clinic.sync.outbox_status)
        except Exception as exc:  # e.g. a damaged page: said by the screens and the full check
            log.warning("the sync bar could not read the outbox: %s", type(exc).__name__)
            return
        if self.status == SyncStatus():  # nothing newer came from the engine meanwhile
            self.show_status(status)

    async def _start_full_check(self) -> None:
        """Start the full check if it is due (on the store thread; it runs on its own), and
        show its state; its end comes back through the bridge."""
        bridge, profile = self.session.bridge, self.session.clinic.profile

        def finished(state: FullCheckState) -> None:  # on the check's thread
            bridge.post(Event.FULL_CHECK, state)

        try:
            state = await self.session.call(profile.start_full_check_if_due, finished)
            if state is None:
                state = await self.session.call(profile.full_check)
        except Exception as exc:  # locked meanwhile: nothing to show
            log.info("the full check was not started: %s", type(exc).__name__)
            return
        if not self._check_finished:
            self.show_full_check(state)

    def show_full_check(self, state: FullCheckState) -> None:
        """A warning if the last full check found damage; "Checking records…" while one runs
        after an unclean shutdown (a check for its age alone runs unseen)."""
        self.full_check = state
        self.checking.setVisible(state.running and state.reason == "unclean")
        last = state.last
        if last is None or not state.damaged:
            self.damage.hide()
            return
        parts = ", ".join(part_name(d.name) for d in last.damaged) or tr("record database")
        self.damage.setText(self.tr("Records damaged — what to do"))
        self.damage.setToolTip(
            self.tr("The full check of %1 found damage in: %2.")
            .replace("%1", _when(last.finished))
            .replace("%2", parts)
        )
        self.damage.show()

    def show_damage(self) -> None:
        """What the last full check found and what to do, in a window that does not block."""
        state = self.full_check
        if state is None or state.last is None:
            return
        last = state.last
        parts = ", ".join(part_name(d.name) for d in last.damaged) or tr("record database")
        box = QMessageBox(self.window())
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Records damaged"))
        box.setText(
            self.tr("The full check of %1 found damage in: %2.")
            .replace("%1", _when(last.finished))
            .replace("%2", parts)
        )
        box.setInformativeText(full_check_advice())
        box.setDetailedText("\n".join(last.lines))
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        self.damage_box = box
        box.open()

    async def reload_counts(self) -> None:
        """Without an engine (no central platform yet), what the outbox holds now."""
        status = await self.session.call(self.session.clinic.sync.outbox_status)
        if self.session.engine is None:
            self.show_status(status)

    def _on_event(self, kind: Event, payload: object) -> None:
        if kind is Event.SYNC_STATUS and isinstance(payload, SyncStatus):
            self.show_status(payload)
        elif kind is Event.RECORDS_CHANGED and isinstance(payload, Changes):
            if self.session.engine is None and not self.session.clinic.closed:
                self._counting = asyncio.ensure_future(self.reload_counts())
        elif kind is Event.BACKUP_STATUS and isinstance(payload, BackupNews):
            self.show_backup(payload)
        elif kind is Event.FULL_CHECK and isinstance(payload, FullCheckState):
            self._check_finished = True
            self.show_full_check(payload)

    def retranslate(self) -> None:
        """Every text again in the language now installed (a switch in the settings)."""
        self.checking.setText(self.tr("Checking records…"))
        self.checking.setToolTip(
            self.tr(
                "The program was not closed properly last time: all records are checked in the"
                " background. You can keep working."
            )
        )
        self.button.setText(self.tr("Sync now"))
        self.button.setToolTip(self.tr("Sync with the central platform now (F5)"))
        self.show_status(self.status)
        if self.backup_news is not None:
            self.show_backup(self.backup_news)
        if self.full_check is not None:
            self.show_full_check(self.full_check)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def show_backup(self, news: BackupNews) -> None:
        """The backup warning: shown only when something needs the clinic's attention."""
        self.backup_news = news
        s = news.status
        folder = str(s.plan.target or "")
        if news.error:
            text, tip = self.tr("Backup failed"), news.error
        elif s.warning == "off":
            text = self.tr("Automatic backups are off")
            tip = self.tr("Choose a backup folder in the settings (another disk or a USB stick).")
        elif s.warning == "missing":
            text = self.tr("Backup folder not connected")
            tip = self.tr(
                "The backup folder %1 is not there: connect the disk, USB stick or network share."
            ).replace("%1", folder)
        elif s.warning == "unwritable":
            text, tip = self.tr("Backup folder cannot be written"), tr_core(s.problem)
        elif s.warning == "never":
            text = self.tr("No backup yet")
            tip = self.tr("No good backup in %1 yet.").replace("%1", folder)
        elif s.warning == "too_old":
            days = s.age.days if s.age is not None else 0
            text = self.tr("Last backup %n day(s) ago", "", days)
            tip = self.tr("The newest good backup in %1 is older than %n day(s).", "",
                          s.plan.warn_after_days).replace("%1", folder)  # fmt: skip
        else:
            text = tip = ""
        self.backup.setText(text)
        self.backup.setToolTip(tip)
        self.backup.setVisible(bool(text))
        self.backup.setIcon(
            self.style().standardIcon(
                QStyle.StandardPixmap.SP_MessageBoxWarning
                if s.warning not in ("", "off") or news.error
                else QStyle.StandardPixmap.SP_DriveHDIcon
            )
        )

    def _set_dot(self, state: str) -> None:
        self.link_state = state
        ratio = self.devicePixelRatioF()
        self.dot.setPixmap(dot_pixmap(DOT_COLOURS[state], ratio=ratio))

    def show_status(self, s: SyncStatus) -> None:
        self.status = s
        if self.session.engine is None:
            self._set_dot("none")
            self.link.setText(self.tr("Not connected to a central platform"))
        elif s.online is None:
            self._set_dot("connecting")
            self.link.setText(self.tr("Connecting…"))
        elif s.online:
            self._set_dot("online")
            self.link.setText(self.tr("Online"))
        else:
            self._set_dot("offline")
            self.link.setText(self.tr("Offline — working locally"))
        self.pending.setText(self.tr("%n change(s) waiting", "", s.pending))
        self.pending.setToolTip(
            self.tr("%n of them failed on the central platform and are retried later.", "",
                    s.held) if s.held else ""
        )  # fmt: skip
        self.errors.setVisible(s.errors > 0)
        self.errors.setText(self.tr("%n in error", "", s.errors))
        self.errors.setToolTip(
            self.tr("Refused by the central platform: show them to fix or discard")
        )
        if s.last_success:
            when = datetime.fromisoformat(s.last_success).astimezone()
            self.last.setText(self.tr("Last sync %1").replace("%1", when.strftime("%m-%d %H:%M")))
        else:
            self.last.setText(self.tr("Never synced"))
        moving = s.syncing and bool(s.phase) and s.records_total > 0
        self.progress.setVisible(moving)
        self.progress_label.setVisible(moving)
        if moving:
            total = max(s.records_total, s.records_done, 1)
            self.progress.setRange(0, total)
            self.progress.setValue(min(s.records_done, total))
            self.progress_label.setText(progress_text(s))
        self.conflicts.setVisible(s.conflicts > 0)
        self.conflicts.setText(self.tr("%n conflict(s) to resolve", "", s.conflicts))
        # Also when online: a refusal (an outdated workstation, a revoked token) says what to do.
        self.error.setText(tr_core(s.last_error) if s.last_error else "")
        self.error.setToolTip(self.error.text())
