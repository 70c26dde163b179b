"""Dashboard aggregates of the grid, needs and micro-projects, per area subtree.

Each aggregate is declared once as SQL expressions over a source rows set; both read
paths use the same declaration: the compiled path inlines the selected expressions as a
correlated subquery of the area (db/compiled_grid.py), the resolver path computes all of
them for a batch of areas in one statement (``area_aggregates``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg


@dataclass(frozen=True)
class Aggregate:
    """Figures over the rows of ``source`` under an area ``{a}``.

    ``fields`` maps a GraphQL field name to an SQL expression (aggregates over the
    source, or scalar subqueries of ``{a}``); ``args`` are the field's arguments, bound
    as ``{name}`` placeholders with their SQL type.
    """

    name: str
    source: str
    fields: dict[str, str]
    args: dict[str, str] = field(default_factory=dict)
    # fields whose SQL value is text holding an integer too large for GraphQL's Int
    big: tuple[str, ...] = ()


_HAS_HEAD = "EXISTS (SELECT 1 FROM grid_household g WHERE g.household_id = h.id)"
_VISITED = (
    "EXISTS (SELECT 1 FROM grid_visit v WHERE v.household_id = h.id "
    "AND v.visited_on >= date_trunc('month', current_date)::date)"
)


def _nodes(level: str) -> str:
    return (
        f"(SELECT count(*)::int FROM grid_node n WHERE n.area_path <@ {{a}}.path "
        f"AND n.level = '{level}')"
    )


def _branches(condition: str) -> str:
    return (
        f"(SELECT count(*)::int FROM compound_branch b WHERE b.area_path <@ {{a}}.path "
        f"AND {condition})"
    )


GRID_COVERAGE = Aggregate(
    name="gridCoverage",
    source="FROM household h WHERE h.area_path <@ {a}.path",
    fields={
        "households": "count(*)::int",
        "withBuildingHead": f"(count(*) FILTER (WHERE {_HAS_HEAD}))::int",
        "withoutBuildingHead": f"(count(*) FILTER (WHERE NOT {_HAS_HEAD}))::int",
        "visitedThisMonth": f"(count(*) FILTER (WHERE {_VISITED}))::int",
        "notVisitedThisMonth": f"(count(*) FILTER (WHERE NOT {_VISITED}))::int",
        "committees": _nodes("committee"),
        "partyGroups": _nodes("party_group"),
        "buildingHeads": _nodes("building_head"),
        "formalBranches": _branches("b.derived_type = 'formal'"),
        "functionalBranches": _branches("b.derived_type = 'functional'"),
        "branchMismatches": _branches("b.mismatch"),
    },
)

NEED_STATS = Aggregate(
    name="needStats",
    source="FROM need n WHERE n.area_path <@ {a}.path",
    fields={
        "total": "count(*)::int",
        "open": "(count(*) FILTER (WHERE n.status = 'open'))::int",
        "matched": "(count(*) FILTER (WHERE n.status = 'matched'))::int",
        "met": "(count(*) FILTER (WHERE n.status = 'met'))::int",
        "closed": "(count(*) FILTER (WHERE n.status = 'closed'))::int",
        "resources": (
            "(SELECT count(*)::int FROM resource r WHERE r.area_path <@ {a}.path AND r.available)"
        ),
        "activeMatches": (
            "(SELECT count(*)::int FROM need_match m WHERE m.area_path <@ {a}.path "
            "AND m.status IN ('proposed', 'accepted', 'in_progress'))"
        ),
    },
)

# Micro-projects proposed in the period, and participations (joins) in the period.
_IN_PERIOD = (
    "({from}::date IS NULL OR {col} >= {from}::date) "
    "AND ({to}::date IS NULL OR {col} <= {to}::date)"
)
_JOINED = (
    "FROM micro_project_participant x WHERE x.area_path <@ {a}.path AND "
    + _IN_PERIOD.replace("{col}", "x.joined_on")
)
MICRO_PROJECT_STATS = Aggregate(
    name="microProjectStats",
    source="FROM micro_project m WHERE m.area_path <@ {a}.path AND "
    + _IN_PERIOD.replace("{col}", "m.proposed_on"),
    fields={
        "projects": "count(*)::int",
        "completed": "(count(*) FILTER (WHERE m.status = 'completed'))::int",
        "budgetFen": "coalesce(sum(m.budget_fen), 0)::text",
        "participations": f"(SELECT count(*)::int {_JOINED})",
        "participants": f"(SELECT count(DISTINCT x.resident_id)::int {_JOINED})",
    },
    args={"from": "date", "to": "date"},
    big=("budgetFen",),
)

AGGREGATES = {a.name: a for a in (GRID_COVERAGE, NEED_STATS, MICRO_PROJECT_STATS)}


def aggregate_sql(agg: Aggregate, area: str, names: Sequence[str], params: dict[str, str]) -> str:
    """SELECT of the named figures for one area alias; ``params`` gives each argument's
    placeholder."""
    values = {"a": area, **params}
    columns = ", ".join(f'{agg.fields[n].format(**values)} AS "{n}"' for n in names)
    return f"SELECT {columns} {agg.source.format(**values)}"


async def area_aggregates(
    conn: asyncpg.Pool | asyncpg.Connection | Any,
    agg: Aggregate,
    area_ids: Sequence[int],
    args: dict[str, Any],
) -> dict[int, dict[str, Any]]:
    """Every figure of ``agg`` for each area, in one statement."""
    placeholders = {name: f"${i + 2}" for i, name in enumerate(agg.args)}
    inner = aggregate_sql(agg, "a", list(agg.fields), placeholders)
    sql = (
        f"SELECT a.id AS _area, s.* FROM area a CROSS JOIN LATERAL ({inner}) s "
        f"WHERE a.id = ANY($1::bigint[])"
    )
    rows = await conn.fetch(sql, list(area_ids), *(args.get(n) for n in agg.args))
    found = {row["_area"]: {k: row[k] for k in agg.fields} for row in rows}
    return {key: found.get(key, {}) for key in area_ids}
