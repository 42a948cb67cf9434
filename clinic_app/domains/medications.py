"""Medications: the formulary, a patient's medication list, checked prescribing, medicines
taken from elsewhere, and stopping one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from clinic_app.changes import Done
from clinic_app.clinical.medication_checks import Finding, Rules, review, rules
from clinic_app.clinical.medication_formulary import Entry, Formulary
from clinic_app.clinical.medication_list import MedicationList
from clinic_app.domains.base import Domain
from clinic_app.records.common import Resource
from clinic_app.records.dosage import Dose
from clinic_app.services import orders


class Medications(Domain):
    @property
    def formulary(self) -> Formulary:
        """What may be prescribed: the platform's formulary as last synced (an entry the
        administrator retired is no longer offered), else the packaged starter list."""
        return orders.formulary(self._store)

    @property
    def rules(self) -> Rules:
        """The check tables with their version and cited sources."""
        return rules()

    def search(self, text: str, limit: int = 30) -> list[Entry]:
        return self.formulary.search(text, limit)

    def medication_list(self, patient_id: str) -> MedicationList:
        return orders.medication_list(self._store, patient_id)

    def review(self, patient_id: str) -> dict[str, list[Finding]]:
        """Per current medicine (record id), what it meets among the others and the allergies
        (a prescription that arrived by sync was written against another list)."""
        listed = orders.medication_list(self._store, patient_id)
        return review(listed.as_current(), orders.allergies(self._store, patient_id))

    def check(self, *, patient_id: str, medication: str = "", formulary_id: str | None = None,
              replacing: Sequence[str] = ()) -> list[Finding]:  # fmt: skip
        return orders.check_prescription(
            self._store, patient_id=patient_id, medication=medication,
            formulary_id=formulary_id, replacing=replacing,
        )  # fmt: skip

    def prescribe(self, *, patient_id: str, dosage: str, requester: str, medication: str = "",
                  formulary_id: str | None = None, days: int | None = None,
                  based_on: str | None = None, encounter_id: str | None = None,
                  replacing: Sequence[str] = (), override_reason: str | None = None,
                  authored: datetime | None = None,
                  dose: Dose | None = None) -> Done[Resource]:  # fmt: skip
        """A checked e-prescription (:func:`clinic_app.services.orders.prescribe`); ``dose``
        the structured parts of ``dosage`` (route, timing, amount)."""
        return self._write("prescribe", lambda: orders.prescribe(
            self._store, patient_id=patient_id, medication=medication, dosage=dosage,
            requester=requester, formulary_id=formulary_id, days=days, based_on=based_on,
            encounter_id=encounter_id, replacing=replacing, override_reason=override_reason,
            authored=authored, dose=dose))  # fmt: skip

    def record_taken(self, *, patient_id: str, recorded_by: str, medication: str = "",
                     formulary_id: str | None = None, dosage: str = "",
                     source: str = "") -> Done[Resource]:  # fmt: skip
        """A medicine the patient takes from elsewhere (MedicationStatement)."""
        return self._write("record medication taken", lambda: orders.record_statement(
            self._store, patient_id=patient_id, medication=medication,
            formulary_id=formulary_id, dosage=dosage, source=source,
            recorded_by=recorded_by))  # fmt: skip

    def stop(self, *, rtype: str, record_id: str, reason: str) -> Done[Resource]:
        return self._write("stop medication", lambda: orders.stop_medication(
            self._store, rtype=rtype, record_id=record_id, reason=reason))  # fmt: skip
