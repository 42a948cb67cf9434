"""Settings: restore the records from a backup. The doctor picks a backup file (or the newest
verified one in the backup folder), gives the passphrase or the recovery key, the backup is
checked (its checksums, that the key opens it, what it holds) and then, only after a
confirmation naming the records that will be replaced and the backup that replaces them, the
main window closes the records and restores (``ui.restore_runner``) and the sign-in screen
opens the restored profile.

Everything the core does runs on the store thread through ``session.call``; the dialogs open
without blocking the event loop. A wrong passphrase or recovery key is said at its field, and
nothing is changed.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.domains.profile import BackupSummary, Profile
from clinic_app.errors import WrongPassphrase
from ui.bridge import Event
from ui.errors import tr_core
from ui.ops import run_op
from ui.restore_runner import RestoreJob
from ui.session import Session
from ui.widgets import with_error

PASSPHRASE, RECOVERY_KEY = "passphrase", "recovery"


def _when(created: str) -> str:
    try:
        return datetime.fromisoformat(created).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return "?"


class RestoreBox(QGroupBox):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("restore-box")
        self.session = session
        self.file_dialog: QFileDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.replace_button: QAbstractButton | None = None
        self.cancel_button: QAbstractButton | None = None
        self.job: RestoreJob | None = None  # the last restore asked of the main window
        form = QFormLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        form.addRow(self.intro)
        self.file_label = QLabel()
        file_row = QWidget()
        row = QHBoxLayout(file_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.file = QLineEdit()
        self.file.setReadOnly(True)
        self.choose_button = QPushButton()
        self.choose_button.clicked.connect(self.choose_file)
        self.newest_button = QPushButton()
        self.newest_button.clicked.connect(self.on_newest)
        row.addWidget(self.file, 1)
        row.addWidget(self.choose_button)
        row.addWidget(self.newest_button)
        box, self.file_error = with_error(file_row)
        form.addRow(self.file_label, box)
        self.kind_label = QLabel()
        self.kind = QComboBox()
        self.kind.addItem("", PASSPHRASE)
        self.kind.addItem("", RECOVERY_KEY)
        self.kind_label.setBuddy(self.kind)
        form.addRow(self.kind_label, self.kind)
        self.secret_label = QLabel()
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_label.setBuddy(self.secret)
        holder, self.secret_error = with_error(self.secret)
        form.addRow(self.secret_label, holder)
        self.restore_button = QPushButton()
        self.restore_button.clicked.connect(self.on_restore)
        self.state = QLabel()
        self.state.setWordWrap(True)
        action = QHBoxLayout()
        action.addWidget(self.restore_button)
        action.addWidget(self.state, 1)
        form.addRow(action)
        self.retranslate()

    # ---- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setTitle(self.tr("Restore from a backup"))
        self.intro.setText(
            self.tr(
                "Replaces the records on this workstation with a backup, for instance after a "
                "disk failure. The records as they are now are moved aside, never deleted."
            )
        )
        self.file_label.setText(self.tr("Backup file"))
        self.file.setPlaceholderText(self.tr("no backup chosen"))
        self.choose_button.setText(self.tr("Choose file…"))
        self.newest_button.setText(self.tr("Newest good backup"))
        self.kind_label.setText(self.tr("Opened with"))
        self.kind.setItemText(0, self.tr("My passphrase (when the backup was made)"))
        self.kind.setItemText(1, self.tr("The recovery key"))
        self.secret_label.setText(self.tr("Passphrase or recovery key"))
        self.restore_button.setText(self.tr("Check and restore…"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ---- choosing the backup -----------------------------------------------------------
    def choose_file(self) -> QFileDialog:
        """The file dialog (not modal to the loop: its choice arrives as a signal)."""
        dialog = QFileDialog(self, self.tr("Backup file"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(self.tr("Clinic backups (*.clinicbackup);;All files (*)"))
        dialog.fileSelected.connect(self.set_file)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def set_file(self, path: str) -> None:
        self.file_error.clear_message()
        self.file.setText(path)

    @asyncSlot()
    async def on_newest(self) -> None:
        await self.pick_newest()

    async def pick_newest(self) -> Path | None:
        """The newest verified backup in the backup folder, or a word why there is none."""
        self.file_error.clear_message()
        backups = self.session.clinic.backups
        newest = await run_op(self, self.session.call(backups.newest_good_archive))
        if not shiboken6.isValid(self.file):
            return None
        if newest is None:
            self.file_error.show_message(
                self.tr("No verified backup is in the backup folder: choose a file.")
            )
            return None
        self.file.setText(str(newest))
        return newest

    # ---- restoring ---------------------------------------------------------------------
    @asyncSlot()
    async def on_restore(self) -> None:
        await self.restore()

    async def restore(self) -> str:
        """Check the backup, confirm, then ask the main window to restore it. Returns what
        happened: "refused" (said at a field or in the error dialog), "cancelled" or
        "requested"."""
        self.file_error.clear_message()
        self.secret_error.clear_message()
        self.state.setText("")
        archive = self.file.text().strip()
        secret = self.secret.text()
        if not archive:
            self.file_error.show_message(self.tr("Choose a backup file first."))
            return "refused"
        if not secret:
            self.secret_error.show_message(self.tr("Give the passphrase or the recovery key."))
            return "refused"
        recovery = self.kind.currentData() == RECOVERY_KEY
        user = self.session.user
        profile = self.session.clinic.profile
        self.state.setText(self.tr("Checking the backup…"))

        async def check() -> tuple[BackupSummary, Path, int] | None:
            def read() -> tuple[BackupSummary, Path, int]:
                summary = Profile.inspect_backup(
                    Path(archive), user, "" if recovery else secret,
                    recovery_key=secret if recovery else None,
                )  # fmt: skip
                return summary, profile.folder, sum(profile.counts().values())

            try:
                return await self.session.call(read)
            except WrongPassphrase as exc:
                self.secret_error.show_message(tr_core(str(exc)))
                return None

        found = await run_op(self, check(), disable=self.restore_button)
        if not shiboken6.isValid(self.state):
            return "refused"
        self.state.setText("")
        if found is None:
            return "refused"
        summary, folder, now_records = found
        if not await self.confirm(summary, folder, now_records):
            self.state.setText(self.tr("Nothing was changed."))
            return "cancelled"
        self.secret.clear()
        self.job = RestoreJob(
            archive=summary.archive, profile=folder, user=user,
            passphrase="" if recovery else secret, recovery_key=secret if recovery else None,
        )  # fmt: skip
        self.session.bridge.emit_now(Event.RESTORE_REQUESTED, self.job)
        return "requested"

    async def confirm(self, summary: BackupSummary, folder: Path, now_records: int) -> bool:
        """The question naming what is replaced by what; True only on "Replace"."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Replace the records with the backup?"))
        box.setText(
            self.tr(
                "The records in %1 (%2 records now) will be replaced with the backup %3, "
                "taken %4 (%5 records)."
            )
            .replace("%1", str(folder))
            .replace("%2", str(now_records))
            .replace("%3", summary.archive.name)
            .replace("%4", _when(summary.created))
            .replace("%5", str(summary.records))
        )
        box.setInformativeText(
            self.tr(
                "Whatever was entered after the backup was taken is not in it. The records "
                "as they are now are moved, unchanged, to a folder beside them. The records "
                "close now; sign in again afterwards."
            )
        )
        replace = box.addButton(
            self.tr("Replace with the backup"), QMessageBox.ButtonRole.DestructiveRole
        )
        cancel = box.addButton(self.tr("Cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        self.replace_button, self.cancel_button = replace, cancel
        answer: asyncio.Future[QAbstractButton | None] = asyncio.get_running_loop().create_future()

        def finished(_result: int) -> None:
            if not answer.done():
                answer.set_result(box.clickedButton())

        def gone() -> None:
            if not answer.done():
                answer.set_result(None)

        box.finished.connect(finished)
        box.destroyed.connect(gone)
        self.confirm_box = box
        box.open()
        try:
            clicked = await answer
        finally:
            self.confirm_box = None
            if shiboken6.isValid(box):
                box.deleteLater()
        return clicked is replace
