"""Reads of petitions that are not mapping relations: the catalogue, events by id."""

from __future__ import annotations

from typing import Any

import asyncpg

from db.petitions_mapping import PETITION, PETITION_CATEGORY, PETITION_EVENT

CATEGORIES = f"SELECT {PETITION_CATEGORY.column_list('t')} FROM petition_category t ORDER BY t.code"
CATEGORY_BY_CODE = """
    SELECT id, code, sla_days, default_triage::text AS default_triage
      FROM petition_category WHERE code = $1"""
DEPARTMENT_EXISTS = "SELECT EXISTS (SELECT 1 FROM department WHERE code = $1)"
EVENT_BY_ID = f"SELECT {PETITION_EVENT.column_list('t')} FROM petition_event t WHERE t.id = $1"
PETITION_BY_ID = f"SELECT {PETITION.column_list('t')} FROM petition t WHERE t.id = $1"
DUE_DATE = "SELECT add_working_days($1::date, $2::int)"

Conn = asyncpg.Pool | asyncpg.Connection | Any


async def categories(conn: Conn) -> list[asyncpg.Record]:
    return list(await conn.fetch(CATEGORIES))


async def category_by_code(conn: Conn, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(CATEGORY_BY_CODE, code)


async def department_exists(conn: Conn, code: str) -> bool:
    return bool(await conn.fetchval(DEPARTMENT_EXISTS, code))


async def petition_event_by_id(
    conn: Conn, event_id: int
) -> tuple[asyncpg.Record, asyncpg.Record] | None:
    """An event and its petition, as the principal of ``conn`` may see them (row-level
    security: a resident sees public events of their own or public petitions only);
    None when either is not visible. For subscriptions: run it in the subscriber's
    session when a NOTIFY on channel ``petition_event`` names ``event_id``."""
    event = await conn.fetchrow(EVENT_BY_ID, event_id)
    if event is None:
        return None
    petition = await conn.fetchrow(PETITION_BY_ID, event["petition_id"])
    return None if petition is None else (event, petition)


async def add_working_days(conn: Conn, start: Any, days: int) -> Any:
    return await conn.fetchval(DUE_DATE, start, days)
