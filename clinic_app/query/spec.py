"""A query as data: conditions on patients, visit-form answers, vital signs, diagnoses,
medicines and follow-up, combined in groups by all/any (groups nest), and its JSON form.

    {"match": "all", "conditions": [
        {"kind": "diagnosis", "code": "I10"},
        {"kind": "vital", "vital": "systolic", "which": "latest", "op": ">=", "value": 140},
        {"kind": "followup", "within_days": 90, "negate": true},
        {"match": "any", "conditions": [
            {"kind": "patient", "field": "age", "op": ">=", "value": 65},
            {"kind": "form", "form": "follow-up", "field": "adherence", "op": "=",
             "value": false}]}]}

:func:`parse` turns JSON into the typed model and refuses anything unclear with a
:class:`~clinic_app.errors.ValidationError` whose ``field`` is the path of the faulty part
(``conditions[1].value``) and whose message says what is expected; :func:`to_json` is its
inverse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from clinic_app.errors import ValidationError
from clinic_app.records import forms
from clinic_app.records.vitals import VITALS

Op = Literal["=", "!=", "<", "<=", ">", ">=", "contains"]
OPS: tuple[str, ...] = ("=", "!=", "<", "<=", ">", ">=", "contains")
NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=")
EQUALITY_OPS = ("=", "!=")
TEXT_OPS = ("contains", "=", "!=")
PATIENT_FIELDS = ("age", "sex", "name", "address")
SEXES = ("male", "female", "other", "unknown")
VITAL_WHICH = ("latest", "any", "within")
FORM_WHICH = ("latest", "any")
KINDS = ("patient", "form", "vital", "diagnosis", "medicine", "followup")
MAX_DEPTH = 4
MAX_DAYS = 36500

Value = float | int | str | bool


@dataclass
class PatientCondition:
    field: str  # age, sex, name, address
    op: str
    value: Value
    negate: bool = False
    kind: str = "patient"


@dataclass
class FormCondition:
    form: str  # initial-visit, follow-up
    field: str  # a linkId of that form
    op: str
    value: Value
    which: str = "latest"  # the latest answer, or any answer
    negate: bool = False
    kind: str = "form"


@dataclass
class VitalCondition:
    vital: str  # a key of clinic_app.records.vitals.VITALS
    op: str
    value: float
    which: str = "latest"  # latest value, any value, any value within ``days`` days
    days: int | None = None
    negate: bool = False
    kind: str = "vital"


@dataclass
class DiagnosisCondition:
    code: str  # ICD-10 code or prefix (I10, E11, I1)
    active_only: bool = True
    negate: bool = False
    kind: str = "diagnosis"


@dataclass
class MedicineCondition:
    text: str  # an ingredient (Chinese or English) or an ATC code prefix (C08CA, C08)
    current_only: bool = True
    negate: bool = False
    kind: str = "medicine"


@dataclass
class FollowUpCondition:
    within_days: int  # a follow-up contact within this many days
    negate: bool = False
    kind: str = "followup"


Condition = (PatientCondition | FormCondition | VitalCondition | DiagnosisCondition
             | MedicineCondition | FollowUpCondition)  # fmt: skip


@dataclass
class Group:
    match: str = "all"  # all (and) / any (or)
    conditions: list[Condition | Group] = field(default_factory=list)


# ---- parsing ---------------------------------------------------------------------------
def _need(obj: dict[str, Any], key: str, path: str) -> Any:
    if key not in obj or obj[key] is None or obj[key] == "":
        raise ValidationError(f"{path}.{key}", "This part of the condition is missing.")
    return obj[key]


def _choice(value: Any, allowed: tuple[str, ...], path: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(path, "Choose one of: " + ", ".join(allowed) + ".")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool):
        raise ValidationError(path, "Enter a number.")
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ValidationError(path, "Enter a number.") from None


def _days(value: Any, path: str) -> int:
    number = _number(value, path)
    if number != int(number) or not 1 <= number <= MAX_DAYS:
        raise ValidationError(path, "Enter a whole number of days, 1 or more.")
    return int(number)


def _boolean(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "是"):
        return True
    if text in ("false", "no", "0", "否"):
        return False
    raise ValidationError(path, "Answer yes or no (true or false).")


def _flag(obj: dict[str, Any], key: str, default: bool, path: str) -> bool:
    return _boolean(obj[key], f"{path}.{key}") if key in obj else default


def form_item(form: str, link_id: str) -> forms.FormItem | None:
    """The question ``link_id`` of the newest version of ``form`` that has it."""
    try:
        newest = forms.definition(form)
    except ValidationError:
        return None
    for version in range(int(newest.version), 0, -1):
        try:
            found = forms.definition(form, str(version))
        except ValidationError:
            continue
        for item in found.items:
            if item.link_id == link_id:
                return item
    return None


def _patient(obj: dict[str, Any], path: str, negate: bool) -> PatientCondition:
    name = _choice(_need(obj, "field", path), PATIENT_FIELDS, f"{path}.field")
    raw = _need(obj, "value", path)
    value: Value
    if name == "age":
        op = _choice(_need(obj, "op", path), NUMBER_OPS, f"{path}.op")
        value = _number(raw, f"{path}.value")
    elif name == "sex":
        op = _choice(_need(obj, "op", path), EQUALITY_OPS, f"{path}.op")
        value = _choice(raw, SEXES, f"{path}.value")
    else:
        op = _choice(_need(obj, "op", path), TEXT_OPS, f"{path}.op")
        value = str(raw).strip()
    return PatientCondition(name, op, value, negate)


def _form(obj: dict[str, Any], path: str, negate: bool) -> FormCondition:
    form = _choice(_need(obj, "form", path), forms.FORM_KINDS, f"{path}.form")
    link_id = str(_need(obj, "field", path))
    item = form_item(form, link_id)
    if item is None:
        raise ValidationError(f"{path}.field", "This question is not part of the form.")
    which = _choice(obj.get("which", "latest"), FORM_WHICH, f"{path}.which")
    raw = _need(obj, "value", path) if item.type != "boolean" else obj.get("value")
    value: Value
    if item.type in ("integer", "decimal"):
        op = _choice(_need(obj, "op", path), NUMBER_OPS, f"{path}.op")
        value = _number(raw, f"{path}.value")
    elif item.type == "boolean":
        op = _choice(_need(obj, "op", path), EQUALITY_OPS, f"{path}.op")
        if raw is None:
            raise ValidationError(f"{path}.value", "This part of the condition is missing.")
        value = _boolean(raw, f"{path}.value")
    elif item.type == "choice":
        op = _choice(_need(obj, "op", path), EQUALITY_OPS, f"{path}.op")
        value = _choice(raw, tuple(code for code, _ in item.options), f"{path}.value")
    else:
        op = _choice(_need(obj, "op", path), TEXT_OPS, f"{path}.op")
        value = str(raw).strip()
    return FormCondition(form, link_id, op, value, which, negate)


def _vital(obj: dict[str, Any], path: str, negate: bool) -> VitalCondition:
    key = _choice(_need(obj, "vital", path), tuple(VITALS), f"{path}.vital")
    op = _choice(_need(obj, "op", path), NUMBER_OPS, f"{path}.op")
    value = _number(_need(obj, "value", path), f"{path}.value")
    which = _choice(obj.get("which", "latest"), VITAL_WHICH, f"{path}.which")
    days = _days(_need(obj, "days", path), f"{path}.days") if which == "within" else None
    return VitalCondition(key, op, value, which, days, negate)


def _condition(obj: Any, path: str, depth: int) -> Condition | Group:
    if not isinstance(obj, dict):
        raise ValidationError(path, "A condition is an object with a kind (or a group).")
    if "match" in obj or "conditions" in obj:
        return _group(obj, path, depth + 1)
    kind = _choice(_need(obj, "kind", path), KINDS, f"{path}.kind")
    negate = _flag(obj, "negate", False, path)
    if kind == "patient":
        return _patient(obj, path, negate)
    if kind == "form":
        return _form(obj, path, negate)
    if kind == "vital":
        return _vital(obj, path, negate)
    if kind == "diagnosis":
        code = str(_need(obj, "code", path)).strip().upper()
        if not code[:1].isalpha() or len(code) > 8:
            raise ValidationError(f"{path}.code", "Enter an ICD-10 code or its start (I10, E11).")
        return DiagnosisCondition(code, _flag(obj, "active_only", True, path), negate)
    if kind == "medicine":
        text = str(_need(obj, "text", path)).strip()
        return MedicineCondition(text, _flag(obj, "current_only", True, path), negate)
    days = _days(_need(obj, "within_days", path), f"{path}.within_days")
    return FollowUpCondition(days, negate)


def _group(obj: dict[str, Any], path: str, depth: int) -> Group:
    if depth > MAX_DEPTH:
        raise ValidationError(path, "Groups are nested too deeply.")
    match = _choice(obj.get("match", "all"), ("all", "any"), f"{path}.match".lstrip("."))
    items = obj.get("conditions")
    if not isinstance(items, list) or not items:
        raise ValidationError(f"{path}.conditions".lstrip("."), "A group needs conditions.")
    return Group(match, [_condition(c, f"{path}.conditions[{n}]".lstrip("."), depth)
                         for n, c in enumerate(items)])  # fmt: skip


def parse(data: Any) -> Group:
    """The typed query of its JSON form (a dict, or a JSON text)."""
    if isinstance(data, str):
        import json

        try:
            data = json.loads(data)
        except ValueError:
            raise ValidationError("query", "The query is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ValidationError("query", "A query is an object with match and conditions.")
    return _group(data, "", 1)


def _condition_json(c: Condition | Group) -> dict[str, Any]:
    if isinstance(c, Group):
        return to_json(c)
    out: dict[str, Any] = {"kind": c.kind}
    for key, value in vars(c).items():
        if key in ("kind", "negate") or value is None:
            continue
        out[key] = int(value) if isinstance(value, float) and value.is_integer() else value
    if c.negate:
        out["negate"] = True
    return out


def to_json(group: Group) -> dict[str, Any]:
    """The JSON form :func:`parse` reads back."""
    return {"match": group.match, "conditions": [_condition_json(c) for c in group.conditions]}
