"""Authorization: every rule about who may read or write what, in one module.

Principals and their audiences:

* a clinic **device**, and a **clinician** user of a clinic: audience ``clinic:<id>``; they read
  and write the records their clinic owns. A record's owner clinic is fixed at creation (the
  pushing device's clinic, or the consult's clinic for a specialist's record).
* a **specialist**: audiences ``specialty:<code>`` for each of their specialties; they read
  what a consult grants (see :mod:`central.consults`) and write answers to consults (and the
  record of a video call on one: an Encounter of class VR based on the consult).
* an **admin**: no clinical audience at all: 403 on sync, FHIR and attachment routes; the
  administrator keeps the platform's own records (the formulary: central.formulary) from the
  command line.
* every clinic device, clinician and specialist also has the audience ``platform``: they read
  the platform's records (owner :data:`PLATFORM_OWNER`, the types of
  ``clinic_app.sync.protocol.PLATFORM_TYPES``), which no push may change.

A record is readable when its audiences (``clinic:<owner>`` plus the specialty grants made by
consults of the same clinic) meet the caller's. Whatever is not readable is answered exactly as
if it did not exist.
"""

from __future__ import annotations

from typing import Any

from central.accounts import Principal
from central.db import Conn, Sql, in_list, sql
from central.errors import ApiError, forbidden
from central.records import (
    RecordRow,
    consult_links,
    consult_specialty,
    is_referral,
    load,
    patient_of,
    ref_list,
    references,
)
from clinic_app.sync.protocol import PLATFORM_TYPES

# What a specialist may write, linked to a consult they can see (basedOn).
SPECIALIST_WRITABLE = frozenset(
    {
        "DiagnosticReport",
        "ClinicalImpression",
        "MedicationRequest",
        "ServiceRequest",
        "Appointment",
        "Communication",
        "Task",
        "Encounter",  # a video call's record only (class VR): see _check_specialist_encounter
    }
)
VIRTUAL_ENCOUNTER = "VR"  # v3 ActCode: virtual
NOT_PERMITTED = "Not permitted: there is no such record of yours to change."
PLATFORM_OWNER = "*platform"  # owner_clinic of the platform's records (no clinic id has a '*')
PLATFORM_AUDIENCE = "platform"
PLATFORM_RECORD = (
    "The formulary (Medication) belongs to the platform: only its administrator changes it "
    "(clinic-central formulary)."
)


class Denied(Exception):
    """A change the caller may not make; ``str()`` is the reason sent back (holds no values),
    ``code`` a stable name for it and ``http_status`` the HTTP status it stands for."""

    def __init__(self, message: str, code: str = "not_permitted", http_status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status


REFERENCE_NOT_FOUND = (
    "The record refers to a record that does not exist on the central platform or is not "
    "yours (send the referenced record first)."
)


def _not_found_ref() -> Denied:
    # One answer whether the target is missing, deleted or another clinic's: nothing leaks.
    return Denied(REFERENCE_NOT_FOUND, "reference_not_found", 422)


# -- principals ------------------------------------------------------------------------------


def audiences(p: Principal) -> list[str]:
    if p.role in ("device", "clinician") and p.clinic_id:
        return [f"clinic:{p.clinic_id}", PLATFORM_AUDIENCE]
    if p.role == "specialist":
        return [f"specialty:{s}" for s in p.specialties] + [PLATFORM_AUDIENCE]
    return []


def scope(p: Principal) -> str:
    """Whose idempotency keys and uploads these are: the clinic, or the specialist."""
    if p.role in ("device", "clinician") and p.clinic_id:
        return f"clinic:{p.clinic_id}"
    return f"user:{p.id}"


def require_clinical(p: Principal) -> None:
    """Sync, FHIR and attachment routes: clinic devices, clinicians and specialists only."""
    if p.role == "admin":
        raise forbidden("Administrator accounts do not read or write clinical records.")
    if not audiences(p):
        raise forbidden()


def require_admin(p: Principal) -> None:
    if p.role != "admin":
        raise ApiError(403, "forbidden", "Only an administrator may do that.")


# -- reading ---------------------------------------------------------------------------------


_RECORD_AUDIENCES = sql(
    "SELECT DISTINCT audience FROM grants WHERE target_rtype = :rtype AND target_id = :rid "
    "AND clinic_id = :clinic"
)
_GRANTED_TO = sql(
    "SELECT 1 FROM grants WHERE target_rtype = :rtype AND target_id = :rid "
    "AND clinic_id = :clinic AND audience IN ("
)
_OWN_CLINIC = sql("(r.owner_clinic = :own_clinic OR r.owner_clinic = :platform_owner)")
_PLATFORM_OR = sql("(r.owner_clinic = :platform_owner OR ")
_NOTHING = sql("1 = 0")
_GRANTED_RECORD = sql(
    "EXISTS (SELECT 1 FROM grants g WHERE g.target_rtype = r.rtype AND g.target_id = r.id "
    "AND g.clinic_id = r.owner_clinic AND g.audience IN ("
)
_CLOSE = sql("))")
_CLOSE_ONE = sql(")")
_UPLOADED_BY = sql("SELECT 1 FROM blob_owners WHERE sha256 = :sha256 AND scope = :scope")
_ATTACHED_TO_VISIBLE = sql(
    "SELECT 1 FROM record_attachments ra JOIN records r ON r.rtype = ra.rtype "
    "AND r.id = ra.id WHERE ra.sha256 = :sha256 AND r.deleted = 0 AND"
)


def record_audiences(conn: Conn, rtype: str, rid: str, owner: str) -> set[str]:
    rows = conn.all(_RECORD_AUDIENCES, {"rtype": rtype, "rid": rid, "clinic": owner})
    return {f"clinic:{owner}"} | {str(r[0]) for r in rows}


def can_read(conn: Conn, p: Principal, row: RecordRow) -> bool:
    mine = audiences(p)
    if not mine:
        return False
    if row.owner_clinic == PLATFORM_OWNER:
        return True
    if p.role in ("device", "clinician"):
        return row.owner_clinic == p.clinic_id
    auds, params = in_list("aud", mine)
    found = conn.scalar(
        _GRANTED_TO + auds + _CLOSE_ONE,
        {**params, "rtype": row.rtype, "rid": row.id, "clinic": row.owner_clinic},
    )
    return found is not None


def readable(conn: Conn, p: Principal, rtype: str, rid: str) -> RecordRow | None:
    """The record if the caller may read it; None whether it is missing or hidden."""
    row = load(conn, rtype, rid)
    if row is None or not can_read(conn, p, row):
        return None
    return row


def visible_filter(p: Principal) -> tuple[Sql, dict[str, Any]]:
    """A WHERE fragment over ``records r`` selecting what the caller may read, and its
    parameters (named ``own_clinic``, ``platform_owner`` and ``aud0``, ``aud1``…): the
    platform's own records (the formulary) are visible to every clinical caller."""
    mine = audiences(p)
    if not mine:
        return _NOTHING, {}
    if p.role in ("device", "clinician"):
        return _OWN_CLINIC, {"own_clinic": p.clinic_id, "platform_owner": PLATFORM_OWNER}
    auds, params = in_list("aud", mine)
    where = _PLATFORM_OR + _GRANTED_RECORD + auds + _CLOSE + _CLOSE_ONE
    return where, {**params, "platform_owner": PLATFORM_OWNER}


def can_download(conn: Conn, p: Principal, sha256: str) -> bool:
    """An attachment is readable by whoever uploaded it (their scope), or sees a live record
    that points at it."""
    if conn.scalar(_UPLOADED_BY, {"sha256": sha256, "scope": scope(p)}) is not None:
        return True
    where, params = visible_filter(p)
    found = conn.scalar(Sql.join(" ", [_ATTACHED_TO_VISIBLE, where]), {**params, "sha256": sha256})
    return found is not None


# -- writing ---------------------------------------------------------------------------------


class Pending(Exception):
    """A reference to a record that a later change of the same batch creates: try again once
    the rest of the batch is applied (the order inside a batch does not matter)."""


def _check_references(
    conn: Conn,
    p: Principal,
    rtype: str,
    rid: str,
    refs: set[tuple[str, str]],
    pending: frozenset[tuple[str, str]],
    companions: frozenset[tuple[str, str]] = frozenset(),
) -> None:
    """A record may point only at records that exist and that the caller can read (refs are
    canonical, from central.references): no Observation attached to another clinic's Patient
    whatever the spelling, no consult citing hidden records, no dangling subject."""
    for t_rtype, t_id in sorted(refs):
        if (t_rtype, t_id) == (rtype, rid):
            continue
        row = load(conn, t_rtype, t_id)
        if row is None and (t_rtype, t_id) in pending:
            raise Pending()
        if row is None and (t_rtype, t_id) in companions:
            continue  # created by this batch together with this record (a cycle)
        if row is None or row.deleted or not can_read(conn, p, row):
            raise _not_found_ref()


def _specialist_consult(conn: Conn, p: Principal, resource: dict[str, Any]) -> RecordRow:
    """The consult (visible to this specialist) that a specialist's record answers."""
    for sr_id in consult_links(resource):
        sr = readable(conn, p, "ServiceRequest", sr_id)
        if sr is not None and not sr.deleted and consult_specialty(sr.resource):
            return sr
    raise Denied("A specialist's record must be based on a consult request they can see.")


def authorize_write(
    conn: Conn,
    p: Principal,
    rtype: str,
    rid: str,
    resource: dict[str, Any] | None,
    current: RecordRow | None,
    refs: set[tuple[str, str]] | None = None,
    pending: frozenset[tuple[str, str]] = frozenset(),
    companions: frozenset[tuple[str, str]] = frozenset(),
) -> str:
    """Check a put (``resource``, canonical, referring to ``refs``) or delete (None) of
    (rtype, rid); returns the owner clinic the record has (or will have). Raises
    :class:`Denied`, or :class:`Pending` for a reference to a record a later change of the
    batch creates (``pending``). References to ``companions`` (records this batch creates in
    the same cycle of references, e.g. a CarePlan and its Task) are taken as existing."""
    if rtype in PLATFORM_TYPES or (current is not None and current.owner_clinic == PLATFORM_OWNER):
        raise Denied(PLATFORM_RECORD, "platform_record", 403)
    if refs is None:
        refs = references(resource) if resource is not None else set()
    if p.role in ("device", "clinician") and p.clinic_id:
        if current is not None and current.owner_clinic != p.clinic_id:
            raise Denied(NOT_PERMITTED)
        if resource is not None:
            _check_references(conn, p, rtype, rid, refs, pending, companions)
        return p.clinic_id
    if p.role != "specialist":
        raise Denied("This account may not change clinical records.")
    if current is not None and not can_read(conn, p, current):
        raise Denied(NOT_PERMITTED)
    mine = set(p.specialties)
    # An update of the consult request itself (accept, schedule, answer, forward).
    if (
        rtype == "ServiceRequest"
        and current is not None
        and not current.deleted
        and consult_specialty(current.resource) in mine
        and not consult_links(current.resource or {})
    ):
        if resource is None:
            raise Denied("A specialist cannot delete a consult request; cancel it instead.")
        if patient_of(resource) != current.patient_id:
            raise Denied("A consult request keeps its patient.")
        _check_specialist_sources(conn, p, resource, refs, pending, companions)
        return current.owner_clinic
    # An answer to a consult: opinion, prescription, referral, appointment, message, task.
    if rtype not in SPECIALIST_WRITABLE:
        raise Denied("A specialist cannot write this kind of record.")
    target = resource if resource is not None else (current.resource if current else None)
    if target is None:
        raise Denied(NOT_PERMITTED)
    if rtype == "ServiceRequest" and not is_referral(target):
        raise Denied("A specialist's new ServiceRequest must be a referral.")
    if rtype == "Encounter" and not _is_virtual(target):
        raise Denied("A specialist's Encounter can only be the record of a video call.")
    consult = _specialist_consult(conn, p, target)
    if current is not None and current.owner_clinic != consult.owner_clinic:
        raise Denied(NOT_PERMITTED)
    if resource is not None:
        pid = patient_of(resource)
        if pid is not None and pid != consult.patient_id:
            raise Denied("The record must be about the consult's patient.")
        _check_specialist_sources(conn, p, resource, refs, pending, companions)
    return consult.owner_clinic


def _is_virtual(resource: dict[str, Any]) -> bool:
    """An Encounter of class VR (virtual): what media/call_records.py writes for a call."""
    cls = resource.get("class")
    return isinstance(cls, dict) and cls.get("code") == VIRTUAL_ENCOUNTER


def _check_specialist_sources(
    conn: Conn,
    p: Principal,
    resource: dict[str, Any],
    refs: set[tuple[str, str]],
    pending: frozenset[tuple[str, str]],
    companions: frozenset[tuple[str, str]] = frozenset(),
) -> None:
    """Every reference a specialist writes must be to a record they can already read — so a
    referral or a consult update can never grant access to records the specialist cannot
    see."""
    for rtype, rid in sorted(refs | set(ref_list(resource, "supportingInfo"))):
        if rtype == resource.get("resourceType") and rid == resource.get("id"):
            continue
        row = readable(conn, p, rtype, rid)
        if row is None and load(conn, rtype, rid) is None:
            if (rtype, rid) in pending:
                raise Pending()
            if (rtype, rid) in companions:
                continue  # created by this batch together with this record (a cycle)
        if row is None or row.deleted:
            raise _not_found_ref()
