"""Numbered migrations of the central database, each one transaction, on SQLite and PostgreSQL.

``meta.schema_version`` holds the version (absent: an empty database, version 0). A server
brings its database to :data:`CURRENT_SCHEMA` when it starts (:func:`migrate`): one step per
transaction, the step's changes and its version number committed together, so a crash leaves
the database at a whole step. Several processes may start at once: every step's transaction
first takes the schema lock (a PostgreSQL advisory lock, and the change-table lock so no push
of an older process runs in the middle; on SQLite the write transaction is exclusive) and then
reads the version, so each step runs exactly once and the others see it done. A database newer
than this code is refused before anything is written (:class:`SchemaTooNew`).

Step 1 is the schema as first released, kept verbatim (``CREATE … IF NOT EXISTS``): a version-1
database made by that code is the fixture that tests/central/test_migrations.py upgrades.
Never edit a released step; add the next one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from central.db import Conn, Database, DatabaseError, sql

log = logging.getLogger(__name__)


class SchemaTooNew(DatabaseError):
    """The database was made by a newer clinic-central; nothing was written to it."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Conn], None]


def new_epoch() -> str:
    return secrets.token_hex(16)


# -- step 1: the schema as first released ----------------------------------------------------

_V1_DDL = """
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


def v1_statements(dialect: str) -> list[str]:
    """Step 1's statements for ``dialect`` (only binary columns differ)."""
    ddl = _V1_DDL.replace("{blob}", "BYTEA" if dialect == "postgresql" else "BLOB")
    return [s.strip() for s in ddl.split(";") if s.strip()]


_PUT_META = sql("INSERT INTO meta (key, value) VALUES (:key, :value)")


def _v1(conn: Conn) -> None:
    for stmt in v1_statements(conn.dialect):
        conn.execute(sql(stmt))
    conn.execute(_PUT_META, {"key": "epoch", "value": new_epoch()})
    conn.execute(_PUT_META, {"key": "created_at", "value": str(int(time.time()))})


# -- step 2: reuse of a change_id stored before content digests -------------------------------


def legacy_key(
    rtype: str, record_id: str, op: str, base_version: int | None, resource_text: str | None
) -> dict[str, Any]:
    """What is known exactly of a change applied before results kept a content digest.

    Before content digests the stored resource was the pushed one verbatim (canonical JSON),
    and the version follows from the base (a create is version 1, anything else base + 1).
    Only the attachment list is not known, so a reuse of such a change_id is compared on
    this key: a different record, operation, base or resource is refused as reused.
    """
    digest = (
        hashlib.sha256(resource_text.encode("utf-8")).hexdigest()
        if resource_text is not None
        else None
    )
    return {
        "rtype": rtype,
        "record_id": record_id,
        "op": op,
        "base_version": base_version,
        "resource_sha256": digest,
    }


UNVERIFIABLE = "unverifiable"  # a content digest no change can have: every reuse is refused

_LEGACY_PAGE = sql(
    "SELECT change_id, result FROM applied_changes "
    "WHERE change_id > :after AND result NOT LIKE '%\"content_sha256\"%' "
    "ORDER BY change_id LIMIT :limit"
)
_CHANGE_BY_SEQ = sql(
    "SELECT rtype, record_id, version, deleted, resource, change_id FROM changes WHERE seq = :seq"
)
_SET_RESULT = sql("UPDATE applied_changes SET result = :result WHERE change_id = :change_id")


def _v2(conn: Conn) -> None:
    # Results stored before content digests answered any reuse of their change_id with the
    # old result, whatever was sent. Each gets the key of what it applied, read back from its
    # change row; one whose change row cannot be found is marked so that reuse is refused.
    after = ""
    while True:
        page = conn.all(_LEGACY_PAGE, {"after": after, "limit": 500})
        if not page:
            return
        for change_id, text in page:
            after = str(change_id)
            saved = json.loads(text)
            if "content_sha256" in saved:
                continue  # the text merely mentions it
            row = None
            if isinstance(saved.get("seq"), int):
                row = conn.one(_CHANGE_BY_SEQ, {"seq": saved["seq"]})
            if row is None or str(row[5]) != after:
                saved["content_sha256"] = UNVERIFIABLE
            else:
                version = int(row[2])
                saved["content_sha256"] = None
                saved["legacy_key"] = legacy_key(
                    str(row[0]),
                    str(row[1]),
                    "delete" if int(row[3]) else "put",
                    None if version == 1 else version - 1,
                    None if row[4] is None else str(row[4]),
                )
            conn.execute(_SET_RESULT, {"result": json.dumps(saved), "change_id": after})


# -- step 3: sessions with rotating refresh tokens, sign-in throttling, the sign-in audit -------

_V3_DDL = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoke_reason TEXT
);
CREATE INDEX sessions_subject ON sessions (subject_id);
ALTER TABLE tokens ADD COLUMN purpose TEXT NOT NULL DEFAULT 'access';
ALTER TABLE tokens ADD COLUMN session_id TEXT;
ALTER TABLE tokens ADD COLUMN used_at BIGINT;
ALTER TABLE tokens ADD COLUMN replaced_by TEXT;
CREATE INDEX tokens_session ON tokens (session_id);
CREATE TABLE auth_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    locked INTEGER NOT NULL
);
CREATE TABLE auth_audit (
    id TEXT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    event TEXT NOT NULL,
    outcome TEXT NOT NULL,
    account TEXT,
    subject_id TEXT,
    address TEXT
);
CREATE INDEX auth_audit_at ON auth_audit (at_ms);
CREATE INDEX auth_audit_account ON auth_audit (account, at_ms)
"""


def _v3(conn: Conn) -> None:
    # Tokens made before this step are access tokens of no session (they keep working until
    # they expire or are revoked); new sign-ins and enrollments get a session: a short-lived
    # access token and a refresh token that rotates (central/accounts.py). auth_throttle holds
    # the failure counts per user name and per source address (times in milliseconds);
    # auth_audit every sign-in, enrollment, refresh and unlock (never a password or a token).
    for stmt in _V3_DDL.split(";"):
        if stmt.strip():
            conn.execute(sql(stmt.strip()))


# -- step 4: call signaling shared by every server process ------------------------------------

_V4_DDL = """
CREATE TABLE central_instances (
    instance_id TEXT PRIMARY KEY,
    started_ms BIGINT NOT NULL,
    seen_ms BIGINT NOT NULL
);
CREATE TABLE call_presence (
    consult_id TEXT NOT NULL,
    side TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    conn_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    call_id TEXT NOT NULL,
    joined_ms BIGINT NOT NULL,
    PRIMARY KEY (consult_id, side)
);
CREATE INDEX call_presence_instance ON call_presence (instance_id);
CREATE TABLE call_messages (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    created_ms BIGINT NOT NULL
)
"""


def _v4(conn: Conn) -> None:
    # Call rooms live in the database so any server process can hold either side of a call
    # (central/callbus.py): central_instances is every process's heartbeat (a process not seen
    # for a while is dead and its sockets' presence is dropped), call_presence who is in which
    # consult's room on which process, call_messages the signaling messages too large for one
    # PostgreSQL NOTIFY (times in milliseconds).
    for stmt in _V4_DDL.split(";"):
        if stmt.strip():
            conn.execute(sql(stmt.strip()))


MIGRATIONS: list[Migration] = [
    Migration(1, "accounts, records, changes, grants, attachments", _v1),
    Migration(2, "applied changes stored before content digests get the key of their change", _v2),
    Migration(3, "sessions and rotating refresh tokens, sign-in throttling and audit", _v3),
    Migration(4, "call rooms shared by server processes: presence, instances, messages", _v4),
]
if [m.version for m in MIGRATIONS] != list(range(1, len(MIGRATIONS) + 1)):
    raise AssertionError("central migrations are numbered 1, 2, 3… without gaps")
CURRENT_SCHEMA = MIGRATIONS[-1].version


# -- running them ----------------------------------------------------------------------------

_HAS_META = {
    "sqlite": sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"),
    "postgresql": sql(
        "SELECT 1 FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = 'meta'"
    ),
}
_GET_VERSION = sql("SELECT value FROM meta WHERE key = 'schema_version'")
_SET_VERSION = sql("UPDATE meta SET value = :value WHERE key = 'schema_version'")


def schema_version(conn: Conn) -> int:
    """The database's schema version; 0 for an empty database."""
    if conn.scalar(_HAS_META[conn.dialect]) is None:
        return 0
    value = conn.scalar(_GET_VERSION)
    return int(value) if value is not None else 0


def _record(conn: Conn, version: int) -> None:
    if version == 1:
        conn.execute(_PUT_META, {"key": "schema_version", "value": "1"})
    else:
        conn.execute(_SET_VERSION, {"value": str(version)})


def _next_step(db: Database, conn: Conn, target: int) -> int | None:
    """Inside one write transaction: apply the next step, if any; returns its version."""
    db.schema_lock(conn)
    version = schema_version(conn)
    if version > CURRENT_SCHEMA:
        raise SchemaTooNew(
            f"The database {db.url.describe()} was made by a newer clinic-central (schema "
            f"{version}; this version reads up to schema {CURRENT_SCHEMA}). Upgrade this server;"
            " nothing was changed."
        )
    if version >= target:
        return None
    step = MIGRATIONS[version]  # the step numbered version + 1
    step.apply(conn)
    _record(conn, step.version)
    return step.version


def migrate(db: Database, target: int = CURRENT_SCHEMA) -> list[int]:
    """Bring the database to ``target`` (default: current), one transaction per step; returns
    the steps this process applied (none when another process got there first)."""
    if not 0 < target <= CURRENT_SCHEMA:
        raise ValueError(f"No schema {target}; this version knows 1 to {CURRENT_SCHEMA}.")
    applied: list[int] = []
    while True:
        done = db.write_sync(lambda conn: _next_step(db, conn, target), seq_lock=False)
        if done is None:
            return applied
        log.info("migrated the central database to schema %d (%s)", done,
                 MIGRATIONS[done - 1].description)  # fmt: skip
        applied.append(done)
