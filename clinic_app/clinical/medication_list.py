"""A patient's medication list from their records: what they take now, what was stopped (why
and when) and the history, from MedicationRequests (prescriptions) and MedicationStatements
(medicines taken from elsewhere).

A prescription is superseded when a later one points at it (``priorPrescription``; how a
specialist's prescription replaces a clinic's after sync) or when a later current prescription
is of the same ingredient; so there is one current line per ingredient, and a dose change
shows as such ("5 mg → 10 mg"). No Qt, no store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from clinic_app.clinical.medication_checks import Current
from clinic_app.clinical.medication_formulary import Drug, Formulary, starter

Resource = dict[str, Any]
State = Literal["current", "stopped", "superseded", "error"]

CURRENT_STATUSES = frozenset({"active", "on-hold", "intended"})  # on-hold still counts


@dataclass
class Line:
    resource: Resource
    drug: Drug | None
    state: State
    since: str  # authoredOn / effective start (ISO)
    ended: str = ""  # when stopped or superseded
    reason: str = ""  # why stopped
    replaced_by: str | None = None
    replaces: str | None = None
    dose_change: str = ""  # "5 mg → 10 mg" when this line replaced another dose
    notes: list[str] = field(default_factory=list)

    @property
    def rtype(self) -> str:
        return str(self.resource.get("resourceType"))

    @property
    def rid(self) -> str:
        return str(self.resource.get("id"))

    @property
    def text(self) -> str:
        concept = self.resource.get("medicationCodeableConcept") or {}
        return str(concept.get("text") or (self.drug.display if self.drug else ""))

    @property
    def dosage(self) -> str:
        key = "dosageInstruction" if self.rtype == "MedicationRequest" else "dosage"
        return "; ".join(str(d.get("text", "")) for d in self.resource.get(key) or [])

    @property
    def by(self) -> str:
        who = self.resource.get("requester") or self.resource.get("informationSource") or {}
        return str(who.get("display") or "")

    @property
    def elsewhere(self) -> bool:
        return self.rtype == "MedicationStatement"


@dataclass
class MedicationList:
    lines: list[Line]

    @property
    def current(self) -> list[Line]:
        return [x for x in self.lines if x.state == "current"]

    @property
    def stopped(self) -> list[Line]:
        return [x for x in self.lines if x.state in ("stopped", "superseded")]

    def history(self) -> list[Line]:
        """Every line, newest first (entered-in-error left out)."""
        return sorted((x for x in self.lines if x.state != "error"),
                      key=lambda x: x.since, reverse=True)  # fmt: skip

    def as_current(self) -> list[Current]:
        """The current medicines, oldest first, as the checks take them."""
        return [
            Current(x.rtype, x.rid, x.drug)
            for x in sorted(self.current, key=lambda x: x.since)
            if x.drug is not None
        ]


def _since(res: Resource) -> str:
    if res.get("resourceType") == "MedicationRequest":
        return str(res.get("authoredOn") or "")
    period = res.get("effectivePeriod") or {}
    return str(res.get("effectiveDateTime") or period.get("start") or res.get("dateAsserted")
               or "")  # fmt: skip


def _reason(res: Resource) -> str:
    reasons = res.get("statusReason")
    if isinstance(reasons, list):  # MedicationStatement: a list
        return "; ".join(str(r.get("text") or "") for r in reasons)
    return str((reasons or {}).get("text") or "")


def _ended(res: Resource) -> str:
    for ext in res.get("extension") or []:
        if str(ext.get("url", "")).endswith("/medication-stopped"):
            return str(ext.get("valueDateTime") or "")
    return str((res.get("effectivePeriod") or {}).get("end") or "")


def _prior(res: Resource) -> str | None:
    text = str((res.get("priorPrescription") or {}).get("reference") or "")
    return (
        text.removeprefix("MedicationRequest/") if text.startswith("MedicationRequest/") else None
    )


def build(resources: Iterable[Resource], formulary: Formulary | None = None) -> MedicationList:
    """The list from a patient's MedicationRequests and MedicationStatements."""
    form = formulary or starter()
    lines: list[Line] = []
    for res in resources:
        if res.get("resourceType") not in ("MedicationRequest", "MedicationStatement"):
            continue
        status = str(res.get("status") or "")
        state: State
        if status == "entered-in-error":
            state = "error"
        elif status in CURRENT_STATUSES:
            state = "current"
        elif status in ("draft", "cancelled", "not-taken", "unknown"):
            state = "error" if status == "draft" else "stopped"
        else:
            state = "stopped"
        lines.append(Line(res, form.drug_of(res), state, _since(res), _ended(res), _reason(res)))
    by_id = {x.rid: x for x in lines}
    # Explicit replacement: a later prescription names the one it replaces.
    for line in lines:
        prior_id = _prior(line.resource)
        prior = by_id.get(prior_id or "")
        if prior is None or line.state == "error":
            continue
        line.replaces = prior.rid
        prior.replaced_by = line.rid
        if prior.state == "current":
            prior.state = "superseded"
            prior.ended = prior.ended or line.since
    # Implicit: one current line per ingredient, the newest.
    current = sorted((x for x in lines if x.state == "current" and x.drug),
                     key=lambda x: x.since)  # fmt: skip
    for n, old in enumerate(current):
        newer = [x for x in current[n + 1 :] if x.drug and old.drug
                 and x.drug.same_ingredient(old.drug)]  # fmt: skip
        if newer and old.state == "current":
            old.state = "superseded"
            old.replaced_by = old.replaced_by or newer[0].rid
            old.ended = old.ended or newer[0].since
            newer[0].replaces = newer[0].replaces or old.rid
    for line in lines:
        prior = by_id.get(line.replaces or "")
        if prior and prior.drug and line.drug and prior.drug.same_ingredient(line.drug):
            if prior.drug.strength != line.drug.strength and line.drug.strength:
                line.dose_change = f"{prior.drug.strength or prior.text} → {line.drug.strength}"
            elif prior.dosage != line.dosage and line.dosage:
                line.dose_change = f"{prior.dosage} → {line.dosage}"
    return MedicationList(lines)


def current_ids(lines: Sequence[Line]) -> set[str]:
    return {x.rid for x in lines if x.state == "current"}
