"""Resident ID numbers (GB 11643-1999), what PatientInput derives from them, and phone numbers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clinic_app.errors import ValidationError
from clinic_app.records.common import SYS_RESIDENT_ID
from clinic_app.records.identity import (
    id_check_char,
    make_resident_id,
    normalize_phone,
    validate_resident_id,
)
from clinic_app.records.patient import PatientInput, phone_of, resident_id_of

# Published examples with a correct check character (GB 11643-1999 worked examples).
KNOWN_VALID = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("rid", KNOWN_VALID)
def test_known_valid_ids(rid):
    value, born, gender = validate_resident_id(rid)
    assert value == rid
    assert born == date(int(rid[6:10]), int(rid[10:12]), int(rid[12:14]))
    assert gender == ("male" if int(rid[16]) % 2 else "female")


def test_check_character_computation():
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("44052418800101001") == "4"


def test_ids_made_by_make_resident_id_validate_including_x(b):
    born = date(1990, 1, 1)
    seen_x = seen_digit = False
    for seq in range(60):
        rid = make_resident_id("530627", born, seq)
        assert len(rid) == 18
        value, got_born, gender = validate_resident_id(rid)
        assert value == rid and got_born == born
        assert gender == ("male" if seq % 2 else "female")
        seen_x |= rid.endswith("X")
        seen_digit |= rid[-1].isdigit()
    assert seen_x and seen_digit, "the sample should contain IDs ending in X and in a digit"


def test_x_may_be_typed_lower_case_and_with_spaces(b):
    rid = b.resident_id(date(1985, 6, 15), male=False, ends_with_x=True)
    assert rid.endswith("X")
    typed = f" {rid[:6]} {rid[6:14]} {rid[14:].lower()} "
    value, born, gender = validate_resident_id(typed)
    assert value == rid
    assert born == date(1985, 6, 15)
    assert gender == "female"


def test_wrong_check_digit_is_rejected(b):
    rid = b.resident_id(date(1970, 3, 9), male=True)
    wrong = rid[:17] + ("0" if rid[17] != "0" else "1")
    with pytest.raises(ValidationError) as err:
        validate_resident_id(wrong)
    assert err.value.field == "resident_id"
    assert "check digit" in str(err.value)
    assert wrong not in str(err.value)


@pytest.mark.parametrize(
    "born_digits",
    ["19900230", "19901301", "19900001", "19900100", "18790101", "21000101"],
    ids=["feb30", "month13", "month0", "day0", "before1880", "future"],
)
def test_impossible_birth_dates_are_rejected(born_digits):
    first17 = f"110101{born_digits}001"
    rid = first17 + id_check_char(first17)  # a correct check digit: only the date is wrong
    with pytest.raises(ValidationError) as err:
        validate_resident_id(rid)
    assert err.value.field == "resident_id"
    assert "birth date" in str(err.value)


def test_birth_date_tomorrow_is_rejected():
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(ValidationError):
        validate_resident_id(make_resident_id("110101", tomorrow, 1))


def test_old_15_digit_id_gets_its_own_message():
    with pytest.raises(ValidationError) as err:
        validate_resident_id("110105491231002")
    assert err.value.field == "resident_id"
    assert "15-digit" in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1101051949123100",  # 16
        "1101051949123100201",  # 19
        "11010519491231002Y",
        "1101051949123A002X",
        "X10105194912310021",
        "11010519491231002-",
        "110105-19491231002X",
    ],
)
def test_wrong_length_or_characters_are_rejected(text):
    with pytest.raises(ValidationError) as err:
        validate_resident_id(text, field="id_number")
    assert err.value.field == "id_number"


def test_region_code_with_zero_second_digit_is_rejected():
    first17 = "10010519491231002"
    with pytest.raises(ValidationError) as err:
        validate_resident_id(first17 + id_check_char(first17))
    assert "region" in str(err.value)


def test_non_ascii_digit_gives_validation_error_not_a_crash():
    # str.isdigit() accepts '²', but int('²') fails: must still be a ValidationError for the user.
    rid = "1101051949123100" + "²" + "X"
    with pytest.raises(ValidationError):
        validate_resident_id(rid)


# ------------------------------------------------------------------- PatientInput.validate --
def test_patient_input_derives_birth_date_and_gender_from_id(b):
    rid = b.resident_id(date(1962, 11, 30), male=True)
    data = PatientInput("王", "小明", resident_id=rid.lower())
    data.validate()
    assert data.birth_date == date(1962, 11, 30)
    assert data.gender == "male"
    res = data.to_fhir()
    assert res["birthDate"] == "1962-11-30"
    assert res["gender"] == "male"
    assert resident_id_of(res) == rid
    assert res["identifier"][0]["system"] == SYS_RESIDENT_ID


def test_patient_input_with_matching_birth_date_and_gender_is_accepted(b):
    rid = b.resident_id(date(2001, 2, 28), male=False, ends_with_x=True)
    data = PatientInput("李", "娜", gender="female", birth_date=date(2001, 2, 28), resident_id=rid)
    data.validate()
    assert data.resident_id == rid


def test_birth_date_mismatch_names_birth_date_field(b):
    rid = b.resident_id(date(1980, 5, 1), male=True)
    data = PatientInput("张", "伟", birth_date=date(1980, 5, 2), resident_id=rid)
    with pytest.raises(ValidationError) as err:
        data.validate()
    assert err.value.field == "birth_date"


def test_gender_mismatch_names_gender_field(b):
    rid = b.resident_id(date(1980, 5, 1), male=True)
    data = PatientInput("张", "伟", gender="female", resident_id=rid)
    with pytest.raises(ValidationError) as err:
        data.validate()
    assert err.value.field == "gender"


def test_bad_id_in_patient_input_names_resident_id_field(b):
    rid = b.resident_id(date(1980, 5, 1), male=True)
    data = PatientInput("张", "伟", resident_id=rid[:17] + ("1" if rid[17] != "1" else "2"))
    with pytest.raises(ValidationError) as err:
        data.validate()
    assert err.value.field == "resident_id"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"family": " ", "given": ""}, "family"),
        ({"family": "王", "given": "明", "gender": "robot"}, "gender"),
        (
            {"family": "王", "given": "明", "birth_date": date.today() + timedelta(days=1)},
            "birth_date",
        ),
        ({"family": "王", "given": "明", "phone": "12345"}, "phone"),
    ],
)
def test_patient_input_names_the_bad_field(kwargs, field):
    with pytest.raises(ValidationError) as err:
        PatientInput(**kwargs).validate()
    assert err.value.field == field


# -------------------------------------------------------------------------------- phones --
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("010-12345678", "01012345678"),
        ("(010) 1234-5678", "01012345678"),
        ("0871-6512345", "08716512345"),
        ("0755 8888 6666", "075588886666"),
    ],
)
def test_phone_normalisation(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", ["+86 10 1234 5678", "+86-871-6512345"])
def test_international_landline_is_accepted_with_trunk_zero(typed):
    # +86 drops the domestic trunk prefix 0 of a landline: +86 10 ... is Beijing 010-....
    assert normalize_phone(typed) == "0" + typed.replace("+86", "").replace(" ", "").replace(
        "-", ""
    )


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12345",
        "1381234567",
        "138123456789",
        "23812345678",
        "12812345678",
        "abc",
        "010-1234",
        "138.1234.5678",
        "+1 415 555 0100",
    ],
)
def test_phone_rejection(typed):
    with pytest.raises(ValidationError) as err:
        normalize_phone(typed, field="mobile")
    assert err.value.field == "mobile"


def test_patient_phone_is_stored_normalised():
    res = PatientInput("王", "小明", phone="+86 139-0000-1111").to_fhir()
    assert phone_of(res) == "13900001111"
    assert res["telecom"][0]["use"] == "mobile"


def test_landline_is_not_marked_as_mobile():
    res = PatientInput("王", "小明", phone="010-12345678").to_fhir()
    assert phone_of(res) == "01012345678"
    assert res["telecom"][0].get("use") != "mobile"
