"""Always visible at the bottom: online or offline, changes waiting, last successful sync,
a progress bar while syncing, and the conflicts waiting for a decision."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from clinic_app.sync.engine import SyncStatus
from ui.bridge import Event
from ui.errors import tr_core
from ui.session import Session


class SyncBar(QWidget):
    show_conflicts = Signal()
    sync_now = Signal()

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        self.link = QLabel()
        self.pending = QLabel()
        self.last = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.conflicts = QPushButton()
        self.conflicts.setFlat(True)
        self.conflicts.clicked.connect(self.show_conflicts.emit)
        self.conflicts.hide()
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.button = QPushButton(self.tr("Sync now"))
        self.button.setToolTip(self.tr("Sync with the central platform now (F5)"))
        self.button.clicked.connect(self.sync_now.emit)
        for w in (self.link, self.pending, self.last, self.progress, self.conflicts):
            layout.addWidget(w)
        layout.addWidget(self.error, 1)
        layout.addWidget(self.button)
        session.bridge.notify.connect(self._on_event)
        self.show_status(SyncStatus(pending=session.store.pending_count()))

    def _on_event(self, kind: Event, payload: object) -> None:
        if kind is Event.SYNC_STATUS and isinstance(payload, SyncStatus):
            self.show_status(payload)

    def show_status(self, s: SyncStatus) -> None:
        if self.session.engine is None:
            self.link.setText("⚪ " + self.tr("Not connected to a central platform"))
        elif s.online is None:
            self.link.setText("⚪ " + self.tr("Connecting…"))
        elif s.online:
            self.link.setText("🟢 " + self.tr("Online"))
        else:
            self.link.setText("🔴 " + self.tr("Offline — working locally"))
        self.pending.setText(self.tr("%n change(s) waiting", "", s.pending))
        if s.last_success:
            when = datetime.fromisoformat(s.last_success).astimezone()
            self.last.setText(self.tr("Last sync %1").replace("%1", when.strftime("%m-%d %H:%M")))
        else:
            self.last.setText(self.tr("Never synced"))
        self.progress.setVisible(s.syncing)
        if s.syncing:
            total = max(s.records_total, 1)
            self.progress.setRange(0, total)
            self.progress.setValue(min(s.records_done, total))
        self.conflicts.setVisible(s.conflicts > 0)
        self.conflicts.setText("⚠ " + self.tr("%n conflict(s) to resolve", "", s.conflicts))
        # Also when online: a refusal (an outdated workstation, a revoked token) says what to do.
        self.error.setText(tr_core(s.last_error) if s.last_error else "")
