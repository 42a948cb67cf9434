"""Shared wording of the clinic-side screens (chart, visit, consult wizard): vital sign names,
abnormal flags, urgencies, specialties, sex, dates, and a patient's one-line header. Every
string goes through Qt's translation; clinical content stays as recorded."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication

from clinic_app.records.masking import Field, masked_value
from clinic_app.records.orders import SPECIALTIES
from clinic_app.records.patient import age_on, display_name, latin_name
from clinic_app.records.vitals import VITALS, flag_of, vital_key
from ui.errors import tr_core

ABNORMAL = ("H", "L", "HH", "LL")
FLAG_COLOUR = "#b3261e"
NORMAL_COLOUR = "#1b7f3a"


def tr(text: str) -> str:
    return QCoreApplication.translate("clinical_text", text)


def vital_label(key: str) -> str:
    labels = {
        "systolic": tr("Systolic BP"),
        "diastolic": tr("Diastolic BP"),
        "heart_rate": tr("Heart rate"),
        "resp_rate": tr("Respiratory rate"),
        "temperature": tr("Temperature"),
        "spo2": tr("SpO₂"),
        "glucose_mmol": tr("Glucose"),
        "glucose_mgdl": tr("Glucose"),
        "hba1c": tr("HbA1c"),
        "hba1c_ifcc": tr("HbA1c"),
        "weight": tr("Weight"),
        "height": tr("Height"),
    }
    return labels.get(key, key)


def flag_text(flag: str | None) -> str:
    return {
        "H": tr("High"),
        "L": tr("Low"),
        "HH": tr("Critical high"),
        "LL": tr("Critical low"),
    }.get(flag or "", "")


def priority_label(code: str) -> str:
    return {
        "routine": tr("Routine"),
        "urgent": tr("Urgent"),
        "asap": tr("As soon as possible"),
        "stat": tr("Emergency (stat)"),
    }.get(code, code)


def specialty_label(code: str | None) -> str:
    return tr_core(SPECIALTIES.get(code or "", code or ""))


def sex_label(gender: str | None) -> str:
    return {
        "male": tr("Male"),
        "female": tr("Female"),
        "other": tr("Other"),
        "unknown": tr("Unknown"),
    }.get(gender or "unknown", tr("Unknown"))


def when_text(iso: str | None, with_time: bool = True) -> str:
    """An ISO date-time as local ``yyyy-mm-dd hh:mm`` (or the date alone)."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:16]
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def answer_text(value: Any) -> str:
    if isinstance(value, bool):
        return tr("Yes") if value else tr("No")
    return str(value)


def vital_value_text(obs: dict[str, Any]) -> str:
    """``150 mmHg`` with its flag, e.g. ``150 mmHg (High)``."""
    q = obs.get("valueQuantity") or {}
    value = q.get("value")
    key = vital_key(obs) or ""
    decimals = VITALS[key].decimals if key in VITALS else 1
    number = f"{value:.{decimals}f}" if isinstance(value, int | float) else str(value)
    unit = str(q.get("unit", ""))
    flag = flag_of(obs)
    text = tr("%1 %2 (%3)").replace("%3", flag_text(flag)) if flag else tr("%1 %2")
    return text.replace("%1", number).replace("%2", unit)


def fact_text(label: str, value: str) -> str:
    """``Label: value`` (the translation decides the colon, e.g. a full-width one)."""
    return tr("%1: %2").replace("%1", label).replace("%2", value)


def flagged_text(text: str, flag: str | None) -> str:
    """``text (High)`` when the reading is flagged, else ``text``."""
    if not flag:
        return text
    return tr("%1 (%2)").replace("%2", flag_text(flag)).replace("%1", text)


def reading_text(key: str, obs: dict[str, Any]) -> str:
    """``Heart rate 85 /min (High)``: a vital's name, value, unit and flag."""
    q = obs.get("valueQuantity") or {}
    value = q.get("value")
    number = f"{value:g}" if isinstance(value, int | float) else str(value)
    text = (
        tr("%1 %2 %3")
        .replace("%2", number)
        .replace("%3", str(q.get("unit", "")))
        .replace("%1", vital_label(key))
    )
    return flagged_text(text, flag_of(obs))


def patient_fact_fields(
    patient: dict[str, Any], today: date | None = None, shown: dict[Field, str] | None = None
) -> list[tuple[str, str, Field | None]]:
    """(label, value, maskable field) of a patient's header: pinyin, sex, age, ID number,
    phone. The ID number and phone are masked unless ``shown`` holds their full value (what
    the core's audited ``patients.reveal`` returned)."""
    age = age_on(patient, today or date.today())
    full = shown or {}
    return [
        (tr("Pinyin"), latin_name(patient), None),
        (tr("Sex"), sex_label(patient.get("gender")), None),
        (tr("Age"), "" if age is None else tr("%1 years").replace("%1", str(age)), None),
        (tr("ID number"), full.get("resident_id") or masked_value(patient, "resident_id"),
         None if "resident_id" in full else "resident_id"),
        (tr("Phone"), full.get("phone") or masked_value(patient, "phone"),
         None if "phone" in full else "phone"),
    ]  # fmt: skip


def patient_facts(
    patient: dict[str, Any], today: date | None = None, shown: dict[Field, str] | None = None
) -> list[tuple[str, str]]:
    """(label, value) pairs of a patient's header, ID number and phone masked (see
    :func:`patient_fact_fields`)."""
    return [(label, value) for label, value, _ in patient_fact_fields(patient, today, shown)]


def patient_name(patient: dict[str, Any]) -> str:
    return display_name(patient)
