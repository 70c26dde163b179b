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


# Monthly figures, in one pass over the petitions of each subtree: receipts, endings and
# due dates are bucketed by month (Beijing time), and the open counts are running sums
# (open at a month's end = received before its end - ended before its end; a petition
# ends after it was received).
_TZ = "'Asia/Shanghai'"


def _month_of(expr: str) -> str:
    return f"date_trunc('month', {expr} AT TIME ZONE {_TZ})::date"


def month_rows_sql(area_path: str, key: str) -> str:
    """The columns the monthly figures read, of the petitions of the subtree at
    ``area_path``, keyed by ``key`` (the area): read once, row-level security applied
    once per row."""
    return (
        f"SELECT {key} AS k, p.received_at, p.ended_at, p.due_date, p.satisfaction, p.triage, "
        "petition_overdue(p.due_date, p.ended_at) AS late "
        f"FROM petition p WHERE p.area_path <@ {area_path}"
    )


def months_sql(rows: str, keys: str, first: str, last: str) -> str:
    """One row per key and month from ``first`` to ``last`` (dates) with every figure:
    k, m, received, resolved, open_start, open_end, feedback_received, feedback_satisfied,
    overdue, triage_<class>."""
    start = f"(({first})::timestamp AT TIME ZONE {_TZ})"
    triage = ", ".join(f"count(*) FILTER (WHERE triage = '{t}') AS triage_{t}" for t in TRIAGES)
    zeros = ", ".join(f"coalesce(rc.triage_{t}, 0) AS triage_{t}" for t in TRIAGES)
    content = "('satisfied', 'basically_satisfied')"
    per_month = (
        f"SELECT k.k, g.m0::date AS m, coalesce(rc.received, 0) AS received, "
        f"coalesce(ec.resolved, 0) AS resolved, "
        f"coalesce(ec.feedback_received, 0) AS feedback_received, "
        f"coalesce(ec.feedback_satisfied, 0) AS feedback_satisfied, "
        f"coalesce(dc.overdue, 0) AS overdue, {zeros}, "
        f"coalesce(base.received_before, 0) - coalesce(base.ended_before, 0) AS open_before "
        f"FROM ({keys}) k "
        f"CROSS JOIN generate_series(({first})::timestamp, ({last})::timestamp, "
        f"interval '1 month') AS g(m0) "
        f"LEFT JOIN (SELECT k, {_month_of('received_at')} AS m, count(*) AS received, {triage} "
        f"FROM {rows} GROUP BY 1, 2) rc ON rc.k = k.k AND rc.m = g.m0::date "
        f"LEFT JOIN (SELECT k, {_month_of('ended_at')} AS m, count(*) AS resolved, "
        f"count(satisfaction) AS feedback_received, "
        f"count(*) FILTER (WHERE satisfaction IN {content}) AS feedback_satisfied "
        f"FROM {rows} WHERE ended_at IS NOT NULL GROUP BY 1, 2) ec "
        f"ON ec.k = k.k AND ec.m = g.m0::date "
        f"LEFT JOIN (SELECT k, date_trunc('month', due_date)::date AS m, "
        f"count(*) FILTER (WHERE late) AS overdue FROM {rows} GROUP BY 1, 2) dc "
        f"ON dc.k = k.k AND dc.m = g.m0::date "
        f"LEFT JOIN (SELECT k, count(*) FILTER (WHERE received_at < {start}) AS received_before, "
        f"count(*) FILTER (WHERE ended_at < {start}) AS ended_before FROM {rows} GROUP BY 1) "
        f"base ON base.k = k.k"
    )
    running = "OVER (PARTITION BY x.k ORDER BY x.m)"
    return (
        f"SELECT x.*, (x.open_before + sum(x.received) {running} - sum(x.resolved) {running} "
        f"- x.received + x.resolved)::bigint AS open_start, "
        f"(x.open_before + sum(x.received) {running} - sum(x.resolved) {running})::bigint "
        f"AS open_end FROM ({per_month}) x"
    )


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
    rows = (
        "(SELECT x.* FROM area a CROSS JOIN LATERAL "
        f"({month_rows_sql('a.path', 'a.id')}) x WHERE a.id = ANY($1::bigint[]))"
    )
    sql = (
        f"WITH r AS MATERIALIZED {rows} "
        f"SELECT f.k AS area_id, f.*, {rates} FROM "
        f"({months_sql('r', 'SELECT unnest($1::bigint[]) AS k', '$2::date', '$3::date')}) f "
        f"ORDER BY f.k, f.m"
    )
    grouped: dict[int, list[dict[str, Any]]] = {k: [] for k in area_ids}
    for row in await conn.fetch(sql, list(area_ids), first, last):
        grouped[row["area_id"]].append(dict(row))
    return grouped
