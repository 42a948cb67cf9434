"""Structured dosage of a prescription (FHIR R4 Dosage): how often (``timing.repeat``), how
much each time (``doseAndRate.doseQuantity``), by which route (SNOMED CT), beside the dose as
the prescriber wrote it (``text``, kept as written). :class:`Dose` writes one and reads one
back; :func:`route_of` and :func:`route_of_form` say the route a Dosage codes or a dosage
form implies (a tablet or capsule is taken by mouth; an injection's route is not implied)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SYS_SNOMED = "http://snomed.info/sct"
SYS_UCUM = "http://unitsofmeasure.org"
SYS_DRUG_FORM = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
SYS_TIMING = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"

# Route of administration (SNOMED CT, FHIR R4 value set route-codes).
ROUTES: dict[str, tuple[str, str]] = {
    "oral": ("26643006", "Oral route"),
    "sublingual": ("37839007", "Sublingual route"),
    "subcutaneous": ("34206005", "Subcutaneous route"),
    "intramuscular": ("78421000", "Intramuscular route"),
    "intravenous": ("47625008", "Intravenous route"),
    "inhaled": ("447694001", "Respiratory tract route"),
    "topical": ("6064005", "Topical route"),
}
_ROUTE_OF_CODE = {code: key for key, (code, _display) in ROUTES.items()}

# Units of one dose: a count of a dosage form (v3 orderable drug form) or a UCUM unit.
DOSE_FORMS = {"tablet": "TAB", "capsule": "CAP", "puff": "PUFF"}
DOSE_UCUM = {"mg": "mg", "g": "g", "ug": "ug", "mL": "mL", "IU": "[iU]"}
_UNIT_OF_CODE = {code: unit for unit, code in {**DOSE_FORMS, **DOSE_UCUM}.items()}

# timing.code (GTS abbreviations) as a number of times a day.
_PER_DAY = {"QD": 1, "BID": 2, "TID": 3, "QID": 4}
# timing.repeat.when (FHIR event timing) a dose may name.
WHEN = ("AC", "PC", "C", "ACM", "ACD", "ACV", "HS")

# What a dosage form (English, as the formulary names it) or a medicine's free text (Chinese
# or English) says of the route. An injection is subcutaneous, intramuscular or intravenous:
# only a coded route says which.
_FORM_ROUTES = (
    (("tablet", "capsule", "片", "胶囊", "口服"), "oral"),
    (("inhal", "吸入", "气雾"), "inhaled"),
)


@dataclass(frozen=True)
class Dose:
    """The structured part of one Dosage: ``frequency`` times every ``period`` ``period_unit``
    (d, wk, h), ``amount`` ``unit`` (tablet, capsule, puff, mg, g, ug, mL, IU) each time,
    ``when`` (FHIR event timing: AC, PC, C, ACM, ACD, ACV, HS), ``route`` (a key of
    :data:`ROUTES`), ``as_needed``."""

    route: str | None = None
    frequency: int | None = None
    period: float = 1
    period_unit: str = "d"
    amount: float | None = None
    unit: str | None = None
    when: tuple[str, ...] = field(default_factory=tuple)
    as_needed: bool = False

    def __post_init__(self) -> None:
        if self.route is not None and self.route not in ROUTES:
            raise ValueError(f"unknown route {self.route!r}")
        if self.unit is not None and self.unit not in _UNIT_OF_CODE.values():
            raise ValueError(f"unknown dose unit {self.unit!r}")
        if self.period_unit not in ("h", "d", "wk"):
            raise ValueError(f"unknown period unit {self.period_unit!r}")
        if any(w not in WHEN for w in self.when):
            raise ValueError(f"unknown event timing {self.when!r}")

    @property
    def empty(self) -> bool:
        return (self.route is None and self.frequency is None and self.amount is None
                and not self.when and not self.as_needed)  # fmt: skip

    def fhir(self, text: str) -> dict[str, Any]:
        """The FHIR Dosage: ``text`` (as written) with the structured parts."""
        out: dict[str, Any] = {"text": text}
        repeat: dict[str, Any] = {}
        if self.frequency is not None:
            repeat |= {"frequency": self.frequency, "period": self.period,
                       "periodUnit": self.period_unit}  # fmt: skip
        if self.when:
            repeat["when"] = list(self.when)
        if repeat:
            out["timing"] = {"repeat": repeat}
        if self.as_needed:
            out["asNeededBoolean"] = True
        if self.route is not None:
            code, display = ROUTES[self.route]
            out["route"] = {"coding": [{"system": SYS_SNOMED, "code": code, "display": display}]}
        if self.amount is not None and self.unit is not None:
            if self.unit in DOSE_FORMS:
                quantity = {"value": self.amount, "unit": self.unit, "system": SYS_DRUG_FORM,
                            "code": DOSE_FORMS[self.unit]}  # fmt: skip
            else:
                quantity = {"value": self.amount, "unit": self.unit, "system": SYS_UCUM,
                            "code": DOSE_UCUM[self.unit]}  # fmt: skip
            out["doseAndRate"] = [{"doseQuantity": quantity}]
        return out

    @classmethod
    def read(cls, dosage: dict[str, Any]) -> Dose:
        """The structured parts of a FHIR Dosage (what is not understood is left out)."""
        timing = dosage.get("timing") or {}
        repeat = timing.get("repeat") or {}
        frequency: int | None = None
        period: float = 1
        unit = "d"
        if repeat.get("frequency") is not None and repeat.get("periodUnit") in ("h", "d", "wk"):
            frequency = int(repeat["frequency"])
            period = float(repeat.get("period") or 1)
            unit = str(repeat["periodUnit"])
        else:
            for c in (timing.get("code") or {}).get("coding") or []:
                if c.get("system") == SYS_TIMING and c.get("code") in _PER_DAY:
                    frequency = _PER_DAY[str(c["code"])]
        amount: float | None = None
        dose_unit: str | None = None
        for rate in dosage.get("doseAndRate") or []:
            q = rate.get("doseQuantity") or {}
            code = str(q.get("code") or "")
            if q.get("value") is not None and code in _UNIT_OF_CODE:
                amount, dose_unit = float(q["value"]), _UNIT_OF_CODE[code]
                break
        when = tuple(str(w) for w in repeat.get("when") or [] if w in WHEN)
        return cls(route=route_of(dosage), frequency=frequency, period=period,
                   period_unit=unit, amount=amount, unit=dose_unit, when=when,
                   as_needed=bool(dosage.get("asNeededBoolean")))  # fmt: skip


def route_of(dosage: dict[str, Any]) -> str | None:
    """The key of :data:`ROUTES` a Dosage's route codes (SNOMED CT), else None."""
    for c in (dosage.get("route") or {}).get("coding") or []:
        if c.get("system") == SYS_SNOMED and str(c.get("code")) in _ROUTE_OF_CODE:
            return _ROUTE_OF_CODE[str(c["code"])]
    return None


def route_of_form(form: str) -> str | None:
    """The route a dosage form (or a medicine's free text: 片, 胶囊) implies: "oral" for a
    tablet or capsule, "inhaled" for an inhaler; None for anything else (an injection)."""
    low = (form or "").lower()
    if "inject" in low or "注射" in low:
        return None
    for words, route in _FORM_ROUTES:
        if any(w in low for w in words):
            return route
    return None
