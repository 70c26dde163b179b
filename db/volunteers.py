"""Volunteer aggregates: leaderboards and monthly figures per area.

Both read paths use the SQL here: the resolver path runs it for a batch of areas
(``leaderboards``, ``months``), the compiled path embeds the same templates in its one
statement (db/compiled_volunteers.py), so the two cannot disagree about what counts.

Only verified service counts. A record counts for the area where the activity took place
and for the month (UTC, like every timestamp of the service) in which it started.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import asyncpg

import db.volunteers_mapping  # noqa: F401  (registers the entities)

MAX_LEADERBOARD = 100
MAX_MONTHS = 60

# {path}: the area's ltree; {since}, {until} (dates, both included; null: unbounded),
# {first}: parameters
LEADERBOARD = """
    SELECT s.volunteer_id, sum(s.completed_minutes)::bigint AS minutes,
           rank() OVER (ORDER BY sum(s.completed_minutes) DESC)::int AS rank
      FROM service_record s
     WHERE s.status = 'verified' AND s.area_path <@ {path}
       AND ({since} IS NULL OR s.served_at >= {since})
       AND ({until} IS NULL OR s.served_at < {until} + 1)
     GROUP BY s.volunteer_id
     ORDER BY minutes DESC, s.volunteer_id
     LIMIT {first}"""

# {path}; {since}, {until}: first days of months, both included
MONTHS = """
    SELECT m.month,
           (SELECT count(DISTINCT s.volunteer_id) FROM service_record s
             WHERE s.status = 'verified' AND s.area_path <@ {path}
               AND s.served_at >= m.month AND s.served_at < m.month + interval '1 month'
           )::int AS active_volunteers,
           (SELECT coalesce(sum(s.completed_minutes), 0) FROM service_record s
             WHERE s.status = 'verified' AND s.area_path <@ {path}
               AND s.served_at >= m.month AND s.served_at < m.month + interval '1 month'
           )::bigint AS verified_minutes,
           (SELECT count(*) FROM activity x
             WHERE x.area_path <@ {path}
               AND x.starts_at >= m.month AND x.starts_at < m.month + interval '1 month'
           )::int AS activities
      FROM generate_series({since}, {until}, interval '1 month') AS g(d),
           LATERAL (SELECT g.d::date AS month) m"""


class PeriodError(ValueError):
    """An invalid period or size; ``field`` names the argument."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def check_days(since: dt.date | None, until: dt.date | None, first: int) -> None:
    if since is not None and until is not None and until < since:
        raise PeriodError("until is before since", "until")
    # 0 is allowed, as for connections' first
    if not 0 <= first <= MAX_LEADERBOARD:
        raise PeriodError(f"first must be between 0 and {MAX_LEADERBOARD}, got {first}", "first")


def add_months(first_day: dt.date, n: int) -> dt.date:
    index = first_day.year * 12 + first_day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(since: dt.date | None, until: dt.date | None) -> tuple[dt.date, dt.date]:
    """The months asked for; a missing bound makes twelve months with the other one, and
    with neither, the twelve months to the current one (UTC)."""
    if since is None and until is None:
        until = dt.datetime.now(dt.UTC).date().replace(day=1)
    if since is None:
        assert until is not None
        since = add_months(until, -11)
    if until is None:
        until = add_months(since, 11)
    return since, until


def check_months(since: dt.date, until: dt.date) -> None:
    if until < since:
        raise PeriodError("toMonth is before fromMonth", "toMonth")
    months = (until.year - since.year) * 12 + until.month - since.month + 1
    if months > MAX_MONTHS:
        raise PeriodError(f"at most {MAX_MONTHS} months at once, asked for {months}", "toMonth")


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    volunteer_id: int
    minutes: int


@dataclass(frozen=True)
class MonthRow:
    month: dt.date
    active_volunteers: int
    verified_minutes: int
    activities: int


async def leaderboards(
    db: Any, area_ids: list[int], since: dt.date | None, until: dt.date | None, first: int
) -> dict[int, list[LeaderboardRow]]:
    """The leaderboard of each area, for a batch of areas in one statement."""
    check_days(since, until, first)
    inner = LEADERBOARD.format(path="a.path", since="$2::date", until="$3::date", first="$4::int")
    rows: list[asyncpg.Record] = await db.fetch(
        f"SELECT a.id AS area_id, l.* FROM area a CROSS JOIN LATERAL ({inner}) l"
        " WHERE a.id = ANY($1::bigint[]) ORDER BY a.id, l.minutes DESC, l.volunteer_id",
        area_ids,
        since,
        until,
        first,
    )
    found: dict[int, list[LeaderboardRow]] = {k: [] for k in area_ids}
    for r in rows:
        found[r["area_id"]].append(LeaderboardRow(r["rank"], r["volunteer_id"], r["minutes"]))
    return found


async def months(
    db: Any, area_ids: list[int], since: dt.date, until: dt.date
) -> dict[int, list[MonthRow]]:
    """Active volunteers, verified minutes and activities per month, for a batch of areas."""
    check_months(since, until)
    inner = MONTHS.format(path="a.path", since="$2::date", until="$3::date")
    rows = await db.fetch(
        f"SELECT a.id AS area_id, q.* FROM area a CROSS JOIN LATERAL ({inner}) q"
        " WHERE a.id = ANY($1::bigint[]) ORDER BY a.id, q.month",
        area_ids,
        since,
        until,
    )
    found: dict[int, list[MonthRow]] = {k: [] for k in area_ids}
    for r in rows:
        found[r["area_id"]].append(
            MonthRow(r["month"], r["active_volunteers"], r["verified_minutes"], r["activities"])
        )
    return found
