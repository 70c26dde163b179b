"""Mutations of households and residents: check the input (resolvers/community_checks.py),
look up, write in one transaction.

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

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
from strawberry import UNSET, Info

from db import community_writes as writes
from db.community import HOUSEHOLD, RESIDENT
from db.errors import DomainError, domain_errors
from db.query import rows_by_key
from db.session import audit
from resolvers.community_checks import (
    BACKSTOP_MESSAGES,
    RESIDENT_FIELDS,
    WRITER_ROLES,
    Outcome,
    Problem,
    Problems,
    Refused,
    birth_and_gender,
    check_address,
    check_address_free,
    check_expected,
    check_fresh,
    check_id_number,
    check_name,
    check_phone,
    check_registered,
    check_repeats,
    check_residence,
    db_label,
    db_labels,
    global_id,
    household_area,
    is_given,
    lock_household,
    new_resident,
    parse_key,
    set_field,
    stored_id_number,
)
from resolvers.context import Context

Record = asyncpg.Record


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


# -- households ----------------------------------------------------------------------


async def create_household(info: Info, data: Any) -> Outcome:
    """A household at an address in a compound or building, with its head and members."""
    problems = Problems()
    unit, room, address_ok = check_address(data.unit, data.room, problems)
    head, head_number = new_resident(data.head, "head", problems)
    numbers = [("head", head_number)] if head_number else []
    members = []
    for i, member in enumerate(data.members):
        prefix = f"members.{i}"
        values, number = new_resident(member, prefix, problems)
        relation = db_label(member.relation)
        if relation == "self":
            problems.add(
                "SECOND_HEAD",
                "the head is given as `head`; a member cannot be SELF too",
                f"{prefix}.relation",
            )
        if number:
            numbers.append((prefix, number))
        members.append((prefix, relation, values))
    check_repeats(numbers, problems)

    async def work(conn: asyncpg.Connection) -> Record:
        area = await household_area(conn, data.area_code, problems)
        if area is not None and address_ok:
            assert room is not None
            await check_address_free(conn, area, unit, room, problems)
        await check_registered(conn, numbers, problems)
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
    key = parse_key(data.id, "Household", "id", problems)
    expected = check_expected(data.expected_updated_at, problems)
    unit_given, room_given = is_given(data.unit), is_given(data.room)
    if room_given:
        set_field(data.room, "room", problems)

    async def work(conn: asyncpg.Connection) -> Record:
        if key is None:
            problems.refuse_if_any()
        assert key is not None
        current = await lock_household(conn, key, "id", problems)
        if current is None:
            problems.refuse_if_any()
        assert current is not None
        check_fresh(current, expected, problems)
        unit, room, ok = check_address(
            data.unit if unit_given else current["unit"],
            data.room if room_given and data.room is not None else current["room"],
            problems,
        )
        if ok:
            assert room is not None
            area = await writes.area_by_id(conn, current["area_id"])
            await check_address_free(conn, area, unit, room, problems, except_household=key)
        problems.refuse_if_any()
        await writes.set_household_address(conn, key, current["area_id"], unit, room)
        return await _household_row(conn, key)

    return await _run(info, work)


async def move_household(info: Info, data: Any) -> Outcome:
    """Move a household, with all its members, to an address in another area."""
    problems = Problems()
    key = parse_key(data.id, "Household", "id", problems)
    expected = check_expected(data.expected_updated_at, problems)
    unit, room, address_ok = check_address(data.unit, data.room, problems)

    async def work(conn: asyncpg.Connection) -> Record:
        current = None if key is None else await lock_household(conn, key, "id", problems)
        if current is not None:
            check_fresh(current, expected, problems)
        area = await household_area(conn, data.area_code, problems)
        if area is not None and address_ok:
            assert room is not None
            await check_address_free(conn, area, unit, room, problems, except_household=key)
        problems.refuse_if_any()
        assert key is not None and area is not None and room is not None
        await writes.set_household_address(conn, key, area["id"], unit, room)
        return await _household_row(conn, key)

    return await _run(info, work)


async def set_household_head(info: Info, data: Any) -> Outcome:
    """Hand headship to another member; the former head takes ``formerHeadRelation``."""
    problems = Problems()
    household_key = parse_key(data.household_id, "Household", "householdId", problems)
    resident_key = parse_key(data.resident_id, "Resident", "residentId", problems)
    former_relation = db_label(data.former_head_relation)
    if former_relation == "self":
        problems.add(
            "INVALID_INPUT",
            "the former head stops being SELF; give their relation to the new head",
            "formerHeadRelation",
        )

    async def work(conn: asyncpg.Connection) -> Record:
        household = resident = None
        if household_key is not None:
            household = await lock_household(conn, household_key, "householdId", problems)
        if resident_key is not None:
            resident = await writes.lock_resident(conn, resident_key)
            if resident is None:
                problems.add(
                    "NOT_FOUND", f"no resident {global_id('Resident', resident_key)}", "residentId"
                )
        if (
            household is not None
            and resident is not None
            and resident["household_id"] != household_key
        ):
            problems.add(
                "NOT_A_MEMBER",
                f"resident {global_id('Resident', resident_key)} belongs to another household; "
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
    household_key = parse_key(data.household_id, "Household", "householdId", problems)
    relation = db_label(data.relation)
    if relation == "self":
        problems.add(
            "SECOND_HEAD",
            "a household has one head; add the resident with their relation to the head, "
            "then hand headship over with setHouseholdHead",
            "relation",
        )
    values, number = new_resident(data.resident, "resident", problems)

    async def work(conn: asyncpg.Connection) -> Record:
        if household_key is not None:
            await lock_household(conn, household_key, "householdId", problems)
        if number:
            await check_registered(conn, [("resident", number)], problems)
        problems.refuse_if_any()
        assert household_key is not None and values is not None
        with _under("resident"):
            key = await writes.insert_resident(conn, household_key, relation, values)
        return await _resident_row(conn, key)

    return await _run(info, work)


async def update_resident(info: Info, data: Any) -> Outcome:
    """Change a resident's own data: only the fields given; null clears phone and idNumber."""
    problems = Problems()
    key = parse_key(data.id, "Resident", "id", problems)
    expected = check_expected(data.expected_updated_at, problems)
    name = check_name(data.name, "name", problems) if is_given(data.name) else UNSET
    id_number = (
        check_id_number(data.id_number, "idNumber", problems) if is_given(data.id_number) else None
    )
    phone = check_phone(data.phone, "phone", problems) if is_given(data.phone) else UNSET
    for value, field in (
        (data.birth_date, "birthDate"),
        (data.gender, "gender"),
        (data.care_tags, "careTags"),
        (data.roles, "roles"),
        (data.is_party_member, "isPartyMember"),
        (data.registered_here, "registeredHere"),
        (data.lives_here, "livesHere"),
    ):
        if is_given(value):
            set_field(value, field, problems)

    def given(value: Any, stored: Any) -> Any:
        return stored if value is UNSET or value is None else value

    async def work(conn: asyncpg.Connection) -> Record:
        if key is None:
            problems.refuse_if_any()
        assert key is not None
        current = await writes.lock_resident(conn, key)
        if current is None:
            problems.add("NOT_FOUND", f"no resident {global_id('Resident', key)}", "id")
            problems.refuse_if_any()
        assert current is not None
        check_fresh(current, expected, problems)
        new_id = id_number if id_number is not None else stored_id_number(current["id_number"])
        birth, gender = birth_and_gender(
            problems,
            "",
            new_id,
            given(data.birth_date, None),
            given(db_label(data.gender), None),
            stored=(current["birth_date"], current["gender"]),
        )
        registered = given(data.registered_here, current["registered_here"])
        lives = given(data.lives_here, current["lives_here"])
        check_residence(registered, lives, "", problems)
        if new_id.number is not None and new_id.number != current["id_number"]:
            await check_registered(conn, [("", new_id.number)], problems, except_resident=key)
        problems.refuse_if_any()
        assert birth is not None and gender is not None
        values = writes.ResidentValues(
            name=given(name, current["name"]),
            gender=gender,
            birth_date=birth,
            id_number=new_id.number,
            phone=current["phone"] if phone is UNSET else phone,
            care_tags=db_labels(given(data.care_tags, current["care_tags"])),
            is_party_member=given(data.is_party_member, current["is_party_member"]),
            roles=db_labels(given(data.roles, current["roles"])),
            registered_here=registered,
            lives_here=lives,
        )
        await writes.update_resident(conn, key, values)
        return await _resident_row(conn, key)

    return await _run(info, work)


async def move_resident(info: Info, data: Any) -> Outcome:
    """Move a resident to a household (theirs or another) with a relation to its head."""
    problems = Problems()
    key = parse_key(data.id, "Resident", "id", problems)
    household_key = parse_key(data.household_id, "Household", "householdId", problems)
    relation = db_label(data.relation)
    expected = check_expected(data.expected_updated_at, problems)

    async def work(conn: asyncpg.Connection) -> Record:
        # Households before residents, as every mutation locks them.
        current_household = None
        if key is not None:
            current_household = await writes.resident_household(conn, key)
            if current_household is None:
                problems.add("NOT_FOUND", f"no resident {global_id('Resident', key)}", "id")
        locked = await writes.lock_households(
            conn, [k for k in (household_key, current_household) if k is not None]
        )
        if household_key is not None and household_key not in locked:
            problems.add(
                "NOT_FOUND", f"no household {global_id('Household', household_key)}", "householdId"
            )
        problems.refuse_if_any()
        assert key is not None and household_key is not None
        resident = await writes.lock_resident(conn, key)
        if resident is None:
            problems.add("NOT_FOUND", f"no resident {global_id('Resident', key)}", "id")
        elif resident["household_id"] != current_household:
            problems.add(
                "STALE", "the resident was moved by another request just now; reload", "id"
            )
        problems.refuse_if_any()
        assert resident is not None
        check_fresh(resident, expected, problems)
        is_head = resident["relation"] == "self"
        moving_out = household_key != current_household
        if is_head and (moving_out or relation != "self"):
            problems.add(
                "NO_HEAD",
                "this resident is the head of household "
                f"{global_id('Household', current_household)}"
                "; hand headship to another member with setHouseholdHead first",
                "id" if moving_out else "relation",
            )
        if relation == "self" and not is_head and await writes.household_heads(conn, household_key):
            problems.add(
                "SECOND_HEAD",
                f"household {global_id('Household', household_key)} has a head; "
                "move the resident in "
                "with another relation, then hand headship over with setHouseholdHead",
                "relation",
            )
        problems.refuse_if_any()
        await writes.place_resident(conn, key, household_key, relation)
        return await _resident_row(conn, key)

    return await _run(info, work)
