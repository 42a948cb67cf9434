"""The base of the product's one exception hierarchy, below every other package.

Dependency direction: ``clinic_errors`` <- ``local_store`` <- ``clinic_app`` <- ``media`` <- ``ui``,
and ``central`` imports it too. This package imports nothing of the project (and nothing
outside the standard library), so the central server and the store can both raise errors of
the one hierarchy without loading each other.

Every class has a stable ``code`` (shown on the command line and in the GUI, searchable in the
manual; the GUI and the web desk say an error by it in English or Chinese, ``texts.py``) and an
``exit_status`` the command line exits with, distinct per class of fault, so scripts and support
staff can tell a full disk from a damaged database without parsing text.

An error that carries values (a folder, an amount, page numbers) also carries them apart from
its sentence: ``params`` holds them by name and ``variant`` says which of the class's sentences
it is, so the GUI translates it by ``key`` (``code`` or ``code.variant``) and fills the values
into the translated sentence instead of matching English text.

The subclasses live with the part that raises them: the store's faults in
``local_store/errors.py``, the core's in ``clinic_app/errors.py``, calls' in ``media/errors.py``,
the central platform's answers in ``central/errors.py``, the sync protocol's in
``clinic_app/sync/protocol.py``.
"""

from __future__ import annotations

__all__ = ["ClinicError"]


class ClinicError(Exception):
    """Base of every error the product raises on purpose.

    ``str(err)`` is a sentence meant for the person at the keyboard; it must never contain
    patient data (names, ID numbers, phone numbers, values), because it may be logged.
    ``code`` is stable (a subclass sets its own; an instance may set a more precise one, as
    the central platform's answers do).
    """

    code: str = "ERROR"
    exit_status: int = 1

    def __init__(self, message: str = "", *, variant: str = "", **params: object) -> None:
        super().__init__(message)
        self.variant = variant
        self.params: dict[str, object] = params

    @property
    def key(self) -> str:
        """What the GUI translates this error by: ``code``, or ``code.variant``."""
        return f"{self.code}.{self.variant}" if self.variant else self.code
