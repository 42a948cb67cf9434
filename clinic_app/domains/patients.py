"""Patients: register, update, find, and open a chart."""

from __future__ import annotations

from datetime import date

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.records import masking
from clinic_app.records.common import Resource
from clinic_app.records.patient import PatientInput
from clinic_app.services import chart_view, patients
from clinic_app.services.patients import Chart


class Patients(Domain):
    def register(self, data: PatientInput) -> Done[Resource]:
        return self._write("register patient", lambda: patients.register(self._store, data)[0])

    def update(self, data: PatientInput, expect_version: int) -> Done[Resource]:
        return self._write(
            "update patient", lambda: patients.update(self._store, data, expect_version)[0]
        )

    def get(self, patient_id: str) -> Resource:
        return patients.get(self._store, patient_id)

    def search(self, query: str, limit: int = 50) -> list[Resource]:
        return patients.search(self._store, query, limit)

    def reveal(self, patient_id: str, field: masking.Field) -> Done[str]:
        """The full resident ID or phone a screen shows masked; the request is audited (the
        entry names the field, never its value)."""
        if field not in masking.FIELDS:
            raise ValueError(f"not a maskable field: {field}")

        def work() -> str:
            value = masking.field_value(patients.get(self._store, patient_id), field)
            self._store.audit("patient.reveal", "Patient", patient_id, detail=field)
            return value

        return self._write(f"reveal {field}", work)

    def count(self) -> int:
        return self._store.count("Patient")

    def page(self, offset: int, limit: int) -> list[Resource]:
        """Patients most recently changed first, ``limit`` of them from ``offset`` (the patient
        list reads the whole register one page at a time)."""
        return self._store.page("Patient", offset, limit)

    def chart(self, patient_id: str) -> Chart:
        """Every record of the patient (the read is audited)."""
        return patients.open_chart(self._store, patient_id)

    def chart_view(self, patient_id: str, today: date | None = None) -> chart_view.ChartView:
        """The chart shaped for a screen: timeline, trends, consult states."""
        return chart_view.open_chart_view(self._store, patient_id, today)

    def reindex_if_needed(self) -> int:
        return patients.reindex_if_needed(self._store)
