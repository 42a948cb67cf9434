"""The text size every screen follows: the application's font scaled by the chosen step (see
``ui.preferences``) and the visible keyboard focus frame, applied by ``apply_text_size``.

Screens may import this module (``ui.app`` uses it at start-up, the settings screen when the
doctor picks another size). Labels that need a larger or smaller font than the rest (a
patient's name, a field's error) use ``relative_font``: a factor of the application's font,
kept when the text size changes, instead of a fixed pixel size in their own style sheet."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QWidget

from ui import preferences

FOCUS_COLOUR = "#1a56b0"
# The keyboard focus is always visible: a thick blue frame on the control that has it.
FOCUS_STYLE = f"""
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QComboBox:focus, QSpinBox:focus,
QDoubleSpinBox:focus, QDateEdit:focus, QDateTimeEdit:focus, QTimeEdit:focus {{
    border: 2px solid {FOCUS_COLOUR}; border-radius: 3px;
}}
QPushButton:focus, QToolButton:focus {{
    border: 2px solid {FOCUS_COLOUR}; border-radius: 4px; padding: 3px 10px;
    background-color: palette(button);
}}
QCheckBox:focus, QRadioButton:focus {{ color: {FOCUS_COLOUR}; }}
QTableView:focus, QListView:focus, QTreeView:focus, QListWidget:focus, QTableWidget:focus {{
    border: 2px solid {FOCUS_COLOUR};
}}
"""
BASE_POINT_SIZE = "clinic_base_point_size"  # the system's font size, before any scaling
# Factors of the application's font for labels that stand out (``relative_font``).
TITLE = 1.5  # a screen's title, the patient's name on the chart
LARGE = 1.3  # a section's heading, a case's header
SMALL = 0.85  # a field's error under it


def apply_text_size(app: QApplication, step: int | None = None) -> float:
    """Set every screen's font to the chosen text size step (the stored preference when
    ``step`` is None) and the focus frame; returns the font's point size. Widgets without a
    font of their own follow the application's at once, open windows included; those with a
    ``relative_font`` follow it by their factor."""
    base = app.property(BASE_POINT_SIZE)
    if not base:
        base = app.font().pointSizeF()
        app.setProperty(BASE_POINT_SIZE, base)
    font = app.font()
    font.setPointSizeF(round(float(base) * preferences.font_scale(step), 1))
    app.setFont(font)
    sheet = app.styleSheet()
    if FOCUS_STYLE not in sheet:
        sheet += FOCUS_STYLE
    app.setStyleSheet("")  # under a style sheet, widgets take a new font only when re-polished
    app.setStyleSheet(sheet)
    # Un-polishing gave the widgets with a font of their own their old one back: now theirs.
    for widget in app.allWidgets():
        for follower in widget.findChildren(
            _RelativeFont, options=Qt.FindChildOption.FindDirectChildrenOnly
        ):
            follower.apply()
    return font.pointSizeF()


class _RelativeFont(QObject):
    """Keeps a widget's font at ``factor`` times the application's; ``apply_text_size``
    applies it again after a change (it is the widget's child: it ends with the widget)."""

    def __init__(
        self, widget: QWidget, factor: float, weight: QFont.Weight | None, fixed: bool = False
    ) -> None:
        super().__init__(widget)
        self.widget = widget
        self.factor = factor
        self.weight = weight
        self.fixed = fixed
        self.apply()

    def apply(self) -> None:
        font = QFont(QApplication.font())
        if self.fixed:
            font.setFamilies(
                QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).families()
            )
            font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(round(font.pointSizeF() * self.factor, 1))
        if self.weight is not None:
            font.setWeight(self.weight)
        self.widget.setFont(font)


def relative_font(
    widget: QWidget, factor: float = 1.0, *, weight: QFont.Weight | None = None,
    fixed: bool = False,
) -> None:  # fmt: skip
    """Give ``widget`` a font ``factor`` times the application's (bold etc. by ``weight``,
    the system's fixed-width family with ``fixed``) that follows the text size setting. Its
    style sheet must not set a font size."""
    for old in widget.findChildren(_RelativeFont):
        if old.parent() is widget:
            old.setParent(None)
            old.deleteLater()
    _RelativeFont(widget, factor, weight, fixed)
