"""What is prescribed: a formulary entry, or free text recognised against the formulary (no
store, no Qt: the workstation's orders service and the central platform's web desk both use it,
before the same checks of :mod:`clinic_app.clinical.medication_checks`)."""

from __future__ import annotations

from clinic_app.clinical.medication_formulary import SYS_ATC, Drug, Formulary, starter
from clinic_app.errors import ValidationError
from clinic_app.records.common import Resource


def drug_for(
    medication: str = "", formulary_id: str | None = None, formulary: Formulary | None = None
) -> tuple[Drug, Resource]:
    """What is prescribed, and the CodeableConcept to record: an entry the formulary offers
    (``formulary``: the one in force, :func:`~clinic_app.clinical.medication_formulary.current`;
    a retired entry is refused), or free text recognised against the formulary where it names
    an ingredient (or is exactly an offered entry's name)."""
    form = formulary or starter()
    if formulary_id:
        entry = form.offered(formulary_id)
        if entry is None:
            raise ValidationError("medication", "That medicine is not in the formulary.")
        return entry.drug(), entry.concept()
    text = (medication or "").strip()
    if not text:
        raise ValidationError("medication", "Enter the medication.")
    named = next((e for e in form.entries if text in (e.name_zh, e.name_en)), None)
    if named is not None:
        return named.drug(), named.concept()
    drug = form.recognise(text) or Drug(text.lower(), "", text)
    concept: Resource = {"text": text}
    if drug.atc:
        concept["coding"] = [{"system": SYS_ATC, "code": drug.atc, "display": drug.ingredient}]
    return drug, concept
