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
row per audience that may pull it. A clinic's push on PostgreSQL runs beside other clinics'
(``Conn.concurrent``, see central.db): its change rows get provisional negative numbers
(``-(backend pid << 20) - n``, unique among running transactions) and are renumbered max + 1…
at the end under the numbering lock held until commit (:func:`_number`), together with the
records' ``last_seq`` and the stored results; so the order and gap-freedom a pull relies on
are the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from central import authz, consults
from central.accounts import Principal
from central.authz import Denied
from central.db import Conn, Row, Sql, in_list, sql
from central.migrations import legacy_key
from central.records import (
    RecordRow,
    Ref,
    attachment_digests,
    consult_links,
    consult_specialty,
    forget,
    identifiers,
    load,
    patient_of,
    prefetch,
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

_HEAD = sql("SELECT COALESCE(MAX(seq), 0) FROM changes")
_NEW_CHANGE = sql(
    "INSERT INTO changes (seq, rtype, record_id, version, deleted, resource, change_id, "
    "reemit, created_at) VALUES (:seq, :rtype, :record_id, :version, :deleted, :resource, "
    ":change_id, :reemit, :at)"
)
_NEW_AUDIENCE = sql("INSERT INTO change_audience (audience, seq) VALUES (:audience, :seq)")
_BLOB_EXISTS = sql("SELECT 1 FROM blobs WHERE sha256 = :sha256")
_LINKS_OF = sql("SELECT sr_id FROM links WHERE src_rtype = :rtype AND src_id = :rid")
_DROP_LINKS = sql("DELETE FROM links WHERE src_rtype = :rtype AND src_id = :rid")
_DROP_IDENTIFIERS = sql("DELETE FROM identifiers WHERE rtype = :rtype AND id = :rid")
_DROP_ATTACHMENTS = sql("DELETE FROM record_attachments WHERE rtype = :rtype AND id = :rid")
_NEW_LINK = sql("INSERT INTO links (src_rtype, src_id, sr_id) VALUES (:rtype, :rid, :sr_id)")
_NEW_IDENTIFIER = sql(
    "INSERT INTO identifiers (rtype, id, system, value) VALUES (:rtype, :rid, :system, :value)"
)
_NEW_ATTACHMENT = sql(
    "INSERT INTO record_attachments (rtype, id, sha256) VALUES (:rtype, :rid, :sha256)"
)
_NEW_RECORD = sql(
    "INSERT INTO records (rtype, id, version, deleted, resource, owner_clinic, patient_id, "
    "last_seq) VALUES (:rtype, :rid, :version, :deleted, :resource, :owner, :patient_id, :seq)"
)
_UPDATE_RECORD = sql(
    "UPDATE records SET version = :version, deleted = :deleted, resource = :resource, "
    "patient_id = :patient_id, last_seq = :seq WHERE rtype = :rtype AND id = :rid"
)
# Renumbering a concurrent push's provisional sequences (PostgreSQL only).
_RENUMBER_CHANGES = sql(
    "UPDATE changes SET seq = m.n FROM unnest(:old::bigint[], :new::bigint[]) AS m(o, n) "
    "WHERE changes.seq = m.o"
)
_RENUMBER_AUDIENCE = sql(
    "UPDATE change_audience SET seq = m.n FROM unnest(:old::bigint[], :new::bigint[]) AS m(o, n) "
    "WHERE change_audience.seq = m.o"
)
_RENUMBER_RECORDS = sql(
    "UPDATE records SET last_seq = m.n FROM unnest(:rtypes::text[], :ids::text[], "
    ":old::bigint[], :new::bigint[]) AS m(t, i, o, n) "
    "WHERE records.rtype = m.t AND records.id = m.i AND records.last_seq = m.o"
)
_PROVISIONAL_BITS = 20  # provisional numbers of one transaction: -(pid << 20) - 1 … - 2**20
_APPLIED = sql("SELECT scope, result FROM applied_changes WHERE change_id = :change_id")
_APPLIED_MANY = sql("SELECT change_id, scope, result FROM applied_changes WHERE change_id IN (")
_CLOSE = sql(")")
_KNOWN = "applied"  # Conn.state key: change_id -> stored (scope, result) or None, read ahead
_NEW_APPLIED = sql(
    "INSERT INTO applied_changes (change_id, scope, result, created_at) "
    "VALUES (:change_id, :scope, :result, :at)"
)
_GRANTS_MANY = sql(
    "SELECT target_rtype, target_id, clinic_id, audience FROM grants WHERE target_id IN ("
)
_GRANTS = "grants"  # Conn.state key: (rtype, id) -> {(clinic, audience)} of the batch, read ahead
_BUFFER = "inserts"  # Conn.state key: statement text -> (statement, rows) inserted at a flush
_SAVEPOINT = sql("SAVEPOINT cycle")
_RELEASE = sql("RELEASE SAVEPOINT cycle")
_ROLLBACK_TO = sql("ROLLBACK TO SAVEPOINT cycle")
# Page the small audience index first, then read only that page's changes: a join sorted as
# a whole made every page cost as much as everything left to pull.
_PULL_HEAD = sql(
    "SELECT c.seq, c.rtype, c.record_id, c.version, c.deleted, c.resource, c.change_id "
    "FROM changes c WHERE c.seq IN (SELECT DISTINCT a.seq FROM change_audience a "
    "WHERE a.audience IN ("
)
_PULL_TAIL = sql(") AND a.seq > :since ORDER BY a.seq LIMIT :limit) ORDER BY c.seq")
_REMAINING_HEAD = sql("SELECT COUNT(DISTINCT a.seq) FROM change_audience a WHERE a.audience IN (")
_REMAINING_TAIL = sql(") AND a.seq > :since")


def head(conn: Conn) -> int:
    return int(conn.scalar(_HEAD) or 0)


def _insert_later(conn: Conn, query: Sql, rows: list[dict[str, Any]]) -> None:
    """Rows a push inserts but nothing reads before :func:`_flush` (change and audience rows,
    identifiers): one multi-row insert per table per batch (psycopg pipelines it) instead of
    one per change. Outside a push they are inserted at once."""
    buffer: dict[str, tuple[Sql, list[dict[str, Any]]]] | None = conn.state.get(_BUFFER)
    if buffer is None:
        conn.executemany(query, rows)
    elif rows:
        buffer.setdefault(query.text, (query, []))[1].extend(rows)


def _flush(conn: Conn) -> None:
    """Insert the buffered rows (in the order their statements were first used): before
    anything that reads those tables (consult grants, savepoints, the renumbering)."""
    buffer: dict[str, tuple[Sql, list[dict[str, Any]]]] | None = conn.state.get(_BUFFER)
    if buffer:
        items = list(buffer.values())
        buffer.clear()
        for query, rows in items:
            conn.executemany(query, rows)


def _audiences_of(conn: Conn, rtype: str, rid: str, owner: str) -> set[str]:
    """``authz.record_audiences``, answered from the grants read ahead for the batch while
    no consult grant was written in this transaction."""
    cache: dict[Ref, set[tuple[str, str]]] | None = conn.state.get(_GRANTS)
    if cache is None or (rtype, rid) not in cache:
        return authz.record_audiences(conn, rtype, rid, owner)
    return {f"clinic:{owner}"} | {aud for clinic, aud in cache[(rtype, rid)] if clinic == owner}


@dataclass
class _Numbering:
    """The sequence numbers one write transaction hands out (kept in ``conn.state``)."""

    concurrent: bool
    base: int = 0  # concurrent: provisional numbers count down from here
    next: int = 0  # otherwise: the next sequence (0 until the head was read once)
    provisional: list[tuple[int, str, str]] = field(default_factory=list)  # (seq, rtype, id)
    # change_id -> (scope, version, provisional seq, content digest): applied, stored at the end
    staged: dict[str, tuple[str, int, int, str | None]] = field(default_factory=dict)

    def take(self, conn: Conn, rtype: str, rid: str) -> int:
        if self.concurrent:
            n = len(self.provisional) + 1
            if n >= 1 << _PROVISIONAL_BITS:
                raise RuntimeError("too many changes in one transaction")
            seq = self.base - n
            self.provisional.append((seq, rtype, rid))
            return seq
        if self.next == 0:
            self.next = head(conn) + 1
        seq, self.next = self.next, self.next + 1
        return seq

    def mark(self) -> tuple[int, int, dict[str, tuple[str, int, int, str | None]]]:
        return self.next, len(self.provisional), dict(self.staged)

    def restore(self, mark: tuple[int, int, dict[str, tuple[str, int, int, str | None]]]) -> None:
        """After a rollback to a savepoint: forget the numbers handed out since ``mark``."""
        self.next, count, self.staged = mark[0], mark[1], mark[2]
        del self.provisional[count:]


def _numbering(conn: Conn) -> _Numbering:
    n = conn.state.get("numbering")
    if not isinstance(n, _Numbering):
        base = -(conn.backend_id << _PROVISIONAL_BITS) if conn.concurrent else 0
        n = conn.state["numbering"] = _Numbering(conn.concurrent, base)
    return n


def _number(conn: Conn, results: dict[str, ChangeResult]) -> None:
    """A concurrent push's last step: number its changes max + 1… under the numbering lock
    (held until commit, so numbers commit in order), then store and answer the results."""
    n = conn.state.get("numbering")
    if not isinstance(n, _Numbering) or not n.concurrent or not n.provisional:
        return
    conn.assign_lock()
    top = max(head(conn), 0)  # this transaction's own provisional rows are all negative
    old = [seq for seq, _, _ in n.provisional]
    final = {o: top + i + 1 for i, o in enumerate(old)}
    pairs = {"old": old, "new": [final[o] for o in old]}
    conn.execute(_RENUMBER_CHANGES, pairs)
    conn.execute(_RENUMBER_AUDIENCE, pairs)
    conn.execute(
        _RENUMBER_RECORDS,
        {
            **pairs,
            "rtypes": [rtype for _, rtype, _ in n.provisional],
            "ids": [rid for _, _, rid in n.provisional],
        },
    )
    rows = []
    at = int(time.time())
    for change_id, (scope, version, seq, digest) in n.staged.items():
        result = ChangeResult(change_id, "applied", version=version, seq=final[seq])
        results[change_id] = result
        stored = json.dumps({**result.to_json(), "content_sha256": digest})
        rows.append({"change_id": change_id, "scope": scope, "result": stored, "at": at})
    conn.executemany(_NEW_APPLIED, rows)
    n.provisional.clear()
    n.staged.clear()


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
    seq: int | None = None,
) -> int:
    if seq is None:
        seq = _numbering(conn).take(conn, row_rtype, rid)
    _insert_later(
        conn,
        _NEW_CHANGE,
        [{
            "seq": seq,
            "rtype": row_rtype,
            "record_id": rid,
            "version": version,
            "deleted": int(deleted),
            "resource": resource_text,
            "change_id": change_id,
            "reemit": int(reemit),
            "at": int(time.time()),
        }],
    )  # fmt: skip
    _insert_later(conn, _NEW_AUDIENCE, [{"audience": a, "seq": seq} for a in sorted(audiences)])
    return seq


def _attachments_ready(conn: Conn, p: Principal, digests: set[str]) -> bool:
    """Each digest is complete on the server and the caller uploaded it or can already read
    it (a known digest alone gives no access to someone else's file)."""
    for digest in sorted(digests):
        if conn.scalar(_BLOB_EXISTS, {"sha256": digest}) is None:
            return False
        if not authz.can_download(conn, p, digest):
            return False
    return True


def _index(
    conn: Conn, rtype: str, rid: str, resource: dict[str, Any] | None, fresh: bool = False
) -> tuple[list[str], list[str]]:
    """Rewrite the search/authorization side tables of one record (``fresh``: a record just
    created, which has none yet); returns (old consult links, new consult links)."""
    key = {"rtype": rtype, "rid": rid}
    old_links: list[str] = []
    if not fresh:
        old_links = [str(r[0]) for r in conn.all(_LINKS_OF, key)]
        conn.execute(_DROP_LINKS, key)
        conn.execute(_DROP_IDENTIFIERS, key)
        conn.execute(_DROP_ATTACHMENTS, key)
    new_links: list[str] = []
    if resource is not None:
        new_links = consult_links(resource)
        conn.executemany(_NEW_LINK, [{**key, "sr_id": sr} for sr in new_links])
        _insert_later(
            conn,
            _NEW_IDENTIFIER,
            [{**key, "system": s, "value": v} for s, v in sorted(identifiers(resource))],
        )
        conn.executemany(
            _NEW_ATTACHMENT, [{**key, "sha256": d} for d in sorted(attachment_digests(resource))]
        )
    return old_links, new_links


def _apply(conn: Conn, ch: Change, owner: str, current: RecordRow | None) -> tuple[int, int]:
    """Write the new version, its side tables, grants and change rows; (version, seq)."""
    rtype, rid = ch.rtype, ch.record_id
    version = 1 if current is None else current.version + 1
    deleted = ch.op == "delete"
    resource = None if deleted else ch.resource
    text = canonical_json(resource) if resource is not None else None
    before = _audiences_of(conn, rtype, rid, owner) if current is not None else set()
    pid = (
        patient_of(resource) if resource is not None else (current.patient_id if current else None)
    )
    seq = _numbering(conn).take(conn, rtype, rid)  # its own change comes before any re-emit
    values = {
        "rtype": rtype,
        "rid": rid,
        "version": version,
        "deleted": int(deleted),
        "resource": text,
        "patient_id": pid,
        "seq": seq,
    }
    forget(conn, rtype, rid)
    if current is None:
        conn.execute(_NEW_RECORD, {**values, "owner": owner})
    else:
        conn.execute(_UPDATE_RECORD, values)
    old_links, new_links = _index(conn, rtype, rid, resource, fresh=current is None)
    me: Ref = (rtype, rid)
    gained: dict[Ref, set[str]] = {}
    to_refresh = list(dict.fromkeys([*old_links, *new_links]))
    if rtype == "ServiceRequest":
        to_refresh.insert(0, rid)
    if to_refresh:  # consult grants are read and written: from here on, read them again
        _flush(conn)
        conn.state.pop(_GRANTS, None)
    for sr_id in to_refresh:
        for ref, auds in consults.refresh(conn, sr_id, me).items():
            gained.setdefault(ref, set()).update(auds)
    after = _audiences_of(conn, rtype, rid, owner)
    audiences = set(after)
    if rtype == "ServiceRequest" and current is not None and consult_specialty(current.resource):
        # The consult's old specialty learns once that it was re-routed or withdrawn.
        audiences |= before
    _append_change(
        conn, rtype, rid, version, deleted, text, ch.change_id, audiences, reemit=False, seq=seq
    )
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


def _same_content(saved: dict[str, Any], item: Prepared) -> bool:
    """Whether a change sent again under a stored change_id is the one first applied.

    Results carry the digest of what was sent; those stored before digests carry the key of
    their change instead (migration 2: record, operation, base and resource, not the
    attachment list), so a reuse differing in any of those is refused."""
    first = saved.get("content_sha256")
    if item.digest is None:
        return False
    if first is not None:
        return bool(first == item.digest)
    known = saved.get("legacy_key")
    if known is None:  # written by a server older than migration 2 after it ran
        return True
    ch = item.change
    if ch is None:
        return False
    text = canonical_json(ch.resource) if ch.resource is not None else None
    return bool(known == legacy_key(ch.rtype, ch.record_id, ch.op, ch.base_version, text))


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
    staged = _numbering(conn).staged.get(item.change_id) if conn.concurrent else None
    if staged is not None:  # applied earlier in this batch; its seq is given at the end
        if staged[0] != scope:
            return _rejected(item.change_id, "change_id_taken", TAKEN, 409)
        if item.digest is None or item.digest != staged[3]:
            return _rejected(item.change_id, "change_id_reused", REUSED, 409)
        return ChangeResult(item.change_id, "applied", version=staged[1])
    known: dict[str, Row | None] = conn.state.get(_KNOWN, {})
    if item.change_id in known:
        stored = known[item.change_id]
    else:
        stored = conn.one(_APPLIED, {"change_id": item.change_id})
    if stored is not None:
        if str(stored[0]) != scope:
            return _rejected(item.change_id, "change_id_taken", TAKEN, 409)
        saved = json.loads(stored[1])
        if not _same_content(saved, item):
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
    if seq < 0:  # provisional (a concurrent push): numbered and stored by _number at the end
        _numbering(conn).staged[ch.change_id] = (scope, version, seq, item.digest)
        return ChangeResult(ch.change_id, "applied", version=version)
    result = ChangeResult(ch.change_id, "applied", version=version, seq=seq)
    stored_text = json.dumps({**result.to_json(), "content_sha256": item.digest})
    conn.execute(
        _NEW_APPLIED,
        {"change_id": ch.change_id, "scope": scope, "result": stored_text, "at": int(time.time())},
    )
    known[ch.change_id] = (scope, stored_text)
    return result


def push(conn: Conn, p: Principal, items: Sequence[Prepared]) -> PushResponse:
    """Apply a batch (inside the caller's write transaction) of changes prepared beforehand
    (validated and canonicalised outside the lock: central.validation.prepare)."""
    authz.require_clinical(p)
    scope = authz.scope(p)
    conn.state[_BUFFER] = {}
    _read_ahead(conn, items)
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
    _flush(conn)
    conn.state.pop(_BUFFER, None)
    conn.state.pop(_GRANTS, None)
    _number(conn, results)
    return PushResponse(epoch(conn), tuple(results[item.change_id] for item in items))


def _read_ahead(conn: Conn, items: Sequence[Prepared]) -> None:
    """Read the batch's stored results and the records it names in a few queries instead of
    several per change (each query is a round trip to PostgreSQL)."""
    ids = list(dict.fromkeys(item.change_id for item in items))
    known: dict[str, Row | None] = conn.state.setdefault(_KNOWN, {})
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        part, params = in_list("cid", chunk)
        found = {str(r[0]): (r[1], r[2]) for r in conn.all(_APPLIED_MANY + part + _CLOSE, params)}
        for cid in chunk:
            known[cid] = found.get(cid)
    refs: list[Ref] = []
    for item in items:
        if item.change is not None:
            refs.append((item.change.rtype, item.change.record_id))
            refs.extend(sorted(item.refs))
    prefetch(conn, refs)
    grants: dict[Ref, set[tuple[str, str]]] = {}
    ids = list(dict.fromkeys(item.change.record_id for item in items if item.change is not None))
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        part, params = in_list("rid", chunk)
        for r in conn.all(_GRANTS_MANY + part + _CLOSE, params):
            grants.setdefault((str(r[0]), str(r[1])), set()).add((str(r[2]), str(r[3])))
    conn.state[_GRANTS] = {
        (item.change.rtype, item.change.record_id): grants.get(
            (item.change.rtype, item.change.record_id), set()
        )
        for item in items
        if item.change is not None
    }


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
        _flush(conn)
        conn.execute(_SAVEPOINT)
        mark = _numbering(conn).mark()
        tried: dict[str, ChangeResult] = {}
        refused: Prepared | None = None
        for item in rest:
            result = _one(conn, p, scope, item, frozenset(), companions)
            assert result is not None  # nothing is pending: companions stand for the rest
            tried[item.change_id] = result
            if result.status == "rejected" and _creates(item) is not None:
                refused = item
                break
        _flush(conn)
        if refused is None:
            conn.execute(_RELEASE)
            results.update(tried)
            break
        conn.execute(_ROLLBACK_TO)
        conn.execute(_RELEASE)
        _numbering(conn).restore(mark)
        conn.state.pop(_KNOWN, None)  # what the cache holds may have been rolled back
        conn.state.pop(_GRANTS, None)
        forget(conn)
        results[refused.change_id] = tried[refused.change_id]
        rest.remove(refused)
    return results


@dataclass
class _Page:
    top: int
    rows: list[Row]
    more: bool
    next: int
    remaining: int | None


def _page(conn: Conn, p: Principal, req: PullRequest) -> _Page:
    authz.require_clinical(p)
    mine = authz.audiences(p)
    top = head(conn)
    auds, params = in_list("aud", mine)
    rows = conn.all(
        _PULL_HEAD + auds + _PULL_TAIL, {**params, "since": req.since, "limit": req.limit + 1}
    )
    more = len(rows) > req.limit
    rows = rows[: req.limit]
    nxt = int(rows[-1][0]) if rows else req.since
    remaining = None
    if req.count:  # asked once per pull cycle by a client that shows progress
        remaining = 0
        if more:
            row = conn.one(_REMAINING_HEAD + auds + _REMAINING_TAIL, {**params, "since": nxt})
            remaining = int(row[0]) if row else 0
    return _Page(top, rows, more, nxt, remaining)


def pull(conn: Conn, p: Principal, req: PullRequest) -> PullResponse:
    """Changes visible to the caller with ``seq > since``, in sequence order."""
    page = _page(conn, p, req)
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
        for r in page.rows
    )
    return PullResponse(
        epoch(conn), max(page.top, page.next), changes, page.next, page.more, page.remaining
    )


def pull_text(conn: Conn, p: Principal, req: PullRequest) -> tuple[str, int]:
    """:func:`pull`'s answer as its JSON text (the same bytes ``json.dumps`` of
    ``pull(...).to_json()`` gives) and the number of changes in it. The stored resources are
    already compact ASCII JSON (``canonical_json``): they are spliced in as they are, never
    parsed and printed again (most of a large page's cost)."""
    page = _page(conn, p, req)
    q = json.dumps
    parts = [
        f'{{"seq":{int(r[0])},"rtype":{q(str(r[1]))},"record_id":{q(str(r[2]))},'
        f'"version":{int(r[3])},"deleted":{"true" if r[4] else "false"},'
        f'"resource":{r[5] if r[5] is not None else "null"},'
        f'"change_id":{q(str(r[6])) if r[6] is not None else "null"}}}'
        for r in page.rows
    ]
    tail = "" if page.remaining is None else f',"remaining":{page.remaining}'
    text = (
        f'{{"epoch":{q(epoch(conn))},"head":{max(page.top, page.next)},'
        f'"changes":[{",".join(parts)}],"next":{page.next},'
        f'"more":{"true" if page.more else "false"}{tail}}}'
    )
    return text, len(parts)
