"""The specialist's desk: the worklist of consult requests (most urgent first, then oldest),
filtered by specialty; the selected case as the clinic sent it, in one view (patient, question,
the problems, medicines and allergies sent, the vitals trends drawn as in the clinic's chart, the
visits with their form answers and vitals, documents readable here, and the conversation); and
the answers: accept or
decline with a reason, book a slot, write the opinion, an e-prescription or a referral.

Every answer is a record written on the store thread; the sync engine carries it to the
clinic's chart."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from functools import partial
from typing import Any, cast

from PySide6.QtCore import QEvent, Qt, QUrl, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDesktopServices,
    QFont,
    QImage,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.records.common import Resource
from clinic_app.records.encounter import VISIT_KINDS, visit_kind
from clinic_app.records.masking import FIELDS, Field
from clinic_app.records.orders import PRIORITIES, SPECIALTIES, specialty_of
from clinic_app.records.patient import age_on, display_name
from clinic_app.records.vitals import flag_of
from clinic_app.services import desk
from ui.attachment_viewer import export_for_viewer
from ui.case_text import allergy_text, condition_text, medication_text
from ui.clinical_text import fact_text, patient_fact_fields
from ui.errors import tr_core
from ui.form_errors import FormErrors
from ui.ops import run_op
from ui.prescribe_dialog import PrescribeDialog
from ui.reloader import Reloader
from ui.schedule_screen import BookDialog, next_free_hour
from ui.session import Session
from ui.text_size import LARGE, relative_font
from ui.vitals_trends import TrendPlots
from ui.widgets import fit_to_screen, shortcut

URGENCY_COLORS = {"stat": "#b3261e", "asap": "#c75000", "urgent": "#9a6700", "routine": "#555555"}
STATE_COLORS = {
    "new": "#1a56b0",
    "accepted": "#1e7b34",
    "scheduled": "#1e7b34",
    "declined": "#888888",
    "answered": "#555",
    "cancelled": "#888888",
}
DOC_ROLE = Qt.ItemDataRole.UserRole + 1
DOCUMENT_VIEW_MAX = 32 * 1024 * 1024  # bigger files: the system viewer
DESK_TYPES = {
    "ServiceRequest",
    "Task",
    "DiagnosticReport",
    "Appointment",
    "MedicationRequest",
    "Patient",
    "Encounter",
    "Observation",
    "QuestionnaireResponse",
    "DocumentReference",
    "Condition",
    "AllergyIntolerance",
    "MedicationStatement",
    "Communication",
}


def list_time(text: str | None) -> str:
    """A worklist date: ``MM-dd HH:mm`` this year, else ``yyyy-MM-dd``."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text).astimezone()
    except ValueError:
        return text
    if moment.year == date.today().year:
        return moment.strftime("%m-%d %H:%M")
    return moment.date().isoformat()


def short_time(text: str | None) -> str:
    """``2025-03-02T14:05:00+08:00`` as local ``2025-03-02 14:05``."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if len(text) <= 10:
        return moment.date().isoformat()
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class ActionDialog(QDialog):
    """A small form whose ``work`` writes a record; a ValidationError appears at its field."""

    def __init__(self, parent: QWidget | None, title: str, action: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self.form = QFormLayout()
        self.errors = FormErrors()  # a field the form lacks: under the first one
        self.widgets: dict[str, QWidget] = {}
        self.work: Callable[[], Awaitable[object]] | None = None
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(action)
        self.buttons.accepted.connect(self.on_save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def field(self, key: str, label: str, widget: QWidget) -> QWidget:
        self.widgets[key] = widget
        self.form.addRow(label, self.errors.field(key, widget))
        return widget

    @asyncSlot()
    async def on_save(self) -> None:
        await self.submit()

    async def submit(self) -> bool:
        """Run the work; True when saved (the dialog closes)."""
        return bool(await run_op(self, self._run(), disable=self.save_button))

    async def _run(self) -> bool:
        self.errors.clear()
        if not await self.errors.saving(self._work()):
            return False
        self.accept()
        return True

    async def _work(self) -> bool:
        assert self.work is not None
        await self.work()
        return True


class DocumentDialog(QDialog):
    """An attached image or text shown from memory (decrypted, never written in clear)."""

    def __init__(self, session: Session, doc: Resource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.doc = doc
        self.setWindowTitle(str(doc.get("description") or self.tr("Document")))
        fit_to_screen(self, 820, 640)
        layout = QVBoxLayout(self)
        self.message = QLabel(self.tr("Opening…"))
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.hide()
        layout.addWidget(self.area, 1)
        self.open_outside = QPushButton(self.tr("Open in the system viewer"))
        self.open_outside.setToolTip(
            self.tr("A decrypted copy is written to a temporary folder for the viewer.")
        )
        self.open_outside.clicked.connect(self.on_open_outside)
        self.open_outside.hide()
        layout.addWidget(self.open_outside)
        self.fit = QCheckBox(self.tr("Fit to the window"))
        self.fit.setChecked(True)
        self.fit.toggled.connect(lambda _on: self._show_image())
        self.fit.hide()
        layout.addWidget(self.fit)
        self.pixmap: QPixmap | None = None
        self.image_label: QLabel | None = None
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

    def mime(self) -> str:
        for content in self.doc.get("content", []):
            return str((content.get("attachment") or {}).get("contentType", ""))
        return ""

    async def load(self) -> None:
        mime = self.mime()
        if not (mime.startswith("image/") or mime == "text/plain"):
            self.message.setText(self.tr("This kind of file cannot be shown here."))
            self.open_outside.show()
            return
        data = await run_op(
            self,
            self.session.call(self.session.clinic.documents.content, self.doc, DOCUMENT_VIEW_MAX),
        )
        if data is None:
            self.message.setText(self.tr("The file could not be opened."))
            self.open_outside.show()  # the error said to use the system viewer
            return
        if mime == "text/plain":
            view = QPlainTextEdit(data.decode("utf-8", errors="replace"))
            view.setReadOnly(True)
            self.area.setWidget(view)
        else:
            with ThreadPoolExecutor(1, thread_name_prefix="image-decode") as pool:
                loop = asyncio.get_running_loop()
                image = await loop.run_in_executor(pool, QImage.fromData, data)
            if image.isNull():
                self.message.setText(self.tr("The image could not be read."))
                return
            self.pixmap = QPixmap.fromImage(image)
            self.image_label = QLabel()
            self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.area.setWidget(self.image_label)
            self.fit.show()
            self._show_image()
        self.message.setText(str(self.doc.get("description") or ""))
        self.area.show()

    def _show_image(self) -> None:
        if self.pixmap is None or self.image_label is None:
            return
        room = self.area.viewport().size()
        big = self.pixmap.width() > room.width() or self.pixmap.height() > room.height()
        if self.fit.isChecked() and big:
            self.image_label.setPixmap(
                self.pixmap.scaled(
                    room,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.image_label.setPixmap(self.pixmap)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_image()

    @asyncSlot()
    async def on_open_outside(self) -> None:
        # The chart's one way out to the system viewer: an owner-only file with a random name
        # in a private folder, removed when the workstation locks or the program ends.
        done = await run_op(
            self,
            self.session.call(export_for_viewer, self.session.clinic, self.doc),
            disable=self.open_outside,
        )
        if done is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(done)))


class CaseView(QWidget):
    """The selected consult as the clinic sent it, and what has been answered."""

    open_document = Signal(object)  # DocumentReference resource
    reveal_requested = Signal(str, str)  # patient id, masked field ("resident_id", "phone")

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        self.header = QLabel()
        relative_font(self.header, LARGE, weight=QFont.Weight.DemiBold)
        self.header.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.header.linkActivated.connect(self._on_link)
        self._shown: dict[Field, str] = {}  # full values revealed (audited) for this patient
        self._shown_for = ""
        self.meta = QLabel()
        self.meta.setWordWrap(True)
        self.question_title = QLabel()
        self.question_title.setStyleSheet("font-weight: 600; margin-top: 6px;")
        self.question = QLabel()
        self.question.setWordWrap(True)
        self.question.setFrameShape(QFrame.Shape.StyledPanel)
        self.question.setStyleSheet("background: #fbfbf4; padding: 8px;")
        self.question.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sent_title = QLabel()
        self.sent_title.setStyleSheet("font-weight: 600; margin-top: 6px;")
        self.sent = QTreeWidget()
        self.sent.setHeaderHidden(True)
        self.sent.setWordWrap(True)
        self.sent.itemActivated.connect(self._activated)
        self.sent.itemDoubleClicked.connect(self._activated)
        self.answers_title = QLabel()
        self.answers_title.setStyleSheet("font-weight: 600; margin-top: 6px;")
        self.answers = QLabel()  # the conversation: request, decision, slots, answers, messages
        self.answers.setWordWrap(True)
        self.answers.setTextFormat(Qt.TextFormat.PlainText)
        self.answers.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answers.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # the summary sent: problems, medicines, allergies (as the clinic's chart shows them)
        self.summary = QWidget()
        summary_row = QHBoxLayout(self.summary)
        summary_row.setContentsMargins(0, 0, 0, 0)
        self.summary_titles: list[QLabel] = []
        self.problems = self._summary_box(summary_row)
        self.medicines = self._summary_box(summary_row)
        self.allergies = self._summary_box(summary_row)
        self.trends_title = QLabel()
        self.trends_title.setStyleSheet("font-weight: 600;")
        self.trends = TrendPlots()
        for w in (self.header, self.meta, self.question_title, self.question):
            layout.addWidget(w)
        layout.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.sent_title)
        left_layout.addWidget(self.sent, 3)
        left_layout.addWidget(self.answers_title)
        talk = QScrollArea()
        talk.setWidgetResizable(True)
        talk.setFrameShape(QFrame.Shape.NoFrame)
        talk.setWidget(self.answers)
        left_layout.addWidget(talk, 2)
        self.conversation = talk
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.trends_title)
        right_layout.addWidget(self.trends, 1)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([420, 360])
        self.split = split
        layout.addWidget(split, 1)
        self.case: desk.Case | None = None
        self.show_case(None)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.show_case(self.case)
        super().changeEvent(event)

    def _summary_box(self, row: QHBoxLayout) -> QLabel:
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(6, 2, 6, 4)
        title = QLabel()
        title.setStyleSheet("font-weight: 600;")
        self.summary_titles.append(title)
        label = QLabel()
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        inner.addWidget(title)
        inner.addWidget(label, 1)
        row.addWidget(box, 1)
        return label

    def show_summary(self, case: desk.Case) -> None:
        """Problems, medicines and allergies sent; "not sent" when the clinic ticked none."""
        not_sent = self.tr("None sent")
        for title, text in zip(
            self.summary_titles,
            (self.tr("Problems"), self.tr("Medicines"), self.tr("Allergies")),
            strict=True,
        ):
            title.setText(text)
        self.problems.setText("\n".join(condition_text(c) for c in case.problems) or not_sent)
        self.medicines.setText("\n".join(medication_text(m) for m in case.medications) or not_sent)
        self.allergies.setText("\n".join(allergy_text(a) for a in case.allergies) or not_sent)
        self.allergies.setStyleSheet("color: #b3261e;" if case.allergies else "")
        self.trends_title.setText(self.tr("Vitals trends (the readings sent)"))
        if case.trends:
            self.trends.show_trends(case.trends)
        else:
            self.trends.clear()

    def _on_link(self, link: str) -> None:
        field = link.removeprefix("reveal:")
        if field in FIELDS and self.case is not None and self.case.patient is not None:
            self.reveal_requested.emit(str(self.case.patient["id"]), field)

    def show_revealed(self, patient_id: str, field: Field, value: str) -> None:
        """Show a field in full that the core revealed (and audited) for ``patient_id``."""
        if self.case is None or self.case.patient is None or self._shown_for != patient_id:
            return
        self._shown[field] = value
        self.show_case(self.case)

    # ---- describing records ------------------------------------------------------------
    def urgency(self, code: str) -> str:
        return {
            "stat": self.tr("Immediately (stat)"),
            "asap": self.tr("As soon as possible"),
            "urgent": self.tr("Urgent"),
            "routine": self.tr("Routine"),
        }.get(code, code)

    def flag_word(self, flag: str) -> str:
        return {
            "H": self.tr("high"),
            "L": self.tr("low"),
            "HH": self.tr("critically high"),
            "LL": self.tr("critically low"),
        }.get(flag, flag)

    def answer_text(self, answer: dict[str, Any]) -> str:
        if "valueCoding" in answer:
            return tr_core(str(answer["valueCoding"].get("display", "")))
        if "valueBoolean" in answer:
            return self.tr("Yes") if answer["valueBoolean"] else self.tr("No")
        for key, value in answer.items():
            if key.startswith("value"):
                return str(value)
        return ""

    def describe(self, res: Resource) -> str:
        rtype = res.get("resourceType")
        if rtype == "Encounter":
            kind = VISIT_KINDS.get(visit_kind(res) or "", self.tr("Visit"))
            reason = "; ".join(str(r.get("text", "")) for r in res.get("reasonCode") or [])
            when = short_time((res.get("period") or {}).get("start"))
            text = self.tr("%1 on %2").replace("%1", tr_core(kind)).replace("%2", when)
            return self.tr("%1 — %2").replace("%1", text).replace("%2", reason) if reason else text
        if rtype == "QuestionnaireResponse":
            return self.tr("Form answers")
        if rtype == "Observation":
            name = tr_core(str((res.get("code") or {}).get("text", "")))
            q = res.get("valueQuantity") or {}
            value = f"{q.get('value', '')} {q.get('unit', '')}".strip()
            flag = flag_of(res)
            text = self.tr("%1: %2").replace("%1", name).replace("%2", value)
            if flag:
                text = self.tr("%1 (%2)").replace("%1", text).replace("%2", self.flag_word(flag))
            return text
        if rtype == "DocumentReference":
            att = (res.get("content") or [{}])[0].get("attachment") or {}
            size = int(att.get("size") or 0)
            return (
                self.tr("%1 (%2, %3 KB) — double-click to read")
                .replace("%1", str(res.get("description") or att.get("title") or ""))
                .replace("%2", str(att.get("contentType", "")))
                .replace("%3", str(max(1, size // 1024)))
            )
        if rtype == "Condition":
            return self.tr("Condition: %1").replace("%1", str(res.get("code", {}).get("text", "")))
        if rtype == "AllergyIntolerance":
            text = str((res.get("code") or {}).get("text", ""))
            return self.tr("Allergy: %1").replace("%1", text)
        if rtype == "MedicationRequest":
            med = str((res.get("medicationCodeableConcept") or {}).get("text", ""))
            return self.tr("Medication: %1").replace("%1", med)
        return str(rtype)

    def _item(self, text: str, parent: QTreeWidget | QTreeWidgetItem) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [text])
        item.setToolTip(0, text)
        return item

    def _add_record(self, res: Resource, parent: QTreeWidget | QTreeWidgetItem) -> None:
        item = self._item(self.describe(res), parent)
        if res.get("resourceType") == "QuestionnaireResponse":
            for q in res.get("item", []):
                answer = ", ".join(self.answer_text(a) for a in q.get("answer", []))
                self._item(
                    self.tr("%1: %2")
                    .replace("%1", tr_core(str(q.get("text", ""))))
                    .replace("%2", answer),
                    item,
                )
            item.setExpanded(True)
        if res.get("resourceType") == "Observation" and flag_of(res):
            item.setForeground(0, QBrush(QColor("#b3261e")))
        if res.get("resourceType") == "DocumentReference":
            item.setData(0, DOC_ROLE, res)
            item.setForeground(0, QBrush(QColor("#1a56b0")))

    # ---- showing -----------------------------------------------------------------------
    def show_case(self, case: desk.Case | None) -> None:
        self.case = case
        self.question_title.setText(self.tr("Question"))
        self.sent_title.setText(self.tr("Sent with the request"))
        self.answers_title.setText(self.tr("Conversation"))
        self.sent.clear()
        sections = (
            self.meta,
            self.question_title,
            self.question,
            self.summary,
            self.split,
        )
        for w in sections:
            w.setVisible(case is not None)
        if case is None:
            self.header.setText(self.tr("Choose a consult request from the worklist."))
            for w in (self.meta, self.question, self.answers):
                w.setText("")
            return
        p, c = case.patient, case.consult
        if p is None:
            self.header.setText(self.tr("Patient not on this workstation yet"))
        else:
            if str(p.get("id", "")) != self._shown_for:
                self._shown, self._shown_for = {}, str(p.get("id", ""))
            parts = [display_name(p)]
            parts += [
                {"male": self.tr("male"), "female": self.tr("female")}.get(p.get("gender", ""), "")
            ]
            age = age_on(p, date.today())
            if age is not None:
                parts.append(self.tr("%n year(s)", "", age))
            shown = [html.escape(x) for x in parts if x]
            # The ID number and phone masked; a click shows one in full (audited by the core).
            for label, value, field in patient_fact_fields(p, shown=self._shown)[3:]:
                if value:
                    text = html.escape(fact_text(label, value))
                    shown.append(f"<a href='reveal:{field}'>{text}</a>" if field else text)
            self.header.setText("&nbsp;&nbsp;&nbsp;".join(shown))
            self.header.setToolTip(self.tr("Click a masked number to show it in full (recorded)"))
        spec = specialty_of(c) or ""
        self.meta.setText(
            self.tr("%1 · %2 · sent %3 by %4")
            .replace("%1", tr_core(SPECIALTIES.get(spec, spec)))
            .replace("%2", self.urgency(str(c.get("priority", ""))))
            .replace("%3", short_time(c.get("authoredOn")))
            .replace("%4", str((c.get("requester") or {}).get("display", "")))
        )
        self.question.setText(desk.question_of(c))
        self.show_summary(case)
        if not case.supporting:
            self._item(self.tr("Nothing was attached to this request."), self.sent)
        for s in case.supporting:
            if s.resource is None:
                self._item(
                    self.tr(
                        "%1 — not on this workstation yet (arrives with the next sync)"
                    ).replace("%1", s.rtype),
                    self.sent,
                )
                continue
            self._add_record(s.resource, self.sent)
            top = self.sent.topLevelItem(self.sent.topLevelItemCount() - 1)
            assert top is not None
            for child in s.children:
                self._add_record(child, top)
            top.setExpanded(True)
        self.answers.setText("\n".join(self.answer_lines(case)))

    def answer_lines(self, case: desk.Case) -> list[str]:
        """The conversation, in order: the clinic's request, the decision, the slots, the
        answers, then the messages."""
        c = case.consult
        lines = [
            self.tr("%1, %2: %3")
            .replace("%1", short_time(c.get("authoredOn")))
            .replace("%2", str((c.get("requester") or {}).get("display", "")))
            .replace("%3", desk.question_of(c))
        ]
        d = case.decision
        if d is None:
            lines.append(self.tr("Not accepted or declined yet."))
        else:
            text = (
                self.tr("Accepted by %1 on %2")
                if d.get("status") != "rejected"
                else self.tr("Declined by %1 on %2")
            )
            text = text.replace("%1", str((d.get("owner") or {}).get("display", "")))
            text = text.replace("%2", short_time(d.get("lastModified")))
            reason = (d.get("statusReason") or {}).get("text")
            if reason:
                text = self.tr("%1: %2").replace("%1", text).replace("%2", str(reason))
            lines.append(text)
        for a in case.appointments:
            text = (
                self.tr("Slot booked: %1")
                if a.get("status") in desk.BOOKED
                else self.tr("Slot proposed by the clinic: %1")
            )
            lines.append(text.replace("%1", short_time(a.get("start"))))
        for o in case.opinions:
            lines.append(
                self.tr("Opinion (%1): %2")
                .replace("%1", short_time(o.get("issued")))
                .replace("%2", str(o.get("conclusion", "")))
            )
        for m in case.prescriptions:
            med = str((m.get("medicationCodeableConcept") or {}).get("text", ""))
            dose = "; ".join(str(x.get("text", "")) for x in m.get("dosageInstruction") or [])
            lines.append(self.tr("Prescription: %1 — %2").replace("%1", med).replace("%2", dose))
        for r in case.referrals:
            spec = specialty_of(r) or ""
            lines.append(
                self.tr("Referral to %1").replace("%1", tr_core(SPECIALTIES.get(spec, spec)))
            )
        for msg in case.messages:
            text = " ".join(str(p.get("contentString", "")) for p in msg.get("payload") or [])
            who = str((msg.get("sender") or {}).get("display", ""))
            lines.append(
                self.tr("%1, %2: %3")
                .replace("%1", short_time(msg.get("sent")))
                .replace("%2", who)
                .replace("%3", text)
            )
        return lines

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        doc = item.data(0, DOC_ROLE)
        if doc:
            self.open_document.emit(doc)


class DeskScreen(QWidget):
    open_chart = Signal(str)  # patient id
    join_call = Signal(str, str, str)  # consult id, patient id, title
    reloader: Reloader

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.items: list[desk.WorkItem] = []
        self.case: desk.Case | None = None
        self._case_seq = 0
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.specialty_label = QLabel()
        self.specialty = QComboBox()
        self.specialty.addItem("", None)
        for code in SPECIALTIES:
            self.specialty.addItem("", code)
        self.specialty.currentIndexChanged.connect(lambda _n: self.reloader.request())
        self.show_closed = QCheckBox()
        self.show_closed.toggled.connect(lambda _on: self.reloader.request())
        self.count = QLabel()
        bar.addWidget(self.specialty_label)
        bar.addWidget(self.specialty)
        bar.addWidget(self.show_closed)
        bar.addStretch(1)
        bar.addWidget(self.count)
        layout.addLayout(bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableWidget(0, 6)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.itemSelectionChanged.connect(self.on_select)
        split.addWidget(self.table)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.view = CaseView()
        self.view.open_document.connect(self.show_document)
        self.view.reveal_requested.connect(self.reveal)
        right_layout.addWidget(self.view, 1)
        buttons = QGridLayout()
        self.accept_button = QPushButton()
        self.decline_button = QPushButton()
        self.book_button = QPushButton()
        self.opinion_button = QPushButton()
        self.prescribe_button = QPushButton()
        self.refer_button = QPushButton()
        self.chart_button = QPushButton()
        self.call_button = QPushButton()
        actions = [
            (self.accept_button, lambda: self.decision_dialog(True).open(), "Ctrl+Shift+A"),
            (self.decline_button, lambda: self.decision_dialog(False).open(), "Ctrl+Shift+D"),
            (self.book_button, lambda: self.book_dialog().open(), "Ctrl+B"),
            (self.opinion_button, lambda: self.opinion_dialog().open(), "Ctrl+Shift+O"),
            (self.prescribe_button, lambda: self.prescription_dialog().open(), "Ctrl+Shift+P"),
            (self.refer_button, lambda: self.referral_dialog().open(), "Ctrl+Shift+R"),
        ]
        for n, (button, handler, keys) in enumerate(actions):
            button.clicked.connect(handler)
            buttons.addWidget(button, n // 3, n % 3)
            shortcut(keys, self, partial(self._if_enabled, button))
        self.chart_button.clicked.connect(self._open_chart)
        buttons.addWidget(self.chart_button, 2, 0)
        self.call_button.clicked.connect(self._join_call)
        buttons.addWidget(self.call_button, 2, 1)
        self.print_button = QPushButton()
        self.print_button.clicked.connect(self._print_letter)
        buttons.addWidget(self.print_button, 2, 2)
        shortcut("Ctrl+J", self, partial(self._if_enabled, self.call_button))
        self.shortcuts = [keys for _b, _h, keys in actions]
        right_layout.addLayout(buttons)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([500, 600])
        layout.addWidget(split, 1)
        self.reloader = Reloader(self, session, DESK_TYPES, self.load)
        self.retranslate()
        self._update_buttons()

    # ---- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.specialty_label.setText(self.tr("Specialty"))
        self.specialty.setItemText(0, self.tr("All specialties"))
        for n, display in enumerate(SPECIALTIES.values(), start=1):
            self.specialty.setItemText(n, tr_core(display))
        self.show_closed.setText(self.tr("Show answered and declined"))
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Urgency"),
                self.tr("Received"),
                self.tr("Patient"),
                self.tr("State"),
                self.tr("Slot"),
                self.tr("Question"),
            ]
        )
        texts = [
            (self.accept_button, self.tr("Accept…"), self.tr("Accept the consult (Ctrl+Shift+A)")),
            (
                self.decline_button,
                self.tr("Decline…"),
                self.tr("Decline the consult with a reason (Ctrl+Shift+D)"),
            ),
            (
                self.book_button,
                self.tr("Book a slot…"),
                self.tr("Book a one-hour slot for the live consult (Ctrl+B)"),
            ),
            (
                self.opinion_button,
                self.tr("Write opinion…"),
                self.tr("Write the specialist's opinion (Ctrl+Shift+O)"),
            ),
            (
                self.prescribe_button,
                self.tr("E-prescription…"),
                self.tr("Prescribe for the patient (Ctrl+Shift+P)"),
            ),
            (
                self.refer_button,
                self.tr("Refer…"),
                self.tr("Refer the patient to a hospital department (Ctrl+Shift+R)"),
            ),
            (self.chart_button, self.tr("Open chart"), self.tr("Open the patient's chart")),
            (
                self.print_button,
                self.tr("Print…"),
                self.tr("Print the opinion, prescription or referral of this consult"),
            ),
            (
                self.call_button,
                self.tr("Video call"),
                self.tr("Start or join the live call of this consult (Ctrl+J)"),
            ),
        ]
        for button, text, tip in texts:
            button.setText(text)
            button.setToolTip(tip)
        self.render_list()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def state_label(self, state: str) -> str:
        return {
            "new": self.tr("New"),
            "accepted": self.tr("Accepted"),
            "scheduled": self.tr("Scheduled"),
            "declined": self.tr("Declined"),
            "answered": self.tr("Answered"),
            "cancelled": self.tr("Withdrawn"),
        }.get(state, state)

    def urgency_label(self, code: str) -> str:
        return {
            "stat": self.tr("STAT"),
            "asap": self.tr("ASAP"),
            "urgent": self.tr("Urgent"),
            "routine": self.tr("Routine"),
        }.get(code, code)

    # ---- worklist ----------------------------------------------------------------------
    async def load(self) -> None:
        specialty = self.specialty.currentData()
        everything = await self.session.call(
            partial(self.session.clinic.consults.worklist, specialty=specialty,
                    include_closed=True)
        )  # fmt: skip
        keep = self.case.consult["id"] if self.case else None
        show_closed = self.show_closed.isChecked()
        # The case being worked on stays in the list after it is answered or declined.
        self.items = [
            i for i in everything if show_closed or i.consult_id == keep or not desk.is_closed(i)
        ]
        self.render_list(select=keep)
        if keep and any(i.consult_id == keep for i in self.items):
            await self.load_case(keep, audit=False)

    def render_list(self, select: str | None = None) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.items))
        for r, it in enumerate(self.items):
            cells = [
                self.urgency_label(it.priority),
                list_time(it.authored),
                it.patient_name,
                self.state_label(it.state),
                list_time(it.appointment),
                it.question.replace("\n", " ")[:120],
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(it.question if c == 5 else text)
                if c == 0:
                    item.setForeground(QBrush(QColor(URGENCY_COLORS.get(it.priority, "#000"))))
                    font = item.font()
                    font.setBold(it.priority in ("stat", "asap"))
                    item.setFont(font)
                if c == 3:
                    item.setForeground(QBrush(QColor(STATE_COLORS.get(it.state, "#000"))))
                self.table.setItem(r, c, item)
            if it.consult_id == select:
                self.table.selectRow(r)
        self.table.blockSignals(False)
        self.count.setText(self.tr("%n request(s)", "", len(self.items)))
        if select and not any(i.consult_id == select for i in self.items):
            self.case = None
            self.view.show_case(None)
        self._update_buttons()

    def select_consult(self, consult_id: str) -> bool:
        for r, it in enumerate(self.items):
            if it.consult_id == consult_id:
                self.table.selectRow(r)
                return True
        return False

    @asyncSlot()
    async def on_select(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.items):
            return
        await self.load_case(self.items[rows[0].row()].consult_id)

    async def load_case(self, consult_id: str, *, audit: bool = True) -> None:
        self._case_seq += 1
        seq = self._case_seq
        read = partial(self.session.clinic.consults.case, consult_id, audit=audit)
        case = await run_op(self, self.session.call(read))
        if seq != self._case_seq or case is None:
            return
        self.case = case
        self.view.show_case(case)
        self._update_buttons()

    def _update_buttons(self) -> None:
        case = self.case
        has = case is not None and case.patient is not None
        decided = case.decision.get("status") if case and case.decision else None
        self.accept_button.setEnabled(has and decided != "accepted")
        self.decline_button.setEnabled(has and decided != "rejected")
        for b in (
            self.book_button,
            self.opinion_button,
            self.prescribe_button,
            self.refer_button,
            self.chart_button,
        ):
            b.setEnabled(has)
        self.call_button.setEnabled(has and decided != "rejected")

    def _if_enabled(self, button: QPushButton) -> None:
        if button.isEnabled():
            button.click()

    def _join_call(self) -> None:
        if self.case and self.case.patient:
            consult_id, pid, name = self._ids()
            self.join_call.emit(consult_id, pid, name)

    def _open_chart(self) -> None:
        if self.case and self.case.patient:
            self.open_chart.emit(str(self.case.patient["id"]))

    def _print_letter(self) -> None:
        """The print dialog with this consult's answers (opinion, prescriptions, referrals)."""
        case = self.case
        if case is None or case.patient is None:
            return
        from ui.print_letters import open_print_dialog

        answers = {"opinion": case.opinions, "prescription": case.prescriptions,
                   "referral": case.referrals}  # fmt: skip
        ids = {str(r["id"]) for found in answers.values() for r in found}
        kind = next((k for k, found in answers.items() if found), None)
        self.print_dialog = open_print_dialog(self.session, str(case.patient["id"]), self,
                                              only=ids, kind=kind)  # fmt: skip

    # ---- answers -----------------------------------------------------------------------
    def _ids(self) -> tuple[str, str, str]:
        assert self.case is not None and self.case.patient is not None
        return (
            str(self.case.consult["id"]),
            str(self.case.patient["id"]),
            display_name(self.case.patient),
        )

    def decision_dialog(self, accept: bool) -> ActionDialog:
        consult_id, _pid, name = self._ids()
        dialog = ActionDialog(
            self,
            (
                self.tr("Accept the consult for %1")
                if accept
                else self.tr("Decline the consult for %1")
            ).replace("%1", name),
            self.tr("Accept") if accept else self.tr("Decline"),
        )
        reason = QPlainTextEdit()
        reason.setPlaceholderText(
            self.tr("Optional: a note for the clinic")
            if accept
            else self.tr("Why? The clinic reads this in the chart.")
        )
        reason.setMaximumHeight(120)
        dialog.field("reason", self.tr("Reason"), reason)
        dialog.work = lambda: self.session.write(
            partial(
                self.session.clinic.consults.decide,
                consult_id=consult_id,
                accept=accept,
                reason=reason.toPlainText(),
                owner=self.session.user,
            ),
        )
        return dialog

    def book_dialog(self) -> BookDialog:
        consult_id, pid, name = self._ids()
        now = datetime.now().astimezone()
        proposed = sorted(
            start
            for a in (self.case.appointments if self.case else [])
            if a.get("status") == "proposed"
            and (start := datetime.fromisoformat(str(a["start"])).astimezone()) > now
        )
        dialog = BookDialog(
            self.session,
            self,
            start=proposed[0] if proposed else next_free_hour(None),  # the clinic's first wish
            patient=(pid, name),
            based_on=consult_id,
            description=self.tr("Video consult"),
        )
        dialog.booked.connect(lambda _id: self.reloader.request())
        return dialog

    def opinion_dialog(self) -> ActionDialog:
        consult_id, _pid, name = self._ids()
        dialog = ActionDialog(
            self, self.tr("Opinion for %1").replace("%1", name), self.tr("Send opinion")
        )
        text = QPlainTextEdit()
        text.setPlaceholderText(self.tr("Assessment and advice for the clinic"))
        text.setMinimumHeight(220)
        dialog.field("conclusion", self.tr("Opinion"), text)
        dialog.work = lambda: self.session.write(
            partial(
                self.session.clinic.consults.write_opinion,
                consult_id=consult_id,
                conclusion=text.toPlainText(),
                author=self.session.user,
            ),
        )
        return dialog

    def prescription_dialog(self) -> PrescribeDialog:
        """The prescribe dialog with its checks against the patient's list as synced here."""
        consult_id, pid, name = self._ids()
        dialog = PrescribeDialog(self.session, pid, name, self, based_on=consult_id)
        dialog.prescribed.connect(lambda _id: self.reloader.request())
        return dialog

    def free_text_prescription_dialog(self) -> ActionDialog:
        consult_id, pid, name = self._ids()
        dialog = ActionDialog(
            self, self.tr("E-prescription for %1").replace("%1", name), self.tr("Prescribe")
        )
        medication = QLineEdit()
        medication.setPlaceholderText(self.tr("e.g. 氨氯地平片 5mg"))
        dosage = QLineEdit()
        dosage.setPlaceholderText(self.tr("e.g. once a day, one tablet"))
        days = QSpinBox()
        days.setRange(0, 365)
        days.setSpecialValueText(self.tr("not set"))
        days.setSuffix(self.tr(" days"))
        days.setValue(30)
        dialog.field("medication", self.tr("Medication"), medication)
        dialog.field("dosage", self.tr("Dosage"), dosage)
        dialog.field("days", self.tr("Duration"), days)
        dialog.work = lambda: self.session.write(
            partial(
                self.session.clinic.orders.prescribe,
                patient_id=pid,
                medication=medication.text(),
                dosage=dosage.text(),
                requester=self.session.user,
                days=days.value() or None,
                based_on=consult_id,
            ),
        )
        return dialog

    def referral_dialog(self) -> ActionDialog:
        consult_id, pid, name = self._ids()
        dialog = ActionDialog(
            self, self.tr("Referral for %1").replace("%1", name), self.tr("Refer")
        )
        specialty = QComboBox()
        for code, display in SPECIALTIES.items():
            specialty.addItem(tr_core(display), code)
        current = specialty_of(self.case.consult) if self.case else None
        specialty.setCurrentIndex(max(0, specialty.findData(current)))
        priority = QComboBox()
        for code in PRIORITIES:
            priority.addItem(self.urgency_label(code), code)
        reason = QPlainTextEdit()
        reason.setPlaceholderText(self.tr("Why the patient should be seen at the hospital"))
        reason.setMaximumHeight(140)
        dialog.field("specialty", self.tr("Department"), specialty)
        dialog.field("priority", self.tr("Urgency"), priority)
        dialog.field("reason", self.tr("Reason"), reason)
        dialog.work = lambda: self.session.write(
            partial(
                self.session.clinic.orders.refer,
                patient_id=pid,
                specialty=str(specialty.currentData()),
                priority=str(priority.currentData()),
                reason=reason.toPlainText(),
                requester=self.session.user,
                based_on=consult_id,
            ),
        )
        return dialog

    @asyncSlot(str, str)
    async def reveal(self, patient_id: str, field: str) -> None:
        """Show a masked ID number or phone in full; the core records the access in the audit
        log."""
        if field not in FIELDS:
            return
        value = await run_op(
            self, self.session.write(self.session.clinic.patients.reveal, patient_id, field)
        )
        if value is not None:
            self.view.show_revealed(patient_id, cast(Field, field), str(value))

    @asyncSlot(object)
    async def show_document(self, doc: Resource) -> None:
        dialog = DocumentDialog(self.session, doc, self)
        dialog.open()
        await dialog.load()
