"""Writes of the grid: nodes, leaders, building heads' households, visits, recorded party
branches and in-service party members; and the lookups the mutations check first.

Every function takes the mutation's connection (one transaction). The triggers of
migration 0008 hold the same rules; a violation only they caught (a concurrent write)
arrives as ``DomainError`` through ``grid_errors()`` with the code the check would give.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import asyncpg

from db.errors import DomainError

Record = asyncpg.Record

# constraint (trigger or table) -> (error code, input field)
CONSTRAINTS: dict[str, tuple[str, str | None]] = {
    "grid_node_area_level": ("WRONG_AREA_LEVEL", "areaCode"),
    "grid_node_parent_level": ("WRONG_PARENT", "parentId"),
    "grid_node_parent_area": ("OUTSIDE_AREA", "areaCode"),
    "grid_node_root_is_committee": ("WRONG_PARENT", "parentId"),
    "grid_node_one_committee": ("DUPLICATE", "areaCode"),
    "grid_node_leader_area": ("OUTSIDE_AREA", "residentId"),
    "grid_node_leader_party": ("NOT_A_PARTY_MEMBER", "residentId"),
    "grid_node_name_check": ("INVALID_INPUT", "name"),
    "grid_household_node_level": ("NOT_A_BUILDING_HEAD_NODE", "nodeId"),
    "grid_household_area": ("OUTSIDE_AREA", "householdIds"),
    "grid_visit_date": ("INVALID_INPUT", "visitedOn"),
    "grid_visit_worker_role": ("NOT_A_GRID_WORKER", "workerId"),
    "grid_visit_notes_check": ("INVALID_INPUT", "notes"),
    "party_branch_area_level": ("WRONG_AREA_LEVEL", "areaCode"),
    "party_branch_name_check": ("INVALID_INPUT", "name"),
    "party_member_report_area_level": ("WRONG_AREA_LEVEL", "communityCode"),
    "party_member_report_party": ("NOT_A_PARTY_MEMBER", "residentId"),
    "party_member_report_home": ("OUTSIDE_AREA", "residentId"),
    "party_member_report_resident_id_key": ("DUPLICATE", "residentId"),
    "party_member_report_workplace_org_check": ("INVALID_INPUT", "workplaceOrganisation"),
    "need_area_level": ("WRONG_AREA_LEVEL", "areaCode"),
    "resource_area_level": ("WRONG_AREA_LEVEL", "areaCode"),
    "project_area_level": ("WRONG_AREA_LEVEL", "areaCode"),
    "micro_project_area_level": ("WRONG_AREA_LEVEL", "areaCode"),
    "need_match_transition": ("ILLEGAL_TRANSITION", "status"),
    "need_match_need_closed": ("NEED_CLOSED", "needId"),
    "need_match_once": ("DUPLICATE", "resourceId"),
    "project_need_area": ("OUTSIDE_AREA", "needIds"),
    "project_need_once": ("DUPLICATE", "needIds"),
    "micro_project_completed": ("ALREADY_COMPLETED", "microProjectId"),
    "micro_project_sponsor_area": ("OUTSIDE_AREA", "sponsorId"),
    "micro_project_participant_once": ("DUPLICATE", "residentId"),
    "micro_project_dates": ("INVALID_INPUT", "completedOn"),
    "resource_provider": ("INVALID_INPUT", "providerResidentId"),
}


@contextmanager
def grid_errors() -> Iterator[None]:
    """Constraint violations of the grid's tables as DomainError; others propagate."""
    try:
        yield
    except asyncpg.InsufficientPrivilegeError as exc:
        raise DomainError("FORBIDDEN", "outside what your role and area may change") from exc
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.RaiseError) as exc:
        constraint = getattr(exc, "constraint_name", None)
        if constraint not in CONSTRAINTS:
            raise
        code, field = CONSTRAINTS[constraint]
        raise DomainError(code, str(getattr(exc, "message", exc)), field) from exc


# -- lookups (under the principal's row-level security) --------------------------------

AREA = "SELECT id, code, level::text AS level, path::text AS path FROM area WHERE code = $1"
NODE = """
    SELECT n.id, n.level::text AS level, n.area_id, n.area_path::text AS area_path, n.leader_id
      FROM grid_node n WHERE n.id = $1 FOR NO KEY UPDATE"""
RESIDENT = """
    SELECT id, household_id, area_path::text AS area_path, is_party_member,
           roles::text[] AS roles
      FROM resident WHERE id = ANY($1::bigint[])"""
HOUSEHOLDS = "SELECT id, area_path::text AS area_path FROM household WHERE id = ANY($1::bigint[])"


async def area(conn: asyncpg.Connection, code: str) -> Record | None:
    return await conn.fetchrow(AREA, code)


async def node(conn: asyncpg.Connection, key: int) -> Record | None:
    return await conn.fetchrow(NODE, key)


async def residents(conn: asyncpg.Connection, keys: Sequence[int]) -> dict[int, Record]:
    return {r["id"]: r for r in await conn.fetch(RESIDENT, list(keys))}


async def households(conn: asyncpg.Connection, keys: Sequence[int]) -> dict[int, Record]:
    return {r["id"]: r for r in await conn.fetch(HOUSEHOLDS, list(keys))}


# -- writes ---------------------------------------------------------------------------


async def insert_node(
    conn: asyncpg.Connection,
    level: str,
    area_id: int,
    parent_id: int | None,
    name: str,
    leader_id: int | None,
) -> int:
    with grid_errors():
        return await conn.fetchval(
            "INSERT INTO grid_node (level, area_id, parent_id, name, leader_id) "
            "VALUES ($1::grid_level, $2, $3, $4, $5) RETURNING id",
            level,
            area_id,
            parent_id,
            name,
            leader_id,
        )


async def set_leader(conn: asyncpg.Connection, node_id: int, leader_id: int) -> None:
    with grid_errors():
        await conn.execute("UPDATE grid_node SET leader_id = $2 WHERE id = $1", node_id, leader_id)


async def assign_households(
    conn: asyncpg.Connection, node_id: int, household_ids: Sequence[int]
) -> None:
    """Each household to this building head (taking it from another head if it had one)."""
    with grid_errors():
        await conn.execute(
            """
            INSERT INTO grid_household (household_id, node_id)
            SELECT h, $1 FROM unnest($2::bigint[]) h ORDER BY h
            ON CONFLICT (household_id) DO UPDATE
               SET node_id = excluded.node_id, assigned_at = now()
             WHERE grid_household.node_id <> excluded.node_id
            """,
            node_id,
            list(household_ids),
        )


async def insert_visit(
    conn: asyncpg.Connection, household_id: int, worker_id: int, visited_on: dt.date, notes: str
) -> int:
    with grid_errors():
        return await conn.fetchval(
            "INSERT INTO grid_visit (household_id, worker_id, visited_on, notes) "
            "VALUES ($1, $2, $3, $4) RETURNING id",
            household_id,
            worker_id,
            visited_on,
            notes,
        )


async def record_branch(conn: asyncpg.Connection, area_id: int, branch_type: str, name: str) -> int:
    with grid_errors():
        return await conn.fetchval(
            """
            INSERT INTO party_branch (area_id, branch_type, name)
            VALUES ($1, $2::branch_type, $3)
            ON CONFLICT (area_id) DO UPDATE
               SET branch_type = excluded.branch_type, name = excluded.name
            RETURNING id
            """,
            area_id,
            branch_type,
            name,
        )


async def insert_party_report(
    conn: asyncpg.Connection,
    resident_id: int,
    area_id: int,
    workplace: str,
    reported_on: dt.date | None,
) -> int:
    with grid_errors():
        return await conn.fetchval(
            "INSERT INTO party_member_report (resident_id, area_id, workplace_org, reported_on) "
            "VALUES ($1, $2, $3, coalesce($4::date, current_date)) RETURNING id",
            resident_id,
            area_id,
            workplace,
            reported_on,
        )


async def party_report_of(conn: asyncpg.Connection, resident_id: int) -> int | None:
    return await conn.fetchval(
        "SELECT id FROM party_member_report WHERE resident_id = $1", resident_id
    )
