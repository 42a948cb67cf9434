"""Conditions coded with WHO ICD-10: a visit's diagnoses (category ``encounter-diagnosis``,
linked to the Encounter) and the patient's problem list (``problem-list-item``: active or
resolved, with onset and abatement). The code's WHO English title is the coding's display and
its Chinese title the concept's text; screens show the title in their language from the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from clinic_app.clinical import icd10
from clinic_app.errors import ValidationError
from clinic_app.records.common import SYS_CONDITION_CLINICAL, Resource, new_id, ref, ref_id

SYS_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
SYS_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
DIAGNOSIS = "encounter-diagnosis"
PROBLEM = "problem-list-item"
_CATEGORY_DISPLAY = {DIAGNOSIS: "Encounter Diagnosis", PROBLEM: "Problem List Item"}


def coded(code: str) -> tuple[icd10.Icd10, dict[str, object]]:
    """The ICD-10 entry and CodeableConcept of a code; ValidationError if it is not one."""
    entry = icd10.lookup(code)
    if entry is None:
        raise ValidationError("code", "Choose a diagnosis from the ICD-10 list.")
    concept: dict[str, object] = {
        "coding": [{"system": icd10.SYSTEM, "code": entry.code, "display": entry.english}],
        "text": entry.chinese,
    }
    return entry, concept


def _condition(
    category: str, *, patient_id: str, code: str, recorder: str, recorded: date,
    encounter_id: str | None, onset: date | None,
) -> Resource:  # fmt: skip
    _entry, concept = coded(code)
    if onset and onset > recorded:
        raise ValidationError("onset", "The onset cannot be after today.")
    res: Resource = {
        "resourceType": "Condition",
        "id": new_id(),
        "clinicalStatus": {"coding": [{"system": SYS_CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": SYS_VERIFICATION, "code": "confirmed"}]},
        "category": [
            {
                "coding": [
                    {
                        "system": SYS_CATEGORY,
                        "code": category,
                        "display": _CATEGORY_DISPLAY[category],
                    }
                ]
            }
        ],
        "code": concept,
        "subject": ref("Patient", patient_id),
        "recordedDate": recorded.isoformat(),
        "recorder": {"display": recorder},
    }
    if encounter_id:
        res["encounter"] = ref("Encounter", encounter_id)
    if onset:
        res["onsetDateTime"] = onset.isoformat()
    return res


def diagnosis(
    *, patient_id: str, encounter_id: str, code: str, recorder: str, recorded: date
) -> Resource:
    """A diagnosis made in a visit."""
    return _condition(DIAGNOSIS, patient_id=patient_id, code=code, recorder=recorder,
                      recorded=recorded, encounter_id=encounter_id, onset=None)  # fmt: skip


def problem(
    *, patient_id: str, code: str, recorder: str, recorded: date, onset: date | None = None,
    encounter_id: str | None = None,
) -> Resource:  # fmt: skip
    """An active entry of the problem list (``encounter_id``: the visit it was found in)."""
    return _condition(PROBLEM, patient_id=patient_id, code=code, recorder=recorder,
                      recorded=recorded, encounter_id=encounter_id, onset=onset)  # fmt: skip


def resolved(condition: Resource, on: date) -> Resource:
    """The problem marked resolved on ``on`` (not before its onset)."""
    onset = str(condition.get("onsetDateTime") or "")[:10]
    if onset and on.isoformat() < onset:
        raise ValidationError("abatement", "A problem cannot resolve before its onset.")
    out = dict(condition)
    out["clinicalStatus"] = {"coding": [{"system": SYS_CONDITION_CLINICAL, "code": "resolved"}]}
    out["abatementDateTime"] = on.isoformat()
    return out


# ---- reading -------------------------------------------------------------------------
def category_of(condition: Resource) -> str | None:
    for concept in condition.get("category") or []:
        for coding in concept.get("coding", []):
            if coding.get("system") == SYS_CATEGORY:
                return str(coding.get("code"))
    return None


def status_of(condition: Resource) -> str:
    codings = (condition.get("clinicalStatus") or {}).get("coding") or [{}]
    return str(codings[0].get("code") or "")


def icd10_code(condition: Resource) -> str | None:
    for coding in (condition.get("code") or {}).get("coding", []):
        if coding.get("system") == icd10.SYSTEM and coding.get("code"):
            return str(coding["code"])
    return None


def title(condition: Resource, language: str) -> str:
    """The condition's name in ``language``, from the record itself (no table read): the
    Chinese title is the concept's text, WHO's English title the ICD-10 coding's display."""
    concept = condition.get("code") or {}
    text = str(concept.get("text") or "")
    if not language.lower().startswith("zh"):
        for coding in concept.get("coding", []):
            if coding.get("system") == icd10.SYSTEM and coding.get("display"):
                return str(coding["display"])
    return text or icd10_code(condition) or ""


def _live(conditions: Iterable[Resource]) -> list[Resource]:
    return [c for c in conditions
            if (c.get("verificationStatus") or {}).get("coding", [{}])[0].get("code")
            != "entered-in-error"]  # fmt: skip


def problem_list(conditions: Iterable[Resource]) -> tuple[list[Resource], list[Resource]]:
    """(active, resolved) problem-list items; a condition with no category recorded before
    categories were kept counts as a problem. Active by onset (oldest first), resolved newest
    first."""
    items = [c for c in _live(conditions) if category_of(c) in (PROBLEM, None)]
    active = [c for c in items if status_of(c) not in ("resolved", "inactive", "remission")]
    done = [c for c in items if c not in active]
    active.sort(key=lambda c: (str(c.get("onsetDateTime") or c.get("recordedDate") or ""),
                               icd10_code(c) or ""))  # fmt: skip
    done.sort(key=lambda c: str(c.get("abatementDateTime") or ""), reverse=True)
    return active, done


def diagnoses_of(conditions: Iterable[Resource], encounter_id: str) -> list[Resource]:
    """The diagnoses made in one visit."""
    return [c for c in _live(conditions)
            if category_of(c) == DIAGNOSIS and ref_id(c.get("encounter"), "Encounter")
            == encounter_id]  # fmt: skip


def has_active_problem(conditions: Iterable[Resource], code: str) -> bool:
    """True when the problem list already holds ``code`` as an active problem."""
    active, _ = problem_list(conditions)
    return any(icd10_code(c) == icd10.normalize_code(code) for c in active)
