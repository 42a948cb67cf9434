"""``clinic-app check``: the state of every part of a profile, and the check of a written backup.

A profile is checked part by part, reading only (a read-only database connection, the mark
file opened read-only), so that a check never makes a loss final or changes what it reports:

* the key file: present, its checksum sound, the data key it wraps matches its key check;
* the database: every page's HMAC (:mod:`local_store.pagecheck`), then ``PRAGMA quick_check``
  (or ``integrity_check`` and the audit chain with ``full``);
* the change log (WAL): replayed as SQLite would, so a damaged frame before committed ones is
  found;
* the high-water mark: the database holds at least every change acknowledged as saved;
* every attachment: decrypts and verifies; missing files are counted.

Each part gets one line and a verdict; a damaged part carries the class of its fault (so its
code and exit status are those of :mod:`local_store.errors`). :func:`check_archive` reads a
backup archive back after it was written: its database opens, passes ``quick_check`` and holds
the counts of the source, and every attachment in it decrypts and verifies.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from local_store import audit as audit_log
from local_store import db as dbmod
from local_store import faults, pagecheck
from local_store.attachments import AttachmentVault
from local_store.errors import (
    AttachmentDamaged,
    ClinicError,
    DatabaseDamaged,
    DatabaseMissing,
    DatabaseTruncated,
    IntegrityFailure,
    KeyFileDamaged,
    KeyFileMissing,
    KeyMismatch,
    LogDamaged,
    NotFound,
    StorageFault,
    StorageIOError,
    StoreBehind,
    WrongPassphrase,
)
from local_store.highwater import HighWaterMark, parse_head
from local_store.keyslots import KeyHeader
from local_store.opening import compare, db_state
from local_store.schema import schema_version
from local_store.store import (
    ATTACHMENTS,
    DB_NAME,
    HEADER_NAME,
    PENDING_HEADER,
    Store,
    _subkey,
)

Verdict = Literal["ok", "warning", "damaged", "unchecked"]
# What a read of a damaged database raises: SQLCipher answers a page that fails its HMAC with
# SQLITE_NOMEM on some paths, which Python raises as MemoryError.
SQL_FAILURES: tuple[type[BaseException], ...] = (dbmod.DatabaseError, MemoryError)
Credentials = Callable[[list[str]], tuple[str, str]]  # user names -> (user, passphrase)
Hold = Callable[[], AbstractContextManager[object]]
Stop = Callable[[], bool]  # true: give up (what was found since is not reported)

_WORDS = {"ok": "ok", "warning": "WARNING", "damaged": "DAMAGED", "unchecked": "not checked"}


@dataclass(frozen=True)
class PartReport:
    """One part of the profile: its verdict, one line of detail, the class of its fault."""

    name: str
    verdict: Verdict
    detail: str
    fault: type[ClinicError] | None = None
    items: tuple[str, ...] = ()  # e.g. the vault names of damaged attachments (no patient data)

    @property
    def code(self) -> str | None:
        return self.fault.code if self.fault is not None else None

    def line(self) -> str:
        tail = f" [{self.code}]" if self.verdict == "damaged" and self.code else ""
        return f"{self.name:<16} {_WORDS[self.verdict]:<11} {self.detail}{tail}"


@dataclass(frozen=True)
class CheckReport:
    """What ``check`` found, part by part, in the order the parts depend on each other."""

    profile: Path
    full: bool
    parts: tuple[PartReport, ...]

    @property
    def ok(self) -> bool:
        return all(p.verdict in ("ok", "warning") for p in self.parts)

    @property
    def damaged(self) -> list[PartReport]:
        return [p for p in self.parts if p.verdict == "damaged"]

    @property
    def fault(self) -> type[ClinicError] | None:
        """The fault of the first damaged part: the key file before the database before the
        log before the mark before the attachments (each needs the ones before it)."""
        for part in self.damaged:
            if part.fault is not None:
                return part.fault
        return None if self.ok else IntegrityFailure

    @property
    def exit_status(self) -> int:
        fault = self.fault
        return 0 if fault is None else fault.exit_status

    def part(self, name: str) -> PartReport:
        return next(p for p in self.parts if p.name == name)

    def lines(self) -> list[str]:
        return [p.line() for p in self.parts]

    def verdict(self) -> str:
        """One sentence: no damage found, or which parts are damaged and what to do."""
        if self.ok:
            warned = [p.name for p in self.parts if p.verdict == "warning"]
            if warned:
                return f"No damage found; see the warning about the {', '.join(warned)}."
            return "No damage found."
        names = ", ".join(p.name for p in self.damaged) or "parts could not be checked"
        if self.fault in (KeyFileDamaged, KeyFileMissing):
            advice = (
                "Restore keys.json from a backup (or the whole profile with `clinic-app"
                " restore`); do not run `clinic-app init` here."
            )
        elif [p.name for p in self.damaged] == ["attachments"]:
            advice = (
                "The records are sound; restore the newest backup (`clinic-app restore`) to get"
                " the attachments back, or add those files again."
            )
        else:
            advice = (
                "Restore the newest backup (`clinic-app restore`) or ask for help; leave the"
                " profile folder as it is."
            )
        return f"The profile is damaged ({names}); this check changed nothing. {advice}"


# ------------------------------------------------------------------------------ parts --
def _pages(numbers: Sequence[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5])
    return shown + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")


def _medium(exc: OSError, folder: Path, doing: str) -> StorageFault:
    return faults.from_os_error(exc, folder, doing=doing, outcome="Nothing was changed.")


def _unlock(profile: Path, header: KeyHeader, credentials: Credentials) -> bytes:
    """The data key, from the key file or a key change recorded just before a crash."""
    user, passphrase = credentials(header.users())
    try:
        return header.unlock(user, passphrase)
    except WrongPassphrase:
        try:
            pending = KeyHeader.from_bytes((profile / PENDING_HEADER).read_bytes())
        except (OSError, IntegrityFailure):
            raise WrongPassphrase("The user name or passphrase is wrong.") from None
        return pending.unlock(user, passphrase)


def _key_file(profile: Path) -> tuple[PartReport, KeyHeader | None]:
    try:
        header = Store.load_header(profile)  # NoProfile (nothing there) is raised as it is
    except (KeyFileMissing, KeyFileDamaged) as exc:
        what = "missing" if isinstance(exc, KeyFileMissing) else "damaged"
        detail = f"keys.json is {what}: the records cannot be opened without it"
        return PartReport("key file", "damaged", detail, type(exc)), None
    users = header.users()
    recovery = any(s.kind == "recovery" for s in header.slots)
    detail = f"{len(users)} user{'s' if len(users) != 1 else ''}"
    detail += ", recovery key set" if recovery else ", no recovery key"
    if (profile / PENDING_HEADER).exists():
        detail += "; a key change waits to be put in place (done at the next unlock)"
    return PartReport("key file", "ok", detail), header


def _stoppable(conn: dbmod.Connection, stop: Stop | None) -> dbmod.Connection:
    """``conn``, its statements interrupted once ``stop()`` is true."""
    if stop is not None:
        conn.set_progress_handler(lambda: 1 if stop() else 0, 10000)
    return conn


@contextlib.contextmanager
def _reading(path: Path, key: bytes, stop: Stop | None = None) -> Iterator[dbmod.Connection | None]:
    """A read-only connection of its own for one part (None if the database does not open):
    after SQLite met a damaged page, the connection that met it may fail every later read."""
    try:
        conn = dbmod.connect(path, key, readonly=True)
    except ClinicError:
        yield None
        return
    try:
        yield _stoppable(conn, stop)
    finally:
        conn.close()


def _one_line(found: list[str]) -> str:
    """What ``quick_check`` / ``integrity_check`` found, on one line."""
    first = " ".join(found[0].split()) if found else "nothing"
    more = f" (and {len(found) - 1} more findings)" if len(found) > 1 else ""
    return (first[:120] + "...") if len(first) > 120 else first + more


def _database(
    path: Path,
    key: bytes,
    full: bool,
    fd: int | None,
    hold: Hold = contextlib.nullcontext,
    stop: Stop | None = None,
) -> PartReport:
    name = "database"
    if not path.exists():
        return PartReport(name, "damaged", f"{path.name} is missing", DatabaseMissing)
    try:
        scan = pagecheck.scan_database(path, key, fd=fd, hold=hold)
        with hold():
            wal = pagecheck.scan_wal(Path(f"{path}-wal"), key, pagecheck.file_salt(path, fd))
    except OSError as exc:
        fault = _medium(exc, path.parent, "reading the record database")
        return PartReport(name, "damaged", "its file cannot be read", type(fault))
    if scan.empty and wal.replayed == 0:
        detail = "empty (0 bytes): the records are not there"
        return PartReport(name, "damaged", detail, DatabaseMissing)
    problem: tuple[str, type[ClinicError]] | None = None
    if scan.foreign and (scan.pages > 1 or not wal.replayed):
        problem = (
            "cannot be read with this profile's key (another database, or another profile's"
            " key file)",
            KeyMismatch,
        )
    elif scan.truncated:
        have = f"{scan.pages} of {scan.header_pages}" if scan.header_pages else f"{scan.pages}"
        partial = " and a partial page" if scan.ragged else ""
        problem = (f"cut off: it holds {have} pages{partial}", DatabaseTruncated)
    elif scan.bad_pages or scan.zero_pages:
        bad = sorted(scan.bad_pages + scan.zero_pages)
        problem = (
            f"{len(bad)} of {scan.pages} pages fail their check (page {_pages(bad)})",
            DatabaseDamaged,
        )
    pragma = "integrity_check" if full else "quick_check"
    schema: int | None = None
    try:
        conn = dbmod.connect(path, key, readonly=True)
    except ClinicError as exc:
        if problem is None:
            problem = (f"cannot be opened ({exc.code})", type(exc))
        return PartReport(name, "damaged", problem[0], problem[1])
    try:
        schema = schema_version(_stoppable(conn, stop))
        found = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}(20)").fetchall()]
        result = "ok" if found == ["ok"] else _one_line(found)
    except SQL_FAILURES as exc:
        result = f"stopped ({_one_line([str(exc)]) if str(exc) else 'a page cannot be read'})"
    finally:
        conn.close()
    if problem is not None:  # the pages already say what is wrong, and where
        return PartReport(name, "damaged", problem[0], problem[1])
    if result != "ok":
        return PartReport(name, "damaged", f"{pragma} found: {result}", DatabaseDamaged)
    detail = f"{scan.pages} pages in the file authenticated; {pragma}: ok; schema {schema}"
    return PartReport(name, "ok", detail)


def _log(path: Path, key: bytes, fd: int | None) -> PartReport:
    name = "change log"
    wal_path = Path(f"{path}-wal")
    try:
        wal = pagecheck.scan_wal(wal_path, key, pagecheck.file_salt(path, fd))
    except OSError as exc:
        fault = _medium(exc, path.parent, "reading the change log")
        return PartReport(name, "damaged", "records.db-wal cannot be read", type(fault))
    if wal.size == 0:
        return PartReport(name, "ok", "empty (the profile was closed cleanly)")
    if wal.damaged:
        where = f"at frame {wal.first_bad} of {wal.frames}" if wal.first_bad else "in its header"
        lost = (
            f"; {wal.commits_lost} committed changes after it cannot be read"
            if wal.commits_lost
            else ""
        )
        return PartReport(name, "damaged", f"damaged {where}{lost}", LogDamaged)
    detail = (
        f"{wal.frames} frames authenticated, every committed change readable (the profile is"
        " open, or was not closed cleanly)"
    )
    if wal.first_bad is not None:
        detail += "; an unfinished write at its end is ignored"
    return PartReport(name, "ok", detail)


def _mark(profile: Path, key: bytes, store_id: str, conn: dbmod.Connection | None) -> PartReport:
    name = "high-water mark"
    if conn is None:
        return PartReport(name, "unchecked", "needs a database that opens")
    mark_key = _subkey(key, b"clinic high-water mark v1")
    try:
        mark = HighWaterMark(profile, mark_key, store_id, readonly=True)
    except FileNotFoundError:
        try:
            seq, _head = db_state(conn)
        except SQL_FAILURES:
            return PartReport(name, "unchecked", "the database cannot be read far enough")
        if seq == 0:
            return PartReport(name, "ok", "none yet (nothing saved)")
        return PartReport(
            name,
            "warning",
            "records.mark is missing: a loss of saved changes cannot be ruled out (it is made"
            " anew at the next unlock)",
        )
    except OSError as exc:
        fault = _medium(exc, profile, "reading the high-water mark")
        return PartReport(name, "damaged", "records.mark cannot be read", type(fault))
    try:
        return _against_mark(profile, key, conn, mark)
    except SQL_FAILURES:
        return PartReport(name, "unchecked", "the database cannot be read far enough")
    finally:
        mark.close()


def _against_mark(
    profile: Path, key: bytes, conn: dbmod.Connection, mark: HighWaterMark
) -> PartReport:
    name = "high-water mark"
    seen = mark.read()
    seq, head = db_state(conn)
    if seen is None:
        what = "damaged" if mark.damaged_slots else "empty"
        return PartReport(
            name,
            "warning",
            f"records.mark is {what}: a loss of saved changes cannot be ruled out (it is"
            " made anew at the next unlock)",
        )
    try:
        compare(conn, mark, profile / DB_NAME, key)
    except (StoreBehind, LogDamaged) as exc:
        missing = seen.commit_seq - seq
        what = (
            f"{missing} saved changes (up to {seen.when}) are missing from the database"
            if missing > 0
            else "the database's audit log does not end where it did"
        )
        return PartReport(name, "damaged", what, type(exc))
    audit_seq, _digest = parse_head(head)
    if seq > seen.commit_seq:
        detail = (
            f"the database holds change {seq}, past the mark's {seen.commit_seq} (a write"
            " interrupted before it was acknowledged; nothing lost)"
        )
    else:
        detail = f"change {seq} (saved {seen.when}, audit entry {audit_seq}); the database matches"
    if mark.damaged_slots:
        detail += "; one of its two copies is damaged (rewritten at the next save)"
    return PartReport(name, "ok", detail)


def _audit(conn: dbmod.Connection | None, key: bytes) -> PartReport:
    name = "audit log"
    if conn is None:
        return PartReport(name, "unchecked", "needs a database that opens")
    try:
        report = audit_log.verify(conn, _subkey(key, b"clinic audit mac v1"))
    except SQL_FAILURES:
        return PartReport(name, "damaged", "cannot be read to its end", DatabaseDamaged)
    if report.ok:
        return PartReport(name, "ok", f"{report.entries} entries, chain intact")
    detail = f"fails at entry {report.first_bad_seq}: {report.reason}"
    return PartReport(name, "damaged", detail, IntegrityFailure)


def vault_for(profile: Path, key: bytes) -> AttachmentVault:
    """The attachment vault of a profile, for reading with its data key."""
    return AttachmentVault(
        Path(profile) / ATTACHMENTS,
        _subkey(key, b"clinic attachment enc v1"),
        _subkey(key, b"clinic attachment name v1"),
    )


def verify_attachment(vault: AttachmentVault, digest: str) -> tuple[str | None, type[ClinicError]]:
    """(None, _) if the attachment decrypts and verifies, else (what, the class of the fault):
    "missing", "damaged" or "unreadable (CODE)"."""
    try:
        for _block in vault.read(digest):
            pass
    except NotFound:
        return "missing", AttachmentDamaged
    except AttachmentDamaged:
        return "damaged", AttachmentDamaged
    except StorageFault as exc:
        return f"unreadable ({exc.code})", type(exc)
    except OSError as exc:
        fault = _medium(exc, vault.folder, "reading an attachment")
        return f"unreadable ({fault.code})", type(fault)
    return None, AttachmentDamaged


@dataclass
class AttachmentCheck:
    """Attachments verified one by one: what failed, by vault name."""

    total: int = 0
    verified: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # vault name -> what
    fault: type[ClinicError] | None = None

    def add(self, digest: str, what: str | None, fault: type[ClinicError]) -> None:
        self.total += 1
        if what is None:
            self.verified += 1
            return
        self.failed[digest] = what
        if self.fault is None or fault is AttachmentDamaged:
            self.fault = fault  # damage or a missing file before a medium that failed a read

    def tally(self) -> str:
        """'1 damaged, 2 missing' (kinds in a fixed order)."""
        kinds: dict[str, int] = {}
        for what in self.failed.values():
            kinds[what] = kinds.get(what, 0) + 1
        return ", ".join(f"{n} {what}" for what, n in sorted(kinds.items()))


def check_attachments(
    vault: AttachmentVault, digests: Iterable[str], stop: Stop | None = None
) -> AttachmentCheck:
    found = AttachmentCheck()
    for digest in digests:
        if stop is not None and stop():
            break
        what, fault = verify_attachment(vault, digest)
        found.add(digest, what, fault)
    return found


def _registered(conn: dbmod.Connection | None) -> list[str] | None:
    """The attachments the database lists (None when it cannot be read)."""
    if conn is None:
        return None
    try:
        return [r[0] for r in conn.execute("SELECT digest FROM attachments ORDER BY 1")]
    except SQL_FAILURES:
        return None


def _attachments(
    profile: Path, key: bytes, registered: list[str] | None, stop: Stop | None = None
) -> PartReport:
    name = "attachments"
    folder = profile / ATTACHMENTS
    try:
        vault = vault_for(profile, key) if folder.is_dir() else None
        on_disk = vault.names() if vault is not None else []
    except OSError as exc:
        fault = _medium(exc, folder, "listing the attachments")
        return PartReport(name, "damaged", "the attachment folder cannot be read", type(fault))
    if vault is None:
        found = AttachmentCheck()
        for digest in registered or []:
            found.add(digest, "missing", AttachmentDamaged)
    else:
        found = check_attachments(vault, on_disk if registered is None else registered, stop)
    extra = len(set(on_disk) - set(registered)) if registered is not None else 0
    note = f"; {extra} unregistered files (left by interrupted saves)" if extra else ""
    if registered is None:
        note += "; missing files cannot be counted without the database"
    if not found.failed:
        if found.total == 0:
            return PartReport(name, "ok", f"none{note}")
        return PartReport(name, "ok", f"{found.verified} of {found.total} decrypt and verify{note}")
    detail = f"{found.verified} of {found.total} decrypt and verify; {found.tally()}{note}"
    return PartReport(name, "damaged", detail, found.fault, tuple(sorted(found.failed)))


# ------------------------------------------------------------------------- the check --
def check_profile(
    profile: Path,
    *,
    credentials: Credentials | None = None,
    data_key: bytes | None = None,
    full: bool = False,
    quiet: Hold = contextlib.nullcontext,
    db_fd: int | None = None,
    hold: Hold = contextlib.nullcontext,
    stop: Stop | None = None,
) -> CheckReport:
    """Check every part of the profile in ``profile``, reading only.

    The data key is ``data_key`` (an open store's) or unlocked with ``credentials`` (given the
    user names, returns a user and passphrase; a wrong one raises :class:`WrongPassphrase`).
    ``quiet`` holds off this process's writes while the database, log and mark are read;
    ``db_fd`` is a descriptor of the database to read its pages with, which an open store
    must give (closing one of its own would drop its SQLite locks: see ``scan_database``).
    ``hold`` instead holds off writes only while the files SQLite writes are read (the
    database file a chunk at a time, its log, the mark), not during ``integrity_check`` or
    the audit chain, which read one consistent snapshot: for a check from another thread of a
    store in use (:mod:`local_store.fullcheck`). ``stop`` interrupts the check when it turns
    true; what it then returns is incomplete and must be thrown away.
    No profile at all raises :class:`NoProfile`; damage is reported, never raised.
    """
    profile = Path(profile)
    key_part, header = _key_file(profile)
    parts = [key_part]
    if header is None:
        without = "needs the key file"
        parts += [PartReport(n, "unchecked", without) for n in _names(full)[1:]]
        return CheckReport(profile, full, tuple(parts))
    if data_key is None:
        if credentials is None:
            raise ValueError("check_profile needs credentials or a data key")
        data_key = _unlock(profile, header, credentials)
    path = profile / DB_NAME
    with quiet():
        parts.append(_database(path, data_key, full, db_fd, hold, stop))
        with hold():
            parts.append(_log(path, data_key, db_fd))
        with _reading(path, data_key, stop) as conn:
            registered = _registered(conn)
        with _reading(path, data_key, stop) as conn, hold():
            parts.append(_mark(profile, data_key, header.store_id, conn))
        if full:
            with _reading(path, data_key, stop) as conn:
                parts.append(_audit(conn, data_key))
    # Attachments are never changed in place: verified without holding off writes.
    parts.append(_attachments(profile, data_key, registered, stop))
    return CheckReport(profile, full, tuple(parts))


def _names(full: bool) -> list[str]:
    names = ["key file", "database", "change log", "high-water mark"]
    return [*names, "audit log", "attachments"] if full else [*names, "attachments"]


def health_lines(store: Store) -> list[str]:
    """Three lines for ``clinic-app info``: what the checks at open found (after an unclean
    shutdown: the quick check), the high-water mark against the database, and the last full
    check (:mod:`local_store.fullcheck`: running, never, or its time and verdict)."""
    from local_store import fullcheck

    notes = store.health or ["closed cleanly last time, no check needed at open"]
    lines = ["Health: " + "; ".join(notes) + "."]
    mark = store.high_water
    seq = int(store.get_meta("commit_seq") or 0)
    if mark is None:
        lines.append("High-water mark: none kept for this profile.")
    elif seq >= mark.commit_seq:
        lines.append(
            f"High-water mark: change {mark.commit_seq} (saved {mark.when}); the database holds"
            f" change {seq}: nothing acknowledged is missing."
        )
    else:  # the store refuses to open behind its mark; a change under way cannot get here
        lines.append(
            f"High-water mark: change {mark.commit_seq}, but the database holds only {seq}:"
            " run `clinic-app check`."
        )
    lines.append(fullcheck.status(store).line())
    return lines


# ------------------------------------------------------------------- backup archives --
def record_counts(conn: dbmod.Connection) -> dict[str, int]:
    """What a copy of the database must hold as well: records by type (tombstones too), and
    the rows of the history, outbox, audit log and attachment list."""
    counts = {
        f"records:{rtype}": int(n)
        for rtype, n in conn.execute("SELECT rtype, count(*) FROM records GROUP BY rtype")
    }
    for table in ("record_history", "outbox", "audit", "attachments"):
        counts[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return counts


@dataclass(frozen=True)
class ArchiveExpectation:
    """What a freshly written backup archive must hold."""

    header: bytes
    counts: dict[str, int]
    schema: int
    attachments: tuple[str, ...]


def check_archive(
    archive: Path, data_key: bytes, expect: ArchiveExpectation, vault: AttachmentVault, work: Path
) -> None:
    """Read a written backup back: every member's checksum, the key file, the database (opens,
    ``quick_check``, the counts of the source) and every attachment (decrypts and verifies).

    ``work`` is an empty folder on the same disk for the database copy. Raises the named error
    when the archive does not hold what was written.
    """
    medium = StorageIOError(
        f"The backup written to {archive.parent} does not read back as it was written: the"
        " disk or stick may be failing. No backup file was left behind.",
        variant="backup_readback", folder=str(archive.parent),
    )  # fmt: skip
    try:
        with zipfile.ZipFile(archive) as zf:
            names = set(zf.namelist())
            wanted = {"manifest.json", HEADER_NAME, DB_NAME} | {
                f"{ATTACHMENTS}/{d}" for d in expect.attachments
            }
            if wanted - names:
                raise medium
            json.loads(zf.read("manifest.json"))
            if zf.read(HEADER_NAME) != expect.header:
                raise medium
            copy = work / DB_NAME
            with zf.open(DB_NAME) as src, open(copy, "wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
            for digest in expect.attachments:
                with zf.open(f"{ATTACHMENTS}/{digest}") as member:
                    for _block in vault.read_stream(member, digest):
                        pass
    except (zipfile.BadZipFile, AttachmentDamaged, ValueError):
        raise medium from None
    conn = dbmod.connect(copy, data_key, readonly=True)
    try:
        result = [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)").fetchall()]
        got = record_counts(conn)
        schema = schema_version(conn)
    except SQL_FAILURES:
        result, got, schema = ["unreadable"], {}, -1
    finally:
        conn.close()
    if result != ["ok"]:
        raise medium
    if got != expect.counts or schema != expect.schema:
        raise IntegrityFailure(
            "The database copy in the backup does not hold what the profile held when it was"
            " taken. No backup file was left behind; try again, and run `clinic-app check`.",
            variant="backup_counts",
        )
    copy.unlink()
