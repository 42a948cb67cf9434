"""Diagnoses and the problem list: ICD-10 coded Conditions, a visit's diagnoses linked to its
Encounter, problems added, resolved, or taken over from a visit's diagnosis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from clinic_app.changes import Done
from clinic_app.clinical import icd10
from clinic_app.domains.base import Domain
from clinic_app.errors import ValidationError
from clinic_app.records import conditions
from clinic_app.records.common import Resource, ref_id
from clinic_app.services import visits
from clinic_app.services.visits import Visit
from clinic_app.services.writes import save, save_all


class Problems(Domain):
    def search(self, query: str, limit: int = 30) -> list[icd10.Icd10]:
        """ICD-10 entries for a typed code, name or pinyin initials (offline)."""
        return icd10.search(query, limit)

    def lookup(self, code: str) -> icd10.Icd10 | None:
        return icd10.lookup(code)

    def of_patient(self, patient_id: str) -> list[Resource]:
        """Every Condition of the patient (diagnoses and problems)."""
        return self._store.find("Condition", patient_id=patient_id)

    def _diagnoses(self, patient_id: str, encounter_id: str, codes: Sequence[str],
                   to_problems: Sequence[str], recorder: str,
                   today: date) -> list[Resource]:  # fmt: skip
        """The Conditions to write: one diagnosis per code, and a problem for each code of
        ``to_problems`` not already an active problem."""
        existing = self.of_patient(patient_id)
        out = []
        for code in dict.fromkeys(icd10.normalize_code(c) for c in codes):
            out.append(
                conditions.diagnosis(
                    patient_id=patient_id,
                    encounter_id=encounter_id,
                    code=code,
                    recorder=recorder,
                    recorded=today,
                )
            )
        for code in dict.fromkeys(icd10.normalize_code(c) for c in to_problems):
            if not conditions.has_active_problem(existing, code):
                out.append(
                    conditions.problem(
                        patient_id=patient_id,
                        code=code,
                        recorder=recorder,
                        recorded=today,
                        encounter_id=encounter_id,
                    )
                )
        return out

    def diagnose(self, *, patient_id: str, encounter_id: str, codes: Sequence[str],
                 recorder: str, to_problems: Sequence[str] = (),
                 today: date | None = None) -> Done[list[Resource]]:  # fmt: skip
        """Add diagnoses to a saved visit (and, for ``to_problems``, to the problem list)."""

        def work() -> list[Resource]:
            encounter = self._store.get("Encounter", encounter_id)
            if ref_id(encounter.get("subject"), "Patient") != patient_id:
                raise ValidationError("encounter", "The visit is of another patient.")
            records = self._diagnoses(patient_id, encounter_id, codes, to_problems, recorder,
                                      today or date.today())  # fmt: skip
            save_all(self._store, records)
            return records

        return self._write("add diagnosis", work)

    def record_visit(self, *, diagnoses: Sequence[str] = (), to_problems: Sequence[str] = (),
                     **visit: Any) -> Done[tuple[Visit, list[Resource]]]:  # fmt: skip
        """A visit (as ``clinic.visits.record`` takes it) with its diagnoses, in one operation:
        every code is checked before anything is written, and the visit and its diagnoses are
        one write (one transaction: all of it or none)."""
        for code in (*diagnoses, *to_problems):
            conditions.coded(code)  # ValidationError for a code not in ICD-10

        def with_diagnoses(encounter: Resource) -> list[Resource]:
            return self._diagnoses(visit["patient_id"], str(encounter["id"]), diagnoses,
                                   to_problems, visit["practitioner"], date.today())  # fmt: skip

        def work() -> tuple[Visit, list[Resource]]:
            saved = visits.record_visit(self._store, **visit, also=with_diagnoses)
            return saved, saved.extra

        return self._write("record visit", work)

    def add(self, *, patient_id: str, code: str, recorder: str, onset: date | None = None,
            today: date | None = None) -> Done[Resource]:  # fmt: skip
        """A new active problem; refused when the same code is already an active problem."""

        def work() -> Resource:
            self._store.get("Patient", patient_id)
            if conditions.has_active_problem(self.of_patient(patient_id), code):
                raise ValidationError("code", "This problem is already on the list.")
            res = conditions.problem(patient_id=patient_id, code=code, recorder=recorder,
                                     recorded=today or date.today(), onset=onset)  # fmt: skip
            save(self._store, res)
            return res

        return self._write("add problem", work)

    def resolve(self, condition_id: str, on: date | None = None) -> Done[Resource]:
        """Mark a problem resolved (today unless ``on``)."""

        def work() -> Resource:
            res = conditions.resolved(self._store.get("Condition", condition_id),
                                      on or date.today())  # fmt: skip
            save(self._store, res)
            return res

        return self._write("resolve problem", work)
