"""The prescribe dialog: a medicine from the formulary (or written out), dosage and duration,
what it replaces, and the checks (duplicate therapy, allergy, interactions) shown with their
severity before signing. Signing past a warning needs a reason, which the core records on the
prescription and in the audit. Opened from the visit form, the chart and the specialist desk.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

from PySide6.QtCore import QLocale, QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.clinical.medication_checks import Finding
from clinic_app.clinical.medication_list import Line
from ui.ops import run_op
from ui.session import Session

COLOURS = {"contraindicated": "#b00020", "major": "#c2410c", "moderate": "#8a6d00",
           "info": "#3b5b7a"}  # fmt: skip


def zh() -> bool:
    return QLocale().language() == QLocale.Language.Chinese


class FindingText(QObject):
    """How a check's finding reads, in the interface language (the dialog and the chart's
    medication list say it the same way)."""

    def severity(self, severity: str) -> str:
        return {
            "contraindicated": self.tr("Contraindicated"),
            "major": self.tr("Major"),
            "moderate": self.tr("Moderate"),
            "info": self.tr("Note"),
        }.get(severity, severity)

    def describe(self, f: Finding) -> str:
        """One sentence for a finding, in the interface language."""
        lang = "zh" if zh() else "en"
        group = f.group.get(lang, "")
        effect = f.effect.get(lang, "")
        if f.kind == "replaces":
            return self.tr("replaces %1 (it will be stopped)").replace("%1", f.other)
        if f.kind == "class-duplicate":
            return self.tr("duplicate therapy: %1 is also one of the %2").replace(
                "%1", f.other).replace("%2", group)  # fmt: skip
        if f.kind == "duplicate":
            return self.tr("duplicate therapy: the same medicine as %1").replace("%1", f.other)
        if f.kind == "allergy":
            if f.code.startswith("allergy-cross:"):
                text = self.tr("allergy to %1 recorded: possible cross-reaction (%2)")
            else:
                text = self.tr("allergy to %1 recorded (%2)")
            return text.replace("%1", f.other).replace("%2", group or f.other)
        return self.tr("interacts with %1: %2").replace("%1", f.other).replace("%2", effect)


class PrescribeDialog(QDialog):
    """``based_on``: the consult a specialist answers; ``encounter_id``: the visit it is
    written in."""

    prescribed = Signal(str)  # the new MedicationRequest's id

    def __init__(self, session: Session, patient_id: str, patient_name: str,
                 parent: QWidget | None = None, *, based_on: str | None = None,
                 encounter_id: str | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.session = session
        self.patient_id = patient_id
        self.based_on = based_on
        self.encounter_id = encounter_id
        self.findings: list[Finding] = []
        self.words = FindingText(self)
        self.setWindowTitle(self.tr("Prescribe for %1").replace("%1", patient_name))
        self.setMinimumWidth(560)
        outer = QVBoxLayout(self)
        form = QFormLayout()
        self.medicine = QComboBox()
        self.medicine.setEditable(True)
        self.medicine.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        typed = self.medicine.lineEdit()
        assert typed is not None  # an editable combo box has one
        typed.setPlaceholderText(self.tr("Type to search the formulary"))
        lang = "zh" if zh() else "en"
        for entry in session.clinic.medications.formulary.entries:
            self.medicine.addItem(f"{entry.name(lang)}  ({entry.atc})", entry.id)
        self.medicine.setCurrentIndex(-1)
        completer = self.medicine.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.medicine.currentIndexChanged.connect(lambda _i: self.recheck())
        typed.editingFinished.connect(self.recheck)
        self.dosage = QLineEdit()
        self.dosage.setPlaceholderText(self.tr("e.g. once a day, one tablet"))
        self.days = QSpinBox()
        self.days.setRange(0, 365)
        self.days.setSpecialValueText(self.tr("not set"))
        self.days.setSuffix(self.tr(" days"))
        self.days.setValue(30)
        self.replaces = QListWidget()
        self.replaces.setMaximumHeight(90)
        self.replaces.itemChanged.connect(lambda _i: self.recheck())
        form.addRow(self.tr("Medication"), self.medicine)
        form.addRow(self.tr("Dosage"), self.dosage)
        form.addRow(self.tr("Duration"), self.days)
        form.addRow(self.tr("Replaces"), self.replaces)
        outer.addLayout(form)
        self.checks_title = QLabel(self.tr("Checks"))
        self.checks_title.setStyleSheet("font-weight: bold;")
        outer.addWidget(self.checks_title)
        self.checks = QListWidget()
        self.checks.setWordWrap(True)
        self.checks.setMinimumHeight(120)
        outer.addWidget(self.checks, 1)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("Reason to prescribe despite the warnings"))
        self.reason.textChanged.connect(lambda _t: self._update_sign())
        reason_row = QFormLayout()
        reason_row.addRow(self.tr("Override reason"), self.reason)
        outer.addLayout(reason_row)
        self.status = QLabel()
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.sign_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.sign_button.setText(self.tr("Sign prescription"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.sign)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self._update_sign()
        self._tasks: set[asyncio.Future[Any]] = set()
        self._start(self._load_current())

    def _start(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- what the patient takes ------------------------------------------------------
    async def _load_current(self) -> None:
        listed = await run_op(
            self, self.session.call(self.session.clinic.medications.medication_list,
                                    self.patient_id))  # fmt: skip
        if listed is None:
            return
        self.replaces.blockSignals(True)
        for line in listed.current:
            item = QListWidgetItem(self._line_text(line))
            item.setData(Qt.ItemDataRole.UserRole, line.rid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.replaces.addItem(item)
        self.replaces.blockSignals(False)
        if not listed.current:
            self.replaces.addItem(self.tr("No current medicines"))

    def _line_text(self, line: Line) -> str:
        return f"{line.text} — {line.dosage}" if line.dosage else line.text

    # ---- choosing -----------------------------------------------------------------------
    def choose(self, formulary_id: str) -> None:
        """Select a formulary entry (as the user picking it from the list)."""
        self.medicine.setCurrentIndex(self.medicine.findData(formulary_id))

    def _chosen(self) -> tuple[str, str | None]:
        """(free text, formulary id): the entry when the text is one of the list's."""
        text = self.medicine.currentText().strip()
        index = self.medicine.findText(text)
        if index >= 0:
            return "", str(self.medicine.itemData(index))
        return text, None

    def _replacing(self) -> list[str]:
        out = []
        for n in range(self.replaces.count()):
            item = self.replaces.item(n)
            rid = item.data(Qt.ItemDataRole.UserRole)
            if rid and item.checkState() == Qt.CheckState.Checked:
                out.append(str(rid))
        return out

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.needs_reason]

    # ---- checks -------------------------------------------------------------------------
    def recheck(self) -> None:
        self._start(self.run_checks())

    async def run_checks(self) -> None:
        text, fid = self._chosen()
        replacing = self._replacing()
        key = (text, fid, tuple(replacing))
        if not text and not fid:
            self.findings = []
            self._show_findings()
            return
        meds = self.session.clinic.medications
        found = await run_op(self, self.session.call(lambda: meds.check(
            patient_id=self.patient_id, medication=text, formulary_id=fid,
            replacing=replacing)))  # fmt: skip
        now = self._chosen()
        if found is None or (now[0], now[1], tuple(self._replacing())) != key:
            return  # the choice changed meanwhile: its own check shows its findings
        self.findings = list(found)
        self._show_findings()

    def _show_findings(self) -> None:
        self.checks.clear()
        for f in self.findings:
            item = QListWidgetItem(f"{self.words.severity(f.severity)}: {self.words.describe(f)}")
            item.setData(Qt.ItemDataRole.ToolTipRole, f.source or f.code)
            item.setData(Qt.ItemDataRole.UserRole, f.code)
            item.setForeground(QColor(COLOURS.get(f.severity, "#000")))
            self.checks.addItem(item)
        if not self.findings:
            self.checks.addItem(self.tr("No warnings for this medicine"))
        self._update_sign()

    def _update_sign(self) -> None:
        needs = bool(self.warnings)
        self.reason.setEnabled(needs)
        ok = not needs or bool(self.reason.text().strip())
        self.sign_button.setEnabled(ok)
        if needs and not ok:
            text = self.tr("Warnings above: give a reason to sign, or change the prescription.")
            self.status.setText(html.escape(text))
            self.status.setStyleSheet(f"color: {COLOURS['major']};")
        else:
            self.status.setText("")

    # ---- signing ------------------------------------------------------------------------
    @asyncSlot()
    async def sign(self) -> None:
        await self.sign_now()

    async def sign_now(self) -> str | None:
        """Check once more, then write; returns the new prescription's id."""
        await self.run_checks()
        if self.warnings and not self.reason.text().strip():
            self._update_sign()
            return None
        text, fid = self._chosen()
        clinic = self.session.clinic
        res = await run_op(
            self,
            self.session.write(
                lambda: clinic.medications.prescribe(
                    patient_id=self.patient_id, medication=text, formulary_id=fid,
                    dosage=self.dosage.text(), requester=self.session.user,
                    days=self.days.value() or None, based_on=self.based_on,
                    encounter_id=self.encounter_id, replacing=self._replacing(),
                    override_reason=self.reason.text().strip() or None)),
            disable=self.sign_button,
        )  # fmt: skip
        if res is None:
            return None
        self.prescribed.emit(str(res["id"]))
        self.accept()
        return str(res["id"])
