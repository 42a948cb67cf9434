"""Hash-chained audit log: who read or changed what, and when.

Each entry's MAC covers its own fields and the previous entry's MAC, keyed with a key derived
from the data key, so removing, reordering or altering an entry breaks the chain. The newest
sequence number and MAC are mirrored in ``meta`` in the same transaction, so cutting entries
off the end is detected too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from local_store.db import Connection

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditReport:
    entries: int
    ok: bool
    first_bad_seq: int | None = None
    reason: str = ""


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once


def _payload(fields: list[object]) -> bytes:
    return _ENCODE(fields).encode()


def _mac(key: bytes, fields: list[object]) -> str:
    return hmac.new(key, _payload(fields), hashlib.sha256).hexdigest()


def append(
    conn: Connection,
    key: bytes,
    *,
    actor: str,
    action: str,
    rtype: str = "",
    record_id: str = "",
    detail: str = "",
) -> int:
    """Append one entry; call inside the transaction of the change it describes."""
    head = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq = head[0] + 1 if head else 1
    prev = head[1] if head else GENESIS
    ts = datetime.now(UTC).isoformat(timespec="milliseconds")
    digest = _mac(key, [seq, ts, actor, action, rtype, record_id, detail, prev])
    conn.execute(
        "INSERT INTO audit(seq, ts, actor, action, rtype, record_id, detail, prev_hash, hash)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        (seq, ts, actor, action, rtype, record_id, detail, prev, digest),
    )
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('audit_head', ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (f"{seq}:{digest}",),
    )
    return seq


def append_many(
    conn: Connection, key: bytes, actor: str, entries: list[tuple[str, str, str, str]]
) -> int:
    """Append ``(action, rtype, record_id, detail)`` entries in order, chained exactly as
    :func:`append` would one by one, with one read of the head, one multi-row insert and one
    head update (a pulled page of hundreds of records). Returns the last sequence number."""
    head = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq = head[0] if head else 0
    prev = head[1] if head else GENESIS
    if not entries:
        return seq
    ts = datetime.now(UTC).isoformat(timespec="milliseconds")
    rows = []
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # the key's pads once, copied per entry
    for action, rtype, record_id, detail in entries:
        seq += 1
        mac = keyed.copy()
        mac.update(_payload([seq, ts, actor, action, rtype, record_id, detail, prev]))
        digest = mac.hexdigest()
        rows.append((seq, ts, actor, action, rtype, record_id, detail, prev, digest))
        prev = digest
    conn.executemany(
        "INSERT INTO audit(seq, ts, actor, action, rtype, record_id, detail, prev_hash, hash)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        rows,
    )
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('audit_head', ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (f"{seq}:{prev}",),
    )
    return seq


def verify(conn: Connection, key: bytes) -> AuditReport:
    """Walk the whole chain; report the first entry that does not verify."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    rows = conn.execute(
        "SELECT seq, ts, actor, action, rtype, record_id, detail, prev_hash, hash"
        " FROM audit ORDER BY seq"
    )
    for seq, ts, actor, action, rtype, record_id, detail, prev_hash, digest in rows:
        if seq != expected_seq:
            return AuditReport(count, False, expected_seq, "an entry is missing")
        if prev_hash != prev:
            return AuditReport(count, False, seq, "the chain is broken")
        if not hmac.compare_digest(
            _mac(key, [seq, ts, actor, action, rtype, record_id, detail, prev_hash]), digest
        ):
            return AuditReport(count, False, seq, "an entry was altered")
        prev = digest
        expected_seq += 1
        count += 1
    head = conn.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
    if count and (head is None or head[0] != f"{count}:{prev}"):
        return AuditReport(count, False, count, "entries were removed from the end")
    if not count and head is not None:
        return AuditReport(0, False, 1, "entries were removed from the end")
    return AuditReport(count, True)
