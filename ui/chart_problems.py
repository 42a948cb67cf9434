"""The chart's "Problems and allergies" tab: the ICD-10 problem list (active, then resolved)
with add and resolve, and the allergies (or the dated "no known allergies" statement) with
record, resolve and "no known allergies". Also the ICD-10 search box the visit form uses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QStringListModel, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.clinical.icd10 import Icd10
from clinic_app.errors import ValidationError
from clinic_app.records import allergies, conditions
from clinic_app.records.common import Resource
from clinic_app.services.chart_view import ChartView
from ui.clinical_text import FLAG_COLOUR
from ui.errors import show_error, tr_core
from ui.session import Session
from ui.translations import installed_language


def entry_text(entry: Icd10) -> str:
    """ "I10  特发性（原发性）高血压" in the interface's language."""
    return f"{entry.code}  {entry.title(installed_language())}"


class Icd10Search(QLineEdit):
    """A line edit completing ICD-10 codes from a typed code, name or pinyin initials;
    ``chosen()`` is the entry of the text shown (picked from the list or typed as a code)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setPlaceholderText(self.tr("ICD-10: code, name or pinyin initials (e.g. gxy)"))
        self._entries: dict[str, Icd10] = {}
        self._model = QStringListModel(self)
        completer = QCompleter(self._model, self)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setMaxVisibleItems(12)
        self.setCompleter(completer)
        self.textEdited.connect(self._refresh)

    def _refresh(self, text: str) -> None:
        found = self.session.clinic.problems.search(text, 30)
        self._entries = {entry_text(e): e for e in found}
        self._model.setStringList(list(self._entries))

    def chosen(self) -> Icd10 | None:
        text = self.text().strip()
        if text in self._entries:
            return self._entries[text]
        return self.session.clinic.problems.lookup(text.split()[0]) if text else None


class ProblemsPanel(QWidget):
    """Problems and allergies of the patient on the chart."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.patient_id: str | None = None
        outer = QHBoxLayout(self)
        # ---- problems
        box = QGroupBox(self.tr("Problem list (ICD-10)"))
        col = QVBoxLayout(box)
        self.problems = QListWidget()
        col.addWidget(self.problems, 1)
        add_row = QHBoxLayout()
        self.problem_search = Icd10Search(session)
        self.onset = QDateEdit(QDate.currentDate())
        self.onset.setDisplayFormat("yyyy-MM-dd")
        self.onset.setCalendarPopup(True)
        self.onset.setMaximumDate(QDate.currentDate())
        self.onset.setToolTip(self.tr("Onset"))
        self.add_problem_button = QPushButton(self.tr("Add problem"))
        self.add_problem_button.clicked.connect(self.add_problem)
        add_row.addWidget(self.problem_search, 1)
        add_row.addWidget(QLabel(self.tr("Onset")))
        add_row.addWidget(self.onset)
        add_row.addWidget(self.add_problem_button)
        col.addLayout(add_row)
        self.resolve_problem_button = QPushButton(self.tr("Mark resolved"))
        self.resolve_problem_button.clicked.connect(self.resolve_problem)
        col.addWidget(self.resolve_problem_button, 0, Qt.AlignmentFlag.AlignRight)
        self.problem_message = QLabel()
        self.problem_message.setStyleSheet(f"color: {FLAG_COLOUR};")
        self.problem_message.setWordWrap(True)
        col.addWidget(self.problem_message)
        outer.addWidget(box, 1)
        # ---- allergies
        box = QGroupBox(self.tr("Allergies"))
        col = QVBoxLayout(box)
        self.allergies = QListWidget()
        col.addWidget(self.allergies, 1)
        row = QHBoxLayout()
        self.substance = QLineEdit()
        self.substance.setPlaceholderText(self.tr("Substance or drug class (e.g. 青霉素类)"))
        self.reaction = QLineEdit()
        self.reaction.setPlaceholderText(self.tr("Reaction"))
        row.addWidget(self.substance, 2)
        row.addWidget(self.reaction, 1)
        col.addLayout(row)
        row = QHBoxLayout()
        self.category = QComboBox()
        for code, label in (("medication", self.tr("Medication")), ("food", self.tr("Food")),
                            ("environment", self.tr("Environment")),
                            ("biologic", self.tr("Biologic"))):  # fmt: skip
            self.category.addItem(label, code)
        self.severity = QComboBox()
        self.severity.addItem(self.tr("Severity not known"), None)
        for code, label in (("mild", self.tr("Mild")), ("moderate", self.tr("Moderate")),
                            ("severe", self.tr("Severe"))):  # fmt: skip
            self.severity.addItem(label, code)
        self.criticality = QComboBox()
        risks = (("unable-to-assess", self.tr("Risk not assessed")),
                 ("low", self.tr("Low risk")), ("high", self.tr("High risk")))  # fmt: skip
        for code, label in risks:
            self.criticality.addItem(label, code)
        self.add_allergy_button = QPushButton(self.tr("Record allergy"))
        self.add_allergy_button.clicked.connect(self.add_allergy)
        for w in (self.category, self.severity, self.criticality):
            row.addWidget(w)
        row.addWidget(self.add_allergy_button)
        col.addLayout(row)
        row = QHBoxLayout()
        self.nka_button = QPushButton(self.tr("No known allergies"))
        self.nka_button.setToolTip(self.tr("Record that the patient was asked and has none"))
        self.nka_button.clicked.connect(self.no_known_allergies)
        self.resolve_allergy_button = QPushButton(self.tr("Mark resolved"))
        self.resolve_allergy_button.clicked.connect(self.resolve_allergy)
        row.addWidget(self.nka_button)
        row.addStretch(1)
        row.addWidget(self.resolve_allergy_button)
        col.addLayout(row)
        self.allergy_message = QLabel()
        self.allergy_message.setStyleSheet(f"color: {FLAG_COLOUR};")
        self.allergy_message.setWordWrap(True)
        col.addWidget(self.allergy_message)
        outer.addWidget(box, 1)

    # ---- showing --------------------------------------------------------------------
    def clear(self) -> None:
        self.patient_id = None
        self.problems.clear()
        self.allergies.clear()

    def fill(self, view: ChartView) -> None:
        self.patient_id = str(view.patient["id"])
        language = installed_language()
        self.problems.clear()
        active, resolved = conditions.problem_list(view.chart.of("Condition"))
        for c in active:
            onset = str(c.get("onsetDateTime") or "")[:10]
            text = f"{conditions.icd10_code(c) or ''}  {conditions.title(c, language)}"
            if onset:
                text += "  " + self.tr("since %1").replace("%1", onset)
            self._add(self.problems, text, c)
        for c in resolved:
            text = f"{conditions.icd10_code(c) or ''}  {conditions.title(c, language)}  " + (
                self.tr("resolved %1").replace("%1", str(c.get("abatementDateTime", ""))[:10])
            )
            self._add(self.problems, text, c, grey=True)
        self.allergies.clear()
        nka, current = allergies.current(view.chart.of("AllergyIntolerance"))
        if nka is not None:
            when = str(nka.get("recordedDate") or "")
            self._add(self.allergies, self.tr("No known allergies (stated %1)").replace("%1", when),
                      nka)  # fmt: skip
        for a in current:
            self._add(self.allergies, self.allergy_text(a), a, flag=True)
        if nka is None and not current:
            self._add(self.allergies, self.tr("Not asked yet"), None, grey=True)

    def allergy_text(self, a: Resource) -> str:
        parts = [allergies.substance(a)]
        severities = {"mild": self.tr("mild"), "moderate": self.tr("moderate"),
                      "severe": self.tr("severe")}  # fmt: skip
        for manifestation, severity in allergies.reactions(a):
            parts.append(f"{manifestation} ({severities[severity]})" if severity else manifestation)
        if a.get("criticality") == "high":
            parts.append(self.tr("high risk"))
        return " — ".join(p for p in parts if p)

    def _add(self, target: QListWidget, text: str, res: Resource | None, *, grey: bool = False,
             flag: bool = False) -> None:  # fmt: skip
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, res)
        if grey:
            item.setForeground(Qt.GlobalColor.gray)
        if flag:
            item.setForeground(Qt.GlobalColor.darkRed)
        target.addItem(item)

    def _selected(self, target: QListWidget) -> Resource | None:
        item = target.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    # ---- actions --------------------------------------------------------------------
    async def _run(self, message: QLabel, button: QPushButton, fn: Callable[..., Any],
                   **kwargs: Any) -> Any:  # fmt: skip
        """Run a write; a refusal of the core shows under the section, other errors in the
        error dialog. None when nothing was written."""
        message.setText("")
        button.setEnabled(False)
        try:
            return await self.session.write(functools.partial(fn, **kwargs))
        except ValidationError as exc:
            self._refuse(message, tr_core(exc.message))
            return None
        except Exception as exc:
            show_error(self, exc)
            return None
        finally:
            button.setEnabled(True)

    def _refuse(self, message: QLabel, text: str) -> None:
        message.setText(text)

    @asyncSlot()
    async def add_problem(self) -> None:
        entry = self.problem_search.chosen()
        if self.patient_id is None:
            return
        if entry is None:
            self._refuse(self.problem_message, self.tr("Choose a diagnosis from the ICD-10 list."))
            return
        onset = self.onset.date().toPython()
        done = await self._run(
            self.problem_message, self.add_problem_button, self.session.clinic.problems.add,
            patient_id=self.patient_id, code=entry.code, recorder=self.session.user,
            onset=onset if isinstance(onset, date) else None,
        )  # fmt: skip
        if done is not None:
            self.problem_search.clear()

    @asyncSlot()
    async def resolve_problem(self) -> None:
        res = self._selected(self.problems)
        if res is None or conditions.status_of(res) == "resolved":
            return
        await self._run(
            self.problem_message,
            self.resolve_problem_button,
            self.session.clinic.problems.resolve,
            condition_id=res["id"],
        )

    @asyncSlot()
    async def add_allergy(self) -> None:
        if self.patient_id is None:
            return
        done = await self._run(
            self.allergy_message, self.add_allergy_button, self.session.clinic.allergies.record,
            patient_id=self.patient_id, substance=self.substance.text(),
            recorder=self.session.user, reaction=self.reaction.text() or None,
            category=self.category.currentData(), severity=self.severity.currentData(),
            criticality=self.criticality.currentData(),
        )  # fmt: skip
        if done is not None:
            self.substance.clear()
            self.reaction.clear()

    @asyncSlot()
    async def no_known_allergies(self) -> None:
        if self.patient_id is None:
            return
        await self._run(self.allergy_message, self.nka_button,
                        self.session.clinic.allergies.no_known_allergies,
                        patient_id=self.patient_id, recorder=self.session.user)  # fmt: skip

    @asyncSlot()
    async def resolve_allergy(self) -> None:
        res = self._selected(self.allergies)
        if res is None or allergies.is_nka(res):
            return
        await self._run(
            self.allergy_message,
            self.resolve_allergy_button,
            self.session.clinic.allergies.resolve,
            allergy_id=res["id"],
        )
