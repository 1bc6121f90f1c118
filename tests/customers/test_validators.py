"""The VIN, plate and phone rules of the customer & vehicle file.

The VIN check digit is verified against a reference written here from the
standard (ISO 3779 / GB 16735), not against the application's own table.
"""

import pytest
from django.core.exceptions import ValidationError

from customers.validators import (
    normalize_phone,
    normalize_plate,
    normalize_vin,
    validate_phone,
    validate_plate,
    validate_vin,
    vin_with_check_digit,
)

# Transliteration of ISO 3779 as usually printed: a character's value is its
# index in this string modulo 10 (the dots stand for I, O, Q and unused slots).
REFERENCE_ALPHABET = "0123456789.ABCDEFGH..JKLMN.P.R..STUVWXYZ"
REFERENCE_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_ALLOWED = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def reference_value(char: str) -> int:
    return REFERENCE_ALPHABET.index(char) % 10


def reference_check_digit(vin: str) -> str:
    remainder = sum(reference_value(c) * w for c, w in zip(vin, REFERENCE_WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def error_code(validator, value: str) -> str:
    with pytest.raises(ValidationError) as caught:
        validator(value)
    return caught.value.code


# Published sample VINs (a North American example, Honda, Acura) and two seen
# on mainland cars: SAIC Volkswagen (LSV) and Changan Ford (LVS).
REAL_WORLD_VINS = [
    "1M8GDM9AXKP042788",
    "11111111111111111",
    "1HGCM82633A004352",
    "JH4KA7561PC008269",
    "LSVAM4187C2184847",
    "LVSHCAMB1CE054249",
]
# Chinese makers' WMIs (SAIC VW, FAW-VW, Geely, BYD, Great Wall) with a
# check digit filled in by the helper the seed data and factories use.
MADE_VINS = [
    vin_with_check_digit(v)
    for v in ["LSVAB2BM0PA000001", "LFV3A23C0M3012345", "L6T7844S0NN123456", "LGXC16DF0P0001234", "LGWEF4A50RF654321"]
]
A_VALID_VIN = "LSVAM4187C2184847"


@pytest.mark.parametrize("vin", REAL_WORLD_VINS + MADE_VINS)
def test_a_vin_with_the_right_check_digit_is_accepted(vin):
    assert vin[8] == reference_check_digit(vin)  # the sample itself is right by the standard
    validate_vin(vin)


@pytest.mark.parametrize("position", range(17))
def test_every_single_character_typo_that_changes_the_check_sum_is_rejected(position):
    original = A_VALID_VIN[position]
    tried = 0
    for char in VIN_ALLOWED:
        if char == original:
            continue
        if position != 8 and reference_value(char) == reference_value(original):
            continue  # e.g. A and J are both worth 1: no check digit can see that typo
        typo = A_VALID_VIN[:position] + char + A_VALID_VIN[position + 1 :]
        assert error_code(validate_vin, typo) == "vin_check_digit", typo
        tried += 1
    assert tried >= 28  # at least the digits and most letters were tried at this position


@pytest.mark.parametrize("letter", "IOQ")
@pytest.mark.parametrize("position", [0, 5, 11, 16])
def test_a_vin_with_i_o_or_q_is_rejected(letter, position):
    vin = A_VALID_VIN[:position] + letter + A_VALID_VIN[position + 1 :]
    assert error_code(validate_vin, vin) == "vin_letters"


@pytest.mark.parametrize("vin", ["", "LSVAM4187C218484", "LSVAM4187C21848470", "4187C2184847"])
def test_a_vin_of_the_wrong_length_is_rejected(vin):
    assert error_code(validate_vin, vin) == "vin_length"


def test_a_vin_with_punctuation_is_rejected():
    assert error_code(validate_vin, "LSVAM4187C218484*") == "vin_characters"


def test_a_vin_typed_in_lowercase_with_spaces_is_normalised_and_accepted():
    typed = " lsvam 4187c-2184847 "
    assert normalize_vin(typed) == A_VALID_VIN
    validate_vin(typed)


def test_the_check_digit_helper_produces_vins_the_standard_accepts():
    made = vin_with_check_digit("LFV3A23C5M3012345")  # a wrong 9th character on purpose
    assert made[:8] + made[9:] == "LFV3A23CM3012345"
    assert made[8] == reference_check_digit(made)


# Plates


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("京A12345", "京A12345"),
        ("粤B·D1234", "粤BD1234"),
        ("沪C 8K9L2", "沪C8K9L2"),
        ("苏e-12345", "苏E12345"),
        ("京AD12345", "京AD12345"),  # new-energy, small car
        ("沪A12345F", "沪A12345F"),  # new-energy, large vehicle
        ("京ad12345", "京AD12345"),
        ("川A1234学", "川A1234学"),
    ],
)
def test_a_mainland_plate_is_accepted_and_stored_in_its_canonical_form(typed, stored):
    validate_plate(typed)
    assert normalize_plate(typed) == stored


@pytest.mark.parametrize(
    ("plate", "code"),
    [
        ("A12345", "plate_province"),  # province character missing
        ("AB12345", "plate_province"),  # Latin only
        ("", "plate_province"),
        ("京I12345", "plate_format"),  # no I on plates
        ("京A1234O", "plate_format"),  # no O on plates
        ("京A1234", "plate_format"),  # too short
        ("京A1234567", "plate_format"),  # too long
        ("京AX12345", "plate_format"),  # 8 characters but not D/F: not new-energy
        ("京A1234D5", "plate_format"),
        ("京1A2345", "plate_format"),  # the issuing office is a letter
    ],
)
def test_something_that_is_not_a_mainland_plate_is_rejected(plate, code):
    assert error_code(validate_plate, plate) == code


# Phones


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086-13800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("199 1234 5678", "19912345678"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("(0755) 23456789", "0755-23456789"),
        ("0755-1234567", "0755-1234567"),
        ("021-62345678-801", "021-62345678-801"),  # with an extension
    ],
)
def test_a_mobile_or_landline_number_is_accepted_and_stored_in_its_canonical_form(typed, stored):
    validate_phone(typed)
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize(
    "phone",
    [
        "12345678901",  # no mobile number starts with 12
        "1380013800",  # one digit short
        "138001380001",  # one digit too many
        "12345",
        "110",
        "12-3456",
        "010-1234",  # local number too short
        "010-02345678",  # a local number never starts with 0
        "12345678",  # a landline without its area code
        "abc",
        "",
    ],
)
def test_a_number_that_is_neither_mobile_nor_landline_is_rejected(phone):
    assert error_code(validate_phone, phone) == "phone_format"
