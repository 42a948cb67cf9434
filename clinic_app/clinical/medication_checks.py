"""Checks run at every prescription, offline: duplicate therapy (the same ingredient, or two
medicines of a class where that is a duplication), allergy (by substance or class) and
drug–drug interactions from a cited table (``data/medication_rules.json``: the ONC
high-priority list, Phansalkar et al. JAMIA 2012, and US FDA labelling; sources and licences
in the file).

The checks see FHIR only: AllergyIntolerance by ``code.coding`` (ATC or SNOMED CT substance
codes) or ``code.text``; medicines as :class:`~clinic_app.clinical.medication_formulary.Drug`.
No Qt, no store: the central platform can run them too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from clinic_app.clinical.medication_formulary import SYS_ATC, Drug

SYS_SNOMED = "http://snomed.info/sct"
EXT_OVERRIDE = "https://fhir.clinic-workstation.cn/StructureDefinition/medication-check-override"

Kind = Literal["replaces", "duplicate", "class-duplicate", "allergy", "interaction"]
Severity = Literal["info", "moderate", "major", "contraindicated"]
SEVERITY_ORDER: dict[str, int] = {"info": 0, "moderate": 1, "major": 2, "contraindicated": 3}
Resource = dict[str, Any]


@dataclass(frozen=True)
class Current:
    """A medicine the patient takes now: its record (type, id) and what it is."""

    rtype: str
    rid: str
    drug: Drug


@dataclass(frozen=True)
class Finding:
    """One thing the prescriber must see before signing. ``other`` names what it is against
    (a current medicine's text, an allergy's substance); ``effect`` is in both languages;
    ``group`` is a class or allergy group name in both languages."""

    kind: Kind
    severity: Severity
    other: str
    code: str  # stable, recorded with an override: "interaction:B01AA03+M01AE01"
    effect: dict[str, str] = field(default_factory=dict)
    group: dict[str, str] = field(default_factory=dict)
    source: str = ""
    record: tuple[str, str] | None = None  # the current medicine's (type, id)

    @property
    def needs_reason(self) -> bool:
        """Anything above information: signing past it needs a reason."""
        return self.severity != "info"


@dataclass(frozen=True)
class Rules:
    version: str
    sources: dict[str, Any]
    interactions: list[dict[str, Any]]
    duplicate_classes: list[dict[str, Any]]
    allergy_groups: list[dict[str, Any]]


@cache
def rules() -> Rules:
    text = resources.files("clinic_app.clinical").joinpath("data/medication_rules.json")
    doc = json.loads(text.read_text("utf-8"))
    return Rules(
        version=str(doc["version"]),
        sources=dict(doc["sources"]),
        interactions=list(doc["interactions"]),
        duplicate_classes=list(doc["duplicate_classes"]),
        allergy_groups=list(doc["allergy_groups"]),
    )


def _in(atc: str, prefixes: Iterable[str]) -> bool:
    return bool(atc) and any(atc.startswith(p) for p in prefixes)


def _source_title(key: str) -> str:
    return str(rules().sources.get(key, {}).get("title", key))


def allergy_active(res: Resource) -> bool:
    status = {c.get("code") for c in (res.get("clinicalStatus") or {}).get("coding") or []}
    verification = {
        c.get("code") for c in (res.get("verificationStatus") or {}).get("coding") or []
    }
    return (
        not (status & {"inactive", "resolved"})
        and "refuted" not in verification
        and ("entered-in-error" not in verification)
    )


def _allergy_text(res: Resource) -> str:
    code = res.get("code") or {}
    parts = [str(code.get("text") or "")]
    parts += [str(c.get("display") or "") for c in code.get("coding") or []]
    return " ".join(p for p in parts if p).strip()


def allergy_findings(drug: Drug, allergies: Iterable[Resource]) -> list[Finding]:
    """An active allergy to the drug itself, its ingredient, or its class (and cross-reactive
    classes at a lower severity)."""
    out: list[Finding] = []
    for res in allergies:
        if res.get("resourceType") != "AllergyIntolerance" or not allergy_active(res):
            continue
        codings = (res.get("code") or {}).get("coding") or []
        atc_codes = [str(c.get("code")) for c in codings if c.get("system") == SYS_ATC]
        snomed = {str(c.get("code")) for c in codings if c.get("system") == SYS_SNOMED}
        text = _allergy_text(res)
        low = text.lower()
        rid = str(res.get("id", ""))
        severity: Severity = "contraindicated" if res.get("criticality") == "high" else "major"
        if any(drug.atc.startswith(a) for a in atc_codes) or (
            drug.ingredient and drug.ingredient.lower() in low
        ):
            found = Finding("allergy", severity, text or drug.ingredient, f"allergy:{drug.atc}",
                            record=("AllergyIntolerance", rid))  # fmt: skip
            out.append(found)
            continue
        for group in rules().allergy_groups:
            named = any(str(t).lower() in low for t in group["terms"]) or bool(
                snomed & set(group["snomed"])
            )
            if not named:
                continue
            if _in(drug.atc, group["atc"]):
                out.append(Finding("allergy", severity, text, f"allergy:{group['id']}",
                                   group=dict(group["name"]),
                                   record=("AllergyIntolerance", rid)))  # fmt: skip
                break
            if _in(drug.atc, group["cross"]):
                out.append(Finding("allergy", "moderate", text, f"allergy-cross:{group['id']}",
                                   group=dict(group["name"]),
                                   record=("AllergyIntolerance", rid)))  # fmt: skip
                break
    return out


def _class_of(atc: str) -> dict[str, Any] | None:
    for cls in rules().duplicate_classes:
        if _in(atc, [cls["atc"]]):
            return dict(cls)
    return None


def interaction_findings(drug: Drug, current: Sequence[Current]) -> list[Finding]:
    out: list[Finding] = []
    for med in current:
        other = med.drug
        for row in rules().interactions:
            hit = (_in(drug.atc, row["a"]) and _in(other.atc, row["b"])) or (
                _in(drug.atc, row["b"]) and _in(other.atc, row["a"])
            )
            if hit:
                out.append(Finding(
                    "interaction", row["severity"], other.display,
                    f"interaction:{'+'.join(sorted((drug.atc, other.atc)))}",
                    effect=dict(row["effect"]), source=_source_title(row["source"]),
                    record=(med.rtype, med.rid),
                ))  # fmt: skip
                break
    return out


def check(
    drug: Drug,
    current: Sequence[Current],
    allergies: Iterable[Resource],
    replacing: Iterable[str] = (),
) -> list[Finding]:
    """Everything to show before ``drug`` is prescribed to a patient who takes ``current``
    and has ``allergies``. A current medicine of the same ingredient, or one the prescriber
    marks in ``replacing`` (record ids), is replaced: an ``info`` finding, not a warning; the
    checks against the others run as if it were already stopped. Most severe first."""
    replace_ids = set(replacing)
    out: list[Finding] = []
    staying: list[Current] = []
    for med in current:
        if med.rid in replace_ids or drug.same_ingredient(med.drug):
            out.append(Finding("replaces", "info", med.drug.display, f"replaces:{med.rid}",
                               record=(med.rtype, med.rid)))  # fmt: skip
        else:
            staying.append(med)
    mine = _class_of(drug.atc)
    for med in staying:
        if mine is not None and _in(med.drug.atc, [mine["atc"]]):
            out.append(Finding("class-duplicate", "major", med.drug.display,
                               f"class-duplicate:{mine['atc']}", group=dict(mine["name"]),
                               record=(med.rtype, med.rid)))  # fmt: skip
    out += allergy_findings(drug, allergies)
    out += interaction_findings(drug, staying)
    return sorted(out, key=lambda f: -SEVERITY_ORDER[f.severity])


def review(current: Sequence[Current], allergies: Sequence[Resource]) -> dict[str, list[Finding]]:
    """The checks run over a whole medication list (what arrived by sync was prescribed
    elsewhere, against another list): per record id, what its medicine meets among the
    medicines listed before it and the allergies."""
    out: dict[str, list[Finding]] = {}
    for n, med in enumerate(current):
        found = [f for f in check(med.drug, current[:n], allergies) if f.needs_reason]
        found += [
            Finding("duplicate", "major", other.drug.display, f"duplicate:{med.drug.atc}",
                    record=(other.rtype, other.rid))
            for other in current[:n] if med.drug.same_ingredient(other.drug)
        ]  # fmt: skip
        if found:
            out[med.rid] = found
    return out


def override_extension(reason: str, findings: Sequence[Finding]) -> Resource:
    """What a MedicationRequest records when it is signed past warnings: the reason and the
    codes of the warnings it was signed past."""
    return {
        "url": EXT_OVERRIDE,
        "extension": [{"url": "reason", "valueString": reason}]
        + [{"url": "warning", "valueString": f.code} for f in findings if f.needs_reason],
    }


def overridden(res: Resource) -> tuple[str, list[str]] | None:
    """The override reason and warning codes a prescription carries, if it was overridden."""
    for ext in res.get("extension") or []:
        if ext.get("url") == EXT_OVERRIDE:
            parts = ext.get("extension") or []
            reason = next((str(p.get("valueString")) for p in parts if p.get("url") == "reason"),
                          "")  # fmt: skip
            codes = [str(p.get("valueString")) for p in parts if p.get("url") == "warning"]
            return reason, codes
    return None
