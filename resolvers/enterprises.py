"""Reads of the collective-enterprise domain beyond the mapping's generic loaders: the
per-area yearly figures, batched over the areas of one level of a query."""

from __future__ import annotations

import asyncpg
from strawberry import Info
from strawberry.dataloader import DataLoader

from db import enterprises
from resolvers.context import Context

# importing the mapping registers the domain's entities and compiled fields
from db import enterprises_mapping  # noqa: F401  isort: skip


async def finances(
    info: Info, area_id: int, year_from: int | None, year_to: int | None
) -> list[asyncpg.Record]:
    ctx: Context = info.context
    loaders = ctx.loaders
    key = ("enterprise_finances", year_from, year_to)

    async def batch(keys: list[int]) -> list[list[asyncpg.Record]]:
        rows = await enterprises.finances(loaders.pool, keys, year_from, year_to)
        return [rows[k] for k in keys]

    # one loader per (year bounds) in the request's Loaders, so sibling areas batch
    loader: DataLoader[int, list[asyncpg.Record]] = loaders._loader(key, batch)
    return await loader.load(area_id)
