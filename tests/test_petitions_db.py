"""The petition tables' own rules, exercised directly in the database (any writer obeys)."""

from __future__ import annotations

import asyncpg


async def test_smoke(db: asyncpg.Connection) -> None:
    assert await db.fetchval("SELECT add_working_days('2026-09-30', 1)") is not None
