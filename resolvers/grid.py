"""Reads of the grid, needs and micro-projects beyond the mapping's relations: the area
aggregates for dashboards (db/grid.py), batched per request."""

from __future__ import annotations

from typing import Any

from strawberry import Info

from db.grid import AGGREGATES, area_aggregates
from resolvers.context import Context


async def aggregate(info: Info, name: str, area_id: int, **args: Any) -> dict[str, Any]:
    """The figures of aggregate ``name`` over one area's subtree; areas asking the same
    aggregate with the same arguments share one statement."""
    ctx: Context = info.context
    agg = AGGREGATES[name]
    key = tuple(args.get(n) for n in agg.args)
    loaders = ctx.loaders

    async def batch(area_ids: list[int]) -> list[dict[str, Any]]:
        found = await area_aggregates(
            loaders.pool, agg, area_ids, dict(zip(agg.args, key, strict=True))
        )
        return [found[a] for a in area_ids]

    return await loaders._loader(("aggregate", name, key), batch).load(area_id)
