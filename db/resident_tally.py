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
    """Tally rows that disagree with a count of the residents (0 on a healthy database)."""
    return await conn.fetchval(
        """SELECT count(*) FROM (
               SELECT r.area_path, m.measure, count(*) AS n
                 FROM resident r CROSS JOIN LATERAL
                      resident_measures(r.relation, r.is_party_member, r.gender, r.care_tags)
                        AS m(measure)
                GROUP BY 1, 2) c
           FULL JOIN resident_tally t USING (area_path, measure)
          WHERE coalesce(c.n, 0) <> coalesce(t.n, 0)"""
    )
