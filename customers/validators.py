"""Validators for the customer & vehicle file: VIN, mainland plates, phones.

Each normaliser returns the canonical form that is stored and searched; each
validator raises ValidationError with a message that says what is wrong.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# ISO 3779 / GB 16735: letters to values (I, O and Q never occur) and the
# weight of each position; position 9 holds the check digit.
VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def normalize_vin(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def vin_check_digit(vin: str) -> str:
    total = sum(VIN_VALUES[c] * w for c, w in zip(vin, VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate_vin(value: str) -> None:
    vin = normalize_vin(value)
    if len(vin) != 17:
        raise ValidationError(
            _("A VIN has 17 characters; this one has %(count)d."), code="vin_length", params={"count": len(vin)}
        )
    if any(c in "IOQ" for c in vin):
        raise ValidationError(_("A VIN never contains the letters I, O or Q."), code="vin_letters")
    if not VIN_RE.match(vin):
        raise ValidationError(_("A VIN contains only letters and digits."), code="vin_characters")
    expected = vin_check_digit(vin)
    if vin[8] != expected:
        raise ValidationError(
            _(
                "The VIN's check digit (9th character) is %(found)s but should be %(expected)s: please check for a typo."
            ),
            code="vin_check_digit",
            params={"found": vin[8], "expected": expected},
        )


# Mainland plates: province character, issuing-office letter, then five
# characters (ordinary) or six (new-energy, with D/F for the energy type).
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_L = "A-HJ-NP-Z"  # letters used on plates: no I or O
PLATE_ORDINARY_RE = re.compile(rf"^[{PROVINCES}][{_L}][{_L}0-9]{{4}}[{_L}0-9挂学警]$")
PLATE_NEW_ENERGY_RE = re.compile(rf"^[{PROVINCES}][{_L}](?:[DF][{_L}0-9][0-9]{{4}}|[0-9]{{5}}[DF])$")


def normalize_plate(value: str) -> str:
    return re.sub(r"[\s·•.\-]", "", value or "").upper()


def validate_plate(value: str) -> None:
    plate = normalize_plate(value)
    if not plate or plate[0] not in PROVINCES:
        raise ValidationError(_("A plate starts with the province character, e.g. 京 or 粤."), code="plate_province")
    if PLATE_ORDINARY_RE.match(plate) or PLATE_NEW_ENERGY_RE.match(plate):
        return
    raise ValidationError(
        _(
            "“%(plate)s” is not a mainland plate: province character, a letter, then 5 letters or digits "
            "(new-energy plates: 6, with D or F)."
        ),
        code="plate_format",
        params={"plate": plate},
    )


MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# The local number never starts with 0 (that would be a trunk prefix); the
# message's own example, 010-12345678, must pass.
LANDLINE_RE = re.compile(r"^0[1-9][0-9]{1,2}-[1-9][0-9]{6,7}(?:-[0-9]{1,6})?$")


def normalize_phone(value: str) -> str:
    """Mobiles become 11 digits; landlines become area-number(-extension)."""
    raw = re.sub(r"[\s()（）]", "", value or "")
    raw = re.sub(r"^(?:\+86|0086)-?", "", raw)
    digits = raw.replace("-", "")
    if MOBILE_RE.match(digits):
        return digits
    if raw.startswith("0") and "-" not in raw and digits.isdigit():
        # 01012345678 or 075512345678: area codes of 3 digits start with 01/02.
        area = 3 if raw[1] in "12" else 4
        return f"{digits[:area]}-{digits[area:]}"
    return raw


def validate_phone(value: str) -> None:
    phone = normalize_phone(value)
    if MOBILE_RE.match(phone) or LANDLINE_RE.match(phone):
        return
    raise ValidationError(
        _(
            "Enter a mainland mobile number (11 digits starting 13–19) or a landline with its area code, e.g. 010-12345678."
        ),
        code="phone_format",
    )


def vin_with_check_digit(vin: str) -> str:
    """The same VIN with its 9th character set to the correct check digit."""
    vin = normalize_vin(vin)
    return vin[:8] + vin_check_digit(vin[:8] + "0" + vin[9:]) + vin[9:]
