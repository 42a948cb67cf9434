"""Table model over the store's patients: pages loaded on the store thread as they scroll into
view (placeholders meanwhile), so 50k patients scroll smoothly and the GUI thread never waits
on the database. Search results replace the list with a short, fully loaded result set."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from clinic_app.records.masking import Field, masked_value
from clinic_app.records.patient import age_on, display_name, latin_name
from ui.session import Session

PAGE = 200
Index = QModelIndex | QPersistentModelIndex
MASKED_COLUMNS: dict[int, Field] = {4: "resident_id", 5: "phone"}


def summary(
    p: dict[str, Any], today: date, revealed: dict[Field, str] | None = None
) -> tuple[str, ...]:
    """One row: ID number and phone masked unless ``revealed`` holds their full value."""
    age = age_on(p, today)
    shown = revealed or {}
    return (
        display_name(p),
        latin_name(p),
        {"male": "♂", "female": "♀"}.get(p.get("gender", ""), ""),
        "" if age is None else str(age),
        shown.get("resident_id") or masked_value(p, "resident_id"),
        shown.get("phone") or masked_value(p, "phone"),
    )


class PatientModel(QAbstractTableModel):
    ID_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._total = 0
        self._pages: dict[int, list[dict[str, Any]]] = {}
        self._loading: set[int] = set()
        self._results: list[dict[str, Any]] | None = None
        self._today = date.today()
        self._generation = 0
        self._tasks: set[asyncio.Future[None]] = set()
        self._revealed: dict[str, dict[Field, str]] = {}  # patient id -> full values asked for

    def headers(self) -> list[str]:
        return [self.tr("Name"), self.tr("Pinyin / Latin"), self.tr("Sex"), self.tr("Age"),
                self.tr("ID number"), self.tr("Phone")]  # fmt: skip

    # ---- Qt model API ------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self._results) if self._results is not None else self._total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 6

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        patient = self.patient_at(index.row())
        if patient is None:
            if role == Qt.ItemDataRole.DisplayRole:
                return "…" if index.column() == 0 else ""
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return summary(patient, self._today, self._revealed.get(patient["id"]))[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and self.is_masked(index):
            return self.tr("Click to show in full (the access is recorded)")
        if role == self.ID_ROLE:
            return patient["id"]
        return None

    # ---- masked identifiers ------------------------------------------------------------
    def is_masked(self, index: Index) -> bool:
        """True for an ID number or phone cell that shows a masked value."""
        field = MASKED_COLUMNS.get(index.column())
        patient = self.patient_at(index.row()) if index.isValid() and field else None
        if patient is None or field is None:
            return False
        return bool(masked_value(patient, field)) and (
            field not in self._revealed.get(patient["id"], {})
        )

    async def reveal(self, index: Index) -> None:
        """Show one masked cell in full; the core records who asked (the audit log)."""
        if not self.is_masked(index):
            return
        field = MASKED_COLUMNS[index.column()]
        row, pid = index.row(), str(self.data(index, self.ID_ROLE))
        value = await self.session.write(self.session.clinic.patients.reveal, pid, field)
        self._revealed.setdefault(pid, {})[field] = str(value)
        cell = self.index(row, index.column())
        self.dataChanged.emit(cell, cell)

    # ---- loading -----------------------------------------------------------------------
    def patient_at(self, row: int) -> dict[str, Any] | None:
        if self._results is not None:
            return self._results[row] if 0 <= row < len(self._results) else None
        page = row // PAGE
        rows = self._pages.get(page)
        if rows is None:
            self._request(page)
            return None
        offset = row - page * PAGE
        return rows[offset] if offset < len(rows) else None

    def _request(self, page: int) -> None:
        if page in self._loading:
            return
        self._loading.add(page)
        task = asyncio.ensure_future(self._load(page, self._generation))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _load(self, page: int, generation: int) -> None:
        try:
            rows = await self.session.call(self.session.clinic.patients.page, page * PAGE, PAGE)
        finally:
            self._loading.discard(page)
        if generation != self._generation or self._results is not None:
            return
        self._pages[page] = rows
        first = page * PAGE
        last = min(self._total, first + len(rows)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, 5))

    async def reload(self) -> None:
        """Re-read the list (after records changed)."""
        total = await self.session.call(self.session.clinic.patients.count)
        self.beginResetModel()
        self._generation += 1
        self._results = None
        self._revealed.clear()  # a fresh list shows every number masked again
        self._pages.clear()
        self._loading.clear()
        self._total = total
        self._today = date.today()
        self.endResetModel()

    def show_results(self, patients: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._generation += 1
        self._results = patients
        self._revealed.clear()
        self.endResetModel()

    @property
    def total(self) -> int:
        return self._total
