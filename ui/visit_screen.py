"""A visit, opened from the chart: the initial-visit or follow-up form rendered from its
versioned definition, vitals with units and a live abnormal flag, one save that writes the
encounter, the answers and the vitals together (or, if anything is invalid, shows the message
next to its field and saves nothing), then a printable PDF summary."""

from __future__ import annotations

import functools
import html
import itertools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QDateTime, QMarginsF, Qt, Signal
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.errors import ValidationError
from clinic_app.records import forms
from clinic_app.records.common import Resource
from clinic_app.records.encounter import VISIT_KINDS
from clinic_app.records.vitals import VITALS, flag_of, interpretation, normalize_value, vital_key
from clinic_app.services.visits import Visit
from ui.chart_problems import Icd10Search, entry_text
from ui.clinical_text import (
    ABNORMAL,
    FLAG_COLOUR,
    NORMAL_COLOUR,
    answer_text,
    fact_text,
    flag_text,
    patient_facts,
    patient_name,
    vital_label,
    vital_value_text,
    when_text,
)
from ui.errors import show_error, tr_core
from ui.form_errors import FormErrors
from ui.prescribe_dialog import PrescribeDialog
from ui.session import Session
from ui.widgets import FieldError, UnsavedGuard, fit_to_screen, shortcut

NOT_ANSWERED = Qt.CheckState.PartiallyChecked


@dataclass(frozen=True)
class VitalRow:
    """One vital sign input: its keys per unit choice (glucose changes the LOINC code) and the
    unit passed to normalize_value (temperature and weight convert)."""

    name: str
    units: tuple[tuple[str, str, str | None], ...]  # (shown unit, vital key, unit to convert)


VITAL_ROWS = (
    VitalRow("systolic", (("mmHg", "systolic", None),)),
    VitalRow("diastolic", (("mmHg", "diastolic", None),)),
    VitalRow("heart_rate", (("/min", "heart_rate", None),)),
    VitalRow("temperature", (("°C", "temperature", None), ("°F", "temperature", "°F"))),
    VitalRow("spo2", (("%", "spo2", None),)),
    VitalRow("glucose", (("mmol/L", "glucose_mmol", None), ("mg/dL", "glucose_mgdl", None))),
    VitalRow("hba1c", (("%", "hba1c", None), ("mmol/mol", "hba1c_ifcc", None))),
    VitalRow("weight", (("kg", "weight", None), ("lb", "weight", "lb"))),
    VitalRow("height", (("cm", "height", None),)),
)
# Shown bounds in the unit the clinician chose (stored units are converted back for messages).
_FROM_STORED = {"°F": lambda c: c * 9 / 5 + 32, "lb": lambda kg: kg / 0.45359237}


class VitalField(QWidget):
    """Value, unit and the live flag (High, Low, Critical…) of one vital sign."""

    def __init__(self, row: VitalRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = row
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setMaximumWidth(90)
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.edit)
        self.unit = QComboBox()
        for shown, key, convert in row.units:
            self.unit.addItem(shown, (key, convert))
        self.unit.setMinimumWidth(80)
        layout.addWidget(self.unit)
        if len(row.units) == 1:  # a fixed unit reads as a label, not a disabled choice
            self.unit.hide()
            fixed = QLabel(row.units[0][0])
            fixed.setMinimumWidth(80)
            layout.addWidget(fixed)
        self.flag = QLabel()
        self.flag.setMinimumWidth(90)
        layout.addWidget(self.flag)
        self.converted = QLabel()  # the value in the stored unit, e.g. "= 38 °C"
        self.converted.setStyleSheet("color: #6b6b6b;")
        layout.addWidget(self.converted, 1)
        self.edit.textChanged.connect(self.update_flag)
        self.unit.currentIndexChanged.connect(self.update_flag)

    def key_and_unit(self) -> tuple[str, str | None]:
        key, convert = self.unit.currentData()
        return str(key), convert

    def text(self) -> str:
        return self.edit.text().strip()

    def value(self) -> float:
        """The value in the stored unit; ValidationError (with our own message) if invalid."""
        key, convert = self.key_and_unit()
        try:
            return normalize_value(key, self.text(), convert)
        except ValidationError:
            raise ValidationError(key, self.problem()) from None

    def problem(self) -> str:
        key, convert = self.key_and_unit()
        try:
            float(self.text().replace(",", "."))
        except ValueError:
            return self.tr("Enter a number.")
        low, high = VITALS[key].plausible
        shown = self.unit.currentText()
        if convert in _FROM_STORED:
            low, high = _FROM_STORED[convert](low), _FROM_STORED[convert](high)
        return (
            self.tr("Must be between %1 and %2 %3.")
            .replace("%1", f"{low:.0f}" if low >= 10 else f"{low:g}")
            .replace("%2", f"{high:.0f}")
            .replace("%3", shown)
        )

    def update_flag(self) -> None:
        self.flag.setText("")
        self.converted.setText("")
        if not self.text():
            return
        key, convert = self.key_and_unit()
        try:
            value = normalize_value(key, self.text(), convert)
        except ValidationError:
            return
        flag = interpretation(key, value)
        spec = VITALS[key]
        if convert:
            self.converted.setText(
                self.tr("= %1 %2").replace("%1", f"{value:g}").replace("%2", spec.unit_label)
            )
        if flag in ABNORMAL:
            self.flag.setStyleSheet(f"color: {FLAG_COLOUR}; font-weight: bold;")
            self.flag.setText(flag_text(flag))
        elif spec.normal:
            self.flag.setStyleSheet(f"color: {NORMAL_COLOUR};")
            self.flag.setText(self.tr("Normal"))
        else:
            self.flag.setText("")


class VisitDialog(QDialog):
    """Record one visit of ``patient``. ``saved`` carries the new Encounter's id."""

    saved = Signal(str)

    def __init__(
        self,
        session: Session,
        patient: Resource,
        parent: QWidget | None = None,
        kind: str = "initial-visit",
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.patient = patient
        self.visit: Visit | None = None
        self.setWindowTitle(self.tr("Visit — %1").replace("%1", patient_name(patient)))
        fit_to_screen(self, 980, 720)
        outer = QVBoxLayout(self)
        facts = " &nbsp;·&nbsp; ".join(
            html.escape(fact_text(label, value)) for label, value in patient_facts(patient) if value
        )
        header = QLabel(
            f"<b style='font-size:large'>{html.escape(patient_name(patient))}</b>"
            f"&nbsp;&nbsp;&nbsp;{facts}"
        )
        outer.addWidget(header)
        top = QHBoxLayout()
        self.kind = QComboBox()
        for code in forms.FORM_KINDS:
            self.kind.addItem(tr_core(VISIT_KINDS[code]), code)
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.when = QDateTimeEdit(QDateTime.currentDateTime())
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.when.setMaximumDateTime(QDateTime.currentDateTime().addSecs(3600))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("Reason for the visit (optional)"))
        top.addWidget(QLabel(self.tr("Form")))
        top.addWidget(self.kind)
        top.addWidget(QLabel(self.tr("Date and time")))
        top.addWidget(self.when)
        top.addWidget(self.reason, 1)
        outer.addLayout(top)
        body = QHBoxLayout()
        self.form_box = QGroupBox()
        form_outer = QVBoxLayout(self.form_box)
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidgetResizable(True)
        form_outer.addWidget(self.form_scroll)
        body.addWidget(self.form_box, 3)
        vitals_box = QGroupBox(self.tr("Vitals"))
        grid = QGridLayout(vitals_box)
        self.vitals: dict[str, VitalField] = {}
        self.vital_errors: dict[str, FieldError] = {}
        # Every message the core or the checks below give, under its field; one about no
        # field of the form goes to the general line above the buttons.
        self.general_error = FieldError()
        self.errors = FormErrors(fallback=self.general_error)
        for n, row in enumerate(VITAL_ROWS):
            field = VitalField(row)
            # a glucose message names the key of its unit (glucose_mmol, glucose_mgdl)
            keys = {key for _unit, key, _convert in row.units} - {row.name}
            box = self.errors.field(row.name, field, *sorted(keys))
            err = self.errors[row.name]
            label = QLabel(vital_label(row.units[0][1]))
            label.setBuddy(field.edit)
            grid.addWidget(label, n, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(box, n, 1)
            self.vitals[row.name] = field
            self.vital_errors[row.name] = err
            field.edit.editingFinished.connect(functools.partial(self._check_vital, row.name))
            field.edit.textChanged.connect(err.clear_message)
        grid.setRowStretch(len(VITAL_ROWS), 1)
        body.addWidget(vitals_box, 2)
        outer.addLayout(body, 1)
        outer.addWidget(self._build_diagnoses())
        outer.addWidget(self.general_error)
        buttons = QHBoxLayout()
        self.status = QLabel()
        buttons.addWidget(self.status, 1)
        self.print_button = QPushButton(self.tr("Print summary to PDF…"))
        self.print_button.setEnabled(False)
        self.print_button.clicked.connect(self.choose_pdf)
        self.save_button = QPushButton(self.tr("Save visit"))
        self.save_button.setDefault(True)
        self.save_button.setToolTip(self.tr("Save the visit (Ctrl+S)"))
        self.save_button.clicked.connect(self.on_save)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.reject)
        self.prescribe_button = QPushButton(self.tr("Prescribe…"))
        self.prescribe_button.clicked.connect(self.prescribe)
        for b in (self.prescribe_button, self.print_button, self.save_button, self.close_button):
            buttons.addWidget(b)
        outer.addLayout(buttons)
        shortcut("Ctrl+S", self, self.save_button.click)
        shortcut("Ctrl+P", self, self.print_button.click)
        self.answers: dict[str, QWidget] = {}
        self.answer_errors: dict[str, FieldError] = {}
        self.prescribe_dialog: QDialog | None = None
        self.kind.currentIndexChanged.connect(self._build_form)
        self._build_form()
        self._untouched = self.entered()
        self.guard = UnsavedGuard(self, self.has_unsaved_input, self.save)

    # ---- diagnoses --------------------------------------------------------------------
    def _build_diagnoses(self) -> QGroupBox:
        """ICD-10 diagnoses of the visit: search, the chosen list, "add to the problem list"."""
        box = QGroupBox(self.tr("Diagnoses (ICD-10)"))
        layout = QHBoxLayout(box)
        column = QVBoxLayout()
        self.diagnosis_search = Icd10Search(self.session)
        self.diagnosis_search.returnPressed.connect(self.add_diagnosis)
        self.add_diagnosis_button = QPushButton(self.tr("Add diagnosis"))
        self.add_diagnosis_button.setAutoDefault(False)
        self.add_diagnosis_button.clicked.connect(self.add_diagnosis)
        row = QHBoxLayout()
        row.addWidget(self.diagnosis_search, 1)
        row.addWidget(self.add_diagnosis_button)
        column.addLayout(row)
        self.diagnosis_error = FieldError()
        column.addWidget(self.diagnosis_error)
        self.to_problem_list = QCheckBox(self.tr("Also add to the problem list"))
        self.to_problem_list.setChecked(True)
        column.addWidget(self.to_problem_list)
        layout.addLayout(column, 1)
        self.diagnoses = QListWidget()
        self.diagnoses.setMaximumHeight(80)
        self.diagnoses.setToolTip(self.tr("Double-click a diagnosis to remove it"))
        self.diagnoses.itemDoubleClicked.connect(
            lambda item: self.diagnoses.takeItem(self.diagnoses.row(item))
        )
        layout.addWidget(self.diagnoses, 1)
        return box

    def add_diagnosis(self) -> None:
        entry = self.diagnosis_search.chosen()
        if entry is None:
            self.diagnosis_error.show_message(self.tr("Choose a diagnosis from the ICD-10 list."))
            return
        self.diagnosis_error.clear_message()
        if entry.code not in self.diagnosis_codes():
            item = QListWidgetItem(entry_text(entry))
            item.setData(Qt.ItemDataRole.UserRole, entry.code)
            self.diagnoses.addItem(item)
        self.diagnosis_search.clear()

    def diagnosis_codes(self) -> list[str]:
        return [
            str(self.diagnoses.item(n).data(Qt.ItemDataRole.UserRole))
            for n in range(self.diagnoses.count())
        ]

    # ---- the form ---------------------------------------------------------------------
    def prescribe(self) -> None:
        """The prescribe dialog, linked to this visit once it is saved."""
        enc = self.visit.encounter["id"] if self.visit is not None else None
        dialog = PrescribeDialog(self.session, str(self.patient["id"]),
                                 patient_name(self.patient), self, encounter_id=enc)  # fmt: skip
        self.prescribe_dialog = dialog
        dialog.open()

    def definition(self) -> forms.FormDefinition:
        return forms.definition(str(self.kind.currentData()))

    def _build_form(self) -> None:
        form = self.definition()
        self.form_box.setTitle(tr_core(form.title))
        holder = QWidget()
        column = QVBoxLayout(holder)
        layout = QFormLayout()
        column.addLayout(layout)
        column.addStretch(1)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.errors.discard(*self.answer_errors)  # the previous form's questions
        self.answers = {}
        self.answer_errors = {}
        for item in form.items:
            widget = self._input_for(item)
            box = self.errors.field(item.link_id, widget)
            err = self.errors[item.link_id]
            text = tr_core(item.text) + (" *" if item.required else "")
            label = QLabel(text)
            label.setBuddy(widget)
            label.setWordWrap(True)
            layout.addRow(label, box)
            self.answers[item.link_id] = widget
            self.answer_errors[item.link_id] = err
        note = QLabel(self.tr("* required"))
        note.setStyleSheet("color: #6b6b6b;")
        layout.addRow(note)
        self.form_scroll.setWidget(holder)
        self._set_tab_order()

    def _set_tab_order(self) -> None:
        """Tab goes as the eye reads: the form's top row, its questions, the vitals (value,
        then unit where there is a choice), then the buttons. The questions are made last
        (they change with the form), so without this Tab would reach them after the buttons."""
        chain: list[QWidget] = [self.kind, self.when, self.reason, *self.answers.values()]
        for field in self.vitals.values():
            chain.append(field.edit)
            if len(field.row.units) > 1:
                chain.append(field.unit)
        chain += [self.print_button, self.save_button, self.close_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _input_for(self, item: forms.FormItem) -> QWidget:
        widget: QWidget
        if item.type == "string":
            edit = QLineEdit()
            if item.max_length:
                edit.setMaxLength(item.max_length)
            widget = edit
        elif item.type == "text":
            text = QPlainTextEdit()
            text.setTabChangesFocus(True)
            text.setFixedHeight(58)
            widget = text
        elif item.type == "choice":
            combo = QComboBox()
            combo.addItem(self.tr("— not answered —"), None)
            for code, display in item.options:
                combo.addItem(tr_core(display), code)
            widget = combo
        elif item.type == "boolean":
            check = QCheckBox(self.tr("not answered"))
            check.setTristate(True)
            check.setCheckState(NOT_ANSWERED)
            check.stateChanged.connect(lambda _s, c=check: c.setText(self._bool_text(c)))
            widget = check
        elif item.type == "integer":
            spin = QSpinBox()
            spin.setRange(-1, 100000)
            spin.setSpecialValueText(self.tr("—"))
            spin.setValue(-1)
            widget = spin
        else:
            widget = QLineEdit()
        return widget

    def _bool_text(self, check: QCheckBox) -> str:
        state = check.checkState()
        if state == NOT_ANSWERED:
            return self.tr("not answered")
        return self.tr("Yes") if state == Qt.CheckState.Checked else self.tr("No")

    def answer_values(self) -> dict[str, Any]:
        """{linkId: value} of every answered question."""
        out: dict[str, Any] = {}
        for link_id, w in self.answers.items():
            value: Any = None
            if isinstance(w, QLineEdit):
                value = w.text().strip() or None
            elif isinstance(w, QPlainTextEdit):
                value = w.toPlainText().strip() or None
            elif isinstance(w, QComboBox):
                value = w.currentData()
            elif isinstance(w, QCheckBox):
                state = w.checkState()
                value = None if state == NOT_ANSWERED else state == Qt.CheckState.Checked
            elif isinstance(w, QSpinBox):
                value = None if w.value() < 0 else w.value()
            if value is not None:
                out[link_id] = value
        return out

    # ---- checking ---------------------------------------------------------------------
    def _check_vital(self, name: str) -> None:
        field = self.vitals[name]
        if not field.text():
            self.vital_errors[name].clear_message()
            return
        try:
            field.value()
        except ValidationError as exc:
            self.vital_errors[name].show_message(exc.message)

    def show_field_error(self, field: str, message: str) -> None:
        """Put a message next to the field a ValidationError names."""
        self.errors.show(field, message)

    def validate(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Check every field, showing every problem next to its field; None if any."""
        self.errors.clear()
        ok = True
        answers = self.answer_values()
        for item in self.definition().items:
            if item.required and item.link_id not in answers:
                self.answer_errors[item.link_id].show_message(self.tr("Please answer this."))
                ok = False
        vitals: dict[str, Any] = {}
        for name, field in self.vitals.items():
            if not field.text():
                continue
            key, convert = field.key_and_unit()
            try:
                field.value()
            except ValidationError as exc:
                self.vital_errors[name].show_message(exc.message)
                ok = False
                continue
            vitals[key] = (field.text().replace(",", "."), convert) if convert else field.text()
        sys_, dia = self.vitals["systolic"], self.vitals["diastolic"]
        if ok and sys_.text() and dia.text() and sys_.value() <= dia.value():
            self.vital_errors["diastolic"].show_message(
                self.tr("Diastolic pressure must be below systolic.")
            )
            ok = False
        return (answers, vitals) if ok else None

    # ---- saving -----------------------------------------------------------------------
    def visit_start(self) -> datetime:
        moment = cast(datetime, self.when.dateTime().toPython())
        return moment.astimezone()

    def entered(self) -> tuple[object, ...]:
        """Everything typed or chosen, to tell whether closing would lose input."""
        vitals = tuple((name, f.text(), f.key_and_unit()) for name, f in self.vitals.items())
        answers = tuple(sorted((k, repr(v)) for k, v in self.answer_values().items()))
        diagnoses = tuple(self.diagnosis_codes()) if hasattr(self, "diagnoses") else ()
        return (self.kind.currentData(), self.when.dateTime(), self.reason.text(), answers, vitals,
                diagnoses)  # fmt: skip

    def has_unsaved_input(self) -> bool:
        return self.visit is None and self.entered() != self._untouched

    def reject(self) -> None:
        """Close, Escape or the window's close: asks first when typed input is unsaved."""
        if self.guard.allows_close():
            super().reject()

    @asyncSlot()
    async def on_save(self) -> None:
        await self.save()

    async def save(self) -> bool:
        """Check and store the visit; True once it is saved."""
        checked = self.validate()
        if self.visit is not None:
            return True
        if checked is None:
            return False
        answers, vitals_in = checked
        codes = self.diagnosis_codes()
        record: Any = self.session.clinic.visits.record
        if codes:  # the visit and its diagnoses in one operation
            record = functools.partial(
                self.session.clinic.problems.record_visit, diagnoses=codes,
                to_problems=codes if self.to_problem_list.isChecked() else (),
            )  # fmt: skip
        work = functools.partial(
            record,
            patient_id=self.patient["id"],
            kind=str(self.kind.currentData()),
            answers=answers,
            vitals=vitals_in,
            start=self.visit_start(),
            practitioner=self.session.user,
            reason=self.reason.text().strip() or None,
        )
        self.save_button.setEnabled(False)
        try:
            visit = await self.errors.saving(self.session.write(work))
        except Exception as exc:
            show_error(self, exc)
            self.save_button.setEnabled(True)
            return False
        if visit is None:  # refused: the message is under its field, nothing was saved
            self.save_button.setEnabled(True)
            return False
        if isinstance(visit, tuple):  # (visit, diagnoses) from clinic.problems.record_visit
            visit = visit[0]
        self.visit = visit
        self._lock_inputs()
        self.status.setText(self.tr("Visit saved."))
        self.print_button.setEnabled(True)
        self.print_button.setDefault(True)
        self.saved.emit(visit.encounter["id"])
        return True

    def _lock_inputs(self) -> None:
        self.kind.setEnabled(False)
        self.when.setEnabled(False)
        self.reason.setReadOnly(True)
        for w in (*self.answers.values(), *self.vitals.values()):
            w.setEnabled(False)
        for d in (self.diagnosis_search, self.add_diagnosis_button, self.to_problem_list):
            d.setEnabled(False)

    # ---- printing ---------------------------------------------------------------------
    def summary_html(self) -> str:
        """The printable summary of the saved visit: patient, answers, vitals with flags."""
        if self.visit is None:
            return ""
        esc = html.escape
        p = self.patient
        facts = "".join(
            f"<tr><th align=left>{esc(label)}</th><td>{esc(value)}</td></tr>"
            for label, value in patient_facts(p)
            if value
        )
        form = forms.definition_for(self.visit.response["questionnaire"])
        rows = []
        for item in form.items:
            value = forms.answers_of(self.visit.response).get(item.link_id)
            if value is None:
                continue
            if item.type == "choice":
                value = tr_core(dict(item.options).get(value, value))
            rows.append(
                f"<tr><th align=left valign=top>{esc(tr_core(item.text))}</th>"
                f"<td>{esc(answer_text(value))}</td></tr>"
            )
        vitals_rows = []
        for obs in self.visit.observations:
            style = f" style='color:{FLAG_COLOUR};font-weight:bold'" if flag_of(obs) else ""
            vitals_rows.append(
                f"<tr><th align=left>{esc(vital_label(vital_key(obs) or ''))}</th>"
                f"<td{style}>{esc(vital_value_text(obs))}</td></tr>"
            )
        enc = self.visit.encounter
        title = self.tr("Visit summary")
        kind = tr_core(enc["type"][0]["text"])
        when = when_text((enc.get("period") or {}).get("start"))
        doctor = self.tr("Doctor: %1").replace("%1", self.session.user)
        none_text = esc(self.tr("None recorded."))
        answers_title = esc(self.tr("Answers"))
        vitals_title = esc(self.tr("Vitals"))
        none = f"<p>{none_text}</p>"
        table = "<table cellpadding=3>{}</table>"
        answers_html = table.format("".join(rows)) if rows else none
        vitals_html = table.format("".join(vitals_rows)) if vitals_rows else none
        return (
            f"<html><body style='font-family: sans-serif; font-size: 10pt'>"
            f"<h2>{esc(title)}</h2>"
            f"<h3>{esc(patient_name(p))}</h3><table cellpadding=3>{facts}</table>"
            f"<p><b>{esc(kind)}</b> — {esc(when)} — {esc(doctor)}</p>"
            f"<h3>{answers_title}</h3>"
            f"{answers_html}"
            f"<h3>{vitals_title}</h3>"
            f"{vitals_html}"
            f"</body></html>"
        )

    def choose_pdf(self) -> None:
        if self.visit is None:
            return
        dialog = QFileDialog(self, self.tr("Save visit summary as PDF"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("PDF files (*.pdf)"))
        dialog.setDefaultSuffix("pdf")
        dialog.selectFile(f"visit-summary-{self.visit_start():%Y-%m-%d}.pdf")
        dialog.fileSelected.connect(self._print_to)
        dialog.open()

    def _print_to(self, path: str) -> None:
        try:
            self.write_pdf(Path(path))
        except Exception as exc:
            show_error(self, exc)
            return
        self.status.setText(self.tr("Summary saved to %1").replace("%1", path))

    def write_pdf(self, path: Path) -> Path:
        """Render :meth:`summary_html` to an A4 PDF with Qt (no other dependency)."""
        writer = QPdfWriter(str(path))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
        writer.setTitle(self.tr("Visit summary"))
        doc = QTextDocument()
        doc.setHtml(self.summary_html())
        doc.print_(writer)
        del writer  # finishes the file
        return path
