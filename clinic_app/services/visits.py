"""Visits: an Encounter with its structured form answers and vitals, saved in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clinic_app.errors import ValidationError
from clinic_app.records import encounter as enc
from clinic_app.records import forms
from clinic_app.records.common import Resource
from clinic_app.records.vitals import VITALS, entered_in_error, vital_key, vital_observation
from clinic_app.services.writes import save, save_all
from local_store.store import Saved, Store

VitalInput = float | str | tuple[float | str, str]


@dataclass
class Visit:
    encounter: Resource
    response: Resource
    observations: list[Resource]
    saved: list[Saved]
    extra: list[Resource] = field(default_factory=list)  # what ``also`` added to the write


def record_visit(
    store: Store,
    *,
    patient_id: str,
    kind: str,
    answers: dict[str, Any],
    vitals: dict[str, VitalInput] | None = None,
    start: datetime,
    practitioner: str,
    reason: str | None = None,
    form_version: str | None = None,
    also: Callable[[Resource], Sequence[Resource]] | None = None,
) -> Visit:
    """Validate everything first; then write encounter, form and vitals together or not at all.

    ``also`` (the hook for records that belong to the visit, e.g. its diagnoses) is given the
    new Encounter before anything is written and returns more records to write in the same
    transaction; when it raises, nothing is written."""
    store.get("Patient", patient_id)  # NotFound for an unknown patient
    encounter = enc.encounter(
        patient_id=patient_id, kind=kind, start=start, practitioner=practitioner, reason=reason
    )
    form = forms.definition(kind, form_version)
    response = forms.build_response(
        form,
        answers,
        patient_id=patient_id,
        encounter_id=encounter["id"],
        authored=start,
        author=practitioner,
    )
    observations = []
    for key, raw in (vitals or {}).items():
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        value, unit = raw if isinstance(raw, tuple) else (raw, None)
        observations.append(
            vital_observation(
                key,
                value,
                unit=unit,
                patient_id=patient_id,
                effective=start,
                encounter_id=encounter["id"],
                performer=practitioner,
            )
        )
    sys_ = next((o for o in observations if vital_key(o) == "systolic"), None)
    dia = next((o for o in observations if vital_key(o) == "diastolic"), None)
    if sys_ and dia and sys_["valueQuantity"]["value"] <= dia["valueQuantity"]["value"]:
        raise ValidationError("diastolic", "Diastolic pressure must be below systolic.")
    extra = list(also(encounter)) if also is not None else []
    saved = save_all(store, [encounter, response, *observations, *extra])
    return Visit(encounter, response, observations, saved[: len(saved) - len(extra)], extra)


def add_vitals(
    store: Store,
    *,
    patient_id: str,
    vitals: dict[str, VitalInput],
    effective: datetime,
    performer: str | None = None,
) -> list[Resource]:
    """Vitals outside a visit (e.g. home readings brought in)."""
    store.get("Patient", patient_id)
    observations = []
    for key, raw in vitals.items():
        value, unit = raw if isinstance(raw, tuple) else (raw, None)
        observations.append(
            vital_observation(
                key, value, unit=unit, patient_id=patient_id, effective=effective,
                performer=performer,
            )
        )  # fmt: skip
    save_all(store, observations)
    return observations


def correct_vital(store: Store, observation_id: str) -> Saved:
    """Observations are append-only: a wrong value is marked entered-in-error, not edited."""
    obs = store.get("Observation", observation_id)
    return save(store, entered_in_error(obs))


def vitals_series(store: Store, patient_id: str, key: str) -> list[Resource]:
    if key not in VITALS:
        raise ValidationError("key", "Unknown vital sign.")
    obs = [
        o
        for o in store.find("Observation", patient_id=patient_id)
        if vital_key(o) == key and o.get("status") != "entered-in-error"
    ]
    return sorted(obs, key=lambda o: o.get("effectiveDateTime", ""))
