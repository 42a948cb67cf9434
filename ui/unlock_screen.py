"""Sign-in on a shared PC: choose the user, type the passphrase. A user who forgot it sets a
new one with the clinic's recovery key and is signed in.

Key derivation (Argon2id, 64 MiB) runs on a worker thread, never on the GUI thread.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.clinic import Clinic
from clinic_app.errors import ClinicError
from ui.errors import tr_error
from ui.text_size import TITLE, relative_font
from ui.widgets import FieldError


class UnlockScreen(QWidget):
    """Emits ``unlocked(store)`` once a user is signed in."""

    unlocked = Signal(object)

    def __init__(self, profile: Path, executor: ThreadPoolExecutor) -> None:
        super().__init__()
        self.profile = profile
        self.executor = executor
        self.setObjectName("unlock")
        outer = QHBoxLayout(self)
        panel = QWidget()
        panel.setFixedWidth(460)  # word-wrapped labels need a known width for their height
        column = QVBoxLayout(panel)
        form = QFormLayout()
        column.addStretch(1)
        column.addLayout(form)
        column.addStretch(2)
        self.title = QLabel(self.tr("Clinic workstation"))
        self.title.setWordWrap(True)
        relative_font(self.title, TITLE, weight=QFont.Weight.DemiBold)
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
        self.forgot = QPushButton(self.tr("Forgot the passphrase?"))
        self.forgot.setFlat(True)
        self.forgot.setCursor(Qt.CursorShape.PointingHandCursor)
        self.forgot.setStyleSheet("color: #1a5fb4; text-align: left;")
        self.forgot.clicked.connect(self.toggle_recovery)
        form.addRow(self.forgot)
        self.recovery_box = QGroupBox(self.tr("Set a new passphrase with the recovery key"))
        rf = QFormLayout(self.recovery_box)
        self.note = note = QLabel(
            self.tr(
                "The recovery key was shown once when this workstation was set up (13 groups of "
                "four letters and digits). It sets a new passphrase for the user chosen above."
            )
        )
        note.setWordWrap(True)
        rf.addRow(note)
        self.recovery = QLineEdit()
        self.recovery.setPlaceholderText("XXXX-XXXX-…")
        self.recovery_error = FieldError()
        rf.addRow(self.tr("Recovery key"), self.recovery)
        rf.addRow(self.recovery_error)
        self.new_pass, self.repeat_pass = QLineEdit(), QLineEdit()
        for edit in (self.new_pass, self.repeat_pass):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_pass.setPlaceholderText(self.tr("at least 8 characters"))
        self.new_error = FieldError()
        rf.addRow(self.tr("New passphrase"), self.new_pass)
        rf.addRow(self.new_error)
        rf.addRow(self.tr("Repeat it"), self.repeat_pass)
        self.repeat_pass.returnPressed.connect(self.on_recovery)
        self.recovery_button = QPushButton(self.tr("Set the new passphrase and sign in"))
        self.recovery_button.clicked.connect(self.on_recovery)
        rf.addRow(self.recovery_button)
        self.recovery_box.hide()
        form.addRow(self.recovery_box)
        outer.addStretch(1)
        outer.addWidget(panel)  # all the height: the form centres itself vertically
        outer.addStretch(1)
        self.form, self.recovery_form = form, rf
        self.refresh_users()

    def retranslate(self) -> None:
        """Every text again in the language now installed (a switch made in the settings
        shows here at the next sign-in, the lock included)."""
        self.title.setText(self.tr("Clinic workstation"))
        if self.button.isEnabled():
            self.hint.setText(self.tr("Sign in to open the clinic's records."))
        labels = (
            (self.form, self.user, self.tr("User")),
            (self.form, self.passphrase, self.tr("Passphrase")),
            (self.recovery_form, self.recovery, self.tr("Recovery key")),
            (self.recovery_form, self.new_pass, self.tr("New passphrase")),
            (self.recovery_form, self.repeat_pass, self.tr("Repeat it")),
        )
        for form, field, text in labels:
            label = form.labelForField(field)
            if isinstance(label, QLabel):
                label.setText(text)
        self.passphrase.setPlaceholderText(self.tr("Passphrase"))
        self.button.setText(self.tr("Sign in"))
        self.forgot.setText(self.tr("Forgot the passphrase?"))
        self.recovery_box.setTitle(self.tr("Set a new passphrase with the recovery key"))
        self.note.setText(
            self.tr(
                "The recovery key was shown once when this workstation was set up (13 groups of "
                "four letters and digits). It sets a new passphrase for the user chosen above."
            )
        )
        self.new_pass.setPlaceholderText(self.tr("at least 8 characters"))
        self.recovery_button.setText(self.tr("Set the new passphrase and sign in"))
        for error in (self.error, self.recovery_error, self.new_error):
            error.clear_message()  # a message in the old language would mix the screen

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def refresh_users(self) -> None:
        self.user.clear()
        try:
            self.user.addItems(Clinic.users(self.profile))
        except ClinicError as exc:
            self.error.show_message(tr_error(exc))

    async def _open(self, work: object) -> None:
        self.button.setEnabled(False)
        self.recovery_button.setEnabled(False)
        self.error.clear_message()
        self.hint.setText(self.tr("Opening the records…"))
        try:
            loop = asyncio.get_running_loop()
            clinic: Clinic = await loop.run_in_executor(self.executor, work)  # type: ignore[arg-type]
        except ClinicError as exc:
            self.error.show_message(tr_error(exc))
            self.hint.setText(self.tr("Sign in to open the clinic's records."))
            return
        finally:
            self.button.setEnabled(True)
            self.recovery_button.setEnabled(True)
        for edit in (self.passphrase, self.recovery, self.new_pass, self.repeat_pass):
            edit.clear()
        self.recovery_box.hide()
        self.hint.setText(self.tr("Sign in to open the clinic's records."))
        self.unlocked.emit(clinic)

    @asyncSlot()
    async def on_unlock(self) -> None:
        user, passphrase = self.user.currentText(), self.passphrase.text()
        if not passphrase:
            self.error.show_message(self.tr("Type your passphrase."))
            return
        await self._open(lambda: Clinic.open(self.profile, user, passphrase))

    def toggle_recovery(self) -> None:
        self.recovery_box.setVisible(not self.recovery_box.isVisible())
        if self.recovery_box.isVisible():
            self.recovery.setFocus()

    @asyncSlot()
    async def on_recovery(self) -> None:
        await self.recover()

    async def recover(self) -> None:
        """Check the fields here, then rewrap the chosen user's slot on the worker thread."""
        for err in (self.recovery_error, self.new_error, self.error):
            err.clear_message()
        user, key = self.user.currentText(), self.recovery.text()
        new, repeat = self.new_pass.text(), self.repeat_pass.text()
        if not key.strip():
            self.recovery_error.show_message(self.tr("Type the recovery key."))
            return
        if len(new) < 8:
            self.new_error.show_message(self.tr("A passphrase needs at least 8 characters."))
            return
        if new != repeat:
            self.new_error.show_message(self.tr("The two new passphrases differ."))
            return
        if not user:
            self.error.show_message(self.tr("Choose the user whose passphrase is forgotten."))
            return
        await self._open(lambda: Clinic.recover(self.profile, key, user, new))
