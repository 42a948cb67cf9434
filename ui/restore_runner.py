"""Restoring a backup over the open profile, run by the main window: the settings' restore box
checks the backup and asks for the confirmation, then asks for this through the bridge
(``Event.RESTORE_REQUESTED`` with a :class:`RestoreJob`).

The open records are closed first (the session, its sync and its backups end: the restored
profile must not be written by the old store), the restore runs on the store thread with a
progress dialog (the event loop keeps running), and the sign-in screen opens the restored
profile. The profile it replaces is moved aside, never deleted (``clinic_app.domains.profile``).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from clinic_app.domains.profile import Profile, RestoreReport
from ui.ops import run_op


def tr(text: str) -> str:
    return QCoreApplication.translate("restore_runner", text)


@dataclass(frozen=True)
class RestoreJob:
    """A checked backup the doctor confirmed to restore over ``profile``."""

    archive: Path
    profile: Path
    user: str
    passphrase: str = ""
    recovery_key: str | None = None

    def run(self) -> RestoreReport:
        return Profile.restore(self.archive, self.profile, self.user, self.passphrase,
                               replace=True, recovery_key=self.recovery_key)  # fmt: skip


def report_text(report: RestoreReport) -> str:
    """What the doctor is told after a restore (counts and folders only)."""
    lines = [
        tr("The backup %1 was restored: %2 records.")
        .replace("%1", report.archive.name)
        .replace("%2", str(report.records))
    ]
    if report.previous is not None:
        lines.append(
            tr("The records as they were are kept, unchanged, in %1.").replace(
                "%1", str(report.previous)
            )
        )
    missing = report.missing
    if report.needs_recovery:
        if missing:
            unsent = report.replaced.unsent if report.replaced is not None else 0
            lines.append(
                tr(
                    "%1 changes made after the backup are not in it (%2 of them were never "
                    "sent to the central platform)."
                )
                .replace("%1", str(missing))
                .replace("%2", str(unsent))
            )
        else:
            lines.append(tr("Changes made after the backup may be missing from it."))
    lines.append(tr("Sign in again to open the restored records."))
    return "\n".join(lines)


class RestoreRun:
    """One restore in the main window: progress, then the result (or the one error dialog)."""

    def __init__(self, parent: QWidget, executor: Executor) -> None:
        self.parent = parent
        self.executor = executor
        self.progress: QProgressDialog | None = None
        self.result_box: QMessageBox | None = None
        self.report: RestoreReport | None = None

    async def run(self, job: RestoreJob) -> RestoreReport | None:
        """Restore on the store thread (the records must be closed already)."""
        progress = QProgressDialog(self.parent)
        progress.setWindowTitle(tr("Restoring"))
        progress.setLabelText(
            tr("Restoring the backup %1: checking it, then putting it in place…").replace(
                "%1", job.archive.name
            )
        )
        progress.setRange(0, 0)  # busy: the store says nothing in between
        progress.setCancelButton(None)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.show()
        self.progress = progress
        loop = asyncio.get_running_loop()
        try:
            report = await run_op(self.parent, loop.run_in_executor(self.executor, job.run))
        finally:
            if shiboken6.isValid(progress):
                progress.close()
                progress.deleteLater()
            self.progress = None
        self.report = report
        if report is not None and shiboken6.isValid(self.parent):
            box = QMessageBox(self.parent)
            box.setIcon(QMessageBox.Icon.Information)
            box.setWindowTitle(tr("Backup restored"))
            box.setText(report_text(report))
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            self.result_box = box
        return report
