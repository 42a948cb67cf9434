"""Patients: register, update, find, search (name, pinyin, ID number, phone), open a chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from clinic_app.records.common import Resource
from clinic_app.records.names import has_han, pinyin_readings, query_terms
from clinic_app.records.patient import (
    PatientInput,
    display_name,
    phone_of,
    resident_id_of,
    search_terms,
)
from clinic_app.records.schedule import follow_up_state
from clinic_app.records.vitals import vital_key
from clinic_app.services.writes import save
from local_store.store import Saved, Store

CHART_TYPES = (
    "Encounter",
    "QuestionnaireResponse",
    "Observation",
    "Condition",
    "AllergyIntolerance",
    "MedicationRequest",
    "MedicationStatement",
    "ServiceRequest",
    "Appointment",
    "CarePlan",
    "Task",
    "DocumentReference",
    "DiagnosticReport",
)


def register(store: Store, data: PatientInput) -> tuple[Resource, Saved]:
    res = data.to_fhir()
    return res, save(store, res)


def update(store: Store, data: PatientInput, expect_version: int) -> tuple[Resource, Saved]:
    """Replace the patient's demographics; refuses if someone changed it since it was read."""
    if not data.record_id:
        raise ValueError("update needs the patient's record id")
    current = store.get("Patient", data.record_id)
    res = data.to_fhir()
    for keep in ("extension", "link", "generalPractitioner", "active"):
        if keep in current:
            res[keep] = current[keep]
    return res, save(store, res, expect_version=expect_version)


def get(store: Store, patient_id: str) -> Resource:
    return store.get("Patient", patient_id)


# How well a patient matches what was typed; lower is better.
EXACT_NAME, NAME_PREFIX, PINYIN_FULL, PINYIN_PREFIX, PINYIN_INITIALS, CONTAINS = range(6)
CANDIDATES = 1000  # patients ranked per search at most (the store's matches beyond are not read)


def _name_pinyins(patient: Resource) -> list[list[str]]:
    """Syllable lists of the official name's readings, the likeliest (surname table first,
    then each character's ordinary reading) first."""
    names = patient.get("name") or []
    if not names:
        return []
    official = next((n for n in names if n.get("use") == "official"), names[0])
    family = str(official.get("family", ""))
    given = "".join(official.get("given", []))
    if not has_han(family + given):
        return []
    fam = pinyin_readings(family, surname=True) if family else [[]]
    giv = pinyin_readings(given) if given else [[]]
    return [f + g for f in fam for g in giv]


def match_rank(patient: Resource, query: str) -> int:
    """Exact name, then name prefix (characters or Latin), then full pinyin (exact before
    prefix), then pinyin initials, then anything else that matched (a given name, a later
    syllable, a rare reading of a polyphonic character: 方 may read wang). A whole ID number
    or phone counts as an exact name, their prefix as a name prefix."""
    compact = "".join(query_terms(query))
    if not compact:
        return CONTAINS
    name = display_name(patient)  # a Chinese name's Latin form is its pinyin, ranked below
    names = ["".join(query_terms(name))] if name else []
    ids = [v.lower() for v in (resident_id_of(patient), phone_of(patient)) if v]
    if compact in names or compact in ids:
        return EXACT_NAME
    if any(n.startswith(compact) for n in names) or any(v.startswith(compact) for v in ids):
        return NAME_PREFIX
    readings = _name_pinyins(patient)[:1]  # the likely reading; rare ones only "contain"
    fulls = ["".join(r) for r in readings]
    if compact in fulls:
        return PINYIN_FULL
    if any(f.startswith(compact) for f in fulls):
        return PINYIN_PREFIX
    if any("".join(s[:1] for s in r).startswith(compact) for r in readings):
        return PINYIN_INITIALS
    return CONTAINS


def search(store: Store, query: str, limit: int = 50) -> list[Resource]:
    """Patients whose name (characters, pinyin, initials), ID number or phone match the query.

    Every word typed must be the start of some term of the patient; the best match comes first
    (:func:`match_rank`), then name order.
    """
    ids = store.search_prefix(query_terms(query), limit=max(limit, CANDIDATES))
    found = store.get_many("Patient", ids)
    ranked = sorted(found, key=lambda p: (match_rank(p, query), display_name(p), p["id"]))
    return ranked[:limit]


def reindex(store: Store) -> int:
    """Rebuild search terms of every patient (after a schema upgrade asked for it)."""
    count = 0
    for res in store.iter_records(["Patient"]):
        store.replace_terms(res["id"], search_terms(res))
        count += 1
    store.set_meta("reindex_search", None)
    return count


def reindex_if_needed(store: Store) -> int:
    return reindex(store) if store.get_meta("reindex_search") == "1" else 0


@dataclass
class Chart:
    """Everything shown in one patient's chart, newest first where it matters."""

    patient: Resource
    records: dict[str, list[Resource]] = field(default_factory=dict)

    def of(self, rtype: str) -> list[Resource]:
        return self.records.get(rtype, [])

    def vitals(self, key: str) -> list[Resource]:
        obs = [
            o
            for o in self.of("Observation")
            if vital_key(o) == key and o.get("status") != "entered-in-error"
        ]
        return sorted(obs, key=lambda o: o.get("effectiveDateTime", ""))

    def active(self, rtype: str) -> list[Resource]:
        out = []
        for r in self.of(rtype):
            status = r.get("status")
            clinical = (r.get("clinicalStatus") or {}).get("coding", [{}])[0].get("code")
            if status in ("entered-in-error", "cancelled", "stopped", "completed"):
                continue
            if clinical in ("inactive", "resolved"):
                continue
            out.append(r)
        return out

    def follow_ups(self, today: date) -> list[tuple[Resource, str]]:
        return [
            (t, follow_up_state(t, today)) for t in self.of("Task") if t.get("intent") == "plan"
        ]


def open_chart(store: Store, patient_id: str) -> Chart:
    """Load a chart and record the read in the audit log."""
    patient = store.get("Patient", patient_id)
    chart = Chart(patient)
    for rtype in CHART_TYPES:
        chart.records[rtype] = store.find(rtype, patient_id=patient_id)
    store.audit("chart.read", "Patient", patient_id)
    return chart
