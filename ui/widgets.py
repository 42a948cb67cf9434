"""Small shared widgets: a form field with its error message shown right below it."""

from __future__ import annotations

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
