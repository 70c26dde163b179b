"""The demo seed's collective enterprises: present, consistent, replaced with the county."""

from __future__ import annotations

import asyncpg
import pytest

from db.enterprises_writes import allocate

SCALE = "0.02"


# each test gets a copy of one `seed --demo --scale SCALE` run; `seeded` is its output
pytestmark = pytest.mark.demo(SCALE)


async def test_demo_enterprises_hold_every_identity(seeded, db: asyncpg.Connection) -> None:
    kinds = dict(
        await db.fetch("SELECT kind::text, count(*) FROM collective_enterprise GROUP BY kind")
    )
    assert kinds["shareholding_cooperative"] >= 2 and kinds["specialised_cooperative"] >= 1
    assert await db.fetchval(
        "SELECT bool_and(gb32100_valid(credit_code)) FROM collective_enterprise"
    )
    assert await db.fetchval("SELECT count(*) FROM annual_account") >= 4 * 3
    # the identities, recomputed here from the stored rows
    assert (
        await db.fetchval(
            """SELECT count(*) FROM annual_account a
            WHERE a.income_fen <> a.revenue_fen - a.expenses_fen
               OR a.distributable_fen <> a.income_fen + a.opening_undistributed_fen
               OR a.closing_undistributed_fen <> a.distributable_fen - a.reserve_fund_fen
                  - a.welfare_fund_fen - a.investor_returns_fen - a.dividend_pool_fen
                  - a.other_distributions_fen
               OR EXISTS (SELECT 1 FROM annual_account p WHERE p.enterprise_id = a.enterprise_id
                           AND p.year = a.year - 1
                           AND p.closing_undistributed_fen <> a.opening_undistributed_fen)"""
        )
        == 0
    )
    rows = await db.fetch(
        """SELECT d.id, d.pool_fen, a.dividend_pool_fen,
                  array_agg(l.household_id ORDER BY l.household_id) AS households,
                  array_agg(l.units ORDER BY l.household_id) AS units,
                  array_agg(l.amount_fen ORDER BY l.household_id) AS amounts
             FROM dividend_distribution d JOIN annual_account a ON a.id = d.account_id
             JOIN dividend_line l ON l.distribution_id = d.id GROUP BY d.id, a.dividend_pool_fen"""
    )
    assert rows
    for r in rows:
        assert r["pool_fen"] == r["dividend_pool_fen"] == sum(r["amounts"])
        expected = allocate(r["pool_fen"], list(zip(r["households"], r["units"], strict=True)))
        assert [expected[h] for h in r["households"]] == r["amounts"]
    # realistic magnitudes: a few hundred yuan per household on average
    per_household = await db.fetchval("SELECT avg(amount_fen) / 100 FROM dividend_line")
    assert 50 < per_household < 5000
    # quarterly disclosure: some enterprises are overdue, most are not
    flags = [
        r["overdue"]
        for r in await db.fetch(
            """SELECT coalesce(max(x.published_on) < (current_date - interval '3 months')::date,
                               true) AS overdue
                 FROM collective_enterprise e LEFT JOIN disclosure x ON x.enterprise_id = e.id
                GROUP BY e.id"""
        )
    ]
    assert False in flags


async def test_replacing_the_demo_replaces_its_enterprises(cli, seeded, db) -> None:  # type: ignore[no-untyped-def]
    before = await db.fetchval("SELECT count(*) FROM collective_enterprise")
    result = cli("seed", "--demo", "--scale", SCALE, "--seed", "8", "--replace")
    assert result.exit_code == 0, result.stderr
    after = await db.fetch("SELECT credit_code FROM collective_enterprise")
    assert len(after) > 0 and before > 0
    assert (
        await db.fetchval(
            "SELECT count(*) FROM dividend_line l WHERE NOT EXISTS"
            " (SELECT 1 FROM household h WHERE h.id = l.household_id)"
        )
        == 0
    )
