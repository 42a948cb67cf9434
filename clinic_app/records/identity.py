"""Validation of mainland China resident ID numbers (GB 11643-1999) and phone numbers."""

from __future__ import annotations

import re
from datetime import date

from clinic_app.errors import ValidationError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalize_resident_id(text: str) -> str:
    return text.strip().replace(" ", "").upper()


def validate_resident_id(text: str, field: str = "resident_id") -> tuple[str, date, str]:
    """Check an 18-character resident ID; returns (normalized, birth date, gender)."""
    value = normalize_resident_id(text)
    if len(value) == 15 and value.isdigit():
        raise ValidationError(field, "Old 15-digit ID: please enter the 18-character ID.")
    if (
        len(value) != 18
        or not value[:17].isdigit()
        or not (value[17].isdigit() or value[17] == "X")
    ):
        raise ValidationError(field, "An ID number has 17 digits and a final digit or X.")
    if value[:2] in ("00", "10", "20", "30", "40", "50", "60", "70", "80", "90"):
        raise ValidationError(field, "The ID number does not start with a valid region code.")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(field, "The ID number holds an impossible birth date.") from None
    if born > date.today() or born.year < 1880:
        raise ValidationError(field, "The ID number holds an impossible birth date.")
    if id_check_char(value[:17]) != value[17]:
        raise ValidationError(field, "The ID number's check digit is wrong; please re-check it.")
    gender = "male" if int(value[16]) % 2 == 1 else "female"
    return value, born, gender


def make_resident_id(region: str, born: date, sequence: int) -> str:
    """Build a valid ID (used by demo data and tests): region 6 digits, sequence 0-999."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def normalize_phone(text: str, field: str = "phone") -> str:
    digits = re.sub(r"[\s\-()]", "", text.strip())
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    raise ValidationError(
        field, "Enter a mobile number (11 digits, starting with 1) or a landline with area code."
    )
