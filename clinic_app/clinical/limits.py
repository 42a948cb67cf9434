"""Plausibility limits of vital signs, declared once per LOINC code and UCUM unit, with the
source each is taken from.

A value outside its limits is not a finding but a typing or reading error, and is refused
(``clinic_app.records.vitals.normalize_value`` raises a ValidationError naming the range).
**Both bounds are included**: ``low <= value <= high`` is accepted, so heart rate 250 /min is
taken and 251 refused. A value inside the limits but outside the reference range is accepted
and flagged (H/L, HH/LL: ``VitalSpec.normal`` and ``critical``).

These are data-entry rules for adults and children in a community clinic, not clinical
thresholds; they are wide on purpose (a true extreme must never be refused) and bounded by what
the clinic's instruments can report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    loinc: str
    ucum: str
    low: float
    high: float
    source: str

    def accepts(self, value: float) -> bool:
        """True when ``value`` is within the limits (both bounds included)."""
        return self.low <= value <= self.high


_IEC_ECG = (
    "IEC 60601-2-27 (ECG monitors): the heart-rate range a monitor must report is 30-200 /min "
    "for adults and up to 250 /min for neonates and children; a pulse counted by hand or an "
    "oximeter (ISO 80601-2-61, pulse-rate range typically 25-250 /min) reports no more. A "
    "higher ventricular rate is an arrhythmia read from an ECG, not a vital sign typed in. "
    "Low bound: complete heart block escape rhythms (20 /min)."
)
_BP = (
    "IEC 80601-2-30 / ISO 81060-2 (automated sphygmomanometers): cuff pressure is measured over "
    "0-300 mmHg, so no device reports a systolic pressure above 300; lower bounds leave room "
    "for shock (systolic 40, diastolic 20)."
)
_THERMO = (
    "ISO 80601-2-56 (clinical thermometers): the rated range must cover at least 35.5-42.0 "
    "°C; 30-45 °C leaves room for severe hypothermia and heat stroke. 50 °C is not a body "
    "temperature."
)
_SPO2 = (
    "ISO 80601-2-61 (pulse oximeters): SpO2 is a fraction of haemoglobin, 100 % at most by "
    "definition; readings below 50 % are outside every oximeter's stated accuracy (70-100 %)."
)
_RR = "WHO IMCI counts breaths for a full minute; 4-80 /min covers apnoea to neonatal tachypnoea."
_GLUCOSE = (
    "Point-of-care glucose meters (ISO 15197) report about 0.6-33.3 mmol/L (10-600 mg/dL); "
    "laboratory values in hyperosmolar states reach 50 mmol/L (900 mg/dL)."
)
_HBA1C = (
    "HbA1c is reported as an NGSP/DCCT percentage or in IFCC units (mmol/mol), related by the "
    "IFCC-NGSP master equation NGSP % = 0.09148 x IFCC + 2.152 (Hoelzel W et al., Clin Chem "
    "2004;50:166-174). Certified laboratory and point-of-care methods report values of about "
    "4-14 %; 3-20 % (9-195 mmol/mol) leaves room for haemolytic anaemia below and extreme "
    "chronic hyperglycaemia above. A value outside is a typing error, not a glycated fraction."
)
_BODY = (
    "Body weight 0.3-400 kg (a preterm newborn to the heaviest adults) and height 20-260 cm; "
    "weighing scales for clinics (OIML R 76) read within these ranges."
)

LIMITS: dict[tuple[str, str], Limit] = {
    (lim.loinc, lim.ucum): lim
    for lim in (
        Limit("8480-6", "mm[Hg]", 40, 300, _BP),  # systolic blood pressure
        Limit("8462-4", "mm[Hg]", 20, 200, _BP),  # diastolic blood pressure
        Limit("8867-4", "/min", 20, 250, _IEC_ECG),  # heart rate
        Limit("9279-1", "/min", 4, 80, _RR),  # respiratory rate
        Limit("8310-5", "Cel", 30, 45, _THERMO),  # body temperature
        Limit("2708-6", "%", 50, 100, _SPO2),  # oxygen saturation
        Limit("15074-8", "mmol/L", 0.5, 50, _GLUCOSE),  # glucose, molar
        Limit("2339-0", "mg/dL", 10, 900, _GLUCOSE),  # glucose, mass
        Limit("4548-4", "%", 3, 20, _HBA1C),  # haemoglobin A1c, NGSP/DCCT
        Limit("59261-8", "mmol/mol", 9, 195, _HBA1C),  # haemoglobin A1c, IFCC
        Limit("29463-7", "kg", 0.3, 400, _BODY),  # body weight
        Limit("8302-2", "cm", 20, 260, _BODY),  # body height
    )
}


def limit(loinc: str, ucum: str) -> Limit:
    """The limits of a vital sign in its stored unit; KeyError when none is declared."""
    return LIMITS[(loinc, ucum)]
