"""A FHIR R4 read API for hospital systems and tools: read, search, history.

Same authorization as sync (a clinician or specialist account, or a clinic device); anything the
caller may not read is answered 404 exactly like a record that does not exist. Errors are
OperationOutcome resources; bodies are ``application/fhir+json``.

* ``GET /fhir/{type}/{id}`` — the current version (410 if deleted).
* ``GET /fhir/{type}?identifier=[system|]value&patient=ID&subject=Patient/ID&_count=&_offset=``
  — a searchset Bundle of visible records.
* ``GET /fhir/{type}/{id}/_history`` — a history Bundle, newest first, from the change table.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from central import __version__, authz
from central.accounts import Principal
from central.db import BYTEWISE, Conn, Sql, sql, sql_each
from central.errors import ApiError, bad_request
from central.records import RecordRow
from central.records import select as select_records
from central.references import RefProblem, check_id, is_valid_id, parse_reference
from central.validation import storable_text
from central.web import authenticate, db, fhir_base, fhir_response
from clinic_app.sync.protocol import SYNCED_TYPES

routes = web.RouteTableDef()
SEARCH_PARAMS = {"identifier", "patient", "subject", "_count", "_offset"}
NOT_FOUND = "No such resource."


def _gone_or_missing(status: int, message: str) -> ApiError:
    return ApiError(status, "not_found" if status == 404 else "gone", message)


def _type(request: web.Request) -> str:
    rtype = request.match_info["rtype"]
    if rtype not in SYNCED_TYPES:
        raise ApiError(404, "not_supported", "This server does not hold that resource type.")
    return rtype


def _with_meta(resource: dict[str, Any], version: int) -> dict[str, Any]:
    out = dict(resource)
    meta = dict(out.get("meta") or {})
    meta["versionId"] = str(version)
    out["meta"] = meta
    return out


async def _caller(request: web.Request) -> Principal:
    p = await authenticate(request)
    authz.require_clinical(p)
    return p


@routes.get("/fhir/metadata")
async def metadata(request: web.Request) -> web.Response:
    resources = [
        {
            "type": t,
            "interaction": [
                {"code": "read"},
                {"code": "search-type"},
                {"code": "history-instance"},
            ],
            "searchParam": [
                {"name": "identifier", "type": "token"},
                {"name": "patient", "type": "reference"},
                {"name": "subject", "type": "reference"},
            ],
        }
        for t in sorted(SYNCED_TYPES)
    ]
    return fhir_response(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": date.today().isoformat(),
            "kind": "instance",
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "software": {"name": "clinic-central", "version": __version__},
            "rest": [
                {
                    "mode": "server",
                    "security": {"description": "Bearer token"},
                    "resource": resources,
                }
            ],
        }
    )


@routes.get("/fhir/{rtype}/{rid}")
async def read(request: web.Request) -> web.Response:
    p = await _caller(request)
    rtype, rid = _type(request), request.match_info["rid"]
    if not is_valid_id(rid):
        raise _gone_or_missing(404, NOT_FOUND)
    row = await db(request).read(lambda conn: authz.readable(conn, p, rtype, rid))
    if row is None:
        raise _gone_or_missing(404, NOT_FOUND)
    if row.deleted or row.resource is None:
        raise _gone_or_missing(410, "This resource was deleted.")
    return fhir_response(_with_meta(row.resource, row.version))


_HISTORY = sql(
    "SELECT version, deleted, resource, created_at FROM changes WHERE rtype = :rtype "
    "AND record_id = :rid AND reemit = 0 ORDER BY seq DESC LIMIT 1000"
)


@routes.get("/fhir/{rtype}/{rid}/_history")
async def history(request: web.Request) -> web.Response:
    p = await _caller(request)
    rtype, rid = _type(request), request.match_info["rid"]
    if not is_valid_id(rid):
        raise _gone_or_missing(404, NOT_FOUND)

    def work(conn: Conn) -> list[tuple[Any, ...]] | None:
        if authz.readable(conn, p, rtype, rid) is None:
            return None
        return conn.all(_HISTORY, {"rtype": rtype, "rid": rid})

    rows = await db(request).read(work)
    if rows is None:
        raise _gone_or_missing(404, NOT_FOUND)
    entries = []
    for version, deleted, text, _created in rows:
        entry: dict[str, Any] = {
            "fullUrl": f"{rtype}/{rid}/_history/{version}",
            "request": {"method": "DELETE" if deleted else "PUT", "url": f"{rtype}/{rid}"},
            "response": {"status": "204" if deleted else "200", "etag": f'W/"{version}"'},
        }
        if not deleted and text is not None:
            entry["resource"] = _with_meta(json.loads(text), int(version))
        entries.append(entry)
    return fhir_response(
        {"resourceType": "Bundle", "type": "history", "total": len(entries), "entry": entries}
    )


_OF_TYPE = sql("r.rtype = :rtype AND r.deleted = 0")
_BY_IDENTIFIER = sql(
    "EXISTS (SELECT 1 FROM identifiers i WHERE i.rtype = r.rtype "
    "AND i.id = r.id AND i.value = :identifier)"
)
_BY_SYSTEM_IDENTIFIER = sql(
    "EXISTS (SELECT 1 FROM identifiers i WHERE i.rtype = r.rtype "
    "AND i.id = r.id AND i.system = :system AND i.value = :identifier)"
)
_PATIENT_ID = sql("r.id = :patient")
_OF_PATIENT = sql("r.patient_id = :patient")
# Ids in code point order on both databases (whatever collation PostgreSQL was set up with).
_PAGE = sql_each(
    "ORDER BY r.id LIMIT :limit OFFSET :offset",
    f"ORDER BY r.id {BYTEWISE} LIMIT :limit OFFSET :offset",
)
_NONE = sql("1 = 0")


def _search_clause(request: web.Request, rtype: str) -> tuple[list[Sql], dict[str, Any]]:
    where: list[Sql] = [_OF_TYPE]
    params: dict[str, Any] = {"rtype": rtype}
    for key in request.query:
        if key not in SEARCH_PARAMS:
            raise bad_request(
                "Supported search parameters: identifier, patient, subject, _count, _offset."
            )
        if len(request.query.getall(key)) > 1:
            raise bad_request("Give each search parameter once.")
    for key in ("identifier", "patient", "subject"):
        value = request.query.get(key)
        if value is None:
            continue
        if not value or len(value) > 512 or not storable_text(value):
            raise bad_request("A search value is empty, too long or not text.")
        if key == "identifier":
            system, bar, code = value.partition("|")
            if not bar:
                where.append(_BY_IDENTIFIER)
                params["identifier"] = value
            else:
                where.append(_BY_SYSTEM_IDENTIFIER)
                params.update(system=system, identifier=code)
        else:
            try:
                # The same parser as pushed references: Patient/ID, ID, or this server's URL.
                if key == "patient" and "/" not in value:
                    pid = check_id(value, "patient id")
                else:
                    ptype, pid = parse_reference(value, fhir_base(request))
                    if ptype != "Patient":
                        raise RefProblem("reference_type_mismatch", "Not a Patient.")
            except RefProblem:
                raise bad_request("A patient reference is Patient/ID or ID.") from None
            # patient and subject name the same thing: given both, both must hold.
            where.append(_PATIENT_ID if rtype == "Patient" else _OF_PATIENT)
            if params.setdefault("patient", pid) != pid:
                where.append(_NONE)
    return where, params


def _count(request: web.Request, key: str, default: int, high: int) -> int:
    text = request.query.get(key)
    if text is None:
        return default
    if not re.fullmatch(r"\d{1,7}", text) or int(text) > high:
        raise bad_request(f"{key} must be an integer from 0 to {high}.")
    return int(text)


@routes.get("/fhir/{rtype}")
async def search(request: web.Request) -> web.Response:
    p = await _caller(request)
    rtype = _type(request)
    where, params = _search_clause(request, rtype)
    count = _count(request, "_count", 100, 1000)
    offset = _count(request, "_offset", 0, 1_000_000)
    visible, vparams = authz.visible_filter(p)
    where.append(visible)
    params.update(vparams, limit=count + 1, offset=offset)

    def work(conn: Conn) -> list[RecordRow]:
        return select_records(conn, Sql.join(" AND ", where), params, _PAGE)

    rows = await db(request).read(work)
    more = len(rows) > count
    rows = rows[:count]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {
                "fullUrl": f"{r.rtype}/{r.id}",
                "resource": _with_meta(r.resource, r.version),
                "search": {"mode": "match"},
            }
            for r in rows
            if r.resource is not None
        ],
    }
    base = {k: v for k, v in request.query.items() if k != "_offset"}
    bundle["link"] = [{"relation": "self", "url": str(request.rel_url)}]
    if more:
        nxt = urlencode({**base, "_offset": str(offset + count)})
        bundle["link"].append({"relation": "next", "url": f"{request.path}?{nxt}"})
    return fhir_response(bundle)
