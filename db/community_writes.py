"""Writes of the community graph: households and residents.

Every function takes the caller's connection, so a mutation runs all its statements in
one transaction, and returns ids or records. Constraint violations raised by a statement
become ``DomainError`` here (``domain_errors()``); the deferred ones (one head per
household) fire at COMMIT, which the caller owns and wraps the same way.

Locks are taken in one order, households before residents and each kind by id, so that
mutations touching the same rows queue instead of deadlocking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from db.errors import domain_errors

AREA_BY_CODE = """
    SELECT id, code, name, level::text AS level FROM area WHERE code = $1"""

AREA_BY_ID = """
    SELECT id, code, name, level::text AS level FROM area WHERE id = $1"""

# FOR NO KEY UPDATE: queues other writers of the household and its membership, while
# leaving foreign-key checks (FOR KEY SHARE) alone.
LOCK_HOUSEHOLDS = """
    SELECT id, area_id, unit, room, updated_at FROM household
     WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE"""

ADDRESS_HOLDER = """
    SELECT id FROM household
     WHERE area_id = $1 AND coalesce(unit, '') = coalesce($2::text, '') AND room = $3
       AND id <> coalesce($4::bigint, 0)
     LIMIT 1"""

INSERT_HOUSEHOLD = """
    INSERT INTO household (area_id, unit, room) VALUES ($1, $2, $3) RETURNING id"""

# Unchanged values are written back as they are; the trigger moves area_path (and, after
# the statement, the residents' area_path) only when area_id changes.
UPDATE_HOUSEHOLD_ADDRESS = """
    UPDATE household SET area_id = $2, unit = $3, room = $4 WHERE id = $1"""

RESIDENT_HOUSEHOLD = "SELECT household_id FROM resident WHERE id = $1"

LOCK_RESIDENT = """
    SELECT id, household_id, name, gender::text AS gender, birth_date, id_number, phone,
           relation::text AS relation, registered_here, lives_here,
           care_tags::text[] AS care_tags, is_party_member, roles::text[] AS roles, updated_at
      FROM resident WHERE id = $1 FOR UPDATE"""

HOUSEHOLD_HEADS = """
    SELECT id FROM resident WHERE household_id = $1 AND relation = 'self' ORDER BY id"""

ID_NUMBER_HOLDERS = """
    SELECT id_number, id FROM resident
     WHERE id_number = ANY($1::text[]) AND id <> coalesce($2::bigint, 0)"""

INSERT_RESIDENT = """
    INSERT INTO resident (household_id, relation, name, gender, birth_date, id_number, phone,
                          care_tags, is_party_member, roles, registered_here, lives_here)
    VALUES ($1, $2::relation_to_head, $3, $4::gender, $5, $6, $7, $8::care_tag[], $9,
            $10::resident_role[], $11, $12)
    RETURNING id"""

UPDATE_RESIDENT = """
    UPDATE resident
       SET name = $2, gender = $3::gender, birth_date = $4, id_number = $5, phone = $6,
           care_tags = $7::care_tag[], is_party_member = $8, roles = $9::resident_role[],
           registered_here = $10, lives_here = $11
     WHERE id = $1"""

PLACE_RESIDENT = """
    UPDATE resident SET household_id = $2, relation = $3::relation_to_head WHERE id = $1"""


@dataclass(frozen=True)
class ResidentValues:
    """A resident's own fields, checked, with the database's enum labels."""

    name: str
    gender: str
    birth_date: dt.date
    id_number: str | None
    phone: str | None
    care_tags: tuple[str, ...] = ()
    is_party_member: bool = False
    roles: tuple[str, ...] = ()
    registered_here: bool = True
    lives_here: bool = True

    def params(self) -> tuple[object, ...]:
        return (
            self.name,
            self.gender,
            self.birth_date,
            self.id_number,
            self.phone,
            list(self.care_tags),
            self.is_party_member,
            list(self.roles),
            self.registered_here,
            self.lives_here,
        )


async def area_by_code(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(AREA_BY_CODE, code)


async def area_by_id(conn: asyncpg.Connection, area_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(AREA_BY_ID, area_id)


async def lock_households(
    conn: asyncpg.Connection, ids: Sequence[int]
) -> dict[int, asyncpg.Record]:
    """Lock households (in id order) for the rest of the transaction; the ones that exist."""
    return {row["id"]: row for row in await conn.fetch(LOCK_HOUSEHOLDS, sorted(set(ids)))}


async def address_holder(
    conn: asyncpg.Connection,
    area_id: int,
    unit: str | None,
    room: str,
    except_household: int | None = None,
) -> int | None:
    """The household living at this address, other than ``except_household``."""
    return await conn.fetchval(ADDRESS_HOLDER, area_id, unit, room, except_household)


async def insert_household(
    conn: asyncpg.Connection, area_id: int, unit: str | None, room: str
) -> int:
    with domain_errors():
        return await conn.fetchval(INSERT_HOUSEHOLD, area_id, unit, room)


async def set_household_address(
    conn: asyncpg.Connection, household_id: int, area_id: int, unit: str | None, room: str
) -> None:
    with domain_errors():
        await conn.execute(UPDATE_HOUSEHOLD_ADDRESS, household_id, area_id, unit, room)


async def resident_household(conn: asyncpg.Connection, resident_id: int) -> int | None:
    """The resident's household, read without a lock (to know which households to lock)."""
    return await conn.fetchval(RESIDENT_HOUSEHOLD, resident_id)


async def lock_resident(conn: asyncpg.Connection, resident_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_RESIDENT, resident_id)


async def household_heads(conn: asyncpg.Connection, household_id: int) -> list[int]:
    return [row["id"] for row in await conn.fetch(HOUSEHOLD_HEADS, household_id)]


async def id_number_holders(
    conn: asyncpg.Connection, numbers: Sequence[str], except_resident: int | None = None
) -> dict[str, int]:
    """Which of these ID numbers are already registered, and to which resident."""
    if not numbers:
        return {}
    rows = await conn.fetch(ID_NUMBER_HOLDERS, list(numbers), except_resident)
    return {row["id_number"]: row["id"] for row in rows}


async def insert_resident(
    conn: asyncpg.Connection, household_id: int, relation: str, values: ResidentValues
) -> int:
    with domain_errors():
        return await conn.fetchval(INSERT_RESIDENT, household_id, relation, *values.params())


async def update_resident(
    conn: asyncpg.Connection, resident_id: int, values: ResidentValues
) -> None:
    with domain_errors():
        await conn.execute(UPDATE_RESIDENT, resident_id, *values.params())


async def place_resident(
    conn: asyncpg.Connection, resident_id: int, household_id: int, relation: str
) -> None:
    """Put a resident in a household with a relation to its head (either may be unchanged)."""
    with domain_errors():
        await conn.execute(PLACE_RESIDENT, resident_id, household_id, relation)
