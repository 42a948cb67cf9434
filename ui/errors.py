"""The one error dialog of the application.

Errors meant for users (``ClinicError``) are shown as written. Anything else is shown as "an
unexpected problem" with a "Copy details" button; the details hold the exception type and the
code locations only, never messages or values, so no patient data can be copied out.
"""

from __future__ import annotations

import logging
import re
import traceback

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from clinic_app.errors import ClinicError, ValidationError

log = logging.getLogger(__name__)


def safe_details(exc: BaseException) -> str:
    """Exception type and stack (file, line, function) without messages or local values."""
    lines = [f"{type(exc).__module__}.{type(exc).__qualname__}"]
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(f"  {frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} in {frame.name}")
    return "\n".join(lines)


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QApplication.translate("errors", "Problem"))
    if isinstance(exc, ClinicError):
        box.setText(tr_core(str(exc)))
    else:
        log.error("unexpected failure: %s", safe_details(exc))
        box.setText(
            QApplication.translate(
                "errors",
                "An unexpected problem occurred. Your saved records are safe. "
                "If it happens again, copy the details for support.",
            )
        )
        details = safe_details(exc)
        copy = box.addButton(
            QApplication.translate("errors", "Copy details"), QMessageBox.ButtonRole.ActionRole
        )
        copy.clicked.disconnect()
        copy.clicked.connect(lambda: QApplication.clipboard().setText(details))
        box.setDetailedText(details)
    box.addButton(QMessageBox.StandardButton.Close)
    box.open()


def field_message(exc: ValidationError) -> tuple[str, str]:
    return exc.field, exc.message


# Core messages that carry values: the pattern finds the values, the template (a core message
# with %1, %2 … in their place) is what is translated.
TEMPLATES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"This workstation runs version (\S+); the central platform needs version (\S+) or "
            r"newer\. Install the update from (\S+)\."
        ),
        "This workstation runs version %1; the central platform needs version %2 or newer. "
        "Install the update from %3.",
    ),
    (
        re.compile(
            r"This workstation runs version (\S+); the central platform needs version (\S+) or "
            r"newer\. Ask the central platform's administrator for the update\."
        ),
        "This workstation runs version %1; the central platform needs version %2 or newer. "
        "Ask the central platform's administrator for the update.",
    ),
]


def tr_core(message: str) -> str:
    """A message written by the core, in the user's language when a translation exists."""
    translated = QApplication.translate("core", message)
    if translated != message:
        return translated
    for pattern, template in TEMPLATES:
        found = pattern.fullmatch(message)
        if found:
            text = QApplication.translate("core", template)
            for n, value in enumerate(found.groups(), start=1):
                text = text.replace(f"%{n}", value)
            return text
    return translated
