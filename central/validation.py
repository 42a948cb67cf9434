"""Checks of pushed resources and of free text taken from requests.

Resources are validated against the FHIR R4B models of ``fhir.resources`` (what the
workstation uses, clinic_app.exchange.fhir_io), then held to FHIR's JSON form more strictly
than the models are: every primitive must already have its JSON type (``"active": "yes"`` or
``"valueInteger": "5"`` are coerced by the models, and refused here), no ``null``, ids in
FHIR's grammar, the narrative within FHIR's XHTML subset (central.narrative), every reference
in its canonical form (central.references). The JSON form is confirmed by a walk against
each model's cached field types (central.fhir_shape); only what the walk cannot confirm is
re-serialised and compared with what was sent. A failure is a :class:`Problem` (a stable code and
a sentence naming the field path and error kind only, never the offending value). Text that
could not be stored (a NUL, a lone surrogate) is refused before it reaches a database, with
the same answer on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from central.fhir_shape import plain_form, resource_class
from central.narrative import div_problem
from central.records import ATTACHMENT_PREFIX, attachment_digests
from central.references import ID_GRAMMAR, Base, Ref, RefProblem, canonicalize
from clinic_app.records.bindings import binding_problem
from clinic_app.sync.protocol import MAX_RESOURCE_BYTES, Change, InvalidChange


@dataclass(frozen=True)
class Problem:
    """Why a pushed change is refused: ``code`` is stable, ``message`` holds no value."""

    code: str
    message: str
    http_status: int = 422


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def storable_text(text: str) -> bool:
    """True when ``text`` can go into either database unchanged (UTF-8, no NUL)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean_line(text: str) -> bool:
    """A one-line human label (a name): storable, no control characters."""
    return storable_text(text) and not _CONTROL.search(text) and "\n" not in text


def canonical_json(resource: dict[str, Any]) -> str:
    """The stored form of a resource: compact, ASCII-only (so any text is storable)."""
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _safe(part: object) -> str:
    """A field name from an error location, cut down to printable ASCII."""
    return re.sub(r"[^A-Za-z0-9_\[\]-]", "?", str(part))[:40]


def resource_problem(rtype: str, resource: dict[str, Any]) -> str | None:
    """Why this resource cannot be accepted, or None. The answer holds no values."""
    problem = check_resource(rtype, resource)
    return problem.message if problem else None


def _has_nul(node: Any) -> bool:
    if isinstance(node, str):
        return "\x00" in node
    if isinstance(node, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_has_nul(v) for v in node)
    return False


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _same_json_form(given: Any, dumped: Any, path: tuple[str, ...], depth: int = 0) -> str | None:
    """The path where ``given`` (what was sent) is not already in the JSON form the model
    gives back (a primitive coerced from another JSON type, a null, a dropped key)."""
    if depth > 128:
        return ".".join(path) or "(resource)"
    kind, back = _json_kind(given), _json_kind(dumped)
    numeric = {"integer", "number"}  # the models print some decimals as integers and back
    if kind != back and not (kind in numeric and back in numeric):
        return ".".join(path) or "(resource)"
    if kind == "object":
        for key in given:
            if key not in dumped:  # a null the models drop (the workstation sends some)
                continue
            where = _same_json_form(given[key], dumped[key], (*path, _safe(key)), depth + 1)
            if where:
                return where
    elif kind == "array":
        if len(given) != len(dumped):
            return ".".join(path) or "(resource)"
        for n, (a, b) in enumerate(zip(given, dumped, strict=True)):
            where = _same_json_form(a, b, (*path, f"[{n}]"), depth + 1)
            if where:
                return where
    return None


def _ids_problem(node: Any, depth: int = 0) -> bool:
    """True when an ``id`` anywhere (contained resources, elements) breaks FHIR's grammar, or
    anything lies deeper than 128 levels. A loop over a stack (no recursion, no generators:
    this walks every node of every pushed resource)."""
    stack: list[tuple[Any, int]] = [(node, depth)]
    while stack:
        item, level = stack.pop()
        if level > 128:
            return True
        if isinstance(item, dict):
            rid = item.get("id")
            if rid is not None and (not isinstance(rid, str) or not ID_GRAMMAR.fullmatch(rid)):
                return True
            values: Any = item.values()
        elif isinstance(item, list):
            values = item
        else:
            continue
        if level == 128 and values:
            return True  # a value at level 129
        for value in values:
            if isinstance(value, dict | list):
                stack.append((value, level + 1))
    return False


def _divs(node: Any, depth: int = 0) -> list[Any]:
    """Every narrative div (the resource's and its contained resources')."""
    out: list[Any] = []
    if depth > 4 or not isinstance(node, dict):
        return out
    text = node.get("text")
    if isinstance(text, dict) and "div" in text:
        out.append(text["div"])
    for item in node.get("contained") or []:
        out += _divs(item, depth + 1)
    return out


def check_resource(rtype: str, resource: dict[str, Any]) -> Problem | None:
    """Why this resource cannot be accepted (a :class:`Problem`), or None."""
    invalid = f"The resource is not a valid FHIR R4 {rtype}"
    try:
        text = json.dumps(resource, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        size = len(text.encode("utf-8"))
    except (ValueError, UnicodeEncodeError):
        return Problem(
            "unstorable_text", "The resource holds text or numbers that cannot be stored."
        )
    except RecursionError:
        return Problem("too_deep", "The resource is nested too deeply.")
    if "\\u0000" in text and _has_nul(resource):  # json.dumps escapes NUL as \u0000
        return Problem("unstorable_text", "The resource holds a NUL character.")
    if size > MAX_RESOURCE_BYTES:
        return Problem("too_large", f"The resource is larger than {MAX_RESOURCE_BYTES} bytes.", 413)
    if _ids_problem(resource):
        return Problem(
            "invalid_id",
            "An id in the resource is not a FHIR id (1 to 64 letters, digits, '-' or '.').",
        )
    try:
        model = resource_class(rtype)
    except Exception:  # unknown type name in the models
        return Problem("unknown_type", "The resource type is not known.")
    try:
        parsed = model.model_validate(resource)
        # the walk confirms the common case; only what it cannot confirm is dumped
        plain = plain_form(resource, model)
        dumped = None if plain else parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    except RecursionError:
        return Problem("too_deep", "The resource is nested too deeply.")
    except Exception as exc:  # pydantic.ValidationError, or anything the models raise
        errors = getattr(exc, "errors", None)
        if callable(errors):
            try:
                items = errors(include_input=False, include_url=False)
                where = "; ".join(
                    f"{'.'.join(_safe(part) for part in e.get('loc', ()))}: {e.get('type')}"
                    for e in items[:3]
                )
                return Problem("invalid_resource", f"{invalid} ({where}).")
            except Exception:
                pass
        return Problem("invalid_resource", f"{invalid}.")
    try:
        form_at = None if plain else _same_json_form(resource, dumped, ())
    except RecursionError:
        return Problem("too_deep", "The resource is nested too deeply.")
    if form_at:
        return Problem(
            "invalid_resource",
            f"{invalid} ({form_at}: not in FHIR JSON form — a wrong JSON type, a null or an "
            "empty array).",
        )
    for div in _divs(resource):
        problem = div_problem(div)
        if problem:
            return Problem("narrative_unsafe", problem)
    problem = binding_problem(resource)  # required code bindings the models do not check
    if problem:
        return Problem("invalid_resource", f"{invalid} ({problem}).")
    return None


@dataclass(frozen=True)
class Prepared:
    """A pushed change after every check that needs no database: the change with its
    references in canonical spelling, the records it refers to, the digest of what was sent
    (a ``change_id`` reused for other content is refused) — or the problem that refuses it."""

    change_id: str
    change: Change | None
    refs: frozenset[Ref] = frozenset()
    digest: str | None = None
    problem: Problem | None = None
    # attachment digests named in the resource (records.attachment_digests), None: not known
    attachments: frozenset[str] | None = None
    text: str | None = None  # canonical_json of the (canonicalised) resource, when known


def change_digest(ch: Change) -> str:
    """SHA-256 of a change's content (everything but its id), as the client sent it."""
    body = {
        "rtype": ch.rtype,
        "record_id": ch.record_id,
        "op": ch.op,
        "base_version": ch.base_version,
        "resource": ch.resource,
        "attachments": sorted(ch.attachments),
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def prepare(item: Change | InvalidChange, base: Base | None) -> Prepared:
    """Validate one pushed change (no database): FHIR R4, strict JSON form, narrative, ids
    and canonical references (central.references)."""
    if isinstance(item, InvalidChange):
        return Prepared(item.change_id, None, problem=Problem(item.code, item.message))
    try:
        digest = change_digest(item)
    except (ValueError, RecursionError):
        return Prepared(
            item.change_id,
            None,
            problem=Problem("unstorable_text", "The change holds values that cannot be stored."),
        )
    if item.resource is None:
        return Prepared(item.change_id, item, digest=digest)
    problem = check_resource(item.rtype, item.resource)
    if problem is not None:
        return Prepared(item.change_id, None, digest=digest, problem=problem)
    try:
        resource, refs = canonicalize(item.resource, base)
    except RefProblem as exc:
        return Prepared(item.change_id, None, digest=digest, problem=Problem(exc.code, exc.message))
    except RecursionError:
        return Prepared(
            item.change_id, None, digest=digest, problem=Problem("too_deep", "Nested too deeply.")
        )
    text = canonical_json(resource)
    return Prepared(
        item.change_id,
        replace(item, resource=resource),
        frozenset(refs),
        digest,
        # no resource walk when the text names no attachment at all (the common case)
        attachments=frozenset(attachment_digests(resource))
        if ATTACHMENT_PREFIX in text
        else frozenset(),
        text=text,
    )
