"""Run a query over the patients' records: which patients match, with the columns a report shows.

Each condition is decided on one patient's records (:class:`PatientRecords`); a group of
``all`` needs every condition, ``any`` at least one; ``negate`` turns a condition around
("no follow-up in 90 days" is the follow-up condition negated). Follow-up and the latest
readings mean what :mod:`clinic_app.clinical.registers` defines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from clinic_app.clinical import registers as reg
from clinic_app.clinical.medication_formulary import Formulary, starter
from clinic_app.clinical.medication_list import build
from clinic_app.query.spec import (
    Condition,
    DiagnosisCondition,
    FollowUpCondition,
    FormCondition,
    Group,
    MedicineCondition,
    PatientCondition,
    VitalCondition,
)
from clinic_app.records import conditions as cond
from clinic_app.records import forms
from clinic_app.records.patient import age_on, display_name

PatientRecords = reg.PatientRecords


def compare(actual: Any, op: str, wanted: Any) -> bool:
    """``actual op wanted``; nothing recorded never matches (not even ``!=``)."""
    if actual is None:
        return False
    if op == "contains":
        return str(wanted).lower() in str(actual).lower()
    if isinstance(wanted, float) and not isinstance(actual, bool):
        try:
            actual = float(actual)
        except (TypeError, ValueError):
            return False
    elif isinstance(wanted, str):
        actual = str(actual)
    if op == "=":
        return bool(actual == wanted)
    if op == "!=":
        return bool(actual != wanted)
    if op == "<":
        return bool(actual < wanted)
    if op == "<=":
        return bool(actual <= wanted)
    if op == ">":
        return bool(actual > wanted)
    return bool(actual >= wanted)


def _address(patient: dict[str, Any]) -> str:
    parts = []
    for a in patient.get("address") or []:
        parts.append(str(a.get("text") or ""))
        parts += [str(a.get(k) or "") for k in ("state", "city", "district")]
        parts += [str(x) for x in a.get("line") or []]
    return " ".join(p for p in parts if p)


def _patient(c: PatientCondition, rec: PatientRecords, today: date) -> bool:
    p = rec.patient
    if c.field == "age":
        return compare(age_on(p, today), c.op, c.value)
    if c.field == "sex":
        return compare(p.get("gender") or "unknown", c.op, c.value)
    if c.field == "name":
        names = [display_name(p)] + [str(n.get("text") or "") for n in p.get("name") or []]
        hits = [compare(n, c.op, c.value) for n in names if n]
        return all(hits) if c.op == "!=" else any(hits)
    return compare(_address(p), c.op, c.value)


def _form_name(response: dict[str, Any]) -> str | None:
    try:
        return forms.definition_for(str(response.get("questionnaire") or "")).name
    except Exception:  # a response to a form this version does not know
        return None


def _form(c: FormCondition, rec: PatientRecords) -> bool:
    answered = [r for r in rec.responses
                if r.get("status") != "entered-in-error" and _form_name(r) == c.form]  # fmt: skip
    answered.sort(key=lambda r: str(r.get("authored") or ""))
    if c.which == "latest":
        answered = answered[-1:]
    return any(compare(forms.answers_of(r).get(c.field), c.op, c.value) for r in answered)


def _vital(c: VitalCondition, rec: PatientRecords, today: date) -> bool:
    found = reg.readings(rec, c.vital)
    if c.which == "latest":
        found = found[-1:]
    elif c.which == "within" and c.days is not None:
        start = today - timedelta(days=c.days)
        found = [r for r in found if start <= r.when.date() <= today]
    return any(compare(r.value, c.op, c.value) for r in found)


def _diagnosis(c: DiagnosisCondition, rec: PatientRecords) -> bool:
    for condition in rec.conditions:
        if not reg.code_matches(cond.icd10_code(condition), (c.code,)):
            continue
        if not c.active_only or reg.is_active(condition):
            return True
    return False


def _medicine(c: MedicineCondition, rec: PatientRecords, formulary: Formulary) -> bool:
    """A medicine (current, or ever) whose recorded text, ingredient, ATC code or name in
    ``formulary`` (the one in force: the platform's, with its additions and renames) matches."""
    if not rec.medications:
        return False
    want = c.text.lower()
    lines = build(rec.medications, formulary).lines
    for line in lines:
        if line.state == "error" or (c.current_only and line.state != "current"):
            continue
        drug = line.drug
        names = [line.text.lower()]
        if drug is not None:
            if drug.atc and drug.atc.lower().startswith(want):
                return True
            names.append(drug.ingredient.lower())
            names += [e.ingredient_zh for e in formulary.entries if drug.atc and e.atc == drug.atc]
            entry = formulary.get(drug.formulary_id) if drug.formulary_id else None
            if entry is not None:
                names += [entry.name_zh.lower(), entry.name_en.lower(), entry.ingredient_zh]
        if any(want in n for n in names if n):
            return True
    return False


def matches(item: Condition | Group, rec: PatientRecords, today: date,
            formulary: Formulary | None = None) -> bool:  # fmt: skip
    """Whether one patient's records satisfy ``item``; medicines are named by ``formulary``
    (the one in force; the packaged starter list when not given)."""
    form = formulary or starter()
    if isinstance(item, Group):
        results = (matches(c, rec, today, form) for c in item.conditions)
        return all(results) if item.match == "all" else any(results)
    if isinstance(item, PatientCondition):
        hit = _patient(item, rec, today)
    elif isinstance(item, FormCondition):
        hit = _form(item, rec)
    elif isinstance(item, VitalCondition):
        hit = _vital(item, rec, today)
    elif isinstance(item, DiagnosisCondition):
        hit = _diagnosis(item, rec)
    elif isinstance(item, MedicineCondition):
        hit = _medicine(item, rec, form)
    else:
        assert isinstance(item, FollowUpCondition)
        hit = reg.followed_within(rec, item.within_days, today)
    return hit != item.negate


@dataclass(frozen=True)
class Row:
    """A matching patient with what a report about them shows."""

    patient_id: str
    name: str
    gender: str
    age: int | None
    diagnoses: str  # active ICD-10 codes, comma-separated
    systolic: float | None
    diastolic: float | None
    bp_time: str  # local time of the latest systolic reading (YYYY-MM-DD HH:MM)
    last_follow_up: date | None
    days_since_follow_up: int | None


@dataclass(frozen=True)
class Result:
    rows: list[Row]
    today: date
    searched: int  # patients looked at


def _row(rec: PatientRecords, today: date) -> Row:
    codes = sorted({code for c in rec.conditions
                    if (code := cond.icd10_code(c)) and reg.is_active(c)})  # fmt: skip
    sbp, dbp = reg.latest(rec, "systolic"), reg.latest(rec, "diastolic")
    last = reg.last_follow_up(rec, today)
    return Row(
        patient_id=rec.id, name=display_name(rec.patient),
        gender=str(rec.patient.get("gender") or ""), age=age_on(rec.patient, today),
        diagnoses=", ".join(codes), systolic=sbp.value if sbp else None,
        diastolic=dbp.value if dbp else None,
        bp_time=sbp.when.strftime("%Y-%m-%d %H:%M") if sbp else "",
        last_follow_up=last.date() if last else None,
        days_since_follow_up=reg.days_since(last, today),
    )  # fmt: skip


def run(query: Group, patients: Iterable[PatientRecords], today: date,
        formulary: Formulary | None = None) -> Result:  # fmt: skip
    """The patients matching ``query``, by name; ``formulary`` is the one in force (the
    caller's: the platform's synced Medication records), the packaged starter list if None."""
    form = formulary or starter()
    seen: Sequence[PatientRecords] = list(patients)
    rows = [_row(r, today) for r in seen if matches(query, r, today, form)]
    rows.sort(key=lambda r: (r.name, r.patient_id))
    return Result(rows, today, len(seen))
