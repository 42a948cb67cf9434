"""Errors of the core: the store's base exception plus field-level validation errors."""

from __future__ import annotations

from local_store.errors import ClinicError, NotFound, StoreError, WrongPassphrase


class ValidationError(ClinicError):
    """Input that cannot be saved. ``field`` names the input field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ImportFailed(ClinicError):
    """A file to import is malformed; nothing from it was stored."""


__all__ = [
    "ClinicError",
    "ImportFailed",
    "NotFound",
    "StoreError",
    "ValidationError",
    "WrongPassphrase",
]
