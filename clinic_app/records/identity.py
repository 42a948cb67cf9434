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


# Full-width digits, X, +, - and parentheses, as a Chinese input method types them.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＸ＋－（）　", "0123456789XxX+-() ")
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")


def normalize_resident_id(text: str) -> str:
    """Full-width digits (typed with a Chinese input method) become ASCII; spaces go."""
    return text.translate(_FULL_WIDTH).strip().replace(" ", "").upper()


def validate_resident_id(text: str, field: str = "resident_id") -> tuple[str, date, str]:
    """Check an 18-character resident ID; returns (normalized, birth date, gender)."""
    value = normalize_resident_id(text)
    if len(value) == 15 and value.isdigit():
        raise ValidationError(field, "Old 15-digit ID: please enter the 18-character ID.")
    if not _ID_SHAPE.match(value):
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


def is_mobile(phone: str) -> bool:
    return bool(_MOBILE.match(phone))


def make_resident_id(region: str, born: date, sequence: int) -> str:
    """Build a valid ID (used by demo data and tests): region 6 digits, sequence 0-999."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def normalize_phone(text: str, field: str = "phone") -> str:
    """Digits only, national form: mobile ``1xxxxxxxxxx`` or landline ``0<area><number>``."""
    digits = re.sub(r"[\s\-()]", "", text.translate(_FULL_WIDTH).strip())
    international = False
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            international = True
            break
    if _MOBILE.match(digits):
        return digits
    if international and not digits.startswith("0"):
        digits = "0" + digits  # +86 drops the trunk 0 of the area code
    if _LANDLINE.match(digits):
        return digits
    raise ValidationError(
        field, "Enter a mobile number (11 digits, starting with 1) or a landline with area code."
    )
