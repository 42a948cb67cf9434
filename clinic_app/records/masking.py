"""Masking identifiers on screen: a resident ID shows its region and last four characters
(``110101********1234``), a phone its first three and last four digits (``138****5678``).

Pure functions, no Qt and no store: lists, charts and the central desk mask the same way. The
full value is shown only when a person asks for it, and that request is audited
(:meth:`clinic_app.domains.patients.Patients.reveal`).
"""

from __future__ import annotations

from typing import Literal

from clinic_app.records.common import Resource
from clinic_app.records.patient import phone_of, resident_id_of

MASK = "*"
Field = Literal["resident_id", "phone"]
FIELDS: tuple[Field, ...] = ("resident_id", "phone")


def mask_resident_id(value: str) -> str:
    """The first six (region) and last four characters kept, the rest (birth date, sequence)
    masked; a short or odd value keeps only its last two characters."""
    value = value.strip()
    if len(value) >= 12:
        return value[:6] + MASK * (len(value) - 10) + value[-4:]
    if len(value) > 2:
        return MASK * (len(value) - 2) + value[-2:]
    return MASK * len(value)


def mask_phone(value: str) -> str:
    """The first three and last four digits kept, digits between masked; separators (``-``,
    spaces, ``+``) stay where they are. Numbers under eight digits keep their last two."""
    value = value.strip()
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    hidden = set(digits[3:-4]) if len(digits) >= 8 else set(digits[:-2])
    return "".join(MASK if i in hidden else ch for i, ch in enumerate(value))


def field_value(patient: Resource, field: Field) -> str:
    """The patient's full resident ID or phone ("" when there is none)."""
    if field == "resident_id":
        return resident_id_of(patient) or ""
    if field == "phone":
        return phone_of(patient) or ""
    raise ValueError(f"not a maskable field: {field}")


def masked_value(patient: Resource, field: Field) -> str:
    """The patient's resident ID or phone as shown before anyone reveals it."""
    value = field_value(patient, field)
    if not value:
        return ""
    return mask_resident_id(value) if field == "resident_id" else mask_phone(value)
