"""Sign-in on a shared PC: choose the user, type the passphrase; or use the recovery key.

Key derivation (Argon2id, 64 MiB) runs on a worker thread, never on the GUI thread.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.errors import ClinicError
from local_store.store import Store
from ui.widgets import FieldError


class UnlockScreen(QWidget):
    """Emits ``unlocked(store)`` once a user is signed in."""

    unlocked = Signal(object)

    def __init__(self, profile: Path, executor: ThreadPoolExecutor) -> None:
        super().__init__()
        self.profile = profile
        self.executor = executor
        self.setObjectName("unlock")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        panel = QWidget()
        panel.setMaximumWidth(420)
        form = QFormLayout(panel)
        self.title = QLabel(self.tr("Clinic workstation"))
        self.title.setStyleSheet("font-size: 20px; font-weight: 600;")
        form.addRow(self.title)
        self.hint = QLabel(self.tr("Sign in to open the clinic's records."))
        form.addRow(self.hint)
        self.user = QComboBox()
        self.user.setEditable(False)
        form.addRow(self.tr("User"), self.user)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText(self.tr("Passphrase"))
        self.passphrase.returnPressed.connect(self.on_unlock)
        form.addRow(self.tr("Passphrase"), self.passphrase)
        self.error = FieldError()
        form.addRow(self.error)
        self.button = QPushButton(self.tr("Sign in"))
        self.button.setDefault(True)
        self.button.clicked.connect(self.on_unlock)
        form.addRow(self.button)
        self.recovery = QLineEdit()
        self.recovery.setPlaceholderText(self.tr("Recovery key (XXXX-XXXX-…)"))
        self.recovery_button = QPushButton(self.tr("Open with recovery key"))
        self.recovery_button.clicked.connect(self.on_recovery)
        form.addRow(self.tr("Forgot the passphrase?"), self.recovery)
        form.addRow(self.recovery_button)
        outer.addWidget(panel, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.refresh_users()

    def refresh_users(self) -> None:
        self.user.clear()
        try:
            self.user.addItems(Store.users(self.profile))
        except ClinicError as exc:
            self.error.show_message(str(exc))

    async def _open(self, work: object) -> None:
        self.button.setEnabled(False)
        self.recovery_button.setEnabled(False)
        self.error.clear_message()
        self.hint.setText(self.tr("Opening the records…"))
        try:
            loop = asyncio.get_running_loop()
            store = await loop.run_in_executor(self.executor, work)  # type: ignore[arg-type]
        except ClinicError as exc:
            self.error.show_message(str(exc))
            self.hint.setText(self.tr("Sign in to open the clinic's records."))
            return
        finally:
            self.button.setEnabled(True)
            self.recovery_button.setEnabled(True)
        self.passphrase.clear()
        self.recovery.clear()
        self.hint.setText(self.tr("Sign in to open the clinic's records."))
        self.unlocked.emit(store)

    @asyncSlot()
    async def on_unlock(self) -> None:
        user, passphrase = self.user.currentText(), self.passphrase.text()
        if not passphrase:
            self.error.show_message(self.tr("Type your passphrase."))
            return
        await self._open(lambda: Store.unlock(self.profile, user, passphrase))

    @asyncSlot()
    async def on_recovery(self) -> None:
        key = self.recovery.text()
        if not key.strip():
            self.error.show_message(self.tr("Type the recovery key."))
            return
        await self._open(lambda: Store.unlock_recovery(self.profile, key))
