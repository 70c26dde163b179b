"""Arrange collective-enterprise data directly in the database (tests of the domain)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from tests.factories import add_areas, add_household
from validation.ids import gb32100_check_char

VILLAGE = "510129101201"  # 大坪村
COMPOUND = "510129101201-01"  # 一组院落, in 大坪村
OTHER_COMPOUND = "510129101202-01"  # 放牛院落, in 放牛村


def credit_code(body: str) -> str:
    """A valid GB 32100 code from its first 17 characters."""
    return body + gb32100_check_char(body)


COOP_CODE = credit_code("N2510129MA6CQ0001")


def account_values(
    revenue: int,
    expenses: int,
    opening: int = 0,
    reserve: int = 0,
    welfare: int = 0,
    investors: int = 0,
    pool: int = 0,
    other: int = 0,
) -> dict[str, int]:
    """A consistent account in fen: every identity holds."""
    income = revenue - expenses
    distributable = income + opening
    closing = distributable - reserve - welfare - investors - pool - other
    return {
        "revenue_fen": revenue,
        "expenses_fen": expenses,
        "income_fen": income,
        "opening_undistributed_fen": opening,
        "distributable_fen": distributable,
        "reserve_fund_fen": reserve,
        "welfare_fund_fen": welfare,
        "investor_returns_fen": investors,
        "dividend_pool_fen": pool,
        "other_distributions_fen": other,
        "closing_undistributed_fen": closing,
    }


async def insert_account(
    conn: asyncpg.Connection, enterprise: int, year: int, values: dict[str, int]
) -> int:
    columns = ", ".join(values)
    params = ", ".join(f"${i + 3}" for i in range(len(values)))
    return await conn.fetchval(
        f"INSERT INTO annual_account (enterprise_id, year, {columns}) VALUES ($1, $2, {params})"
        " RETURNING id",
        enterprise,
        year,
        *values.values(),
    )


async def coop(db: asyncpg.Connection) -> dict[str, Any]:
    """大坪村股份经济合作社 with three member households holding 3, 2 and 2 population
    shares since 2020, a fourth household in the village that is no member, and one in
    another village."""
    areas = await add_areas(db)
    households = []
    residents = []
    for room, people in (
        ("1", [{"name": "王建国"}, {"name": "李秀英", "gender": "female", "relation": "spouse"}]),
        ("2", [{"name": "赵德明"}]),
        ("3", [{"name": "孙丽", "gender": "female"}, {"name": "孙强", "relation": "son"}]),
        ("4", [{"name": "周平"}]),
    ):
        hid, rids = await add_household(db, areas[COMPOUND], room, people)
        households.append(hid)
        residents.append(rids)
    outsider, _ = await add_household(db, areas[OTHER_COMPOUND], "9", [{"name": "钱进"}])
    enterprise = await db.fetchval(
        """INSERT INTO collective_enterprise
               (area_id, name, kind, credit_code, founded_on, legal_representative_id)
           VALUES ($1, '大坪村股份经济合作社', 'shareholding_cooperative', $2, '2018-06-01', $3)
           RETURNING id""",
        areas[VILLAGE],
        COOP_CODE,
        residents[0][0],
    )
    members = {}
    for hid, shares in zip(households[:3], (3, 2, 2), strict=True):
        members[hid] = await db.fetchval(
            "INSERT INTO enterprise_member (enterprise_id, household_id, joined_on)"
            " VALUES ($1, $2, '2020-01-01') RETURNING id",
            enterprise,
            hid,
        )
        await db.execute(
            "INSERT INTO shareholding (enterprise_id, household_id, share_class, quantity,"
            " valid_from) VALUES ($1, $2, 'population', $3, '2020-01-01')",
            enterprise,
            hid,
            shares,
        )
    return {
        "areas": areas,
        "households": households,
        "residents": residents,
        "outsider": outsider,
        "enterprise": enterprise,
        "members": members,
        "record_date": dt.date(2025, 1, 15),
    }


# 1000.00 yuan over 7 shares (3, 2, 2): 42857.14, 28571.43, 28571.43 fen exactly; the
# one fen left after the floors goes to the largest remainder (the second household,
# tied with the third and lower in id).
POOL = 100_000
AMOUNTS = (42_857, 28_572, 28_571)


async def insert_distribution(
    conn: asyncpg.Connection,
    account: int,
    households: list[int],
    amounts: tuple[int, ...] = AMOUNTS,
    units: tuple[int, ...] = (3, 2, 2),
    pool: int = POOL,
    basis: str = "per_share",
    record_date: dt.date = dt.date(2025, 1, 15),
) -> int:
    async with conn.transaction():  # a savepoint inside a caller's transaction
        return await _distribution(
            conn, account, households, amounts, units, pool, basis, record_date
        )


async def _distribution(
    conn: asyncpg.Connection,
    account: int,
    households: list[int],
    amounts: tuple[int, ...],
    units: tuple[int, ...],
    pool: int,
    basis: str,
    record_date: dt.date,
) -> int:
    dist = await conn.fetchval(
        "INSERT INTO dividend_distribution (enterprise_id, account_id, basis, record_date,"
        " pool_fen, units) SELECT a.enterprise_id, a.id, $2, $3, $4, $5 FROM annual_account a"
        " WHERE a.id = $1 RETURNING id",
        account,
        basis,
        record_date,
        pool,
        sum(units),
    )
    await conn.executemany(
        "INSERT INTO dividend_line (distribution_id, household_id, area_path, units, amount_fen)"
        " VALUES ($1, $2, '', $3, $4)",
        [(dist, h, u, a) for h, u, a in zip(households, units, amounts, strict=True)],
    )
    return dist
