"""Small shared widgets: a form field with its error message shown right below it; window sizes
that fit the screen they open on."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

ERROR_STYLE = "color: #b3261e; font-size: 11px;"


class FieldError(QLabel):
    """A red one-line message under an input; hidden while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.show_message("")


def with_error(widget: QWidget) -> tuple[QWidget, FieldError]:
    """A container holding ``widget`` and its error label."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(widget)
    error = FieldError()
    layout.addWidget(error)
    return box, error


def available_area(widget: QWidget | None = None) -> QRect:
    """The usable part (without task bars) of the screen ``widget`` is on, or the primary."""
    screen = widget.screen() if widget is not None else None
    screen = screen or QGuiApplication.primaryScreen()
    if screen is None:  # no screen at all (should not happen even offscreen)
        return QRect(0, 0, 1366, 768)
    return screen.availableGeometry()


def fit_to_screen(widget: QWidget, width: int, height: int, share: float = 0.96) -> None:
    """Resize to ``width`` x ``height`` but never beyond ``share`` of the screen's usable area
    (a 1366x768 clinic screen keeps the bottom of every window on screen); at least the
    widget's minimum size."""
    area = available_area(widget)
    frame = 40  # title bar and borders the window manager adds
    w = min(width, int(area.width() * share))
    h = min(height, int(area.height() * share) - frame)
    minimum = widget.minimumSize()
    widget.resize(max(w, minimum.width()), max(h, minimum.height()))


def clamp_geometry(rect: QRect, area: QRect) -> QRect:
    """A remembered window rectangle moved and shrunk to lie inside ``area`` (the screen may
    be smaller or elsewhere than when it was saved)."""
    w = min(rect.width(), area.width())
    h = min(rect.height(), area.height())
    x = min(max(rect.x(), area.x()), area.x() + area.width() - w)
    y = min(max(rect.y(), area.y()), area.y() + area.height() - h)
    return QRect(x, y, w, h)


def shortcut(keys: str, parent: QWidget, slot: Callable[[], object]) -> QShortcut:
    """A keyboard shortcut on ``parent`` that calls ``slot`` (typed: PySide6's stubs reject the
    ``activated=`` keyword of QShortcut's constructor)."""
    made = QShortcut(QKeySequence(keys), parent)
    made.activated.connect(slot)
    return made
