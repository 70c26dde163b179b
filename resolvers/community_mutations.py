"""Mutations of households and residents: check the input, look up, write in one transaction.

Each mutation
1. checks the whole input in Python and collects every problem at once, each with the
   input path it concerns ("head.idNumber", "members.1.phone");
2. on ONE connection in ONE transaction, locks and looks up what the input refers to
   (areas, households, residents, ID numbers already registered) and adds what it finds;
3. refuses (rolls back, nothing written) if there is any problem, otherwise writes and
   returns the written row, read back through the mapping.

The database's constraints stay the backstop: a violation raised by a statement, or at
COMMIT for the deferred one-head checks, arrives as ``DomainError`` with the same codes.
Expected failures come back as a list of ``Problem``; anything else propagates and is
masked by the schema's error handling.

Inputs are the schema's input objects, read by attribute (this module does not import the
schema): fields left out are ``strawberry.UNSET``, enum fields are enums whose values are
the database's labels, ids are Relay global ids as strings.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from strawberry import UNSET, Info, relay

from db import community_writes as writes
from db.community import HOUSEHOLD, RESIDENT
from db.errors import DomainError, domain_errors
from db.query import rows_by_key
from db.session import audit
from resolvers.context import Context
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


# -- running a mutation ----------------------------------------------------------------


async def _run(info: Info, work: Callable[[asyncpg.Connection], Awaitable[Record]]) -> Outcome:
    """Run ``work`` on one connection in one transaction, commit included in the mapping of
    constraint violations (the deferred ones fire at COMMIT)."""
    ctx: Context = info.context
    if ctx.db.principal.role not in WRITER_ROLES:
        return [Problem("FORBIDDEN", f"a {ctx.db.principal.role} may not change residents' data")]
    try:
        with domain_errors():
            async with ctx.db.transaction(operation=info.field_name) as conn:
                record = await work(conn)
                # one audit row per mutation, in its transaction (household records have
                # no household_id; resident records do)
                target = "Resident" if "household_id" in record.keys() else "Household"  # noqa: SIM118
                await audit(conn, target, record["id"])
    except Refused as exc:
        return exc.problems
    except DomainError as exc:
        return [_from_domain(exc)]
    finally:
        # Rows loaded earlier in this request (by an earlier mutation's payload) are stale.
        ctx.reset_loaders()
    return record


def _from_domain(exc: DomainError) -> Problem:
    if exc.code in ("WRONG_AREA_LEVEL", "FORBIDDEN"):  # messages fit for the user
        message = exc.message
    else:
        message = BACKSTOP_MESSAGES.get(exc.code, "the database refused this change")
    return Problem(exc.code, message, exc.field)


@contextmanager
def _under(prefix: str) -> Iterator[None]:
    """Put the input path of a nested resident in front of a statement's DomainError."""
    try:
        yield
    except DomainError as exc:
        if exc.field in RESIDENT_FIELDS:
            exc.field = f"{prefix}.{exc.field}"
        raise


async def _household_row(conn: asyncpg.Connection, key: int) -> Record:
    return (await rows_by_key(conn, HOUSEHOLD, [key]))[key]


async def _resident_row(conn: asyncpg.Connection, key: int) -> Record:
    return (await rows_by_key(conn, RESIDENT, [key]))[key]


# -- checks on values ------------------------------------------------------------------


def _path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _given(value: Any) -> bool:
    return value is not UNSET


def _label(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _labels(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_label(v) for v in values))  # in order, repeats dropped


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _key(value: str, type_name: str, field: str, problems: Problems) -> int | None:
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


def _gid(type_name: str, key: int) -> str:
    return relay.to_base64(type_name, key)


def _check_name(value: str | None, field: str, problems: Problems) -> str | None:
    name = _blank_to_none(value)
    if name is None:
        problems.add("INVALID_INPUT", "a name is required", field)
    elif len(name) > NAME_MAX:
        problems.add(
            "INVALID_INPUT", f"a name has at most {NAME_MAX} characters, not {len(name)}", field
        )
    return name


@dataclass(frozen=True)
class _IdNumber:
    number: str | None  # None: no ID number
    parsed: ResidentId | None = None  # None when absent or invalid
    bad: bool = False


def _check_id_number(value: str | None, field: str, problems: Problems) -> _IdNumber:
    """A given ID number, trimmed and with a lower-case x accepted; blank means none."""
    number = _blank_to_none(value)
    if number is None:
        return _IdNumber(None)
    number = number.upper()
    try:
        parsed = parse_resident_id(number)
    except ValueError as exc:
        problems.add("INVALID_ID_NUMBER", f"invalid ID number: {exc}", field)
        return _IdNumber(number, bad=True)
    if parsed.birth_date > dt.date.today():
        problems.add(
            "INVALID_ID_NUMBER",
            f"invalid ID number: its birth date {parsed.birth_date} is in the future",
            field,
        )
        return _IdNumber(number, bad=True)
    return _IdNumber(number, parsed)


def _stored_id_number(number: str | None) -> _IdNumber:
    if number is None:
        return _IdNumber(None)
    try:
        return _IdNumber(number, parse_resident_id(number))
    except ValueError:  # the database's rule accepted it; nothing to derive from
        return _IdNumber(number)


def _check_phone(value: str | None, field: str, problems: Problems) -> str | None:
    """A phone number without spaces; blank means none."""
    phone = _blank_to_none(value)
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


def _birth_and_gender(
    problems: Problems,
    prefix: str,
    id_number: _IdNumber,
    birth: dt.date | None,
    gender: str | None,
    stored: tuple[dt.date, str] | None = None,
) -> tuple[dt.date | None, str | None]:
    """Birth date and gender: from the ID number when there is one (the given ones must
    agree), else the given ones, else the stored ones."""
    birth_field, gender_field = _path(prefix, "birthDate"), _path(prefix, "gender")
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


def _check_residence(registered: bool, lives: bool, prefix: str, problems: Problems) -> None:
    if not registered and not lives:
        problems.add(
            "INVALID_INPUT",
            "a resident is registered here (户籍), lives here (常住), or both",
            _path(prefix, "livesHere"),
        )


def _new_resident(
    data: Any, prefix: str, problems: Problems
) -> tuple[writes.ResidentValues | None, str | None]:
    """A ResidentInput checked: its values (None if anything is wrong) and its ID number."""
    before = len(problems)
    name = _check_name(data.name, _path(prefix, "name"), problems)
    id_number = _check_id_number(data.id_number, _path(prefix, "idNumber"), problems)
    phone = _check_phone(data.phone, _path(prefix, "phone"), problems)
    birth, gender = _birth_and_gender(
        problems, prefix, id_number, data.birth_date, _label(data.gender)
    )
    _check_residence(data.registered_here, data.lives_here, prefix, problems)
    if len(problems) > before:
        return None, id_number.number
    assert name is not None and birth is not None and gender is not None
    values = writes.ResidentValues(
        name=name,
        gender=gender,
        birth_date=birth,
        id_number=id_number.number,
        phone=phone,
        care_tags=_labels(data.care_tags),
        is_party_member=data.is_party_member,
        roles=_labels(data.roles),
        registered_here=data.registered_here,
        lives_here=data.lives_here,
    )
    return values, id_number.number


def _check_repeats(numbers: list[tuple[str, str]], problems: Problems) -> None:
    """The same ID number twice in one input."""
    first: dict[str, str] = {}
    for prefix, number in numbers:
        if number in first:
            problems.add(
                "DUPLICATE_ID_NUMBER",
                f"the same ID number is given for {first[number]}",
                _path(prefix, "idNumber"),
            )
        else:
            first[number] = prefix


async def _check_registered(
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
                _path(prefix, "idNumber"),
            )


def _check_address(
    unit: str | None, room: str | None, problems: Problems
) -> tuple[str | None, str | None, bool]:
    """Unit (blank means none) and room, trimmed; and whether both are acceptable."""
    before = len(problems)
    unit, room = _blank_to_none(unit), _blank_to_none(room)
    if unit is not None and len(unit) > ADDRESS_PART_MAX:
        problems.add("INVALID_INPUT", f"a unit has at most {ADDRESS_PART_MAX} characters", "unit")
    if room is None:
        problems.add("INVALID_INPUT", "a room (or house number) is required", "room")
    elif len(room) > ADDRESS_PART_MAX:
        problems.add("INVALID_INPUT", f"a room has at most {ADDRESS_PART_MAX} characters", "room")
    return unit, room, len(problems) == before


def _address(unit: str | None, room: str) -> str:
    return f"unit {unit}, room {room}" if unit else f"room {room}"


async def _household_area(
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


async def _check_address_free(
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
            f"household {_gid('Household', holder)} already lives at {_address(unit, room)} "
            f"in {area['name']} ({area['code']})",
            "room",
        )


def _check_expected(value: dt.datetime | None, problems: Problems) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        problems.add(
            "INVALID_INPUT",
            "give expectedUpdatedAt with its UTC offset, as updatedAt was read",
            "expectedUpdatedAt",
        )
        return None
    return value


def _check_fresh(row: Record, expected: dt.datetime | None, problems: Problems) -> None:
    """Optimistic concurrency: refuse if the row changed since the client read it."""
    if expected is not None and row["updated_at"] != expected:
        problems.add(
            "STALE",
            f"it was changed at {row['updated_at'].isoformat()}, after the version you read "
            f"({expected.isoformat()}); reload it and try again",
            "expectedUpdatedAt",
        )


async def _lock_household(
    conn: asyncpg.Connection, key: int, field: str, problems: Problems
) -> Record | None:
    row = (await writes.lock_households(conn, [key])).get(key)
    if row is None:
        problems.add("NOT_FOUND", f"no household {_gid('Household', key)}", field)
    return row


def _set_field(value: Any, field: str, problems: Problems) -> Any:
    """An update field that may be left out but not cleared (null)."""
    if value is None:
        problems.add("INVALID_INPUT", f"{field} cannot be cleared; leave it out to keep it", field)
    return value


# -- households ----------------------------------------------------------------------


async def create_household(info: Info, data: Any) -> Outcome:
    """A household at an address in a compound or building, with its head and members."""
    problems = Problems()
    unit, room, address_ok = _check_address(data.unit, data.room, problems)
    head, head_number = _new_resident(data.head, "head", problems)
    numbers = [("head", head_number)] if head_number else []
    members = []
    for i, member in enumerate(data.members):
        prefix = f"members.{i}"
        values, number = _new_resident(member, prefix, problems)
        relation = _label(member.relation)
        if relation == "self":
            problems.add(
                "SECOND_HEAD",
                "the head is given as `head`; a member cannot be SELF too",
                f"{prefix}.relation",
            )
        if number:
            numbers.append((prefix, number))
        members.append((prefix, relation, values))
    _check_repeats(numbers, problems)

    async def work(conn: asyncpg.Connection) -> Record:
        area = await _household_area(conn, data.area_code, problems)
        if area is not None and address_ok:
            assert room is not None
            await _check_address_free(conn, area, unit, room, problems)
        await _check_registered(conn, numbers, problems)
        problems.refuse_if_any()
        assert area is not None and room is not None and head is not None
        household = await writes.insert_household(conn, area["id"], unit, room)
        with _under("head"):
            await writes.insert_resident(conn, household, "self", head)
        for prefix, relation, values in members:
            assert values is not None
            with _under(prefix):
                await writes.insert_resident(conn, household, relation, values)
        return await _household_row(conn, household)

    return await _run(info, work)


async def update_household(info: Info, data: Any) -> Outcome:
    """Change a household's unit and/or room within its compound or building."""
    problems = Problems()
    key = _key(data.id, "Household", "id", problems)
    expected = _check_expected(data.expected_updated_at, problems)
    unit_given, room_given = _given(data.unit), _given(data.room)
    if room_given:
        _set_field(data.room, "room", problems)

    async def work(conn: asyncpg.Connection) -> Record:
        if key is None:
            problems.refuse_if_any()
        assert key is not None
        current = await _lock_household(conn, key, "id", problems)
        if current is None:
            problems.refuse_if_any()
        assert current is not None
        _check_fresh(current, expected, problems)
        unit, room, ok = _check_address(
            data.unit if unit_given else current["unit"],
            data.room if room_given and data.room is not None else current["room"],
            problems,
        )
        if ok:
            assert room is not None
            area = await writes.area_by_id(conn, current["area_id"])
            await _check_address_free(conn, area, unit, room, problems, except_household=key)
        problems.refuse_if_any()
        await writes.set_household_address(conn, key, current["area_id"], unit, room)
        return await _household_row(conn, key)

    return await _run(info, work)


async def move_household(info: Info, data: Any) -> Outcome:
    """Move a household, with all its members, to an address in another area."""
    problems = Problems()
    key = _key(data.id, "Household", "id", problems)
    expected = _check_expected(data.expected_updated_at, problems)
    unit, room, address_ok = _check_address(data.unit, data.room, problems)

    async def work(conn: asyncpg.Connection) -> Record:
        current = None if key is None else await _lock_household(conn, key, "id", problems)
        if current is not None:
            _check_fresh(current, expected, problems)
        area = await _household_area(conn, data.area_code, problems)
        if area is not None and address_ok:
            assert room is not None
            await _check_address_free(conn, area, unit, room, problems, except_household=key)
        problems.refuse_if_any()
        assert key is not None and area is not None and room is not None
        await writes.set_household_address(conn, key, area["id"], unit, room)
        return await _household_row(conn, key)

    return await _run(info, work)


async def set_household_head(info: Info, data: Any) -> Outcome:
    """Hand headship to another member; the former head takes ``formerHeadRelation``."""
    problems = Problems()
    household_key = _key(data.household_id, "Household", "householdId", problems)
    resident_key = _key(data.resident_id, "Resident", "residentId", problems)
    former_relation = _label(data.former_head_relation)
    if former_relation == "self":
        problems.add(
            "INVALID_INPUT",
            "the former head stops being SELF; give their relation to the new head",
            "formerHeadRelation",
        )

    async def work(conn: asyncpg.Connection) -> Record:
        household = resident = None
        if household_key is not None:
            household = await _lock_household(conn, household_key, "householdId", problems)
        if resident_key is not None:
            resident = await writes.lock_resident(conn, resident_key)
            if resident is None:
                problems.add(
                    "NOT_FOUND", f"no resident {_gid('Resident', resident_key)}", "residentId"
                )
        if (
            household is not None
            and resident is not None
            and resident["household_id"] != household_key
        ):
            problems.add(
                "NOT_A_MEMBER",
                f"resident {_gid('Resident', resident_key)} belongs to another household; "
                "move them here with moveResident first",
                "residentId",
            )
        problems.refuse_if_any()
        assert household_key is not None and resident_key is not None and resident is not None
        if resident["relation"] != "self":
            # The exclusion constraint is deferred: two heads for a moment are fine.
            for former in await writes.household_heads(conn, household_key):
                await writes.place_resident(conn, former, household_key, former_relation)
            await writes.place_resident(conn, resident_key, household_key, "self")
        return await _household_row(conn, household_key)

    return await _run(info, work)


# -- residents -----------------------------------------------------------------------


async def add_resident(info: Info, data: Any) -> Outcome:
    """A new member of an existing household (not its head: see setHouseholdHead)."""
    problems = Problems()
    household_key = _key(data.household_id, "Household", "householdId", problems)
    relation = _label(data.relation)
    if relation == "self":
        problems.add(
            "SECOND_HEAD",
            "a household has one head; add the resident with their relation to the head, "
            "then hand headship over with setHouseholdHead",
            "relation",
        )
    values, number = _new_resident(data.resident, "resident", problems)

    async def work(conn: asyncpg.Connection) -> Record:
        if household_key is not None:
            await _lock_household(conn, household_key, "householdId", problems)
        if number:
            await _check_registered(conn, [("resident", number)], problems)
        problems.refuse_if_any()
        assert household_key is not None and values is not None
        with _under("resident"):
            key = await writes.insert_resident(conn, household_key, relation, values)
        return await _resident_row(conn, key)

    return await _run(info, work)


async def update_resident(info: Info, data: Any) -> Outcome:
    """Change a resident's own data: only the fields given; null clears phone and idNumber."""
    problems = Problems()
    key = _key(data.id, "Resident", "id", problems)
    expected = _check_expected(data.expected_updated_at, problems)
    name = _check_name(data.name, "name", problems) if _given(data.name) else UNSET
    id_number = (
        _check_id_number(data.id_number, "idNumber", problems) if _given(data.id_number) else None
    )
    phone = _check_phone(data.phone, "phone", problems) if _given(data.phone) else UNSET
    for value, field in (
        (data.birth_date, "birthDate"),
        (data.gender, "gender"),
        (data.care_tags, "careTags"),
        (data.roles, "roles"),
        (data.is_party_member, "isPartyMember"),
        (data.registered_here, "registeredHere"),
        (data.lives_here, "livesHere"),
    ):
        if _given(value):
            _set_field(value, field, problems)

    def given(value: Any, stored: Any) -> Any:
        return stored if value is UNSET or value is None else value

    async def work(conn: asyncpg.Connection) -> Record:
        if key is None:
            problems.refuse_if_any()
        assert key is not None
        current = await writes.lock_resident(conn, key)
        if current is None:
            problems.add("NOT_FOUND", f"no resident {_gid('Resident', key)}", "id")
            problems.refuse_if_any()
        assert current is not None
        _check_fresh(current, expected, problems)
        new_id = id_number if id_number is not None else _stored_id_number(current["id_number"])
        birth, gender = _birth_and_gender(
            problems,
            "",
            new_id,
            given(data.birth_date, None),
            given(_label(data.gender), None),
            stored=(current["birth_date"], current["gender"]),
        )
        registered = given(data.registered_here, current["registered_here"])
        lives = given(data.lives_here, current["lives_here"])
        _check_residence(registered, lives, "", problems)
        if new_id.number is not None and new_id.number != current["id_number"]:
            await _check_registered(conn, [("", new_id.number)], problems, except_resident=key)
        problems.refuse_if_any()
        assert birth is not None and gender is not None
        values = writes.ResidentValues(
            name=given(name, current["name"]),
            gender=gender,
            birth_date=birth,
            id_number=new_id.number,
            phone=current["phone"] if phone is UNSET else phone,
            care_tags=_labels(given(data.care_tags, current["care_tags"])),
            is_party_member=given(data.is_party_member, current["is_party_member"]),
            roles=_labels(given(data.roles, current["roles"])),
            registered_here=registered,
            lives_here=lives,
        )
        await writes.update_resident(conn, key, values)
        return await _resident_row(conn, key)

    return await _run(info, work)


async def move_resident(info: Info, data: Any) -> Outcome:
    """Move a resident to a household (theirs or another) with a relation to its head."""
    problems = Problems()
    key = _key(data.id, "Resident", "id", problems)
    household_key = _key(data.household_id, "Household", "householdId", problems)
    relation = _label(data.relation)
    expected = _check_expected(data.expected_updated_at, problems)

    async def work(conn: asyncpg.Connection) -> Record:
        # Households before residents, as every mutation locks them.
        current_household = None
        if key is not None:
            current_household = await writes.resident_household(conn, key)
            if current_household is None:
                problems.add("NOT_FOUND", f"no resident {_gid('Resident', key)}", "id")
        locked = await writes.lock_households(
            conn, [k for k in (household_key, current_household) if k is not None]
        )
        if household_key is not None and household_key not in locked:
            problems.add(
                "NOT_FOUND", f"no household {_gid('Household', household_key)}", "householdId"
            )
        problems.refuse_if_any()
        assert key is not None and household_key is not None
        resident = await writes.lock_resident(conn, key)
        if resident is None:
            problems.add("NOT_FOUND", f"no resident {_gid('Resident', key)}", "id")
        elif resident["household_id"] != current_household:
            problems.add(
                "STALE", "the resident was moved by another request just now; reload", "id"
            )
        problems.refuse_if_any()
        assert resident is not None
        _check_fresh(resident, expected, problems)
        is_head = resident["relation"] == "self"
        moving_out = household_key != current_household
        if is_head and (moving_out or relation != "self"):
            problems.add(
                "NO_HEAD",
                f"this resident is the head of household {_gid('Household', current_household)}"
                "; hand headship to another member with setHouseholdHead first",
                "id" if moving_out else "relation",
            )
        if relation == "self" and not is_head and await writes.household_heads(conn, household_key):
            problems.add(
                "SECOND_HEAD",
                f"household {_gid('Household', household_key)} has a head; move the resident in "
                "with another relation, then hand headship over with setHouseholdHead",
                "relation",
            )
        problems.refuse_if_any()
        await writes.place_resident(conn, key, household_key, relation)
        return await _resident_row(conn, key)

    return await _run(info, work)
