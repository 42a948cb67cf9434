"""The store's side of sync: claiming outbox batches, recording push results, applying pulled
changes with their cursor in one transaction, the merge base, and open conflicts.

Versions stay aligned with the server: a record's local version is the server version it was
based on plus the local edits since. A change is pushed with the version it was based on; a
merge result is written as ``server version + 1`` based on the server version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local_store.store import Store

Resource = dict[str, Any]
OPEN_STATES = ("pending", "uploading", "error", "conflict")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _dumps(resource: Resource) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _loads(text: str | None) -> Resource | None:
    return json.loads(text) if text else None


@dataclass(frozen=True)
class Outgoing:
    """A change ready to push: the record as it was at that version (None for a delete)."""

    seq: int
    change_id: str
    rtype: str
    record_id: str
    op: str
    version: int
    base_version: int | None
    resource: Resource | None


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
                "UPDATE outbox SET state = 'pending', error = NULL, server_seq = NULL"
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

        A record whose earlier change sits in error or conflict waits: its later versions
        cannot be applied before it. A batch does not end inside one write (records saved
        together, such as a CarePlan and its Task, may refer to each other and must reach the
        central platform in one push): up to ``room`` more changes finish the last write.
        """
        query = (
            "SELECT o.seq, o.change_id, o.rtype, o.record_id, o.op, o.version,"
            " o.base_version, h.resource, o.created_at FROM outbox o"
            " LEFT JOIN record_history h ON h.id = o.record_id AND h.version = o.version"
            " WHERE o.state = 'pending' AND NOT EXISTS (SELECT 1 FROM outbox b"
            "   WHERE b.record_id = o.record_id AND b.seq < o.seq"
            "   AND b.state IN ('error', 'conflict'))"
        )
        with self.store.transaction() as conn:
            rows = conn.execute(f"{query} ORDER BY o.seq LIMIT ?", (limit,)).fetchall()
            if rows and len(rows) == limit and room > 0:
                rows += conn.execute(
                    f"{query} AND o.seq > ? AND o.created_at = ? ORDER BY o.seq LIMIT ?",
                    (rows[-1][0], rows[-1][8], room),
                ).fetchall()
            conn.executemany(
                "UPDATE outbox SET state = 'uploading', attempts = attempts + 1"
                " WHERE change_id = ?",
                [(r[1],) for r in rows],
            )
        return [
            Outgoing(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], _loads(r[7]) if r[4] == "put" else None
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
        rejected: Sequence[tuple[str, str]],
    ) -> None:
        """The answers to one push, recorded in one transaction (one fsync, not one per change)."""
        with self.store.transaction() as conn:
            for sent, version, server_seq in applied:
                self._applied(conn, sent, version, server_seq)
            conn.executemany(
                "UPDATE outbox SET state = 'error', error = ? WHERE change_id = ?",
                [(reason[:500], change_id) for change_id, reason in rejected],
            )

    def _applied(self, conn: Any, sent: Outgoing, version: int, server_seq: int | None) -> None:
        conn.execute(
            "UPDATE outbox SET state = 'done', error = NULL, server_seq = ? WHERE change_id = ?",
            (server_seq, sent.change_id),
        )
        conn.execute(
            "INSERT INTO sync_base(record_id, rtype, version, deleted, resource)"
            " VALUES (?,?,?,?,?) ON CONFLICT(record_id) DO UPDATE SET"
            " version = excluded.version, deleted = excluded.deleted,"
            " resource = excluded.resource WHERE excluded.version >= sync_base.version",
            (sent.record_id, sent.rtype, version, 1 if sent.op == "delete" else 0,
             _dumps(sent.resource) if sent.resource else None),
        )  # fmt: skip

    def record_rejected(self, change_id: str, reason: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'error', error = ? WHERE change_id = ?",
                (reason[:500], change_id),
            )

    def retry_errors(self) -> int:
        """Put changes in error back in the queue (after the cause was fixed)."""
        with self.store.transaction() as conn:
            return int(
                conn.execute(
                    "UPDATE outbox SET state = 'pending', error = NULL WHERE state = 'error'"
                ).rowcount
            )

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
        return OutboxCounts(
            int(rows.get("pending", 0)),
            int(rows.get("uploading", 0)),
            int(rows.get("error", 0)),
            int(rows.get("conflict", 0)),
            [(str(a), str(b), str(c)) for a, b, c in errors],
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

    # ----------------------------------------------------------------------- pulling --
    def apply_incoming(self, changes: Sequence[Incoming], cursor: int, epoch: str) -> int:
        """Store pulled records and the new cursor in one transaction; returns records written.

        Our own changes coming back only move the merge base. A record with local changes not
        yet accepted is left alone: its push will meet the server's version and merge there.
        """
        written = 0
        now = _now()
        with self.store.transaction() as conn:
            for ch in changes:
                own = conn.execute(
                    "SELECT 1 FROM outbox WHERE change_id = ?", (ch.change_id or "",)
                ).fetchone()
                body = None
                if ch.resource is not None:
                    res = dict(ch.resource)
                    meta = dict(res.get("meta") or {})
                    meta["versionId"] = str(ch.version)
                    res["meta"] = meta
                    body = _dumps(res)
                base_row = conn.execute(
                    "SELECT version FROM sync_base WHERE record_id = ?", (ch.record_id,)
                ).fetchone()
                if base_row is None or base_row[0] <= ch.version:
                    conn.execute(
                        "INSERT INTO sync_base(record_id, rtype, version, deleted, resource)"
                        " VALUES (?,?,?,?,?) ON CONFLICT(record_id) DO UPDATE SET"
                        " version = excluded.version, deleted = excluded.deleted,"
                        " resource = excluded.resource",
                        (ch.record_id, ch.rtype, ch.version, 1 if ch.deleted else 0, body),
                    )
                if own:
                    continue
                busy = conn.execute(
                    "SELECT 1 FROM outbox WHERE record_id = ? AND state IN"
                    " ('pending', 'uploading', 'error', 'conflict') LIMIT 1",
                    (ch.record_id,),
                ).fetchone()
                if busy:
                    continue
                cur = conn.execute(
                    "SELECT version, rtype FROM records WHERE id = ?", (ch.record_id,)
                ).fetchone()
                if cur is not None and (cur[0] >= ch.version or cur[1] != ch.rtype):
                    continue
                if ch.deleted:
                    if cur is None:
                        continue
                    conn.execute(
                        "UPDATE records SET version = ?, deleted = 1, updated_at = ? WHERE id = ?",
                        (ch.version, now, ch.record_id),
                    )
                    conn.execute("DELETE FROM search_terms WHERE record_id = ?", (ch.record_id,))
                    self.store.append_audit(conn, "sync.delete", ch.rtype, ch.record_id,
                                            f"v{ch.version}", actor="sync")  # fmt: skip
                    written += 1
                    continue
                if body is None:
                    continue
                conn.execute(
                    "INSERT INTO records(id, rtype, version, patient_id, deleted, updated_at,"
                    " resource) VALUES (?,?,?,?,0,?,?) ON CONFLICT(id) DO UPDATE SET"
                    " version = excluded.version, patient_id = excluded.patient_id, deleted = 0,"
                    " updated_at = excluded.updated_at, resource = excluded.resource",
                    (ch.record_id, ch.rtype, ch.version, ch.patient_id, now, body),
                )
                conn.execute(
                    "INSERT OR REPLACE INTO record_history(id, version, deleted, resource)"
                    " VALUES (?,?,0,?)",
                    (ch.record_id, ch.version, body),
                )
                if ch.terms is not None:
                    conn.execute("DELETE FROM search_terms WHERE record_id = ?", (ch.record_id,))
                    conn.executemany(
                        "INSERT OR IGNORE INTO search_terms(term, record_id) VALUES (?, ?)",
                        [(t, ch.record_id) for t in set(ch.terms) if t],
                    )
                self.store.append_audit(conn, "sync.receive", ch.rtype, ch.record_id,
                                        f"v{ch.version}", actor="sync")  # fmt: skip
                written += 1
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
