"""What is prescribed: a formulary entry, or free text recognised against the formulary (no
store, no Qt: the workstation's orders service and the central platform's web desk both use it,
before the same checks of :mod:`clinic_app.clinical.medication_checks`)."""

from __future__ import annotations

from clinic_app.clinical.medication_formulary import SYS_ATC, Drug, starter
from clinic_app.errors import ValidationError
from clinic_app.records.common import Resource


def drug_for(medication: str = "", formulary_id: str | None = None) -> tuple[Drug, Resource]:
    """What is prescribed, and the CodeableConcept to record: a formulary entry, or free text
    recognised against the formulary where it names an ingredient."""
    if formulary_id:
        entry = starter().get(formulary_id)
        if entry is None:
            raise ValidationError("medication", "That medicine is not in the formulary.")
        return entry.drug(), entry.concept()
    text = (medication or "").strip()
    if not text:
        raise ValidationError("medication", "Enter the medication.")
    drug = starter().recognise(text) or Drug(text.lower(), "", text)
    concept: Resource = {"text": text}
    if drug.atc:
        concept["coding"] = [{"system": SYS_ATC, "code": drug.atc, "display": drug.ingredient}]
    return drug, concept
