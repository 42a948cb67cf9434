"""Clinical orders and findings: conditions, allergies, e-prescriptions, consults, referrals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from clinic_app.clinical.medication_checks import (
    Finding,
    allergy_active,
    check,
    override_extension,
)
from clinic_app.clinical.medication_formulary import Formulary, current
from clinic_app.clinical.medication_list import MedicationList
from clinic_app.clinical.medication_list import build as medication_list_of
from clinic_app.clinical.prescribing import drug_for
from clinic_app.errors import ValidationError
from clinic_app.records import clinical, orders
from clinic_app.records.common import Resource, patient_of
from clinic_app.records.dosage import Dose
from clinic_app.services.writes import save, save_all
from local_store.store import Store


def add_condition(
    store: Store, *, patient_id: str, text: str, onset: date | None = None
) -> Resource:
    store.get("Patient", patient_id)
    res = clinical.condition(patient_id=patient_id, text=text, onset=onset)
    save(store, res)
    return res


def add_allergy(
    store: Store, *, patient_id: str, substance: str, reaction: str | None = None,
    criticality: str = "unable-to-assess",
) -> Resource:  # fmt: skip
    store.get("Patient", patient_id)
    res = clinical.allergy(
        patient_id=patient_id, substance=substance, reaction=reaction, criticality=criticality
    )
    save(store, res)
    return res


class MedicationWarnings(ValidationError):
    """A prescription with warnings, signed without a reason: nothing was written."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(
            "override_reason",
            "This prescription has warnings: give the reason to prescribe it anyway.",
        )
        self.findings = findings


def formulary(store: Store) -> Formulary:
    """The formulary in force here: the platform's Medication records this workstation
    pulled, else the packaged starter list (before the first sync)."""
    return current(store.find("Medication"))


def medication_list(store: Store, patient_id: str) -> MedicationList:
    """The patient's medicines: current, stopped, history."""
    found = store.find("MedicationRequest", patient_id=patient_id)
    found += store.find("MedicationStatement", patient_id=patient_id)
    return medication_list_of(found, formulary(store))


def allergies(store: Store, patient_id: str) -> list[Resource]:
    return [a for a in store.find("AllergyIntolerance", patient_id=patient_id)
            if allergy_active(a)]  # fmt: skip


def check_prescription(
    store: Store, *, patient_id: str, medication: str = "", formulary_id: str | None = None,
    replacing: Sequence[str] = (),
) -> list[Finding]:  # fmt: skip
    """What the prescriber sees before signing (offline: the patient's records here)."""
    drug, _ = drug_for(medication, formulary_id, formulary(store))
    current = medication_list(store, patient_id).as_current()
    return check(drug, current, allergies(store, patient_id), replacing)


def prescribe(
    store: Store,
    *,
    patient_id: str,
    medication: str = "",
    dosage: str,
    requester: str,
    formulary_id: str | None = None,
    days: int | None = None,
    based_on: str | None = None,
    encounter_id: str | None = None,
    replacing: Sequence[str] = (),
    override_reason: str | None = None,
    authored: datetime | None = None,
    dose: Dose | None = None,
) -> Resource:
    """An e-prescription, checked first (duplicates, allergies, interactions). Warnings need
    ``override_reason`` (recorded on the MedicationRequest and in the audit). What it replaces
    (the same ingredient, or ``replacing``) is completed in the same transaction, and the new
    prescription's ``priorPrescription`` points at it; a specialist's answer to a consult
    (``based_on``) only points at it, since the clinic's records are not theirs to change:
    the clinic's list reads the pointer as the replacement."""
    store.get("Patient", patient_id)
    when = authored or datetime.now().astimezone()
    drug, concept = drug_for(medication, formulary_id, formulary(store))
    listed = medication_list(store, patient_id)
    findings = check(drug, listed.as_current(), allergies(store, patient_id), replacing)
    warnings = [f for f in findings if f.needs_reason]
    reason = (override_reason or "").strip()
    if warnings and not reason:
        raise MedicationWarnings(findings)
    replaced = [f.record for f in findings if f.kind == "replaces" and f.record]
    by_id = {x.rid: x for x in listed.lines}
    prior = [rid for rtype, rid in replaced if rtype == "MedicationRequest"]
    prior.sort(key=lambda rid: by_id[rid].since if rid in by_id else "", reverse=True)
    res = orders.prescription(
        patient_id=patient_id,
        concept=concept,
        dosage=dosage,
        requester=requester,
        authored=when,
        days=days,
        based_on=based_on,
        encounter_id=encounter_id,
        prior=prior[0] if prior else None,
        override=override_extension(reason, warnings) if warnings else None,
        dose=dose,
    )
    writes = [res]
    if based_on is None:
        writes += [
            orders.stopped(by_id[rid].resource, reason="Replaced by a new prescription",
                           when=when, superseded=True)
            for _rtype, rid in replaced if rid in by_id
        ]  # fmt: skip
    save_all(store, writes)
    if warnings:
        codes = ",".join(f.code for f in warnings)
        store.audit("medication.override", "MedicationRequest", res["id"], detail=codes)
    return res


def record_statement(
    store: Store, *, patient_id: str, medication: str = "", formulary_id: str | None = None,
    dosage: str = "", source: str = "", recorded_by: str, since: datetime | None = None,
) -> Resource:  # fmt: skip
    """A medicine the patient already takes from elsewhere (MedicationStatement)."""
    store.get("Patient", patient_id)
    _drug, concept = drug_for(medication, formulary_id, formulary(store))
    res = orders.medication_statement(
        patient_id=patient_id, concept=concept, dosage=dosage, source=source,
        recorded_by=recorded_by, since=since, asserted=datetime.now().astimezone(),
    )  # fmt: skip
    save(store, res)
    return res


def stop_medication(store: Store, *, rtype: str, record_id: str, reason: str) -> Resource:
    """Stop a current prescription or statement, with the reason and today's date."""
    if rtype not in ("MedicationRequest", "MedicationStatement"):
        raise ValidationError("medication", "Only a prescription or a medicine taken can stop.")
    res = orders.stopped(store.get(rtype, record_id), reason=reason,
                         when=datetime.now().astimezone())  # fmt: skip
    save(store, res)
    return res


def request_consult(
    store: Store,
    *,
    patient_id: str,
    specialty: str,
    priority: str,
    question: str,
    requester: str,
    supporting: Sequence[tuple[str, str]] = (),
    draft: bool = False,
    authored: datetime | None = None,
) -> Resource:
    """A consult request; every supporting record must exist and belong to the patient."""
    store.get("Patient", patient_id)
    for rtype, rid in supporting:
        record = store.get(rtype, rid)
        if patient_of(record) != patient_id:
            raise ValidationError("supporting", "Only this patient's records can be included.")
    res = orders.consult_request(
        patient_id=patient_id,
        specialty=specialty,
        priority=priority,
        question=question,
        requester=requester,
        authored=authored or datetime.now().astimezone(),
        supporting=supporting,
        status="draft" if draft else "active",
    )
    save(store, res)
    return res


def refer(
    store: Store,
    *,
    patient_id: str,
    specialty: str,
    priority: str,
    reason: str,
    requester: str,
    based_on: str | None = None,
) -> Resource:
    store.get("Patient", patient_id)
    res = orders.referral(
        patient_id=patient_id,
        specialty=specialty,
        priority=priority,
        reason=reason,
        requester=requester,
        authored=datetime.now().astimezone(),
        based_on=based_on,
    )
    save(store, res)
    return res


def write_opinion(store: Store, *, consult_id: str, conclusion: str, author: str) -> Resource:
    """The specialist answers a consult; it reaches the clinic's chart through sync."""
    consult = store.get("ServiceRequest", consult_id)
    patient_id = str(consult["subject"]["reference"]).removeprefix("Patient/")
    res = orders.opinion(
        patient_id=patient_id,
        consult_id=consult_id,
        conclusion=conclusion,
        author=author,
        issued=datetime.now().astimezone(),
        specialty=orders.specialty_of(consult),
    )
    save(store, res)
    return res
