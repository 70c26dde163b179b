"""Reads of petitions beyond the mapping: the catalogue and the figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
from strawberry import Info

from db import petitions as reads
from db import petitions_stats as stats
from db.compiled_petitions import check_months
from db.query import FilterItems
from resolvers.context import Context
from resolvers.errors import bad_input


def _ctx(info: Info) -> Context:
    return info.context


async def categories(info: Info) -> list[asyncpg.Record]:
    return await reads.categories(_ctx(info).db)


async def petition_stats(
    info: Info, area_id: int | None, filters: FilterItems
) -> stats.StatsRecord:
    ctx = _ctx(info)
    if area_id is None:
        return (await stats.petition_stats(ctx.db, None, filters))[None]

    async def batch(keys: list[int]) -> list[stats.StatsRecord]:
        found = await stats.petition_stats(ctx.db, keys, filters)
        return [found[k] for k in keys]

    return await ctx.loaders.batched(("petition_stats", filters), batch).load(area_id)


async def petition_months(info: Info, area_id: int, first: Any, last: Any) -> list[dict[str, Any]]:
    try:
        first, last = check_months(first, last)
    except ValueError as exc:
        raise bad_input(str(exc), "from") from None
    ctx = _ctx(info)

    async def batch(keys: list[int]) -> list[list[dict[str, Any]]]:
        found = await stats.petition_months(ctx.db, keys, first, last)
        return [found[k] for k in keys]

    key: tuple[str, dt.date, dt.date] = ("petition_months", first, last)
    return await ctx.loaders.batched(key, batch).load(area_id)
