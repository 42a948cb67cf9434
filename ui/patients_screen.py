"""Patients: the list (all, or search-as-you-type by name, pinyin, ID number or phone) and
the buttons to register a patient or open a chart."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.changes import Changes
from ui.bridge import Event
from ui.ops import run_op
from ui.patient_model import PatientModel
from ui.session import Session
from ui.widgets import name_clear_button, shortcut

SEARCH_DELAY_MS = 120


class PatientsScreen(QWidget):
    open_chart = Signal(str)  # patient id
    new_patient = Signal()

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.model = PatientModel(session)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(
            self.tr("Search by name, pinyin (e.g. wxm), ID number or phone")
        )
        name_clear_button(self.search, self.tr("Clear the search"))
        self.search.textChanged.connect(self._schedule_search)
        bar.addWidget(self.search, 1)
        self.add_button = QPushButton(self.tr("New patient"))
        self.add_button.setToolTip(self.tr("Register a new patient (Ctrl+N)"))
        self.add_button.clicked.connect(self.new_patient.emit)
        bar.addWidget(self.add_button)
        layout.addLayout(bar)
        self.count = QLabel()
        layout.addWidget(self.count)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setCornerButtonEnabled(False)  # single selection: "select all" means nothing
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)
        self.table.doubleClicked.connect(self._open_index)
        self.table.clicked.connect(self._reveal_index)
        self.table.activated.connect(self._open_index)
        layout.addWidget(self.table, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)
        self._search_seq = 0
        shortcut("Ctrl+F", self, self.focus_search)
        shortcut("Ctrl+N", self, self.new_patient.emit)
        session.bridge.notify.connect(self._on_event)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _on_event(self, kind: Event, payload: object) -> None:
        if kind is Event.RECORDS_CHANGED and (
            not isinstance(payload, Changes) or not payload or payload.touches("Patient")
        ):
            self._timer.stop()  # refresh now, without changing the typing pause
            QTimer.singleShot(0, self.run_search)

    def _schedule_search(self) -> None:
        self._timer.start()

    @asyncSlot()
    async def run_search(self) -> None:
        """Search (or reload the full list); a newer keystroke makes older results moot."""
        self._search_seq += 1
        seq = self._search_seq
        query = self.search.text().strip()
        if not query:
            await run_op(self, self.model.reload())
            self.count.setText(self.tr("%n patient(s)", "", self.model.total))
            return
        found = await run_op(
            self, self.session.call(self.session.clinic.patients.search, query, 200)
        )
        if seq != self._search_seq or found is None:
            return
        self.model.show_results(found)
        self.count.setText(self.tr("%n match(es)", "", len(found)))
        if found:
            self.table.selectRow(0)

    @asyncSlot(QModelIndex)
    async def _reveal_index(self, index: QModelIndex) -> None:
        """A click on a masked ID number or phone shows it in full (audited by the core)."""
        if self.model.is_masked(index):
            await run_op(self, self.model.reveal(index))

    def _open_index(self, index: QModelIndex) -> None:
        pid = self.model.data(index, PatientModel.ID_ROLE)
        if pid:
            self.open_chart.emit(str(pid))

    async def refresh(self) -> None:
        await self.run_search()
