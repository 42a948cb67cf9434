"""Opening the SQLCipher database with a raw 256-bit key; backups through SQLite's backup API.

A failure to open is named by reading the file page by page (:mod:`local_store.pagecheck`):
a database another key wrote, a damaged page, a file cut off, a damaged log, or a fault of the
disk under it (:mod:`local_store.faults`). SQLCipher's own log lines are switched off: what
went wrong reaches the user once, as the product's error.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Both sqlcipher3 (Windows/macOS wheels) and sqlcipher3-binary (Linux) install this module.
from sqlcipher3 import dbapi2 as sqlcipher

from local_store import faults, pagecheck
from local_store.atomic import fsync_dir
from local_store.errors import RECOVER as RECOVER
from local_store.errors import (
    ClinicError,
    DatabaseDamaged,
    DatabaseMissing,
    DatabaseTruncated,
    IntegrityFailure,
    KeyMismatch,
    LogDamaged,
)

log = logging.getLogger(__name__)

Connection = Any  # sqlcipher3's Connection mirrors sqlite3.Connection
DatabaseError = sqlcipher.DatabaseError
SqliteIntegrityError = sqlcipher.IntegrityError


def _key_pragma(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("the database key must be 32 bytes")
    # A 64-hex-digit blob literal is used as the raw key: SQLCipher runs no KDF on it.
    return f"PRAGMA key = \"x'{key.hex()}'\""


def _pages(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5])
    return shown + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")


def diagnose(path: Path, key: bytes) -> IntegrityFailure | None:
    """Name the damage of a database SQLite could not read, from its pages and its log."""
    path = Path(path)
    wal = pagecheck.scan_wal(Path(f"{path}-wal"), key, pagecheck.file_salt(path))
    scan = pagecheck.scan_database(path, key)
    if scan.empty and wal.replayed == 0:
        return DatabaseMissing(
            f"The record database {path.name} is empty (0 bytes) although the profile's key"
            f" file is beside it: the records are not there. {RECOVER}",
            variant="empty", name=path.name, recover=RECOVER,
        )  # fmt: skip
    if scan.foreign and (scan.pages > 1 or not wal.replayed):
        return KeyMismatch(
            "The record database cannot be read with this profile's key: it was replaced by"
            " another database, or the key file belongs to another profile. " + RECOVER,
            variant="replaced", recover=RECOVER,
        )  # fmt: skip
    if scan.truncated:
        have = f"{scan.pages} of {scan.header_pages}" if scan.header_pages else f"{scan.pages}"
        partial = " and a partial page" if scan.ragged else ""
        return DatabaseTruncated(
            f"The record database file was cut off: it holds {have} pages{partial}. {RECOVER}",
            variant="of" if scan.header_pages else "count",
            pages=scan.pages, total=scan.header_pages, partial=partial, recover=RECOVER,
        )  # fmt: skip
    if scan.bad_pages or scan.zero_pages:
        bad = sorted(scan.bad_pages + scan.zero_pages)
        return DatabaseDamaged(
            f"The record database is damaged: {len(bad)} of {scan.pages} pages fail their check"
            f" (page {_pages(bad)}). {RECOVER}",
            variant="pages", bad=len(bad), total=scan.pages, pages=_pages(bad), recover=RECOVER,
        )  # fmt: skip
    if wal.damaged:
        return log_damaged(wal)
    return None


def log_damaged(wal: pagecheck.WalScan) -> LogDamaged:
    lost = ""
    if wal.commits_lost:
        lost = f"; {wal.commits_lost} committed changes after it cannot be read"
    where = f"at frame {wal.first_bad}" if wal.first_bad else "in its header"
    return LogDamaged(
        f"The database's change log (records.db-wal) is damaged {where}{lost}. {RECOVER}",
        variant="where", where=where, lost=lost, recover=RECOVER,
    )  # fmt: skip


def open_error(exc: BaseException, path: Path, key: bytes) -> ClinicError:
    """The named error for a failure met while opening (or first checking) the database."""
    named = faults.from_sqlite_error(
        exc, path.parent, doing="opening the record database", outcome="Nothing was changed."
    )
    if named is not None:
        return named
    try:
        found = diagnose(path, key)
    except OSError as err:
        return faults.from_os_error(
            err, path.parent, doing="reading the record database", outcome="Nothing was changed."
        )
    if found is not None:
        return found
    return unreadable(exc)


def unreadable(exc: BaseException) -> DatabaseDamaged:
    """The database failed in a way no check named: SQLite's own words, in brackets."""
    return DatabaseDamaged(
        f"The record database cannot be read ({exc}). {RECOVER}",
        variant="unreadable", detail=str(exc), recover=RECOVER,
    )  # fmt: skip


def connect(
    path: Path, key: bytes, *, durable: bool = True, readonly: bool = False, create: bool = False
) -> Connection:
    """Open the encrypted database at ``path`` (``create``: make it if it is not there).

    A failure raises the named error: :class:`KeyMismatch` only when the key is what fails.
    ``readonly`` opens it so that nothing (not even a checkpoint at close) writes to it.
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise DatabaseMissing(
                f"The record database {path.name} is missing from {path.parent}. {RECOVER}",
                variant="missing", name=path.name, folder=str(path.parent), recover=RECOVER,
            )  # fmt: skip
        # Create the file owner-only before SQLite writes to it (the WAL inherits the mode).
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise faults.from_os_error(
                exc, path.parent, doing="creating the record database"
            ) from None
    try:
        if readonly:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            conn = sqlcipher.connect(
                uri, uri=True, check_same_thread=False, isolation_level=None, timeout=5
            )
        else:
            conn = sqlcipher.connect(
                str(path), check_same_thread=False, isolation_level=None, timeout=30
            )
    except DatabaseError as exc:
        raise open_error(exc, path, key) from None
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(_key_pragma(key))
        conn.execute("PRAGMA cipher_memory_security = OFF")
        # Touch the schema: with a wrong key or damaged first page this fails here.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        # Decrypted pages stay in this cache: a bigger one saves AES+HMAC on every re-read.
        conn.execute("PRAGMA cache_size = -65536")
        # After a checkpoint the log file is cut back to this size, so it stays short.
        conn.execute("PRAGMA journal_size_limit = 8388608")
    except DatabaseError as exc:
        conn.close()
        raise open_error(exc, path, key) from None
    return conn


SHM_ROOM = 64 * 1024  # two regions of SQLite's log index: logs of up to ~8,000 frames


def preallocate_shm(path: Path, conn: Connection) -> int | None:
    """Give the memory-mapped log index (``-shm``) real disk blocks now.

    SQLite maps that file and writes it through memory: on a full disk a page that has no
    block behind it kills the process with SIGBUS instead of failing a call. Allocated here,
    a full disk is met as an error at open (nothing written yet) rather than as a crash.

    Returns the descriptor used, still open: the caller closes it only after ``conn``.
    Closing any descriptor of a file drops all of this process's POSIX locks on it, SQLite's
    "index in use" lock included; another process closing the profile would then take itself
    for the last one and remove the index under this one (SIGBUS here).
    """
    shm = Path(f"{path}-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except OSError:
        return None  # no index file (not in WAL mode yet, or an exclusive lock): nothing mapped
    try:
        os.posix_fallocate(fd, 0, SHM_ROOM)
    except OSError as exc:
        conn.close()
        os.close(fd)
        raise faults.from_os_error(
            exc, path.parent, doing="opening the record database", needed=SHM_ROOM,
            outcome="Nothing was changed.",
        ) from None  # fmt: skip
    return fd


@contextlib.contextmanager
def transaction(conn: Connection, mode: str = "IMMEDIATE") -> Iterator[Connection]:
    """One explicit transaction: commit on success, roll back on any exception."""
    conn.execute(f"BEGIN {mode}")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # SQLite may have rolled back already (a full disk at COMMIT); a failing ROLLBACK
        # must not hide the error that caused it.
        if conn.in_transaction:
            with contextlib.suppress(Exception):
                conn.execute("ROLLBACK")
        raise


def backup_to(conn: Connection, dest: Path, key: bytes) -> None:
    """Copy the live database into ``dest`` (encrypted with the same key) via the backup API.

    The copy is checked (``integrity_check``) before it takes its name; on any failure no file
    is left behind and the error is named (a full disk says where and how much is needed).
    """
    dest = Path(dest)
    partial = dest.with_name(f".{dest.name}.partial")
    doing = f"writing a copy of the record database to {dest.parent}"
    target = None
    try:
        partial.unlink(missing_ok=True)
        os.close(os.open(partial, os.O_CREAT | os.O_WRONLY, 0o600))
        target = sqlcipher.connect(str(partial), isolation_level=None)
        target.execute("PRAGMA cipher_log_level = NONE")
        target.execute(_key_pragma(key))
        conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE").fetchone()
        ok = target.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise DatabaseDamaged(
                "The copy of the record database failed its integrity check; the database"
                " itself is probably damaged (run `clinic-app check`). No copy was kept."
            )
        target.close()
        target = None
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, dest)
        fsync_dir(dest.parent)
    except BaseException as exc:
        if target is not None:
            with contextlib.suppress(Exception):
                target.close()
        with contextlib.suppress(OSError):
            partial.unlink()
        if isinstance(exc, OSError):
            raise faults.from_os_error(
                exc, dest.parent, doing=doing, needed=_db_size(conn), outcome="No copy was kept."
            ) from None
        if isinstance(exc, DatabaseError):
            named = faults.from_sqlite_error(
                exc, dest.parent, doing=doing, needed=_db_size(conn), outcome="No copy was kept."
            )
            if named is not None:
                raise named from None
        raise


def _db_size(conn: Connection) -> int | None:
    try:
        row = conn.execute("PRAGMA page_count").fetchone()
        return int(row[0]) * pagecheck.PAGE
    except Exception:
        return None


def integrity_check(
    conn: Connection, *, path: Path | None = None, key: bytes | None = None
) -> list[str]:
    """``PRAGMA integrity_check``: ["ok"] or what it found.

    On a page that fails its HMAC SQLCipher does not report a finding: the pragma itself fails,
    with SQLITE_ERROR ("SQL logic error"), SQLITE_CORRUPT or SQLITE_NOMEM. Any such failure is
    the named error: a fault of the medium, or the damage the pages show (``path`` and ``key``
    given), else :class:`DatabaseDamaged` with SQLite's words.
    """
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    except (DatabaseError, MemoryError) as exc:
        folder = Path(path).parent if path is not None else Path.cwd()
        named = faults.from_sqlite_error(
            exc, folder, doing="checking the record database", outcome="Nothing was changed."
        )
        if named is None and path is not None and key is not None:
            try:
                named = diagnose(Path(path), key)
            except OSError as err:
                named = faults.from_os_error(
                    err, folder, doing="reading the record database", outcome="Nothing was changed."
                )
        raise (named or unreadable(exc)) from None
