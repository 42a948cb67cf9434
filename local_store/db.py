"""Opening the SQLCipher database with a raw 256-bit key; backups through SQLite's backup API."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Both sqlcipher3 (Windows/macOS wheels) and sqlcipher3-binary (Linux) install this module.
from sqlcipher3 import dbapi2 as sqlcipher

from local_store.atomic import fsync_dir
from local_store.errors import IntegrityFailure

log = logging.getLogger(__name__)

Connection = Any  # sqlcipher3's Connection mirrors sqlite3.Connection
DatabaseError = sqlcipher.DatabaseError
SqliteIntegrityError = sqlcipher.IntegrityError


def _key_pragma(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("the database key must be 32 bytes")
    # A 64-hex-digit blob literal is used as the raw key: SQLCipher runs no KDF on it.
    return f"PRAGMA key = \"x'{key.hex()}'\""


def connect(path: Path, key: bytes, *, durable: bool = True) -> Connection:
    """Open (or create) the encrypted database at ``path``; raises IntegrityFailure on a bad key."""
    if not Path(path).exists():
        # Create the file owner-only before SQLite writes to it (the WAL inherits the mode).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    conn = sqlcipher.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    try:
        conn.execute(_key_pragma(key))
        conn.execute("PRAGMA cipher_memory_security = OFF")
        # Touch the schema: with a wrong key or damaged first page this fails here.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        # Decrypted pages stay in this cache: a bigger one saves AES+HMAC on every re-read.
        conn.execute("PRAGMA cache_size = -65536")
    except DatabaseError:
        conn.close()
        raise IntegrityFailure(
            "The record database cannot be read with this profile's key (damaged or replaced)."
        ) from None
    return conn


@contextlib.contextmanager
def transaction(conn: Connection, mode: str = "IMMEDIATE") -> Iterator[Connection]:
    """One explicit transaction: commit on success, roll back on any exception."""
    conn.execute(f"BEGIN {mode}")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def backup_to(conn: Connection, dest: Path, key: bytes) -> None:
    """Copy the live database into ``dest`` (encrypted with the same key) via the backup API."""
    partial = dest.with_name(f".{dest.name}.partial")
    if partial.exists():
        partial.unlink()
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY, 0o600))
    target = sqlcipher.connect(str(partial), isolation_level=None)
    try:
        target.execute(_key_pragma(key))
        conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE").fetchone()
        ok = target.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise IntegrityFailure("The backup copy failed its integrity check.")
    except BaseException:
        target.close()
        partial.unlink(missing_ok=True)
        raise
    target.close()
    with open(partial, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, dest)
    fsync_dir(dest.parent)


def integrity_check(conn: Connection) -> list[str]:
    return [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
