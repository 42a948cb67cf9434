"""A form's error messages, each under its field: the one way a screen shows a
:class:`~clinic_app.errors.ValidationError` from the core (at the field it names, translated by
its message) while nothing is saved.

    errors = FormErrors()
    form.addRow(self.tr("Reason"), errors.field("reason", reason_edit))
    ...
    errors.clear()
    done = await errors.saving(self.session.write(work))
    if done is None:
        return  # the core refused it: its message is under the field, nothing was written

A field the form does not have falls back to ``fallback`` (a label of its own, or the key of
one of the form's fields), else to the first field added. The core's writes are all-or-nothing,
so a refused write has saved nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator, Mapping
from typing import TypeVar

from PySide6.QtWidgets import QWidget

from clinic_app.errors import ValidationError
from ui.errors import tr_core
from ui.widgets import FieldError, with_error

T = TypeVar("T")


class FormErrors(Mapping[str, FieldError]):
    """The error labels of a form by field name (the names the core's ValidationError uses)."""

    def __init__(self, fallback: FieldError | str | None = None) -> None:
        self._labels: dict[str, FieldError] = {}
        self._aliases: dict[str, str] = {}
        self._fallback = fallback
        self.shown: FieldError | None = None  # where the last message went

    # ---- building ----------------------------------------------------------------------
    def field(self, key: str, widget: QWidget, *aliases: str) -> QWidget:
        """``widget`` with its error label right below it (to put in the form's layout)."""
        box, label = with_error(widget)
        self.add(key, label, *aliases)
        return box

    def add(self, key: str, label: FieldError, *aliases: str) -> FieldError:
        """A label of the form's own for ``key`` (and for the other names in ``aliases``)."""
        self._labels[key] = label
        for alias in aliases:
            self._aliases[alias] = key
        return label

    def discard(self, *keys: str) -> None:
        """Forget fields the form took down (e.g. when it rebuilds a part of itself)."""
        for key in keys:
            self._labels.pop(key, None)
        self._aliases = {a: k for a, k in self._aliases.items() if k in self._labels}

    # ---- Mapping -----------------------------------------------------------------------
    def __getitem__(self, key: str) -> FieldError:
        return self._labels[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)

    # ---- showing -----------------------------------------------------------------------
    def label_for(self, field: str) -> FieldError:
        """Where a message about ``field`` goes: its label, its alias's, else the fallback."""
        found = self._labels.get(field) or self._labels.get(self._aliases.get(field, ""))
        if found is not None:
            return found
        if isinstance(self._fallback, FieldError):
            return self._fallback
        if self._fallback is not None:
            return self._labels[self._fallback]
        return next(iter(self._labels.values()))

    def clear(self) -> None:
        """Hide every message (before the form is checked again)."""
        for label in self._labels.values():
            label.clear_message()
        if isinstance(self._fallback, FieldError):
            self._fallback.clear_message()

    def show(self, field: str, message: str) -> FieldError:
        """Show ``message`` (already translated) under ``field``; the label it went to."""
        label = self.label_for(field)
        label.show_message(message)
        self.shown = label
        return label

    def show_error(self, exc: ValidationError) -> FieldError:
        """Show the core's message (translated) under the field it names."""
        return self.show(exc.field, tr_core(exc.message))

    async def saving(self, write: Awaitable[T]) -> T | None:
        """Await a write; if the core refuses it (ValidationError), show why under the field
        and return None (nothing was saved). Other errors propagate to the caller's handler."""
        try:
            return await write
        except ValidationError as exc:
            self.show_error(exc)
            return None
