"""Reads of the collective-enterprise domain that are not plain mapping lookups: the
income and dividend figures of an area's subtree per year (both read paths use
``finance_rows_sql``, so they cannot disagree about a figure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

# (GraphQL field, SQL over the grouped rows {f}): money as yuan text, counts as int
FINANCE_FIELDS: dict[str, str] = {
    "year": "{f}.year",
    "enterprises": "{f}.enterprises",
    "revenue": "{f}.revenue",
    "expenses": "{f}.expenses",
    "income": "{f}.income",
    "reserveFund": "{f}.reserve_fund",
    "welfareFund": "{f}.welfare_fund",
    "dividendPool": "{f}.dividend_pool",
    "dividendsPaid": "{f}.dividends_paid",
    "householdsPaid": "{f}.households_paid",
}


def _yuan(sql: str) -> str:
    return f"((coalesce({sql}, 0))::numeric / 100)::numeric(20, 2)::text"


def finance_rows_sql(path: str, year_from: str, year_to: str) -> str:
    """One row per year of the accounts under ``path`` (an ltree expression), between the
    optional bounds (int expressions, NULL for none), in year order."""
    paid = (
        "FROM dividend_line l JOIN dividend_distribution d ON d.id = l.distribution_id "
        f"WHERE d.area_path <@ {path} AND d.year = a.year"
    )
    return (
        "SELECT a.year, count(*)::int AS enterprises, "
        f"{_yuan('sum(a.revenue_fen)')} AS revenue, {_yuan('sum(a.expenses_fen)')} AS expenses, "
        f"{_yuan('sum(a.income_fen)')} AS income, "
        f"{_yuan('sum(a.reserve_fund_fen)')} AS reserve_fund, "
        f"{_yuan('sum(a.welfare_fund_fen)')} AS welfare_fund, "
        f"{_yuan('sum(a.dividend_pool_fen)')} AS dividend_pool, "
        f"{_yuan(f'(SELECT sum(l.amount_fen) {paid})')} AS dividends_paid, "
        f"(SELECT count(DISTINCT l.household_id) {paid})::int AS households_paid "
        f"FROM annual_account a WHERE a.area_path <@ {path} "
        f"AND ({year_from} IS NULL OR a.year >= {year_from}) "
        f"AND ({year_to} IS NULL OR a.year <= {year_to}) "
        "GROUP BY a.year ORDER BY a.year"
    )


async def finances(
    conn: Any, area_ids: Sequence[int], year_from: int | None, year_to: int | None
) -> dict[int, list[asyncpg.Record]]:
    """Per area (its whole subtree), the yearly figures; one statement for all areas."""
    rows_sql = finance_rows_sql("p.path", "$2::int", "$3::int")
    sql = (
        f"SELECT p.id AS _area, f.* FROM area p CROSS JOIN LATERAL ({rows_sql}) f "
        "WHERE p.id = ANY($1::bigint[]) ORDER BY p.id, f.year"
    )
    grouped: dict[int, list[asyncpg.Record]] = {key: [] for key in area_ids}
    for row in await conn.fetch(sql, list(area_ids), year_from, year_to):
        grouped[row["_area"]].append(row)
    return grouped
