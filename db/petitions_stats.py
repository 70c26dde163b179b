"""Petition figures computed from the records: dashboard counts and the monthly figures a
report states (docs/petitions.md defines each one).

The SQL expressions are shared by both read paths: the resolver path runs the statements
below, the compiled path (db/compiled_petitions.py) embeds the same expressions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from db.petitions_mapping import PETITION
from db.query import FilterItems, Params, filter_sql

STATUSES = (
    "received",
    "triaged",
    "assigned",
    "in_progress",
    "resolved",
    "feedback",
    "closed",
    "duplicate",
    "referred",
    "rejected",
)
TRIAGES = ("major", "minor", "private")
CHANNELS = (
    "walk_in",
    "phone",
    "wechat",
    "service_day",
    "grid_visit",
    "open_air_meeting",
    "online",
)
SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied")
MAX_MONTHS = 36


def rate_sql(numerator: str, denominator: str) -> str:
    """A fraction with 4 decimals as PostgreSQL prints it (Decimal on both paths), NULL
    without a denominator."""
    return (
        f"(CASE WHEN ({denominator}) = 0 THEN NULL "
        f"ELSE round(({numerator})::numeric / ({denominator}), 4)::text END)"
    )


# Dashboard figures over a set of petitions {p}: name -> aggregate.
def stats_figures(p: str) -> dict[str, str]:
    overdue = f"petition_overdue({p}.due_date, {p}.ended_at)"
    figures = {
        "count": "count(*)",
        "open": f"count(*) FILTER (WHERE petition_is_open({p}.status))",
        "overdue": f"count(*) FILTER (WHERE {overdue})",
        "ended": f"count(*) FILTER (WHERE {p}.ended_at IS NOT NULL)",
        "rated": f"count(*) FILTER (WHERE {p}.satisfaction IS NOT NULL)",
        "content": f"count(*) FILTER (WHERE {p}.satisfaction "
        "IN ('satisfied', 'basically_satisfied'))",
    }
    for s in STATUSES:
        figures[f"status_{s}"] = f"count(*) FILTER (WHERE {p}.status = '{s}')"
    for t in TRIAGES:
        figures[f"triage_{t}"] = f"count(*) FILTER (WHERE {p}.triage = '{t}')"
    for c in CHANNELS:
        figures[f"channel_{c}"] = f"count(*) FILTER (WHERE {p}.channel = '{c}')"
    for s in SATISFACTIONS:
        figures[f"satisfaction_{s}"] = f"count(*) FILTER (WHERE {p}.satisfaction = '{s}')"
    return figures


# Monthly figures: {p} a petition, {b} the month's bounds (b.m the first day, b.lo and
# b.hi the month's start and end instants in Beijing time).
def month_figures(p: str, b: str) -> dict[str, str]:
    received = f"{p}.received_at >= {b}.lo AND {p}.received_at < {b}.hi"
    ended = f"{p}.ended_at >= {b}.lo AND {p}.ended_at < {b}.hi"
    figures = {
        "received": f"count(*) FILTER (WHERE {received})",
        "resolved": f"count(*) FILTER (WHERE {ended})",
        "open_start": f"count(*) FILTER (WHERE {p}.received_at < {b}.lo "
        f"AND ({p}.ended_at IS NULL OR {p}.ended_at >= {b}.lo))",
        "open_end": f"count(*) FILTER (WHERE {p}.received_at < {b}.hi "
        f"AND ({p}.ended_at IS NULL OR {p}.ended_at >= {b}.hi))",
        "feedback_received": f"count(*) FILTER (WHERE {ended} AND {p}.satisfaction IS NOT NULL)",
        "feedback_satisfied": f"count(*) FILTER (WHERE {ended} "
        f"AND {p}.satisfaction IN ('satisfied', 'basically_satisfied'))",
        "overdue": f"count(*) FILTER (WHERE {p}.due_date >= {b}.m "
        f"AND {p}.due_date < ({b}.m + interval '1 month')::date AND {p}.late)",
    }
    for t in TRIAGES:
        figures[f"triage_{t}"] = f"count(*) FILTER (WHERE {received} AND {p}.triage = '{t}')"
    return figures


def month_bounds_sql(first: str, last: str, b: str) -> str:
    """FROM-clause items: one row per month from ``first`` to ``last`` (dates), as {b}."""
    return (
        f"generate_series(({first})::timestamp, ({last})::timestamp, interval '1 month') "
        f"AS {b}_g(m0) CROSS JOIN LATERAL (SELECT {b}_g.m0::date AS m, "
        f"{b}_g.m0 AT TIME ZONE 'Asia/Shanghai' AS lo, "
        f"({b}_g.m0 + interval '1 month') AT TIME ZONE 'Asia/Shanghai' AS hi) {b}"
    )


def month_rows_sql(area_path: str) -> str:
    """The columns the monthly figures read, of the petitions of the subtree at
    ``area_path``: read once (row-level security applies once per row), then counted for
    every month from memory (a MATERIALIZED CTE)."""
    return (
        "SELECT p.received_at, p.ended_at, p.due_date, p.satisfaction, p.triage, "
        "petition_overdue(p.due_date, p.ended_at) AS late "
        f"FROM petition p WHERE p.area_path <@ {area_path}"
    )


def month_figures_sql(rows: str, b: str, where: str = "true") -> str:
    """A LATERAL subquery computing every monthly figure of month {b} over ``rows``;
    rates are derived from its columns."""
    p = "mp"
    cols = ", ".join(f"{sql} AS {name}" for name, sql in month_figures(p, b).items())
    return f"(SELECT {cols} FROM {rows} {p} WHERE {where.format(p=p)})"


MONTH_RATES = {
    "completion_rate": rate_sql("{f}.resolved", "{f}.open_start + {f}.received"),
    "satisfaction_rate": rate_sql("{f}.feedback_satisfied", "{f}.feedback_received"),
}
STATS_RATES = {
    "completion_rate": rate_sql("{f}.ended", "{f}.count"),
    "satisfaction_rate": rate_sql("{f}.content", "{f}.rated"),
}


@dataclass
class StatsRecord:
    figures: dict[str, Any] = field(default_factory=dict)

    def rate(self, name: str) -> Decimal | None:
        value = self.figures.get(name)
        return None if value is None else Decimal(value)


async def petition_stats(
    conn: asyncpg.Pool | asyncpg.Connection | Any,
    area_ids: Sequence[int] | None,
    filters: FilterItems,
) -> dict[int | None, StatsRecord]:
    """Figures per area subtree (or over every petition the principal sees, key None)."""
    params = Params()
    where = filter_sql(PETITION, "p", filters, params)
    figures = stats_figures("p")
    cols = ", ".join(f"{sql} AS {name}" for name, sql in figures.items())
    rates = ", ".join(f"{sql.format(f='f')} AS {name}" for name, sql in STATS_RATES.items())
    if area_ids is None:
        clause = " AND ".join(where) or "true"
        sql = (
            f"SELECT NULL::bigint AS area_id, f.*, {rates} FROM "
            f"(SELECT {cols} FROM petition p WHERE {clause} GROUP BY ()) f"
        )
    else:
        keys = params.add(list(area_ids), "bigint[]")
        clause = " AND ".join(["p.area_path <@ a.path", *where])
        sql = (
            f"SELECT a.id AS area_id, f.*, {rates} FROM area a CROSS JOIN LATERAL "
            f"(SELECT {cols} FROM petition p WHERE {clause} GROUP BY ()) f "
            f"WHERE a.id = ANY({keys})"
        )
    rows = await conn.fetch(sql, *params.values)
    return {r["area_id"]: StatsRecord(dict(r)) for r in rows}


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    months = []
    m = first.replace(day=1)
    while m <= last:
        months.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return months


async def petition_months(
    conn: asyncpg.Pool | asyncpg.Connection | Any,
    area_ids: Sequence[int],
    first: dt.date,
    last: dt.date,
) -> dict[int, list[dict[str, Any]]]:
    """Monthly figures of each area's subtree, months in order."""
    rates = ", ".join(f"{sql.format(f='f')} AS {name}" for name, sql in MONTH_RATES.items())
    sql = (
        f"WITH r AS MATERIALIZED (SELECT a.id AS area_id, x.* FROM area a "
        f"CROSS JOIN LATERAL ({month_rows_sql('a.path')}) x WHERE a.id = ANY($1::bigint[])) "
        f"SELECT a.id AS area_id, b.m, f.*, {rates} "
        f"FROM area a CROSS JOIN {month_bounds_sql('$2::date', '$3::date', 'b')} "
        f"CROSS JOIN LATERAL {month_figures_sql('r', 'b', '{p}.area_id = a.id')} f "
        f"WHERE a.id = ANY($1::bigint[]) ORDER BY a.id, b.m"
    )
    grouped: dict[int, list[dict[str, Any]]] = {k: [] for k in area_ids}
    for row in await conn.fetch(sql, list(area_ids), first, last):
        grouped[row["area_id"]].append(dict(row))
    return grouped
