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
(``-(backend pid << 20) - n``, unique among running transactions) and get their final
numbers max + 1… at the end under the numbering lock held until commit (:func:`_number`: the
rows still waiting are inserted with them, any inserted earlier are renumbered), together
with the records' ``last_seq`` and the stored results; so the order and gap-freedom a pull
relies on are the same.
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
from central.db import Conn, Row, bulk, in_list, sql
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
    remember,
)
from central.schema import epoch
from central.validation import Prepared, canonical_json
from clinic_app.sync.protocol import (
    MAX_PULL_BYTES,
    Change,
    ChangeResult,
    PulledChange,
    PullRequest,
    PullResponse,
    PushResponse,
    ServerCopy,
)

_HEAD = sql("SELECT COALESCE(MAX(seq), 0) FROM changes")
# Rows a push inserts are inserted together (Conn.insert_later: one statement per table).
_NEW_CHANGE = bulk(
    "changes",
    [
        ("seq", "seq", "bigint"),
        ("rtype", "rtype", "text"),
        ("record_id", "record_id", "text"),
        ("version", "version", "bigint"),
        ("deleted", "deleted", "integer"),
        ("resource", "resource", "text"),
        ("change_id", "change_id", "text"),
        ("reemit", "reemit", "integer"),
        ("created_at", "at", "bigint"),
    ],
)
_NEW_AUDIENCE = bulk(
    "change_audience", [("audience", "audience", "text"), ("seq", "seq", "bigint")]
)
_BLOB_EXISTS = sql("SELECT 1 FROM blobs WHERE sha256 = :sha256")
_LINKS_OF = sql("SELECT sr_id FROM links WHERE src_rtype = :rtype AND src_id = :rid")
_DROP_LINKS = sql("DELETE FROM links WHERE src_rtype = :rtype AND src_id = :rid")
_DROP_IDENTIFIERS = sql("DELETE FROM identifiers WHERE rtype = :rtype AND id = :rid")
_DROP_ATTACHMENTS = sql("DELETE FROM record_attachments WHERE rtype = :rtype AND id = :rid")
_NEW_LINK = bulk(
    "links", [("src_rtype", "rtype", "text"), ("src_id", "rid", "text"), ("sr_id", "sr_id", "text")]
)
_NEW_IDENTIFIER = bulk(
    "identifiers",
    [
        ("rtype", "rtype", "text"),
        ("id", "rid", "text"),
        ("system", "system", "text"),
        ("value", "value", "text"),
    ],
)
_NEW_ATTACHMENT = bulk(
    "record_attachments",
    [("rtype", "rtype", "text"), ("id", "rid", "text"), ("sha256", "sha256", "text")],
)
_NEW_RECORD = bulk(
    "records",
    [
        ("rtype", "rtype", "text"),
        ("id", "rid", "text"),
        ("version", "version", "bigint"),
        ("deleted", "deleted", "integer"),
        ("resource", "resource", "text"),
        ("owner_clinic", "owner", "text"),
        ("patient_id", "patient_id", "text"),
        ("last_seq", "seq", "bigint"),
    ],
)
_UPDATE_RECORD = sql(
    "UPDATE records SET version = :version, deleted = :deleted, resource = :resource, "
    "patient_id = :patient_id, last_seq = :seq WHERE rtype = :rtype AND id = :rid"
)
# Numbering a concurrent push (PostgreSQL only), in ONE statement run right after the
# numbering lock (sent together with it and with the push's last inserts: one round trip):
# ``m`` maps each provisional number to head + 1…; the change and audience rows still waiting
# are inserted with their final numbers, those inserted earlier (a consult's grants, a cycle's
# savepoint read them) are renumbered; so are new records (else their last_seq is renumbered),
# then the stored results.
_NUMBER_HEAD = """WITH top AS (SELECT GREATEST(COALESCE(MAX(seq), 0), 0) AS t FROM changes),
m AS (SELECT u.o, top.t + u.k AS n FROM top,
      unnest(%(old)b::bigint[]) WITH ORDINALITY AS u(o, k)),
c AS (INSERT INTO changes (seq, rtype, record_id, version, deleted, resource, change_id,
      reemit, created_at)
      SELECT m.n, x.rtype, x.record_id, x.version, x.deleted, x.resource, x.change_id, x.reemit,
      x.created_at
      FROM unnest(%(c_seq)b::bigint[], %(c_rtype)b::text[], %(c_rid)b::text[],
      %(c_version)b::bigint[], %(c_deleted)b::integer[], %(c_resource)b::text[],
      %(c_change_id)b::text[], %(c_reemit)b::integer[], %(c_at)b::bigint[])
      AS x(seq, rtype, record_id, version, deleted, resource, change_id, reemit, created_at)
      JOIN m ON m.o = x.seq),
a AS (INSERT INTO change_audience (audience, seq)
      SELECT x.audience, m.n FROM unnest(%(a_audience)b::text[], %(a_seq)b::bigint[])
      AS x(audience, seq) JOIN m ON m.o = x.seq),
nr AS (INSERT INTO records (rtype, id, version, deleted, resource, owner_clinic, patient_id,
      last_seq)
      SELECT x.rtype, x.id, x.version, x.deleted, x.resource, x.owner, x.patient_id, m.n
      FROM unnest(%(n_rtype)b::text[], %(n_id)b::text[], %(n_version)b::bigint[],
      %(n_deleted)b::integer[], %(n_resource)b::text[], %(n_owner)b::text[],
      %(n_patient_id)b::text[], %(n_seq)b::bigint[])
      AS x(rtype, id, version, deleted, resource, owner, patient_id, seq)
      JOIN m ON m.o = x.seq),
r AS (UPDATE records SET last_seq = m.n
      FROM unnest(%(r_rtype)b::text[], %(r_id)b::text[], %(r_old)b::bigint[]) AS z(t, i, o)
      JOIN m ON m.o = z.o
      WHERE records.rtype = z.t AND records.id = z.i AND records.last_seq = z.o),
p AS (INSERT INTO applied_changes (change_id, scope, result, created_at)
      SELECT y.change_id, y.scope, y.head || m.n::text || y.tail, y.at
      FROM unnest(%(p_change_id)b::text[], %(p_scope)b::text[], %(p_head)b::text[],
      %(p_tail)b::text[], %(p_at)b::bigint[], %(p_old)b::bigint[])
      AS y(change_id, scope, head, tail, at, o) JOIN m ON m.o = y.o)"""
_NUMBER_FLUSHED = """,
f AS (SELECT m.o, m.n FROM m WHERE m.o = ANY(%(flushed)b::bigint[])),
fc AS (UPDATE changes SET seq = f.n FROM f WHERE changes.seq = f.o),
fa AS (UPDATE change_audience SET seq = f.n FROM f WHERE change_audience.seq = f.o)"""
_NUMBER_TAIL = "\nSELECT t FROM top"
_SEQ_MARK = "@seq@"  # where a stored result's final seq goes (a change_id is a UUID)
_PROVISIONAL_BITS = 20  # provisional numbers of one transaction: -(pid << 20) - 1 … - 2**20
_APPLIED = sql("SELECT scope, result FROM applied_changes WHERE change_id = :change_id")
_APPLIED_MANY = sql("SELECT change_id, scope, result FROM applied_changes WHERE change_id IN (")
_CLOSE = sql(")")
_KNOWN = "applied"  # Conn.state key: change_id -> stored (scope, result) or None, read ahead
_NEW_APPLIED = bulk(
    "applied_changes",
    [
        ("change_id", "change_id", "text"),
        ("scope", "scope", "text"),
        ("result", "result", "text"),
        ("created_at", "at", "bigint"),
    ],
)
_GRANTS_MANY = sql(
    "SELECT target_rtype, target_id, clinic_id, audience FROM grants WHERE target_id IN ("
)
_GRANTS = "grants"  # Conn.state key: (rtype, id) -> {(clinic, audience)} of the batch, read ahead
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
    (held until commit, so numbers commit in order), then store and answer the results.

    The push's last inserts, the lock and the numbering statement go to PostgreSQL together
    (one round trip), so the lock is held for the server's work and the commit only."""
    n = conn.state.get("numbering")
    if not isinstance(n, _Numbering) or not n.concurrent or not n.provisional:
        return
    old = [seq for seq, _, _ in n.provisional]
    changes = conn.take_later(_NEW_CHANGE)
    audience = conn.take_later(_NEW_AUDIENCE)
    created = conn.take_later(_NEW_RECORD)  # every one carries a provisional number
    inserted = {(str(row["rtype"]), str(row["rid"])) for row in created}
    renumbered = [(o, t, i) for o, t, i in n.provisional if (t, i) not in inserted]
    waiting = {int(row["seq"]) for row in changes}
    flushed = [o for o in old if o not in waiting]
    at = int(time.time())
    stored: list[tuple[str, str, str, str, int]] = []  # change_id, scope, head, tail, old seq
    for change_id, (scope, version, seq, digest) in n.staged.items():
        shape = ChangeResult(change_id, "applied", version=version, seq=1).to_json()
        shape["seq"] = _SEQ_MARK
        text = json.dumps({**shape, "content_sha256": digest})
        head_text, mark, tail = text.partition(json.dumps(_SEQ_MARK))
        assert mark, "the stored result has its seq"
        stored.append((change_id, scope, head_text, tail, seq))
    params: dict[str, Any] = {
        "old": old,
        **dict(zip(_CHANGE_ARRAYS, _NEW_CHANGE.arrays(changes), strict=True)),
        "a_audience": [row["audience"] for row in audience],
        "a_seq": [row["seq"] for row in audience],
        **dict(zip(_RECORD_ARRAYS, _NEW_RECORD.arrays(created), strict=True)),
        "r_rtype": [rtype for _, rtype, _ in renumbered],
        "r_id": [rid for _, _, rid in renumbered],
        "r_old": [o for o, _, _ in renumbered],
        "p_change_id": [s[0] for s in stored],
        "p_scope": [s[1] for s in stored],
        "p_head": [s[2] for s in stored],
        "p_tail": [s[3] for s in stored],
        "p_at": [at] * len(stored),
        "p_old": [s[4] for s in stored],
    }
    text = _NUMBER_HEAD
    if flushed:
        text += _NUMBER_FLUSHED
        params["flushed"] = flushed
    rows = conn.assign_and_run(text + _NUMBER_TAIL, params)
    top = int(rows[0][0])
    final = {o: top + i + 1 for i, o in enumerate(old)}
    for change_id, (_scope, version, seq, _digest) in n.staged.items():
        results[change_id] = ChangeResult(change_id, "applied", version=version, seq=final[seq])
    n.provisional.clear()
    n.staged.clear()


_RECORD_ARRAYS = (
    "n_rtype",
    "n_id",
    "n_version",
    "n_deleted",
    "n_resource",
    "n_owner",
    "n_patient_id",
    "n_seq",
)
_CHANGE_ARRAYS = (
    "c_seq",
    "c_rtype",
    "c_rid",
    "c_version",
    "c_deleted",
    "c_resource",
    "c_change_id",
    "c_reemit",
    "c_at",
)


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
    conn.insert_later(
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
    conn.insert_later(_NEW_AUDIENCE, [{"audience": a, "seq": seq} for a in sorted(audiences)])
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
    conn: Conn,
    rtype: str,
    rid: str,
    resource: dict[str, Any] | None,
    fresh: bool = False,
    digests: frozenset[str] | set[str] | None = None,
) -> tuple[list[str], list[str]]:
    """Rewrite the search/authorization side tables of one record (``fresh``: a record just
    created, which has none yet; ``digests``: its attachment digests when already known);
    returns (old consult links, new consult links)."""
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
        conn.insert_later(_NEW_LINK, [{**key, "sr_id": sr} for sr in new_links])
        conn.insert_later(
            _NEW_IDENTIFIER,
            [{**key, "system": s, "value": v} for s, v in sorted(identifiers(resource))],
        )
        if digests is None:
            digests = attachment_digests(resource)
        conn.insert_later(_NEW_ATTACHMENT, [{**key, "sha256": d} for d in sorted(digests)])
    return old_links, new_links


def _apply(
    conn: Conn,
    ch: Change,
    owner: str,
    current: RecordRow | None,
    digests: frozenset[str] | None = None,
    canonical: str | None = None,
) -> tuple[int, int]:
    """Write the new version, its side tables, grants and change rows; (version, seq).
    ``digests`` and ``canonical``: the resource's attachment digests and stored text, when
    validation already found them."""
    rtype, rid = ch.rtype, ch.record_id
    version = 1 if current is None else current.version + 1
    deleted = ch.op == "delete"
    resource = None if deleted else ch.resource
    text = None
    if resource is not None:
        text = canonical if canonical is not None else canonical_json(resource)
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
    if current is None:
        conn.insert_later(_NEW_RECORD, [{**values, "owner": owner}])
    else:
        conn.execute(_UPDATE_RECORD, values)
    # What load() would read back now (a later change of the batch needs no query for it).
    remember(
        conn,
        RecordRow(
            rtype,
            rid,
            version,
            deleted,
            resource,
            owner if current is None else current.owner_clinic,
            pid,
            seq,
        ),
    )
    old_links, new_links = _index(
        conn, rtype, rid, resource, fresh=current is None, digests=digests
    )
    me: Ref = (rtype, rid)
    gained: dict[Ref, set[str]] = {}
    to_refresh = list(dict.fromkeys([*old_links, *new_links]))
    if rtype == "ServiceRequest":
        to_refresh.insert(0, rid)
    if to_refresh:  # consult grants are read and written: from here on, read them again
        conn.flush()
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
        found = item.attachments
        digests = set(ch.attachments) | (
            found if found is not None else attachment_digests(ch.resource)
        )
        if digests and not _attachments_ready(conn, p, digests):
            return _rejected(
                ch.change_id,
                "attachment_missing",
                "An attachment is missing: upload it, then push again.",
            )
    version, seq = _apply(conn, ch, owner, current, item.attachments, item.text)
    if seq < 0:  # provisional (a concurrent push): numbered and stored by _number at the end
        _numbering(conn).staged[ch.change_id] = (scope, version, seq, item.digest)
        return ChangeResult(ch.change_id, "applied", version=version)
    result = ChangeResult(ch.change_id, "applied", version=version, seq=seq)
    stored_text = json.dumps({**result.to_json(), "content_sha256": item.digest})
    conn.insert_later(
        _NEW_APPLIED,
        [
            {
                "change_id": ch.change_id,
                "scope": scope,
                "result": stored_text,
                "at": int(time.time()),
            }
        ],
    )
    known[ch.change_id] = (scope, stored_text)
    return result


def push(conn: Conn, p: Principal, items: Sequence[Prepared]) -> PushResponse:
    """Apply a batch (inside the caller's write transaction) of changes prepared beforehand
    (validated and canonicalised outside the lock: central.validation.prepare)."""
    authz.require_clinical(p)
    scope = authz.scope(p)
    # Read first: any query inserts the rows waiting (Conn.insert_later), and those the
    # numbering takes last are best inserted by it, with their final numbers.
    ep = epoch(conn)
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
    conn.state.pop(_GRANTS, None)
    _number(conn, results)
    return PushResponse(ep, tuple(results[item.change_id] for item in items))


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
        conn.flush()
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
        conn.flush()
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


_PULL_CHUNK = 1000  # rows read at a time while a page fills (its bytes are counted as it does)


def _page(conn: Conn, p: Principal, req: PullRequest) -> _Page:
    """Up to ``req.limit`` changes after ``req.since``, ending early once their resources hold
    :data:`MAX_PULL_BYTES` of JSON (at least one change): read a chunk at a time, so a page of
    large records never holds more than a chunk beyond that in memory."""
    authz.require_clinical(p)
    mine = authz.audiences(p)
    top = head(conn)
    auds, params = in_list("aud", mine)
    rows: list[Row] = []
    size = 0
    since = req.since
    more = False
    while True:
        want = min(req.limit - len(rows), _PULL_CHUNK) + 1  # one more: is there more?
        chunk = conn.all(_PULL_HEAD + auds + _PULL_TAIL, {**params, "since": since, "limit": want})
        for r in chunk:
            if len(rows) >= req.limit or (rows and size >= MAX_PULL_BYTES):
                more = True
                break
            rows.append(r)
            size += len(r[5]) if r[5] is not None else 0
        if more or len(chunk) < want:
            break
        since = int(rows[-1][0])
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


def pull_text(
    conn: Conn, p: Principal, req: PullRequest, timings: dict[str, float] | None = None
) -> tuple[str, int]:
    """:func:`pull`'s answer as its JSON text (the same bytes ``json.dumps`` of
    ``pull(...).to_json()`` gives) and the number of changes in it. The stored resources are
    already compact ASCII JSON (``canonical_json``): they are spliced in as they are, never
    parsed and printed again (most of a large page's cost). ``timings`` gets the milliseconds
    of the reading (``db``) and of the writing (``json``), for the Server-Timing header."""
    t0 = time.perf_counter()
    page = _page(conn, p, req)
    t1 = time.perf_counter()
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
    if timings is not None:
        timings["db"] = (t1 - t0) * 1000
        timings["json"] = (time.perf_counter() - t1) * 1000
    return text, len(parts)
