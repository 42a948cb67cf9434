"""Canonical references: the one parser for every reference and id the server receives.

Every ``Reference.reference`` in a pushed resource (at any depth, contained resources
included), every record id in the protocol and every id in a FHIR route or search goes through
:func:`parse_reference` / :func:`check_id`, which give the canonical ``(type, id)`` of a record
on this server or raise :class:`RefProblem` (a stable 422 code and a sentence holding no
value). Authorization and storage only ever see the canonical form, and a stored resource
carries the canonical spelling ``Type/id`` (:func:`canonicalize` rewrites it).

The rules (FHIR R4 §2.3.0 "Resource references", decided here where FHIR leaves a choice):

* **relative** ``Type/id``: ``Type`` is a synced resource type spelled exactly (types are
  case-sensitive), ``id`` follows FHIR's id grammar ``[A-Za-z0-9\\-.]{1,64}``; nothing else —
  no surrounding or inner whitespace, no percent-encoding, no ``.``/``..`` segments, no
  doubled or trailing slashes, no query or fragment.
* **absolute** URLs are accepted only under this server's own FHIR base (the ``public_url``
  setting + ``/fhir``; scheme and host compared case-insensitively, the default port may be
  left out), and then mean the same as the relative form. Any other base — or any absolute URL
  when no ``public_url`` is configured — is refused (``reference_foreign``): this server does
  not hold records elsewhere, and a foreign URL must not be taken for a local record.
* **history** form ``Type/id/_history/vid`` is refused (``reference_versioned``): records are
  referred to by their logical id; the server does not keep version-pinned references.
* **contained** ``#id`` must name a resource in the same resource's ``contained`` list (``#``
  alone is the container itself, allowed inside a contained resource); nothing on the server
  is looked up for it.
* **logical** references (``identifier`` and/or ``display`` without ``reference``) point at
  nothing on the server and are kept as they are.
* ``urn:uuid:`` / ``urn:oid:`` references only have a meaning inside a Bundle being resolved
  (transaction/batch); a push is not a Bundle, so they are refused (``reference_urn``).
* ``Reference.type``, when given, must name the same type as the reference
  (``reference_type_mismatch``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from clinic_app.sync.protocol import SYNCED_TYPES

ID_GRAMMAR = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_TYPE_GRAMMAR = re.compile(r"[A-Za-z]{1,64}")  # then it must be a synced type, exactly
_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REFERENCE = 1024
STRUCTURE_DEFINITION = "http://hl7.org/fhir/StructureDefinition/"

Ref = tuple[str, str]  # (resource type, id), canonical


class RefProblem(ValueError):
    """A reference or id that is refused: ``code`` is stable, ``str()`` holds no value."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Base:
    """This server's own FHIR base, e.g. ``https://central.example.org/fhir``."""

    scheme: str
    host: str
    port: int
    path: str  # without a trailing slash

    @classmethod
    def parse(cls, public_url: str | None) -> Base | None:
        if not public_url:
            return None
        parts = urlsplit(public_url.strip().rstrip("/"))
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError("public_url must be an http(s) URL")
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
        return cls(parts.scheme, parts.hostname.lower(), port, parts.path.rstrip("/") + "/fhir")


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and ID_GRAMMAR.fullmatch(value) is not None


def check_id(value: object, what: str = "id") -> str:
    """A FHIR id, exactly (``re.fullmatch``: no trailing newline slips through)."""
    if not is_valid_id(value):
        raise RefProblem(
            "invalid_id", f"The {what} is not a FHIR id (1 to 64 letters, digits, '-' or '.')."
        )
    assert isinstance(value, str)
    return value


def check_type(value: object) -> str:
    """A synced resource type, spelled exactly (case-sensitive)."""
    if not isinstance(value, str) or value not in SYNCED_TYPES:
        raise RefProblem(
            "reference_unknown_type",
            "The reference names a resource type this server does not keep "
            "(types are case-sensitive, e.g. 'Patient').",
        )
    return value


def _relative(path: str) -> Ref:
    parts = path.split("/")
    if len(parts) >= 3 and parts[2] == "_history":
        raise RefProblem(
            "reference_versioned",
            "Version-specific references (Type/id/_history/n) are not accepted; "
            "refer to the record as Type/id.",
        )
    if len(parts) != 2:
        raise RefProblem("reference_malformed", "A reference must have the form Type/id.")
    rtype, rid = parts
    if not _TYPE_GRAMMAR.fullmatch(rtype):
        raise RefProblem("reference_malformed", "A reference must have the form Type/id.")
    if not is_valid_id(rid):
        raise RefProblem(
            "reference_malformed",
            "The id in a reference is not a FHIR id (1 to 64 letters, digits, '-' or '.').",
        )
    return check_type(rtype), rid


def _absolute(text: str, base: Base | None) -> Ref:
    foreign = RefProblem(
        "reference_foreign",
        "An absolute reference must point at this server's own FHIR base; "
        "records elsewhere cannot be referred to.",
    )
    if base is None:
        raise foreign
    try:
        parts = urlsplit(text)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), -1)
    except ValueError:
        raise RefProblem("reference_malformed", "The reference URL is malformed.") from None
    if (
        parts.scheme.lower() != base.scheme
        or (parts.hostname or "").lower() != base.host
        or port != base.port
        or parts.username is not None
        or parts.password is not None
    ):
        raise foreign
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise RefProblem("reference_malformed", "A reference has no query or fragment.")
    prefix = base.path + "/"
    if not parts.path.startswith(prefix):
        raise foreign
    return _relative(parts.path[len(prefix) :])


def parse_reference(text: object, base: Base | None = None) -> Ref:
    """The canonical (type, id) on this server of a ``Reference.reference`` that points at a
    stored record (not ``#contained``: see :func:`canonicalize`), or :class:`RefProblem`."""
    if not isinstance(text, str) or not text:
        raise RefProblem("reference_malformed", "A reference must be non-empty text.")
    if len(text) > MAX_REFERENCE:
        raise RefProblem("reference_malformed", "The reference is too long.")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in text) or "%" in text:
        raise RefProblem(
            "reference_malformed",
            "A reference holds no whitespace, control characters or percent-encoding.",
        )
    if not text.isascii():
        raise RefProblem("reference_malformed", "A reference is plain ASCII.")
    lowered = text.lower()
    if lowered.startswith(("urn:uuid:", "urn:oid:")):
        raise RefProblem(
            "reference_urn",
            "urn:uuid/urn:oid references are only resolved inside a Bundle; "
            "a pushed record refers to others as Type/id.",
        )
    if "://" in text:
        return _absolute(text, base)
    if ":" in text:
        raise RefProblem("reference_malformed", "A reference must have the form Type/id.")
    return _relative(text)


def reference_type_matches(declared: object, rtype: str) -> bool:
    """``Reference.type`` (a type name, or its StructureDefinition URL) names ``rtype``."""
    if declared is None:
        return True
    if not isinstance(declared, str):
        return False
    name = declared.removeprefix(STRUCTURE_DEFINITION)
    return name == rtype


# -- whole resources -------------------------------------------------------------------------


def _reference_nodes(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every dict holding a ``reference`` string: a FHIR Reference (in the synced types no
    other element is named ``reference`` with a string value)."""
    if depth > 128:
        raise RefProblem("too_deep", "The resource is nested too deeply.")
    if isinstance(node, dict):
        if "reference" in node and not isinstance(node["reference"], dict | list):
            yield node
        for value in node.values():
            yield from _reference_nodes(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _reference_nodes(value, depth + 1)


def contained_ids(resource: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    contained = resource.get("contained")
    if isinstance(contained, list):
        for item in contained:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                out.add(item["id"])
    return out


def canonicalize(
    resource: dict[str, Any], base: Base | None = None
) -> tuple[dict[str, Any], set[Ref]]:
    """The resource with every reference rewritten to its canonical spelling, and the set of
    stored records it refers to (a contained ``#id`` is checked against ``contained``, not
    looked up). Raises :class:`RefProblem` on the first refused reference."""
    local = contained_ids(resource)
    refs: set[Ref] = set()
    out = _copy(resource)
    for node in _reference_nodes(out):
        text = node["reference"]
        if isinstance(text, str) and text.startswith("#"):
            rid = text[1:]
            if rid and rid not in local:
                raise RefProblem(
                    "reference_contained_missing",
                    "A '#id' reference must name a resource in this record's 'contained'.",
                )
            if rid:
                check_id(rid, "contained id")
            continue
        ref = parse_reference(text, base)
        if not reference_type_matches(node.get("type"), ref[0]):
            raise RefProblem(
                "reference_type_mismatch", "Reference.type does not match the referenced type."
            )
        node["reference"] = f"{ref[0]}/{ref[1]}"
        refs.add(ref)
    return out, refs


def _copy(node: Any, depth: int = 0) -> Any:
    if depth > 128:
        raise RefProblem("too_deep", "The resource is nested too deeply.")
    if isinstance(node, dict):
        return {k: _copy(v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v, depth + 1) for v in node]
    return node
