"""Ask a specialist: a wizard for the question (specialty, urgency), what to include (active
problems, current medicines, allergies, recent vitals and visits ticked by default, attachments
→ the request's supportingInfo: the central platform shows the specialist exactly these
records), up to three proposed one-hour slots
(Appointments, status proposed), then save as a draft or send. A sent request waits in the
outbox (queued offline) until the link is up; the chart shows its status as it moves on."""

from __future__ import annotations

import asyncio
import functools
import html
from datetime import datetime, timedelta
from typing import Any, cast

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from clinic_app.records import allergies as allergy_records
from clinic_app.records import conditions as condition_records
from clinic_app.records.common import Resource
from clinic_app.records.encounter import visit_kind
from clinic_app.records.forms import answers_of
from clinic_app.records.orders import PRIORITIES, SPECIALTIES
from clinic_app.records.vitals import VITALS, flag_of, vital_key
from clinic_app.services.chart_view import MAX_SLOTS, ChartView, ConsultRequest, VitalsSet
from ui.case_text import allergy_text, condition_text, medication_text
from ui.clinical_text import (
    flagged_text,
    patient_name,
    priority_label,
    reading_text,
    specialty_label,
    when_text,
)
from ui.errors import show_error, tr_core
from ui.form_errors import FormErrors
from ui.session import Session
from ui.widgets import FieldError, UnsavedGuard, fit_to_screen

MAX_QUESTION = 4000
LIST_LIMIT = 60  # newest visits / vitals sets offered for inclusion
RECENT_VISITS = 3  # ticked by default (the newest)
RECENT_VITALS = 6  # vitals sets ticked by default: enough for the specialist's trend charts
SUMMARY_TYPES = ("Condition", "MedicationRequest", "MedicationStatement", "AllergyIntolerance")
ITEM_ROLE = Qt.ItemDataRole.UserRole


def next_hours(now: datetime, count: int = MAX_SLOTS) -> list[datetime]:
    """Default proposals: tomorrow 09:00 and 14:00, the day after 09:00 (local time)."""
    day = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    picks = [day.replace(hour=9), day.replace(hour=14), (day + timedelta(days=1)).replace(hour=9)]
    return picks[:count]


class RequestPage(QWizardPage):
    def __init__(self, patient: Resource) -> None:
        super().__init__()
        self.setTitle(self.tr("Question for the specialist"))
        self.setSubTitle(
            self.tr("Consult request for %1. Write what you want to know.").replace(
                "%1", patient_name(patient)
            )
        )
        form = QFormLayout(self)
        self.specialty = QComboBox()
        for code in SPECIALTIES:
            self.specialty.addItem(specialty_label(code), code)
        self.priority = QComboBox()
        for code in PRIORITIES:
            self.priority.addItem(priority_label(code), code)
        self.question = QPlainTextEdit()
        self.question.setTabChangesFocus(True)
        self.question.setPlaceholderText(
            self.tr("e.g. Blood pressure stays around 160/100 on three drugs; please advise.")
        )
        self.errors = FormErrors()
        for key, label, widget in (
            ("specialty", self.tr("Specialty"), self.specialty),
            ("priority", self.tr("Urgency"), self.priority),
            ("reason", self.tr("Question"), self.question),
        ):
            form.addRow(label, self.errors.field(key, widget))
        self.question.textChanged.connect(self.errors["reason"].clear_message)

    def question_text(self) -> str:
        return self.question.toPlainText().strip()

    def validatePage(self) -> bool:
        text = self.question_text()
        if not text:
            self.errors["reason"].show_message(self.tr("Write the question for the specialist."))
            return False
        if len(text) > MAX_QUESTION:
            self.errors["reason"].show_message(
                self.tr("The question is too long (%1 characters at most).").replace(
                    "%1", str(MAX_QUESTION)
                )
            )
            return False
        return True


def _checklist(items: list[tuple[str, list[tuple[str, str]]]], checked: int) -> QListWidget:
    """A list of checkable lines, each carrying the references it stands for."""
    box = QListWidget()
    for n, (text, refs) in enumerate(items):
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if n < checked else Qt.CheckState.Unchecked)
        item.setData(ITEM_ROLE, refs)
        item.setToolTip(text)
        box.addItem(item)
    return box


class SupportPage(QWizardPage):
    """Tick the problems, medicines, allergies, visits, vitals and attachments the specialist
    should see. Active problems, current medicines and allergies, the newest visits and vitals
    are ticked to start with; attachments are not."""

    def __init__(self, view: ChartView) -> None:
        super().__init__()
        self.setTitle(self.tr("What to include"))
        self.setSubTitle(self.tr("The specialist sees the records you tick, and nothing else."))
        layout = QVBoxLayout(self)
        active, _resolved = condition_records.problem_list(view.conditions)
        self.problems = _checklist(
            [(condition_text(c), [("Condition", str(c["id"]))]) for c in active], len(active)
        )
        medicines = view.medications + view.chart.active("MedicationStatement")
        self.medicines = _checklist(
            [(medication_text(m), [(str(m["resourceType"]), str(m["id"]))]) for m in medicines],
            len(medicines),
        )
        nka, allergic = allergy_records.current(view.allergies)
        listed = allergic + ([nka] if nka is not None else [])
        self.allergies = _checklist(
            [(allergy_text(a), [("AllergyIntolerance", str(a["id"]))]) for a in listed],
            len(listed),
        )
        responses = {
            (r.get("encounter") or {}).get("reference", "").removeprefix("Encounter/"): r
            for r in view.chart.of("QuestionnaireResponse")
        }
        visits = []
        for enc in view.visits[:LIST_LIMIT]:
            refs = [("Encounter", str(enc["id"]))]
            response = responses.get(str(enc["id"]))
            summary = ""
            if response is not None:
                refs.append(("QuestionnaireResponse", str(response["id"])))
                answers = answers_of(response)
                summary = str(answers.get("chief_complaint") or answers.get("plan") or "")
            kind = tr_core(str((enc.get("type") or [{}])[0].get("text", visit_kind(enc) or "")))
            when = when_text((enc.get("period") or {}).get("start"), with_time=False)
            visits.append((" — ".join(p for p in (when, kind, summary) if p), refs))
        self.visits = _checklist(visits, RECENT_VISITS)
        vitals = [
            (self.vitals_text(s), [("Observation", str(o["id"])) for o in s.observations])
            for s in view.vitals_sets[:LIST_LIMIT]
        ]
        self.vitals = _checklist(vitals, RECENT_VITALS)
        self.vitals.setWordWrap(True)
        files = []
        for doc in view.attachments:
            title = str(doc.get("description") or "")
            when = when_text(doc.get("date"), with_time=False)
            files.append((f"{when} — {title}", [("DocumentReference", str(doc["id"]))]))
        self.files = _checklist(files, 0)
        self.error = FieldError()
        self.seen = False
        grid = QGridLayout()
        grid.setSpacing(6)
        groups = (
            (self.tr("Active problems"), self.problems, self.tr("No active problems.")),
            (self.tr("Visits (notes and form answers)"), self.visits,
             self.tr("No visits recorded.")),
            (self.tr("Current medicines"), self.medicines, self.tr("No current medicines.")),
            (self.tr("Vitals (the specialist's trend charts show the ticked readings)"),
             self.vitals, self.tr("No vitals recorded.")),
            (self.tr("Allergies"), self.allergies, self.tr("No allergies recorded.")),
            (self.tr("Attachments (photos, ECG, X-ray…)"), self.files, self.tr("No attachments.")),
        )  # fmt: skip
        for n, (title, box, empty) in enumerate(groups):
            group = QGroupBox(title)
            inner = QVBoxLayout(group)
            inner.setContentsMargins(6, 4, 6, 4)
            if box.count():
                inner.addWidget(box)
            else:
                note = QLabel(empty)
                note.setStyleSheet("color: #6b6b6b;")
                inner.addWidget(note)
                box.hide()
            grid.addWidget(group, n // 2, n % 2)
        for row in range(3):
            grid.setRowStretch(row, 1)
        layout.addLayout(grid, 1)
        layout.addWidget(self.error)

    def initializePage(self) -> None:
        self.seen = True

    def vitals_text(self, s: VitalsSet) -> str:
        by_key = {vital_key(o): o for o in s.observations}
        parts = []
        sys_, dia = by_key.get("systolic"), by_key.get("diastolic")
        if sys_ is not None and dia is not None:
            flag = flag_of(sys_) or flag_of(dia)
            bp = self.tr("BP %1/%2").replace("%1", f"{sys_['valueQuantity']['value']:g}")
            bp = bp.replace("%2", f"{dia['valueQuantity']['value']:g}")
            parts.append(flagged_text(bp, flag))
        for key in VITALS:
            obs = by_key.get(key)
            if obs is None or key in ("systolic", "diastolic"):
                continue
            parts.append(reading_text(key, obs))
        return f"{when_text(s.when)} — {', '.join(parts)}"

    def boxes(self) -> tuple[QListWidget, ...]:
        return (self.problems, self.medicines, self.allergies, self.visits, self.vitals,
                self.files)  # fmt: skip

    def supporting(self) -> list[tuple[str, str]]:
        """The ticked records; none if the page was never shown (nothing goes unseen)."""
        out: list[tuple[str, str]] = []
        if not self.seen:
            return out
        for box in self.boxes():
            for n in range(box.count()):
                item = box.item(n)
                if item.checkState() == Qt.CheckState.Checked:
                    out.extend(tuple(r) for r in item.data(ITEM_ROLE))
        return out


class SlotsPage(QWizardPage):
    """Up to three one-hour slots for the video call; the specialist books one of them."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("Propose times for the video call"))
        self.setSubTitle(
            self.tr("Up to three one-hour slots when the patient can be at the clinic.")
        )
        layout = QVBoxLayout(self)
        now = datetime.now().astimezone()
        self.rows: list[tuple[QCheckBox, QDateTimeEdit]] = []
        for n, start in enumerate(next_hours(now)):
            row = QHBoxLayout()
            check = QCheckBox(self.tr("Slot %1").replace("%1", str(n + 1)))
            check.setChecked(n == 0)
            day = QDate(start.year, start.month, start.day)
            edit = QDateTimeEdit(QDateTime(day, QTime(start.hour, 0)))
            edit.setDisplayFormat("ddd yyyy-MM-dd  HH:00")
            edit.setCalendarPopup(True)
            edit.setCurrentSection(QDateTimeEdit.Section.HourSection)
            edit.setEnabled(n == 0)
            check.toggled.connect(edit.setEnabled)
            row.addWidget(check)
            row.addWidget(edit)
            end = QLabel()
            edit.dateTimeChanged.connect(functools.partial(self._show_end, end))
            self._show_end(end, edit.dateTime())
            row.addWidget(end)
            row.addStretch(1)
            layout.addLayout(row)
            self.rows.append((check, edit))
        self.error = FieldError()
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.seen = False

    def initializePage(self) -> None:
        self.seen = True

    def _show_end(self, label: QLabel, start: QDateTime) -> None:
        label.setText(self.tr("to %1").replace("%1", start.addSecs(3600).toString("HH:00")))

    def slots(self) -> list[datetime]:
        """The ticked slots; none if the page was never shown (a draft saved early)."""
        out: list[datetime] = []
        if not self.seen:
            return out
        for check, edit in self.rows:
            if check.isChecked():
                picked = cast(datetime, edit.dateTime().toPython())
                moment = picked.replace(minute=0, second=0, microsecond=0)
                out.append(moment.astimezone())
        return out

    def validatePage(self) -> bool:
        self.error.clear_message()
        slots = self.slots()
        if any(s <= datetime.now().astimezone() for s in slots):
            self.error.show_message(self.tr("A proposed slot must be in the future."))
            return False
        if len(set(slots)) != len(slots):
            self.error.show_message(self.tr("Propose each hour only once."))
            return False
        return True


class ReviewPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("Send or keep as a draft"))
        self.setSubTitle(
            self.tr(
                "Send: the request goes to the specialists as soon as this workstation is "
                "online (until then it is queued offline). Draft: it stays here until you send "
                "it from the chart."
            )
        )
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.summary, 1)
        self.error = FieldError()
        layout.addWidget(self.error)

    def initializePage(self) -> None:
        wizard = self.wizard()
        if isinstance(wizard, ConsultWizard):
            self.summary.setText(wizard.summary_html())


class ConsultWizard(QWizard):
    """``saved`` carries the new ServiceRequest's id once it is stored (sent or draft)."""

    saved = Signal(str)

    def __init__(self, session: Session, view: ChartView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.view = view
        self.result_request: ConsultRequest | None = None
        self._task: asyncio.Future[Any] | None = None
        self.setWindowTitle(
            self.tr("Ask a specialist — %1").replace("%1", patient_name(view.patient))
        )
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        fit_to_screen(self, 820, 640)
        self.request_page = RequestPage(view.patient)
        self.support_page = SupportPage(view)
        self.slots_page = SlotsPage()
        self.review_page = ReviewPage()
        for page in (self.request_page, self.support_page, self.slots_page, self.review_page):
            self.addPage(page)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setButtonText(QWizard.WizardButton.CustomButton1, self.tr("Save as draft"))
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("Send"))
        self.customButtonClicked.connect(self._on_custom)
        # Where the core's ValidationError goes: the request page's fields, the supporting
        # records, the slots (or the request's state), else the review page.
        self.errors = FormErrors(fallback=self.review_page.error)
        for key, label in self.request_page.errors.items():
            self.errors.add(key, label)
        self.errors.add("supporting", self.support_page.error)
        self.errors.add("slots", self.slots_page.error, "start", "status")
        self._untouched = self.entered()
        self.guard = UnsavedGuard(self, self.has_unsaved_input, self.save_draft)

    def entered(self) -> tuple[object, ...]:
        """What the clinician wrote or chose on the request page."""
        r = self.request_page
        return (r.specialty.currentData(), r.priority.currentData(), r.question_text())

    def has_unsaved_input(self) -> bool:
        return self.result_request is None and self.entered() != self._untouched

    def reject(self) -> None:
        """Cancel, Escape or the window's close: asks first when the request is unsaved
        (Save keeps it as a draft)."""
        if self.guard.allows_close():
            super().reject()

    async def save_draft(self) -> bool:
        """Store the request as a draft (closes the wizard); False when it cannot be yet."""
        if not self.request_page.validatePage():
            self._go_to(self.request_page)
            return False
        return await self.save(draft=True) is not None

    def summary_html(self) -> str:
        esc = html.escape
        r = self.request_page
        slots = self.slots_page.slots()
        supporting = self.support_page.supporting()
        counts = {
            t: sum(1 for rt, _ in supporting if rt == t)
            for t in ("Encounter", "Observation", "DocumentReference", *SUMMARY_TYPES)
        }
        medicines = counts["MedicationRequest"] + counts["MedicationStatement"]
        rows = [
            (self.tr("Specialty"), r.specialty.currentText()),
            (self.tr("Urgency"), r.priority.currentText()),
            (self.tr("Question"), r.question_text()),
            (
                self.tr("Included"),
                self.tr("%1 visit(s), %2 vital sign reading(s), %3 attachment(s)")
                .replace("%1", str(counts["Encounter"]))
                .replace("%2", str(counts["Observation"]))
                .replace("%3", str(counts["DocumentReference"])),
            ),
            (
                self.tr("Summary"),
                self.tr("%1 problem(s), %2 medicine(s), %3 allergy record(s)")
                .replace("%1", str(counts["Condition"]))
                .replace("%2", str(medicines))
                .replace("%3", str(counts["AllergyIntolerance"])),
            ),
            (
                self.tr("Proposed slots"),
                ", ".join(s.strftime("%Y-%m-%d %H:00") for s in slots) or self.tr("none"),
            ),
        ]
        return (
            "<table cellpadding=4>"
            + "".join(
                f"<tr><th align=left valign=top>{esc(k)}</th><td>{esc(v)}</td></tr>"
                for k, v in rows
            )
            + "</table>"
        )

    def _on_custom(self, which: int) -> None:
        if which != QWizard.WizardButton.CustomButton1.value:
            return
        page = self.currentPage()
        if page is not None and not page.validatePage():
            return
        if not self.request_page.validatePage():
            self._go_to(self.request_page)
            return
        self._start(self.save(draft=True))

    def accept(self) -> None:
        """Finish = Send; the wizard closes once the request is stored."""
        self._start(self.save(draft=False))

    def _start(self, coro: Any) -> None:
        if self._task is not None and not self._task.done():
            coro.close()
            return
        self._task = asyncio.ensure_future(coro)

    def _go_to(self, page: QWizardPage) -> None:
        target = self.pageIds()[[self.page(i) for i in self.pageIds()].index(page)]
        while self.currentId() > target:
            self.back()

    async def save(self, *, draft: bool) -> ConsultRequest | None:
        r = self.request_page
        work = functools.partial(
            self.session.clinic.consults.ask,
            patient_id=str(self.view.patient["id"]),
            specialty=str(r.specialty.currentData()),
            priority=str(r.priority.currentData()),
            question=r.question_text(),
            requester=self.session.user,
            supporting=self.support_page.supporting(),
            slots=self.slots_page.slots(),
            draft=draft,
        )
        buttons = [
            self.button(b)
            for b in (QWizard.WizardButton.FinishButton, QWizard.WizardButton.CustomButton1)
        ]
        for b in buttons:
            b.setEnabled(False)
        try:
            made = await self.errors.saving(self.session.write(work))
        except Exception as exc:
            show_error(self, exc)
            return None
        finally:
            for b in buttons:
                b.setEnabled(True)
        if made is None:  # refused: the message is under its field
            self._turn_to(self.errors.shown)
            return None
        self.result_request = made
        self.saved.emit(str(made.request["id"]))
        super().accept()
        return made

    def show_field_error(self, field: str, message: str) -> None:
        """Show ``message`` under the field the core named, on its page."""
        self._turn_to(self.errors.show(field, message))

    def _turn_to(self, label: FieldError | None) -> None:
        """Go back to the page holding ``label`` (the review page, the last, stays)."""
        for page in (self.request_page, self.support_page, self.slots_page):
            if label is not None and page.isAncestorOf(label):
                self._go_to(page)
                return
