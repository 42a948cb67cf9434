"""Visits: encounters with their versioned form and vitals; vitals outside a visit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.records.common import Resource
from clinic_app.services import visits
from clinic_app.services.visits import Visit


class Visits(Domain):
    def record(self, *, patient_id: str, kind: str, answers: dict[str, Any],
               start: datetime, practitioner: str, **more: Any) -> Done[Visit]:  # fmt: skip
        """Encounter, form answers and vitals, all written or none (``more``: vitals, reason,
        form_version as :func:`clinic_app.services.visits.record_visit` takes them)."""
        return self._write("record visit", lambda: visits.record_visit(
            self._store, patient_id=patient_id, kind=kind, answers=answers, start=start,
            practitioner=practitioner, **more))  # fmt: skip

    def add_vitals(self, *, patient_id: str, vitals: dict[str, Any], effective: datetime,
                   performer: str | None = None) -> Done[list[Resource]]:  # fmt: skip
        return self._write("add vitals", lambda: visits.add_vitals(
            self._store, patient_id=patient_id, vitals=vitals, effective=effective,
            performer=performer))  # fmt: skip

    def correct_vital(self, observation_id: str) -> Done[None]:
        def work() -> None:
            visits.correct_vital(self._store, observation_id)

        return self._write("correct vital", work)

    def vitals_series(self, patient_id: str, key: str) -> list[Resource]:
        return visits.vitals_series(self._store, patient_id, key)
