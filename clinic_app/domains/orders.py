"""Orders: e-prescriptions, referrals, conditions and allergies."""

from __future__ import annotations

from typing import Any

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.records.common import Resource
from clinic_app.services import orders


class Orders(Domain):
    def prescribe(self, **fields: Any) -> Done[Resource]:
        """A MedicationRequest (fields as :func:`clinic_app.services.orders.prescribe`)."""
        return self._write("prescribe", lambda: orders.prescribe(self._store, **fields))

    def refer(self, **fields: Any) -> Done[Resource]:
        """A referral ServiceRequest (fields as :func:`clinic_app.services.orders.refer`)."""
        return self._write("refer", lambda: orders.refer(self._store, **fields))

    def add_condition(self, **fields: Any) -> Done[Resource]:
        return self._write("add condition", lambda: orders.add_condition(self._store, **fields))

    def add_allergy(self, **fields: Any) -> Done[Resource]:
        return self._write("add allergy", lambda: orders.add_allergy(self._store, **fields))
