"""Salvage: copy every record that can still be read out of a damaged profile into a new one.

The Python binding has no SQLite recovery extension, so the damaged database is read through
SQL, table by table, in rowid order, and every stretch SQLite cannot read is stepped over:

* a failed read is retried from the row after the last one read; when even the key of the next
  row cannot be reached (a damaged b-tree page), the next readable key is found by seeking ever
  further ahead and then halving back (a seek lands past the damaged page once its key range is
  passed), so every readable page of a table is read;
* the indexes (``records_rtype``, ``outbox_state``) are read the same way, without the table:
  they say which rows existed, so rows on damaged table pages are counted lost by type;
* a record whose row is lost is taken from ``record_history`` (a separate b-tree) when its
  newest version can be read there;
* pages are authenticated (:mod:`local_store.pagecheck`) to name the damaged ones.

The damaged profile is never written to: its database and log are copied (a page the disk
cannot read becomes a zero page, i.e. a damaged one) into a private working folder beside the
new profile, and only that copy is opened; the copy stays encrypted and is removed at the end.

The new profile keeps the damaged profile's key file, so every user's passphrase and the
recovery key go on working (the same data key: verified attachments are copied as they are).
Its audit chain starts anew, with an entry saying it was salvaged and what was kept and lost.
The sync account is kept; the sync cursor is not, so the next sync receives again everything
the central platform holds and fills in synced records that were lost here. Changes not yet
sent keep their change ids (a change the platform already has is not applied twice).
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import errno
import hashlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local_store import db as dbmod
from local_store import faults, pagecheck
from local_store.atomic import fsync_dir
from local_store.attachments import AttachmentVault
from local_store.errors import (
    ClinicError,
    DatabaseDamaged,
    KeyFileDamaged,
    ProfileExists,
    StoreError,
)
from local_store.guard import GuardedConnection
from local_store.highwater import HighWaterMark
from local_store.keyslots import KeyHeader
from local_store.schema import CURRENT_SCHEMA, schema_version
from local_store.store import ATTACHMENTS, CREATING, DB_NAME, HEADER_NAME, Store, _subkey

log = logging.getLogger(__name__)

BATCH = 500
MIN_KEY = -(2**63)
MAX_KEY = 2**63 - 1
OPEN_STATES = ("pending", "uploading", "error", "conflict")
# Meta rows that describe the damaged file itself (or are made anew), never copied.
NOT_COPIED = {"commit_seq", "audit_head", "keys_sha256", "sync_cursor", "reindex_search"}
UNKNOWN_TYPE = "(type unreadable)"
LOST_STATUS = 36  # `clinic-app salvage` exit status when anything was lost (0: all kept)
PatientOf = Callable[[dict[str, Any]], str | None]


class Unreadable(DatabaseDamaged):
    """A read met a damaged page of the working copy (stepped over by the salvage)."""


# ------------------------------------------------------------------------------ results --
@dataclass(frozen=True)
class RecordRow:
    """One record as the damaged store held it (``resource`` is the stored JSON text)."""

    record_id: str
    rtype: str
    version: int
    patient_id: str | None
    deleted: bool
    updated_at: str
    resource: str


@dataclass(frozen=True)
class UnsentChange:
    """A local change the central platform had not acknowledged, with its record's body."""

    change_id: str
    record_id: str
    rtype: str
    version: int
    base_version: int | None
    op: str
    state: str
    error: str | None
    created_at: str
    deleted: bool
    body: str


@dataclass(frozen=True)
class LostChange:
    """An unsent change that could not be read: what is known of it."""

    rtype: str | None
    record_id: str | None
    reason: str

    def describe(self) -> str:
        what = f"{self.rtype or 'record'}/{self.record_id}" if self.record_id else "a change"
        return f"{what}: {self.reason}"


@dataclass
class RecordsRead:
    rows: dict[str, RecordRow] = field(default_factory=dict)
    from_history: set[str] = field(default_factory=set)
    maybe_older: set[str] = field(default_factory=set)  # a newer version may have been lost
    lost: dict[str, int] = field(default_factory=dict)  # per type
    exact: bool = True  # False: some rows' existence could not be learned either


@dataclass
class UnsentRead:
    changes: list[UnsentChange] = field(default_factory=list)
    lost: list[LostChange] = field(default_factory=list)
    exact: bool = True


@dataclass
class AttachmentsRead:
    rows: list[tuple[str, int, str, str, str]] = field(default_factory=list)  # verified
    lost: int = 0


@dataclass
class SalvageReport:
    """What a salvage kept and lost (counts and types only: no patient data)."""

    source: Path
    dest: Path
    damaged_pages: list[int]
    log_commits_lost: int
    kept: dict[str, int]  # live records per type
    deleted_kept: int
    from_history: int
    maybe_older: int
    lost: dict[str, int]  # records per type ("(type unreadable)" when even that is gone)
    exact: bool
    unsent_kept: int
    unsent_requeued: int
    unsent_lost: list[LostChange]
    attachments_kept: int
    attachments_lost: int
    sync_account: bool
    mark_behind: int = 0  # saved transactions the high-water mark has and the database lacks

    @property
    def complete(self) -> bool:
        """Everything was kept: no record, unsent change, attachment or saved change lost."""
        return (
            self.exact
            and not self.records_lost
            and not self.unsent_lost
            and not self.attachments_lost
            and not self.log_commits_lost
            and not self.mark_behind
        )

    @property
    def exit_status(self) -> int:
        """0 when everything was kept, :data:`LOST_STATUS` when anything was lost."""
        return 0 if self.complete else LOST_STATUS

    def verdict(self) -> str:
        """The report's last line: whether anything was lost, and how much."""
        if self.complete:
            return "Salvage complete: every record, change and attachment was kept."
        parts = []
        if self.records_lost or not self.exact:
            parts.append(f"{self.records_lost}{'' if self.exact else ' or more'} records")
        if self.unsent_lost:
            parts.append(f"{len(self.unsent_lost)} unsent changes")
        if self.attachments_lost:
            parts.append(f"{self.attachments_lost} attachments")
        if self.log_commits_lost or self.mark_behind:
            saved = max(self.log_commits_lost, self.mark_behind)
            parts.append(
                f"{saved} saved transactions (changes or audit entries) the database no longer"
                " holds"
            )
        return (
            f"Salvage INCOMPLETE: lost {', '.join(parts)}; the rest is in {self.dest}. A"
            " backup (`clinic-app restore`) or the central platform (`clinic-app rebuild`) may"
            " hold what was lost."
        )

    @property
    def records_kept(self) -> int:
        return sum(self.kept.values()) + self.deleted_kept

    @property
    def records_lost(self) -> int:
        return sum(self.lost.values())

    def summary(self) -> str:
        """One line for the audit log."""
        return (
            f"kept {self.records_kept} records, lost {self.records_lost}"
            f"{'' if self.exact else ' or more'}; unsent kept {self.unsent_kept}, re-queued"
            f" {self.unsent_requeued}, lost {len(self.unsent_lost)}; attachments kept"
            f" {self.attachments_kept}, lost {self.attachments_lost}"
        )

    def lines(self) -> list[str]:
        out = [f"Salvaged into {self.dest} (the damaged profile {self.source} was not changed)."]
        if self.damaged_pages:
            shown = ", ".join(str(p) for p in self.damaged_pages[:10])
            more = (
                f" and {len(self.damaged_pages) - 10} more" if len(self.damaged_pages) > 10 else ""
            )
            out.append(f"Damaged database pages: {len(self.damaged_pages)} (page {shown}{more}).")
        if self.log_commits_lost:
            out.append(
                f"The change log was damaged: {self.log_commits_lost} committed changes after"
                " the damage could not be read."
            )
        if self.mark_behind:
            out.append(
                f"The database is behind its high-water mark: the last {self.mark_behind} saved"
                " transactions (changes or audit entries) are not in it (an older or torn copy,"
                " or a lost change log)."
            )
        out.append(f"{'Record type':<28} {'kept':>8} {'lost':>8}")
        for rtype in sorted(set(self.kept) | set(self.lost)):
            out.append(f"{rtype:<28} {self.kept.get(rtype, 0):>8} {self.lost.get(rtype, 0):>8}")
        out.append(
            f"{'total':<28} {sum(self.kept.values()):>8} {self.records_lost:>8}"
            f"{'' if self.exact else '  (at least: part of the index is damaged too)'}"
        )
        if self.deleted_kept:
            out.append(f"Deleted records kept as deletions: {self.deleted_kept}.")
        if self.from_history:
            older = f", {self.maybe_older} of them maybe not at their last version"
            out.append(
                f"Taken from the record history (their row was damaged): {self.from_history}"
                f"{older if self.maybe_older else ''}."
            )
        out.append(
            f"Changes not yet sent: {self.unsent_kept} kept, {self.unsent_requeued} re-queued"
            f" from their record, {len(self.unsent_lost)} lost."
        )
        out.extend(f"  lost unsent change: {lost.describe()}" for lost in self.unsent_lost)
        out.append(
            f"Attachments: {self.attachments_kept} kept, {self.attachments_lost} lost"
            " (damaged or missing)."
        )
        out.append(
            "Sync account kept; the next sync receives again everything the central platform holds."
            if self.sync_account
            else "No sync account could be read: connect again with `clinic-app enroll`."
        )
        out.append("Every user's passphrase and the recovery key open the new profile.")
        out.append(self.verdict())
        return out


# ------------------------------------------------------------------- the damaged side --
def _copy_tolerant(src: Path, dest: Path) -> int:
    """Copy ``src`` to ``dest`` (owner-only); pages the disk cannot read become zero pages.

    Returns how many pages were unreadable. Only ``src`` is read: it is never opened for writing.
    """
    bad = 0
    with open(src, "rb", buffering=0) as fin:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fout:
            size = os.fstat(fin.fileno()).st_size
            offset = 0
            while offset < size:
                try:
                    block = os.pread(fin.fileno(), 1024 * 1024, offset)
                except OSError as exc:
                    if exc.errno != errno.EIO:
                        raise
                    block = b""
                    for page in range(offset, min(size, offset + 1024 * 1024), pagecheck.PAGE):
                        try:
                            block += os.pread(fin.fileno(), pagecheck.PAGE, page)
                        except OSError as err:
                            if err.errno != errno.EIO:
                                raise
                            block += bytes(min(pagecheck.PAGE, size - page))
                            bad += 1
                if not block:
                    break
                fout.write(block)
                offset += len(block)
            fout.flush()
            os.fsync(fout.fileno())
    return bad


class DamagedProfile:
    """A damaged profile opened for reading only, through a private copy of its database.

    ``with DamagedProfile.open(folder, user, passphrase, work_dir) as damaged: ...``
    """

    def __init__(self, folder: Path, header: KeyHeader, data_key: bytes, work: Path) -> None:
        self.folder = Path(folder)
        self.header = header
        self.data_key = data_key
        self._work = work
        self.unreadable_disk_pages = 0
        self.damaged_pages: list[int] = []
        self.log_commits_lost = 0
        self._conn: GuardedConnection | None = None
        self._reopen = False
        self._uncertain: set[str] = set()
        self.open_error: ClinicError | None = None

    # ---------------------------------------------------------------------- opening --
    @classmethod
    @contextlib.contextmanager
    def open(
        cls, folder: Path, user: str, passphrase: str, work_parent: Path
    ) -> Iterator[DamagedProfile]:
        folder = Path(folder)
        header = Store.load_header(folder)
        data_key = header.unlock(user, passphrase)
        with cls.opened(folder, header, data_key, work_parent) as damaged:
            yield damaged

    @classmethod
    @contextlib.contextmanager
    def opened(
        cls, folder: Path, header: KeyHeader, data_key: bytes, work_parent: Path
    ) -> Iterator[DamagedProfile]:
        """The same with a key already known (a restore reads the profile it replaces with
        the backup's key: its own key file may be missing)."""
        folder = Path(folder)
        try:
            work = Path(tempfile.mkdtemp(prefix=".clinic-salvage-", dir=work_parent))
        except OSError as exc:
            raise faults.from_os_error(
                exc, work_parent, doing="making a working folder for the salvage",
                outcome="Nothing was changed.",
            ) from None  # fmt: skip
        damaged = cls(folder, header, data_key, work)
        try:
            damaged._prepare()
            yield damaged
        finally:
            damaged.close()

    def _prepare(self) -> None:
        source = self.folder / DB_NAME
        copy = self._work / DB_NAME
        doing = "copying the damaged database to read it"
        try:
            if not source.exists():
                self.open_error = DatabaseDamaged(
                    f"The record database is missing from {self.folder}: nothing can be read."
                )
                return
            self.unreadable_disk_pages = _copy_tolerant(source, copy)
            wal = Path(f"{source}-wal")
            if wal.exists() and wal.stat().st_size > 0:
                _copy_tolerant(wal, Path(f"{copy}-wal"))
        except OSError as exc:
            raise faults.from_os_error(
                exc, self._work, doing=doing, outcome="Nothing was changed."
            ) from None
        scan = pagecheck.scan_database(copy, self.data_key)
        self.damaged_pages = sorted(scan.bad_pages + scan.zero_pages)
        wal_scan = pagecheck.scan_wal(Path(f"{copy}-wal"), self.data_key, pagecheck.file_salt(copy))
        self.log_commits_lost = wal_scan.commits_lost
        try:
            raw = self._connect()
        except ClinicError as exc:
            first = str(exc).split(". ")[0]
            self.open_error = type(exc)(
                f"{first}: the record database cannot be opened at all, so no record can be"
                " read from it. Rebuild from the central platform (`clinic-app rebuild`) or"
                " restore a backup; the damaged profile was not changed."
            )
            return
        self._conn = GuardedConnection(raw, self._translate)
        try:
            found = schema_version(self._conn)
            self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except Unreadable:
            self.open_error = DatabaseDamaged(
                "The first page of the record database (its table of contents) is damaged:"
                " no record can be found in it. Rebuild from the central platform"
                " (`clinic-app rebuild`) or restore a backup."
            )
            return
        if found < 4 or found > CURRENT_SCHEMA:
            self.open_error = StoreError(
                f"This profile has schema {found}; salvage reads schemas 4 to {CURRENT_SCHEMA}."
            )

    def _translate(self, exc: BaseException) -> ClinicError | None:
        if isinstance(exc, OSError):
            return faults.from_os_error(
                exc, self._work, doing="reading the copy of the damaged database",
                outcome="Nothing was changed.",
            )  # fmt: skip
        if faults.sqlite_code(exc) in faults.DAMAGE_CODES or isinstance(exc, MemoryError):
            # SQLCipher answers a page that fails its HMAC with SQLITE_CORRUPT, and every read
            # after it on that connection with SQLITE_NOMEM: the connection is opened anew
            # before the next statement.
            self._reopen = True
            return Unreadable(f"a damaged page ({type(exc).__name__})")
        return faults.from_sqlite_error(
            exc, self._work, doing="reading the copy of the damaged database",
            outcome="Nothing was changed.",
        )  # fmt: skip

    @property
    def readable(self) -> bool:
        return self._conn is not None and self.open_error is None

    @property
    def conn(self) -> GuardedConnection:
        if self._conn is None or self.open_error is not None:
            raise self.open_error or DatabaseDamaged("The record database cannot be read.")
        if self._reopen:
            self._reopen = False
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = GuardedConnection(self._connect(), self._translate)
        return self._conn

    def _connect(self) -> Any:
        return dbmod.connect(self._work / DB_NAME, self.data_key, durable=False)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        shutil.rmtree(self._work, ignore_errors=True)

    # --------------------------------------------------------------- reading, skipping --
    def _first_key(self, source: str, key: str, where: str, params: tuple[Any, ...],
                   at: int) -> int | None:  # fmt: skip
        cond = f"{where} AND " if where else ""
        row = self.conn.execute(
            f"SELECT {key} FROM {source} WHERE {cond}{key} >= ? ORDER BY {key} LIMIT 1",
            (*params, at),
        ).fetchone()
        return None if row is None else int(row[0])

    def _readable_from(self, source: str, key: str, where: str, params: tuple[Any, ...],
                       failed: int) -> int | None:  # fmt: skip
        """The smallest start above ``failed`` from which a seek succeeds (None: none does).

        Seeks ever further ahead until one lands past the damage, then halves back to the
        first position that succeeds: rows between were on the damaged pages.
        """
        step = 1
        while True:
            probe = failed + step
            if probe > MAX_KEY:
                return None
            try:
                self._first_key(source, key, where, params, probe)
            except Unreadable:
                failed, step = probe, step * 2
                continue
            lo, hi = failed, probe
            while hi - lo > 1:
                mid = (lo + hi) // 2
                try:
                    self._first_key(source, key, where, params, mid)
                    hi = mid
                except Unreadable:
                    lo = mid
            return hi

    def scan(
        self, source: str, key: str, cols: str, where: str = "", params: tuple[Any, ...] = ()
    ) -> tuple[dict[int, tuple[Any, ...]], set[int], int]:
        """Every readable row of ``source`` by integer ``key``: (rows, keys whose row is
        unreadable, stretches stepped over without even their keys)."""
        cond = f"{where} AND " if where else ""
        select = (
            f"SELECT {key}, {cols} FROM {source} WHERE {cond}{key} >= ?"
            f" ORDER BY {key} LIMIT {BATCH}"
        )
        rows: dict[int, tuple[Any, ...]] = {}
        bad: set[int] = set()
        gaps = 0
        start: int | None = MIN_KEY
        while start is not None:
            got = 0
            try:
                for row in self.conn.execute(select, (*params, start)):
                    rows[int(row[0])] = tuple(row[1:])
                    got += 1
                    start = int(row[0]) + 1 if row[0] < MAX_KEY else None
                    if start is None:
                        break
                if got < BATCH:
                    break
                continue
            except Unreadable:
                pass
            assert start is not None
            try:
                found = self._first_key(source, key, where, params, start)
            except Unreadable:
                gaps += 1
                start = self._readable_from(source, key, where, params, start)
                continue
            if found is None:
                break
            try:  # the key is reachable but not its row (e.g. a damaged overflow page)
                row = self.conn.execute(
                    f"SELECT {key}, {cols} FROM {source} WHERE {cond}{key} = ?", (*params, found)
                ).fetchone()
                if row is not None:
                    rows[found] = tuple(row[1:])
            except Unreadable:
                bad.add(found)
            start = found + 1 if found < MAX_KEY else None
        return rows, bad, gaps

    def _groups(self, source: str, column: str, known: set[str]) -> tuple[set[str], bool]:
        """Distinct values of an index's first column (best effort): (values, complete)."""
        found = set(known)
        last = ""
        while True:
            try:
                row = self.conn.execute(
                    f"SELECT {column} FROM {source} WHERE {column} > ? ORDER BY {column} LIMIT 1",
                    (last,),
                ).fetchone()
            except Unreadable:
                return found, False
            if row is None:
                return found, True
            last = str(row[0])
            found.add(last)

    # ------------------------------------------------------------------------ tables --
    def read_records(self) -> RecordsRead:
        result = RecordsRead()
        if not self.readable:
            result.exact = False
            return result
        rows, bad, gaps = self.scan(
            "records", "rowid", "id, rtype, version, patient_id, deleted, updated_at, resource"
        )
        read_rowids = set(rows)
        for r in rows.values():
            rec = RecordRow(str(r[0]), str(r[1]), int(r[2]), r[3], bool(r[4]), str(r[5]), str(r[6]))
            result.rows[rec.record_id] = rec
        # Which rows existed, from the type index (read without the table).
        types, complete = self._groups("records INDEXED BY records_rtype", "rtype",
                                       {r.rtype for r in result.rows.values()})  # fmt: skip
        missing: dict[int, str] = {}
        for rtype in types:
            ids, bad_ix, gaps_ix = self.scan(
                "records INDEXED BY records_rtype", "rowid", "rtype", "rtype = ?", (rtype,)
            )
            complete = complete and not bad_ix and not gaps_ix
            for rowid in ids:
                if rowid not in read_rowids:
                    missing[rowid] = rtype
        for rowid in bad:
            missing.setdefault(rowid, UNKNOWN_TYPE)
        result.exact = complete or (not gaps and not bad)
        if not missing and result.exact:
            return result
        # Rows lost from the table: their newest version may still be in the record history.
        id_of, _complete = self._record_ids(sorted(result.rows))
        server = self._sync_base_versions()
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        for rowid, rtype in missing.items():
            rid = id_of.get(rowid)
            found = self._newest_version(rid, server.get(rid), now) if rid else None
            if found is None:
                result.lost[rtype] = result.lost.get(rtype, 0) + 1
                continue
            result.rows[found.record_id] = found
            result.from_history.add(found.record_id)
            if found.record_id in self._uncertain:
                result.maybe_older.add(found.record_id)
        return result

    def _newest_version(
        self, rid: str, server: tuple[int, bool] | None, now: str
    ) -> RecordRow | None:
        """The newest readable version of a record in ``record_history``."""
        versions, bad, gaps = self.scan(
            "record_history", "version", "deleted, resource", "id = ?", (rid,)
        )
        if not versions:
            return None
        version = max(versions)
        deleted, body = bool(versions[version][0]), str(versions[version][1])
        if bad or gaps:
            self._uncertain.add(rid)  # a newer version may have been on the damaged page
        try:
            res = json.loads(body)
        except ValueError:
            return None
        rtype = res.get("resourceType") if isinstance(res, dict) else None
        if not isinstance(rtype, str):
            return None
        if server is not None and server[0] > version and server[1]:
            version, deleted = server[0], True  # deleted by a pull after its last version
        return RecordRow(rid, rtype, version, None, deleted, now, body)

    def _seek_ok(self, seek: str, key: str) -> bool:
        try:
            self.conn.execute(seek, (key,)).fetchone()
        except Unreadable:
            return False
        return True

    def _resume(self, seek: str, failed: str, known: list[str]) -> str | None:
        """A text key after ``failed`` from which ``seek`` succeeds again.

        Keys known from elsewhere (the records table) are tried first, ever further ahead and
        then halving back; then larger and larger steps over the last key's characters.
        """
        ahead = known[bisect.bisect_right(known, failed) :]
        lo, step, hi = -1, 1, None
        while lo + step < len(ahead):
            if self._seek_ok(seek, ahead[lo + step]):
                hi = lo + step
                break
            lo, step = lo + step, step * 2
        if hi is not None:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if self._seek_ok(seek, ahead[mid]):
                    hi = mid
                else:
                    lo = mid
            return ahead[hi]
        start = ahead[-1] if ahead else failed
        for pos in range(len(start) - 1, -1, -1):
            if ord(start[pos]) >= 0x10FFFF:
                continue
            candidate = start[:pos] + chr(ord(start[pos]) + 1)
            if self._seek_ok(seek, candidate):
                return candidate
        return None

    def _record_ids(self, known: list[str]) -> tuple[dict[int, str], bool]:
        """rowid -> record id, from the index of record ids (read without the table)."""
        source = "records INDEXED BY sqlite_autoindex_records_1"
        seek = f"SELECT id FROM {source} WHERE id >= ? ORDER BY id LIMIT 1"
        out: dict[int, str] = {}
        last: str | None = None
        complete = True
        while True:
            where, params = ("", ()) if last is None else ("WHERE id >= ?", (last,))
            got = 0
            try:
                for rid, rowid in self.conn.execute(
                    f"SELECT id, rowid FROM {source} {where} ORDER BY id LIMIT {BATCH}", params
                ):
                    out[int(rowid)] = last = str(rid)
                    got += 1
                if got < BATCH:
                    return out, complete
                continue
            except Unreadable:
                complete = False
            resume = self._resume(seek, last or "", known)
            if resume is None:
                return out, complete
            last = resume

    def _sync_base_versions(self) -> dict[str, tuple[int, bool]]:
        rows, _bad, _gaps = self.scan("sync_base", "rowid", "record_id, version, deleted")
        return {str(r[0]): (int(r[1]), bool(r[2])) for r in rows.values()}

    def read_sync_base(self, ids: set[str]) -> list[tuple[str, str, int, int, str | None]]:
        if not self.readable:
            return []
        rows, _bad, _gaps = self.scan(
            "sync_base", "rowid", "record_id, rtype, version, deleted, resource"
        )
        return [
            (str(r[0]), str(r[1]), int(r[2]), int(r[3]), r[4]) for r in rows.values() if r[0] in ids
        ]

    def read_meta(self) -> dict[str, str]:
        if not self.readable:
            return {}
        rows, _bad, _gaps = self.scan("meta", "rowid", "key, value")
        return {str(r[0]): str(r[1]) for r in rows.values() if r[1] is not None}

    def history_body(self, record_id: str, version: int) -> tuple[bool, str] | None:
        try:
            row = self.conn.execute(
                "SELECT deleted, resource FROM record_history WHERE id = ? AND version = ?",
                (record_id, version),
            ).fetchone()
        except Unreadable:
            return None
        return (bool(row[0]), str(row[1])) if row else None

    def read_unsent(self, records: dict[str, RecordRow]) -> UnsentRead:
        """Every change not acknowledged by the central platform that can be read, in order.

        A change whose version cannot be read is dropped, and the next change of the same
        record is based where the dropped one was (the platform merges or reports a conflict).
        """
        result = UnsentRead()
        if not self.readable:
            result.exact = False
            result.lost.append(LostChange(None, None, "the record database cannot be read"))
            return result
        cols = "change_id, record_id, rtype, version, base_version, op, state, error, created_at"
        every, bad, gaps = self.scan("outbox NOT INDEXED", "seq", cols)
        rows = {seq: row for seq, row in every.items() if row[6] in OPEN_STATES}
        # Which open changes existed, from the state index (read without the table).
        known: set[int] = set()
        index_complete = True
        for state in OPEN_STATES:
            seqs, bad_ix, gaps_ix = self.scan(
                "outbox INDEXED BY outbox_state", "seq", "state", "state = ?", (state,)
            )
            known |= set(seqs)
            index_complete = index_complete and not bad_ix and not gaps_ix
        result.exact = index_complete or (not gaps and not bad)
        lost_seqs = sorted((known - set(every)) | bad)
        owners = self._owners(lost_seqs)
        for seq in lost_seqs:
            rid = owners.get(seq)
            rtype = records[rid].rtype if rid and rid in records else None
            result.lost.append(LostChange(rtype, rid, "its outbox entry is on a damaged page"))
        by_record: dict[str, list[tuple[int, tuple[Any, ...]]]] = {}
        for seq in sorted(rows):
            by_record.setdefault(str(rows[seq][1]), []).append((seq, rows[seq]))
        ordered: list[tuple[int, UnsentChange]] = []
        for rid, changes in by_record.items():
            dropped = False  # a change of this record was dropped: the next takes its base
            carry: int | None = None
            rec = records.get(rid)
            for seq, (cid, _rid, rtype, version, base, op, state, error, created) in changes:
                body = self.history_body(rid, int(version))
                if body is None and rec is not None and rec.version == int(version):
                    body = (rec.deleted, rec.resource)
                if body is None:
                    result.lost.append(
                        LostChange(str(rtype), rid, f"version {version} cannot be read")
                    )
                    if not dropped:
                        dropped, carry = True, base
                    continue
                if dropped:
                    base, dropped = carry, False
                ordered.append((seq, UnsentChange(
                    str(cid), rid, str(rtype), int(version), base, str(op),
                    "pending" if state in ("uploading", "conflict") else str(state),
                    error, str(created), body[0], body[1],
                )))  # fmt: skip
        result.changes = [c for _seq, c in sorted(ordered, key=lambda item: item[0])]
        return result

    def _owners(self, seqs: list[int]) -> dict[int, str]:
        """Record ids of outbox entries whose rows are lost, from the record index."""
        if not seqs:
            return {}
        marks = ",".join("?" * len(seqs))
        with contextlib.suppress(Unreadable):
            return {
                int(seq): str(rid)
                for rid, seq in self.conn.execute(
                    f"SELECT record_id, seq FROM outbox INDEXED BY outbox_record"
                    f" WHERE seq IN ({marks})",
                    tuple(seqs),
                )
            }
        return {}

    def mark_behind(self, db_seq: int) -> int:
        """How many saved transactions the profile's high-water mark has beyond ``db_seq``
        (0 when there is no readable mark)."""
        key = _subkey(self.data_key, b"clinic high-water mark v1")
        try:
            mark = HighWaterMark(self.folder, key, self.header.store_id, readonly=True)
        except OSError:
            return 0
        try:
            seen = mark.read()
        except OSError:
            return 0
        finally:
            mark.close()
        return max(0, seen.commit_seq - db_seq) if seen is not None else 0

    def read_attachments(self, dest: Path) -> AttachmentsRead:
        """Copy every attachment that verifies into ``dest`` (same keys: copied as it is)."""
        result = AttachmentsRead()
        rows: dict[str, tuple[Any, ...]] = {}
        if self.readable:
            found, bad, _gaps = self.scan(
                "attachments", "rowid", "digest, size, mime, created_at, sha256"
            )
            rows = {str(r[0]): r for r in found.values()}
            result.lost += len(bad)
        folder = self.folder / ATTACHMENTS
        if not folder.is_dir():
            result.lost += len(rows)
            return result
        vault = AttachmentVault(
            folder,
            _subkey(self.data_key, b"clinic attachment enc v1"),
            _subkey(self.data_key, b"clinic attachment name v1"),
        )
        try:
            names = set(vault.names())
            for digest in sorted(names | set(rows)):
                plain = hashlib.sha256()
                size = 0
                try:
                    for block in vault.read(digest):
                        plain.update(block)
                        size += len(block)
                except (ClinicError, OSError):
                    result.lost += 1
                    continue
                row = rows.get(digest)
                mime = str(row[2]) if row else "application/octet-stream"
                created = str(row[3]) if row else datetime.now(UTC).isoformat()
                target = dest / digest
                if not target.exists():
                    shutil.copyfile(vault.path_for(digest), target)
                    os.chmod(target, 0o600)
                    with open(target, "rb+") as fh:
                        os.fsync(fh.fileno())
                result.rows.append((digest, size, mime, created, plain.hexdigest()))
        finally:
            vault.forget()
        fsync_dir(dest)
        return result


# --------------------------------------------------------------------- the new profile --
def check_destination(source: Path, out: Path) -> None:
    """Refuse a destination that is not a new (or empty) folder outside the damaged profile."""
    source, out = Path(source).resolve(), Path(out).resolve()
    if out == source or source in out.parents or out in source.parents:
        raise StoreError(
            "The new profile must be a folder of its own, neither inside the damaged profile"
            " nor around it; nothing was changed."
        )
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ProfileExists(
            f"{out} is not empty: give a new folder for the salvaged profile; nothing was changed."
        )


@contextlib.contextmanager
def new_profile(out: Path, header: KeyHeader, data_key: bytes, user: str) -> Iterator[Store]:
    """A new profile at ``out`` opened with the damaged profile's key file and data key.

    The key file takes its place (and the store is locked) when the block ends; on any
    failure the new folder is removed again (it held nothing before).
    """
    out = Path(out)
    made = not out.exists()
    doing = f"creating the new profile in {out}"
    store: Store | None = None
    try:
        try:
            out.mkdir(mode=0o700, parents=True, exist_ok=True)
            (out / CREATING).write_bytes(b"")
            fsync_dir(out)
        except OSError as exc:
            raise faults.from_os_error(exc, out, doing=doing) from None
        conn = dbmod.connect(out / DB_NAME, data_key, create=True)
        store = Store(out, conn, data_key, KeyHeader.from_bytes(header.to_bytes()), user,
                      creating=True)  # fmt: skip
        yield store
        with store._named_faults(doing):
            header.save(out / HEADER_NAME)
            (out / CREATING).unlink()
            fsync_dir(out)
        store.lock()
    except BaseException:
        if store is not None:
            store.lock()
        if made:
            shutil.rmtree(out, ignore_errors=True)
        else:
            for child in list(out.iterdir()):
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise


def write_records(conn: Any, rows: list[RecordRow], history: bool = True) -> None:
    conn.executemany(
        "INSERT INTO records(id, rtype, version, patient_id, deleted, updated_at, resource)"
        " VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET version = excluded.version,"
        " patient_id = excluded.patient_id, deleted = excluded.deleted,"
        " updated_at = excluded.updated_at, resource = excluded.resource",
        [(r.record_id, r.rtype, r.version, r.patient_id, int(r.deleted), r.updated_at,
          r.resource) for r in rows],
    )  # fmt: skip
    if history:
        conn.executemany(
            "INSERT OR REPLACE INTO record_history(id, version, deleted, resource)"
            " VALUES (?,?,?,?)",
            [(r.record_id, r.version, int(r.deleted), r.resource) for r in rows],
        )


def write_unsent(conn: Any, changes: list[UnsentChange]) -> None:
    """Outbox rows (with their versions' bodies in the history), in their original order."""
    conn.executemany(
        "INSERT OR REPLACE INTO record_history(id, version, deleted, resource) VALUES (?,?,?,?)",
        [(c.record_id, c.version, int(c.deleted), c.body) for c in changes],
    )
    conn.executemany(
        "INSERT INTO outbox(change_id, record_id, rtype, version, base_version, op, state,"
        " error, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        [(c.change_id, c.record_id, c.rtype, c.version, c.base_version, c.op, c.state, c.error,
          c.created_at) for c in changes],
    )  # fmt: skip


def write_attachments(conn: Any, rows: list[tuple[str, int, str, str, str]]) -> None:
    conn.executemany(
        "INSERT INTO attachments(digest, size, mime, created_at, sha256) VALUES (?,?,?,?,?)"
        " ON CONFLICT(digest) DO UPDATE SET sha256 = excluded.sha256",
        rows,
    )


def _set_meta(conn: Any, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def requeue(
    records: RecordsRead, unsent: UnsentRead, base: dict[str, int]
) -> tuple[list[UnsentChange], int, list[LostChange]]:
    """Make good changes whose outbox entry is lost, from their record when it is here.

    A change carries the whole record, so the record's current version sent on top of the
    last version the platform acknowledged (``base``, from ``sync_base``) says all that the lost
    changes said: the first kept change of the record is based there, and a newer current
    version than the last kept change is queued after it (a new change id). Returns (changes
    in order, how many lost entries were made good, what stays lost).
    """
    changes = list(unsent.changes)
    still_lost: list[LostChange] = []
    made_good = 0
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    for rid in dict.fromkeys(lost.record_id for lost in unsent.lost):
        entries = [lost for lost in unsent.lost if lost.record_id == rid]
        rec = records.rows.get(rid or "")
        if rec is None:
            still_lost.extend(entries)
            continue
        acked = base.get(rec.record_id)
        mine = [i for i, c in enumerate(changes) if c.record_id == rec.record_id]
        if mine:
            first = changes[mine[0]]
            changes[mine[0]] = dataclasses.replace(first, base_version=acked)
            top = changes[mine[-1]].version
        else:
            top = acked or 0
        if rec.version > top and not (acked is not None and acked >= rec.version):
            changes.append(UnsentChange(
                str(uuid.uuid4()), rec.record_id, rec.rtype, rec.version,
                top if mine else acked, "delete" if rec.deleted else "put", "pending", None,
                now, rec.deleted, rec.resource,
            ))  # fmt: skip
        made_good += len(entries)
    return changes, made_good, still_lost


def salvage(
    source: Path, out: Path, user: str, passphrase: str, *, patient_of: PatientOf | None = None
) -> SalvageReport:
    """Copy every readable record of the damaged profile ``source`` into a new one at ``out``.

    ``patient_of`` gives the patient of a record taken from the history (whose row, with its
    patient link, was lost); the core passes the records layer's own.
    """
    source, out = Path(source), Path(out)
    check_destination(source, out)
    try:
        header = Store.load_header(source)
    except KeyFileDamaged as exc:
        raise KeyFileDamaged(f"{exc} Without it nothing can be salvaged.") from None
    header.unlock(user, passphrase)  # a wrong passphrase: refused before anything is made
    work_parent = out.parent if out.parent.exists() else Path(tempfile.gettempdir())
    with DamagedProfile.open(source, user, passphrase, work_parent) as damaged:
        if not damaged.readable:
            assert damaged.open_error is not None
            raise damaged.open_error
        records = damaged.read_records()
        if patient_of is not None:
            for rid in records.from_history:
                rec = records.rows[rid]
                with contextlib.suppress(ValueError, TypeError, AttributeError):
                    pid = patient_of(json.loads(rec.resource))
                    records.rows[rid] = dataclasses.replace(rec, patient_id=pid)
        unsent = damaged.read_unsent(records.rows)
        sync_base = damaged.read_sync_base(set(records.rows))
        acked = {r[0]: r[2] for r in sync_base}
        changes, made_good, unsent_lost = requeue(records, unsent, acked)
        meta = damaged.read_meta()
        behind = 0
        with contextlib.suppress(KeyError, ValueError):  # unknown when meta is unreadable
            behind = damaged.mark_behind(int(meta["commit_seq"]))
        with new_profile(out, damaged.header, damaged.data_key, user) as store:
            attachments = damaged.read_attachments(out / ATTACHMENTS)
            report = SalvageReport(
                source=source,
                dest=out,
                damaged_pages=damaged.damaged_pages,
                log_commits_lost=damaged.log_commits_lost,
                kept=_live_counts(records),
                deleted_kept=sum(1 for r in records.rows.values() if r.deleted),
                from_history=len(records.from_history),
                maybe_older=len(records.maybe_older),
                lost=records.lost,
                exact=records.exact and unsent.exact,
                unsent_kept=len(unsent.changes),
                unsent_requeued=made_good,
                unsent_lost=unsent_lost,
                attachments_kept=len(attachments.rows),
                attachments_lost=attachments.lost,
                sync_account="sync_account" in meta,
                mark_behind=behind,
            )
            with store.transaction("writing the salvaged records") as conn:
                store.append_audit(conn, "profile.salvage", detail=report.summary())
                write_records(conn, list(records.rows.values()))
                write_unsent(conn, changes)
                conn.executemany(
                    "INSERT OR REPLACE INTO sync_base(record_id, rtype, version, deleted,"
                    " resource) VALUES (?,?,?,?,?)",
                    sync_base,
                )
                write_attachments(conn, attachments.rows)
                for key, value in meta.items():
                    if key not in NOT_COPIED:
                        _set_meta(conn, key, value)
                _set_meta(conn, "reindex_search", "1")  # search terms are made anew at open
    log.info("salvaged a damaged profile: %s", report.summary())
    return report


def _live_counts(records: RecordsRead) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rec in records.rows.values():
        if not rec.deleted:
            counts[rec.rtype] = counts.get(rec.rtype, 0) + 1
    return counts


__all__ = [
    "LOST_STATUS",
    "DamagedProfile",
    "LostChange",
    "RecordRow",
    "SalvageReport",
    "UnsentChange",
    "salvage",
]
