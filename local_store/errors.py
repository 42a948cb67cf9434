"""The one exception hierarchy of the product: errors for users carry a message written for them."""

from __future__ import annotations


class ClinicError(Exception):
    """Base of every error the product raises on purpose.

    ``str(err)`` is a sentence meant for the person at the keyboard; it must never contain
    patient data (names, ID numbers, phone numbers, values), because it may be logged.
    """


class StoreError(ClinicError):
    """Something about the local record store."""


class WrongPassphrase(StoreError):
    """The passphrase or recovery key does not open this profile."""


class IntegrityFailure(StoreError):
    """Stored bytes were altered or damaged; nothing was returned from them."""


class StoreLocked(StoreError):
    """The store is locked; unlock it first."""


class NotFound(StoreError):
    """A record, user or attachment that does not exist."""


class SchemaTooNew(StoreError):
    """The profile was written by a newer version of the program."""


class ProfileExists(StoreError):
    """A profile already exists where a new one was to be created."""
