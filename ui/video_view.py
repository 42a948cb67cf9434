"""Video on screen: frames from the media layer are converted to QImages on a worker thread
(the latest frame wins; a frame that arrives while one is being converted replaces the waiting
one) and painted in ``paintEvent``, scaled with their aspect ratio. The GUI thread never
converts pixels.

A frame is anything with ``to_ndarray(format="rgb24")`` (PyAV's ``VideoFrame``) or an RGB
``numpy`` array of shape (height, width, 3).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

Inspect = Callable[[Any], Any]


def to_rgb(frame: Any) -> np.ndarray:
    if isinstance(frame, np.ndarray):
        return frame
    return frame.to_ndarray(format="rgb24")


class FrameSink(QObject):
    """Takes frames from any thread, converts the newest on one worker thread and emits
    ``ready(image, info)`` (queued to the GUI thread). ``inspect`` runs on the worker with the
    frame as given (e.g. to read its stamp) and its result travels with the image."""

    ready = Signal(QImage, object)

    def __init__(self, inspect: Inspect | None = None) -> None:
        super().__init__()
        self.inspect = inspect
        self._lock = threading.Lock()
        self._pending: Any = None
        self._busy = False
        self._closed = False
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="video-convert")
        self.offered = 0
        self.converted = 0

    def offer(self, frame: Any) -> None:
        with self._lock:
            if self._closed:
                return
            self.offered += 1
            self._pending = frame
            if self._busy:
                return  # the running conversion picks the newest frame up next
            self._busy = True
        self._worker.submit(self._drain)

    def _drain(self) -> None:
        while True:
            with self._lock:
                frame, self._pending = self._pending, None
                if frame is None or self._closed:
                    self._busy = False
                    return
            try:
                rgb = np.ascontiguousarray(to_rgb(frame))
                h, w = rgb.shape[:2]
                image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
                info = self.inspect(frame) if self.inspect is not None else None
            except Exception:  # a damaged frame is skipped, the next one will come
                continue
            self.converted += 1
            self.ready.emit(image, info)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._pending = None
        self._worker.shutdown(wait=True)


class VideoView(QWidget):
    """Paints the newest image of its sink; a message when there is none (or video is off)."""

    painted = Signal(object, float)  # the frame's info, time.time() after painting

    def __init__(self, inspect: Inspect | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sink = FrameSink(inspect)
        self.sink.ready.connect(self._on_ready)
        self.image: QImage | None = None
        self.info: Any = None
        self.received = 0  # images handed over by the sink
        self._painted_seq = 0
        self.message = ""
        self.frames_painted = 0
        self.mirror = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    def offer(self, frame: Any) -> None:
        self.sink.offer(frame)

    def clear(self, message: str = "") -> None:
        self.image = None
        self.message = message
        self.update()

    def set_message(self, message: str) -> None:
        self.message = message
        self.update()

    def _on_ready(self, image: QImage, info: Any) -> None:
        self.image, self.info = image, info
        self.received += 1
        self.update()

    def target_rect(self) -> QRect:
        if self.image is None or self.image.isNull():
            return self.rect()
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) // 2
        y = (self.height() - size.height()) // 2
        return QRect(x, y, size.width(), size.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#101418"))
        if self.image is not None and not self.message:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            target = self.target_rect()
            if self.mirror:  # a self view reads like a mirror
                painter.translate(target.x() * 2 + target.width(), 0)
                painter.scale(-1, 1)
            painter.drawImage(target, self.image)
            painter.resetTransform()
        if self.message:
            painter.setPen(QColor("#e8eaed"))
            painter.drawText(
                self.rect().adjusted(12, 12, -12, -12),
                int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                self.message,
            )
        painter.end()
        if self.image is not None and not self.message and self.received != self._painted_seq:
            self._painted_seq = self.received
            self.frames_painted += 1
            self.painted.emit(self.info, time.time())

    def close_sink(self) -> None:
        self.sink.close()
