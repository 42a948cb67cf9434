"""The encrypted record store of one profile: records, outbox, audit log, attachments, key slots.

A profile folder holds ``keys.json`` (wrapped data keys), ``records.db`` (SQLCipher),
``attachments/`` (encrypted files) and ``backups/``. Every change writes the record, its
history row, its outbox row and its audit entry in one transaction. One connection, guarded by
a lock, does all writes (the single writer); callers on the Qt side reach it from a worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from local_store import audit as audit_log
from local_store import db as dbmod
from local_store import faults
from local_store.atomic import fsync_dir, write_atomic
from local_store.attachments import AttachmentVault, StoredFile
from local_store.errors import (
    AttachmentDamaged,
    ClinicError,
    DatabaseMissing,
    IntegrityFailure,
    KeyFileMissing,
    NoProfile,
    NotFound,
    ProfileExists,
    StorageFault,
    StoreError,
    StoreLocked,
    WrongPassphrase,
)
from local_store.guard import SQL_ERRORS, GuardedConnection, is_fault
from local_store.highwater import HighWaterMark, Mark, parse_head
from local_store.keyslots import KeyHeader
from local_store.opening import check_unclean, compare, db_state
from local_store.schema import CURRENT_SCHEMA, migrate, schema_version

if TYPE_CHECKING:
    from local_store.checkup import CheckReport

log = logging.getLogger(__name__)

DB_NAME = "records.db"
HEADER_NAME = "keys.json"
ATTACHMENTS = "attachments"
BACKUPS = "backups"
PENDING_HEADER = "keys.json.pending"  # a key change written, waiting for its audit entry
CREATING = ".creating"  # present while Store.create runs: a database beside it holds nothing
# Meta key set when a store is opened after an unclean shutdown, deleted when a full check has
# finished (local_store.fullcheck): a process that does not run it (the CLI) leaves it due.
FULL_CHECK_DUE = "full_check.due"
BACKUP_FORMAT = 1

Resource = dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _subkey(data_key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(data_key)


def _dumps(resource: Resource) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class Saved:
    """What a write did: the record, its new version and the outbox change id."""

    rtype: str
    record_id: str
    version: int
    change_id: str
    created: bool


@dataclass(frozen=True)
class BackupResult:
    """A verified backup: where, how many attachments it holds, which were left out (by vault
    name: what was wrong with each) and the record counts it was checked against."""

    path: Path
    attachments: int
    left_out: dict[str, str]
    left_out_tally: str  # e.g. "1 damaged, 2 missing"
    counts: dict[str, int]


@dataclass(frozen=True)
class PendingChange:
    seq: int
    change_id: str
    record_id: str
    rtype: str
    version: int
    base_version: int | None
    op: str
    state: str
    error: str | None


@dataclass
class WriteItem:
    """One record to write in a batch, with its patient link and search terms."""

    resource: Resource
    patient_id: str | None = None
    terms: Sequence[str] | None = None


def _database_parts(profile: Path) -> list[Path]:
    return [p for s in ("", "-wal", "-shm") if (p := profile / f"{DB_NAME}{s}").exists()]


def _set_aside_unkeyed_database(profile: Path) -> None:
    """Move a database without a key header aside (renamed, never deleted).

    Only the leftover of an interrupted set-up (the ``.creating`` marker beside it) is moved
    without being asked; anything else may be a clinic's records whose key file was lost.
    """
    db = profile / DB_NAME
    if not db.exists():
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    for suffix in ("", "-wal", "-shm"):
        part = profile / f"{DB_NAME}{suffix}"
        if part.exists():
            part.rename(profile / f"{DB_NAME}.unkeyed-{stamp}{suffix}")
    log.warning("set aside a database left by an interrupted profile set-up")


def _pending_header(profile: Path) -> KeyHeader | None:
    try:
        return KeyHeader.from_bytes((profile / PENDING_HEADER).read_bytes())
    except (OSError, IntegrityFailure):
        return None


class Store:
    """An unlocked profile: made by :meth:`create`, :meth:`unlock` or :meth:`unlock_recovery`.

    ``high_water=False`` (constructor only) keeps no high-water mark: for ``bench/store`` to
    measure the mark's own cost. It is not a setting; every profile the program opens has one.
    """

    def __init__(
        self,
        profile: Path,
        conn: dbmod.Connection,
        data_key: bytes,
        header: KeyHeader,
        user: str,
        *,
        creating: bool = False,
        high_water: bool = True,
        health: Sequence[str] = (),
        held_fds: Sequence[int] = (),
    ) -> None:
        self.profile = Path(profile)
        self._doing = ""
        self._outcome = "Nothing was saved."
        self.health: list[str] = list(health)  # what the checks at open found (for `info`)
        self.opened_unclean = False  # opened after an unclean shutdown (a full check is due)
        self._before_lock: list[Callable[[], None]] = []  # e.g. stop the background check
        self._mark: HighWaterMark | None = None
        # Descriptors closed only after the connection: closing any descriptor of the database
        # or its log index drops this process's SQLite locks on it (see preallocate_shm). One
        # on the database file reads its pages for `check` without closing a descriptor of it.
        self._held_fds: list[int] = list(held_fds)
        self._db_fd: int | None = None
        self._conn: dbmod.Connection | None = GuardedConnection(conn, self._translate)
        self._key: bytes | None = data_key
        self._header = header
        self.user = user
        self._lock = threading.RLock()
        self._tx_saved: list[Saved] = []  # records written by the transaction in progress
        self._recorders = threading.local()  # lists that :meth:`recording` hands out
        self._audit_key = _subkey(data_key, b"clinic audit mac v1")
        self.attachments = AttachmentVault(
            self.profile / ATTACHMENTS,
            _subkey(data_key, b"clinic attachment enc v1"),
            _subkey(data_key, b"clinic attachment name v1"),
        )
        try:
            self._db_fd = os.open(self.profile / DB_NAME, os.O_RDONLY)
            self._held_fds.append(self._db_fd)
            if high_water:
                self._mark = HighWaterMark(
                    self.profile, _subkey(data_key, b"clinic high-water mark v1"), header.store_id
                )
                if not creating:  # before migrating: a store behind its mark is not written
                    self._check_mark()
            self.migrated_from = migrate(
                conn, data_key, self.profile / BACKUPS, allow_fresh=creating
            )
            if creating and self._mark is not None:
                self._check_mark()
        except BaseException as exc:
            conn.close()
            for fd in self._held_fds:
                os.close(fd)
            if self._mark is not None:
                self._mark.close()
            if isinstance(exc, (OSError, *SQL_ERRORS)) and (named := self._translate(exc)):
                raise named from None
            raise

    # ----------------------------------------------------------------- high-water mark --
    def _check_mark(self) -> None:
        """Refuse a database behind its mark; bring a missing or older mark up to date."""
        assert self._mark is not None and self._key is not None
        seen = compare(self.conn, self._mark, self.profile / DB_NAME, self._key)
        seq, head = self._db_state()
        if seen is None and seq > 0:
            what = "damaged" if self._mark.damaged_slots else "missing"
            log.warning("the high-water mark file was %s; it was made anew", what)
            self.health.append(
                f"the high-water mark file was {what} and was made anew: a loss of changes"
                " before this open could not be checked"
            )
        if seen is None or seq > seen.commit_seq:
            self._mark.advance(seq, *parse_head(head))

    def _db_state(self) -> tuple[int, str | None]:
        return db_state(self.conn)

    def _bump(self, conn: dbmod.Connection) -> tuple[int, str | None]:
        """Inside a transaction: the next commit sequence number and the audit head."""
        row = conn.execute(
            "INSERT INTO meta(key, value) VALUES ('commit_seq', '1') ON CONFLICT(key)"
            " DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value"
        ).fetchone()
        head = conn.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
        return int(row[0]), head[0] if head else None

    def _advance(self, seq: int, head: str | None) -> None:
        """After COMMIT: the mark says the store holds ``seq``. The change is saved either way;
        a mark that cannot be written is said in the store's health, not as a failed write."""
        assert self._mark is not None
        try:
            self._mark.advance(seq, *parse_head(head))
        except OSError as exc:
            log.warning("the high-water mark could not be advanced (%s)", exc.strerror)
            note = "the high-water mark could not be updated; changes since may go unchecked"
            if note not in self.health:
                self.health.append(note)

    # ---------------------------------------------------------------------- named faults --
    def _translate(self, exc: BaseException) -> ClinicError | None:
        """The named error for an OS or SQLite failure met by this store."""
        doing = self._doing or "reading the records"
        outcome = self._outcome if self._doing else "Nothing was changed."
        needed = self._write_room()
        if isinstance(exc, OSError):
            return faults.from_os_error(
                exc, self.profile, doing=doing, needed=needed, outcome=outcome
            )
        if isinstance(exc, MemoryError):
            met = faults.probe(self.profile)
            return None if met is None else self._translate(met)
        named = faults.from_sqlite_error(
            exc, self.profile, doing=doing, needed=needed, outcome=outcome
        )
        if named is not None or not is_fault(exc) or self._key is None:
            return named
        try:
            found = dbmod.diagnose(self.profile / DB_NAME, self._key)
        except OSError as err:
            return faults.from_os_error(err, self.profile, doing=doing, outcome=outcome)
        return found or dbmod.unreadable(exc)

    def _write_room(self) -> int:
        """About how much free space a write and the checkpoint after it need."""
        try:
            wal = (self.profile / f"{DB_NAME}-wal").stat().st_size
        except OSError:
            wal = 0
        return 4 * 1024 * 1024 + wal

    @contextlib.contextmanager
    def _named_faults(self, doing: str, outcome: str = "Nothing was saved.") -> Iterator[None]:
        """Raise OSErrors met in the block (file work outside SQLite) as named errors."""
        try:
            yield
        except OSError as exc:
            raise faults.from_os_error(
                exc, self.profile, doing=doing, needed=self._write_room(), outcome=outcome
            ) from None

    def _save_header(self, header: KeyHeader, doing: str) -> None:
        with self._named_faults(doing, "The key file was not changed."):
            header.save(self.profile / HEADER_NAME)

    # ------------------------------------------------------------------ opening and keys --
    @staticmethod
    def exists(profile: Path) -> bool:
        return (Path(profile) / HEADER_NAME).exists()

    @staticmethod
    def users(profile: Path) -> list[str]:
        return Store.load_header(Path(profile)).users()

    @staticmethod
    def load_header(profile: Path) -> KeyHeader:
        """The profile's key header; a missing one beside records is never "no profile"."""
        profile = Path(profile)
        try:
            return KeyHeader.load(profile / HEADER_NAME)
        except KeyFileMissing:
            if _database_parts(profile) and not (profile / CREATING).exists():
                raise KeyFileMissing(
                    f"The key file keys.json is missing from {profile}, but the record database"
                    " is there: the records cannot be opened without it. Restore keys.json from"
                    " a backup (or the whole profile with `clinic-app restore`); do not run"
                    " `clinic-app init` here.",
                    variant="beside_records", folder=str(profile),
                ) from None  # fmt: skip
            raise NoProfile(
                f"No profile at {profile}: run `clinic-app init` to create one.",
                variant="at", folder=str(profile),
            ) from None  # fmt: skip
        except OSError as exc:
            raise faults.from_os_error(
                exc, profile, doing="reading the key file", outcome="Nothing was changed."
            ) from None

    @classmethod
    def create(
        cls, profile: Path, user: str, passphrase: str, *, set_aside: bool = False
    ) -> tuple[Store, str]:
        """Make a new profile; returns the unlocked store and the recovery key (show it once)."""
        profile = Path(profile)
        if (profile / HEADER_NAME).exists():
            raise ProfileExists("A profile already exists in that folder.")
        if _database_parts(profile) and not (profile / CREATING).exists() and not set_aside:
            raise ProfileExists(
                f"{profile} holds a record database without its key file: it may be a clinic's"
                " records whose keys.json was lost. Restore keys.json from a backup; to start a"
                " new profile anyway (the database is kept, renamed), pass --set-aside."
            )
        header, data_key, recovery = KeyHeader.new(user, passphrase)
        doing = f"creating the profile in {profile}"
        try:
            _set_aside_unkeyed_database(profile)
            profile.mkdir(mode=0o700, parents=True, exist_ok=True)
            marker = profile / CREATING
            marker.write_bytes(b"")
            fsync_dir(profile)
        except OSError as exc:
            raise faults.from_os_error(exc, profile, doing=doing) from None
        conn = dbmod.connect(profile / DB_NAME, data_key, create=True)
        store = cls(profile, conn, data_key, header, user, creating=True)
        try:
            store.set_meta("reindex_search", None)  # schema step 2 asks it of old profiles only
            store._save_header(header, doing)
            store.audit("profile.create")
            marker.unlink()
        except BaseException:
            store.lock()
            raise
        return store, recovery

    @classmethod
    def unlock(cls, profile: Path, user: str, passphrase: str) -> Store:
        profile = Path(profile)
        header = cls.load_header(profile)
        pending = None
        try:
            data_key = header.unlock(user, passphrase)
        except WrongPassphrase:
            # A key change recorded just before a crash: its file may not have its name yet.
            pending = _pending_header(profile)
            if pending is None:
                raise
            data_key = pending.unlock(user, passphrase)
            header = pending
        store = cls._open(profile, header, data_key, user)
        try:
            settled = store._settle_keys()
            if settled is False and pending is not None:
                raise WrongPassphrase("The user name or passphrase is wrong.")
            if settled and pending is None:
                store._header.unlock(user, passphrase)  # the change in force replaced it?
            store.audit("unlock")
        except BaseException:
            store.lock()
            raise
        return store

    @classmethod
    def unlock_recovery(cls, profile: Path, recovery_key: str) -> Store:
        profile = Path(profile)
        header = cls.load_header(profile)
        data_key = header.unlock_recovery(recovery_key)
        store = cls._open(profile, header, data_key, "recovery-key")
        store.audit("unlock.recovery")
        return store

    @classmethod
    def recover(cls, profile: Path, recovery_key: str, user: str, new_passphrase: str) -> Store:
        """Set a new passphrase for ``user`` with the recovery key; returns the store unlocked as
        that user. A wrong key or an unknown user changes nothing."""
        profile = Path(profile)
        header = cls.load_header(profile)
        if user not in header.users():
            raise NotFound("There is no such user on this workstation.")
        data_key = header.unlock_recovery(recovery_key)
        current = cls.load_header(profile)
        header.rewrap_user(data_key, user, new_passphrase)
        store = cls._open(profile, current, data_key, user)
        try:
            store._settle_keys()
            store._change_keys(header, "key.recover", user, "the passphrase is unchanged")
        except BaseException:
            store.lock()
            raise
        return store

    @classmethod
    def _open(cls, profile: Path, header: KeyHeader, data_key: bytes, user: str) -> Store:
        path = profile / DB_NAME
        wal = profile / f"{DB_NAME}-wal"
        try:
            empty = path.exists() and path.stat().st_size == 0
            if empty and (not wal.exists() or wal.stat().st_size == 0):
                raise DatabaseMissing(
                    f"The record database in {profile} is empty (0 bytes) although the key file"
                    f" is beside it: the records are not there. {dbmod.RECOVER}",
                    variant="empty_in", folder=str(profile), recover=dbmod.RECOVER,
                )  # fmt: skip
        except OSError as exc:
            raise faults.from_os_error(
                exc, profile, doing="opening the record database", outcome="Nothing was changed."
            ) from None
        (profile / CREATING).unlink(missing_ok=True)
        health: list[str] = []
        unclean = wal.exists() and wal.stat().st_size > 0
        if unclean:
            # An unclean shutdown (or a copy of a running profile): checked read-only first.
            mark = HighWaterMark(
                profile, _subkey(data_key, b"clinic high-water mark v1"), header.store_id
            )
            try:
                health = check_unclean(path, data_key, mark)
            except (dbmod.DatabaseError, MemoryError) as exc:
                # quick_check on a damaged page fails instead of reporting it (SQLITE_ERROR,
                # SQLITE_CORRUPT or NOMEM): named from the pages, never raw.
                raise dbmod.open_error(exc, path, data_key) from None
            finally:
                mark.close()
        conn = dbmod.connect(path, data_key)
        shm_fd = dbmod.preallocate_shm(path, conn)  # kept open while the connection is
        held = () if shm_fd is None else (shm_fd,)
        store = cls(profile, conn, data_key, header, user, health=health, held_fds=held)
        store.opened_unclean = unclean
        if unclean:
            try:
                store.set_meta(FULL_CHECK_DUE, _now())
            except ClinicError as exc:  # said by the next write that fails the same way
                log.warning("the full check could not be marked as due: %s", exc.code)
        return store

    def before_lock(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` when the store is locked, before it takes its lock (a thread reading
        the store gives up and is waited for there)."""
        self._before_lock.append(hook)

    def forget_before_lock(self, hook: Callable[[], None]) -> None:
        with contextlib.suppress(ValueError):
            self._before_lock.remove(hook)

    def lock(self) -> None:
        """Close the database and forget the keys."""
        for hook in list(self._before_lock):
            with contextlib.suppress(Exception):
                hook()
        self._before_lock.clear()
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._conn.close()
            for fd in self._held_fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._held_fds = []
            self._db_fd = None
            if self._mark is not None:
                self._mark.close()
                self._mark = None
            self._conn = None
            self._key = None
            self._audit_key = b""
            self.attachments.forget()

    close = lock

    @property
    def locked(self) -> bool:
        return self._conn is None

    @property
    def store_id(self) -> str:
        return self._header.store_id

    @property
    def conn(self) -> dbmod.Connection:
        if self._conn is None:
            raise StoreLocked("The workstation is locked.")
        return self._conn

    def _data_key(self) -> bytes:
        if self._key is None:
            raise StoreLocked("The workstation is locked.")
        return self._key

    def change_passphrase(self, user: str, old: str, new: str) -> None:
        """Rewrap one user's slot; the data (and its key) stay as they are."""
        with self._lock:
            self._data_key()  # refuse on a locked store before touching the header
            header = self.load_header(self.profile)
            data_key = header.unlock(user, old)
            header.rewrap_user(data_key, user, new)
            self._change_keys(header, "key.change-passphrase", user, "the passphrase is unchanged")

    def add_user(self, user: str, passphrase: str) -> None:
        with self._lock:
            header = self.load_header(self.profile)
            header.add_user(self._data_key(), user, passphrase)
            self._change_keys(header, "key.add-user", user, "the user was not added")

    def remove_user(self, user: str) -> None:
        with self._lock:
            self._data_key()
            header = self.load_header(self.profile)
            header.remove_user(user)
            self._change_keys(header, "key.remove-user", user, "the user was not removed")

    def new_recovery_key(self) -> str:
        with self._lock:
            header = self.load_header(self.profile)
            recovery = header.set_recovery(self._data_key())
            self._change_keys(header, "key.new-recovery", "", "the old recovery key still works")
            return recovery

    def _change_keys(self, header: KeyHeader, action: str, detail: str, unchanged: str) -> None:
        """Put a new key file in force together with its audit entry: both or neither.

        The new file is written beside the old one (``keys.json.pending``), then the audit entry
        and the new file's hash commit in one transaction, then the file takes its name. A
        failure before the commit removes the pending file (the old keys stay in force); a crash
        after it is finished at the next open (:meth:`_settle_keys`).
        """
        outcome = f"Nothing was changed: {unchanged}."
        new = header.to_bytes()
        pending = self.profile / PENDING_HEADER
        with self._named_faults("changing the key file", outcome):
            write_atomic(pending, new)
        try:
            with self.transaction("recording the key change", outcome) as conn:
                audit_log.append(
                    conn, self._audit_key, actor=self.user, action=action, detail=detail
                )
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('keys_sha256', ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (hashlib.sha256(new).hexdigest(),),
                )
        except BaseException:
            with contextlib.suppress(OSError):
                pending.unlink()
            raise
        self._header = header
        self._settle_keys()

    def _settle_keys(self) -> bool | None:
        """Finish or undo a key change left pending; True if finished, False if undone."""
        pending = self.profile / PENDING_HEADER
        try:
            data = pending.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("a pending key file could not be read (%s)", exc.strerror)
            return None
        with self._lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'keys_sha256'").fetchone()
        try:
            if row and row[0] == hashlib.sha256(data).hexdigest():
                os.replace(pending, self.profile / HEADER_NAME)
                fsync_dir(self.profile)
                self._header = KeyHeader.from_bytes(data)
                return True
            pending.unlink()
            return False
        except OSError as exc:
            # Recorded, but not yet in place: the next open finishes it (both files are tried).
            log.warning("a key change is recorded but its file could not be put in place (%s)",
                        exc.strerror)  # fmt: skip
            self.health.append("a recorded key change waits to be put in place")
            return None

    # ------------------------------------------------------------------------- writing --
    @contextlib.contextmanager
    def transaction(
        self, doing: str = "saving the change", outcome: str = "Nothing was saved."
    ) -> Iterator[dbmod.Connection]:
        with self._lock:
            outer, self._doing = self._doing, doing
            outer_outcome, self._outcome = self._outcome, outcome
            self._tx_saved = []
            mark: tuple[int, str | None] | None = None
            try:
                with dbmod.transaction(self.conn) as conn:
                    yield conn
                    if self._mark is not None:
                        mark = self._bump(conn)
            finally:
                self._doing = outer
                self._outcome = outer_outcome
            if mark is not None:
                self._advance(*mark)
            saved, self._tx_saved = self._tx_saved, []  # committed: tell who is recording
            for recorder in getattr(self._recorders, "stack", ()):
                recorder.extend(saved)

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Saved]]:
        """Collect what this thread's committed transactions write (records and tombstones),
        for the core to say which records an operation changed."""
        stack = getattr(self._recorders, "stack", None)
        if stack is None:
            stack = self._recorders.stack = []
        saved: list[Saved] = []
        stack.append(saved)
        try:
            yield saved
        finally:
            stack.remove(saved)

    def _write(self, conn: dbmod.Connection, item: WriteItem, now: str) -> Saved:
        resource = item.resource
        rtype = resource.get("resourceType")
        if not isinstance(rtype, str) or not rtype:
            raise StoreError("A record without a resourceType cannot be stored.")
        rid = resource.get("id") or str(uuid.uuid4())
        resource["id"] = rid
        row = conn.execute("SELECT rtype, version FROM records WHERE id = ?", (rid,)).fetchone()
        if row is not None and row[0] != rtype:
            raise StoreError("A record id is already used by a record of another type.")
        base = row[1] if row else None
        version = (base or 0) + 1
        meta = dict(resource.get("meta") or {})
        meta["versionId"] = str(version)
        meta["lastUpdated"] = now
        resource["meta"] = meta
        body = _dumps(resource)
        conn.execute(
            "INSERT INTO records(id, rtype, version, patient_id, deleted, updated_at, resource)"
            " VALUES (?,?,?,?,0,?,?) ON CONFLICT(id) DO UPDATE SET version=excluded.version,"
            " patient_id=excluded.patient_id, deleted=0, updated_at=excluded.updated_at,"
            " resource=excluded.resource",
            (rid, rtype, version, item.patient_id, now, body),
        )
        conn.execute(
            "INSERT INTO record_history(id, version, deleted, resource) VALUES (?,?,0,?)",
            (rid, version, body),
        )
        change_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO outbox(change_id, record_id, rtype, version, base_version, op, created_at)"
            " VALUES (?,?,?,?,?, 'put', ?)",
            (change_id, rid, rtype, version, base, now),
        )
        if item.terms is not None:
            conn.execute("DELETE FROM search_terms WHERE record_id = ?", (rid,))
            conn.executemany(
                "INSERT OR IGNORE INTO search_terms(term, record_id) VALUES (?, ?)",
                [(t, rid) for t in set(item.terms) if t],
            )
        audit_log.append(
            conn,
            self._audit_key,
            actor=self.user,
            action="create" if base is None else "update",
            rtype=rtype,
            record_id=rid,
            detail=f"v{version}",
        )
        saved = Saved(rtype, rid, version, change_id, base is None)
        self._tx_saved.append(saved)
        return saved

    def put(
        self,
        resource: Resource,
        *,
        patient_id: str | None = None,
        terms: Sequence[str] | None = None,
        expect_version: int | None = None,
    ) -> Saved:
        """Create or update one record. ``expect_version`` guards against a lost update."""
        with self.transaction() as conn:
            if expect_version is not None and resource.get("id"):
                row = conn.execute(
                    "SELECT version FROM records WHERE id = ?", (resource["id"],)
                ).fetchone()
                if (row[0] if row else 0) != expect_version:
                    raise StoreError("The record was changed meanwhile; reload it and try again.")
            return self._write(conn, WriteItem(resource, patient_id, terms), _now())

    def put_many(
        self, items: Iterable[WriteItem], deletes: Iterable[tuple[str, str]] = ()
    ) -> list[Saved]:
        """Write many records in one transaction: all or none. ``deletes`` ((type, id) of live
        records) are deleted as tombstones in the same transaction (an import)."""
        now = _now()
        with self.transaction() as conn:
            saved = [self._write(conn, item, now) for item in items]
            return saved + [self._tombstone(conn, rtype, rid, now) for rtype, rid in deletes]

    def delete(self, rtype: str, record_id: str) -> Saved:
        """Delete as a tombstone: the record is hidden, its history kept, the deletion synced."""
        now = _now()
        with self.transaction() as conn:
            return self._tombstone(conn, rtype, record_id, now)

    def _tombstone(self, conn: dbmod.Connection, rtype: str, record_id: str, now: str) -> Saved:
        """The body of :meth:`delete`, inside the caller's transaction."""
        row = conn.execute(
            "SELECT version, deleted, resource FROM records WHERE id = ? AND rtype = ?",
            (record_id, rtype),
        ).fetchone()
        if row is None or row[1]:
            raise NotFound(f"No such {rtype} record.")
        version = row[0] + 1
        conn.execute(
            "UPDATE records SET version = ?, deleted = 1, updated_at = ? WHERE id = ?",
            (version, now, record_id),
        )
        conn.execute(
            "INSERT INTO record_history(id, version, deleted, resource) VALUES (?,?,1,?)",
            (record_id, version, row[2]),
        )
        conn.execute("DELETE FROM search_terms WHERE record_id = ?", (record_id,))
        change_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO outbox(change_id, record_id, rtype, version, base_version, op,"
            " created_at) VALUES (?,?,?,?,?, 'delete', ?)",
            (change_id, record_id, rtype, version, row[0], now),
        )
        audit_log.append(
            conn,
            self._audit_key,
            actor=self.user,
            action="delete",
            rtype=rtype,
            record_id=record_id,
            detail=f"v{version}",
        )
        saved = Saved(rtype, record_id, version, change_id, False)
        self._tx_saved.append(saved)
        return saved

    def replace_terms(self, record_id: str, terms: Sequence[str]) -> None:
        """Re-index one record's search terms (no new version; used after a schema upgrade)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM search_terms WHERE record_id = ?", (record_id,))
            conn.executemany(
                "INSERT OR IGNORE INTO search_terms(term, record_id) VALUES (?, ?)",
                [(t, record_id) for t in set(terms) if t],
            )

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        self.set_meta_many({key: value})

    def set_meta_many(self, values: Mapping[str, str | None]) -> None:
        """Set (None: delete) several meta values in one transaction."""
        with self.transaction() as conn:
            for key, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    conn.execute(
                        "INSERT INTO meta(key, value) VALUES (?, ?)"
                        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, value),
                    )

    def created_at(self) -> str | None:
        """When the profile was made (its first audit entry's time)."""
        with self._lock:
            row = self.conn.execute("SELECT ts FROM audit ORDER BY seq LIMIT 1").fetchone()
        return str(row[0]) if row else None

    # ------------------------------------------------------------------------- reading --
    def get(self, rtype: str, record_id: str) -> Resource:
        with self._lock:
            row = self.conn.execute(
                "SELECT resource FROM records WHERE id = ? AND rtype = ? AND deleted = 0",
                (record_id, rtype),
            ).fetchone()
        if row is None:
            raise NotFound(f"No such {rtype} record.")
        result: Resource = json.loads(row[0])
        return result

    def version_of(self, record_id: str) -> tuple[int, bool] | None:
        """(version, deleted) of a record, or None if it was never stored here."""
        with self._lock:
            row = self.conn.execute(
                "SELECT version, deleted FROM records WHERE id = ?", (record_id,)
            ).fetchone()
        return (int(row[0]), bool(row[1])) if row else None

    def get_version(self, record_id: str, version: int) -> Resource:
        with self._lock:
            row = self.conn.execute(
                "SELECT resource FROM record_history WHERE id = ? AND version = ?",
                (record_id, version),
            ).fetchone()
        if row is None:
            raise NotFound("No such record version.")
        result: Resource = json.loads(row[0])
        return result

    def get_many(self, rtype: str, ids: Sequence[str]) -> list[Resource]:
        """Records by id, in the order given, skipping any that do not exist."""
        if not ids:
            return []
        found: dict[str, Resource] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                for rid, body in self.conn.execute(
                    f"SELECT id, resource FROM records WHERE +rtype = ? AND +deleted = 0"
                    f" AND id IN ({marks})",
                    (rtype, *chunk),
                ):
                    found[rid] = json.loads(body)
        return [found[i] for i in ids if i in found]

    def find(self, rtype: str, *, patient_id: str | None = None) -> list[Resource]:
        # The unary + keeps SQLite on the patient index (not a scan of the whole type).
        sql = "SELECT resource FROM records WHERE +rtype = ? AND +deleted = 0"
        args: list[Any] = [rtype]
        if patient_id is not None:
            sql += " AND patient_id = ?"
            args.append(patient_id)
        else:
            sql = "SELECT resource FROM records WHERE rtype = ? AND deleted = 0"
        with self._lock:
            rows = self.conn.execute(sql + " ORDER BY updated_at, id", args).fetchall()
        return [json.loads(r[0]) for r in rows]

    def iter_records(
        self, rtypes: Sequence[str] | None = None, batch: int = 1000
    ) -> Iterator[Resource]:
        """Stream every live record (optionally of some types) in id order, a page at a time."""
        last = ""
        while True:
            sql = "SELECT id, resource FROM records WHERE deleted = 0 AND id > ?"
            args: list[Any] = [last]
            if rtypes:
                sql += f" AND rtype IN ({','.join('?' * len(rtypes))})"
                args.extend(rtypes)
            with self._lock:
                rows = self.conn.execute(sql + " ORDER BY id LIMIT ?", (*args, batch)).fetchall()
            if not rows:
                return
            for _rid, body in rows:
                yield json.loads(body)
            last = rows[-1][0]

    def page(self, rtype: str, offset: int, limit: int) -> list[Resource]:
        """Live records of a type, most recently changed first, one page at a time."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT resource FROM records WHERE rtype = ? AND deleted = 0"
                " ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
                (rtype, limit, offset),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def count(self, rtype: str | None = None) -> int:
        with self._lock:
            if rtype is None:
                row = self.conn.execute("SELECT count(*) FROM records WHERE deleted = 0").fetchone()
            else:
                row = self.conn.execute(
                    "SELECT count(*) FROM records WHERE rtype = ? AND deleted = 0", (rtype,)
                ).fetchone()
        return int(row[0])

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT rtype, count(*) FROM records WHERE deleted = 0"
                " GROUP BY rtype ORDER BY rtype"
            ).fetchall()
        return {r[0]: int(r[1]) for r in rows}

    def search_prefix(self, prefixes: Sequence[str], limit: int = 50) -> list[str]:
        """Ids of records having, for every given prefix, a search term that starts with it."""
        prefixes = [p for p in prefixes if p]
        if not prefixes:
            return []
        parts = []
        args: list[Any] = []
        for p in prefixes:
            parts.append("SELECT record_id FROM search_terms WHERE term >= ? AND term < ?")
            args.extend([p, p + "\U0010ffff"])
        sql = f"SELECT DISTINCT record_id FROM ({' INTERSECT '.join(parts)}) LIMIT ?"
        with self._lock:
            rows = self.conn.execute(sql, (*args, limit)).fetchall()
        return [r[0] for r in rows]

    # -------------------------------------------------------------------------- outbox --
    def append_audit(
        self, conn: dbmod.Connection, action: str, rtype: str = "", record_id: str = "",
        detail: str = "", actor: str | None = None,
    ) -> None:  # fmt: skip
        """Audit entry inside a caller's transaction (for writers outside this class)."""
        audit_log.append(conn, self._audit_key, actor=actor or self.user, action=action,
                         rtype=rtype, record_id=record_id, detail=detail)  # fmt: skip

    def append_audit_many(
        self, conn: dbmod.Connection, entries: list[tuple[str, str, str, str]],
        actor: str | None = None,
    ) -> None:  # fmt: skip
        """Audit entries ``(action, rtype, record_id, detail)`` in order, inside a caller's
        transaction, in one insert (the same chain as one :meth:`append_audit` each)."""
        audit_log.append_many(conn, self._audit_key, actor or self.user, entries)

    def pending_changes(self, limit: int = 500) -> list[PendingChange]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT seq, change_id, record_id, rtype, version, base_version, op, state, error"
                " FROM outbox WHERE state IN ('pending', 'uploading') ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [PendingChange(*r) for r in rows]

    def pending_count(self) -> int:
        with self._lock:
            row = self.conn.execute(
                "SELECT count(*) FROM outbox WHERE state NOT IN ('done', 'superseded')"
            ).fetchone()
        return int(row[0])

    def set_change_state(
        self, change_ids: Sequence[str], state: str, error: str | None = None
    ) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET state = ?, error = ? WHERE change_id = ?",
                [(state, error, c) for c in change_ids],
            )

    # --------------------------------------------------------------------------- audit --
    def audit(self, action: str, rtype: str = "", record_id: str = "", detail: str = "") -> None:
        """Record an access (e.g. a chart opened) in the hash-chained audit log."""
        with self.transaction() as conn:
            audit_log.append(
                conn,
                self._audit_key,
                actor=self.user,
                action=action,
                rtype=rtype,
                record_id=record_id,
                detail=detail,
            )

    def verify_audit(self) -> audit_log.AuditReport:
        with self._lock:
            return audit_log.verify(self.conn, self._audit_key)

    def audit_entries(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT seq, ts, actor, action, rtype, record_id, detail FROM audit"
                " ORDER BY seq DESC LIMIT ?",
                (limit,),
            ).fetchall()
        keys = ("seq", "ts", "actor", "action", "rtype", "record_id", "detail")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # --------------------------------------------------------------------- attachments --
    def add_attachment(self, source: Path | BinaryIO, mime: str) -> tuple[str, int]:
        """Encrypt a file into the vault (streamed) and register it; returns (digest, size)."""
        stored = self.store_attachment(source, mime)
        return stored.digest, stored.size

    def store_attachment(self, source: Path | BinaryIO, mime: str) -> StoredFile:
        """Like :meth:`add_attachment`, also giving the plain SHA-256 that identifies it in sync."""
        self._data_key()
        if isinstance(source, Path | str):
            try:
                fh = open(source, "rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise faults.from_os_error(
                    exc, Path(source).parent, doing="reading the file to attach",
                    outcome="Nothing was saved.",
                ) from None  # fmt: skip
            with fh:
                stored = self.attachments.store(fh)
        else:
            stored = self.attachments.store(source)
        digest = stored.digest
        with self.transaction("saving the attachment") as conn:
            conn.execute(
                "INSERT INTO attachments(digest, size, mime, created_at, sha256)"
                " VALUES (?,?,?,?,?) ON CONFLICT(digest) DO UPDATE SET sha256 = excluded.sha256",
                (digest, stored.size, mime, _now(), stored.sha256),
            )
            audit_log.append(
                conn,
                self._audit_key,
                actor=self.user,
                action="attachment.add",
                rtype="Binary",
                record_id=digest,
            )
        return stored

    def attachment_by_sha256(self, sha256: str) -> str | None:
        """The vault name of the attachment with this content hash, if it is here."""
        with self._lock:
            row = self.conn.execute(
                "SELECT digest FROM attachments WHERE sha256 = ?", (sha256,)
            ).fetchone()
        return str(row[0]) if row else None

    def attachment_info(self, digest: str) -> tuple[int, str]:
        with self._lock:
            row = self.conn.execute(
                "SELECT size, mime FROM attachments WHERE digest = ?", (digest,)
            ).fetchone()
        if row is None:
            raise NotFound("No such attachment.")
        return int(row[0]), str(row[1])

    # ------------------------------------------------------------------ backup, checks --
    def integrity_check(self) -> list[str]:
        """``PRAGMA integrity_check``; a page it cannot read raises the named error."""
        with self._lock:
            return dbmod.integrity_check(
                self.conn, path=self.profile / DB_NAME, key=self._data_key()
            )

    @property
    def schema(self) -> int:
        with self._lock:
            return schema_version(self.conn)

    def check(self, *, full: bool = False) -> CheckReport:
        """``clinic-app check`` on this open profile: reading only; this process's writes wait
        while the database, its log and its mark are read (not while attachments are)."""
        from local_store import checkup

        return checkup.check_profile(
            self.profile, data_key=self._data_key(), full=full, quiet=lambda: self._lock,
            db_fd=self._db_fd,
        )  # fmt: skip

    def check_lightly(self, stop: Callable[[], bool]) -> CheckReport:
        """The full check from another thread while this store is in use: its own read-only
        connections; this store's writes wait only while a chunk of the database file, its log
        or its mark is read. Raises :class:`StoreLocked` once the store is locked or ``stop()``
        is true (what was found is then thrown away)."""
        from local_store import checkup

        data_key, fd = self._data_key(), self._db_fd

        @contextlib.contextmanager
        def hold() -> Iterator[None]:
            with self._lock:
                if self._conn is None or stop():
                    raise StoreLocked("The workstation is locked.")
                yield

        return checkup.check_profile(
            self.profile, data_key=data_key, full=True, db_fd=fd, hold=hold, stop=stop
        )

    @property
    def high_water(self) -> Mark | None:
        """The high-water mark as its file holds it now (None: none, or not kept)."""
        with self._lock:
            return self._mark.read() if self._mark is not None else None

    def backup(self, dest: Path, *, skip_damaged: bool = False) -> Path:
        """Write a verified backup archive (see :meth:`write_backup`); returns its path."""
        return self.write_backup(dest, skip_damaged=skip_damaged).path

    def write_backup(self, dest: Path, *, skip_damaged: bool = False) -> BackupResult:
        """Write an encrypted backup archive: key header, database copy (backup API), attachments.

        Everything inside is as encrypted as the profile; the same passphrases open it. The
        database copy, its counts and its list of attachments come from one snapshot, so a
        running workstation can keep writing. Every attachment is decrypted and verified
        first: a damaged or missing one refuses the backup (:class:`AttachmentDamaged`, with
        the count) unless ``skip_damaged``, which leaves it out and says so in the result. The
        archive is built under a hidden name in the destination folder, synced, then read back
        (:func:`local_store.checkup.check_archive`) and takes its name only when it verified;
        on any failure nothing is left there.
        """
        from local_store import checkup

        dest = Path(dest)
        if dest.is_dir():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            dest = dest / f"clinic-backup-{stamp}.clinicbackup"
        folder = dest.parent
        doing = f"writing the backup to {folder}"
        outcome = "No backup file was left behind."
        partial = dest.with_name(f".{dest.name}.partial")
        key = self._data_key()
        try:
            needed = self._backup_size()
            free = faults.free_bytes(folder)
            if free is not None and free < needed:
                raise faults.disk_full(folder, doing=doing, needed=needed - free, outcome=outcome)
            with tempfile.TemporaryDirectory(dir=folder, prefix=".clinic-backup-") as tmp:
                db_copy = Path(tmp) / DB_NAME
                with self._lock:
                    conn = self.conn
                    # One read snapshot: the copy, the counts it must hold, its attachments.
                    conn.execute("BEGIN")
                    try:
                        digests = [
                            r[0] for r in conn.execute("SELECT digest FROM attachments ORDER BY 1")
                        ]
                        schema = schema_version(conn)
                        counts = checkup.record_counts(conn)
                        header = (self.profile / HEADER_NAME).read_bytes()
                        dbmod.backup_to(conn.raw, db_copy, key)
                    finally:
                        if conn.in_transaction:
                            conn.execute("COMMIT")
                found = checkup.check_attachments(self.attachments, digests)
                if found.failed and not skip_damaged:
                    raise AttachmentDamaged(
                        f"{len(found.failed)} of {found.total} attachments are damaged or missing"
                        f" ({found.tally()}), so no backup was written. Run `clinic-app check`"
                        " for details; to back up everything else anyway, run `clinic-app"
                        " backup --skip-damaged`.",
                        variant="backup_refused", bad=len(found.failed), total=found.total,
                        tally=found.tally(),
                    )  # fmt: skip
                kept = [d for d in digests if d not in found.failed]
                manifest = {
                    "format": BACKUP_FORMAT,
                    "store_id": self.store_id,
                    "schema": schema,
                    "created": _now(),
                    "attachments": len(kept),
                    "attachments_left_out": len(found.failed),
                    "counts": counts,
                }
                with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                    zf.writestr("manifest.json", json.dumps(manifest))
                    zf.writestr(HEADER_NAME, header)
                    zf.write(db_copy, DB_NAME)
                    for digest in kept:
                        zf.write(self.attachments.path_for(digest), f"{ATTACHMENTS}/{digest}")
                with open(partial, "rb+") as fh:
                    os.fsync(fh.fileno())
                    # Read back from the medium, not from what the system still caches.
                    with contextlib.suppress(AttributeError, OSError):
                        os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                db_copy.unlink()
                expect = checkup.ArchiveExpectation(header, counts, schema, tuple(kept))
                checkup.check_archive(partial, key, expect, self.attachments, Path(tmp))
                partial.replace(dest)
                fsync_dir(folder)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                partial.unlink()
            if isinstance(exc, OSError):
                raise faults.from_os_error(
                    exc, folder, doing=doing, needed=self._backup_size(), outcome=outcome
                ) from None
            if isinstance(exc, StorageFault) and "No copy was kept." in str(exc):
                raise type(exc)(str(exc).replace("No copy was kept.", outcome)) from None
            raise
        left_out = f"; {len(found.failed)} attachments left out" if found.failed else ""
        self.audit("backup", detail=dest.name + left_out)
        return BackupResult(dest, len(kept), dict(found.failed), found.tally(), counts)

    def _backup_size(self, digests: Sequence[str] | None = None) -> int:
        """About how many bytes a backup archive takes (database copy plus attachments)."""
        total = 0
        with contextlib.suppress(OSError):
            total += (self.profile / DB_NAME).stat().st_size
            total += (self.profile / f"{DB_NAME}-wal").stat().st_size
        if digests is None:
            with contextlib.suppress(Exception), self._lock:
                digests = [r[0] for r in self.conn.execute("SELECT digest FROM attachments")]
        for digest in digests or []:
            with contextlib.suppress(OSError, NotFound):
                total += self.attachments.path_for(digest).stat().st_size
        return total + 64 * 1024

    @staticmethod
    def restore(
        archive: Path, profile: Path, user: str, passphrase: str, *, replace: bool = False
    ) -> Path | None:
        """Restore a backup archive into ``profile`` (:func:`local_store.restoring.restore`,
        which also reports what was kept).

        Everything is checked (archive, passphrase, database integrity) in a staging folder
        before the profile is touched. A profile already there, damaged or not, is never opened
        and never deleted: it is moved to a dated folder beside, whose path is returned.
        """
        from local_store.restoring import restore

        return restore(archive, profile, user, passphrase, replace=replace).previous


__all__ = [
    "CURRENT_SCHEMA",
    "IntegrityFailure",
    "PendingChange",
    "Saved",
    "Store",
    "WriteItem",
    "WrongPassphrase",
]
