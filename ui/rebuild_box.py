"""Settings: rebuild the records from the central platform, beside the restore from a backup.
For a profile that is damaged (or a workstation whose backups are lost): the doctor gives the
passphrase or the recovery key (and, when the saved account cannot be used, a new one-time
enrollment code from the administrator); the key is checked, then, only after a confirmation
naming the records that will be replaced (where, how many, how many changes were never sent)
and the central platform they are rebuilt from, the main window closes the records and
rebuilds (``ui.rebuild_runner``) and the sign-in screen opens the rebuilt profile.

Everything the core does runs on the store thread through ``session.call``; the confirmation
opens without blocking the event loop. A wrong passphrase or recovery key is said at its field,
and nothing is changed.
"""

from __future__ import annotations

import asyncio

import shiboken6
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
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

from clinic_app.domains.profile import RebuildPlan
from clinic_app.errors import WrongPassphrase
from ui.bridge import Event
from ui.errors import tr_core
from ui.ops import run_op
from ui.rebuild_runner import RebuildJob
from ui.session import Session
from ui.widgets import with_error

PASSPHRASE, RECOVERY_KEY = "passphrase", "recovery"


class RebuildBox(QGroupBox):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rebuild-box")
        self.session = session
        self.confirm_box: QMessageBox | None = None
        self.replace_button: QAbstractButton | None = None
        self.cancel_button: QAbstractButton | None = None
        self.job: RebuildJob | None = None  # the last rebuild asked of the main window
        form = QFormLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        form.addRow(self.intro)
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
        self.code_label = QLabel()
        self.code = QLineEdit()
        self.code_label.setBuddy(self.code)
        code_holder, self.code_error = with_error(self.code)
        form.addRow(self.code_label, code_holder)
        self.rebuild_button = QPushButton()
        self.rebuild_button.clicked.connect(self.on_rebuild)
        self.state = QLabel()
        self.state.setWordWrap(True)
        action = QHBoxLayout()
        action.addWidget(self.rebuild_button)
        action.addWidget(self.state, 1)
        form.addRow(action)
        self.retranslate()

    # ---- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setTitle(self.tr("Rebuild from the central platform"))
        self.intro.setText(
            self.tr(
                "Replaces the records on this workstation with what the central platform holds "
                "for the clinic, when they are damaged and no good backup is at hand. Changes "
                "never sent are put back where they can still be read. The records as they are "
                "now are moved aside, never deleted."
            )
        )
        self.kind_label.setText(self.tr("Opened with"))
        self.kind.setItemText(0, self.tr("My passphrase"))
        self.kind.setItemText(1, self.tr("The recovery key"))
        self.secret_label.setText(self.tr("Passphrase or recovery key"))
        self.code_label.setText(self.tr("One-time code (optional)"))
        self.code.setPlaceholderText(
            self.tr("only if the administrator gave a new one; else the saved account")
        )
        self.rebuild_button.setText(self.tr("Check and rebuild…"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ---- rebuilding --------------------------------------------------------------------
    @asyncSlot()
    async def on_rebuild(self) -> None:
        await self.rebuild()

    async def rebuild(self) -> str:
        """Check the key, confirm, then ask the main window to rebuild. Returns what happened:
        "refused" (said at a field or in the error dialog), "cancelled" or "requested"."""
        self.secret_error.clear_message()
        self.code_error.clear_message()
        self.state.setText("")
        secret = self.secret.text()
        code = self.code.text().strip() or None
        if not secret:
            self.secret_error.show_message(self.tr("Give the passphrase or the recovery key."))
            return "refused"
        recovery = self.kind.currentData() == RECOVERY_KEY
        profile = self.session.clinic.profile
        self.state.setText(self.tr("Checking…"))

        async def check() -> RebuildPlan | None:
            def plan() -> RebuildPlan:
                return profile.rebuild_plan(
                    "" if recovery else secret, recovery_key=secret if recovery else None
                )

            try:
                return await self.session.call(plan)
            except WrongPassphrase as exc:
                self.secret_error.show_message(tr_core(str(exc)))
                return None

        found = await run_op(self, check(), disable=self.rebuild_button)
        if not shiboken6.isValid(self.state):
            return "refused"
        self.state.setText("")
        if found is None:
            return "refused"
        if found.server is None and code is None:
            self.code_error.show_message(
                self.tr(
                    "This workstation is not connected to a central platform: enroll it first "
                    "(Central platform, below) or ask the administrator for a one-time code."
                )
            )
            return "refused"
        if not await self.confirm(found):
            self.state.setText(self.tr("Nothing was changed."))
            return "cancelled"
        self.secret.clear()
        self.code.clear()
        self.job = RebuildJob(
            profile=found.folder, user=self.session.user,
            passphrase="" if recovery else secret, recovery_key=secret if recovery else None,
            code=code,
        )  # fmt: skip
        self.session.bridge.emit_now(Event.REBUILD_REQUESTED, self.job)
        return "requested"

    async def confirm(self, plan: RebuildPlan) -> bool:
        """The question naming what is replaced by what; True only on "Rebuild"."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Replace the records with the central platform's?"))
        box.setText(
            self.tr(
                "The records in %1 (%2 records now, %3 changes never sent) will be replaced "
                "with what the central platform %4 holds for the clinic."
            )
            .replace("%1", str(plan.folder))
            .replace("%2", str(plan.records))
            .replace("%3", str(plan.unsent))
            .replace("%4", plan.server or self.tr("(reached with the one-time code)"))
        )
        box.setInformativeText(
            self.tr(
                "Changes never sent are put back if they can still be read; the rebuild lists "
                "those that cannot. The records as they are now are moved, unchanged, to a "
                "folder beside them. The records close now; sign in again afterwards."
            )
        )
        replace = box.addButton(
            self.tr("Rebuild from the central platform"), QMessageBox.ButtonRole.DestructiveRole
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
