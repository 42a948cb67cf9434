"""The store's side of sync: claiming outbox batches, recording push results, applying pulled
changes with their cursor in one transaction, the merge base, and open conflicts.

Versions stay aligned with the server: a record's local version is the server version it was
based on plus the local edits since. A change is pushed with the version it was based on; a
merge result is written as ``server version + 1`` based on the server version.

Poison isolation. A change the central platform refuses for good is kept ``error`` with the
server's stable ``error_code`` (``invalid_id``, ``reference_not_found``…), the HTTP status it
stands for (``error_status``) and its reason; it never blocks other records, only the later
versions of its own record. What then:

* the clinician fixes the record: the fix is a new local version whose change would wait
  behind the refused one forever. Every put carries the whole record, so the newest version
  holds everything the refused one meant plus the fix: it *supersedes* the refused change and
  the versions between, and goes out in the refused change's place (same version number, same
  base; the local drafts in between are renumbered away, since the server never saw them and
  local versions must stay aligned with the server's). This happens by itself at the next
  claim; :meth:`SyncLedger.retry` does it at once, or, with no newer version, queues the
  refused change again (the cause was elsewhere, e.g. a referenced record now exists);
* the clinician discards it (:meth:`SyncLedger.discard`): the local record goes back to the
  newest copy of the central platform known here (``sync_base``, which pulls keep moving while
  the record is in error), or, never synced, is deleted here (a tombstone, nothing sent). The
  refused change and every later one of the record are superseded; the local drafts leave the
  history; an audit entry says so.

A change the server failed on (5xx, no answer) while others went through is *held*: pending,
with ``retry_at`` and ``failures`` (in a row) for an exponential back-off kept across cycles;
the later changes of its record wait with it, every other record goes.
Compaction (:meth:`SyncLedger.compact_done`, run by the sync engine after a successful cycle).
A ``done`` row is a change the central platform acknowledged; what still needs one:

* idempotency: a change is re-sent under its ``change_id`` only while it is not done, so a
  done row is never sent again, except when the platform was restored from a backup
  (:meth:`SyncLedger.reset_for_restored_server` re-queues done rows). The newest done row of
  each record is kept for ever, so a restored platform always gets every record's newest
  synced version; the older ones are kept ``keep_days`` (30 by default), longer than a
  backup is normally restored from. An older lost version is then not re-sent one by one: the
  newest one meets the platform's older copy and merges (the versions stay in
  ``record_history``);
* our own changes coming back in a pull are recognised by ``change_id``; a compacted one is
  still skipped, because the local record already holds that version or a newer one;
* audit: who changed which record when lives in the audit log (hash-chained) and every version
  in ``record_history``; the outbox is a queue, not the audit trail.

Rows in any other state are never compacted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from local_store.errors import NotFound, StoreError
from local_store.store import Store

Resource = dict[str, Any]
OPEN_STATES = ("pending", "uploading", "error", "conflict")


_UPSERT = (
    "INSERT INTO records(id, rtype, version, patient_id, deleted, updated_at, resource)"
    " VALUES (?,?,?,?,0,?,?) ON CONFLICT(id) DO UPDATE SET version = excluded.version,"
    " patient_id = excluded.patient_id, deleted = 0, updated_at = excluded.updated_at,"
    " resource = excluded.resource"
)
_GONE = "UPDATE records SET version = ?, deleted = 1, updated_at = ? WHERE id = ?"
_IN_CHUNK = 500  # bound parameters per IN (...) list


def _read_in(conn: Any, head: str, values: Sequence[str]) -> list[Any]:
    """Rows of ``head (?, ?, …)`` over ``values``, a chunk at a time; a one-column query
    gives its values, a wider one its rows."""
    out: list[Any] = []
    for i in range(0, len(values), _IN_CHUNK):
        chunk = values[i : i + _IN_CHUNK]
        rows = conn.execute(f"{head} ({','.join('?' * len(chunk))})", tuple(chunk)).fetchall()
        out += [r[0] for r in rows] if rows and len(rows[0]) == 1 else [tuple(r) for r in rows]
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# One encoder for every stored text (``json.dumps`` with options builds a new one per call).
_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def _dumps(resource: Resource) -> str:
    return _DUMPS(resource)


def _loads(text: str | None) -> Resource | None:
    return json.loads(text) if text else None


@dataclass(frozen=True)
class Outgoing:
    """A change ready to push: the record as it was at that version (None for a delete).
    Changes with the same ``created_at`` were written together (one write)."""

    seq: int
    change_id: str
    rtype: str
    record_id: str
    op: str
    version: int
    base_version: int | None
    resource: Resource | None
    created_at: str = ""
    text: str | None = None  # ``resource`` as stored (the merge base takes it as it is)


@dataclass(frozen=True)
class Rejection:
    """Why the central platform refused a change for good: its reason in (English) words, its
    stable ``code`` and the HTTP status it stands for (None when not said)."""

    reason: str
    code: str | None = None
    http_status: int | None = None


@dataclass(frozen=True)
class ErrorEntry:
    """A change in error with what a screen needs to name its record."""

    seq: int
    change_id: str
    rtype: str
    record_id: str
    op: str
    version: int
    base_version: int | None
    reason: str
    code: str | None
    http_status: int | None
    created_at: str
    resource: Resource | None  # the record as it is here now (None: not here)
    deleted: bool  # deleted here
    later: int  # newer local versions of the record waiting behind it
    synced: bool  # the central platform has a version of the record


@dataclass(frozen=True)
class Discarded:
    """What discarding a change in error did: the record went back to ``version`` (the
    central platform's copy), or was deleted here (``version`` None: never synced)."""

    rtype: str
    record_id: str
    version: int | None
    deleted: bool


@dataclass(frozen=True)
class Incoming:
    """A change pulled from the server, with what the store needs to index it."""

    rtype: str
    record_id: str
    version: int
    deleted: bool
    resource: Resource | None
    change_id: str | None
    patient_id: str | None
    terms: Sequence[str] | None
    # The stored text of ``resource`` with ``meta.versionId`` set to ``version``
    # (:func:`stored_text`), made beforehand off the store's thread; then ``resource`` may be
    # left out (None) to keep a large page small in memory.
    body: str | None = None


_NO_META: Any = object()


def stored_text(resource: Resource, version: int, sent: str | None = None) -> str:
    """The text a pulled record is stored as: its resource with ``meta.versionId`` set.

    ``sent`` is the resource's JSON text exactly as the central platform sent it (the value
    that decoded to ``resource``). When its ``meta.versionId`` already says ``version`` it is
    stored as it is, and a resource without ``meta`` gets one put in front: no copy of the
    resource is made and encoded again (that was most of the cost of decoding a first pull).
    The text is the same JSON; only the order of its keys and the escaping of non-ASCII
    letters may differ from what :func:`_dumps` makes (every reader decodes it)."""
    if sent is not None and sent.startswith("{"):
        meta = resource.get("meta", _NO_META)
        if meta is _NO_META:
            versioned = f'{{"meta":{{"versionId":"{int(version)}"}}'
            return versioned + ("}" if not resource else "," + sent[1:])
        if type(meta) is dict and meta.get("versionId") == str(version):
            return sent
    res = dict(resource)
    meta = dict(res.get("meta") or {})
    meta["versionId"] = str(version)
    res["meta"] = meta
    return _dumps(res)


@dataclass(frozen=True)
class Conflict:
    id: int
    record_id: str
    rtype: str
    fields: list[str]
    base: Resource | None
    local: Resource | None
    local_deleted: bool
    remote_version: int
    remote: Resource | None
    remote_deleted: bool
    created_at: str


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    uploading: int
    error: int
    conflict: int
    errors: list[tuple[str, str, str]]  # (rtype, record id, reason) of changes in error
    held: int = 0  # pending, waiting for their back-off after the server failed on them


class SyncLedger:
    """Sync bookkeeping over an unlocked :class:`Store` (all writes through its transaction)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ cursor and epoch --
    def cursor(self) -> int:
        return int(self.store.get_meta("sync_cursor") or 0)

    def epoch(self) -> str | None:
        return self.store.get_meta("sync_epoch")

    def set_epoch(self, epoch: str) -> None:
        self.store.set_meta("sync_epoch", epoch)

    def reset_for_restored_server(self, epoch: str) -> int:
        """The server lost changes (restored from a backup): push everything again, pull from 0.

        Change ids make the re-push idempotent for whatever the server still has.
        """
        with self.store.transaction() as conn:
            n = conn.execute(
                "UPDATE outbox SET state = 'pending', error = NULL, error_code = NULL,"
                " error_status = NULL, retry_at = NULL, failures = 0, server_seq = NULL"
                " WHERE state IN ('done', 'uploading', 'error')"
            ).rowcount
            conn.execute("DELETE FROM meta WHERE key = 'sync_cursor'")
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('sync_epoch', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (epoch,),
            )
            self.store.append_audit(conn, "sync.server-restored", detail=f"{n} changes re-queued")
        return int(n)

    # ------------------------------------------------------------------------- outbox --
    def reset_uploading(self) -> None:
        """After a crash or a dropped link: what was being uploaded is pending again."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE outbox SET state = 'pending' WHERE state = 'uploading'")

    def claim_batch(self, limit: int, room: int = 0) -> list[Outgoing]:
        """Mark up to ``limit`` pending changes as uploading and return them in order.

        A record whose earlier change sits in error or conflict, or is held back after the
        server failed on it, waits: its later versions cannot be applied before it (a newer
        version of a record in error supersedes the refused change first: see the module's
        docstring). A held change waits until its ``retry_at``. A batch does not end inside one
        write (records saved together, such as a CarePlan and its Task, may refer to each
        other and must reach the central platform in one push): up to ``room`` more changes
        finish the last write, and when that write needs more, the batch ends before it (only
        a write larger than ``limit + room`` changes is split); and it never ends between a
        change and a later one it refers to (looked for up to ``room`` changes ahead).
        """
        query = (
            "SELECT o.seq, o.change_id, o.rtype, o.record_id, o.op, o.version,"
            " o.base_version, h.resource, o.created_at FROM outbox o"
            " LEFT JOIN record_history h ON h.id = o.record_id AND h.version = o.version"
            " WHERE o.state = 'pending' AND (o.retry_at IS NULL OR o.retry_at <= ?)"
            " AND NOT EXISTS (SELECT 1 FROM outbox b"
            "   WHERE b.record_id = o.record_id AND b.seq < o.seq"
            "   AND (b.state IN ('error', 'conflict')"
            "        OR (b.state = 'pending' AND b.retry_at > ?)))"
        )
        now = _now()
        with self.store.transaction() as conn:
            self._supersede_fixed(conn)
            rows = conn.execute(f"{query} ORDER BY o.seq LIMIT ?", (now, now, limit)).fetchall()
            if rows and len(rows) == limit:
                last = rows[-1][8]
                rest = conn.execute(
                    f"{query} AND o.seq > ? AND o.created_at = ? ORDER BY o.seq LIMIT ?",
                    (now, now, rows[-1][0], last, room + 1),
                ).fetchall()
                options = [rows + rest]  # the last write ends within the room
                if len(rest) > room:  # it does not: the batch ends before that write begins,
                    keep = len(rows)  # or, failing that, splits it at the batch's size
                    while keep > 0 and rows[keep - 1][8] == last:
                        keep -= 1
                    options = ([rows[:keep]] if keep > 0 else []) + [rows]
                # No reference may point past the batch's end (records written apart, in
                # writes cut anywhere by an import, may still refer forward to each other).
                for option in options:
                    after = conn.execute(
                        f"{query} AND o.seq > ? ORDER BY o.seq LIMIT ?",
                        (now, now, option[-1][0], room + 1),
                    ).fetchall()
                    cut = _cut_before_forward_references(option, after)
                    if cut is not None:
                        rows = cut
                        break
                else:
                    rows = options[-1]
            conn.executemany(
                "UPDATE outbox SET state = 'uploading', attempts = attempts + 1"
                " WHERE change_id = ?",
                [(r[1],) for r in rows],
            )
        return [
            Outgoing(
                seq=r[0],
                change_id=r[1],
                rtype=r[2],
                record_id=r[3],
                op=r[4],
                version=r[5],
                base_version=r[6],
                resource=_loads(r[7]) if r[4] == "put" else None,
                created_at=str(r[8]),
                text=r[7] if r[4] == "put" else None,
            )
            for r in rows
        ]

    def release(self, change_ids: Sequence[str]) -> None:
        """Give claimed changes back (the push did not get an answer)."""
        with self.store.transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET state = 'pending' WHERE change_id = ? AND state = 'uploading'",
                [(c,) for c in change_ids],
            )

    def record_applied(self, sent: Outgoing, version: int, server_seq: int | None) -> None:
        self.record_results([(sent, version, server_seq)], [])

    def record_results(
        self,
        applied: Sequence[tuple[Outgoing, int, int | None]],
        rejected: Sequence[tuple[str, Rejection | str]],
    ) -> None:
        """The answers to one push, recorded in one transaction (one fsync, not one per change)."""
        with self.store.transaction() as conn:
            self._applied(conn, applied)
            self._rejected(conn, rejected)

    @staticmethod
    def _rejected(conn: Any, rejected: Sequence[tuple[str, Rejection | str]]) -> None:
        rows = []
        for change_id, why in rejected:
            r = why if isinstance(why, Rejection) else Rejection(why)
            rows.append((r.reason[:500], r.code and r.code[:64], r.http_status, change_id))
        conn.executemany(
            "UPDATE outbox SET state = 'error', error = ?, error_code = ?, error_status = ?,"
            " retry_at = NULL, failures = 0 WHERE change_id = ?",
            rows,
        )

    @staticmethod
    def _applied(conn: Any, applied: Sequence[tuple[Outgoing, int, int | None]]) -> None:
        """Changes the central platform applied: done, and their versions the merge base (in
        order: a later version of a record in the same push wins)."""
        conn.executemany(
            "UPDATE outbox SET state = 'done', error = NULL, error_code = NULL,"
            " error_status = NULL, retry_at = NULL, failures = 0, server_seq = ?"
            " WHERE change_id = ?",
            [(server_seq, sent.change_id) for sent, _version, server_seq in applied],
        )
        conn.executemany(
            "INSERT INTO sync_base(record_id, rtype, version, deleted, resource)"
            " VALUES (?,?,?,?,?) ON CONFLICT(record_id) DO UPDATE SET"
            " version = excluded.version, deleted = excluded.deleted,"
            " resource = excluded.resource WHERE excluded.version >= sync_base.version",
            [(sent.record_id, sent.rtype, version, 1 if sent.op == "delete" else 0,
              (sent.text or _dumps(sent.resource)) if sent.resource else None)
             for sent, version, _seq in applied],
        )  # fmt: skip

    def record_rejected(
        self, change_id: str, reason: str, code: str | None = None, http_status: int | None = None
    ) -> None:
        with self.store.transaction() as conn:
            self._rejected(conn, [(change_id, Rejection(reason, code, http_status))])

    def hold(
        self, change_ids: Sequence[str], base: float, cap: float, jitter: float = 0.2
    ) -> list[tuple[str, float]]:
        """The server failed on these changes alone (5xx, no answer) while others went through:
        pending again, each not before ``base * 2**(failures in a row - 1)`` seconds (at most
        ``cap``, +- ``jitter`` of it). Returns (change id, seconds held)."""
        import random

        now = datetime.now(UTC)
        out: list[tuple[str, float]] = []
        with self.store.transaction() as conn:
            for change_id in change_ids:
                row = conn.execute(
                    "SELECT failures FROM outbox WHERE change_id = ? AND state IN"
                    " ('pending', 'uploading')",
                    (change_id,),
                ).fetchone()
                if row is None:
                    continue
                failures = int(row[0]) + 1
                delay = min(cap, base * 2 ** min(failures - 1, 30))
                delay *= random.uniform(1 - jitter, 1 + jitter)
                until = (now + timedelta(seconds=delay)).isoformat(timespec="milliseconds")
                conn.execute(
                    "UPDATE outbox SET state = 'pending', failures = ?, retry_at = ?"
                    " WHERE change_id = ?",
                    (failures, until, change_id),
                )
                out.append((change_id, delay))
        return out

    def retry_errors(self) -> int:
        """Put changes in error back in the queue (after the cause was fixed)."""
        with self.store.transaction() as conn:
            return int(
                conn.execute(
                    "UPDATE outbox SET state = 'pending', error = NULL, error_code = NULL,"
                    " error_status = NULL, retry_at = NULL, failures = 0 WHERE state = 'error'"
                ).rowcount
            )

    # --------------------------------------------------------------- changes in error --
    def changes_in_error(self, limit: int = 1000) -> list[ErrorEntry]:
        """Changes the central platform refused, oldest first, with their record as it is
        here now."""
        with self.store.transaction() as conn:
            rows = conn.execute(
                "SELECT o.seq, o.change_id, o.rtype, o.record_id, o.op, o.version,"
                " o.base_version, coalesce(o.error, ''), o.error_code, o.error_status,"
                " o.created_at, r.resource, r.deleted,"
                " (SELECT count(*) FROM outbox l WHERE l.record_id = o.record_id"
                "   AND l.seq > o.seq AND l.state = 'pending'),"
                " EXISTS (SELECT 1 FROM sync_base s WHERE s.record_id = o.record_id)"
                " FROM outbox o LEFT JOIN records r ON r.id = o.record_id"
                " WHERE o.state = 'error' ORDER BY o.seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            ErrorEntry(
                seq=r[0],
                change_id=r[1],
                rtype=r[2],
                record_id=r[3],
                op=r[4],
                version=r[5],
                base_version=r[6],
                reason=r[7],
                code=r[8],
                http_status=r[9],
                created_at=r[10],
                resource=_loads(r[11]),
                deleted=bool(r[12]),
                later=int(r[13]),
                synced=bool(r[14]) or r[6] is not None,
            )
            for r in rows
        ]

    def _error_row(self, conn: Any, change_id: str) -> tuple[Any, ...]:
        row = conn.execute(
            "SELECT seq, change_id, rtype, record_id, version, base_version FROM outbox"
            " WHERE change_id = ? AND state = 'error'",
            (change_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That change is no longer in error (it was sent, fixed or discarded).")
        return tuple(row)

    def retry(self, change_id: str) -> bool:
        """Send a change in error again. With a newer local version of its record (the fix),
        that version goes in its place (True); else the change itself is queued again."""
        with self.store.transaction() as conn:
            err = self._error_row(conn, change_id)
            if self._supersede(conn, err):
                return True
            conn.execute(
                "UPDATE outbox SET state = 'pending', error = NULL, error_code = NULL,"
                " error_status = NULL, retry_at = NULL, failures = 0 WHERE change_id = ?",
                (change_id,),
            )
            self.store.append_audit(conn, "sync.retry", err[2], err[3], f"v{err[4]}")
        return False

    def discard_target(self, change_id: str) -> tuple[str, str, Resource | None]:
        """What discarding would bring back: (rtype, record id, the central platform's copy
        known here, None when deleted there or never synced)."""
        with self.store.transaction() as conn:
            err = self._error_row(conn, change_id)
            base = self._server_copy(conn, err)
        return err[2], err[3], _loads(base[2]) if base and not base[1] else None

    def _server_copy(self, conn: Any, err: tuple[Any, ...]) -> tuple[int, bool, str | None] | None:
        """(version, deleted, body) of the newest server copy known here of a refused change's
        record: the merge base pulls keep up to date, else the version it was based on."""
        row = conn.execute(
            "SELECT version, deleted, resource FROM sync_base WHERE record_id = ?", (err[3],)
        ).fetchone()
        if row is None and err[5] is not None:
            row = conn.execute(
                "SELECT version, deleted, resource FROM record_history"
                " WHERE id = ? AND version = ?",
                (err[3], err[5]),
            ).fetchone()
        return (int(row[0]), bool(row[1]), row[2]) if row else None

    def discard(
        self,
        change_id: str,
        *,
        patient_id: str | None = None,
        terms: Sequence[str] | None = None,
    ) -> Discarded:
        """Give up a change in error and every later local change of its record: the record
        goes back to the central platform's newest copy known here, or is deleted here if the
        platform never had it (nothing is sent either way). ``patient_id`` and ``terms`` are
        those of the copy brought back. One transaction, audited."""
        now = _now()
        with self.store.transaction() as conn:
            err = self._error_row(conn, change_id)
            seq, _cid, rtype, record_id, version, _base = err
            # Later pending versions go with it; anything else open (an earlier change, one
            # being sent, a conflict) would be lost: refused.
            busy = conn.execute(
                "SELECT 1 FROM outbox WHERE record_id = ? AND seq != ? AND (state IN"
                " ('uploading', 'conflict') OR (state IN ('pending', 'error') AND seq < ?))",
                (record_id, seq, seq),
            ).fetchone()
            if busy is not None:
                raise StoreError(
                    "Another change of this record is being sent or waits for a decision;"
                    " try again after the next sync."
                )
            conn.execute(
                "UPDATE outbox SET state = 'superseded' WHERE record_id = ? AND seq >= ?"
                " AND state IN ('pending', 'error')",
                (record_id, seq),
            )
            server = self._server_copy(conn, err)
            cur = conn.execute(
                "SELECT version, resource FROM records WHERE id = ?", (record_id,)
            ).fetchone()
            conn.execute("DELETE FROM search_terms WHERE record_id = ?", (record_id,))
            if server is None:  # never on the central platform: deleted here, nothing sent
                if cur is not None:
                    gone = int(cur[0]) + 1
                    conn.execute(
                        "UPDATE records SET version = ?, deleted = 1, updated_at = ? WHERE id = ?",
                        (gone, now, record_id),
                    )
                    conn.execute(
                        "INSERT OR REPLACE INTO record_history(id, version, deleted, resource)"
                        " VALUES (?,?,1,?)",
                        (record_id, gone, cur[1]),
                    )
                self.store.append_audit(conn, "sync.discard", rtype, record_id,
                                        f"v{version} never synced: deleted here")  # fmt: skip
                return Discarded(rtype, record_id, None, True)
            s_version, s_deleted, s_body = server
            body = s_body or (cur[1] if cur is not None else None) or "{}"
            # The local drafts from the refused version on leave the history: the next edit
            # is numbered after the server's version again.
            conn.execute(
                "DELETE FROM record_history WHERE id = ? AND version >= ?",
                (record_id, min(version, s_version + 1)),
            )
            conn.execute(
                "INSERT OR REPLACE INTO record_history(id, version, deleted, resource)"
                " VALUES (?,?,?,?)",
                (record_id, s_version, 1 if s_deleted else 0, body),
            )
            conn.execute(
                "INSERT INTO records(id, rtype, version, patient_id, deleted, updated_at,"
                " resource) VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
                " version = excluded.version, patient_id = excluded.patient_id,"
                " deleted = excluded.deleted, updated_at = excluded.updated_at,"
                " resource = excluded.resource",
                (record_id, rtype, s_version, patient_id, 1 if s_deleted else 0, now, body),
            )
            if terms and not s_deleted:
                conn.executemany(
                    "INSERT OR IGNORE INTO search_terms(term, record_id) VALUES (?, ?)",
                    [(t, record_id) for t in set(terms) if t],
                )
            self.store.append_audit(conn, "sync.discard", rtype, record_id,
                                    f"v{version} back to server v{s_version}")  # fmt: skip
        return Discarded(rtype, record_id, s_version, s_deleted)

    def _supersede_fixed(self, conn: Any) -> None:
        """Every change in error with a newer local version of its record waiting: the newer
        version goes in its place."""
        rows = conn.execute(
            "SELECT e.seq, e.change_id, e.rtype, e.record_id, e.version, e.base_version"
            " FROM outbox e WHERE e.state = 'error' AND EXISTS (SELECT 1 FROM outbox l"
            "   WHERE l.record_id = e.record_id AND l.seq > e.seq AND l.state = 'pending')"
            " ORDER BY e.seq"
        ).fetchall()
        seen: set[str] = set()
        for row in rows:
            if row[3] not in seen:
                seen.add(row[3])
                self._supersede(conn, tuple(row))

    def _supersede(self, conn: Any, err: tuple[Any, ...]) -> bool:
        """The newest pending version of a refused change's record replaces it: it is sent as
        the refused version (same number, same base), the versions between are superseded and
        the local drafts renumbered away. A record the server never had and that is deleted
        here now sends nothing. False if no newer version waits."""
        seq, change_id, rtype, record_id, version, base_version = err
        later = conn.execute(
            "SELECT seq, change_id, version, op FROM outbox WHERE record_id = ? AND seq > ?"
            " AND state = 'pending' ORDER BY seq",
            (record_id, seq),
        ).fetchall()
        if not later:
            return False
        _lseq, last_id, last_version, last_op = later[-1]
        conn.executemany(
            "UPDATE outbox SET state = 'superseded' WHERE change_id = ?",
            [(change_id,)] + [(r[1],) for r in later[:-1]],
        )
        if base_version is None and last_op == "delete":
            conn.execute("UPDATE outbox SET state = 'superseded' WHERE change_id = ?", (last_id,))
            self.store.append_audit(conn, "sync.supersede", rtype, record_id,
                                    f"v{version} deleted here before it was synced")  # fmt: skip
            return True
        if last_version != version:
            hist = conn.execute(
                "SELECT deleted, resource FROM record_history WHERE id = ? AND version = ?",
                (record_id, last_version),
            ).fetchone()
            deleted, text = (int(hist[0]), hist[1]) if hist else (0, None)
            body = text
            res = _loads(text)
            if res is not None:
                res["meta"] = dict(res.get("meta") or {}) | {"versionId": str(version)}
                body = _dumps(res)
            conn.execute(
                "DELETE FROM record_history WHERE id = ? AND version >= ?", (record_id, version)
            )
            conn.execute(
                "INSERT INTO record_history(id, version, deleted, resource) VALUES (?,?,?,?)",
                (record_id, version, deleted, body),
            )
            conn.execute(
                "UPDATE records SET version = ?, resource = coalesce(?, resource)"
                " WHERE id = ? AND version = ?",
                (version, body, record_id, last_version),
            )
        conn.execute(
            "UPDATE outbox SET version = ?, base_version = ?, retry_at = NULL, failures = 0"
            " WHERE change_id = ?",
            (version, base_version, last_id),
        )
        self.store.append_audit(conn, "sync.supersede", rtype, record_id,
                                f"v{last_version} sent as v{version} in place of the refused"
                                " change")  # fmt: skip
        return True

    def counts(self) -> OutboxCounts:
        with self.store.transaction() as conn:
            rows = dict(
                conn.execute(
                    "SELECT state, count(*) FROM outbox WHERE state IN"
                    " ('pending', 'uploading', 'error', 'conflict') GROUP BY state"
                ).fetchall()
            )
            errors = conn.execute(
                "SELECT rtype, record_id, coalesce(error, '') FROM outbox"
                " WHERE state = 'error' ORDER BY seq LIMIT 20"
            ).fetchall()
            held = conn.execute(
                "SELECT count(*) FROM outbox WHERE state = 'pending' AND retry_at > ?", (_now(),)
            ).fetchone()[0]
        return OutboxCounts(
            int(rows.get("pending", 0)),
            int(rows.get("uploading", 0)),
            int(rows.get("error", 0)),
            int(rows.get("conflict", 0)),
            [(str(a), str(b), str(c)) for a, b, c in errors],
            int(held),
        )

    def base_of(self, record_id: str) -> tuple[int, bool, Resource | None] | None:
        """The last server copy known here: (version, deleted, resource)."""
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT version, deleted, resource FROM sync_base WHERE record_id = ?",
                (record_id,),
            ).fetchone()
        return (int(row[0]), bool(row[1]), _loads(row[2])) if row else None

    def local_of(self, record_id: str) -> tuple[int, bool, Resource | None] | None:
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT version, deleted, resource FROM records WHERE id = ?", (record_id,)
            ).fetchone()
        return (int(row[0]), bool(row[1]), _loads(row[2])) if row else None

    def compact_done(self, keep_days: int = 30, *, now: datetime | None = None) -> int:
        """Delete ``done`` outbox rows created more than ``keep_days`` ago, except the newest
        done row of each record (see the module's docstring); returns how many went."""
        if keep_days < 0:
            raise ValueError("keep_days must not be negative")
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=keep_days)).isoformat(
            timespec="milliseconds"
        )
        with self.store.transaction("tidying the sync queue", "Nothing was changed.") as conn:
            n = conn.execute(
                "DELETE FROM outbox WHERE state = 'done' AND created_at < ?"
                " AND seq < (SELECT max(d.seq) FROM outbox d"
                "            WHERE d.record_id = outbox.record_id AND d.state = 'done')",
                (cutoff,),
            ).rowcount
            if n:
                self.store.append_audit(conn, "sync.compact", detail=f"{n} sent changes",
                                        actor="sync")  # fmt: skip
        return int(n)

    def unresolved_bases(self) -> dict[str, int | None]:
        """Records with an open conflict: the server version their local value was based on
        (None: a record never synced, or a base no longer known)."""
        out: dict[str, int | None] = {}
        with self.store.transaction() as conn:
            conflicts = conn.execute(
                "SELECT record_id, base_resource FROM conflicts WHERE resolved_at IS NULL"
            ).fetchall()
            for record_id, base_text in conflicts:
                first = conn.execute(  # the first local change not accepted by the platform
                    "SELECT base_version FROM outbox WHERE record_id = ? AND state IN"
                    " ('conflict', 'pending', 'uploading', 'error') ORDER BY seq LIMIT 1",
                    (record_id,),
                ).fetchone()
                base: int | None = None
                if first is not None:
                    base = None if first[0] is None else int(first[0])
                elif base_text:
                    version = ((_loads(base_text) or {}).get("meta") or {}).get("versionId")
                    base = int(version) if isinstance(version, str) and version.isdigit() else None
                out[str(record_id)] = base
        return out

    # ----------------------------------------------------------------------- pulling --
    def apply_incoming(self, changes: Sequence[Incoming], cursor: int, epoch: str) -> int:
        """Store pulled records and the new cursor in one transaction; returns records written.

        Our own changes coming back only move the merge base. A record with local changes not
        yet accepted is left alone: its push will meet the server's version and merge there.

        A page is read ahead in a few queries (which change ids are ours, the merge bases,
        which records are busy in the outbox, the records' versions), decided in memory in
        page order, and written table by table with multi-row inserts: a page of 1,000 costs a
        dozen statements instead of ten per record, and one commit.
        """
        written = 0
        now = _now()
        with self.store.transaction() as conn:
            ids = list(dict.fromkeys(ch.record_id for ch in changes))
            cids = [ch.change_id for ch in changes if ch.change_id]
            own_ids = set(_read_in(conn, "SELECT change_id FROM outbox WHERE change_id IN", cids))
            bases: dict[str, int] = dict(
                _read_in(conn, "SELECT record_id, version FROM sync_base WHERE record_id IN", ids)
            )
            busy = set(
                _read_in(conn, "SELECT DISTINCT record_id FROM outbox WHERE state IN ('pending',"
                         " 'uploading', 'error', 'conflict') AND record_id IN", ids)
            )  # fmt: skip
            current: dict[str, tuple[int, str]] = {
                r[0]: (r[1], r[2])
                for r in _read_in(conn, "SELECT id, version, rtype FROM records WHERE id IN", ids)
            }
            base_rows: list[tuple[Any, ...]] = []
            record_ops: list[tuple[str, tuple[Any, ...]]] = []  # in page order
            history: list[tuple[Any, ...]] = []
            terms: dict[str, list[str]] = {}  # record -> its final terms ([] when deleted)
            audit: list[tuple[str, str, str, str]] = []
            for ch in changes:
                body = ch.body
                if body is None and ch.resource is not None:
                    body = stored_text(ch.resource, ch.version)
                known = bases.get(ch.record_id)
                if known is None or known <= ch.version:
                    base_rows.append(
                        (ch.record_id, ch.rtype, ch.version, 1 if ch.deleted else 0, body)
                    )
                    bases[ch.record_id] = ch.version
                if (ch.change_id or "") in own_ids or ch.record_id in busy:
                    continue
                cur = current.get(ch.record_id)
                if cur is not None and (cur[0] >= ch.version or cur[1] != ch.rtype):
                    continue
                if ch.deleted:
                    if cur is None:
                        continue
                    record_ops.append((_GONE, (ch.version, now, ch.record_id)))
                    current[ch.record_id] = (ch.version, cur[1])
                    terms[ch.record_id] = []
                    audit.append(("sync.delete", ch.rtype, ch.record_id, f"v{ch.version}"))
                    written += 1
                    continue
                if body is None:
                    continue
                record_ops.append(
                    (_UPSERT, (ch.record_id, ch.rtype, ch.version, ch.patient_id, now, body))
                )
                current[ch.record_id] = (ch.version, ch.rtype)
                history.append((ch.record_id, ch.version, body))
                if ch.terms is not None:
                    terms[ch.record_id] = [t for t in dict.fromkeys(ch.terms) if t]
                audit.append(("sync.receive", ch.rtype, ch.record_id, f"v{ch.version}"))
                written += 1
            conn.executemany(
                "INSERT INTO sync_base(record_id, rtype, version, deleted, resource)"
                " VALUES (?,?,?,?,?) ON CONFLICT(record_id) DO UPDATE SET"
                " version = excluded.version, deleted = excluded.deleted,"
                " resource = excluded.resource",
                base_rows,
            )
            i = 0
            while i < len(record_ops):  # runs of the same statement, in page order
                j = i
                while j < len(record_ops) and record_ops[j][0] == record_ops[i][0]:
                    j += 1
                conn.executemany(record_ops[i][0], [params for _sql, params in record_ops[i:j]])
                i = j
            conn.executemany(
                "INSERT OR REPLACE INTO record_history(id, version, deleted, resource)"
                " VALUES (?,?,0,?)",
                history,
            )
            conn.executemany(
                "DELETE FROM search_terms WHERE record_id = ?", [(rid,) for rid in terms]
            )
            conn.executemany(
                "INSERT OR IGNORE INTO search_terms(term, record_id) VALUES (?, ?)",
                [(t, rid) for rid, words in terms.items() for t in words],
            )
            self.store.append_audit_many(conn, audit, actor="sync")
            for key, value in (("sync_cursor", str(cursor)), ("sync_epoch", epoch)):
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
        return written

    # --------------------------------------------------------------------- conflicts --
    def write_merged(
        self,
        *,
        rtype: str,
        record_id: str,
        resource: Resource | None,
        server_version: int,
        server_deleted: bool,
        server_resource: Resource | None,
        patient_id: str | None,
        terms: Sequence[str] | None,
        conflict_id: int | None = None,
        resolution: str = "merged",
    ) -> str | None:
        """Write the outcome of a merge as ``server_version + 1`` based on the server version.

        ``resource`` None means: accept the server's copy as is (nothing to push). Open
        changes of the record are superseded. Returns the new change id, if any.
        """
        import uuid

        now = _now()
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'superseded' WHERE record_id = ? AND state IN"
                " ('pending', 'uploading', 'error', 'conflict')",
                (record_id,),
            )
            server_body = None
            if server_resource is not None:
                srv = dict(server_resource)
                srv["meta"] = dict(srv.get("meta") or {}) | {"versionId": str(server_version)}
                server_body = _dumps(srv)
            conn.execute(
                "INSERT INTO sync_base(record_id, rtype, version, deleted, resource)"
                " VALUES (?,?,?,?,?) ON CONFLICT(record_id) DO UPDATE SET"
                " version = excluded.version, deleted = excluded.deleted,"
                " resource = excluded.resource",
                (record_id, rtype, server_version, 1 if server_deleted else 0, server_body),
            )
            if conflict_id is not None:
                conn.execute(
                    "UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE id = ?",
                    (now, resolution, conflict_id),
                )
            change_id: str | None = None
            if resource is None:
                # Take the server's copy.
                conn.execute(
                    "INSERT INTO records(id, rtype, version, patient_id, deleted, updated_at,"
                    " resource) VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
                    " version = excluded.version, patient_id = excluded.patient_id,"
                    " deleted = excluded.deleted, updated_at = excluded.updated_at,"
                    " resource = excluded.resource",
                    (record_id, rtype, server_version, patient_id, 1 if server_deleted else 0,
                     now, server_body or "{}"),
                )  # fmt: skip
                conn.execute(
                    "INSERT OR REPLACE INTO record_history(id, version, deleted, resource)"
                    " VALUES (?,?,?,?)",
                    (record_id, server_version, 1 if server_deleted else 0, server_body or "{}"),
                )
                body_terms = None if server_deleted else terms
            else:
                version = server_version + 1
                res = dict(resource)
                res["meta"] = dict(res.get("meta") or {}) | {
                    "versionId": str(version),
                    "lastUpdated": now,
                }
                body = _dumps(res)
                conn.execute(
                    "INSERT INTO records(id, rtype, version, patient_id, deleted, updated_at,"
                    " resource) VALUES (?,?,?,?,0,?,?) ON CONFLICT(id) DO UPDATE SET"
                    " version = excluded.version, patient_id = excluded.patient_id,"
                    " deleted = 0, updated_at = excluded.updated_at,"
                    " resource = excluded.resource",
                    (record_id, rtype, version, patient_id, now, body),
                )
                conn.execute(
                    "INSERT OR REPLACE INTO record_history(id, version, deleted, resource)"
                    " VALUES (?,?,0,?)",
                    (record_id, version, body),
                )
                change_id = str(uuid.uuid4())
                conn.execute(
                    "INSERT INTO outbox(change_id, record_id, rtype, version, base_version, op,"
                    " created_at) VALUES (?,?,?,?,?, 'put', ?)",
                    (change_id, record_id, rtype, version, server_version, now),
                )
                body_terms = terms
            conn.execute("DELETE FROM search_terms WHERE record_id = ?", (record_id,))
            if body_terms:
                conn.executemany(
                    "INSERT OR IGNORE INTO search_terms(term, record_id) VALUES (?, ?)",
                    [(t, record_id) for t in set(body_terms) if t],
                )
            self.store.append_audit(conn, f"sync.{resolution}", rtype, record_id,
                                    f"server v{server_version}")  # fmt: skip
        return change_id

    def add_conflict(
        self,
        *,
        rtype: str,
        record_id: str,
        fields: Sequence[str],
        base: Resource | None,
        local: Resource | None,
        local_deleted: bool,
        remote_version: int,
        remote: Resource | None,
        remote_deleted: bool,
    ) -> int:
        """Keep both versions until a clinician chooses; the record's changes wait."""
        with self.store.transaction() as conn:
            existing = conn.execute(
                "SELECT id FROM conflicts WHERE record_id = ? AND resolved_at IS NULL",
                (record_id,),
            ).fetchone()
            if existing:
                conn.execute("UPDATE conflicts SET resolved_at = ?, resolution = 'replaced'"
                             " WHERE id = ?", (_now(), existing[0]))  # fmt: skip
            cur = conn.execute(
                "INSERT INTO conflicts(record_id, rtype, fields, base_resource, local_resource,"
                " local_deleted, remote_version, remote_resource, remote_deleted, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (record_id, rtype, json.dumps(list(fields)),
                 _dumps(base) if base else None, _dumps(local) if local else None,
                 1 if local_deleted else 0, remote_version,
                 _dumps(remote) if remote else None, 1 if remote_deleted else 0, _now()),
            )  # fmt: skip
            conn.execute(
                "UPDATE outbox SET state = 'conflict' WHERE record_id = ? AND state IN"
                " ('pending', 'uploading')",
                (record_id,),
            )
            conn.execute(
                "INSERT INTO sync_base(record_id, rtype, version, deleted, resource)"
                " VALUES (?,?,?,?,?) ON CONFLICT(record_id) DO UPDATE SET"
                " version = excluded.version, deleted = excluded.deleted,"
                " resource = excluded.resource",
                (record_id, rtype, remote_version, 1 if remote_deleted else 0,
                 _dumps(remote) if remote else None),
            )  # fmt: skip
            self.store.append_audit(conn, "sync.conflict", rtype, record_id,
                                    ",".join(fields)[:200])  # fmt: skip
            return int(cur.lastrowid)

    def open_conflicts(self) -> list[Conflict]:
        with self.store.transaction() as conn:
            rows = conn.execute(
                "SELECT id, record_id, rtype, fields, base_resource, local_resource,"
                " local_deleted, remote_version, remote_resource, remote_deleted, created_at"
                " FROM conflicts WHERE resolved_at IS NULL ORDER BY id"
            ).fetchall()
        return [
            Conflict(
                r[0],
                r[1],
                r[2],
                json.loads(r[3]),
                _loads(r[4]),
                _loads(r[5]),
                bool(r[6]),
                r[7],
                _loads(r[8]),
                bool(r[9]),
                r[10],
            )
            for r in rows
        ]


_REFERENCE = re.compile(r'"reference":\s*"[A-Za-z]{1,64}/([A-Za-z0-9.\-]{1,64})"')


def _cut_before_forward_references(rows: list[Any], after: list[Any]) -> list[Any] | None:
    """The first changes of ``rows`` (a batch, ``after`` the pending changes that follow it)
    up to a cut that no reference crosses forward: a change that refers to a record whose
    change comes after the cut goes after it too (the central platform refuses a reference to
    a record it does not hold yet, and a CarePlan and its Task refer to each other). None if
    no such cut leaves anything in the batch."""
    later = {r[3] for r in after}
    keep = len(rows)
    for i in range(len(rows) - 1, -1, -1):
        text = rows[i][7]
        if text and any(ref in later for ref in _REFERENCE.findall(text)):
            later.update(r[3] for r in rows[i:keep])
            keep = i
    return rows[:keep] if keep > 0 else None
