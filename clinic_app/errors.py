"""Errors of the core: the product's one base exception (defined in ``clinic_errors``, below
the store), field-level validation errors, the store's faults screens name, and what screens
need to word those faults (the recovery advice the core's sentences end with, sizes written
as the core writes them) without reaching into the store."""

from __future__ import annotations

from clinic_errors import ClinicError
from local_store.errors import (
    RECOVER,
    RECOVER_BEHIND,
    NotFound,
    StoreError,
    WrongPassphrase,
)
from local_store.faults import human as human_size


class ValidationError(ClinicError):
    """Input that cannot be saved. ``field`` names the input field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ImportFailed(ClinicError):
    """A file to import is malformed; nothing from it was stored."""


__all__ = [
    "RECOVER",
    "RECOVER_BEHIND",
    "ClinicError",
    "ImportFailed",
    "NotFound",
    "StoreError",
    "ValidationError",
    "WrongPassphrase",
    "human_size",
]
