"""One line of text for the summary records of a case (a problem, a medicine, an allergy), the
same in the consult wizard (what the clinic ticks) and on the specialist's desk (what arrived).
Clinical content is shown as recorded; only the words around it are translated."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale

from clinic_app.records import allergies as allergy_records
from clinic_app.records import conditions
from clinic_app.records.common import Resource


def tr(text: str) -> str:
    return QCoreApplication.translate("case_text", text)


def condition_text(res: Resource) -> str:
    """``I10 原发性高血压`` (the title in the user's language), with its onset when known."""
    language = QLocale().name()
    code = conditions.icd10_code(res) or ""
    text = " ".join(p for p in (code, conditions.title(res, language)) if p)
    onset = str(res.get("onsetDateTime") or "")[:10]
    if onset:
        text = tr("%1 (since %2)").replace("%1", text).replace("%2", onset)
    return text


def allergy_text(res: Resource) -> str:
    """The substance and its reactions; a no-known-allergies statement with its date."""
    if allergy_records.is_nka(res):
        return tr("No known allergies (stated %1)").replace("%1", str(res.get("recordedDate")))
    text = allergy_records.substance(res)
    reactions = [r for r, _severity in allergy_records.reactions(res) if r]
    if reactions:
        text = tr("%1 (%2)").replace("%1", text).replace("%2", ", ".join(reactions))
    if res.get("criticality") == "high":
        text = tr("%1, high risk").replace("%1", text)
    return text


def medication_text(res: Resource) -> str:
    """The medicine and its dosage; one taken from elsewhere says where from."""
    name = str((res.get("medicationCodeableConcept") or {}).get("text", ""))
    key = "dosageInstruction" if res.get("resourceType") == "MedicationRequest" else "dosage"
    dose = "; ".join(str(d.get("text", "")) for d in res.get(key) or [] if d.get("text"))
    text = tr("%1 — %2").replace("%1", name).replace("%2", dose) if dose else name
    if res.get("resourceType") == "MedicationStatement":
        text = tr("%1 (taken, prescribed elsewhere)").replace("%1", text)
    if res.get("priorPrescription"):
        text = tr("%1 (replaces an earlier prescription)").replace("%1", text)
    return text
