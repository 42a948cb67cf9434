"""The one bridge from core events to Qt: events are an Enum, re-emitted as a Qt signal that
is delivered on the GUI thread whatever thread raised it (queued connection)."""

from __future__ import annotations

from enum import Enum, auto
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot


class Event(Enum):
    RECORDS_CHANGED = auto()  # payload: clinic_app.changes.Changes (empty: any may have changed)
    SYNC_STATUS = auto()  # payload: clinic_app.sync.engine.SyncStatus
    LOCKED = auto()
    UNLOCKED = auto()
    LANGUAGE_CHANGED = auto()
    SETTINGS_CHANGED = auto()  # payload: the preference key (ui.preferences)
    ACCOUNT_CHANGED = auto()  # payload: the SyncAccount now saved (clinic_app.sync.account)
    BACKUP_STATUS = auto()  # payload: ui.backup_runner.BackupNews
    FULL_CHECK = auto()  # payload: clinic_app.domains.profile.FullCheckState (it finished)
    RESTORE_REQUESTED = auto()  # payload: ui.restore_runner.RestoreJob (checked, confirmed)
    REBUILD_REQUESTED = auto()  # payload: ui.rebuild_runner.RebuildJob (checked, confirmed)


class Bridge(QObject):
    """``bridge.notify.connect(handler)``; handlers receive (Event, payload) on the GUI thread."""

    notify = Signal(object, object)
    _relay = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        self._relay.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def post(self, kind: Event, payload: Any = None) -> None:
        """Safe from any thread: delivery happens later on the GUI thread."""
        self._relay.emit(kind, payload)

    def emit_now(self, kind: Event, payload: Any = None) -> None:
        """From the GUI thread: deliver at once."""
        self.notify.emit(kind, payload)

    @Slot(object, object)
    def _deliver(self, kind: Event, payload: Any) -> None:
        self.notify.emit(kind, payload)
