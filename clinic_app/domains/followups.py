"""Follow-ups: a CarePlan with its Task, reminders when due, completion."""

from __future__ import annotations

from datetime import date

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.records.common import Resource
from clinic_app.services import desk, schedule


class Followups(Domain):
    def plan(self, *, patient_id: str, due: date, description: str,
             author: str) -> Done[tuple[Resource, Resource]]:  # fmt: skip
        return self._write("plan follow-up", lambda: schedule.plan_follow_up(
            self._store, patient_id=patient_id, due=due, description=description,
            author=author))  # fmt: skip

    def complete(self, task_id: str) -> Done[Resource]:
        return self._write("complete follow-up",
                           lambda: desk.complete_follow_up(self._store, task_id))  # fmt: skip

    def due(self, today: date) -> list[tuple[Resource, str]]:
        return schedule.reminders(self._store, today)

    def due_with_names(self, today: date) -> list[desk.Reminder]:
        return desk.reminders_with_names(self._store, today)
