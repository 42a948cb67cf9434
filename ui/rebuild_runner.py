"""Rebuilding the open profile from the central platform, run by the main window: the settings'
rebuild box checks the passphrase or recovery key and asks for the confirmation, then asks for
this through the bridge (``Event.REBUILD_REQUESTED`` with a :class:`RebuildJob`).

The open records are closed first (the session, its sync and its backups end: the profile
being replaced must not be written meanwhile), the rebuild runs on the store thread with a
progress dialog naming each step (the event loop keeps running), and the sign-in screen opens
the rebuilt profile. The profile it replaces is moved aside, never deleted
(``clinic_app.recovery.rebuild_in_place``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from clinic_app.domains.profile import Profile
from clinic_app.recovery import RebuildReport
from ui.ops import run_op


def tr(text: str) -> str:
    return QCoreApplication.translate("rebuild_runner", text)


def step_text(step: str) -> str:
    """What the progress dialog says for a step of ``clinic_app.recovery.STEPS``."""
    texts = {
        "reading": tr("Reading the changes never sent from the records on this workstation…"),
        "connecting": tr("Connecting to the central platform…"),
        "receiving": tr("Receiving the clinic's records from the central platform…"),
        "requeueing": tr("Putting back the changes never sent…"),
        "placing": tr("Putting the rebuilt records in place…"),
    }
    return texts.get(step, tr("Rebuilding…"))


@dataclass(frozen=True)
class RebuildJob:
    """A rebuild of ``profile`` the doctor confirmed."""

    profile: Path
    user: str
    passphrase: str = ""
    recovery_key: str | None = None
    code: str | None = None  # a new one-time enrollment code; None: the saved account

    def run(self, progress: Callable[[str], None] | None = None) -> RebuildReport:
        """On a worker thread (its own event loop for the network)."""
        work = Profile.rebuild_in_place(self.profile, self.user, self.passphrase,
                                        recovery_key=self.recovery_key, code=self.code,
                                        progress=progress)  # fmt: skip
        return asyncio.run(work)


def report_text(report: RebuildReport) -> str:
    """What the doctor is told after a rebuild (counts and folders only)."""
    lines = [
        tr("The records were rebuilt from the central platform: %1 records received.").replace(
            "%1", str(sum(report.received.values()))
        )
    ]
    lines.append(
        tr(
            "Changes never sent: %1 put back (they go with the next sync), %2 were already on "
            "the central platform, %3 could not be read."
        )
        .replace("%1", str(report.requeued))
        .replace("%2", str(report.already_on_central))
        .replace("%3", str(len(report.unsent_lost)))
    )
    if report.previous is not None:
        lines.append(
            tr("The records as they were are kept, unchanged, in %1.").replace(
                "%1", str(report.previous)
            )
        )
    if report.recovery_key:
        lines.append(
            tr("A new recovery key was made (write it down, it is shown only this once): %1")
            .replace("%1", report.recovery_key)
        )  # fmt: skip
    lines.append(tr("Sign in again to open the rebuilt records."))
    return "\n".join(lines)


class RebuildRun:
    """One rebuild in the main window: progress by step, then the result (or the one error
    dialog; nothing was changed then)."""

    def __init__(self, parent: QWidget, executor: Executor) -> None:
        self.parent = parent
        self.executor = executor
        self.progress: QProgressDialog | None = None
        self.result_box: QMessageBox | None = None
        self.report: RebuildReport | None = None
        self.steps: list[str] = []  # the steps shown, in order

    def _show_step(self, step: str) -> None:
        self.steps.append(step)
        if self.progress is not None and shiboken6.isValid(self.progress):
            self.progress.setLabelText(step_text(step))

    async def run(self, job: RebuildJob) -> RebuildReport | None:
        """Rebuild on the store thread (the records must be closed already)."""
        progress = QProgressDialog(self.parent)
        progress.setWindowTitle(tr("Rebuilding from the central platform"))
        progress.setLabelText(step_text("reading"))
        progress.setRange(0, 0)  # busy: the steps are named, their lengths are unknown
        progress.setCancelButton(None)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.show()
        self.progress = progress
        loop = asyncio.get_running_loop()

        def told(step: str) -> None:  # on the worker thread
            loop.call_soon_threadsafe(self._show_step, step)

        try:
            report = await run_op(self.parent, loop.run_in_executor(self.executor, job.run, told))
        finally:
            if shiboken6.isValid(progress):
                progress.close()
                progress.deleteLater()
            self.progress = None
        self.report = report
        if report is not None and shiboken6.isValid(self.parent):
            box = QMessageBox(self.parent)
            box.setIcon(QMessageBox.Icon.Information)
            box.setWindowTitle(tr("Records rebuilt"))
            box.setText(report_text(report))
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            self.result_box = box
        return report
