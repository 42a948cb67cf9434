"""A patient's chart: header, summary (allergies, active conditions, current medications), the
timeline (visits with their answers and vitals, opinions, prescriptions, consults with their
status), vitals trends, and attachments (image viewer, system viewer for PDFs, add by file
dialog or by dropping files anywhere on the chart). Loaded on the store thread; refreshed when
records it shows change while it is on screen."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import gc
import html
import logging
import mimetypes
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QPixmap,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.changes import Changes
from clinic_app.records.common import Resource
from clinic_app.records.orders import specialty_of
from clinic_app.records.vitals import vital_key
from clinic_app.services import chart_view, documents
from clinic_app.services.chart_view import ChartView, TimelineEntry, VitalSeries
from clinic_app.services.patients import CHART_TYPES
from ui.bridge import Event
from ui.clinical_text import (
    ABNORMAL,
    FLAG_COLOUR,
    answer_text,
    fact_text,
    patient_facts,
    patient_name,
    priority_label,
    specialty_label,
    vital_label,
    vital_value_text,
    when_text,
)
from ui.consult_status import status_colour, status_text
from ui.errors import tr_core
from ui.ops import run_op
from ui.session import Session
from ui.widgets import fit_to_screen, shortcut

log = logging.getLogger(__name__)
WATCHED = {*CHART_TYPES, "Patient", "DiagnosticReport", "ClinicalImpression"}
REFRESH_DELAY_MS = 150

# ------------------------------------------------------------------------ loading --
_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = True


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (process-wide, nestable across threads).

    Parsing years of records on the store thread makes a few hundred thousand short-lived
    objects; a full collection triggered meanwhile holds the GIL for a few hundred ms and
    freezes the window. Parsed records hold no reference cycles, so reference counting frees
    them; the collector resumes when the load is done."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        _gc_pauses += 1
        if _gc_pauses == 1:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def load_chart(store: Any, patient_id: str) -> ChartView:
    """The chart view, loaded on the store thread without long pauses of the GUI thread."""
    with gc_paused():
        return chart_view.open_chart_view(store, patient_id)


# ------------------------------------------------------------------- opened files --
_opened_dir: Path | None = None


def private_temp_dir() -> Path:
    """A folder only this user can enter, for files handed to the system viewer."""
    global _opened_dir
    if _opened_dir is None or not _opened_dir.is_dir():
        _opened_dir = Path(tempfile.mkdtemp(prefix="clinic-view-"))  # created 0700
    return _opened_dir


def forget_opened_files() -> None:
    """Remove every decrypted file handed to the system viewer (on lock and at exit)."""
    global _opened_dir
    if _opened_dir is not None:
        shutil.rmtree(_opened_dir, ignore_errors=True)
        _opened_dir = None


atexit.register(forget_opened_files)


def export_for_viewer(store: Any, doc: Resource) -> Path:
    """Decrypt a document (on the store thread) to an owner-only file in the private folder.
    The file is named by a random id, not by the title (which may carry the patient's name)."""
    mime = (doc.get("content") or [{}])[0].get("attachment", {}).get("contentType", "")
    ext = mimetypes.guess_extension(mime) or ".bin"
    dest = private_temp_dir() / f"{uuid.uuid4().hex}{ext}"
    documents.open_document(store, doc, dest)
    os.chmod(dest, 0o600)
    return dest


def attachment_kind(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or ""
    if mime.startswith("image/"):
        return "photo"
    if mime == "application/pdf":
        return "report"
    if mime == "application/dicom":
        return "dicom"
    return "note"


def mime_of(doc: Resource) -> str:
    return str((doc.get("content") or [{}])[0].get("attachment", {}).get("contentType", ""))


# -------------------------------------------------------------------- image viewer --
class ZoomView(QGraphicsView):
    """A picture with wheel zoom (around the pointer) and drag-to-pan."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setBackgroundBrush(QColor("#202020"))
        self.setAcceptDrops(False)

    def set_image(self, image: QImage) -> None:
        self.item.setPixmap(QPixmap.fromImage(image))
        self.scene().setSceneRect(self.item.boundingRect())
        self.fit()

    def zoom(self, factor: float) -> None:
        current = self.transform().m11()
        if 0.02 < current * factor < 40:
            self.scale(factor, factor)

    def fit(self) -> None:
        self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)

    def actual_size(self) -> None:
        self.resetTransform()

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.zoom(1.25 if event.angleDelta().y() > 0 else 0.8)


class ImageViewer(QDialog):
    def __init__(self, title: str, image: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        fit_to_screen(self, 900, 700)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.view = ZoomView()
        for text, tip, key, slot in (
            (self.tr("Zoom in"), self.tr("Zoom in (+)"), "+", lambda: self.view.zoom(1.25)),
            (self.tr("Zoom out"), self.tr("Zoom out (-)"), "-", lambda: self.view.zoom(0.8)),
            (self.tr("Fit"), self.tr("Fit to window (0)"), "0", self.view.fit),
            (self.tr("Actual size"), self.tr("Actual size (1)"), "1", self.view.actual_size),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            shortcut(key, self, slot)
            bar.addWidget(button)
        bar.addStretch(1)
        info = QLabel(
            self.tr("%1 × %2 pixels — wheel to zoom, drag to move")
            .replace("%1", str(image.width()))
            .replace("%2", str(image.height()))
        )
        bar.addWidget(info)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.view.set_image(image)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.view.fit()


# ------------------------------------------------------------------------ trends --
SYSTOLIC_COLOUR = "#1f5fa8"
DIASTOLIC_COLOUR = "#00897b"
LINE_COLOUR = "#37474f"
DOTS_UP_TO = 120  # readings are marked with dots while they are few enough to tell apart


class MonthAxis(pg.DateAxisItem):
    """Dates on the time axis as ``yyyy-mm`` every 1, 2, 3, 6 or 12 months (whatever fits), so
    years of readings in a narrow plot still show where each season is; spans of a few weeks
    fall back to pyqtgraph's own day and hour ticks."""

    LABEL_PX = 56
    STEPS = (1, 2, 3, 6, 12, 24, 60)

    def __init__(self) -> None:
        super().__init__(orientation="bottom")
        self._months = 0

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[Any]:
        span_months = (maxVal - minVal) / (30.44 * 86400)
        if span_months < 3 or size <= 0:
            self._months = 0
            return super().tickValues(minVal, maxVal, size)
        fit = max(1, int(size // self.LABEL_PX))
        step = next((m for m in self.STEPS if span_months / m <= fit), self.STEPS[-1])
        self._months = step
        start = datetime.fromtimestamp(minVal)
        index = start.year * 12 + start.month - 1
        index += -index % step
        ticks = []
        while True:
            moment = datetime(index // 12, index % 12 + 1, 1)
            value = moment.timestamp()
            if value > maxVal:
                break
            if value >= minVal:
                ticks.append(value)
            index += step
        return [(step * 30.44 * 86400, ticks)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if not self._months:
            return super().tickStrings(values, scale, spacing)
        form = "%Y" if self._months % 12 == 0 else "%Y-%m"
        return [datetime.fromtimestamp(v).strftime(form) for v in values]


class TrendPlots(QWidget):
    """Blood pressure, heart rate, glucose and weight over time, x axes linked; reference
    ranges shaded; abnormal readings (H/L/HH/LL) in red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.graphics.setAcceptDrops(False)
        self.graphics.viewport().setAcceptDrops(False)
        layout.addWidget(self.graphics, 1)
        self.note = QLabel()
        self.note.setStyleSheet("color: #6b6b6b;")
        layout.addWidget(self.note)
        self.plots: dict[str, pg.PlotItem] = {}
        self.readings_shown = 0

    def showEvent(self, event: QShowEvent) -> None:
        self.build()
        super().showEvent(event)

    def build(self) -> None:
        """Make the plots (~50 ms of pyqtgraph set-up) when the chart is first shown, not while
        the workspace is built at sign-in, where it held the event loop past 100 ms."""
        if self.plots:
            return
        bp_title = (
            self.tr("Blood pressure (mmHg): %1 systolic, %2 diastolic")
            .replace("%1", f"<span style='color:{SYSTOLIC_COLOUR}'>━━</span>")
            .replace("%2", f"<span style='color:{DIASTOLIC_COLOUR}'>━━</span>")
        )
        titles = {
            "blood_pressure": bp_title,
            "heart_rate": self.tr("Heart rate (/min)"),
            "glucose": self.tr("Glucose (mmol/L)"),
            "weight": self.tr("Weight (kg)"),
        }
        first: pg.PlotItem | None = None
        for n, (key, title) in enumerate(titles.items()):
            plot = self.graphics.addPlot(row=n, col=0, axisItems={"bottom": MonthAxis()})
            plot.setTitle(title, color="#202020", size="9pt")
            plot.setMenuEnabled(False)
            plot.getViewBox().setMouseEnabled(x=True, y=False)
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen("#303030")
                plot.getAxis(axis).setPen("#909090")
            plot.getAxis("left").setWidth(42)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.plots[key] = plot

    def clear(self) -> None:
        for plot in self.plots.values():
            plot.clear()
        self.note.setText("")

    def _band(self, plot: pg.PlotItem, s: VitalSeries, colour: str) -> None:
        if s.low is None or s.high is None or not s.values:
            return
        tint = QColor(colour)
        tint.setAlpha(38)
        band = pg.LinearRegionItem(
            values=(s.low, s.high),
            orientation="horizontal",
            movable=False,
            brush=pg.mkBrush(tint),
            pen=pg.mkPen(None),
        )
        band.setZValue(-10)
        plot.addItem(band, ignoreBounds=True)

    def _series(self, plot: pg.PlotItem, s: VitalSeries, colour: str) -> None:
        if not s.values:
            return
        dots = {"symbol": "o", "symbolSize": 5, "symbolBrush": colour, "symbolPen": None}
        plot.plot(
            s.times,
            s.values,
            pen=pg.mkPen(colour, width=1.5),
            **(dots if len(s.values) <= DOTS_UP_TO else {}),
        )
        bad = [n for n, f in enumerate(s.flags) if f in ABNORMAL]
        if bad:
            plot.addItem(
                pg.ScatterPlotItem(
                    [s.times[n] for n in bad],
                    [s.values[n] for n in bad],
                    size=8,
                    brush=pg.mkBrush(FLAG_COLOUR),
                    pen=pg.mkPen("w", width=0.8),
                )
            )

    def _fit_y(self, plot: pg.PlotItem, series: list[VitalSeries]) -> None:
        values = [v for s in series for v in s.values]
        bounds = [b for s in series if s.values for b in (s.low, s.high) if b is not None]
        if not values:
            text = pg.TextItem(self.tr("No readings"), color="#909090", anchor=(0.5, 0.5))
            plot.addItem(text)
            text.setPos(0, 0)
            plot.setYRange(-1, 1)
            return
        low, high = min(values + bounds), max(values + bounds)
        pad = max((high - low) * 0.08, 1.0)
        plot.setYRange(low - pad, high + pad, padding=0)

    def show_trends(self, trends: dict[str, VitalSeries]) -> None:
        self.build()
        self.clear()
        bp = self.plots["blood_pressure"]
        sys_, dia = trends["systolic"], trends["diastolic"]
        self._band(bp, sys_, SYSTOLIC_COLOUR)
        self._band(bp, dia, DIASTOLIC_COLOUR)
        self._series(bp, sys_, SYSTOLIC_COLOUR)
        self._series(bp, dia, DIASTOLIC_COLOUR)
        self._fit_y(bp, [sys_, dia])
        for key, name in (
            ("heart_rate", "heart_rate"),
            ("glucose", "glucose"),
            ("weight", "weight"),
        ):
            self._band(self.plots[key], trends[name], LINE_COLOUR)
            self._series(self.plots[key], trends[name], LINE_COLOUR)
            self._fit_y(self.plots[key], [trends[name]])
        all_series = [
            trends[k] for k in ("systolic", "diastolic", "heart_rate", "glucose", "weight")
        ]
        times = [t for s in all_series for t in (s.times[:1] + s.times[-1:])]
        if times:
            span = max(times) - min(times)
            pad = max(span * 0.03, 86400.0)
            self.plots["blood_pressure"].setXRange(min(times) - pad, max(times) + pad, padding=0)
        total = sum(s.total for s in all_series)
        shown = sum(len(s.values) for s in all_series)
        self.readings_shown = shown
        if total > shown:
            self.note.setText(
                self.tr("%1 readings; the highest and lowest of each period are plotted.").replace(
                    "%1", str(total)
                )
            )
        elif total:
            self.note.setText(self.tr("%1 readings.").replace("%1", str(total)))
        else:
            self.note.setText(self.tr("No vitals recorded yet."))


# ------------------------------------------------------------------------- chart --
class ChartScreen(QWidget):
    """The "chart" page. ``show_patient(id)`` loads and shows a patient's chart."""

    loaded = Signal(str)  # patient id, after each (re)load has been shown

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
        self.placeholder.setStyleSheet("color: #6b6b6b; font-size: 14px;")
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
        ):
            shortcut(key, self, slot)
        session.bridge.notify.connect(self._on_event)

    # ---- layout -----------------------------------------------------------------------
    def _build_body(self) -> None:
        layout = QVBoxLayout(self.body)
        head = QHBoxLayout()
        names = QVBoxLayout()
        self.name = QLabel()
        self.name.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts = QLabel()
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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
        for b in (self.visit_button, self.consult_button, self.edit_button):
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
        timeline_page = QSplitter(Qt.Orientation.Vertical)
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
        timeline_page.addWidget(self.timeline)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        self.details = QTextBrowser()
        self.details.setAcceptDrops(False)
        self.details.viewport().setAcceptDrops(False)
        self.details.setOpenLinks(False)
        detail_layout.addWidget(self.details, 1)
        self.send_draft_button = QPushButton(self.tr("Send this draft to the specialist"))
        self.send_draft_button.clicked.connect(self.send_selected_draft)
        self.send_draft_button.hide()
        detail_layout.addWidget(self.send_draft_button)
        timeline_page.addWidget(detail)
        timeline_page.setSizes([300, 260])
        self.tabs.addTab(timeline_page, self.tr("Timeline"))
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
        for label in (self.name, self.facts, self.allergies, self.conditions, self.medications):
            label.setText("")
        self.timeline.clear()
        self.details.clear()
        self.send_draft_button.hide()
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
                view = await run_op(self, self.session.call(load_chart, self.session.store, pid))
                if view is not None and seq == self._seq and pid == self.patient_id:
                    await self._present(view)
                if not self._stale:
                    break
        finally:
            self._loading = False
            self.status.setText("")

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
        keep = self._current_entry_key()
        self.view = view
        p = view.patient
        self.name.setText(patient_name(p))
        self.facts.setText(
            "    ".join(fact_text(label, value) for label, value in patient_facts(p) if value)
        )
        self._fill_summary(view)
        self._fill_attachments(view)
        await asyncio.sleep(0)
        if self.view is not view:  # another patient was opened meanwhile
            return
        self._fill_timeline(view, keep)
        await asyncio.sleep(0)
        if self.view is not view:
            return
        self.trends.show_trends(view.trends)
        self._set_actions_enabled(True)
        self.loaded.emit(str(p["id"]))

    def _fill_summary(self, view: ChartView) -> None:
        none_text = html.escape(self.tr("None recorded"))
        none = f"<span style='color:#6b6b6b'>{none_text}</span>"
        allergies = []
        for a in view.allergies:
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

    def _current_entry_key(self) -> str | None:
        item = self.timeline.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole + 1) if item is not None else None

    def _fill_timeline(self, view: ChartView, keep: str | None) -> None:
        self.timeline.blockSignals(True)
        self.timeline.clear()
        items = []
        select = None
        labels = self._labels()
        for n, entry in enumerate(view.timeline):
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
        if item is None or self.view is None:
            return None
        n = item.data(0, Qt.ItemDataRole.UserRole)
        return self.view.timeline[n] if isinstance(n, int) else None

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
            self.session.call(chart_view.document_bytes, self.session.store, doc),
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
            self.session.call(export_for_viewer, self.session.store, doc),
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
                    documents.attach_file,
                    self.session.store,
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

    @asyncSlot()
    async def send_selected_draft(self) -> None:
        entry = self.selected_entry()
        if entry is None or entry.status != "draft":
            return
        await run_op(
            self,
            self.session.write(
                chart_view.send_draft,
                self.session.store,
                entry.resource["id"],
            ),
            disable=self.send_draft_button,
        )
