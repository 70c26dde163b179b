"""Resident ID numbers and phone numbers for demo residents, unique across the county."""

from __future__ import annotations

import datetime as dt
import random

_MOBILE_PREFIXES = (
    *("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152"),
    *("155", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "186"),
    *("187", "188", "189", "198", "199"),
)
# GB 11643, as validation.ids has them; the tests check every number against that
# module and against the database's gb11643_valid.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _weighted_sum(digits: str, offset: int) -> int:
    return sum(int(c) * w for c, w in zip(digits, _ID_WEIGHTS[offset:], strict=False))


def _phone_rate(age: int) -> float:
    # Children have none; the very old often only the landline.
    if age < 12:
        return 0.0
    if age < 18:
        return 0.85
    if age < 65:
        return 0.99
    return 0.93 if age < 80 else 0.7


class NumberMaker:
    """Hands out ID numbers (never one in ``taken_ids``, which it extends) and phones."""

    def __init__(self, rng: random.Random, taken_ids: set[str]) -> None:
        self._rng = rng
        self._taken_ids = taken_ids
        self._phones: set[str] = set()
        self._region_sums: dict[str, int] = {}
        self._date_sums: dict[dt.date, tuple[str, int]] = {}

    def resident_id(self, region: str, birth: dt.date, gender: str) -> tuple[str, dt.date]:
        """An unused ID number and the birth date it encodes (moved a day in the rare
        case that every sequence number of that day is taken).

        validation.ids.make_resident_id's arithmetic, with the region's and the date's
        weighted sums cached: calling it per resident made it the hottest line of
        generation.
        """
        region_sum = self._region_sums.get(region)
        if region_sum is None:
            region_sum = self._region_sums[region] = _weighted_sum(region, 0)
        date = self._date_sums.get(birth)
        if date is None:
            text = f"{birth:%Y%m%d}"
            date = self._date_sums[birth] = (text, _weighted_sum(text, 6))
        prefix = region + date[0]
        partial = region_sum + date[1]
        male = gender == "male"
        sequence = int(self._rng.random() * 100)
        for _ in range(100):
            tens, ones = divmod(sequence, 10)
            digit = (sequence % 5) * 2 + male
            number = f"{prefix}{sequence:02d}{digit}"
            number += _ID_CHECK[(partial + 8 * tens + 4 * ones + 2 * digit) % 11]
            if number not in self._taken_ids:
                self._taken_ids.add(number)
                return number, birth
            sequence = (sequence + 1) % 100
        return self.resident_id(region, birth - dt.timedelta(days=1), gender)

    def phone(self, age: int) -> str | None:
        rng = self._rng
        if rng.random() >= _phone_rate(age):
            if age >= 65 and rng.random() < 0.3:
                return f"028-8{int(rng.random() * 1e7):07d}"  # the old landline
            return None
        while True:
            phone = rng.choice(_MOBILE_PREFIXES) + f"{int(rng.random() * 1e8):08d}"
            if phone not in self._phones:
                self._phones.add(phone)
                return phone
