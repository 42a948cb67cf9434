"""Encrypted local record store: SQLCipher database, key slots, attachments, audit log, outbox."""

from local_store.errors import (
    IntegrityFailure,
    NotFound,
    SchemaTooNew,
    StoreError,
    StoreLocked,
    WrongPassphrase,
)

__all__ = [
    "IntegrityFailure",
    "NotFound",
    "SchemaTooNew",
    "Store",
    "StoreError",
    "StoreLocked",
    "WrongPassphrase",
]


def __getattr__(name: str) -> object:
    # Lazy: `local_store.errors` (the error classes the whole product shares) must not load
    # SQLCipher, sqlite-utils and numpy into the central platform, which imports only those.
    if name == "Store":
        from local_store.store import Store

        return Store
    raise AttributeError(name)
