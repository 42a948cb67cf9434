"""The schedule: one-hour appointments."""

from __future__ import annotations

from datetime import date, datetime

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.records.common import Resource
from clinic_app.services import desk, schedule


class Schedule(Domain):
    def book(self, *, patient_id: str, start: datetime, practitioner: str, description: str,
             based_on: str | None = None) -> Done[Resource]:  # fmt: skip
        return self._write("book", lambda: schedule.book(
            self._store, patient_id=patient_id, start=start, practitioner=practitioner,
            description=description, based_on=based_on))  # fmt: skip

    def day(self, on: date) -> list[Resource]:
        return schedule.day(self._store, on)

    def between(self, start: datetime, end: datetime) -> list[Resource]:
        return schedule.appointments_between(self._store, start, end)

    def booked_with_names(self, start: datetime, end: datetime) -> list[desk.Booked]:
        return desk.appointments_with_names(self._store, start, end)
