"""Small shared widgets: a form field with its error message shown right below it; window sizes
that fit the screen they open on; the Save / Discard / Cancel question before a form with
unsaved input closes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRect
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.text_size import SMALL, relative_font

ERROR_STYLE = "color: #b3261e;"  # its size: SMALL times the text size chosen (ui.text_size)


class FieldError(QLabel):
    """A red one-line message under an input; hidden while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        relative_font(self, SMALL)
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


def tr(text: str) -> str:
    return QCoreApplication.translate("widgets", text)


def name_clear_button(edit: QLineEdit, name: str) -> None:
    """Give a line edit's clear button (an icon only) a name screen readers say and a tip."""
    edit.setClearButtonEnabled(True)
    for button in edit.findChildren(QToolButton):
        button.setAccessibleName(name)
        button.setToolTip(name)


class UnsavedGuard(QObject):
    """Asks "Save, Discard or Cancel?" before a form with unsaved input closes.

    The dialog's ``reject`` (its Close or Cancel button, Escape, the title bar's close: a
    QDialog's close event calls ``reject``) first asks :meth:`allows_close`. With nothing typed
    the dialog closes at once; else the question opens without blocking the event loop: Save
    runs ``save`` (True once stored) and closes, Discard closes, Cancel keeps every field.
    """

    def __init__(
        self, dialog: QDialog, dirty: Callable[[], bool], save: Callable[[], Awaitable[bool]]
    ) -> None:
        super().__init__(dialog)
        self._dialog = dialog
        self._dirty = dirty
        self._save = save
        self._leaving = False
        self._task: asyncio.Future[None] | None = None
        self.box: QMessageBox | None = None  # the open question, if any
        self.save_button: QAbstractButton | None = None
        self.discard_button: QAbstractButton | None = None
        self.cancel_button: QAbstractButton | None = None

    def allows_close(self) -> bool:
        """True when the dialog may close now; else the question is (already) open."""
        if self._leaving or not self._dirty():
            return True
        if self.box is None and (self._task is None or self._task.done()):
            self._task = asyncio.ensure_future(self._ask())
        return False

    async def _ask(self) -> None:
        box = QMessageBox(self._dialog)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(tr("Unsaved input"))
        box.setText(tr("Save what you entered before closing?"))
        box.setInformativeText(tr("If you discard it, what you entered in this form is lost."))
        save = box.addButton(tr("Save"), QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton(tr("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(tr("Cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)
        box.setEscapeButton(cancel)
        self.save_button, self.discard_button, self.cancel_button = save, discard, cancel
        answer: asyncio.Future[QAbstractButton | None] = asyncio.get_running_loop().create_future()

        def finished(_result: int) -> None:
            if not answer.done():
                answer.set_result(box.clickedButton())

        def gone() -> None:  # the form went away meanwhile (the workstation locked)
            if not answer.done():
                answer.set_result(None)

        box.finished.connect(finished)
        box.destroyed.connect(gone)
        self.box = box
        box.open()
        try:
            clicked = await answer
        finally:
            self.box = None
            if shiboken6.isValid(box):
                box.deleteLater()
        if clicked is None or not shiboken6.isValid(self._dialog):
            return
        if clicked is discard or (clicked is save and await self._save()):
            self._close()

    def _close(self) -> None:
        self._leaving = True
        if shiboken6.isValid(self._dialog) and self._dialog.isVisible():
            self._dialog.reject()
