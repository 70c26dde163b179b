"""The demo seed's grid, needs lists and micro-projects: present, consistent, with the
planted gaps, and replaced cleanly."""

from __future__ import annotations

import asyncpg


async def test_demo_grid_and_lists(cli, db: asyncpg.Connection) -> None:
    result = cli("seed", "--demo", "--scale", "0.01")
    assert result.exit_code == 0, result.stderr
    villages = await db.fetchval("SELECT count(*) FROM area WHERE level = 'village'")
    compounds = await db.fetchval("SELECT count(*) FROM area WHERE level = 'compound'")
    levels = dict(await db.fetch("SELECT level::text, count(*) FROM grid_node GROUP BY 1"))
    assert levels["committee"] == villages
    assert levels["party_group"] == compounds
    assert levels["building_head"] >= compounds
    households = await db.fetchval("SELECT count(*) FROM household")
    assigned = await db.fetchval("SELECT count(*) FROM grid_household")
    # about 2% planted without a building head
    assert 0.95 * households <= assigned < households
    unvisited = await db.fetchval(
        "SELECT count(*) FROM household h WHERE NOT EXISTS (SELECT 1 FROM grid_visit v "
        "WHERE v.household_id = h.id AND v.visited_on >= date_trunc('month', current_date))"
    )
    assert 0.05 * households < unvisited < 0.2 * households
    assert await db.fetchval("SELECT count(*) FROM compound_branch") == compounds
    assert await db.fetchval("SELECT count(*) FROM party_branch") == compounds
    for table in ("need", "resource", "need_match", "project", "micro_project",
                  "micro_project_participant", "party_member_report"):  # fmt: skip
        assert await db.fetchval(f"SELECT count(*) FROM {table}") > 0, table
    # matches moved along their lifecycle, needs followed them
    statuses = dict(await db.fetch("SELECT status::text, count(*) FROM need_match GROUP BY 1"))
    assert statuses.get("completed", 0) > 0
    assert (
        await db.fetchval(
            "SELECT count(*) FROM need n WHERE n.status = 'met' AND NOT EXISTS "
            "(SELECT 1 FROM need_match m WHERE m.need_id = n.id AND m.status = 'completed')"
        )
        == 0
    )
    # replacing deletes the grid rows too and seeds them again (picks hash the new ids, so
    # counts are alike, not equal)
    first = await db.fetchval("SELECT count(*) FROM need")
    again = cli("seed", "--demo", "--scale", "0.01", "--replace")
    assert again.exit_code == 0, again.stderr
    assert 0.5 * first <= await db.fetchval("SELECT count(*) FROM need") <= 1.5 * first
    assert await db.fetchval("SELECT count(*) FROM grid_node WHERE level = 'committee'") == villages
