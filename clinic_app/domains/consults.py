"""Consults: the clinic's request (with slots, drafts, supporting records), the specialist's
decision and opinion, the worklist and the case as the clinic sent it."""

from __future__ import annotations

from typing import Any

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.records.common import Resource
from clinic_app.services import chart_view, desk, orders
from clinic_app.services.chart_view import ConsultRequest


class Consults(Domain):
    def ask(self, **fields: Any) -> Done[ConsultRequest]:
        """A request with up to three proposed slots, or a draft; fields as
        :func:`clinic_app.services.chart_view.ask_specialist` takes them."""
        return self._write("ask a specialist",
                           lambda: chart_view.ask_specialist(self._store, **fields))  # fmt: skip

    def request(self, **fields: Any) -> Done[Resource]:
        """A request without slots (fields as :func:`orders.request_consult`)."""
        return self._write("request consult",
                           lambda: orders.request_consult(self._store, **fields))  # fmt: skip

    def send_draft(self, request_id: str) -> Done[Resource]:
        return self._write("send draft", lambda: chart_view.send_draft(self._store, request_id))

    def decide(self, *, consult_id: str, accept: bool, reason: str, owner: str) -> Done[Resource]:
        def work() -> Resource:
            return desk.decide(
                self._store, consult_id=consult_id, accept=accept, reason=reason, owner=owner
            )

        return self._write("decide consult", work)

    def write_opinion(self, *, consult_id: str, conclusion: str, author: str) -> Done[Resource]:
        return self._write("write opinion", lambda: orders.write_opinion(
            self._store, consult_id=consult_id, conclusion=conclusion, author=author))  # fmt: skip

    def get(self, consult_id: str) -> Resource:
        return self._store.get("ServiceRequest", consult_id)

    def status(self, request: Resource) -> str:
        return chart_view.consult_status(self._store, request)

    def worklist(self, *, specialty: str | None = None,
                 include_closed: bool = False) -> list[desk.WorkItem]:  # fmt: skip
        return desk.worklist(self._store, specialty=specialty, include_closed=include_closed)

    def case(self, consult_id: str, *, audit: bool = True) -> desk.Case:
        """The case as the clinic sent it (the read is audited; ``audit=False`` only to refresh
        a case already shown to the same user)."""
        return desk.case(self._store, consult_id, audit=audit)
