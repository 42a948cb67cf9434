"""Numbered schema migrations, each one transaction, with a backup of the database first.

``PRAGMA user_version`` holds the schema version. This program reads schemas from
``MIN_SCHEMA`` up to ``CURRENT_SCHEMA``; an older one is migrated step by step, a newer one is
refused (a downgrade must never write to a store it does not understand).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from local_store.db import Connection, backup_to, transaction
from local_store.errors import DatabaseMissing, SchemaTooNew, StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sqlite_utils.Database], None]


def _v1(db: sqlite_utils.Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("records").create(
        {
            "id": str,
            "rtype": str,
            "version": int,
            "patient_id": str,
            "deleted": int,
            "updated_at": str,
            "resource": str,
        },
        pk="id",
        not_null={"rtype", "version", "deleted", "updated_at", "resource"},
        defaults={"deleted": 0},
    )
    db.table("records").create_index(["rtype"], index_name="records_rtype")
    db.table("records").create_index(["patient_id", "rtype"], index_name="records_patient")
    db.execute(
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            change_id TEXT NOT NULL UNIQUE,
            record_id TEXT NOT NULL,
            rtype TEXT NOT NULL,
            version INTEGER NOT NULL,
            base_version INTEGER,
            op TEXT NOT NULL CHECK (op IN ('put', 'delete')),
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'uploading', 'error', 'done')),
            error TEXT,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX outbox_state ON outbox(state, seq)")
    db.execute("CREATE INDEX outbox_record ON outbox(record_id)")
    db.execute(
        """CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            ts TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            rtype TEXT NOT NULL DEFAULT '',
            record_id TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )"""
    )


def _v2(db: sqlite_utils.Database) -> None:
    # Search terms are supplied by the records layer (names, pinyin, ID number, phone); the
    # store only keeps and range-scans them. Existing patients are re-indexed on next open.
    db.execute(
        """CREATE TABLE search_terms (
            term TEXT NOT NULL,
            record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            PRIMARY KEY (term, record_id)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX search_terms_record ON search_terms(record_id)")
    db.execute("INSERT INTO meta(key, value) VALUES ('reindex_search', '1')")


def _v3(db: sqlite_utils.Database) -> None:
    db.table("attachments").create(
        {"digest": str, "size": int, "mime": str, "created_at": str},
        pk="digest",
        not_null={"size", "mime", "created_at"},
    )
    # Every version of every record, kept for the sync engine's three-way merge.
    db.execute(
        """CREATE TABLE record_history (
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            resource TEXT NOT NULL,
            PRIMARY KEY (id, version)
        ) WITHOUT ROWID"""
    )
    db.execute(
        "INSERT INTO record_history(id, version, deleted, resource)"
        " SELECT id, version, deleted, resource FROM records"
    )


def _v4(db: sqlite_utils.Database) -> None:
    # Sync: outbox states for conflicts, the server sequence of each accepted change, the last
    # known server copy of each record (the base of three-way merges), and open conflicts.
    db.execute(
        """CREATE TABLE outbox_v4 (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            change_id TEXT NOT NULL UNIQUE,
            record_id TEXT NOT NULL,
            rtype TEXT NOT NULL,
            version INTEGER NOT NULL,
            base_version INTEGER,
            op TEXT NOT NULL CHECK (op IN ('put', 'delete')),
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
                ('pending', 'uploading', 'error', 'done', 'conflict', 'superseded')),
            error TEXT,
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            server_seq INTEGER
        )"""
    )
    db.execute(
        "INSERT INTO outbox_v4(seq, change_id, record_id, rtype, version, base_version, op,"
        " state, error, created_at) SELECT seq, change_id, record_id, rtype, version,"
        " base_version, op, state, error, created_at FROM outbox"
    )
    db.execute("DROP TABLE outbox")
    db.execute("ALTER TABLE outbox_v4 RENAME TO outbox")
    db.execute("CREATE INDEX outbox_state ON outbox(state, seq)")
    db.execute("CREATE INDEX outbox_record ON outbox(record_id)")
    db.execute(
        """CREATE TABLE sync_base (
            record_id TEXT PRIMARY KEY,
            rtype TEXT NOT NULL,
            version INTEGER NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            resource TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id TEXT NOT NULL,
            rtype TEXT NOT NULL,
            fields TEXT NOT NULL,
            base_resource TEXT,
            local_resource TEXT,
            local_deleted INTEGER NOT NULL DEFAULT 0,
            remote_version INTEGER NOT NULL,
            remote_resource TEXT,
            remote_deleted INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            resolved_at TEXT,
            resolution TEXT
        )"""
    )
    db.execute("CREATE INDEX conflicts_open ON conflicts(resolved_at, record_id)")
    db.execute("ALTER TABLE attachments ADD COLUMN sha256 TEXT")
    db.execute("CREATE INDEX attachments_sha256 ON attachments(sha256)")


def _v5(db: sqlite_utils.Database) -> None:
    # Lists (e.g. all patients, most recently changed first) page through this index.
    db.execute("CREATE INDEX records_recent ON records(rtype, deleted, updated_at DESC, id)")


def _v6(db: sqlite_utils.Database) -> None:
    # Poison isolation (local_store.sync_ledger): a change the server rejects for good keeps
    # the server's stable code and HTTP status beside its reason; a change the server failed
    # on (5xx, no answer) while others went through waits alone until ``retry_at``, its
    # failures in a row counted for the exponential back-off.
    db.execute("ALTER TABLE outbox ADD COLUMN error_code TEXT")
    db.execute("ALTER TABLE outbox ADD COLUMN error_status INTEGER")
    db.execute("ALTER TABLE outbox ADD COLUMN retry_at TEXT")
    db.execute("ALTER TABLE outbox ADD COLUMN failures INTEGER NOT NULL DEFAULT 0")


def _v7(db: sqlite_utils.Database) -> None:
    # record_history kept its rows in a b-tree keyed by (record id, version): ids are random
    # UUIDs, so every row written landed on its own page anywhere in the table, and a bulk
    # write (a first sync) rewrote, re-encrypted and checkpointed about one whole 4 KiB page
    # per record (a first pull of 100k records wrote 2.4 GB; 1.1 GB as a rowid table). As a
    # rowid table its rows are appended in write order; the same (id, version) key, unique,
    # lives in a small index beside it.
    db.execute(
        """CREATE TABLE record_history_v7 (
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            resource TEXT NOT NULL,
            PRIMARY KEY (id, version)
        )"""
    )
    db.execute(
        "INSERT INTO record_history_v7(id, version, deleted, resource)"
        " SELECT id, version, deleted, resource FROM record_history"
    )
    db.execute("DROP TABLE record_history")
    db.execute("ALTER TABLE record_history_v7 RENAME TO record_history")


MIGRATIONS: list[Migration] = [
    Migration(1, "records, outbox, audit log", _v1),
    Migration(2, "patient search terms", _v2),
    Migration(3, "attachments and record history", _v3),
    Migration(4, "sync state, conflicts, attachment content hashes", _v4),
    Migration(5, "index for paging lists by recency", _v5),
    Migration(6, "outbox: rejection codes, per-change back-off", _v6),
    Migration(7, "record history appended in write order (rowid table)", _v7),
]
MIN_SCHEMA = 1
CURRENT_SCHEMA = MIGRATIONS[-1].version


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    conn: Connection,
    key: bytes,
    backup_dir: Path,
    target: int = CURRENT_SCHEMA,
    *,
    allow_fresh: bool = False,
) -> int:
    """Bring the database to ``target``; returns the version it had before.

    An empty database gets the schema only when a profile is being created (``allow_fresh``):
    anywhere else it means the records are gone, and that is never turned into a new profile.
    """
    start = schema_version(conn)
    if start > CURRENT_SCHEMA:
        raise SchemaTooNew(
            f"This profile was written by a newer version of the program (schema {start}; "
            f"this version reads up to {CURRENT_SCHEMA}). Install the newer version."
        )
    fresh = start == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    if start == 0 and not fresh:
        raise StoreError("The record database has no schema version; it was not made by us.")
    if fresh and not allow_fresh:
        raise DatabaseMissing(
            "The record database holds no tables although the profile's key file is beside it:"
            " the records are not there. Restore the newest backup (`clinic-app restore`);"
            " nothing was changed."
        )
    if 0 < start < MIN_SCHEMA:
        raise StoreError("This profile is too old for this version of the program.")
    if start >= target:
        return start
    if not fresh:
        backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        dest = backup_dir / f"records-schema{start}-{stamp}.db"
        backup_to(conn, dest, key)
        log.info("backed up the store before migrating from schema %d", start)
    db = sqlite_utils.Database(conn)
    for step in MIGRATIONS:
        if step.version <= start or step.version > target:
            continue
        with transaction(conn):
            step.apply(db)
            conn.execute(f"PRAGMA user_version = {step.version}")
        log.info("migrated store to schema %d (%s)", step.version, step.description)
    return start
