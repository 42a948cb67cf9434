"""Clinical orders and findings: conditions, allergies, e-prescriptions, consults, referrals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from clinic_app.errors import ValidationError
from clinic_app.records import clinical, orders
from clinic_app.records.common import Resource, patient_of
from clinic_app.services.writes import save
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


def prescribe(
    store: Store,
    *,
    patient_id: str,
    medication: str,
    dosage: str,
    requester: str,
    days: int | None = None,
    based_on: str | None = None,
    authored: datetime | None = None,
) -> Resource:
    store.get("Patient", patient_id)
    res = clinical.medication_request(
        patient_id=patient_id,
        medication=medication,
        dosage=dosage,
        requester=requester,
        authored=authored or datetime.now().astimezone(),
        days=days,
        based_on=based_on,
    )
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
