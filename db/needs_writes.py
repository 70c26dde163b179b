"""Writes of the needs/resources/projects lists and micro-projects, and their lookups.
Constraint violations map to codes through db.grid_writes.grid_errors()."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import asyncpg

from db.grid_writes import grid_errors

Record = asyncpg.Record


async def needs(conn: asyncpg.Connection, keys: Sequence[int]) -> dict[int, Record]:
    rows = await conn.fetch(
        "SELECT id, status::text AS status, area_path::text AS area_path FROM need "
        "WHERE id = ANY($1::bigint[]) FOR NO KEY UPDATE",
        list(keys),
    )
    return {r["id"]: r for r in rows}


async def resource(conn: asyncpg.Connection, key: int) -> Record | None:
    return await conn.fetchrow("SELECT id, available FROM resource WHERE id = $1", key)


async def match(conn: asyncpg.Connection, key: int) -> Record | None:
    return await conn.fetchrow(
        "SELECT id, need_id, status::text AS status FROM need_match WHERE id = $1 FOR UPDATE", key
    )


async def match_exists(conn: asyncpg.Connection, need_id: int, resource_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM need_match WHERE need_id = $1 AND resource_id = $2)",
            need_id,
            resource_id,
        )
    )


async def transition_allowed(conn: asyncpg.Connection, old: str, new: str) -> bool:
    """The database's own transition table (migration 0008), asked rather than copied."""
    return bool(
        await conn.fetchval(
            "SELECT match_transition_allowed($1::match_status, $2::match_status)", old, new
        )
    )


async def micro_project(conn: asyncpg.Connection, key: int) -> Record | None:
    return await conn.fetchrow(
        "SELECT id, status::text AS status, proposed_on, area_path::text AS area_path "
        "FROM micro_project WHERE id = $1 FOR NO KEY UPDATE",
        key,
    )


async def is_participant(conn: asyncpg.Connection, project_id: int, resident_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM micro_project_participant "
            "WHERE micro_project_id = $1 AND resident_id = $2)",
            project_id,
            resident_id,
        )
    )


async def resident_name(conn: asyncpg.Connection, key: int) -> str | None:
    return await conn.fetchval("SELECT name FROM resident WHERE id = $1", key)


async def insert_need(
    conn: asyncpg.Connection,
    household_id: int | None,
    area_id: int | None,
    category: str,
    title: str,
    description: str,
) -> int:
    with grid_errors():
        return await conn.fetchval(
            "INSERT INTO need (household_id, area_id, category, title, description) "
            "VALUES ($1, coalesce($2, (SELECT area_id FROM household WHERE id = $1)), "
            "$3::need_category, $4, $5) RETURNING id",
            household_id,
            area_id,
            category,
            title,
            description,
        )


async def insert_resource(
    conn: asyncpg.Connection,
    kind: str,
    resident_id: int | None,
    name: str,
    area_id: int,
    category: str,
    title: str,
    description: str,
) -> int:
    with grid_errors():
        return await conn.fetchval(
            "INSERT INTO resource (provider_kind, provider_resident_id, provider_name, area_id, "
            "category, title, description) VALUES ($1::provider_kind, $2, $3, $4, "
            "$5::resource_category, $6, $7) RETURNING id",
            kind,
            resident_id,
            name,
            area_id,
            category,
            title,
            description,
        )


async def insert_match(conn: asyncpg.Connection, need_id: int, resource_id: int, note: str) -> int:
    with grid_errors():
        return await conn.fetchval(
            "INSERT INTO need_match (need_id, resource_id, note) VALUES ($1, $2, $3) RETURNING id",
            need_id,
            resource_id,
            note,
        )


async def set_match_status(
    conn: asyncpg.Connection, key: int, status: str, note: str | None
) -> None:
    with grid_errors():
        await conn.execute(
            "UPDATE need_match SET status = $2::match_status, note = coalesce($3, note) "
            "WHERE id = $1",
            key,
            status,
            note,
        )


async def insert_project(
    conn: asyncpg.Connection,
    area_id: int,
    name: str,
    description: str,
    budget_fen: int,
    need_ids: Sequence[int],
) -> int:
    with grid_errors():
        key = await conn.fetchval(
            "INSERT INTO project (area_id, name, description, budget_fen) "
            "VALUES ($1, $2, $3, $4) RETURNING id",
            area_id,
            name,
            description,
            budget_fen,
        )
        await conn.execute(
            "INSERT INTO project_need (project_id, need_id) "
            "SELECT $1, n FROM unnest($2::bigint[]) n ORDER BY n",
            key,
            list(need_ids),
        )
    return key


async def insert_micro_project(
    conn: asyncpg.Connection,
    title: str,
    description: str,
    sponsor_id: int,
    area_id: int,
    budget_fen: int,
    proposed_on: dt.date | None,
) -> int:
    with grid_errors():
        return await conn.fetchval(
            "INSERT INTO micro_project (title, description, sponsor_id, area_id, budget_fen, "
            "proposed_on) VALUES ($1, $2, $3, $4, $5, coalesce($6::date, current_date)) "
            "RETURNING id",
            title,
            description,
            sponsor_id,
            area_id,
            budget_fen,
            proposed_on,
        )


async def insert_participant(
    conn: asyncpg.Connection, project_id: int, resident_id: int, joined_on: dt.date | None
) -> None:
    with grid_errors():
        await conn.execute(
            "INSERT INTO micro_project_participant (micro_project_id, resident_id, joined_on) "
            "VALUES ($1, $2, coalesce($3::date, current_date))",
            project_id,
            resident_id,
            joined_on,
        )


async def record_outcome(
    conn: asyncpg.Connection, key: int, outcome: str, completed_on: dt.date
) -> None:
    with grid_errors():
        await conn.execute(
            "UPDATE micro_project SET status = 'completed', outcome = $2, completed_on = $3 "
            "WHERE id = $1",
            key,
            outcome,
            completed_on,
        )
