"""The clinic's own questions: build a query from conditions on the patient (age, sex, name,
address), visit-form answers (any question of the initial and follow-up forms), vital signs
(latest value, any value, any value within N days), diagnoses (ICD-10 code or its start),
medicines (ingredient or ATC code) and follow-up, combined by "all"/"any" with nested groups;
save it by name (in the encrypted profile), run it again, and export the patients found to
Excel, CSV or TXT in the screen's language. The core (:mod:`clinic_app.query`) validates and
runs it; a double click on a patient opens the chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.query.evaluate import Result
from clinic_app.query.spec import PATIENT_FIELDS, SEXES, form_item, to_json
from clinic_app.records import forms
from clinic_app.records.vitals import VITALS
from ui.clinical_text import sex_label, vital_label
from ui.errors import tr_core
from ui.ops import run_op
from ui.reloader import Reloader
from ui.session import Session
from ui.translations import installed_language

KINDS = ("diagnosis", "vital", "followup", "patient", "form", "medicine")


def _form_fields() -> list[tuple[str, str, str]]:
    """(form, linkId, question) of every question of the newest forms."""
    return [(name, item.link_id, item.text) for name in forms.FORM_KINDS
            for item in forms.definition(name).items]  # fmt: skip


def _number_or_text(text: str) -> Any:
    """A typed number as a number (the validator names anything else)."""
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


class ConditionRow(QFrame):
    """One condition: its kind, what it looks at, how, and the value; or "not"."""

    removed = Signal(QWidget)

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.negate = QCheckBox()
        self.kind = QComboBox()
        self.field = QComboBox()
        self.which = QComboBox()
        self.op = QComboBox()
        self.value = QLineEdit()
        self.choice = QComboBox()
        self.days = QSpinBox()
        self.days.setRange(1, 3650)
        self.days.setValue(90)
        self.remove = QPushButton("×")
        self.remove.setFixedWidth(28)
        self.remove.clicked.connect(lambda: self.removed.emit(self))
        for w in (self.negate, self.kind, self.field, self.which, self.op, self.value,
                  self.choice, self.days):  # fmt: skip
            row.addWidget(w)
        row.setStretch(5, 3)
        row.addStretch(1)  # keeps the editors on the left when the value box is hidden
        row.addWidget(self.remove)
        for kind in KINDS:
            self.kind.addItem("", kind)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.field.currentIndexChanged.connect(self._field_changed)
        self.which.currentIndexChanged.connect(self._which_changed)
        self.retranslate()
        self.set_json(data or {"kind": "diagnosis", "code": "I10"})

    # ---- texts and shape ---------------------------------------------------------------
    def retranslate(self) -> None:
        self.negate.setText(self.tr("not"))
        self.remove.setToolTip(self.tr("Remove this condition"))
        names = {"diagnosis": self.tr("Diagnosis (ICD-10)"), "vital": self.tr("Vital sign"),
                 "followup": self.tr("Followed up within (days)"),
                 "patient": self.tr("Patient"), "form": self.tr("Visit form answer"),
                 "medicine": self.tr("Medicine (ingredient or ATC)")}  # fmt: skip
        for n in range(self.kind.count()):
            self.kind.setItemText(n, names[self.kind.itemData(n)])
        self.days.setSuffix(self.tr(" days"))
        self._kind_changed()

    def _fill(self, combo: QComboBox, items: list[tuple[str, Any]]) -> None:
        keep = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for text, data in items:
            combo.addItem(text, data)
        at = combo.findData(keep)
        combo.setCurrentIndex(at if at >= 0 else 0)
        combo.blockSignals(False)

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        fields: list[tuple[str, Any]] = []
        if kind == "patient":
            labels = {"age": self.tr("Age"), "sex": self.tr("Sex"), "name": self.tr("Name"),
                      "address": self.tr("Address")}  # fmt: skip
            fields = [(labels[f], f) for f in PATIENT_FIELDS]
        elif kind == "vital":
            fields = [(vital_label(k), k) for k in VITALS]
        elif kind == "form":
            titles = {"initial-visit": self.tr("Initial"), "follow-up": self.tr("Follow-up")}
            fields = [(f"{titles[f]}: {tr_core(text)}", f"{f}:{link}")
                      for f, link, text in _form_fields()]  # fmt: skip
        self._fill(self.field, fields)
        self.field.setVisible(bool(fields))
        whiches: list[tuple[str, Any]] = []
        if kind in ("vital", "form"):
            whiches = [(self.tr("latest"), "latest"), (self.tr("any"), "any")]
            if kind == "vital":
                whiches.append((self.tr("any within"), "within"))
        self._fill(self.which, whiches)
        self.which.setVisible(bool(whiches))
        self._field_changed()

    def _value_type(self) -> str:
        """number, text, choice or none: what the value editor takes."""
        kind, field = self.kind.currentData(), self.field.currentData()
        if kind == "vital" or (kind == "patient" and field == "age"):
            return "number"
        if kind == "patient" and field == "sex":
            return "choice"
        if kind == "form" and field:
            item = form_item(*str(field).split(":", 1))
            if item is not None and item.type in ("integer", "decimal"):
                return "number"
            if item is not None and item.type in ("choice", "boolean"):
                return "choice"
        if kind == "followup":
            return "none"
        return "text"

    def _field_changed(self) -> None:
        kind, field = self.kind.currentData(), self.field.currentData()
        value_type = self._value_type()
        ops: list[str] = []
        if value_type == "number":
            ops = ["=", "!=", "<", "<=", ">", ">="]
        elif value_type == "choice":
            ops = ["=", "!="]
        elif kind in ("patient", "form"):
            ops = ["contains", "=", "!="]
        self._fill(self.op, [(o if o != "contains" else self.tr("contains"), o) for o in ops])
        self.op.setVisible(bool(ops))
        choices: list[tuple[str, Any]] = []
        if value_type == "choice" and kind == "patient":
            choices = [(sex_label(s), s) for s in SEXES]
        elif value_type == "choice" and field:
            item = form_item(*str(field).split(":", 1))
            if item is not None and item.type == "boolean":
                choices = [(self.tr("yes"), True), (self.tr("no"), False)]
            elif item is not None:
                choices = [(tr_core(display), code) for code, display in item.options]
        self._fill(self.choice, choices)
        self.choice.setVisible(value_type == "choice")
        self.value.setVisible(value_type in ("number", "text"))
        hints = {"diagnosis": "I10", "medicine": self.tr("e.g. amlodipine or C08")}
        self.value.setPlaceholderText(hints.get(str(kind), ""))
        self.days.setVisible(kind == "followup")
        self._which_changed()

    def _which_changed(self) -> None:
        if self.kind.currentData() == "vital":
            self.days.setVisible(self.which.currentData() == "within")

    # ---- data --------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        kind = str(self.kind.currentData())
        out: dict[str, Any] = {"kind": kind}
        value: Any = self.value.text().strip()
        if self.choice.isVisibleTo(self):
            value = self.choice.currentData()
        elif self._value_type() == "number":
            value = _number_or_text(value)
        if kind == "diagnosis":
            out["code"] = value
        elif kind == "medicine":
            out["text"] = value
        elif kind == "followup":
            out["within_days"] = self.days.value()
        else:
            field = str(self.field.currentData())
            if kind == "vital":
                out["vital"] = field
            elif kind == "form":
                out["form"], field = field.split(":", 1)
                out["field"] = field
            else:
                out["field"] = field
            out["op"] = self.op.currentData()
            out["value"] = value
            if kind in ("vital", "form"):
                out["which"] = self.which.currentData()
            if out.get("which") == "within":
                out["days"] = self.days.value()
        if self.negate.isChecked():
            out["negate"] = True
        return out

    def set_json(self, data: dict[str, Any]) -> None:
        kind = data.get("kind", "diagnosis")
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self._kind_changed()
        field = data.get("vital") or data.get("field")
        if kind == "form":
            field = f"{data.get('form')}:{data.get('field')}"
        if field is not None:
            self.field.setCurrentIndex(max(0, self.field.findData(field)))
        self._field_changed()
        if data.get("which"):
            self.which.setCurrentIndex(max(0, self.which.findData(data["which"])))
        if data.get("op"):
            self.op.setCurrentIndex(max(0, self.op.findData(data["op"])))
        value = data.get("value", data.get("code", data.get("text", "")))
        if self.choice.isVisibleTo(self) or self._value_type() == "choice":
            self.choice.setCurrentIndex(max(0, self.choice.findData(value)))
        else:
            number = isinstance(value, float) and value.is_integer()
            self.value.setText(str(int(value)) if number else str(value))
        days = data.get("days") or data.get("within_days")
        if days:
            self.days.setValue(int(days))
        self.negate.setChecked(bool(data.get("negate")))
        self._which_changed()


class GroupBox(QFrame):
    """Conditions joined by all (and) or any (or); the top group may hold groups of its own."""

    removed = Signal(QWidget)

    def __init__(self, nested: bool = False, data: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.nested = nested
        if nested:
            self.setFrameShape(QFrame.Shape.StyledPanel)
        outer = QVBoxLayout(self)
        head = QHBoxLayout()
        self.match = QComboBox()
        self.match.addItem("", "all")
        self.match.addItem("", "any")
        self.match_label = QLabel()
        self.add_condition = QPushButton()
        self.add_group = QPushButton()
        self.remove = QPushButton("×")
        self.remove.setFixedWidth(28)
        self.remove.setVisible(nested)
        self.add_group.setVisible(not nested)
        self.add_condition.clicked.connect(lambda: self.add({"kind": "diagnosis", "code": ""}))
        self.add_group.clicked.connect(
            lambda: self.add({"match": "any", "conditions": [{"kind": "diagnosis", "code": ""}]})
        )
        self.remove.clicked.connect(lambda: self.removed.emit(self))
        for w in (self.match_label, self.match):
            head.addWidget(w)
        head.addStretch(1)
        for button in (self.add_condition, self.add_group, self.remove):
            head.addWidget(button)
        outer.addLayout(head)
        self.rows = QVBoxLayout()
        outer.addLayout(self.rows)
        outer.addStretch(1)  # conditions stay together at the top
        self.items: list[ConditionRow | GroupBox] = []
        self.retranslate()
        self.set_json(data or {"match": "all", "conditions": []})

    def retranslate(self) -> None:
        self.match_label.setText(self.tr("Patients matching"))
        self.match.setItemText(0, self.tr("all of (and)"))
        self.match.setItemText(1, self.tr("any of (or)"))
        self.add_condition.setText(self.tr("+ Condition"))
        self.add_group.setText(self.tr("+ Group"))
        self.remove.setToolTip(self.tr("Remove this group"))
        for item in self.items:
            item.retranslate()

    def add(self, data: dict[str, Any]) -> ConditionRow | GroupBox:
        item: ConditionRow | GroupBox
        if "conditions" in data and not self.nested:
            item = GroupBox(True, data)
        else:
            item = ConditionRow(data)
        item.removed.connect(self._remove)
        self.items.append(item)
        self.rows.addWidget(item)
        return item

    def _remove(self, item: QWidget) -> None:
        if item in self.items:
            self.items.remove(item)
            item.setParent(None)
            item.deleteLater()

    def to_json(self) -> dict[str, Any]:
        return {"match": self.match.currentData(),
                "conditions": [i.to_json() for i in self.items]}  # fmt: skip

    def set_json(self, data: dict[str, Any]) -> None:
        for item in list(self.items):
            self._remove(item)
        self.match.setCurrentIndex(max(0, self.match.findData(data.get("match", "all"))))
        for c in data.get("conditions") or []:
            self.add(c)


class QueryScreen(QWidget):
    open_chart = Signal(str)  # a patient id

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.result: Result | None = None
        split = QSplitter()
        left = QWidget()
        ll = QVBoxLayout(left)
        self.saved_label = QLabel()
        self.saved_label.setStyleSheet("font-weight: 600;")
        self.saved = QListWidget()
        self.saved.itemDoubleClicked.connect(lambda _i: self.on_run_saved())
        self.saved.currentRowChanged.connect(self._saved_chosen)
        self.open_button, self.delete_button = QPushButton(), QPushButton()
        self.open_button.clicked.connect(self.on_run_saved)
        self.delete_button.clicked.connect(self.on_delete)
        ll.addWidget(self.saved_label)
        ll.addWidget(self.saved, 1)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addWidget(self.delete_button)
        ll.addLayout(row)
        split.addWidget(left)
        right = QWidget()
        rl = QVBoxLayout(right)
        self.builder = GroupBox()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.builder)
        rl.addWidget(scroll, 2)
        actions = QHBoxLayout()
        self.name = QLineEdit()
        self.save_button, self.run_button = QPushButton(), QPushButton()
        self.export_button = QPushButton()
        self.save_button.clicked.connect(self.on_save)
        self.run_button.clicked.connect(self.on_run)
        self.export_button.clicked.connect(self.on_export)
        actions.addWidget(self.name, 1)
        for w in (self.save_button, self.run_button, self.export_button):
            actions.addWidget(w)
        rl.addLayout(actions)
        self.count = QLabel()
        self.count.setStyleSheet("font-weight: 600;")
        rl.addWidget(self.count)
        self.table = QTableWidget(0, 7)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(self._open)
        rl.addWidget(self.table, 3)
        split.addWidget(right)
        split.setSizes([220, 900])
        QVBoxLayout(self).addWidget(split)
        self.names: list[str] = []
        self.builder.set_json({"match": "all", "conditions": [
            {"kind": "diagnosis", "code": "I10"},
            {"kind": "vital", "vital": "systolic", "which": "latest", "op": ">=", "value": 140},
            {"kind": "followup", "within_days": 90, "negate": True}]})  # fmt: skip
        self.retranslate()
        self.reloader = Reloader(self, session, (), self.load_names)

    def retranslate(self) -> None:
        self.saved_label.setText(self.tr("Saved queries"))
        self.open_button.setText(self.tr("Run"))
        self.delete_button.setText(self.tr("Delete"))
        self.name.setPlaceholderText(self.tr("Name to save the query under"))
        self.save_button.setText(self.tr("Save"))
        self.run_button.setText(self.tr("Run query"))
        self.export_button.setText(self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save the patients found as Excel, CSV or TXT"))
        self.builder.retranslate()
        self.table.setHorizontalHeaderLabels([
            self.tr("Name"), self.tr("Sex"), self.tr("Age"), self.tr("Diagnoses"),
            self.tr("Last BP"), self.tr("Last follow-up"), self.tr("Days since")])  # fmt: skip
        self.render_view()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ---- saved queries -----------------------------------------------------------------
    async def load_names(self) -> None:
        names = await run_op(self, self.session.call(self.session.clinic.queries.names))
        self.names = names or []
        self.saved.blockSignals(True)
        self.saved.clear()
        self.saved.addItems(self.names)
        self.saved.blockSignals(False)

    def _saved_chosen(self, row: int) -> None:
        if 0 <= row < len(self.names):
            self.name.setText(self.names[row])

    @asyncSlot()
    async def on_run_saved(self) -> None:
        await self.run_saved()

    async def run_saved(self) -> bool:
        row = self.saved.currentRow()
        if not 0 <= row < len(self.names):
            return False
        name = self.names[row]
        group = await run_op(self, self.session.call(self.session.clinic.queries.get, name))
        if group is None:
            return False
        self.builder.set_json(to_json(group))
        self.name.setText(name)
        return await self.run()

    @asyncSlot()
    async def on_save(self) -> None:
        await self.save()

    async def save(self) -> bool:
        work = self.session.call(self.session.clinic.queries.save, self.name.text(),
                                 self.builder.to_json())  # fmt: skip
        done = await run_op(self, work, disable=self.save_button)
        if done is None:
            return False
        await self.load_names()
        if done.value in self.names:
            self.saved.setCurrentRow(self.names.index(done.value))
        return True

    @asyncSlot()
    async def on_delete(self) -> None:
        row = self.saved.currentRow()
        if 0 <= row < len(self.names):
            work = self.session.call(self.session.clinic.queries.delete, self.names[row])
            if await run_op(self, work, disable=self.delete_button) is not None:
                await self.load_names()

    # ---- running -----------------------------------------------------------------------
    @asyncSlot()
    async def on_run(self) -> None:
        await self.run()

    async def run(self) -> bool:
        work = self.session.call(self.session.clinic.queries.run, self.builder.to_json())
        self.count.setText(self.tr("Searching…"))
        result = await run_op(self, work, disable=self.run_button)
        self.result = result
        self.render_view()
        return result is not None

    def render_view(self) -> None:
        result = self.result
        if result is None:
            self.count.setText(self.tr("Build a query and run it."))
            self.table.setRowCount(0)
            return
        self.count.setText(self.tr("%n patient(s) found", "", len(result.rows)))
        self.table.setRowCount(len(result.rows))
        for n, r in enumerate(result.rows):
            bp = "" if r.systolic is None else f"{r.systolic:g}/{(r.diastolic or 0):g}"
            since = "" if r.days_since_follow_up is None else str(r.days_since_follow_up)
            cells = [r.name, sex_label(r.gender), "" if r.age is None else str(r.age),
                     r.diagnoses, bp, r.last_follow_up.isoformat() if r.last_follow_up else "",
                     since]  # fmt: skip
            for col, text in enumerate(cells):
                self.table.setItem(n, col, QTableWidgetItem(text))

    def _open(self, row: int, _col: int) -> None:
        if self.result is not None and 0 <= row < len(self.result.rows):
            self.open_chart.emit(self.result.rows[row].patient_id)

    @asyncSlot()
    async def on_export(self) -> None:
        if self.result is None and not await self.run():
            return
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export patients found"), "query.xlsx",
            self.tr("Excel (*.xlsx);;CSV (*.csv);;Text, tab-separated (*.txt)"))  # fmt: skip
        if path:
            await self.export_to(Path(path))

    async def export_to(self, path: Path) -> int | None:
        """Write the last result to ``path`` (the format by its suffix; default Excel)."""
        if self.result is None:
            return None
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("xlsx", "csv", "txt"):
            fmt, path = "xlsx", path.with_suffix(".xlsx")
        work = self.session.call(self.session.clinic.queries.export, self.result, path, fmt,
                                 installed_language())  # fmt: skip
        return await run_op(self, work, disable=self.export_button)
