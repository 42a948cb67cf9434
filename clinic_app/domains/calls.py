"""Video consults: the record of a finished call (an Encounter based on the consult), written
here so the media layer never writes the store itself."""

from __future__ import annotations

from collections.abc import Callable

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.records.common import Resource
from clinic_app.services.writes import save


class Calls(Domain):
    def save(self, consult_id: str, make: Callable[[Resource], Resource]) -> Done[Resource]:
        """``make`` turns the consult into the call's Encounter (media/call_records.py)."""

        def work() -> Resource:
            consult = self._store.get("ServiceRequest", consult_id)
            encounter = make(consult)
            save(self._store, encounter)
            return encounter

        return self._write("save call", work)
