"""Dashboard aggregates over residents, for a batch of areas (each area's whole subtree).

Unfiltered figures without age bands are summed from ``resident_tally`` (migration
0012), as the compiled path does; anything else, and a resident principal (who sees
residents by household, which the tally cannot express), counts residents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from db.community import AREA, RESIDENT
from db.query import FilterItems, Params, filter_sql

# Age bands dashboards report: children, working age, younger elderly, the very old.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-17", 0, 17),
    ("18-59", 18, 59),
    ("60-79", 60, 79),
    ("80+", 80, None),
)


@dataclass
class ResidentStatsRecord:
    count: int = 0
    households: int = 0
    party_members: int = 0
    by_gender: dict[str, int] = field(default_factory=dict)
    by_care_tag: dict[str, int] = field(default_factory=dict)
    by_age_band: dict[str, int] = field(default_factory=dict)


def _age_band_columns() -> str:
    age = "date_part('year', age(current_date, s.birth_date))"
    parts = []
    for label, low, high in AGE_BANDS:
        cond = f"{age} >= {low}" + (f" AND {age} <= {high}" if high is not None else "")
        parts.append(f"'{label}', count(*) FILTER (WHERE {cond})")
    return "json_build_object(" + ", ".join(parts) + ")"


async def resident_stats(
    conn: asyncpg.Pool | asyncpg.Connection,
    area_ids: Sequence[int] | None,
    filters: FilterItems,
    *,
    age_bands: bool = True,
) -> dict[int | None, ResidentStatsRecord]:
    """Stats per area subtree, or (area_ids None) over all residents the caller may see.
    ``age_bands`` False: the caller does not need ``by_age_band`` (left empty)."""
    if not filters and not age_bands:
        tallied = await _tallied_stats(conn, area_ids)
        if tallied is not None:
            return tallied
    return await _counted_stats(conn, area_ids, filters)


async def _tallied_stats(
    conn: asyncpg.Pool | asyncpg.Connection, area_ids: Sequence[int] | None
) -> dict[int | None, ResidentStatsRecord] | None:
    """The tally's sums per area (each tally column a key: residents, households,
    party_members, gender_<g>, care_tag_<t>); None when the principal reads residents
    by household (the caller counts them instead)."""
    if area_ids is None:
        parents, args = "(VALUES (NULL::bigint, ''::ltree)) p(id, path)", []
    else:
        parents = "unnest($1::bigint[]) p(id) JOIN area a ON a.id = p.id"
        parents = f"(SELECT p.id, a.path FROM {parents}) p"
        args = [list(area_ids)]
    rows = await conn.fetch(
        f"""SELECT p.id AS parent, gongzhi_household() IS NULL AS tallied, s.key, s.n
              FROM {parents}
              LEFT JOIN LATERAL (
                  SELECT e.key, sum(e.value::int) AS n
                    FROM resident_tally x
                   CROSS JOIN LATERAL jsonb_each_text(to_jsonb(x) - 'area_path') e
                   WHERE x.area_path <@ p.path
                   GROUP BY e.key) s ON true""",
        *args,
    )
    if rows and not rows[0]["tallied"]:
        return None
    result: dict[int | None, ResidentStatsRecord] = {
        key: ResidentStatsRecord() for key in (area_ids if area_ids is not None else [None])
    }
    for row in rows:
        if row["key"] is None:
            continue
        record, key, n = result[row["parent"]], row["key"], row["n"]
        if key == "residents":
            record.count = n
        elif key == "households":
            record.households = n
        elif key == "party_members":
            record.party_members = n
        elif key.startswith("gender_"):
            record.by_gender[key.removeprefix("gender_")] = n
        elif key.startswith("care_tag_"):
            record.by_care_tag[key.removeprefix("care_tag_")] = n
    return result


async def _counted_stats(
    conn: asyncpg.Pool | asyncpg.Connection,
    area_ids: Sequence[int] | None,
    filters: FilterItems,
) -> dict[int | None, ResidentStatsRecord]:
    params = Params()
    clauses = filter_sql(RESIDENT, "t", filters, params)
    if area_ids is None:
        scoped = "SELECT NULL::bigint AS parent, t.* FROM resident t"
        parents = "(VALUES (NULL::bigint)) p(id)"
        on = "b.parent IS NOT DISTINCT FROM p.id"
        on_tags = "g.parent IS NOT DISTINCT FROM p.id"
    else:
        ids = params.add(list(area_ids), "bigint[]")
        scoped = (
            f"SELECT p.{AREA.key} AS parent, t.* FROM area p "
            f"JOIN resident t ON t.area_path <@ p.path WHERE p.id = ANY({ids})"
        )
        parents = f"unnest({ids}) p(id)"
        on = "b.parent = p.id"
        on_tags = "g.parent = p.id"
    where = " AND ".join(clauses) if clauses else "true"
    sql = f"""
        WITH scoped AS MATERIALIZED ({scoped} {"AND" if area_ids is not None else "WHERE"} {where}),
        base AS (
            SELECT s.parent, count(*) AS n, count(DISTINCT s.household_id) AS households,
                   count(*) FILTER (WHERE s.is_party_member) AS party_members,
                   json_build_object('male', count(*) FILTER (WHERE s.gender = 'male'),
                                     'female', count(*) FILTER (WHERE s.gender = 'female'))
                       AS by_gender,
                   {_age_band_columns()} AS by_age_band
            FROM scoped s GROUP BY s.parent
        ),
        tags AS (
            SELECT x.parent, json_object_agg(x.tag, x.n) AS by_care_tag
            FROM (SELECT s.parent, tag::text AS tag, count(*) AS n
                  FROM scoped s CROSS JOIN LATERAL
                       (SELECT DISTINCT t FROM unnest(s.care_tags) t) u(tag)
                  GROUP BY s.parent, tag) x
            GROUP BY x.parent
        )
        SELECT p.id AS parent, b.n, b.households, b.party_members, b.by_gender, b.by_age_band,
               g.by_care_tag
        FROM {parents} LEFT JOIN base b ON {on} LEFT JOIN tags g ON {on_tags}
    """
    result: dict[int | None, ResidentStatsRecord] = {}
    for row in await conn.fetch(sql, *params.values):
        result[row["parent"]] = ResidentStatsRecord(
            count=row["n"] or 0,
            households=row["households"] or 0,
            party_members=row["party_members"] or 0,
            by_gender=row["by_gender"] or {},
            by_care_tag=row["by_care_tag"] or {},
            by_age_band=row["by_age_band"] or {},
        )
    return result
