"""Stored records: loading the current version, and what the server reads out of a resource
(its Patient, its references, its identifiers, the attachments it points at)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from central.db import Conn, Params, Sql, in_list, sql
from clinic_app.sync.protocol import SYNCED_TYPES

ATTACHMENT_PREFIX = "attachment:sha256:"
_REF = re.compile(r"^([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\-.]{1,64})$")
_SHA = re.compile(r"^[0-9a-f]{64}$")
CONSULT_CODES = frozenset({"11429006", "3457005"})  # SNOMED consultation, patient referral
REFERRAL_CODE = "3457005"

Ref = tuple[str, str]  # (resource type, id)


@dataclass(frozen=True)
class RecordRow:
    rtype: str
    id: str
    version: int
    deleted: bool
    resource: dict[str, Any] | None
    owner_clinic: str
    patient_id: str | None
    last_seq: int


_COLUMNS = "rtype, id, version, deleted, resource, owner_clinic, patient_id, last_seq"


_LOAD = sql(f"SELECT {_COLUMNS} FROM records WHERE rtype = :rtype AND id = :id")
_SELECT = sql(f"SELECT {_COLUMNS} FROM records r WHERE")
_LOAD_TYPE = sql(f"SELECT {_COLUMNS} FROM records WHERE rtype = :rtype AND id IN (")
_CLOSE = sql(")")
_CACHE = "records"  # Conn.state key: records read ahead for one push transaction
_PREFETCH_CHUNK = 500


def _row(r: tuple[Any, ...]) -> RecordRow:
    return RecordRow(
        rtype=str(r[0]),
        id=str(r[1]),
        version=int(r[2]),
        deleted=bool(r[3]),
        resource=json.loads(r[4]) if r[4] is not None else None,
        owner_clinic=str(r[5]),
        patient_id=str(r[6]) if r[6] is not None else None,
        last_seq=int(r[7]),
    )


def load(conn: Conn, rtype: str, rid: str) -> RecordRow | None:
    cache = conn.state.get(_CACHE)
    if cache is not None and (rtype, rid) in cache:
        row: RecordRow | None = cache[(rtype, rid)]
        return row
    r = conn.one(_LOAD, {"rtype": rtype, "id": rid})
    return _row(r) if r else None


def prefetch(conn: Conn, refs: Iterable[Ref]) -> None:
    """Read these records (or their absence) in a few queries, for :func:`load` to answer
    from for the rest of this transaction; whoever writes a record calls :func:`forget`."""
    cache: dict[Ref, RecordRow | None] = conn.state.setdefault(_CACHE, {})
    by_type: dict[str, list[str]] = {}
    for rtype, rid in dict.fromkeys(refs):
        if (rtype, rid) not in cache:
            by_type.setdefault(rtype, []).append(rid)
    for rtype, ids in sorted(by_type.items()):
        for i in range(0, len(ids), _PREFETCH_CHUNK):
            chunk = ids[i : i + _PREFETCH_CHUNK]
            part, params = in_list("id", chunk)
            found = {
                row.id: row
                for row in map(
                    _row, conn.all(_LOAD_TYPE + part + _CLOSE, {**params, "rtype": rtype})
                )
            }
            for rid in chunk:
                cache[(rtype, rid)] = found.get(rid)


def remember(conn: Conn, row: RecordRow) -> None:
    """A record this transaction just wrote, as :func:`load` would now read it (only while
    records are cached: see :func:`prefetch`)."""
    cache = conn.state.get(_CACHE)
    if cache is not None:
        cache[(row.rtype, row.id)] = row


def forget(conn: Conn, rtype: str | None = None, rid: str | None = None) -> None:
    """A record was written (or, with no arguments, a savepoint rolled back): read it again."""
    cache = conn.state.get(_CACHE)
    if cache is None:
        return
    if rtype is None or rid is None:
        cache.clear()
    else:
        cache.pop((rtype, rid), None)


def select(conn: Conn, where: Sql, params: Params, suffix: Sql | None = None) -> list[RecordRow]:
    """Records ``r`` matching a WHERE clause (built by the caller from fixed SQL)."""
    parts = [_SELECT, where] if suffix is None else [_SELECT, where, suffix]
    rows = conn.all(Sql.join(" ", parts), params)
    return [_row(r) for r in rows]


# -- reading resources -----------------------------------------------------------------------


def parse_ref(value: Any) -> Ref | None:
    """``{"reference": "Type/id"}`` to (Type, id) for a synced type, else None."""
    if not isinstance(value, dict):
        return None
    text = value.get("reference")
    if not isinstance(text, str):
        return None
    m = _REF.match(text)
    if not m or m.group(1) not in SYNCED_TYPES:
        return None
    return m.group(1), m.group(2)


def _walk(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 64:
        return
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, depth + 1)


def references(resource: dict[str, Any]) -> set[Ref]:
    """Every reference to a synced record anywhere in the resource."""
    out: set[Ref] = set()
    for node in _walk(resource):
        ref = parse_ref(node)
        if ref:
            out.add(ref)
    return out


def patient_of(resource: dict[str, Any]) -> str | None:
    """The Patient a record belongs to: its own id for a Patient, else subject/patient/for."""
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) else None
    for key in ("subject", "patient", "for"):
        ref = parse_ref(resource.get(key))
        if ref and ref[0] == "Patient":
            return ref[1]
    participants = resource.get("participant")
    if isinstance(participants, list):
        for part in participants:
            ref = parse_ref(part.get("actor")) if isinstance(part, dict) else None
            if ref and ref[0] == "Patient":
                return ref[1]
    return None


def ref_list(resource: dict[str, Any], key: str) -> list[Ref]:
    value = resource.get(key)
    if not isinstance(value, list):
        return []
    return [r for r in (parse_ref(v) for v in value) if r]


def consult_specialty(resource: dict[str, Any] | None) -> str | None:
    """The specialty a consult or referral ServiceRequest is addressed to, else None (also for
    a draft: specialists see a request only once the clinic sends it).

    A consult is a ServiceRequest with a category coding 11429006 (consultation) or 3457005
    (patient referral); the specialty is ``performerType.coding[0].code``.
    """
    if not resource or resource.get("resourceType") != "ServiceRequest":
        return None
    if resource.get("status") == "draft":
        return None  # a draft synced for safekeeping is addressed to nobody yet
    categories = resource.get("category")
    if not isinstance(categories, list):
        return None
    is_consult = any(
        isinstance(cat, dict)
        and isinstance(cat.get("coding"), list)
        and any(isinstance(c, dict) and c.get("code") in CONSULT_CODES for c in cat["coding"])
        for cat in categories
    )
    if not is_consult:
        return None
    performer = resource.get("performerType")
    coding = performer.get("coding") if isinstance(performer, dict) else None
    if not isinstance(coding, list) or not coding or not isinstance(coding[0], dict):
        return None
    code = coding[0].get("code")
    return code if isinstance(code, str) and 0 < len(code) <= 64 else None


def is_referral(resource: dict[str, Any] | None) -> bool:
    if not resource or resource.get("resourceType") != "ServiceRequest":
        return False
    for cat in resource.get("category") or []:
        if isinstance(cat, dict):
            for c in cat.get("coding") or []:
                if isinstance(c, dict) and c.get("code") == REFERRAL_CODE:
                    return True
    return False


def consult_links(resource: dict[str, Any]) -> list[str]:
    """The ServiceRequests this record answers: ``basedOn`` (and, for a ClinicalImpression,
    which has no ``basedOn`` in R4, the ServiceRequests in its ``supportingInfo``)."""
    refs = ref_list(resource, "basedOn")
    if resource.get("resourceType") == "ClinicalImpression":
        refs += ref_list(resource, "supportingInfo")
    out: list[str] = []
    for rtype, rid in refs:
        if rtype == "ServiceRequest" and rid not in out and rid != resource.get("id"):
            out.append(rid)
    return out


def identifiers(resource: dict[str, Any]) -> set[tuple[str, str]]:
    """(system or "", value) pairs of ``identifier`` (short, storable strings only)."""
    out: set[tuple[str, str]] = set()
    value = resource.get("identifier")
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    for ident in items:
        if not isinstance(ident, dict):
            continue
        system, val = ident.get("system", ""), ident.get("value")
        if (
            isinstance(system, str)
            and isinstance(val, str)
            and len(system) <= 512
            and 0 < len(val) <= 256
        ):
            out.add((system, val))
    return out


def attachment_digests(resource: dict[str, Any]) -> set[str]:
    """SHA-256 digests named by ``attachment:sha256:<hex>`` URLs anywhere in the resource
    (DocumentReference.content.attachment.url, Communication.payload.contentAttachment.url…)."""
    out: set[str] = set()
    for node in _walk(resource):
        url = node.get("url")
        if isinstance(url, str) and url.startswith(ATTACHMENT_PREFIX):
            digest = url[len(ATTACHMENT_PREFIX) :]
            if _SHA.match(digest):
                out.add(digest)
    return out
