"""The central database schema: the same tables on SQLite and PostgreSQL.

Times are integer Unix seconds, flags are 0/1 integers, JSON is text: the only per-database
difference is the type of binary columns (``BLOB`` / ``BYTEA``).

Records and the change table:

* ``records`` — the current version of each record, its owner clinic and its Patient.
* ``changes`` — every accepted change, numbered by a global, gap-free ``seq`` (assigned under
  the single-writer lock). ``reemit = 1`` marks a copy of a record's current version sent again
  to an audience that has just been granted access (not a new version).
* ``change_audience`` — who may pull each change: ``clinic:<id>`` or ``specialty:<code>``;
  pulls join on the caller's audiences through the (audience, seq) key.
* ``grants`` — consult visibility: the ServiceRequest ``via_sr`` grants ``audience`` read
  access to a target record (only when the target belongs to the consult's clinic).
* ``links`` — ``basedOn`` references from records to ServiceRequests.
* ``applied_changes`` — idempotency: the result of every applied ``change_id``.
"""

from __future__ import annotations

import secrets
import time

from central.db import Conn, Database

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clinics (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    clinic_id TEXT REFERENCES clinics(id),
    specialties TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE IF NOT EXISTS enrollment_codes (
    code_hash TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    device_id TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX IF NOT EXISTS tokens_subject ON tokens (subject_id);
CREATE TABLE IF NOT EXISTS records (
    rtype TEXT NOT NULL,
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted INTEGER NOT NULL,
    resource TEXT,
    owner_clinic TEXT NOT NULL,
    patient_id TEXT,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (rtype, id)
);
CREATE INDEX IF NOT EXISTS records_patient ON records (patient_id, rtype);
CREATE INDEX IF NOT EXISTS records_owner ON records (owner_clinic, rtype);
CREATE TABLE IF NOT EXISTS identifiers (
    rtype TEXT NOT NULL,
    id TEXT NOT NULL,
    system TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (rtype, id, system, value)
);
CREATE INDEX IF NOT EXISTS identifiers_value ON identifiers (rtype, value);
CREATE TABLE IF NOT EXISTS changes (
    seq BIGINT PRIMARY KEY,
    rtype TEXT NOT NULL,
    record_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted INTEGER NOT NULL,
    resource TEXT,
    change_id TEXT,
    reemit INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_record ON changes (rtype, record_id, seq);
CREATE TABLE IF NOT EXISTS change_audience (
    audience TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (audience, seq)
);
CREATE INDEX IF NOT EXISTS change_audience_seq ON change_audience (seq);
CREATE TABLE IF NOT EXISTS applied_changes (
    change_id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
    via_sr TEXT NOT NULL,
    target_rtype TEXT NOT NULL,
    target_id TEXT NOT NULL,
    audience TEXT NOT NULL,
    clinic_id TEXT NOT NULL,
    PRIMARY KEY (via_sr, target_rtype, target_id, audience)
);
CREATE INDEX IF NOT EXISTS grants_target ON grants (target_rtype, target_id, audience);
CREATE TABLE IF NOT EXISTS links (
    src_rtype TEXT NOT NULL,
    src_id TEXT NOT NULL,
    sr_id TEXT NOT NULL,
    PRIMARY KEY (src_rtype, src_id, sr_id)
);
CREATE INDEX IF NOT EXISTS links_sr ON links (sr_id);
CREATE TABLE IF NOT EXISTS record_attachments (
    rtype TEXT NOT NULL,
    id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (rtype, id, sha256)
);
CREATE INDEX IF NOT EXISTS record_attachments_sha ON record_attachments (sha256);
CREATE TABLE IF NOT EXISTS uploads (
    sha256 TEXT NOT NULL,
    scope TEXT NOT NULL,
    size BIGINT NOT NULL,
    received BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (sha256, scope)
);
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS blob_owners (
    sha256 TEXT NOT NULL,
    scope TEXT NOT NULL,
    PRIMARY KEY (sha256, scope)
);
CREATE TABLE IF NOT EXISTS chunks (
    upload_key TEXT NOT NULL,
    off BIGINT NOT NULL,
    data {blob} NOT NULL,
    PRIMARY KEY (upload_key, off)
);
"""


def statements(dialect: str) -> list[str]:
    ddl = _DDL.replace("{blob}", "BYTEA" if dialect == "postgresql" else "BLOB")
    return [s.strip() for s in ddl.split(";") if s.strip()]


def new_epoch() -> str:
    return secrets.token_hex(16)


def ensure(db: Database) -> None:
    """Create the tables (if missing) and the epoch; safe when several processes start at once."""

    def work(conn: Conn) -> None:
        db.schema_lock(conn)
        for stmt in statements(conn.dialect):
            conn.execute(stmt)
        version = conn.scalar("SELECT value FROM meta WHERE key = 'schema_version'")
        if version is None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
            conn.execute("INSERT INTO meta (key, value) VALUES ('epoch', ?)", (new_epoch(),))
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('created_at', ?)", (str(int(time.time())),)
            )
        elif int(version) > SCHEMA_VERSION:
            from central.db import DatabaseError

            raise DatabaseError(
                f"The database was made by a newer clinic-central (schema {version}); "
                "upgrade this server."
            )

    db.write_sync(work, seq_lock=False)


def epoch(conn: Conn) -> str:
    return str(conn.scalar("SELECT value FROM meta WHERE key = 'epoch'"))


def bump_epoch(conn: Conn) -> str:
    value = new_epoch()
    conn.execute("UPDATE meta SET value = ? WHERE key = 'epoch'", (value,))
    return value
