"""National identifier checks: GB 11643 resident ID numbers, GB 32100 credit codes.

The database holds the same checks (``gb11643_valid``); these exist so that callers get
a message naming exactly what is wrong before a row is ever written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def gb11643_check_char(body: str) -> str:
    """Check character for the first 17 digits of a resident ID number (ISO 7064 MOD 11-2)."""
    if len(body) != 17 or not body.isdigit():
        raise ValueError("the body of an ID number is 17 digits")
    return _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    gender: str  # "male" | "female", as the gender enum spells it


def parse_resident_id(number: str) -> ResidentId:
    """Parse and check an 18-character resident ID number; ValueError says what is wrong."""
    if len(number) != 18:
        raise ValueError(f"an ID number has 18 characters, this one has {len(number)}")
    body, check = number[:17], number[17]
    if not body.isdigit() or not (check.isdigit() or check == "X"):
        raise ValueError("an ID number is 17 digits followed by a digit or X")
    try:
        birth = dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise ValueError(f"characters 7-14 ({body[6:14]}) are not a real birth date") from None
    if birth.year < 1880:
        raise ValueError(f"birth year {birth.year} is not plausible")
    expected = gb11643_check_char(body)
    if check != expected:
        raise ValueError(f"check character is {check}, expected {expected}")
    return ResidentId(number, birth, "male" if int(body[16]) % 2 else "female")


def make_resident_id(region: str, birth: dt.date, sequence: int, gender: str) -> str:
    """Build a valid ID number (demo data and tests): region 6 digits, sequence 0-99."""
    if len(region) != 6 or not region.isdigit() or not 0 <= sequence <= 99:
        raise ValueError("region is 6 digits and sequence 0-99")
    gender_digit = (sequence % 5) * 2 + (1 if gender == "male" else 0)
    body = f"{region}{birth:%Y%m%d}{sequence:02d}{gender_digit}"
    return body + gb11643_check_char(body)


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def gb32100_check_char(body: str) -> str:
    """Check character for the first 17 characters of a unified social credit code."""
    if len(body) != 17 or any(c not in _USCC_ALPHABET for c in body):
        raise ValueError("the body of a credit code is 17 characters of 0-9A-Y without I O S V Z")
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def gb32100_valid(code: str) -> bool:
    try:
        return len(code) == 18 and gb32100_check_char(code[:17]) == code[17]
    except ValueError:
        return False
