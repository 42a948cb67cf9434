"""Consult visibility: the grants a consult ServiceRequest makes to a specialty.

A ServiceRequest whose category is a consult (11429006) or referral (3457005) and whose
``performerType.coding[0].code`` names a specialty grants ``specialty:<code>`` read access to:
the ServiceRequest itself, its subject Patient, every record in its ``supportingInfo``, and
every record whose ``basedOn`` references it. Grants only ever reach records of the consult's
own clinic (a reference to another clinic's record grants nothing).

The ``grants`` table is recomputed for a ServiceRequest whenever it, or a record linked to it,
changes. :func:`refresh` reports which existing records just became visible to a new audience,
so the caller re-emits their current version into the change table for that audience (a
specialist pulling by sequence then receives a Patient created long before the consult).
When an audience loses access (the consult was re-routed or deleted), that audience is taken
off the record's past changes too, so a pull from zero shows only what is visible now.
"""

from __future__ import annotations

from central.db import Conn, sql
from central.records import Ref, consult_specialty, load, patient_of, ref_list

Grant = tuple[str, str, str]  # (target type, target id, audience)

_LINKED = sql("SELECT src_rtype, src_id FROM links WHERE sr_id = :sr_id")
_AUDIENCE_GRANTS = sql(
    "SELECT COUNT(*) FROM grants WHERE target_rtype = :rtype AND target_id = :rid "
    "AND audience = :audience AND clinic_id = :clinic"
)
_GRANTS_OF = sql(
    "SELECT target_rtype, target_id, audience, clinic_id FROM grants WHERE via_sr = :sr_id"
)
_DROP_GRANT = sql(
    "DELETE FROM grants WHERE via_sr = :sr_id AND target_rtype = :rtype AND target_id = :rid "
    "AND audience = :audience"
)
_UNSHARE_PAST = sql(
    "DELETE FROM change_audience WHERE audience = :audience AND seq IN "
    "(SELECT seq FROM changes WHERE rtype = :rtype AND record_id = :rid)"
)
_NEW_GRANT = sql(
    "INSERT INTO grants (via_sr, target_rtype, target_id, audience, clinic_id) "
    "VALUES (:sr_id, :rtype, :rid, :audience, :clinic)"
)


def desired(conn: Conn, sr_id: str) -> tuple[set[Grant], str | None]:
    """The grants the ServiceRequest should make now, and its owner clinic."""
    row = load(conn, "ServiceRequest", sr_id)
    if row is None or row.deleted or row.resource is None:
        return set(), row.owner_clinic if row else None
    specialty = consult_specialty(row.resource)
    if specialty is None:
        return set(), row.owner_clinic
    audience = f"specialty:{specialty}"
    targets: set[Ref] = {("ServiceRequest", sr_id)}
    pid = patient_of(row.resource)
    if pid:
        targets.add(("Patient", pid))
    targets.update(ref_list(row.resource, "supportingInfo"))
    for src_rtype, src_id in conn.all(_LINKED, {"sr_id": sr_id}):
        targets.add((str(src_rtype), str(src_id)))
    return {(t, i, audience) for t, i in targets}, row.owner_clinic


def _has_audience(conn: Conn, rtype: str, rid: str, audience: str, clinic: str) -> int:
    return int(
        conn.scalar(
            _AUDIENCE_GRANTS, {"rtype": rtype, "rid": rid, "audience": audience, "clinic": clinic}
        )
        or 0
    )


def refresh(conn: Conn, sr_id: str, writing: Ref | None) -> dict[Ref, set[str]]:
    """Bring the grants of ``sr_id`` up to date. Returns, per existing live record other than
    ``writing`` (which gets its own change row), the audiences it has just gained."""
    want, clinic = desired(conn, sr_id)
    have = {
        (str(r[0]), str(r[1]), str(r[2])): str(r[3]) for r in conn.all(_GRANTS_OF, {"sr_id": sr_id})
    }
    gained: dict[Ref, set[str]] = {}
    for (rtype, rid, audience), old_clinic in have.items():
        if (rtype, rid, audience) in want and old_clinic == clinic:
            continue
        conn.execute(
            _DROP_GRANT, {"sr_id": sr_id, "rtype": rtype, "rid": rid, "audience": audience}
        )
        target = load(conn, rtype, rid)
        if (
            target is not None
            and target.owner_clinic == old_clinic
            and not _has_audience(conn, rtype, rid, audience, old_clinic)
        ):
            # No other consult shows it to this audience: take it off the past changes.
            conn.execute(_UNSHARE_PAST, {"audience": audience, "rtype": rtype, "rid": rid})
    if clinic is None:
        return gained
    for rtype, rid, audience in want:
        if (rtype, rid, audience) in have and have[(rtype, rid, audience)] == clinic:
            continue
        target = load(conn, rtype, rid)
        newly = (
            target is not None
            and target.owner_clinic == clinic
            and not target.deleted
            and (rtype, rid) != writing
            and not _has_audience(conn, rtype, rid, audience, clinic)
        )
        conn.execute(
            _NEW_GRANT,
            {"sr_id": sr_id, "rtype": rtype, "rid": rid, "audience": audience, "clinic": clinic},
        )
        if newly:
            gained.setdefault((rtype, rid), set()).add(audience)
    return gained
