"""Checks of pushed resources and of free text taken from requests.

Resources are validated against the FHIR R4B models of ``fhir.resources``; a failure is
described by field path and error kind only, never by the offending value. Text that could not
be stored (a NUL, a lone surrogate) is refused before it reaches a database.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from clinic_app.records.bindings import binding_problem
from clinic_app.sync.protocol import MAX_RESOURCE_BYTES

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
    try:
        text = json.dumps(resource, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        size = len(text.encode("utf-8"))
    except (ValueError, UnicodeEncodeError, RecursionError):
        return "The resource holds text or numbers that cannot be stored."
    if "\x00" in text:
        return "The resource holds a NUL character."
    if size > MAX_RESOURCE_BYTES:
        return f"The resource is larger than {MAX_RESOURCE_BYTES} bytes."
    try:
        model = get_fhir_model_class(rtype)
    except Exception:  # unknown type name in the models
        return "The resource type is not known."
    try:
        model.model_validate(resource)
    except RecursionError:
        return "The resource is nested too deeply."
    except Exception as exc:  # pydantic.ValidationError, or anything the models raise
        errors = getattr(exc, "errors", None)
        if callable(errors):
            try:
                items = errors(include_input=False, include_url=False)
                where = "; ".join(
                    f"{'.'.join(_safe(part) for part in e.get('loc', ()))}: {e.get('type')}"
                    for e in items[:3]
                )
                return f"The resource is not a valid FHIR R4 {rtype} ({where})."
            except Exception:
                pass
        return f"The resource is not a valid FHIR R4 {rtype}."
    problem = binding_problem(resource)  # required code bindings the models do not check
    if problem:
        return f"The resource is not a valid FHIR R4 {rtype} ({problem})."
    return None
