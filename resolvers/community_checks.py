"""Checks on the input of household and resident mutations, and the lookups they need.

Every check adds what is wrong to ``Problems`` (code, message, input path) rather than
stopping at the first, so a form can show all problems at once. The rules are the
database's constraints (db/migrations/versions/0001_community_graph.py), which stay the
backstop.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from strawberry import UNSET, relay

from db import community_writes as writes
from validation.ids import ResidentId, parse_resident_id

Record = asyncpg.Record

# The same rules as the database's checks (db/migrations/versions/0001_community_graph.py).
HOUSEHOLD_AREA_LEVELS = ("compound", "building")
PHONE = re.compile(r"1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}")
EARLIEST_BIRTH = dt.date(1880, 1, 1)
NAME_MAX = 64
ADDRESS_PART_MAX = 20
MAX_KEY = 2**63 - 1

# Every code a mutation can report; the schema's UserErrorCode enum mirrors this list.
CODES = (
    "INVALID_INPUT",
    "INVALID_ID_NUMBER",
    "ID_NUMBER_MISMATCH",
    "DUPLICATE_ID_NUMBER",
    "INVALID_PHONE",
    "UNKNOWN_AREA",
    "WRONG_AREA_LEVEL",
    "ADDRESS_TAKEN",
    "SECOND_HEAD",
    "NO_HEAD",
    "NOT_A_MEMBER",
    "NOT_FOUND",
    "FORBIDDEN",
    "STALE",
)

# Roles that change households and residents (within their area; the database enforces
# the area, this list spares the others a half-run mutation).
WRITER_ROLES = ("admin", "officer", "community_worker", "grid_worker")

# Messages for violations only the database caught (a concurrent write, usually). The
# database's own text names constraints and relations, which is not for end users.
BACKSTOP_MESSAGES = {
    "INVALID_ID_NUMBER": "not a valid resident ID number (GB 11643)",
    "ID_NUMBER_MISMATCH": "birth date and gender must match the ID number",
    "DUPLICATE_ID_NUMBER": "this ID number is already registered to another resident",
    "INVALID_PHONE": "not a mobile or landline phone number",
    "UNKNOWN_AREA": "the area no longer exists",
    "ADDRESS_TAKEN": "another household was registered at this address in the meantime",
    "SECOND_HEAD": "the household would have two heads; hand headship over with setHouseholdHead",
    "NO_HEAD": "the household would be left without exactly one head",
    "NOT_FOUND": "the household no longer exists",
    "INVALID_INPUT": "the value is out of the accepted range",
}

# Fields of a resident's own data: the ones a nested input path is put in front of.
RESIDENT_FIELDS = frozenset(
    {"name", "idNumber", "phone", "birthDate", "gender", "livesHere", "registeredHere"}
)


@dataclass(frozen=True)
class Problem:
    """An expected failure: a code a frontend can branch on, a message, the input path."""

    code: str
    message: str
    field: str | None = None


Outcome = Record | list[Problem]


class Problems(list[Problem]):
    def add(self, code: str, message: str, field: str | None = None) -> None:
        assert code in CODES, code
        self.append(Problem(code, message, field))

    def refuse_if_any(self) -> None:
        if self:
            raise Refused(list(self))


class Refused(Exception):
    """Raised inside the transaction to roll it back and report the problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


# -- checks on values ------------------------------------------------------------------


def input_path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def is_given(value: Any) -> bool:
    return value is not UNSET


def db_label(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def db_labels(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(db_label(v) for v in values))  # in order, repeats dropped


def blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_key(value: str, type_name: str, field: str, problems: Problems) -> int | None:
    """The database key in a Relay global id of ``type_name``; NOT_FOUND for anything else."""
    try:
        gid = relay.GlobalID.from_id(value)
    except ValueError:
        problems.add("NOT_FOUND", f"{value!r} is not an id this service issued", field)
        return None
    if gid.type_name != type_name:
        problems.add(
            "NOT_FOUND", f"{value} is the id of a {gid.type_name}, not of a {type_name}", field
        )
        return None
    try:
        key = int(gid.node_id)
    except ValueError:
        key = 0
    if not 0 < key <= MAX_KEY:
        problems.add("NOT_FOUND", f"{value} is not a valid {type_name} id", field)
        return None
    return key


def global_id(type_name: str, key: int) -> str:
    return relay.to_base64(type_name, key)


def check_name(value: str | None, field: str, problems: Problems) -> str | None:
    name = blank_to_none(value)
    if name is None:
        problems.add("INVALID_INPUT", "a name is required", field)
    elif len(name) > NAME_MAX:
        problems.add(
            "INVALID_INPUT", f"a name has at most {NAME_MAX} characters, not {len(name)}", field
        )
    return name


@dataclass(frozen=True)
class IdNumber:
    number: str | None  # None: no ID number
    parsed: ResidentId | None = None  # None when absent or invalid
    bad: bool = False


def check_id_number(value: str | None, field: str, problems: Problems) -> IdNumber:
    """A given ID number, trimmed and with a lower-case x accepted; blank means none."""
    number = blank_to_none(value)
    if number is None:
        return IdNumber(None)
    number = number.upper()
    try:
        parsed = parse_resident_id(number)
    except ValueError as exc:
        problems.add("INVALID_ID_NUMBER", f"invalid ID number: {exc}", field)
        return IdNumber(number, bad=True)
    if parsed.birth_date > dt.date.today():
        problems.add(
            "INVALID_ID_NUMBER",
            f"invalid ID number: its birth date {parsed.birth_date} is in the future",
            field,
        )
        return IdNumber(number, bad=True)
    return IdNumber(number, parsed)


def stored_id_number(number: str | None) -> IdNumber:
    if number is None:
        return IdNumber(None)
    try:
        return IdNumber(number, parse_resident_id(number))
    except ValueError:  # the database's rule accepted it; nothing to derive from
        return IdNumber(number)


def check_phone(value: str | None, field: str, problems: Problems) -> str | None:
    """A phone number without spaces; blank means none."""
    phone = blank_to_none(value)
    if phone is None:
        return None
    phone = re.sub(r"\s+", "", phone)
    if not PHONE.fullmatch(phone):
        problems.add(
            "INVALID_PHONE",
            f"{phone!r} is neither a mobile number (11 digits, starting 13-19) nor a landline "
            "number (0, a 2-3 digit area code, an optional '-', 7-8 digits)",
            field,
        )
    return phone


def birth_and_gender(
    problems: Problems,
    prefix: str,
    id_number: IdNumber,
    birth: dt.date | None,
    gender: str | None,
    stored: tuple[dt.date, str] | None = None,
) -> tuple[dt.date | None, str | None]:
    """Birth date and gender: from the ID number when there is one (the given ones must
    agree), else the given ones, else the stored ones."""
    birth_field, gender_field = input_path(prefix, "birthDate"), input_path(prefix, "gender")
    if birth is not None:
        if birth < EARLIEST_BIRTH:
            problems.add("INVALID_INPUT", f"birth date {birth} is before 1880", birth_field)
        elif birth > dt.date.today():
            problems.add("INVALID_INPUT", f"birth date {birth} is in the future", birth_field)
    parsed = id_number.parsed
    if parsed is not None:
        if birth is not None and birth != parsed.birth_date:
            problems.add(
                "ID_NUMBER_MISMATCH",
                f"birth date {birth} does not match the ID number, which gives {parsed.birth_date}",
                birth_field,
            )
        if gender is not None and gender != parsed.gender:
            problems.add(
                "ID_NUMBER_MISMATCH",
                f"gender {gender.upper()} does not match the ID number, whose 17th digit "
                f"gives {parsed.gender.upper()}",
                gender_field,
            )
        return parsed.birth_date, parsed.gender
    if stored is not None:
        birth = stored[0] if birth is None else birth
        gender = stored[1] if gender is None else gender
    if id_number.bad:  # reported already; birth date and gender cannot be checked against it
        return birth, gender
    if birth is None:
        problems.add(
            "INVALID_INPUT", "a birth date is required when no ID number is given", birth_field
        )
    if gender is None:
        problems.add(
            "INVALID_INPUT", "a gender is required when no ID number is given", gender_field
        )
    return birth, gender


def check_residence(registered: bool, lives: bool, prefix: str, problems: Problems) -> None:
    if not registered and not lives:
        problems.add(
            "INVALID_INPUT",
            "a resident is registered here (户籍), lives here (常住), or both",
            input_path(prefix, "livesHere"),
        )


def new_resident(
    data: Any, prefix: str, problems: Problems
) -> tuple[writes.ResidentValues | None, str | None]:
    """A ResidentInput checked: its values (None if anything is wrong) and its ID number."""
    before = len(problems)
    name = check_name(data.name, input_path(prefix, "name"), problems)
    id_number = check_id_number(data.id_number, input_path(prefix, "idNumber"), problems)
    phone = check_phone(data.phone, input_path(prefix, "phone"), problems)
    birth, gender = birth_and_gender(
        problems, prefix, id_number, data.birth_date, db_label(data.gender)
    )
    check_residence(data.registered_here, data.lives_here, prefix, problems)
    if len(problems) > before:
        return None, id_number.number
    assert name is not None and birth is not None and gender is not None
    values = writes.ResidentValues(
        name=name,
        gender=gender,
        birth_date=birth,
        id_number=id_number.number,
        phone=phone,
        care_tags=db_labels(data.care_tags),
        is_party_member=data.is_party_member,
        roles=db_labels(data.roles),
        registered_here=data.registered_here,
        lives_here=data.lives_here,
    )
    return values, id_number.number


def check_repeats(numbers: list[tuple[str, str]], problems: Problems) -> None:
    """The same ID number twice in one input."""
    first: dict[str, str] = {}
    for prefix, number in numbers:
        if number in first:
            problems.add(
                "DUPLICATE_ID_NUMBER",
                f"the same ID number is given for {first[number]}",
                input_path(prefix, "idNumber"),
            )
        else:
            first[number] = prefix


async def check_registered(
    conn: asyncpg.Connection,
    numbers: list[tuple[str, str]],
    problems: Problems,
    except_resident: int | None = None,
) -> None:
    """ID numbers another resident already holds."""
    holders = await writes.id_number_holders(conn, sorted({n for _, n in numbers}), except_resident)
    for prefix, number in numbers:
        if number in holders:
            problems.add(
                "DUPLICATE_ID_NUMBER",
                "this ID number is already registered to another resident",
                input_path(prefix, "idNumber"),
            )


def check_address(
    unit: str | None, room: str | None, problems: Problems
) -> tuple[str | None, str | None, bool]:
    """Unit (blank means none) and room, trimmed; and whether both are acceptable."""
    before = len(problems)
    unit, room = blank_to_none(unit), blank_to_none(room)
    if unit is not None and len(unit) > ADDRESS_PART_MAX:
        problems.add("INVALID_INPUT", f"a unit has at most {ADDRESS_PART_MAX} characters", "unit")
    if room is None:
        problems.add("INVALID_INPUT", "a room (or house number) is required", "room")
    elif len(room) > ADDRESS_PART_MAX:
        problems.add("INVALID_INPUT", f"a room has at most {ADDRESS_PART_MAX} characters", "room")
    return unit, room, len(problems) == before


def address_text(unit: str | None, room: str) -> str:
    return f"unit {unit}, room {room}" if unit else f"room {room}"


async def household_area(
    conn: asyncpg.Connection, code: str | None, problems: Problems
) -> Record | None:
    """The area a household is to live in: it exists, and is a compound or a building."""
    code = (code or "").strip()
    area = await writes.area_by_code(conn, code) if code else None
    if area is None:
        problems.add("UNKNOWN_AREA", f"no area has the code {code!r}", "areaCode")
        return None
    if area["level"] not in HOUSEHOLD_AREA_LEVELS:
        problems.add(
            "WRONG_AREA_LEVEL",
            f"{area['name']} ({area['code']}) is a {area['level']}; a household lives in a "
            "compound (小区/院落) or a building (楼栋)",
            "areaCode",
        )
        return None
    return area


async def check_address_free(
    conn: asyncpg.Connection,
    area: Record,
    unit: str | None,
    room: str,
    problems: Problems,
    except_household: int | None = None,
) -> None:
    holder = await writes.address_holder(conn, area["id"], unit, room, except_household)
    if holder is not None:
        problems.add(
            "ADDRESS_TAKEN",
            f"household {global_id('Household', holder)} already lives at "
            f"{address_text(unit, room)} "
            f"in {area['name']} ({area['code']})",
            "room",
        )


def check_expected(value: dt.datetime | None, problems: Problems) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        problems.add(
            "INVALID_INPUT",
            "give expectedUpdatedAt with its UTC offset, as updatedAt was read",
            "expectedUpdatedAt",
        )
        return None
    return value


def check_fresh(row: Record, expected: dt.datetime | None, problems: Problems) -> None:
    """Optimistic concurrency: refuse if the row changed since the client read it."""
    if expected is not None and row["updated_at"] != expected:
        problems.add(
            "STALE",
            f"it was changed at {row['updated_at'].isoformat()}, after the version you read "
            f"({expected.isoformat()}); reload it and try again",
            "expectedUpdatedAt",
        )


async def lock_household(
    conn: asyncpg.Connection, key: int, field: str, problems: Problems
) -> Record | None:
    row = (await writes.lock_households(conn, [key])).get(key)
    if row is None:
        problems.add("NOT_FOUND", f"no household {global_id('Household', key)}", field)
    return row


def set_field(value: Any, field: str, problems: Problems) -> Any:
    """An update field that may be left out but not cleared (null)."""
    if value is None:
        problems.add("INVALID_INPUT", f"{field} cannot be cleared; leave it out to keep it", field)
    return value
