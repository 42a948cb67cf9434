"""Turning what the operating system and SQLite report into the product's named errors.

``OSError`` and SQLite's I/O codes never leave the core raw: a full disk becomes
:class:`DiskFull` naming the folder, how much is free and about how much is needed; a
read-only, removed or forbidden medium and an I/O error each get their own class. SQLite
reports some of these with one code (``SQLITE_IOERR`` for a failed fsync on a full disk,
``SQLITE_CANTOPEN`` for a missing folder or a permission), so the folder is probed with a small
real write to learn which it is.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path

from local_store.errors import (
    ClinicError,
    DiskFull,
    MediumRemoved,
    PermissionDenied,
    ProfileBusy,
    ReadOnlyMedium,
    StorageFault,
    StorageIOError,
)

# SQLite primary result codes (the low byte of an extended code).
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
DAMAGE_CODES = (SQLITE_CORRUPT, SQLITE_NOTADB)
MEDIUM_CODES = (SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN)

_GONE = {errno.ENODEV, errno.ENXIO, errno.ESTALE, errno.ENOTCONN, getattr(errno, "ENOMEDIUM", -1)}
LOW_SPACE = 256 * 1024  # less than this free: a write failure is taken for a full disk


def human(n: int | None) -> str:
    if n is None:
        return "an unknown amount"
    if n < 1024:
        return f"{n} bytes"
    for unit in ("KB", "MB", "GB", "TB"):
        n_f = n / 1000
        if n_f < 1000 or unit == "TB":
            return f"{n_f:.1f} {unit}"
        n = int(n_f)
    return f"{n} bytes"  # pragma: no cover


def free_bytes(folder: Path) -> int | None:
    """Free space for this user below ``folder`` (its nearest existing parent)."""
    path = Path(folder)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def sqlite_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def from_os_error(
    exc: OSError,
    folder: Path,
    *,
    doing: str,
    needed: int | None = None,
    outcome: str = "Nothing was saved.",
) -> StorageFault:
    """The named error for an ``OSError`` met while ``doing`` something in ``folder``."""
    folder = Path(folder)
    err = exc.errno
    if err in (errno.ENOSPC, errno.EDQUOT):
        return disk_full(folder, doing=doing, needed=needed, outcome=outcome)
    where = {"variant": "while", "folder": str(folder), "doing": doing, "outcome": outcome}
    if err == errno.EROFS:
        return ReadOnlyMedium(
            f"The disk holding {folder} is read-only (write-protected, or the system made it"
            f" read-only after errors) while {doing}. {outcome}",
            **where,
        )
    if err in (errno.EACCES, errno.EPERM):
        return PermissionDenied(
            f"Permission denied for {folder} while {doing}: this user may not write there."
            f" {outcome}",
            **where,
        )
    if err in _GONE or (err == errno.ENOENT and not _exists(folder)):
        return MediumRemoved(
            f"The disk or folder {folder} is no longer there (removed or disconnected) while"
            f" {doing}. {outcome}",
            **where,
        )
    return io_error(folder, doing=doing, outcome=outcome)


def io_error(folder: Path, *, doing: str, outcome: str) -> StorageIOError:
    return StorageIOError(
        f"The disk holding {folder} reported an input/output error while {doing}; it may be"
        f" failing. {outcome}",
        variant="while", folder=str(folder), doing=doing, outcome=outcome,
    )  # fmt: skip


def _exists(folder: Path) -> bool:
    try:
        return folder.exists()
    except OSError:
        return False


def disk_full(
    folder: Path, *, doing: str, needed: int | None = None, outcome: str = "Nothing was saved."
) -> DiskFull:
    free = free_bytes(folder)
    need = f", about {human(needed)} more is needed" if needed else ""
    return DiskFull(
        f"The disk is full: {folder} has {human(free)} free{need} (while {doing}). {outcome}"
        " Free some space and try again.",
        variant="needed" if needed else "while",
        folder=str(folder), free=free, needed=needed, doing=doing, outcome=outcome,
    )  # fmt: skip


def probe(folder: Path) -> OSError | None:
    """Write, sync and remove a small file in ``folder``: the OSError a real write meets now."""
    folder = Path(folder)
    tmp = folder / f".probe-{os.getpid()}"
    try:
        st = os.statvfs(folder)
        if st.f_flag & os.ST_RDONLY:
            return OSError(errno.EROFS, "read-only file system")
        if st.f_bavail * st.f_frsize < LOW_SPACE:
            return OSError(errno.ENOSPC, "no space left on device")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        return exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return None


def from_sqlite_error(
    exc: BaseException,
    folder: Path,
    *,
    doing: str,
    needed: int | None = None,
    outcome: str = "Nothing was saved.",
) -> ClinicError | None:
    """The named error for a medium-level SQLite failure; None for damage and other errors."""
    code = sqlite_code(exc)
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return ProfileBusy(
            "The profile is in use by another program (the workstation may be open); close it"
            f" and try again. {outcome}",
            variant="in_use", outcome=outcome,
        )  # fmt: skip
    if code not in MEDIUM_CODES:
        return None
    if code == SQLITE_FULL:
        return disk_full(folder, doing=doing, needed=needed, outcome=outcome)
    found = probe(folder)
    if found is not None:
        return from_os_error(found, folder, doing=doing, needed=needed, outcome=outcome)
    if code in (SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN):
        return PermissionDenied(
            f"The record database in {folder} cannot be opened for writing by this user while"
            f" {doing}. {outcome}",
            variant="database", folder=str(folder), doing=doing, outcome=outcome,
        )  # fmt: skip
    return io_error(folder, doing=doing, outcome=outcome)
