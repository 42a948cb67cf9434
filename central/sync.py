"""Push and pull: the sync semantics of the central platform (see clinic_app.sync.protocol).

Push applies a whole batch in ONE write transaction, change by change:

* a ``change_id`` seen before (by the same clinic, or the same specialist) for the same content
  returns the stored result of its first application and applies nothing; for other content it
  is rejected ``change_id_reused`` (409), never "applied"; only *applied* results are stored, so a
  change that was rejected (e.g. its attachment was not uploaded yet) or in conflict can be
  sent again with the same id once the cause is fixed;
* ``rejected`` (invalid FHIR, too large, not permitted, attachment missing) is reported and the
  rest of the batch is still applied — a rejection never aborts the batch;
* ``conflict``: the base version is not the server's current version, or a create names a
  record that already exists (visible to the caller); the answer carries the server's copy;
* ``applied``: version = base + 1 (1 on create), and the change's global ``seq``.

Deletes are tombstones (``deleted = 1``, version + 1, resource null).

Every applied change appends one row to ``changes`` with the next ``seq`` (max + 1 under the
single-writer lock, so sequences are gap-free and commit in order) and one ``change_audience``
row per audience that may pull it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from central import authz, consults
from central.accounts import Principal
from central.authz import Denied
from central.db import Conn, placeholders
from central.records import (
    RecordRow,
    Ref,
    attachment_digests,
    consult_links,
    consult_specialty,
    identifiers,
    load,
    patient_of,
)
from central.schema import epoch
from central.validation import Prepared, canonical_json
from clinic_app.sync.protocol import (
    Change,
    ChangeResult,
    PulledChange,
    PullRequest,
    PullResponse,
    PushResponse,
    ServerCopy,
)


def head(conn: Conn) -> int:
    return int(conn.scalar("SELECT COALESCE(MAX(seq), 0) FROM changes") or 0)


def _server_copy(row: RecordRow) -> ServerCopy:
    return ServerCopy(row.version, row.deleted, None if row.deleted else row.resource)


def _append_change(
    conn: Conn,
    row_rtype: str,
    rid: str,
    version: int,
    deleted: bool,
    resource_text: str | None,
    change_id: str | None,
    audiences: set[str],
    reemit: bool,
) -> int:
    seq = head(conn) + 1
    conn.execute(
        "INSERT INTO changes (seq, rtype, record_id, version, deleted, resource, change_id, "
        "reemit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            row_rtype,
            rid,
            version,
            int(deleted),
            resource_text,
            change_id,
            int(reemit),
            int(time.time()),
        ),
    )
    conn.executemany(
        "INSERT INTO change_audience (audience, seq) VALUES (?, ?)",
        [(a, seq) for a in sorted(audiences)],
    )
    return seq


def _attachments_ready(conn: Conn, p: Principal, digests: set[str]) -> bool:
    """Each digest is complete on the server and the caller uploaded it or can already read
    it (a known digest alone gives no access to someone else's file)."""
    for digest in sorted(digests):
        if conn.scalar("SELECT 1 FROM blobs WHERE sha256 = ?", (digest,)) is None:
            return False
        if not authz.can_download(conn, p, digest):
            return False
    return True


def _index(
    conn: Conn, rtype: str, rid: str, resource: dict[str, Any] | None
) -> tuple[list[str], list[str]]:
    """Rewrite the search/authorization side tables of one record; returns (old consult
    links, new consult links)."""
    old_links = [
        str(r[0])
        for r in conn.all(
            "SELECT sr_id FROM links WHERE src_rtype = ? AND src_id = ?", (rtype, rid)
        )
    ]
    conn.execute("DELETE FROM links WHERE src_rtype = ? AND src_id = ?", (rtype, rid))
    conn.execute("DELETE FROM identifiers WHERE rtype = ? AND id = ?", (rtype, rid))
    conn.execute("DELETE FROM record_attachments WHERE rtype = ? AND id = ?", (rtype, rid))
    new_links: list[str] = []
    if resource is not None:
        new_links = consult_links(resource)
        conn.executemany(
            "INSERT INTO links (src_rtype, src_id, sr_id) VALUES (?, ?, ?)",
            [(rtype, rid, sr) for sr in new_links],
        )
        conn.executemany(
            "INSERT INTO identifiers (rtype, id, system, value) VALUES (?, ?, ?, ?)",
            [(rtype, rid, s, v) for s, v in sorted(identifiers(resource))],
        )
        conn.executemany(
            "INSERT INTO record_attachments (rtype, id, sha256) VALUES (?, ?, ?)",
            [(rtype, rid, d) for d in sorted(attachment_digests(resource))],
        )
    return old_links, new_links


def _apply(conn: Conn, ch: Change, owner: str, current: RecordRow | None) -> tuple[int, int]:
    """Write the new version, its side tables, grants and change rows; (version, seq)."""
    rtype, rid = ch.rtype, ch.record_id
    version = 1 if current is None else current.version + 1
    deleted = ch.op == "delete"
    resource = None if deleted else ch.resource
    text = canonical_json(resource) if resource is not None else None
    before = authz.record_audiences(conn, rtype, rid, owner) if current is not None else set()
    pid = (
        patient_of(resource) if resource is not None else (current.patient_id if current else None)
    )
    if current is None:
        conn.execute(
            "INSERT INTO records (rtype, id, version, deleted, resource, owner_clinic, "
            "patient_id, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            (rtype, rid, version, int(deleted), text, owner, pid),
        )
    else:
        conn.execute(
            "UPDATE records SET version = ?, deleted = ?, resource = ?, patient_id = ? "
            "WHERE rtype = ? AND id = ?",
            (version, int(deleted), text, pid, rtype, rid),
        )
    old_links, new_links = _index(conn, rtype, rid, resource)
    me: Ref = (rtype, rid)
    gained: dict[Ref, set[str]] = {}
    to_refresh = list(dict.fromkeys([*old_links, *new_links]))
    if rtype == "ServiceRequest":
        to_refresh.insert(0, rid)
    for sr_id in to_refresh:
        for ref, auds in consults.refresh(conn, sr_id, me).items():
            gained.setdefault(ref, set()).update(auds)
    after = authz.record_audiences(conn, rtype, rid, owner)
    audiences = set(after)
    if rtype == "ServiceRequest" and current is not None and consult_specialty(current.resource):
        # The consult's old specialty learns once that it was re-routed or withdrawn.
        audiences |= before
    seq = _append_change(
        conn, rtype, rid, version, deleted, text, ch.change_id, audiences, reemit=False
    )
    conn.execute("UPDATE records SET last_seq = ? WHERE rtype = ? AND id = ?", (seq, rtype, rid))
    for (t_rtype, t_id), auds in sorted(gained.items()):
        target = load(conn, t_rtype, t_id)
        if target is None or target.deleted or target.resource is None:
            continue
        _append_change(
            conn,
            t_rtype,
            t_id,
            target.version,
            False,
            canonical_json(target.resource),
            None,
            auds,
            reemit=True,
        )
    return version, seq


def _rejected(change_id: str, code: str, message: str, http_status: int = 422) -> ChangeResult:
    return ChangeResult(change_id, "rejected", error=message, code=code, http_status=http_status)


REUSED = "This change_id was already used for a different change; nothing was applied."
TAKEN = "This change_id was already used."


def _one(
    conn: Conn,
    p: Principal,
    scope: str,
    item: Prepared,
    pending: frozenset[Ref],
    companions: frozenset[Ref] = frozenset(),
) -> ChangeResult | None:
    """The result of one change, or None when it refers to a record a later change of the
    batch creates (``pending``): then it is tried again after the rest. References to
    ``companions`` are taken as existing (records of the batch that refer to each other)."""
    stored = conn.one(
        "SELECT scope, result FROM applied_changes WHERE change_id = ?", (item.change_id,)
    )
    if stored is not None:
        if str(stored[0]) != scope:
            return _rejected(item.change_id, "change_id_taken", TAKEN, 409)
        saved = json.loads(stored[1])
        first = saved.get("content_sha256")
        if item.digest is None or (first is not None and first != item.digest):
            return _rejected(item.change_id, "change_id_reused", REUSED, 409)
        return ChangeResult.parse(saved)
    if item.problem is not None or item.change is None:
        problem = item.problem
        assert problem is not None
        return _rejected(item.change_id, problem.code, problem.message, problem.http_status)
    ch = item.change
    current = load(conn, ch.rtype, ch.record_id)
    try:
        owner = authz.authorize_write(
            conn,
            p,
            ch.rtype,
            ch.record_id,
            ch.resource,
            current,
            set(item.refs),
            pending,
            companions,
        )
    except authz.Pending:
        return None
    except Denied as exc:
        return _rejected(ch.change_id, exc.code, str(exc), exc.http_status)
    if ch.base_version is None:
        if current is not None:
            return ChangeResult(ch.change_id, "conflict", server=_server_copy(current))
    else:
        if current is None:
            return _rejected(ch.change_id, "not_permitted", authz.NOT_PERMITTED, 403)
        if current.version != ch.base_version:
            return ChangeResult(ch.change_id, "conflict", server=_server_copy(current))
    if ch.resource is not None:
        digests = set(ch.attachments) | attachment_digests(ch.resource)
        if digests and not _attachments_ready(conn, p, digests):
            return _rejected(
                ch.change_id,
                "attachment_missing",
                "An attachment is missing: upload it, then push again.",
            )
    version, seq = _apply(conn, ch, owner, current)
    result = ChangeResult(ch.change_id, "applied", version=version, seq=seq)
    conn.execute(
        "INSERT INTO applied_changes (change_id, scope, result, created_at) VALUES (?, ?, ?, ?)",
        (
            ch.change_id,
            scope,
            json.dumps({**result.to_json(), "content_sha256": item.digest}),
            int(time.time()),
        ),
    )
    return result


def push(conn: Conn, p: Principal, items: Sequence[Prepared]) -> PushResponse:
    """Apply a batch (inside the caller's write transaction) of changes prepared beforehand
    (validated and canonicalised outside the lock: central.validation.prepare)."""
    authz.require_clinical(p)
    scope = authz.scope(p)
    results: dict[str, ChangeResult] = {}
    todo = list(items)
    while todo:
        # Records the changes still to do would create: a reference to one of them waits.
        pending = frozenset(
            (it.change.rtype, it.change.record_id)
            for it in todo
            if it.change is not None and it.change.op == "put" and it.problem is None
        )
        waiting: list[Prepared] = []
        for item in todo:
            mine = (
                pending - {(item.change.rtype, item.change.record_id)} if item.change else pending
            )
            result = _one(conn, p, scope, item, mine)
            if result is None:
                waiting.append(item)
            else:
                results[item.change_id] = result
        if len(waiting) == len(todo):  # no progress: they wait for each other (a cycle)
            results.update(_cycle(conn, p, scope, waiting))
            break
        todo = waiting
    return PushResponse(epoch(conn), tuple(results[item.change_id] for item in items))


def _creates(item: Prepared) -> Ref | None:
    ch = item.change
    if ch is None or item.problem is not None or ch.op != "put":
        return None
    return (ch.rtype, ch.record_id)


def _cycle(
    conn: Conn, p: Principal, scope: str, items: Sequence[Prepared]
) -> dict[str, ChangeResult]:
    """Changes of one batch that refer to each other (a CarePlan and its Task): applied
    together, each taking the others' records as existing. When one of them is rejected for a
    reason of its own, everything applied with it is undone (a savepoint) and the rest are
    tried again without it, so no stored record is left pointing at one that was refused."""
    rest = list(items)
    results: dict[str, ChangeResult] = {}
    while rest:
        companions = frozenset(ref for ref in map(_creates, rest) if ref is not None)
        conn.execute("SAVEPOINT cycle")
        tried: dict[str, ChangeResult] = {}
        refused: Prepared | None = None
        for item in rest:
            result = _one(conn, p, scope, item, frozenset(), companions)
            assert result is not None  # nothing is pending: companions stand for the rest
            tried[item.change_id] = result
            if result.status == "rejected" and _creates(item) is not None:
                refused = item
                break
        if refused is None:
            conn.execute("RELEASE SAVEPOINT cycle")
            results.update(tried)
            break
        conn.execute("ROLLBACK TO SAVEPOINT cycle")
        conn.execute("RELEASE SAVEPOINT cycle")
        results[refused.change_id] = tried[refused.change_id]
        rest.remove(refused)
    return results


def pull(conn: Conn, p: Principal, req: PullRequest) -> PullResponse:
    """Changes visible to the caller with ``seq > since``, in sequence order."""
    authz.require_clinical(p)
    mine = authz.audiences(p)
    top = head(conn)
    rows = conn.all(
        # Page the small audience index first, then read only that page's changes: a join
        # sorted as a whole made every page cost as much as everything left to pull.
        "SELECT c.seq, c.rtype, c.record_id, c.version, c.deleted, c.resource, c.change_id "
        "FROM changes c WHERE c.seq IN (SELECT DISTINCT a.seq FROM change_audience a "
        f"WHERE a.audience IN ({placeholders(len(mine))}) AND a.seq > ? "
        "ORDER BY a.seq LIMIT ?) ORDER BY c.seq",
        (*mine, req.since, req.limit + 1),
    )
    more = len(rows) > req.limit
    rows = rows[: req.limit]
    changes = tuple(
        PulledChange(
            seq=int(r[0]),
            rtype=str(r[1]),
            record_id=str(r[2]),
            version=int(r[3]),
            deleted=bool(r[4]),
            resource=json.loads(r[5]) if r[5] is not None else None,
            change_id=str(r[6]) if r[6] is not None else None,
        )
        for r in rows
    )
    nxt = changes[-1].seq if changes else req.since
    remaining = None
    if req.count:  # asked once per pull cycle by a client that shows progress
        remaining = 0
        if more:
            row = conn.one(
                "SELECT COUNT(DISTINCT a.seq) FROM change_audience a "
                f"WHERE a.audience IN ({placeholders(len(mine))}) AND a.seq > ?",
                (*mine, nxt),
            )
            remaining = int(row[0]) if row else 0
    return PullResponse(epoch(conn), max(top, nxt), changes, nxt, more, remaining)
