"""The chart's timeline: one line per visit (its first answer, blood pressure, how many vitals
are abnormal), specialist opinion, prescription, consult (with its status) and referral, newest
first; the selected entry in full below (answers, vitals with flags, proposed slots), and a
button to send a consult saved as a draft."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_app.records.orders import specialty_of
from clinic_app.records.vitals import vital_key
from clinic_app.services.chart_view import TimelineEntry
from ui.clinical_text import (
    FLAG_COLOUR,
    answer_text,
    priority_label,
    specialty_label,
    vital_label,
    vital_value_text,
    when_text,
)
from ui.consult_status import status_colour, status_text
from ui.errors import tr_core


class ChartTimeline(QSplitter):
    """The timeline list over the selected entry's details. ``send_draft_button`` shows for a
    consult draft; the chart connects it (the write is the chart's)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.entries: list[TimelineEntry] = []
        self.timeline = QTreeWidget()
        self.timeline.setColumnCount(4)
        self.timeline.setHeaderLabels(
            [self.tr("Date"), self.tr("Entry"), self.tr("Summary"), self.tr("Status")]
        )
        self.timeline.setRootIsDecorated(False)
        self.timeline.setUniformRowHeights(True)
        self.timeline.setAlternatingRowColors(True)
        self.timeline.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.timeline.setAcceptDrops(False)
        self.timeline.viewport().setAcceptDrops(False)
        header = self.timeline.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.timeline.currentItemChanged.connect(self._show_entry)
        self.addWidget(self.timeline)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        self.details = QTextBrowser()
        self.details.setAcceptDrops(False)
        self.details.viewport().setAcceptDrops(False)
        self.details.setOpenLinks(False)
        detail_layout.addWidget(self.details, 1)
        self.send_draft_button = QPushButton(self.tr("Send this draft to the specialist"))
        self.send_draft_button.hide()
        detail_layout.addWidget(self.send_draft_button)
        self.addWidget(detail)
        self.setSizes([300, 260])

    def clear(self) -> None:
        self.entries = []
        self.timeline.clear()
        self.details.clear()
        self.send_draft_button.hide()

    def _labels(self) -> dict[str, str]:
        """Translated labels used on every line, looked up once per fill."""
        return {
            "opinion": self.tr("Specialist opinion"),
            "prescription": self.tr("Prescription"),
            "consult": self.tr("Consult request"),
            "referral": self.tr("Referral"),
            "bp": self.tr("BP %1/%2"),
            "abnormal": self.tr("⚠ %1 abnormal"),
        }

    def _entry_row(self, entry: TimelineEntry, labels: dict[str, str] | None = None) -> list[str]:
        labels = labels or self._labels()
        kind = tr_core(entry.title) if entry.kind == "visit" else labels.get(entry.kind, entry.kind)
        res = entry.resource
        if entry.kind == "visit":
            parts = []
            codes = {
                o["code"]["coding"][0]["code"]: o["valueQuantity"]["value"] for o in entry.vitals
            }
            if "8480-6" in codes and "8462-4" in codes:
                parts.append(
                    labels["bp"]
                    .replace("%1", f"{codes['8480-6']:g}")
                    .replace("%2", f"{codes['8462-4']:g}")
                )
            if entry.answers:
                _question, value, choice = entry.answers[0]
                parts.append(tr_core(value) if choice else str(value))
            flagged = sum(1 for o in entry.vitals if o.get("interpretation"))
            if flagged:
                parts.append(labels["abnormal"].replace("%1", str(flagged)))
            summary = " · ".join(parts)
        elif entry.kind in ("consult", "referral"):
            summary = f"{specialty_label(specialty_of(res))}: {entry.title}"
        else:
            summary = entry.title
        status = status_text(entry.status) if entry.kind == "consult" else ""
        return [when_text(entry.when, with_time=False), kind, summary.replace("\n", " "), status]

    def current_key(self) -> str | None:
        """The selected entry as ``Type/id`` (kept selected across a reload)."""
        item = self.timeline.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole + 1) if item is not None else None

    def fill(self, entries: list[TimelineEntry], keep: str | None) -> None:
        """Show ``entries`` (newest first); select the one ``keep`` names, else the first."""
        self.timeline.blockSignals(True)
        self.timeline.clear()
        self.entries = entries
        items = []
        select = None
        labels = self._labels()
        for n, entry in enumerate(entries):
            item = QTreeWidgetItem(self._entry_row(entry, labels))
            item.setData(0, Qt.ItemDataRole.UserRole, n)
            key = f"{entry.resource.get('resourceType')}/{entry.resource.get('id')}"
            item.setData(0, Qt.ItemDataRole.UserRole + 1, key)
            item.setToolTip(2, item.text(2))
            if entry.status:
                item.setForeground(3, QColor(status_colour(entry.status)))
            if entry.kind == "visit" and any(o.get("interpretation") for o in entry.vitals):
                item.setForeground(2, QColor(FLAG_COLOUR))
            items.append(item)
            if key == keep:
                select = item
        self.timeline.addTopLevelItems(items)
        self.timeline.blockSignals(False)
        target = select or (items[0] if items else None)
        if target is not None:
            self.timeline.setCurrentItem(target)
        else:
            nothing = html.escape(self.tr("Nothing recorded yet."))
            self.details.setHtml(f"<p style='color:#6b6b6b'>{nothing}</p>")
            self.send_draft_button.hide()

    def selected_entry(self) -> TimelineEntry | None:
        item = self.timeline.currentItem()
        if item is None:
            return None
        n = item.data(0, Qt.ItemDataRole.UserRole)
        return self.entries[n] if isinstance(n, int) and n < len(self.entries) else None

    def _show_entry(self, *_args: object) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        self.details.setHtml(self.entry_html(entry))
        self.send_draft_button.setVisible(entry.kind == "consult" and entry.status == "draft")

    def entry_html(self, entry: TimelineEntry) -> str:
        esc = html.escape
        res = entry.resource
        kind = self._entry_row(entry)[1]
        parts = [
            f"<h3>{esc(kind)} <span style='font-weight:normal'>— "
            f"{esc(when_text(entry.when))}</span></h3>"
        ]

        def row(label: str, value: str, style: str = "") -> str:
            return (
                f"<tr><th align=left valign=top style='padding-right:10px'>{esc(label)}</th>"
                f"<td{style}>{esc(value)}</td></tr>"
            )

        rows: list[str] = []
        if entry.kind == "visit":
            doctor = ", ".join(
                p.get("individual", {}).get("display", "") for p in res.get("participant", [])
            )
            if doctor:
                rows.append(row(self.tr("Doctor"), doctor))
            for reason in res.get("reasonCode", []):
                rows.append(row(self.tr("Reason"), str(reason.get("text", ""))))
            for question, value, choice in entry.answers:
                shown = tr_core(value) if choice else answer_text(value)
                rows.append(row(tr_core(question), shown))
            if entry.vitals:
                vitals_title = esc(self.tr("Vitals"))
                rows.append(f"<tr><td colspan=2><b>{vitals_title}</b></td></tr>")
            for obs in entry.vitals:
                style = (
                    f" style='color:{FLAG_COLOUR};font-weight:bold'"
                    if obs.get("interpretation")
                    else ""
                )
                key = vital_key(obs) or ""
                rows.append(row(vital_label(key), vital_value_text(obs), style))
        elif entry.kind in ("consult", "referral"):
            rows.append(row(self.tr("Specialty"), specialty_label(specialty_of(res))))
            rows.append(row(self.tr("Urgency"), priority_label(str(res.get("priority", "")))))
            rows.append(row(self.tr("Question"), entry.title))
            if entry.kind == "consult":
                colour = status_colour(entry.status)
                rows.append(
                    row(
                        self.tr("Status"),
                        status_text(entry.status),
                        f" style='color:{colour};font-weight:bold'",
                    )
                )
            rows.append(
                row(self.tr("Requested by"), str(res.get("requester", {}).get("display", "")))
            )
            cited = len(res.get("supportingInfo", []))
            rows.append(row(self.tr("Records included"), str(cited)))
            for appt in entry.slots:
                label = (
                    self.tr("Proposed slot")
                    if appt.get("status") == "proposed"
                    else self.tr("Appointment")
                )
                rows.append(row(label, when_text(appt.get("start"))))
        elif entry.kind == "opinion":
            by = ", ".join(p.get("display", "") for p in res.get("performer", []))
            rows.append(row(self.tr("Specialist"), by))
            if entry.consult is not None:
                question = " ".join(r.get("text", "") for r in entry.consult.get("reasonCode", []))
                rows.append(row(self.tr("Question"), question))
            rows.append(row(self.tr("Opinion"), entry.title))
        elif entry.kind == "prescription":
            rows.append(row(self.tr("Medication"), entry.title))
            for d in res.get("dosageInstruction", []):
                rows.append(row(self.tr("Dosage"), str(d.get("text", ""))))
            rows.append(
                row(self.tr("Prescriber"), str(res.get("requester", {}).get("display", "")))
            )
        parts.append("<table cellspacing=0 cellpadding=3>" + "".join(rows) + "</table>")
        return "".join(parts)
