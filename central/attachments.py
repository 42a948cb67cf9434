"""Attachments: content-addressed (SHA-256), uploaded in chunks, resumable, kept in the database.

Bytes live in the ``chunks`` table (BLOB/BYTEA, one row per uploaded chunk of at most
:data:`MAX_CHUNK` bytes), so several server processes sharing one PostgreSQL need no shared
disk, and nothing is ever held whole in memory: uploads arrive chunk by chunk, the digest is
checked by streaming the chunks back, downloads stream them out.

Upload slots are per (digest, scope): a clinic (or specialist) that did not upload a file must
send its bytes too before it may use the file — knowing a digest proves nothing. When the last
byte arrives the digest is checked: a mismatch discards the partial upload (422); a match makes
the caller an owner of the blob (stored once, whoever uploads it).

Abandoned uploads are reaped: a slot's ``created_at`` is the time of its last activity (set
when it opens and moved by every chunk received), and :func:`reap_abandoned` drops the slots
idle for longer than the server's ``upload_ttl`` with their chunks (a periodic task of the
server, central.app, and ``clinic-central uploads reap``). A client that comes back later
asks for the status again and starts over; a slot receiving chunks is never reaped.
"""

from __future__ import annotations

import hashlib
import time

from central.db import Conn, sql
from central.errors import ApiError
from clinic_app.sync.protocol import AttachmentStatus

MAX_CHUNK = 4 * 1024 * 1024
MAX_ATTACHMENT = 200 * 1024 * 1024
REAP_BATCH = 500  # upload slots dropped per transaction by reap_abandoned


_OWNED_SIZE = sql(
    "SELECT b.size FROM blobs b JOIN blob_owners o ON o.sha256 = b.sha256 "
    "WHERE b.sha256 = :sha256 AND o.scope = :scope"
)
_SLOT = sql("SELECT size, received FROM uploads WHERE sha256 = :sha256 AND scope = :scope")
_OPEN_SLOT = sql(
    "INSERT INTO uploads (sha256, scope, size, received, created_at) "
    "VALUES (:sha256, :scope, :size, 0, :at) ON CONFLICT DO NOTHING"
)
_ADVANCE = sql(
    "UPDATE uploads SET received = received + :length, created_at = :at "
    "WHERE sha256 = :sha256 AND scope = :scope AND received = :offset"
)
_NEW_CHUNK = sql("INSERT INTO chunks (upload_key, off, data) VALUES (:key, :off, :data)")
_CHUNK_OFFSETS = sql("SELECT off FROM chunks WHERE upload_key = :key ORDER BY off")
_CHUNK = sql("SELECT data FROM chunks WHERE upload_key = :key AND off = :off")
_CLOSE_SLOT = sql("DELETE FROM uploads WHERE sha256 = :sha256 AND scope = :scope")
_DROP_CHUNKS = sql("DELETE FROM chunks WHERE upload_key = :key")
_BLOB_EXISTS = sql("SELECT 1 FROM blobs WHERE sha256 = :sha256")
_MOVE_CHUNKS = sql("UPDATE chunks SET upload_key = :new WHERE upload_key = :old")
_NEW_BLOB = sql("INSERT INTO blobs (sha256, size, created_at) VALUES (:sha256, :size, :at)")
_NEW_OWNER = sql(
    "INSERT INTO blob_owners (sha256, scope) VALUES (:sha256, :scope) ON CONFLICT DO NOTHING"
)
_BLOB_SIZE = sql("SELECT size FROM blobs WHERE sha256 = :sha256")
_IDLE_SLOTS = sql(
    "SELECT sha256, scope FROM uploads WHERE created_at < :cutoff "
    "ORDER BY created_at, sha256, scope LIMIT :limit"
)
# The idle condition again in the DELETE: a chunk that arrived since the SELECT keeps its slot.
_REAP_SLOT = sql(
    "DELETE FROM uploads WHERE sha256 = :sha256 AND scope = :scope AND created_at < :cutoff"
)


def _upload_key(scope: str, sha256: str) -> str:
    return f"u:{scope}:{sha256}"


def _blob_key(sha256: str) -> str:
    return f"b:{sha256}"


def _owned_size(conn: Conn, scope: str, sha256: str) -> int | None:
    row = conn.one(_OWNED_SIZE, {"sha256": sha256, "scope": scope})
    return int(row[0]) if row else None


def _slot(conn: Conn, scope: str, sha256: str) -> tuple[int, int] | None:
    row = conn.one(_SLOT, {"sha256": sha256, "scope": scope})
    return (int(row[0]), int(row[1])) if row else None


def check_size(size: int) -> None:
    if not 1 <= size <= MAX_ATTACHMENT:
        raise ApiError(400, "bad_size", f"An attachment has 1 to {MAX_ATTACHMENT} bytes.")


def status(conn: Conn, scope: str, sha256: str, size: int) -> AttachmentStatus:
    """The upload state for this caller; opens an upload slot when the file is new to them."""
    check_size(size)
    owned = _owned_size(conn, scope, sha256)
    if owned is not None:
        if owned != size:
            raise ApiError(409, "size_mismatch", "The server holds this file with another size.")
        return AttachmentStatus(sha256, owned, owned, True)
    slot = _slot(conn, scope, sha256)
    if slot is None:
        conn.execute(
            _OPEN_SLOT, {"sha256": sha256, "scope": scope, "size": size, "at": int(time.time())}
        )
        slot = _slot(conn, scope, sha256) or (size, 0)
    if slot[0] != size:
        raise ApiError(409, "size_mismatch", "An upload of this file with another size is open.")
    return AttachmentStatus(sha256, slot[0], slot[1], False)


def current(conn: Conn, scope: str, sha256: str) -> AttachmentStatus | None:
    owned = _owned_size(conn, scope, sha256)
    if owned is not None:
        return AttachmentStatus(sha256, owned, owned, True)
    slot = _slot(conn, scope, sha256)
    return AttachmentStatus(sha256, slot[0], slot[1], False) if slot else None


def put_chunk(conn: Conn, scope: str, sha256: str, offset: int, data: bytes) -> AttachmentStatus:
    """Append one chunk at ``offset`` (which must equal ``received``)."""
    state = current(conn, scope, sha256)
    if state is None:
        raise ApiError(
            404, "no_upload", "No upload is open for this file: ask for its status first."
        )
    if state.complete or offset != state.received:
        raise ApiError(
            409,
            "wrong_offset",
            "Resume the upload from the received byte count.",
            state.to_json(),
        )
    if not data:
        raise ApiError(400, "empty_chunk", "The chunk is empty.")
    if offset + len(data) > state.size:
        raise ApiError(400, "beyond_size", "The chunk goes past the declared size.")
    moved = conn.execute(
        _ADVANCE,
        {
            "length": len(data),
            "sha256": sha256,
            "scope": scope,
            "offset": offset,
            "at": int(time.time()),
        },
    )
    if moved != 1:  # another request appended first
        latest = current(conn, scope, sha256)
        raise ApiError(
            409,
            "wrong_offset",
            "Resume the upload from the received byte count.",
            latest.to_json() if latest else None,
        )
    conn.execute(_NEW_CHUNK, {"key": _upload_key(scope, sha256), "off": offset, "data": data})
    return AttachmentStatus(sha256, state.size, offset + len(data), False)


def _chunk_offsets(conn: Conn, key: str) -> list[int]:
    return [int(r[0]) for r in conn.all(_CHUNK_OFFSETS, {"key": key})]


def _chunk(conn: Conn, key: str, offset: int) -> bytes:
    return bytes(conn.scalar(_CHUNK, {"key": key, "off": offset}))


def finish(conn: Conn, scope: str, sha256: str) -> tuple[AttachmentStatus, bool]:
    """Check the digest of a fully received upload (streaming the chunks, one at a time) and
    turn it into a blob owned by ``scope``. Returns (status, digest matched); a mismatch
    discards the upload (the caller commits that, then answers 422)."""
    slot = _slot(conn, scope, sha256)
    if slot is None:
        state = current(conn, scope, sha256)
        if state is None:
            raise ApiError(404, "no_upload", "No upload is open for this file.")
        return state, True
    size, received = slot
    if received != size:
        return AttachmentStatus(sha256, size, received, False), True
    key = _upload_key(scope, sha256)
    h = hashlib.sha256()
    for off in _chunk_offsets(conn, key):
        h.update(_chunk(conn, key, off))
    conn.execute(_CLOSE_SLOT, {"sha256": sha256, "scope": scope})
    if h.hexdigest() != sha256:
        conn.execute(_DROP_CHUNKS, {"key": key})
        return AttachmentStatus(sha256, size, 0, False), False
    if conn.scalar(_BLOB_EXISTS, {"sha256": sha256}) is None:
        conn.execute(_MOVE_CHUNKS, {"new": _blob_key(sha256), "old": key})
        conn.execute(_NEW_BLOB, {"sha256": sha256, "size": size, "at": int(time.time())})
    else:
        conn.execute(_DROP_CHUNKS, {"key": key})
    conn.execute(_NEW_OWNER, {"sha256": sha256, "scope": scope})
    return AttachmentStatus(sha256, size, size, True), True


def blob_layout(conn: Conn, sha256: str) -> tuple[int, list[int]] | None:
    """(size, chunk offsets) of a stored blob."""
    size = conn.scalar(_BLOB_SIZE, {"sha256": sha256})
    if size is None:
        return None
    return int(size), _chunk_offsets(conn, _blob_key(sha256))


def blob_chunk(conn: Conn, sha256: str, offset: int) -> bytes:
    return _chunk(conn, _blob_key(sha256), offset)


def reap_abandoned(
    conn: Conn, idle_seconds: int, *, now: int | None = None, limit: int = REAP_BATCH
) -> int:
    """Drop up to ``limit`` upload slots idle for more than ``idle_seconds`` and their chunks
    (inside the caller's write transaction); returns how many. Completed files (blobs) are
    never touched."""
    if idle_seconds < 0:
        raise ValueError("idle_seconds must not be negative")
    cutoff = (int(time.time()) if now is None else now) - idle_seconds
    reaped = 0
    for sha256, scope in conn.all(_IDLE_SLOTS, {"cutoff": cutoff, "limit": limit}):
        key = {"sha256": str(sha256), "scope": str(scope), "cutoff": cutoff}
        if conn.execute(_REAP_SLOT, key) == 1:
            conn.execute(_DROP_CHUNKS, {"key": _upload_key(str(scope), str(sha256))})
            reaped += 1
    return reaped
