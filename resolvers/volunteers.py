"""Reads of the volunteers domain: leaderboards and monthly figures, batched per request.

Rows, relations and pages go through the generic, mapping-driven reads of
resolvers/community.py; the aggregates here batch every area of one query level into one
statement (db/volunteers.py), as the other loaders do.
"""

from __future__ import annotations

import datetime as dt

from strawberry import Info

from db import volunteers as figures
from resolvers.context import Context
from resolvers.errors import bad_input


def _loaders(info: Info):  # type: ignore[no-untyped-def]
    ctx: Context = info.context
    return ctx.loaders


async def leaderboard(
    info: Info, area_id: int, since: dt.date | None, until: dt.date | None, first: int
) -> list[figures.LeaderboardRow]:
    try:
        figures.check_days(since, until, first)
    except figures.PeriodError as exc:
        raise bad_input(str(exc), exc.field) from None
    loaders = _loaders(info)

    async def batch(keys: list[int]) -> list[list[figures.LeaderboardRow]]:
        found = await figures.leaderboards(loaders.pool, keys, since, until, first)
        return [found[k] for k in keys]

    return await loaders._loader(("volunteer_leaderboard", since, until, first), batch).load(
        area_id
    )


async def months(
    info: Info, area_id: int, since: dt.date | None, until: dt.date | None
) -> list[figures.MonthRow]:
    since, until = figures.month_range(since, until)
    try:
        figures.check_months(since, until)
    except figures.PeriodError as exc:
        raise bad_input(str(exc), exc.field) from None
    loaders = _loaders(info)

    async def batch(keys: list[int]) -> list[list[figures.MonthRow]]:
        found = await figures.months(loaders.pool, keys, since, until)
        return [found[k] for k in keys]

    return await loaders._loader(("volunteer_months", since, until), batch).load(area_id)
