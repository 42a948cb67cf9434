"""Encrypted local record store: SQLCipher database, key slots, attachments, audit log, outbox."""

from local_store.errors import (
    IntegrityFailure,
    NotFound,
    SchemaTooNew,
    StoreError,
    StoreLocked,
    WrongPassphrase,
)
from local_store.store import Store

__all__ = [
    "IntegrityFailure",
    "NotFound",
    "SchemaTooNew",
    "Store",
    "StoreError",
    "StoreLocked",
    "WrongPassphrase",
]
