"""A fast check that a resource is already in the JSON form the FHIR R4B models print back.

central.validation used to re-serialise every validated model (``model_dump``) and compare
the result with what was sent, which cost about twice the validation itself. This module
answers the same question by walking the JSON against each model's field types, read once per
model class from ``fhir.resources`` and cached: element names (aliases), cardinality, the JSON
type each primitive prints as, choice[x] elements (each is its own field), nested complex
types and contained resources.

The walk only ever *confirms*: :func:`plain_form` is True when every key is a known element,
every value is non-null, every array is of an element with cardinality ``*`` (an empty one
the dump omits, so the comparison skips it, as it does today),
and every primitive already has the JSON type its FHIR type is printed as. Then the models'
dump has the same keys, the same JSON types and the same array lengths, so the old comparison
could not have found anything. Anything else (a null, an empty object, an unknown
key, a field name instead of its alias, ``fhir_comments``, a wrong JSON type, a very deep
nesting) answers False, and the caller falls back to the full dump-and-compare, which gives
the exact old verdict and message.
"""

from __future__ import annotations

import datetime
import decimal
import types
import typing
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

# A field's shape: (is_list, kind, model class or None). kind is one of
# "bool", "int", "dec" (a JSON number), "str", "model" (a complex type), "resource"
# (any resource, chosen by its resourceType) or "unsure" (let the full comparison decide).
Shape = tuple[bool, str, Any]
_MAX_DEPTH = 100

_schemas: dict[type, dict[str, Shape]] = {}
_resource_classes: dict[str, Any] = {}


def _strip_optional(annotation: Any) -> list[Any]:
    """The non-None members of a Union/Optional annotation (or the annotation itself)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _primitive_kind(annotation: Any) -> str:
    base = annotation
    if typing.get_origin(annotation) is typing.Annotated:
        base = typing.get_args(annotation)[0]
    if base is bool:
        return "bool"
    if base is int:
        return "int"
    if base in (decimal.Decimal, float):
        return "dec"
    if base in (str, bytes, datetime.datetime, datetime.date, datetime.time):
        return "str"
    return "unsure"


def _shape(annotation: Any) -> Shape:
    members = _strip_optional(annotation)
    if len(members) != 1:
        return (False, "unsure", None)
    inner = members[0]
    is_list = typing.get_origin(inner) is list
    if is_list:
        args = typing.get_args(inner)
        if len(args) != 1:
            return (True, "unsure", None)
        members = _strip_optional(args[0])
        if len(members) != 1:
            return (True, "unsure", None)
        inner = members[0]
    get_klass = getattr(inner, "get_model_klass", None)
    if get_klass is not None:
        try:
            klass: Any = get_klass()
        except Exception:  # a type the models cannot resolve: leave it to them
            return (is_list, "unsure", None)
        if not isinstance(klass, type) or not hasattr(klass, "has_resource_base"):
            return (is_list, "unsure", None)
        model: Any = klass
        if model.has_resource_base() and model.__resource_type__ in ("Resource", "DomainResource"):
            return (is_list, "resource", klass)
        return (is_list, "model", klass)
    return (is_list, _primitive_kind(inner), None)


def schema(klass: Any) -> dict[str, Shape]:
    """Alias -> shape for every field of a model class (built once, cached)."""
    found = _schemas.get(klass)
    if found is None:
        found = {}
        for name, field in klass.model_fields.items():
            if name == "fhir_comments":
                continue  # never confirmed: left to the full comparison
            found[field.alias or name] = _shape(field.annotation)
        _schemas[klass] = found
    return found


def resource_class(rtype: str) -> Any:
    """The R4B model class of a resource type (cached); raises for an unknown name."""
    klass = _resource_classes.get(rtype)
    if klass is None:
        klass = get_fhir_model_class(rtype)
        _resource_classes[rtype] = klass
    return klass


def _value_ok(value: Any, kind: str, klass: Any, depth: int) -> bool:
    if kind == "str":
        return type(value) is str
    if kind == "model":
        return type(value) is dict and bool(value) and _object_ok(value, klass, depth + 1)
    if kind == "bool":
        return type(value) is bool
    if kind == "int":
        return type(value) is int
    if kind == "dec":
        return type(value) is int or type(value) is float
    if kind == "resource":
        if type(value) is not dict:
            return False
        rtype = value.get("resourceType")
        if type(rtype) is not str:
            return False
        try:
            actual = resource_class(rtype)
        except Exception:
            return False
        return (
            isinstance(actual, type)
            and issubclass(actual, klass)
            and (_object_ok(value, actual, depth + 1))
        )
    return False


def _object_ok(node: dict[str, Any], klass: Any, depth: int) -> bool:
    if depth > _MAX_DEPTH:
        return False
    fields = schema(klass)
    for key, value in node.items():
        shape = fields.get(key)
        if shape is None:
            if (
                key == "resourceType"
                and klass.has_resource_base()
                and value == klass.__resource_type__
                and type(value) is str
            ):
                continue
            return False
        is_list, kind, sub = shape
        if is_list:
            if type(value) is not list:
                return False  # an empty array: the dump omits it, the comparison skips it
            for item in value:
                if not _value_ok(item, kind, sub, depth):
                    return False
        elif not _value_ok(value, kind, sub, depth):
            return False
    return True


def plain_form(resource: dict[str, Any], klass: Any) -> bool:
    """True when ``resource`` (already accepted by ``klass.model_validate``) is certainly in
    the JSON form the model prints back; False when only the full comparison can tell."""
    return type(resource) is dict and _object_ok(resource, klass, 0)
