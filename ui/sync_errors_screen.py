"""Changes in error: what the central platform refused for good (a value it does not accept, a
reference to a record it does not have…). Each is listed by the record a clinician knows (its
kind, the patient, what it is) with the reason in words, translated by the server's stable code
(the server's own sentence and code are shown as details). Other changes are never held up by
these. From here: open the patient's chart to fix the record (the fix is sent in the refused
change's place), send it again, or discard it after confirming (the record goes back to the
central platform's copy, or is deleted here if it never reached it)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from functools import partial

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.domains.sync import ChangeInError
from clinic_app.records.vitals import vital_key
from clinic_app.sync.engine import SyncStatus
from ui.bridge import Event
from ui.clinical_text import vital_label
from ui.errors import tr_core
from ui.ops import run_op
from ui.reloader import Reloader
from ui.session import Session
from ui.text_size import LARGE, relative_font


class SyncErrorsScreen(QWidget):
    open_chart = Signal(str)  # a patient id

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.items: list[ChangeInError] = []
        self.current: ChangeInError | None = None
        self.confirm_box: QMessageBox | None = None  # the open "discard?" question, if any
        self._known_count = -1
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setStyleSheet("font-weight: 600;")
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addWidget(self.intro)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.currentRowChanged.connect(self.on_select)
        self.list.viewport().installEventFilter(self)
        split.addWidget(self.list)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(8, 0, 0, 0)
        self.title = QLabel()
        relative_font(self.title, LARGE, weight=QFont.Weight.DemiBold)
        self.title.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: #b3261e;")
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setStyleSheet("color: #5f6368;")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for w in (self.title, self.reason, self.advice, self.details):
            rl.addWidget(w)
        rl.addStretch(1)
        buttons = QHBoxLayout()
        self.open_button = QPushButton()
        self.retry_button = QPushButton()
        self.discard_button = QPushButton()
        self.open_button.clicked.connect(self.on_open)
        self.retry_button.clicked.connect(self.on_retry)
        self.discard_button.clicked.connect(self.on_discard)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.retry_button)
        buttons.addStretch(1)
        buttons.addWidget(self.discard_button)
        rl.addLayout(buttons)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([420, 680])
        layout.addWidget(split, 1)
        self.reloader = Reloader(self, session, None, self.load)
        session.bridge.notify.connect(self._on_event)
        self.retranslate()

    # ---- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.intro.setText(
            self.tr(
                "The central platform refused these changes. Nothing else waits for them: "
                "every other change is sent as usual. Fix the record and it is sent again in "
                "place of the refused change, or discard the change."
            )
        )
        self.open_button.setText(self.tr("Open record"))
        self.open_button.setToolTip(self.tr("Open the patient's chart to fix the record"))
        self.retry_button.setText(self.tr("Retry"))
        self.retry_button.setToolTip(
            self.tr("Send the change again (after fixing the record, or when the cause is gone)")
        )
        self.discard_button.setText(self.tr("Discard…"))
        self.render_list()
        self.show_item(self.current)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def kind_label(self, rtype: str) -> str:
        return {
            "Patient": self.tr("Patient details"),
            "Observation": self.tr("Measurement"),
            "Encounter": self.tr("Visit"),
            "QuestionnaireResponse": self.tr("Visit form"),
            "Condition": self.tr("Condition"),
            "AllergyIntolerance": self.tr("Allergy"),
            "MedicationRequest": self.tr("Prescription"),
            "ServiceRequest": self.tr("Consult or referral"),
            "Communication": self.tr("Message"),
            "DiagnosticReport": self.tr("Report"),
            "ClinicalImpression": self.tr("Specialist's opinion"),
            "Appointment": self.tr("Appointment"),
            "CarePlan": self.tr("Care plan"),
            "Task": self.tr("Follow-up or task"),
            "DocumentReference": self.tr("Document"),
        }.get(rtype, rtype)

    def reason_text(self, code: str | None) -> str:
        """The reason in the user's language, by the server's stable code (never its values)."""
        code = code or ""
        if code == "unencodable_text":
            code = "unstorable_text"
        if code.startswith("reference_") and code != "reference_not_found":
            code = "reference_" if code != "reference_foreign" else code
        return {
            "invalid_id": self.tr(
                "An identifier in this record has characters that are not allowed "
                "(only letters, digits, '-' and '.', up to 64)."
            ),
            "unstorable_text": self.tr(
                "The record holds characters that cannot be stored, such as an invisible "
                "control character pasted from another program."
            ),
            "invalid_resource": self.tr(
                "A field of this record holds a value the record standard (FHIR) does not allow."
            ),
            "invalid_change": self.tr("The change is not in a form the central platform accepts."),
            "narrative_unsafe": self.tr("The record's text holds formatting that is not allowed."),
            "too_large": self.tr("The record is too large for the central platform."),
            "too_deep": self.tr("The record is nested too deeply."),
            "unknown_type": self.tr("The central platform does not accept this kind of record."),
            "reference_not_found": self.tr(
                "The record refers to another record the central platform does not have (for "
                "example a patient whose own change was refused)."
            ),
            "reference_foreign": self.tr("The record refers to a record of another server."),
            "reference_": self.tr(
                "The record refers to another record in a way the central platform does not accept."
            ),
            "not_permitted": self.tr("This workstation may not change this record."),
            "change_id_reused": self.tr(
                "The central platform already has a different change under this change's number."
            ),
            "change_id_taken": self.tr(
                "The central platform already has a different change under this change's number."
            ),
            "attachment_missing": self.tr(
                "An attached file has not reached the central platform yet."
            ),
            "attachment_missing_here": self.tr("The attached file is missing on this workstation."),
        }.get(code, self.tr("The central platform refused this change."))

    def advice_text(self, item: ChangeInError) -> str:
        code = item.entry.code or ""
        if code in ("attachment_missing", "reference_not_found"):
            text = self.tr("Once the other record or file has reached it, choose Retry.")
        elif code in ("change_id_reused", "change_id_taken", "not_permitted", "unknown_type"):
            text = self.tr("Discard this change; make it again if it is still needed.")
        else:
            text = self.tr("Open the record, correct it and save: it is then sent again by itself.")
        if item.entry.later:
            text += " " + self.tr(
                "%n newer version(s) of this record wait and go in its place.", "", item.entry.later
            )
        return text

    def what_text(self, item: ChangeInError) -> str:
        """What the record is: a vital sign by its name, else its own label (translated when
        the core's words are known)."""
        key = vital_key(item.entry.resource) if item.entry.resource else None
        if key is not None:
            return vital_label(key)
        return tr_core(item.what) if item.what else ""

    def title_text(self, item: ChangeInError) -> str:
        title = self.kind_label(item.entry.rtype)
        what = self.what_text(item)
        if what and item.entry.rtype != "Patient":
            title = self.tr("%1: %2").replace("%1", title).replace("%2", what)
        if item.patient_name:
            title = self.tr("%1 — %2").replace("%1", title).replace("%2", item.patient_name)
        return title

    # ---- loading -----------------------------------------------------------------------
    def _on_event(self, kind: Event, payload: object) -> None:
        if (
            kind is Event.SYNC_STATUS
            and isinstance(payload, SyncStatus)
            and payload.errors != self._known_count
        ):
            self._known_count = payload.errors
            self.reloader.request()

    async def load(self) -> None:
        items = await self.session.call(self.session.clinic.sync.changes_in_error)
        keep = self.current.change_id if self.current else None
        self.items = items
        self.render_list()
        rows = [n for n, i in enumerate(items) if i.change_id == keep] or ([0] if items else [])
        self.list.blockSignals(True)
        if rows:
            self.list.setCurrentRow(rows[0])
        self.list.blockSignals(False)
        self.show_item(items[rows[0]] if rows else None)

    def render_list(self) -> None:
        self.list.blockSignals(True)
        current = self.list.currentRow()
        self.list.clear()
        metrics = self.list.fontMetrics()
        width = max(80, self.list.viewport().width() - 12)

        def line(text: str) -> str:  # one line each, whatever the list's width
            return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)

        for item in self.items:
            when = datetime.fromisoformat(item.entry.created_at).astimezone()
            reason = self.reason_text(item.entry.code)
            row = QListWidgetItem(
                self.tr("%1\n%2\n%3")
                .replace("%1", line(self.title_text(item)))
                .replace("%2", line(reason))
                .replace("%3", when.strftime("%m-%d %H:%M"))
            )
            row.setToolTip(reason)
            row.setSizeHint(QSize(0, 3 * self.list.fontMetrics().lineSpacing() + 14))
            self.list.addItem(row)
        if 0 <= current < len(self.items):
            self.list.setCurrentRow(current)
        self.list.blockSignals(False)
        self.intro.setVisible(bool(self.items))
        self.summary.setText(
            self.tr("%n change(s) in error", "", len(self.items))
            if self.items
            else self.tr("No changes in error: the central platform accepted everything sent.")
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list.viewport() and event.type() == QEvent.Type.Resize and self.items:
            self.render_list()  # the lines are elided to the list's width
        return False

    def on_select(self, row: int) -> None:
        self.show_item(self.items[row] if 0 <= row < len(self.items) else None)

    def show_item(self, item: ChangeInError | None) -> None:
        self.current = item
        buttons = (self.open_button, self.retry_button, self.discard_button)
        for w in (*buttons, self.reason, self.advice, self.details):
            w.setVisible(item is not None)
        if item is None:
            self.title.setText("")
            return
        e = item.entry
        self.title.setText(self.title_text(item))
        self.reason.setText(self.reason_text(e.code))
        self.advice.setText(self.advice_text(item))
        status = f" · HTTP {e.http_status}" if e.http_status else ""
        self.details.setText(
            self.tr("The central platform said: %1 (%2)")
            .replace("%1", tr_core(e.reason) if e.reason else "—")
            .replace("%2", f"{e.code or '—'}{status}")
        )
        self.open_button.setEnabled(bool(item.patient_id) and not e.deleted)
        self.open_button.setToolTip(
            self.tr("Open the patient's chart to fix the record")
            if item.patient_id and not e.deleted
            else self.tr("This record is not in a patient's chart.")
        )

    # ---- actions -----------------------------------------------------------------------
    def on_open(self) -> None:
        if self.current is not None and self.current.patient_id:
            self.open_chart.emit(self.current.patient_id)

    @asyncSlot()
    async def on_retry(self) -> None:
        await self.retry()

    async def retry(self) -> bool:
        item = self.current
        if item is None:
            return False
        work = self.session.write(partial(self.session.clinic.sync.retry, item.change_id))
        return bool(await run_op(self, self._after(work), disable=self.retry_button))

    @asyncSlot()
    async def on_discard(self) -> None:
        await self.discard()

    async def discard(self) -> bool:
        """Ask, then discard the shown change (the record goes back, see the module)."""
        item = self.current
        if item is None:
            return False
        if item.entry.synced:
            detail = self.tr(
                "The record goes back to its version on the central platform; the changes "
                "made to it here since then are lost."
            )
        else:
            detail = self.tr(
                "This record never reached the central platform: it is deleted on this workstation."
            )
        if not await self.ask(self.tr("Discard the refused change to %1?").replace(
                "%1", self.title_text(item)), detail):  # fmt: skip
            return False
        work = self.session.write(partial(self.session.clinic.sync.discard, item.change_id))
        return bool(await run_op(self, self._after(work), disable=self.discard_button))

    async def ask(self, text: str, detail: str) -> bool:
        """A question that does not block the event loop: True if the user chose Discard."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Discard change"))
        box.setText(text)
        box.setInformativeText(detail)
        yes = box.addButton(self.tr("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(self.tr("Cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def finished(_result: int) -> None:
            if not answer.done():
                answer.set_result(box.clickedButton() is yes)

        box.finished.connect(finished)
        self.confirm_box = box
        box.open()
        try:
            return await answer
        finally:
            self.confirm_box = None
            box.deleteLater()

    async def _after(self, work: Awaitable[object]) -> bool:
        await work  # the "records changed" broadcast reloads the list
        self.current = None
        if self.session.engine is not None:
            await self.session.engine.refresh_counts()
        await self.reloader.now()
        return True
