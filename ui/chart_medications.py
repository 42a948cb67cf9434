"""The chart's medication list: what the patient takes now (prescribed here, by a specialist, or
from elsewhere), with the warnings a prescription that arrived by sync meets against this
clinic's list; what was stopped (why and when) and what was replaced (a dose change shows as
such). Prescribe, record a medicine taken from elsewhere, or stop one."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.changes import Changes
from clinic_app.clinical.medication_checks import Finding
from clinic_app.clinical.medication_list import Line, MedicationList
from ui.bridge import Event
from ui.ops import run_op
from ui.prescribe_dialog import COLOURS, FindingText, PrescribeDialog
from ui.session import Session

WATCHED = ("MedicationRequest", "MedicationStatement", "AllergyIntolerance")


class ChartMedications(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.patient_id: str | None = None
        self.patient_name = ""
        self.listed: MedicationList | None = None
        self.flags: dict[str, list[Finding]] = {}
        self.words = FindingText(self)
        self._tasks: set[asyncio.Future[Any]] = set()
        layout = QVBoxLayout(self)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(
            [self.tr("Medication"), self.tr("Dosage"), self.tr("Since"), self.tr("Notes")]
        )
        self.tree.setColumnWidth(0, 220)
        self.tree.setColumnWidth(1, 150)
        self.tree.setColumnWidth(2, 90)
        self.tree.setWordWrap(True)
        layout.addWidget(self.tree, 1)
        row = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setStyleSheet("color: #6b6b6b;")
        row.addWidget(self.summary, 1)
        self.stop_button = QPushButton(self.tr("Stop…"))
        self.stop_button.clicked.connect(self.stop_selected)
        self.taken_button = QPushButton(self.tr("Taken from elsewhere…"))
        self.taken_button.clicked.connect(self.record_taken)
        self.prescribe_button = QPushButton(self.tr("Prescribe…"))
        self.prescribe_button.clicked.connect(self.prescribe)
        for b in (self.stop_button, self.taken_button, self.prescribe_button):
            row.addWidget(b)
        layout.addLayout(row)
        session.bridge.notify.connect(self._on_event)
        self._set_enabled()

    def _set_enabled(self) -> None:
        on = self.patient_id is not None
        self.prescribe_button.setEnabled(on)
        self.taken_button.setEnabled(on)
        self.stop_button.setEnabled(on and self._selected() is not None)

    def _start(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- loading ------------------------------------------------------------------------
    def show_patient(self, patient_id: str, name: str) -> None:
        if patient_id != self.patient_id:
            self.tree.clear()
        self.patient_id, self.patient_name = patient_id, name
        self._set_enabled()
        self._start(self.reload())

    def _load(self, pid: str) -> tuple[MedicationList, dict[str, list[Finding]]]:
        meds = self.session.clinic.medications
        return meds.medication_list(pid), meds.review(pid)

    async def reload(self) -> None:
        pid = self.patient_id
        if pid is None:
            return
        got = await run_op(self, self.session.call(self._load, pid))
        if got is None or pid != self.patient_id:
            return
        self.listed, self.flags = got
        self._fill()

    def _on_event(self, kind: Event, payload: object) -> None:
        if kind is not Event.RECORDS_CHANGED or self.patient_id is None:
            return
        if isinstance(payload, Changes) and payload and not payload.touches(*WATCHED):
            return
        self._start(self.reload())

    # ---- showing ------------------------------------------------------------------------
    def _fill(self) -> None:
        self.tree.clear()
        listed = self.listed
        if listed is None:
            return
        current = QTreeWidgetItem([self.tr("Current (%1)").replace("%1", str(len(listed.current)))])
        stopped = QTreeWidgetItem([self.tr("Stopped and replaced (%1)").replace(
            "%1", str(len(listed.stopped)))])  # fmt: skip
        for top in (current, stopped):
            top.setFirstColumnSpanned(True)
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
        for line in sorted(listed.current, key=lambda x: x.since, reverse=True):
            current.addChild(self._item(line))
        for line in sorted(listed.stopped, key=lambda x: x.ended or x.since, reverse=True):
            stopped.addChild(self._item(line))
        current.setExpanded(True)
        stopped.setExpanded(True)
        flagged = sum(1 for x in listed.current if x.rid in self.flags)
        self.summary.setText(
            self.tr("%1 with warnings").replace("%1", str(flagged)) if flagged else ""
        )
        self._set_enabled()

    def _item(self, line: Line) -> QTreeWidgetItem:
        notes: list[str] = []
        if line.elsewhere:
            notes.append(self.tr("taken from elsewhere"))
        elif line.by:
            notes.append(self.tr("by %1").replace("%1", line.by))
        if line.dose_change:
            notes.append(self.tr("dose changed %1").replace("%1", line.dose_change))
        if line.state == "superseded" or line.replaced_by:
            notes.append(self.tr("replaced %1").replace("%1", line.ended[:10]))
        elif line.state == "stopped":
            notes.append(self.tr("stopped %1: %2").replace("%1", line.ended[:10]).replace(
                "%2", line.reason or self.tr("no reason given")))  # fmt: skip
        if any(e.get("url", "").endswith("medication-check-override")
               for e in line.resource.get("extension") or []):  # fmt: skip
            notes.append(self.tr("warnings overridden with a reason"))
        flags = self.flags.get(line.rid, []) if line.state == "current" else []
        for f in flags:
            notes.append(f"⚠ {self.words.describe(f)}")
        item = QTreeWidgetItem([line.text, line.dosage, line.since[:10], "; ".join(notes)])
        item.setData(0, Qt.ItemDataRole.UserRole, (line.rtype, line.rid, line.state))
        item.setToolTip(3, "\n".join(notes))
        if flags:
            worst = flags[0].severity
            item.setForeground(3, QColor(COLOURS.get(worst, "#000")))
        if line.state != "current":
            item.setForeground(0, QColor("#6b6b6b"))
        return item

    def _selected(self) -> tuple[str, str, str] | None:
        item = self.tree.currentItem()
        data: Any = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        return tuple(data) if data and data[2] == "current" else None

    # ---- actions ------------------------------------------------------------------------
    def prescribe(self) -> PrescribeDialog | None:
        if self.patient_id is None:
            return None
        dialog = PrescribeDialog(self.session, self.patient_id, self.patient_name, self)
        dialog.open()
        return dialog

    @asyncSlot()
    async def record_taken(self) -> None:
        if self.patient_id is None:
            return
        text, ok = QInputDialog.getText(
            self, self.tr("Medicine taken from elsewhere"),
            self.tr("Medicine, strength and dosage, and who prescribed it:"),
        )  # fmt: skip
        if not ok or not text.strip():
            return
        pid = self.patient_id
        meds = self.session.clinic.medications
        await run_op(self, self.session.write(lambda: meds.record_taken(
            patient_id=pid, recorded_by=self.session.user, medication=text.strip())))  # fmt: skip

    @asyncSlot()
    async def stop_selected(self) -> None:
        chosen = self._selected()
        if chosen is None:
            return
        reason, ok = QInputDialog.getText(
            self, self.tr("Stop medicine"), self.tr("Why is it stopped?")
        )
        if not ok:
            return
        rtype, rid, _state = chosen
        await run_op(self, self.session.write(
            lambda: self.session.clinic.medications.stop(rtype=rtype, record_id=rid,
                                                         reason=reason)))  # fmt: skip
