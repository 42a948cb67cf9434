"""The side panels of the consult room: in-call chat, files shared over the call's data channel
(with progress; a received file can be viewed and kept in the chart) and live vitals (the clinic
pushes a new reading; both sides see them with their flags).

The panels only show and collect; the room (ui/consult_room.py) owns the call and passes the
data channel's events in."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clinic_app.records.vitals import VITALS, interpretation, normalize_value
from media.datachannel import ChatMessage, FileProgress, ReceivedFile, VitalReading
from ui.clinical_text import flag_text, vital_label
from ui.widgets import FieldError

LIVE_VITALS = ("systolic", "diastolic", "heart_rate", "spo2", "temperature", "glucose_mmol")
FLAG_COLORS = {"H": "#b3261e", "L": "#b3261e", "HH": "#7a0b0b", "LL": "#7a0b0b"}


def clock(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%H:%M:%S")


class ChatPanel(QWidget):
    """Messages of this call; Enter sends."""

    send = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.log = QTextBrowser()
        self.log.setOpenLinks(False)
        layout.addWidget(self.log, 1)
        row = QHBoxLayout()
        self.entry = QLineEdit()
        self.entry.setPlaceholderText(self.tr("Type a message and press Enter"))
        self.entry.returnPressed.connect(self._send)
        self.button = QPushButton(self.tr("Send"))
        self.button.clicked.connect(self._send)
        row.addWidget(self.entry, 1)
        row.addWidget(self.button)
        layout.addLayout(row)
        self.messages: list[ChatMessage] = []

    def _send(self) -> None:
        text = self.entry.text().strip()
        if text:
            self.send.emit(text)

    def sent(self, message: ChatMessage) -> None:
        self.entry.clear()
        self.add(message)

    def add(self, message: ChatMessage) -> None:
        self.messages.append(message)
        who = self.tr("You") if message.mine else self.tr("Other side")
        color = "#1a5fb4" if message.mine else "#1e7b34"
        text = message.text.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>")
        self.log.append(
            f'<p><span style="color:{color};font-weight:600">{who}</span> '
            f'<span style="color:#777">{clock(message.at)}</span><br>{text}</p>'
        )


class FilesPanel(QWidget):
    """Files shared during the call. ``share_file`` / ``share_document`` ask the room to send;
    ``keep`` asks it to store a received file in the patient's chart."""

    share_file = Signal()
    share_document = Signal(str)  # DocumentReference id
    keep = Signal(str)  # transfer id
    view = Signal(str)  # transfer id

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.chart_label = QLabel(self.tr("From the chart"))
        layout.addWidget(self.chart_label)
        self.documents = QListWidget()
        self.documents.setMaximumHeight(120)
        layout.addWidget(self.documents)
        row = QHBoxLayout()
        self.share_doc_button = QPushButton(self.tr("Share selected"))
        self.share_doc_button.clicked.connect(self._share_doc)
        self.share_file_button = QPushButton(self.tr("Share a file…"))
        self.share_file_button.clicked.connect(self.share_file.emit)
        row.addWidget(self.share_doc_button)
        row.addWidget(self.share_file_button)
        layout.addLayout(row)
        layout.addWidget(QLabel(self.tr("Transfers")))
        self.transfers = QVBoxLayout()
        box = QWidget()
        box.setLayout(self.transfers)
        layout.addWidget(box)
        self.received_list = QListWidget()
        self.received_list.itemDoubleClicked.connect(
            lambda item: self.view.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        layout.addWidget(QLabel(self.tr("Received")))
        layout.addWidget(self.received_list, 1)
        row = QHBoxLayout()
        self.view_button = QPushButton(self.tr("View"))
        self.view_button.clicked.connect(lambda: self._emit_selected(self.view))
        self.keep_button = QPushButton(self.tr("Keep in the chart"))
        self.keep_button.clicked.connect(lambda: self._emit_selected(self.keep))
        row.addWidget(self.view_button)
        row.addWidget(self.keep_button)
        layout.addLayout(row)
        self.bars: dict[str, tuple[QLabel, QProgressBar]] = {}
        self.received: dict[str, ReceivedFile] = {}

    def set_documents(self, docs: list[tuple[str, str]]) -> None:
        """(DocumentReference id, title) of the chart's attachments that can be shared."""
        self.documents.clear()
        for doc_id, title in docs:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, doc_id)
            self.documents.addItem(item)
        self.share_doc_button.setEnabled(bool(docs))

    def _share_doc(self) -> None:
        item = self.documents.currentItem()
        if item is not None:
            self.share_document.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def _emit_selected(self, signal: SignalInstance) -> None:
        item = self.received_list.currentItem()
        if item is not None:
            signal.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def progress(self, p: FileProgress) -> None:
        if p.transfer_id not in self.bars:
            label, bar = QLabel(), QProgressBar()
            self.transfers.addWidget(label)
            self.transfers.addWidget(bar)
            self.bars[p.transfer_id] = (label, bar)
        label, bar = self.bars[p.transfer_id]
        arrow = "↑" if p.direction == "send" else "↓"
        label.setText(f"{arrow} {p.name}")
        bar.setRange(0, max(1, p.total))
        bar.setValue(p.done)
        bar.setFormat(self.tr("%p% of %1 MB").replace("%1", f"{p.total / 1_048_576:.1f}"))

    def failed(self, transfer_id: str, message: str) -> None:
        if transfer_id in self.bars:
            bar = self.bars[transfer_id][1]
            bar.setFormat(message)
            bar.setStyleSheet("color: #b3261e;")

    def add_received(self, file: ReceivedFile) -> None:
        self.received[file.transfer_id] = file
        size = f"{len(file.data) / 1_048_576:.1f} MB"
        item = QListWidgetItem(f"{file.name} ({size}) ✓")
        item.setToolTip(self.tr("Arrived intact (SHA-256 checked)"))
        item.setData(Qt.ItemDataRole.UserRole, file.transfer_id)
        self.received_list.addItem(item)
        self.received_list.setCurrentItem(item)


class VitalsPanel(QWidget):
    """Live readings: the clinic enters and pushes one; both sides list them with flags."""

    push = Signal(str, float)  # vital key, value in the stored unit

    def __init__(self, can_push: bool) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.entry_box = QWidget()
        row = QHBoxLayout(self.entry_box)
        row.setContentsMargins(0, 0, 0, 0)
        self.kind = QComboBox()
        for key in LIVE_VITALS:
            self.kind.addItem(vital_label(key), key)
        self.value = QLineEdit()
        self.value.setMaximumWidth(90)
        self.unit = QLabel()
        self.button = QPushButton(self.tr("Send reading"))
        self.button.clicked.connect(self._push)
        self.value.returnPressed.connect(self._push)
        self.kind.currentIndexChanged.connect(self._unit)
        for w in (self.kind, self.value, self.unit, self.button):
            row.addWidget(w)
        layout.addWidget(self.entry_box)
        self.error = FieldError()
        layout.addWidget(self.error)
        self.entry_box.setVisible(can_push)
        self.list = QListWidget()
        layout.addWidget(self.list, 1)
        self.readings: list[VitalReading] = []
        self._unit()

    def _unit(self, _index: int = 0) -> None:
        self.unit.setText(VITALS[str(self.kind.currentData())].unit_label)

    def _push(self) -> None:
        self.error.clear_message()
        key = str(self.kind.currentData())
        try:
            value = normalize_value(key, self.value.text())
        except Exception as exc:  # ValidationError: shown next to the field
            from ui.errors import tr_core

            self.error.show_message(tr_core(str(getattr(exc, "message", exc))))
            return
        self.push.emit(key, float(value))

    def sent(self, reading: VitalReading) -> None:
        self.value.clear()
        self.add(reading)

    def add(self, reading: VitalReading) -> None:
        self.readings.append(reading)
        key = next((k for k, s in VITALS.items() if s.loinc == reading.code), None)
        name = vital_label(key) if key else (reading.display or reading.code)
        flag = interpretation(key, reading.value) if key else None
        unit = VITALS[key].unit_label if key else reading.unit
        who = self.tr("sent") if reading.mine else self.tr("received")
        value = f"{reading.value:g}"
        text = f"{clock(reading.at)}  {name} {value} {unit}"
        if flag:
            text += f"  ⚠ {flag_text(flag)}"
        item = QListWidgetItem(f"{text}  ({who})")
        if flag:
            item.setForeground(QColor(FLAG_COLORS.get(flag, "#b3261e")))
        self.list.insertItem(0, item)


def image_of(file: ReceivedFile) -> QImage | None:
    """A received image as a QImage (None when it is not an image Qt can read)."""
    image = QImage()
    return image if image.loadFromData(file.data) else None
