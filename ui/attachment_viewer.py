"""Attachments outside the chart's lists: the image viewer (wheel zoom around the pointer,
drag to pan) for pictures decrypted in memory, and the way out to the system viewer: a
decrypted copy, owner-only and named by a random id, in a private folder that is emptied when
the workstation locks and when the program ends. Used by the chart, the specialist's desk and
the consult room."""

from __future__ import annotations

import atexit
import mimetypes
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPixmap, QShowEvent, QWheelEvent
from PySide6.QtWidgets import (
    QDialog,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.records.common import Resource
from ui.widgets import fit_to_screen, shortcut

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


def export_for_viewer(clinic: Clinic, doc: Resource) -> Path:
    """Decrypt a document (on the store thread) to an owner-only file in the private folder.
    The file is named by a random id, not by the title (which may carry the patient's name)."""
    ext = mimetypes.guess_extension(mime_of(doc)) or ".bin"
    dest = private_temp_dir() / f"{uuid.uuid4().hex}{ext}"
    clinic.documents.save_copy(doc, dest)
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
