"""The one error dialog of the application.

Errors meant for users (``ClinicError``) are shown in the user's language, translated by their
stable code (:func:`tr_error`, with the values they carry filled in), with the code itself in
small print below, as the command line prints it. Anything else is shown as "an unexpected
problem" with a "Copy details" button; the details hold the exception type and the code
locations only, never messages or values, so no patient data can be copied out.
"""

from __future__ import annotations

import logging
import re
import traceback

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from clinic_app.errors import ClinicError, ValidationError, human_size
from ui import error_texts

log = logging.getLogger(__name__)


def safe_details(exc: BaseException) -> str:
    """Exception type and stack (file, line, function) without messages or local values."""
    lines = [f"{type(exc).__module__}.{type(exc).__qualname__}"]
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(f"  {frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} in {frame.name}")
    return "\n".join(lines)


def show_error(parent: QWidget | None, exc: BaseException) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QApplication.translate("errors", "Problem"))
    if isinstance(exc, ClinicError):
        box.setText(tr_error(exc))
        if exc.code != ClinicError.code:  # the generic code says nothing to support staff
            box.setInformativeText(f"<small>[{exc.code}]</small>")
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
    return box


def field_message(exc: ValidationError) -> tuple[str, str]:
    return exc.field, exc.message


# Core messages that carry values: the pattern finds the values, the template (a core message
# with %1, %2 … in their place) is what is translated.
TEMPLATES: list[tuple[re.Pattern[str], str]] = [
    (  # the central platform's refusal of a record (central/validation.py)
        re.compile(r"The resource is not a valid (?:FHIR R4 )?(\w+) \((.+)\)\."),
        "The resource is not a valid %1 (%2).",
    ),
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


def tr_error(exc: ClinicError) -> str:
    """An error of the core in the user's language, found by its code.

    1. the sentence of its key (``code.variant``) when the error carries all its values;
    2. else its own sentence when that is translated as written (sentences without values), or
       matched by ``TEMPLATES`` above (messages of the central platform);
    3. else the sentence of its code, which needs no values (not for the catch-all ``ERROR``,
       whose own words say more), when the user's language has it;
    4. else its own sentence.
    """
    if exc.variant:
        template = error_texts.TEMPLATES.get(exc.key)
        if template is not None and error_texts.fields(template) <= exc.params.keys():
            return _fill(template, exc.params)
    message = str(exc)
    translated = tr_core(message)
    if translated != message:
        return translated
    base = error_texts.TEMPLATES.get(exc.code)
    if base is not None and exc.code != ClinicError.code:
        shown = QApplication.translate("core", base)
        if shown != base or not message:
            return shown
    return message


def _fill(template: str, params: dict[str, object]) -> str:
    values = {name: _value(name, value) for name, value in params.items()}
    return error_texts.fill(QApplication.translate("core", template), values)


def _value(name: str, value: object) -> str:
    """One value of an error, shown: byte counts as sizes, English phrases translated."""
    if name in error_texts.BYTES:
        if value is None or value == "":
            return QApplication.translate("core", "an unknown amount")
        n = int(str(value))
        if n < 1024:
            return error_texts.fill(QApplication.translate("core", "{n} bytes"), {"n": str(n)})
        return human_size(n)  # KB, MB, GB read the same in both languages
    if value is None:
        return ""
    return _phrase(str(value))


def _phrase(text: str) -> str:
    found = error_texts.match_phrase(text)
    if found is None:
        return text  # a folder, a number, SQLite's own words
    phrase, values = found
    inner = {name: _phrase(value) for name, value in values.items()}
    return error_texts.fill(QApplication.translate("core", phrase), inner)
