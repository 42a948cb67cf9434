"""Sync conflicts: a record changed here and on the central platform in the same field. Both
versions are shown side by side per field (with the version both sides started from); the
clinician chooses per field, or keeps one side entirely. A deletion against an edit is
explained in words. Nothing is resolved until someone chooses."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.services import desk
from clinic_app.services.conflicts import Conflict
from clinic_app.sync.engine import SyncStatus
from clinic_app.sync.merge import DELETED_HERE, DELETED_THERE, IGNORED_FIELDS
from ui.bridge import Event
from ui.ops import run_op
from ui.reloader import Reloader
from ui.session import Session
from ui.text_size import LARGE, relative_font

CHANGED_COLOR = "#fff1c7"
DELETED_COLOR = "#fbd9d6"
HIDDEN_KEYS = {"system"}  # naming-system URLs are noise for a clinician comparing values


def tr(text: str) -> str:
    return QCoreApplication.translate("conflict_values", text)


def key_label(key: str, field: str = "") -> str:
    """The clinician's word for a FHIR key inside a field (``city`` -> 市); an unknown key is
    shown as it is (it is a record's structure, not a sentence)."""
    if key == "text":
        return tr("Full address") if field == "address" else tr("Text")
    labels = {
        "family": tr("Family name"),
        "given": tr("Given name"),
        "prefix": tr("Title"),
        "suffix": tr("Suffix"),
        "use": tr("Use"),
        "value": tr("Value"),
        "line": tr("Street, village"),
        "city": tr("City"),
        "district": tr("County, district"),
        "state": tr("Province"),
        "postalCode": tr("Postal code"),
        "country": tr("Country"),
        "period": tr("Period"),
        "start": tr("Start"),
        "end": tr("End"),
        "type": tr("Type"),
        "display": tr("Name"),
        "code": tr("Code"),
        "coding": tr("Coded as"),
        "reference": tr("Record"),
        "status": tr("Status"),
        "actor": tr("Who"),
        "required": tr("Required"),
        "authorString": tr("Author"),
        "time": tr("Time"),
        "linkId": tr("Question"),
        "answer": tr("Answer"),
        "valueString": tr("Answer"),
        "valueBoolean": tr("Answer"),
        "valueInteger": tr("Answer"),
        "valueDecimal": tr("Answer"),
        "valueDate": tr("Answer"),
        "rank": tr("Rank"),
        "unit": tr("Unit"),
    }
    return labels.get(key, key)


def code_label(key: str, code: str) -> str:
    """The label of a coded value (``use: mobile`` -> 手机); other values as they are."""
    by_key = {
        "use": {
            "mobile": tr("Mobile"),
            "home": tr("Home"),
            "work": tr("Work"),
            "temp": tr("Temporary"),
            "old": tr("Old"),
            "official": tr("Official"),
            "usual": tr("Usual"),
            "billing": tr("Billing"),
        },
        "country": {"CN": tr("China")},
        "gender": {
            "male": tr("Male"),
            "female": tr("Female"),
            "other": tr("Other"),
            "unknown": tr("Unknown"),
        },
        "status": {
            "proposed": tr("Proposed"),
            "pending": tr("Pending"),
            "booked": tr("Booked"),
            "arrived": tr("Arrived"),
            "fulfilled": tr("Fulfilled"),
            "cancelled": tr("Cancelled"),
            "noshow": tr("No-show"),
            "draft": tr("Draft"),
            "requested": tr("Requested"),
            "accepted": tr("Accepted"),
            "rejected": tr("Declined"),
            "in-progress": tr("In progress"),
            "active": tr("Active"),
            "on-hold": tr("On hold"),
            "completed": tr("Completed"),
            "revoked": tr("Revoked"),
            "planned": tr("Planned"),
            "finished": tr("Finished"),
            "entered-in-error": tr("Entered in error"),
            "current": tr("Current"),
            "final": tr("Final"),
            "amended": tr("Amended"),
        },
        "priority": {
            "routine": tr("Routine"),
            "urgent": tr("Urgent"),
            "asap": tr("As soon as possible"),
            "stat": tr("Emergency (stat)"),
        },
    }
    return by_key.get(key, {}).get(code, code)


REFERENCE_KEYS = {"reference", "display", "type"}


def reference_label(ref: dict[str, Any]) -> str:
    """A reference as the clinician knows it: its display name, else what kind of record."""
    if ref.get("display"):
        return str(ref["display"])
    rtype = str(ref["reference"]).split("/", 1)[0]
    return {
        "Patient": tr("the patient"),
        "Practitioner": tr("a doctor"),
        "ServiceRequest": tr("a consult request"),
        "Encounter": tr("a visit"),
        "Appointment": tr("an appointment"),
        "CarePlan": tr("a care plan"),
        "Slot": tr("a time slot"),
    }.get(rtype, tr("another record"))


def _pair(label: str, text: str) -> str:
    """``label: text`` with the language's colon (a full-width one in Chinese)."""
    return tr("%1: %2").replace("%1", label).replace("%2", text)


def _moment(text: str) -> str:
    """A FHIR date-time as local ``YYYY-MM-DD HH:MM``; anything else as it is."""
    if len(text) > 10 and text[4:5] == "-" and "T" in text:
        try:
            return datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return text
    return text


def readable(value: Any, field: str = "") -> str:
    """A FHIR value as indented ``label: value`` lines in the interface language: keys and
    codes as the clinician's words, a phone as ``Mobile: 138…``, times in local time
    (naming-system URLs left out). ``field`` is the record's field the value belongs to."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return tr("Yes") if value else tr("No")
    if isinstance(value, str):
        return _moment(code_label(field, value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            return " ".join(value)  # a name's given names, an address's lines
        return "\n".join(readable(v, field) for v in value) if value else "—"
    if isinstance(value, dict):
        if set(value) <= REFERENCE_KEYS and (
            value.get("display") or isinstance(value.get("reference"), str)
        ):
            return reference_label(value)
        if set(value) - HIDDEN_KEYS <= {"use", "value"} and "value" in value:  # a phone
            use = value.get("use")
            shown = str(value["value"])
            return _pair(code_label("use", use), shown) if isinstance(use, str) else shown
        lines: list[str] = []
        for key, sub in value.items():
            if key in HIDDEN_KEYS:
                continue
            text = readable(sub, key if isinstance(sub, str) else field)
            label = key_label(key, field)
            if "\n" in text:
                lines.append(_pair(label, "").rstrip())
                lines += ["  " + line for line in text.splitlines()]
            else:
                lines.append(_pair(label, text))
        return "\n".join(lines) if lines else "—"
    return str(value)


class ConflictsScreen(QWidget):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.items: list[desk.ConflictSummary] = []
        self.current: Conflict | None = None
        self.choices: dict[str, str] = {}
        self._groups: list[QButtonGroup] = []
        self._known_count = -1
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.currentRowChanged.connect(self.on_select)
        split.addWidget(self.list)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(4, 0, 0, 0)
        self.title = QLabel()
        relative_font(self.title, LARGE, weight=QFont.Weight.DemiBold)
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.ResizeToContents)
        rl.addWidget(self.title)
        rl.addWidget(self.explain)
        rl.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.mine_button = QPushButton()
        self.theirs_button = QPushButton()
        self.apply_button = QPushButton()
        self.mine_button.clicked.connect(lambda: self.on_resolve("local"))
        self.theirs_button.clicked.connect(lambda: self.on_resolve("remote"))
        self.apply_button.clicked.connect(lambda: self.on_resolve(None))
        buttons.addWidget(self.mine_button)
        buttons.addWidget(self.theirs_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        rl.addLayout(buttons)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([280, 820])
        layout.addWidget(split, 1)
        self.reloader = Reloader(self, session, None, self.load)
        session.bridge.notify.connect(self._on_event)
        self.retranslate()

    # ---- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Field"),
                self.tr("Before (both started here)"),
                self.tr("On this workstation"),
                self.tr("On the central platform"),
                self.tr("Keep"),
            ]
        )
        self.render_list()
        self.show_conflict(self.current)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def kind_label(self, rtype: str) -> str:
        return {
            "Patient": self.tr("Patient details"),
            "Encounter": self.tr("Visit"),
            "QuestionnaireResponse": self.tr("Visit form"),
            "Appointment": self.tr("Appointment"),
            "Task": self.tr("Follow-up or task"),
            "CarePlan": self.tr("Care plan"),
            "ServiceRequest": self.tr("Consult or referral"),
            "Condition": self.tr("Condition"),
            "AllergyIntolerance": self.tr("Allergy"),
            "DocumentReference": self.tr("Document"),
        }.get(rtype, rtype)

    def field_label(self, name: str) -> str:
        return {
            "name": self.tr("Name"),
            "gender": self.tr("Sex"),
            "birthDate": self.tr("Birth date"),
            "telecom": self.tr("Phone"),
            "address": self.tr("Address"),
            "identifier": self.tr("ID numbers"),
            "status": self.tr("Status"),
            "description": self.tr("Description"),
            "start": self.tr("Start"),
            "end": self.tr("End"),
            "participant": self.tr("Participants"),
            "reasonCode": self.tr("Reason"),
            "priority": self.tr("Urgency"),
            "note": self.tr("Note"),
            "item": self.tr("Answers"),
            "period": self.tr("Time"),
            "restriction": self.tr("Due"),
            "code": self.tr("What"),
            "clinicalStatus": self.tr("Clinical status"),
            "verificationStatus": self.tr("Verification"),
            "basedOn": self.tr("Requested in"),
            "minutesDuration": self.tr("Duration (minutes)"),
            "created": self.tr("Created"),
            "comment": self.tr("Comment"),
            "serviceType": self.tr("Service"),
            "appointmentType": self.tr("Appointment type"),
            "slot": self.tr("Time slot"),
            "subject": self.tr("Patient"),
            "for": self.tr("Patient"),
            "encounter": self.tr("Visit"),
            "authoredOn": self.tr("Written on"),
            "requester": self.tr("Requested by"),
            "performerType": self.tr("Specialty"),
            "performer": self.tr("Performed by"),
            "category": self.tr("Category"),
            "intent": self.tr("Intent"),
            "occurrenceDateTime": self.tr("When"),
            "occurrencePeriod": self.tr("When"),
            "executionPeriod": self.tr("When"),
            "owner": self.tr("Responsible"),
            "focus": self.tr("About"),
            "title": self.tr("Title"),
            "content": self.tr("Content"),
            "date": self.tr("Date"),
            "type": self.tr("Type"),
            "class": self.tr("Class"),
            "active": self.tr("Active"),
            "onsetDateTime": self.tr("Onset"),
            "recordedDate": self.tr("Recorded on"),
            "reaction": self.tr("Reaction"),
            "criticality": self.tr("Criticality"),
            "activity": self.tr("Activities"),
            "questionnaire": self.tr("Form"),
            "authored": self.tr("Filled in on"),
            "author": self.tr("Author"),
            "supportingInfo": self.tr("Sent with it"),
            "reasonReference": self.tr("Reason"),
            "extension": self.tr("More details"),
            "contact": self.tr("Contact person"),
            "maritalStatus": self.tr("Marital status"),
            "deceasedBoolean": self.tr("Deceased"),
        }.get(name, name)

    # ---- loading -----------------------------------------------------------------------
    def _on_event(self, kind: Event, payload: object) -> None:
        if (
            kind is Event.SYNC_STATUS
            and isinstance(payload, SyncStatus)
            and payload.conflicts != self._known_count
        ):
            self._known_count = payload.conflicts
            self.reloader.request()

    async def load(self) -> None:
        items = await self.session.call(self.session.clinic.sync.conflicts_with_names)
        keep = self.current.id if self.current else None
        self.items = items
        self.render_list()
        rows = [n for n, s in enumerate(items) if s.conflict.id == keep] or ([0] if items else [])
        self.list.blockSignals(True)
        if rows:
            self.list.setCurrentRow(rows[0])
        self.list.blockSignals(False)
        shown = items[rows[0]].conflict if rows else None
        if shown is None or shown != self.current:  # unchanged: leave the choices alone
            self.show_conflict(shown)

    def render_list(self) -> None:
        self.list.blockSignals(True)
        current = self.list.currentRow()
        self.list.clear()
        for s in self.items:
            c = s.conflict
            title = self.kind_label(c.rtype)
            if s.patient_name:
                title = self.tr("%1 — %2").replace("%1", title).replace("%2", s.patient_name)
            if any(f in (DELETED_HERE, DELETED_THERE) for f in c.fields):
                detail = self.tr("deleted on one side, changed on the other")
            else:
                detail = self.tr("%n field(s) changed on both sides", "", len(c.fields))
            when = datetime.fromisoformat(c.created_at).astimezone().strftime("%m-%d %H:%M")
            item = QListWidgetItem(
                self.tr("%1\n%2 · %3")
                .replace("%1", title)
                .replace("%2", detail)
                .replace("%3", when)
            )
            item.setSizeHint(QSize(0, 2 * self.list.fontMetrics().lineSpacing() + 14))
            self.list.addItem(item)
        if 0 <= current < len(self.items):
            self.list.setCurrentRow(current)
        self.list.blockSignals(False)
        self.summary.setText(
            self.tr("%n conflict(s) waiting for a decision", "", len(self.items))
            if self.items
            else self.tr("No conflicts: every change here agrees with the central platform.")
        )

    def on_select(self, row: int) -> None:
        self.show_conflict(self.items[row].conflict if 0 <= row < len(self.items) else None)

    # ---- one conflict ------------------------------------------------------------------
    def deletion(self, c: Conflict) -> str | None:
        for f in c.fields:
            if f in (DELETED_HERE, DELETED_THERE):
                return f
        return None

    def show_conflict(self, c: Conflict | None) -> None:
        same = c is not None and self.current is not None and c.id == self.current.id
        previous = dict(self.choices) if same else {}
        self.current = c
        self.choices = {}
        self._groups = []
        self.table.setRowCount(0)
        widgets = (self.table, self.mine_button, self.theirs_button, self.apply_button)
        if c is None:
            self.title.setText("")
            self.explain.setText("")
            for w in widgets:
                w.setVisible(False)
            return
        for w in widgets:
            w.setVisible(True)
        summary = next((s for s in self.items if s.conflict.id == c.id), None)
        title = self.kind_label(c.rtype)
        if summary and summary.patient_name:
            title = self.tr("%1 — %2").replace("%1", title).replace("%2", summary.patient_name)
        self.title.setText(title)
        deletion = self.deletion(c)
        if deletion == DELETED_HERE:
            self.explain.setText(
                self.tr(
                    "This record was deleted on this workstation, but someone changed it on the "
                    "central platform meanwhile. Keep it deleted, or bring back the version from "
                    "the central platform (shown below)."
                )
            )
            self.mine_button.setText(self.tr("Keep it deleted"))
            self.theirs_button.setText(self.tr("Bring back the central platform's version"))
        elif deletion == DELETED_THERE:
            self.explain.setText(
                self.tr(
                    "This record was deleted on the central platform (by another workstation or "
                    "the specialist), but it was changed here meanwhile. Keep your version (it "
                    "is sent again), or accept the deletion."
                )
            )
            self.mine_button.setText(self.tr("Keep my version"))
            self.theirs_button.setText(self.tr("Accept the deletion"))
        else:
            self.explain.setText(
                self.tr(
                    "This record was changed here and on the central platform since they last "
                    "agreed. Changes to different fields were merged already; for each field "
                    "below, choose which version to keep."
                )
            )
            self.mine_button.setText(self.tr("Keep mine for all fields"))
            self.theirs_button.setText(self.tr("Keep theirs for all fields"))
        self.mine_button.setToolTip(self.tr("Use this workstation's version"))
        self.theirs_button.setToolTip(self.tr("Use the central platform's version"))
        self.apply_button.setText(self.tr("Apply my choices"))
        self.apply_button.setVisible(deletion is None)
        self.table.setColumnHidden(4, deletion is not None)
        self._fill_rows(c, deletion)
        if deletion is None:
            for name, side in previous.items():
                if name in c.fields:
                    self.choose(name, side)
        self._update_apply()

    def _fill_rows(self, c: Conflict, deletion: str | None) -> None:
        base, local, remote = c.base or {}, c.local or {}, c.remote or {}
        if deletion is None:
            names = list(c.fields)
        else:
            names = sorted(
                k for k in {*local, *remote, *base} if k not in IGNORED_FIELDS and k != "meta"
            )
        self.table.setRowCount(len(names))
        gone = self.tr("(deleted)")
        for r, name in enumerate(names):
            label = QTableWidgetItem(self.field_label(name))
            label.setToolTip(name)
            self.table.setItem(r, 0, label)
            cells = [
                readable(base.get(name), name),
                gone if c.local_deleted else readable(local.get(name), name),
                gone if c.remote_deleted else readable(remote.get(name), name),
            ]
            for col, text in enumerate(cells, start=1):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if text == gone:
                    item.setBackground(QBrush(QColor(DELETED_COLOR)))
                elif col > 1 and text != cells[0]:
                    item.setBackground(QBrush(QColor(CHANGED_COLOR)))
                self.table.setItem(r, col, item)
            if deletion is None:
                self.table.setCellWidget(r, 4, self._choice(name))
        self.table.resizeRowsToContents()

    def _choice(self, name: str) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(4, 0, 4, 0)
        group = QButtonGroup(box)
        mine = QRadioButton(self.tr("Mine"))
        theirs = QRadioButton(self.tr("Theirs"))
        mine.setObjectName(f"mine:{name}")
        theirs.setObjectName(f"theirs:{name}")
        for n, b in enumerate((mine, theirs)):
            group.addButton(b, n)
            row.addWidget(b)
        group.idClicked.connect(partial(self._chosen, name))
        self._groups.append(group)
        return box

    def _chosen(self, name: str, button_id: int) -> None:
        self.choices[name] = "local" if button_id == 0 else "remote"
        self._update_apply()

    def _update_apply(self) -> None:
        c = self.current
        ready = c is not None and all(f in self.choices for f in c.fields)
        self.apply_button.setEnabled(ready)
        self.apply_button.setToolTip(
            "" if ready else self.tr("Choose mine or theirs for every field first.")
        )

    def choose(self, name: str, side: str) -> None:
        """Tick the choice for one field (as a click would)."""
        button = self.table.findChild(
            QRadioButton, f"{'mine' if side == 'local' else 'theirs'}:{name}"
        )
        if button is None:
            raise KeyError(name)
        button.click()

    @asyncSlot()
    async def on_resolve(self, take: str | None) -> None:
        await self.resolve(take)

    async def resolve(self, take: str | None) -> bool:
        """Resolve the shown conflict: one side entirely (``take``) or the per-field choices."""
        c = self.current
        if c is None:
            return False
        resolve = partial(
            self.session.clinic.sync.resolve,
            c.id,
            take=take,  # type: ignore[arg-type]
            choices=None if take else dict(self.choices),  # type: ignore[arg-type]
        )
        work = self.session.write(resolve)
        buttons = (self.mine_button, self.theirs_button, self.apply_button)
        for b in buttons:
            b.setEnabled(False)
        try:
            result = await run_op(self, self._done(work))
        finally:
            self.mine_button.setEnabled(True)
            self.theirs_button.setEnabled(True)
            self._update_apply()
        return bool(result)

    async def _done(self, work: Any) -> bool:
        await work  # the "records changed" broadcast reloads the list
        self.current = None
        if self.session.engine is not None:
            await self.session.engine.refresh_counts()
        return True
