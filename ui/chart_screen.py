"""A patient's chart: header, summary (allergies, active conditions, current medications), the
timeline (``ui.chart_timeline``), vitals trends (``ui.vitals_trends``), and attachments (listed
here; pictures in ``ui.attachment_viewer``'s image viewer, other files in the system viewer;
added by file dialog or by dropping files anywhere on the chart). Loaded on the store thread
through ``clinic.patients.chart_view``; refreshed when records it shows change while it is on
screen.

The load pauses the cyclic garbage collector (``clinic_app.gc_pause``, which says why: a full
collection triggered by the parse on the store thread held the GIL, and the GUI thread with it,
past the 100 ms bound, also with the start-up heap frozen)."""

from __future__ import annotations

import asyncio
import functools
import html
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QImage,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.changes import Changes
from clinic_app.gc_pause import gc_paused
from clinic_app.records import allergies as allergy_records
from clinic_app.records.common import Resource
from clinic_app.records.masking import FIELDS, Field
from clinic_app.services.chart_view import ChartView
from clinic_app.services.patients import CHART_TYPES
from ui.attachment_viewer import (
    ImageViewer,
    attachment_kind,
    export_for_viewer,
    forget_opened_files,
    mime_of,
)
from ui.bridge import Event
from ui.chart_medications import ChartMedications
from ui.chart_problems import ProblemsPanel
from ui.chart_timeline import ChartTimeline
from ui.clinical_text import (
    FLAG_COLOUR,
    fact_text,
    patient_fact_fields,
    patient_name,
    when_text,
)
from ui.consult_status import JOINABLE
from ui.ops import run_op
from ui.session import Session
from ui.text_size import TITLE, relative_font
from ui.vitals_trends import TrendPlots
from ui.widgets import shortcut

log = logging.getLogger(__name__)
WATCHED = {*CHART_TYPES, "Patient", "DiagnosticReport", "ClinicalImpression"}
REFRESH_DELAY_MS = 150


# ------------------------------------------------------------------------- chart --
class ChartScreen(QWidget):
    """The "chart" page. ``show_patient(id)`` loads and shows a patient's chart."""

    loaded = Signal(str)  # patient id, after each (re)load has been shown
    join_call = Signal(str, str, str)  # consult id, patient id, title (ui.call_launcher.join)

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.patient_id: str | None = None
        self.view: ChartView | None = None
        self._seq = 0
        self._loading = False
        self._stale = False
        self._stale_hidden = False
        self._tasks: set[asyncio.Future[Any]] = set()
        self.setAcceptDrops(True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.pages = QStackedWidget()
        outer.addWidget(self.pages)
        self.placeholder = QLabel(
            self.tr("Open a patient from the Patients list to see the chart.")
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #6b6b6b;")
        relative_font(self.placeholder, 1.1)
        self.pages.addWidget(self.placeholder)
        self.body = QWidget()
        self.pages.addWidget(self.body)
        self._build_body()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(lambda: self._start(self.reload()))
        for key, slot in (
            ("Ctrl+Shift+V", self.new_visit),
            ("Ctrl+K", self.ask_specialist),
            ("Ctrl+O", self.choose_files),
            ("Ctrl+E", self.edit_patient),
            ("Ctrl+J", self.join_selected),
        ):
            shortcut(key, self, slot)
        session.bridge.notify.connect(self._on_event)

    # ---- layout -----------------------------------------------------------------------
    def _build_body(self) -> None:
        layout = QVBoxLayout(self.body)
        head = QHBoxLayout()
        names = QVBoxLayout()
        self.name = QLabel()
        relative_font(self.name, TITLE, weight=QFont.Weight.Bold)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts = QLabel()
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.facts.setToolTip(self.tr("Click a masked number to show it in full (recorded)"))
        self.facts.linkActivated.connect(self.reveal)
        self._shown: dict[Field, str] = {}  # full values revealed for the patient on screen
        names.addWidget(self.name)
        names.addWidget(self.facts)
        head.addLayout(names, 1)
        self.status = QLabel()
        self.status.setStyleSheet("color: #6b6b6b;")
        head.addWidget(self.status)
        self.visit_button = QPushButton(self.tr("New visit"))
        self.visit_button.setToolTip(self.tr("Record a visit (Ctrl+Shift+V)"))
        self.visit_button.clicked.connect(self.new_visit)
        self.consult_button = QPushButton(self.tr("Ask a specialist"))
        self.consult_button.setToolTip(self.tr("Request a remote consult (Ctrl+K)"))
        self.consult_button.clicked.connect(self.ask_specialist)
        self.edit_button = QPushButton(self.tr("Edit patient"))
        self.edit_button.setToolTip(self.tr("Edit the patient's details (Ctrl+E)"))
        self.edit_button.clicked.connect(self.edit_patient)
        self.print_button = QPushButton(self.tr("Print…"))
        self.print_button.setToolTip(
            self.tr("Print a prescription, referral, opinion or visit summary")
        )
        self.print_button.clicked.connect(self.print_letter)
        for b in (self.visit_button, self.consult_button, self.edit_button, self.print_button):
            head.addWidget(b)
        layout.addLayout(head)
        summary = QHBoxLayout()
        self.allergies = self._summary_box(summary, self.tr("Allergies"))
        self.conditions = self._summary_box(summary, self.tr("Active conditions"))
        self.medications = self._summary_box(summary, self.tr("Current medications"))
        layout.addLayout(summary)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.tabs = QTabWidget()
        self.tabs.setAcceptDrops(False)
        split.addWidget(self.tabs)
        self.timeline_panel = ChartTimeline()
        self.timeline_panel.send_draft_button.clicked.connect(self.send_selected_draft)
        # the panel's widgets, by the names the chart has always had
        self.timeline = self.timeline_panel.timeline
        self.details = self.timeline_panel.details
        self.send_draft_button = self.timeline_panel.send_draft_button
        self.join_button = QPushButton(self.tr("Join call"))
        self.join_button.setToolTip(
            self.tr("Join the video call of the consult selected in the timeline (Ctrl+J)")
        )
        self.join_button.clicked.connect(self.join_selected)
        self.join_button.setEnabled(False)
        self.join_prompt: QWidget | None = None  # the note "join" showed last (not joinable)
        head.insertWidget(head.count() - 1, self.join_button)  # before "Print…"
        self.timeline.currentItemChanged.connect(lambda *_a: self._update_join())
        self.tabs.addTab(self.timeline_panel, self.tr("Timeline"))
        attach_page = QWidget()
        attach_layout = QVBoxLayout(attach_page)
        self.attachments = QListWidget()
        self.attachments.setAcceptDrops(False)
        self.attachments.viewport().setAcceptDrops(False)
        self.attachments.itemActivated.connect(lambda _i: self.open_selected())
        self.attachments.currentRowChanged.connect(self._attachment_selected)
        attach_layout.addWidget(self.attachments, 1)
        hint = QLabel(self.tr("Drop image, PDF or DICOM files anywhere on the chart to attach."))
        hint.setStyleSheet("color: #6b6b6b;")
        hint.setWordWrap(True)
        attach_layout.addWidget(hint)
        row = QHBoxLayout()
        self.view_button = QPushButton(self.tr("View"))
        self.view_button.clicked.connect(self.view_selected)
        self.system_button = QPushButton(self.tr("Open with system viewer"))
        self.system_button.clicked.connect(self.open_selected_externally)
        self.attach_button = QPushButton(self.tr("Attach file…"))
        self.attach_button.setToolTip(self.tr("Attach files to the chart (Ctrl+O)"))
        self.attach_button.clicked.connect(self.choose_files)
        row.addWidget(self.view_button)
        row.addWidget(self.system_button)
        row.addStretch(1)
        row.addWidget(self.attach_button)
        attach_layout.addLayout(row)
        self.tabs.addTab(attach_page, self.tr("Attachments"))
        self.medication_panel = ChartMedications(self.session)
        self.tabs.addTab(self.medication_panel, self.tr("Medications"))
        self.problems_panel = ProblemsPanel(self.session)
        self.tabs.addTab(self.problems_panel, self.tr("Problems and allergies"))
        trends_box = QGroupBox(self.tr("Vitals trends"))
        trends_layout = QVBoxLayout(trends_box)
        trends_layout.setContentsMargins(4, 4, 4, 4)
        self.trends = TrendPlots()
        trends_layout.addWidget(self.trends)
        split.addWidget(trends_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([560, 500])
        layout.addWidget(split, 1)
        self._attachment_selected(-1)

    def _summary_box(self, row: QHBoxLayout, title: str) -> QLabel:
        box = QGroupBox(title)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(6, 2, 6, 4)
        label = QLabel()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        inner.addWidget(label)
        row.addWidget(box, 1)
        return label

    # ---- loading ----------------------------------------------------------------------
    def show_patient(self, patient_id: str) -> None:
        """Show this patient's chart (the load runs on the store thread)."""
        if patient_id != self.patient_id:
            self._clear()  # never show one patient's records under another's name
        self.patient_id = patient_id
        self.pages.setCurrentWidget(self.body)
        self._set_actions_enabled(self.view is not None)
        self._start(self.reload())

    def _clear(self) -> None:
        self.view = None
        self._shown = {}
        for label in (self.name, self.facts, self.allergies, self.conditions, self.medications):
            label.setText("")
        self.timeline_panel.clear()
        self.join_button.setEnabled(False)
        self.problems_panel.clear()
        self.attachments.clear()
        self.trends.clear()

    def _start(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reload(self) -> None:
        """Load the chart again; loads do not overlap (a change meanwhile loads once more)."""
        if self.patient_id is None:
            return
        if self._loading:
            self._stale = True
            return
        self._loading = True
        try:
            while True:
                self._stale = False
                self._seq += 1
                seq, pid = self._seq, self.patient_id
                self.status.setText(self.tr("Loading…"))
                view = await run_op(self, self.session.call(self.load_chart, pid))
                if view is not None and seq == self._seq and pid == self.patient_id:
                    await self._present(view)
                if not self._stale:
                    break
        finally:
            self._loading = False
            self.status.setText("")

    def load_chart(self, patient_id: str) -> ChartView:
        """The chart view (on the store thread), read with the garbage collector paused."""
        with gc_paused():
            return self.session.clinic.patients.chart_view(patient_id)

    def _on_event(self, kind: Event, payload: object) -> None:
        if kind is Event.LOCKED:
            forget_opened_files()
            return
        if kind is not Event.RECORDS_CHANGED or self.patient_id is None:
            return
        if isinstance(payload, Changes) and payload and not payload.touches(*WATCHED):
            return
        if self.isVisible():
            self._refresh_timer.start()
        else:
            self._stale_hidden = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale_hidden and self.patient_id is not None:
            self._stale_hidden = False
            self._refresh_timer.start()

    def _set_actions_enabled(self, on: bool) -> None:
        for b in (self.visit_button, self.consult_button, self.edit_button, self.attach_button):
            b.setEnabled(on)

    # ---- showing ----------------------------------------------------------------------
    async def _present(self, view: ChartView) -> None:
        """Show a loaded chart in steps, letting the loop paint and handle input between
        them, so a long history never freezes the window."""
        keep = self.timeline_panel.current_key()
        self.view = view
        p = view.patient
        self.name.setText(patient_name(p))
        self._show_facts(p)
        self._fill_summary(view)
        self.problems_panel.fill(view)
        self._fill_attachments(view)
        self.medication_panel.show_patient(str(p["id"]), patient_name(p))
        await asyncio.sleep(0)
        if self.view is not view:  # another patient was opened meanwhile
            return
        self.timeline_panel.fill(view.timeline, keep)
        self._update_join()
        await asyncio.sleep(0)
        if self.view is not view:
            return
        self.trends.show_trends(view.trends)
        self._set_actions_enabled(True)
        self.loaded.emit(str(p["id"]))

    def _show_facts(self, patient: Resource) -> None:
        """The header line; a masked ID number or phone is a link that reveals it."""
        parts = []
        for label, value, field in patient_fact_fields(patient, shown=self._shown):
            if not value:
                continue
            text = html.escape(fact_text(label, value))
            parts.append(f"<a href='reveal:{field}'>{text}</a>" if field else text)
        self.facts.setText("&nbsp;&nbsp;&nbsp;&nbsp;".join(parts))

    @asyncSlot(str)
    async def reveal(self, link: str) -> None:
        """Show the masked field in full; the core records the access in the audit log."""
        field = link.removeprefix("reveal:")
        patient_id = self.patient_id
        if field not in FIELDS or patient_id is None:
            return
        value = await run_op(
            self, self.session.write(self.session.clinic.patients.reveal, patient_id, field)
        )
        if value is None or patient_id != self.patient_id or self.view is None:
            return
        self._shown[field] = str(value)
        self._show_facts(self.view.patient)

    def _fill_summary(self, view: ChartView) -> None:
        none_text = html.escape(self.tr("None recorded"))
        none = f"<span style='color:#6b6b6b'>{none_text}</span>"
        allergies = []
        for a in view.allergies:
            if allergy_records.is_nka(a):  # the dated statement, not an allergy
                stated = self.tr("No known allergies (stated %1)")
                allergies.append(html.escape(stated.replace("%1", str(a.get("recordedDate")))))
                continue
            text = html.escape(str((a.get("code") or {}).get("text", "")))
            reactions = [
                m.get("text", "") for r in a.get("reaction", []) for m in r.get("manifestation", [])
            ]
            if reactions:
                text += f" ({html.escape(', '.join(reactions))})"
            if a.get("criticality") == "high":
                text = f"<b>{text}</b>"
            allergies.append(f"<span style='color:{FLAG_COLOUR}'>{text}</span>")
        self.allergies.setText("; ".join(allergies) or none)
        self.conditions.setText(
            "; ".join(
                html.escape(str((c.get("code") or {}).get("text", ""))) for c in view.conditions
            )
            or none
        )
        meds = []
        for m in view.medications:
            name = str((m.get("medicationCodeableConcept") or {}).get("text", ""))
            dose = "; ".join(d.get("text", "") for d in m.get("dosageInstruction", []))
            meds.append(html.escape(f"{name} — {dose}" if dose else name))
        self.medications.setText("; ".join(meds) or none)

    def _fill_attachments(self, view: ChartView) -> None:
        self.attachments.clear()
        for doc in view.attachments:
            att = (doc.get("content") or [{}])[0].get("attachment", {})
            size = int(att.get("size") or 0)
            text = self.tr("%1   (%2, %3 KB, %4)")
            text = (
                text.replace("%1", str(doc.get("description") or att.get("title") or ""))
                .replace("%2", str((doc.get("type") or {}).get("text", "")))
                .replace("%3", f"{max(1, size // 1024):,}")
                .replace("%4", when_text(doc.get("date"), with_time=False))
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, doc["id"])
            self.attachments.addItem(item)
        self.tabs.setTabText(
            1, self.tr("Attachments (%1)").replace("%1", str(len(view.attachments)))
        )
        if view.attachments:
            self.attachments.setCurrentRow(0)
        self._attachment_selected(self.attachments.currentRow())

    # ---- attachments --------------------------------------------------------------------
    def selected_document(self) -> Resource | None:
        row = self.attachments.currentRow()
        if self.view is None or row < 0 or row >= len(self.view.attachments):
            return None
        return self.view.attachments[row]

    def _attachment_selected(self, _row: int) -> None:
        doc = self.selected_document()
        self.view_button.setEnabled(doc is not None and mime_of(doc).startswith("image/"))
        self.system_button.setEnabled(doc is not None)

    def open_selected(self) -> None:
        doc = self.selected_document()
        if doc is None:
            return
        if mime_of(doc).startswith("image/"):
            self.view_selected()
        else:
            self.open_selected_externally()

    @asyncSlot()
    async def view_selected(self) -> None:
        doc = self.selected_document()
        if doc is None:
            return
        data = await run_op(
            self,
            self.session.call(self.session.clinic.documents.content, doc),
            disable=self.view_button,
        )
        if data is None:
            return
        image = await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(QImage.fromData, QByteArray(data))
        )
        if image.isNull():
            self.status.setText(self.tr("This image cannot be shown; try the system viewer."))
            return
        viewer = ImageViewer(str(doc.get("description", "")), image, self)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.open()
        self.image_viewer = viewer

    @asyncSlot()
    async def open_selected_externally(self) -> None:
        doc = self.selected_document()
        if doc is None:
            return
        path = await run_op(
            self,
            self.session.call(export_for_viewer, self.session.clinic, doc),
            disable=self.system_button,
        )
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def choose_files(self) -> None:
        if self.view is None:
            return
        dialog = QFileDialog(self, self.tr("Attach files to the chart"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(
            self.tr(
                "Images, PDF, DICOM, text (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff"
                " *.webp *.pdf *.dcm *.txt);;All files (*)"
            )
        )
        dialog.filesSelected.connect(lambda files: self._start(self.attach_paths(files)))
        dialog.open()

    async def attach_paths(self, paths: list[str]) -> int:
        """Attach files to the open chart (encrypted on the store thread); how many worked."""
        pid = self.patient_id
        if pid is None:
            return 0
        done = 0
        self.attach_button.setEnabled(False)
        try:
            for text in paths:
                path = Path(text)
                self.status.setText(self.tr("Attaching %1…").replace("%1", path.name))
                work = functools.partial(
                    self.session.clinic.documents.attach_file,
                    patient_id=pid,
                    path=path,
                    kind=attachment_kind(path),
                )
                doc = await run_op(self, self.session.write(work))
                if doc is None:
                    break
                done += 1
        finally:
            self.attach_button.setEnabled(self.view is not None)
            self.status.setText("")
        if done:
            self.tabs.setCurrentIndex(1)
        return done

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if self.patient_id is not None and urls and all(u.isLocalFile() for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.patient_id is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not files or self.patient_id is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self._start(self.attach_paths(files))

    # ---- actions ----------------------------------------------------------------------
    def new_visit(self) -> None:
        if self.view is None:
            return
        from ui.visit_screen import VisitDialog

        kind = "follow-up" if self.view.visits else "initial-visit"
        dialog = VisitDialog(self.session, self.view.patient, self, kind=kind)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.visit_dialog = dialog

    def ask_specialist(self) -> None:
        if self.view is None:
            return
        from ui.consult_wizard import ConsultWizard

        wizard = ConsultWizard(self.session, self.view, self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.open()
        self.consult_wizard = wizard

    def edit_patient(self) -> None:
        if self.view is None:
            return
        from ui.patient_form import PatientForm

        form = PatientForm(self.session, self, existing=self.view.patient)
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.open()
        self.patient_form = form

    def print_letter(self) -> None:
        """The print dialog for this patient, on the timeline's selected entry if printable."""
        if self.view is None:
            return
        from ui.print_letters import open_print_dialog

        entry = self.timeline_panel.selected_entry()
        kinds = {"visit": "summary", "prescription": "prescription", "referral": "referral",
                 "opinion": "opinion"}  # fmt: skip
        kind = kinds.get(entry.kind) if entry is not None else None
        rid = str(entry.resource.get("id")) if entry is not None else None
        self.print_dialog = open_print_dialog(self.session, str(self.view.patient["id"]), self,
                                              kind=kind, record_id=rid)  # fmt: skip

    def _consult_slot(self) -> Resource | None:
        """The selected consult's appointment to join: a booked one (the next), else the
        proposed one that explains why there is no call yet."""
        entry = self.timeline_panel.selected_entry()
        if entry is None or entry.kind != "consult" or not entry.slots:
            return None
        live = [a for a in entry.slots if a.get("status") in JOINABLE]
        return (live or entry.slots)[0]

    def _update_join(self) -> None:
        self.join_button.setEnabled(self._consult_slot() is not None)

    def join_selected(self) -> None:
        """Join the selected consult's call through the call launcher (as the schedule does);
        a consult whose time is only proposed says why it cannot be joined yet."""
        slot = self._consult_slot()
        if slot is None or self.view is None:
            return
        from clinic_app.services.desk import Booked
        from ui.call_launcher import join_booking

        booking = Booked(slot, patient_name(self.view.patient))
        self.join_prompt = join_booking(self, booking, self.join_call.emit)

    @asyncSlot()
    async def send_selected_draft(self) -> None:
        entry = self.timeline_panel.selected_entry()
        if entry is None or entry.status != "draft":
            return
        await run_op(
            self,
            self.session.write(self.session.clinic.consults.send_draft, entry.resource["id"]),
            disable=self.send_draft_button,
        )
