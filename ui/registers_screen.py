"""Chronic-disease registers (national basic public-health programme): hypertension and type 2
diabetes patients, who is overdue or due for the quarterly follow-up and who is not controlled,
with the follow-up and control rates of the last twelve months, and an export (Excel, CSV,
TXT) in the screen's language. What each word means is defined in
:mod:`clinic_app.clinical.registers`; a double click opens the patient's chart."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.clinical.registers import Entry, MonthRate, Summary
from ui.clinical_text import sex_label
from ui.ops import run_op
from ui.reloader import Reloader
from ui.session import Session
from ui.translations import installed_language

FILTERS = ("all", "overdue", "due", "uncontrolled")
_RED, _AMBER = QColor("#b3261e"), QColor("#8a5a00")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


class RegistersScreen(QWidget):
    open_chart = Signal(str)  # a patient id

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.summaries: list[Summary] = []
        self.shown: list[Entry] = []
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.register = QComboBox()
        self.filter = QComboBox()
        self.export_button = QPushButton()
        self.export_button.clicked.connect(self.on_export)
        self.register.currentIndexChanged.connect(self.render_view)
        self.filter.currentIndexChanged.connect(self.render_view)
        self.register_label, self.filter_label = QLabel(), QLabel()
        for w in (self.register_label, self.register, self.filter_label, self.filter):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.export_button)
        layout.addLayout(top)
        self.summary = QLabel()
        self.summary.setStyleSheet("font-weight: 600;")
        self.summary.setWordWrap(True)
        self.basis = QLabel()
        self.basis.setWordWrap(True)
        self.basis.setStyleSheet("color: #5f6368;")
        layout.addWidget(self.summary)
        layout.addWidget(self.basis)
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, 8)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(self.on_open)
        self.rates = QTableWidget(5, 0)
        self.rates.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.rates.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        split.addWidget(self.table)
        split.addWidget(self.rates)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)
        self.reloader = Reloader(self, session, ("Patient", "Condition", "Observation",
                                                 "Encounter", "Task"), self.load)  # fmt: skip
        self.retranslate()

    # ---- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.register_label.setText(self.tr("Register"))
        self.filter_label.setText(self.tr("Show"))
        self.export_button.setText(self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save the registers and monthly rates as Excel, "
                                              "CSV or TXT"))  # fmt: skip
        for combo, items in (
            (self.register, [self.tr("Hypertension (I10–I15)"),
                             self.tr("Type 2 diabetes (E11)")]),
            (self.filter, [self.tr("Everyone"), self.tr("Overdue for follow-up"),
                           self.tr("Follow-up due soon"), self.tr("Not controlled")]),
        ):  # fmt: skip
            at = max(0, combo.currentIndex())
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            combo.setCurrentIndex(at)
            combo.blockSignals(False)
        self.basis.setText(self.tr(
            "Follow-up at least every 90 days (national basic public-health service "
            "specification): overdue after 90 days without a visit or a completed follow-up, "
            "due from day 76. Controlled: last BP below 140/90 mmHg; diabetes: last HbA1c "
            "below 7.0 % when taken in the last six months, else last fasting glucose at most "
            "7.0 mmol/L (national primary-care guidelines for hypertension 2020 and diabetes "
            "2022)."))  # fmt: skip
        self.table.setHorizontalHeaderLabels([
            self.tr("Name"), self.tr("Sex"), self.tr("Age"), self.tr("ICD-10"),
            self.tr("Last follow-up"), self.tr("Follow-up"), self.tr("Control"),
            self.tr("Last reading")])  # fmt: skip
        self.render_view()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def follow_up_text(self, entry: Entry) -> str:
        return {"overdue": self.tr("Overdue"), "due": self.tr("Due"),
                "ok": self.tr("On time")}[entry.follow_up]  # fmt: skip

    def control_text(self, entry: Entry) -> str:
        return {"controlled": self.tr("Controlled"), "uncontrolled": self.tr("Not controlled"),
                "unknown": self.tr("No reading")}[entry.control]  # fmt: skip

    def reading_text(self, entry: Entry) -> str:
        if entry.register == "hypertension":
            if entry.systolic is None:
                return "—"
            dia = f"{entry.diastolic:g}" if entry.diastolic is not None else "—"
            return f"{entry.systolic:g}/{dia} mmHg"
        parts = []
        if entry.hba1c is not None:
            parts.append(self.tr("HbA1c %1 % (%2)").replace("%1", f"{entry.hba1c.value:g}")
                         .replace("%2", entry.hba1c.when.date().isoformat()))  # fmt: skip
        if entry.glucose is not None:
            unit = "mmol/L" if entry.glucose.key == "glucose_mmol" else "mg/dL"
            parts.append(f"{entry.glucose.value:g} {unit}")
        return " · ".join(parts) or "—"

    def last_text(self, entry: Entry) -> str:
        if entry.last_follow_up is None:
            return self.tr("never")
        return self.tr("%1 (%n day(s) ago)", "", entry.days_since or 0).replace(
            "%1", entry.last_follow_up.isoformat()
        )

    # ---- loading -----------------------------------------------------------------------
    async def load(self) -> None:
        self.summaries = await self.session.call(self.session.clinic.registers.summaries)
        self.render_view()

    def current(self) -> Summary | None:
        n = self.register.currentIndex()
        return self.summaries[n] if 0 <= n < len(self.summaries) else None

    def render_view(self) -> None:
        summary = self.current()
        if summary is None:
            self.summary.setText(self.tr("Loading the registers…"))
            return
        which = FILTERS[max(0, self.filter.currentIndex())]
        chosen = {"all": summary.entries, "overdue": summary.overdue, "due": summary.due,
                  "uncontrolled": summary.uncontrolled}[which]  # fmt: skip
        self.shown = list(chosen)
        month = summary.months[-1] if summary.months else None
        self.summary.setText(
            self.tr("%1 patients · %2 overdue · %3 due · %4 not controlled · this month: "
                    "follow-up %5, control %6")
            .replace("%1", str(len(summary.entries))).replace("%2", str(len(summary.overdue)))
            .replace("%3", str(len(summary.due))).replace("%4", str(len(summary.uncontrolled)))
            .replace("%5", _percent(month.follow_up_rate if month else None))
            .replace("%6", _percent(month.control_rate if month else None))
        )  # fmt: skip
        self.table.setRowCount(len(self.shown))
        for row, e in enumerate(self.shown):
            cells = [e.name, sex_label(e.gender), "" if e.age is None else str(e.age), e.code,
                     self.last_text(e), self.follow_up_text(e), self.control_text(e),
                     self.reading_text(e)]  # fmt: skip
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 5 and e.follow_up != "ok":
                    item.setForeground(_RED if e.follow_up == "overdue" else _AMBER)
                if col == 6 and e.control == "uncontrolled":
                    item.setForeground(_RED)
                self.table.setItem(row, col, item)
        self.render_rates(summary.months)

    def render_rates(self, months: list[MonthRate]) -> None:
        self.rates.setColumnCount(len(months))
        self.rates.setHorizontalHeaderLabels([m.month[2:] for m in months])
        self.rates.setVerticalHeaderLabels([
            self.tr("Patients"), self.tr("Followed up"), self.tr("Follow-up rate"),
            self.tr("Controlled"), self.tr("Control rate")])  # fmt: skip
        for col, m in enumerate(months):
            values = [str(m.patients), str(m.followed), _percent(m.follow_up_rate),
                      str(m.controlled), _percent(m.control_rate)]  # fmt: skip
            for row, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.rates.setItem(row, col, item)

    # ---- actions -----------------------------------------------------------------------
    def on_open(self, row: int, _col: int) -> None:
        if 0 <= row < len(self.shown):
            self.open_chart.emit(self.shown[row].patient_id)

    @asyncSlot()
    async def on_export(self) -> None:
        path, _chosen = QFileDialog.getSaveFileName(
            self, self.tr("Export registers"), "registers.xlsx",
            self.tr("Excel (*.xlsx);;CSV (*.csv);;Text, tab-separated (*.txt)"))  # fmt: skip
        if path:
            await self.export_to(Path(path))

    async def export_to(self, path: Path) -> int | None:
        """Write the registers to ``path`` (the format by its suffix; default Excel)."""
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("xlsx", "csv", "txt"):
            fmt, path = "xlsx", path.with_suffix(".xlsx")
        work = self.session.call(self.session.clinic.registers.export, path, fmt,
                                 installed_language())  # fmt: skip
        n = await run_op(self, work, disable=self.export_button)
        if n is not None:
            self.summary.setToolTip(self.tr("%n row(s) written to %1", "", n).replace(
                "%1", str(path)))  # fmt: skip
        return n
