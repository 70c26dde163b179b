"""The resident tally (migration 0012): recount it from the residents."""

from __future__ import annotations

import asyncpg


async def rebuild(conn: asyncpg.Connection) -> int:
    """Recount every area's figures from the residents, in one transaction that waits for
    resident writers; returns the tally rows written. Needs the owner's rights (the
    function is not granted to the service's role)."""
    async with conn.transaction():
        rows: int = await conn.fetchval("SELECT resident_tally_rebuild()")
    return rows


async def drift(conn: asyncpg.Connection) -> int:
    """Figures (a path's measure) where the tally disagrees with a count of the residents
    (0 on a healthy database)."""
    return await conn.fetchval(
        """WITH counted AS (
               SELECT c.area_path, e.key, e.value::int AS n
                 FROM resident_tally_count('') c,
                      jsonb_each_text(to_jsonb(c) - 'area_path') e),
           tallied AS (
               SELECT t.area_path, e.key, e.value::int AS n
                 FROM resident_tally t, jsonb_each_text(to_jsonb(t) - 'area_path') e)
           SELECT count(*) FROM counted c FULL JOIN tallied t USING (area_path, key)
            WHERE coalesce(c.n, 0) <> coalesce(t.n, 0)"""
    )
