"""Settings: automatic backups — the folder the clinic chooses (another disk, a USB stick, a
network share), how often, how many daily and weekly backups to keep, after how many days the
sync bar warns, the newest good backup, and "Back up now".

The settings live in the profile (``clinic.backups``: declared once in
``clinic_app.domains.backups``), so ``clinic-app backups run`` from cron uses the same ones.
Every read and write goes to the store thread; after a change the backup runner is told
(``Event.SETTINGS_CHANGED`` with ``ui.backup_runner.SETTINGS_KEY``) and checks at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.domains import backups as spec
from clinic_app.domains.backups import BackupPlan, BackupStatus
from clinic_app.errors import ValidationError
from ui.backup_runner import SETTINGS_KEY, BackupNews
from ui.bridge import Event
from ui.errors import tr_core
from ui.ops import run_op
from ui.session import Session
from ui.widgets import FieldError, with_error

NUMBERS = {  # setting name -> its declaration (range, default)
    "interval_hours": spec.INTERVAL_HOURS,
    "keep_daily": spec.KEEP_DAILY,
    "keep_weekly": spec.KEEP_WEEKLY,
    "warn_after_days": spec.WARN_AFTER_DAYS,
}


class BackupsBox(QGroupBox):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backups-box")
        self.session = session
        self.plan: BackupPlan | None = None
        self.status: BackupStatus | None = None
        self.last_error = ""
        self.folder_dialog: QFileDialog | None = None
        self.saving: asyncio.Future[bool] | None = None
        form = QFormLayout(self)
        self.folder_label = QLabel()
        folder_row = QWidget()
        row = QHBoxLayout(folder_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.folder = QLineEdit()
        self.folder.setReadOnly(True)
        self.browse_button = QPushButton()
        self.browse_button.clicked.connect(self.browse)
        self.off_button = QPushButton()
        self.off_button.clicked.connect(self.on_turn_off)
        row.addWidget(self.folder, 1)
        row.addWidget(self.browse_button)
        row.addWidget(self.off_button)
        box, self.folder_error = with_error(folder_row)
        form.addRow(self.folder_label, box)
        self.labels: dict[str, QLabel] = {}
        self.numbers: dict[str, QSpinBox] = {}
        self.errors: dict[str, FieldError] = {"target": self.folder_error}
        for name, setting in NUMBERS.items():
            spin = QSpinBox()
            spin.setRange(setting.minimum or 0, setting.maximum or 999)
            spin.setValue(int(setting.default))
            spin.setMaximumWidth(140)
            spin.valueChanged.connect(lambda value, name=name: self.on_number(name, value))
            self.labels[name], self.numbers[name] = QLabel(), spin
            holder, self.errors[name] = with_error(spin)
            form.addRow(self.labels[name], holder)
        self.state = QLabel()
        self.state.setWordWrap(True)
        form.addRow(self.state)
        self.now_button = QPushButton()
        self.now_button.clicked.connect(self.on_back_up_now)
        self.done = QLabel()
        self.done.setStyleSheet("color: #1e7b34;")
        self.done.setWordWrap(True)
        now_row = QHBoxLayout()
        now_row.addWidget(self.now_button)
        now_row.addWidget(self.done, 1)
        form.addRow(now_row)
        session.bridge.notify.connect(self._on_event)
        self.retranslate()

    # ---- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setTitle(self.tr("Automatic backups"))
        self.folder_label.setText(self.tr("Backup folder"))
        self.folder.setPlaceholderText(self.tr("not chosen (backups are off)"))
        self.folder.setToolTip(
            self.tr(
                "Best on another disk, a USB stick or a network share: a failing disk must "
                "not take the records and their backups together."
            )
        )
        self.browse_button.setText(self.tr("Choose…"))
        self.off_button.setText(self.tr("Turn off"))
        self.labels["interval_hours"].setText(self.tr("Back up every"))
        self.numbers["interval_hours"].setSuffix(self.tr(" h"))
        self.labels["keep_daily"].setText(self.tr("Daily backups kept"))
        self.labels["keep_weekly"].setText(self.tr("Weekly backups kept"))
        self.labels["warn_after_days"].setText(self.tr("Warn when older than"))
        self.numbers["warn_after_days"].setSuffix(self.tr(" days"))
        self.now_button.setText(self.tr("Back up now"))
        self.show_state()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.on_refresh()

    # ---- reading -----------------------------------------------------------------------
    def _on_event(self, kind: Event, payload: object) -> None:
        alive = shiboken6.isValid(self.state)
        if kind is Event.BACKUP_STATUS and isinstance(payload, BackupNews) and alive:
            self.last_error = payload.error
            self.show_plan(payload.status.plan)
            self.show_status(payload.status)

    @asyncSlot()
    async def on_refresh(self) -> None:
        await self.refresh()

    async def refresh(self) -> None:
        status = await run_op(self, self.session.call(self.session.clinic.backups.status))
        if status is not None and shiboken6.isValid(self.state):
            self.show_plan(status.plan)
            self.show_status(status)

    def show_plan(self, plan: BackupPlan) -> None:
        self.plan = plan
        self.folder.setText(str(plan.target) if plan.target else "")
        self.off_button.setEnabled(plan.target is not None)
        self.now_button.setEnabled(plan.target is not None)
        for name, spin in self.numbers.items():
            spin.blockSignals(True)
            spin.setValue(int(getattr(plan, name)))
            spin.blockSignals(False)

    def show_status(self, status: BackupStatus) -> None:
        self.status = status
        self.show_state()

    def show_state(self) -> None:
        s = self.status
        if s is None:
            self.state.setText("")
            self.state.hide()
            return
        lines: list[str] = []
        if s.newest_good is not None:
            when = s.newest_good.astimezone().strftime("%Y-%m-%d %H:%M")
            lines.append(
                self.tr("Newest good backup: %1 (%n kept).", "", s.good_count).replace("%1", when)
            )
        elif s.target_state != "off":
            lines.append(self.tr("No good backup in this folder yet."))
        if s.warning in ("missing", "unwritable"):
            lines.append(tr_core(s.problem))
        if s.same_disk:
            lines.append(
                self.tr("This folder is on the same disk as the records: choose another disk.")
            )
        if self.last_error:
            lines.append(
                self.tr("The last automatic backup failed: %1").replace("%1", self.last_error)
            )
        warn = bool(s.same_disk or s.warning in ("missing", "unwritable") or self.last_error)
        self.state.setStyleSheet("color: #b3261e;" if warn else "")
        self.state.setText("\n".join(lines))
        self.state.setVisible(bool(lines))

    # ---- changing ----------------------------------------------------------------------
    def browse(self) -> QFileDialog:
        """The folder dialog (not modal to the loop: its choice arrives as a signal)."""
        dialog = QFileDialog(self, self.tr("Backup folder"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        if self.plan is not None and self.plan.target is not None:
            dialog.setDirectory(str(self.plan.target))
        dialog.fileSelected.connect(self.on_folder_chosen)
        self.folder_dialog = dialog
        dialog.open()
        return dialog

    @asyncSlot(str)
    async def on_folder_chosen(self, folder: str) -> None:
        await self.save(target=folder)

    @asyncSlot()
    async def on_turn_off(self) -> None:
        await self.save(target="")

    def on_number(self, name: str, value: int) -> None:
        self.saving = asyncio.ensure_future(self.save(**{name: value}))

    async def save(self, **changes: object) -> bool:
        """Keep the changed settings (checked by the core: a bad one is said at its field
        and nothing is kept), then let the runner check at once."""
        for name in changes:
            if name in self.errors:
                self.errors[name].clear_message()
        self.done.setText("")
        backups = self.session.clinic.backups

        async def work() -> BackupPlan | None:
            try:
                return await self.session.call(lambda: backups.configure(**changes))
            except ValidationError as exc:
                self.errors.get(exc.field, self.folder_error).show_message(tr_core(exc.message))
                return None

        plan = await run_op(self, work())
        if plan is None or not shiboken6.isValid(self.state):
            return False
        self.show_plan(plan)
        self.session.bridge.emit_now(Event.SETTINGS_CHANGED, SETTINGS_KEY)
        await self.refresh()
        return True

    @asyncSlot()
    async def on_back_up_now(self) -> None:
        await self.back_up_now()

    async def back_up_now(self) -> bool:
        """One backup now (on the store thread); a failure in the one error dialog."""
        self.done.setText("")
        backups = self.session.clinic.backups
        result = await run_op(self, self.session.call(backups.run), disable=self.now_button)
        if not shiboken6.isValid(self.state):
            return False
        self.session.bridge.emit_now(Event.SETTINGS_CHANGED, SETTINGS_KEY)
        await self.refresh()
        if result is None:
            return False
        self.done.setText(
            self.tr("Backup written and verified: %1").replace("%1", result.path.name)
        )
        return True
