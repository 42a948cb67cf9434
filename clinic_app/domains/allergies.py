"""Allergies: recorded, resolved, and "no known allergies" as its own dated statement (an
allergy recorded later makes that statement inactive; it cannot be stated while allergies
are on the chart)."""

from __future__ import annotations

from datetime import date
from typing import Any

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.errors import ValidationError
from clinic_app.records import allergies
from clinic_app.records.common import Resource
from clinic_app.services.writes import save, save_all


class Allergies(Domain):
    def of_patient(self, patient_id: str) -> list[Resource]:
        return self._store.find("AllergyIntolerance", patient_id=patient_id)

    def record(self, *, patient_id: str, substance: str, recorder: str,
               today: date | None = None, **details: Any) -> Done[Resource]:  # fmt: skip
        """An allergy (``details``: category, reaction, severity, criticality); a current
        no-known-allergies statement becomes inactive in the same transaction."""

        def work() -> Resource:
            self._store.get("Patient", patient_id)
            res = allergies.allergy(patient_id=patient_id, substance=substance,
                                    recorder=recorder, recorded=today or date.today(),
                                    **details)  # fmt: skip
            nka, _ = allergies.current(self.of_patient(patient_id))
            writes = [res] + ([allergies.ended(nka, "inactive")] if nka else [])
            save_all(self._store, writes)
            return res

        return self._write("record allergy", work)

    def no_known_allergies(self, *, patient_id: str, recorder: str,
                           today: date | None = None) -> Done[Resource]:  # fmt: skip
        """State that the patient has no known allergy, dated today (a newer statement
        replaces an older one)."""

        def work() -> Resource:
            self._store.get("Patient", patient_id)
            old, current = allergies.current(self.of_patient(patient_id))
            if current:
                raise ValidationError(
                    "allergies", "Allergies are recorded: resolve them before stating none."
                )
            res = allergies.no_known_allergies(patient_id=patient_id, recorder=recorder,
                                               recorded=today or date.today())  # fmt: skip
            save_all(self._store, [res] + ([allergies.ended(old, "inactive")] if old else []))
            return res

        return self._write("no known allergies", work)

    def resolve(self, allergy_id: str) -> Done[Resource]:
        def work() -> Resource:
            res = allergies.ended(self._store.get("AllergyIntolerance", allergy_id))
            save(self._store, res)
            return res

        return self._write("resolve allergy", work)
