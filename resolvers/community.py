"""Reads of the community graph: areas, households, residents, and their aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from strawberry import Info

from db import community_stats, query
from db.community import AREA
from db.mapping import entity
from resolvers.context import Context
from resolvers.errors import bad_input
from resolvers.pagination import PageResult, page_result

Record = asyncpg.Record


def _ctx(info: Info) -> Context:
    return info.context


async def by_key(info: Info, entity_name: str, key: int) -> Record | None:
    return await _ctx(info).loaders.by_key(entity_name).load(key)


async def many_by_key(info: Info, entity_name: str, keys: list[int]) -> list[Record | None]:
    return await _ctx(info).loaders.by_key(entity_name).load_many(keys)


async def area_by_code(info: Info, code: str) -> Record | None:
    return await _ctx(info).loaders.area_by_code().load(code)


async def one(info: Info, parent: str, relation: str, row: Any) -> Record | None:
    rel = entity(parent).relations[relation]
    loaders = _ctx(info).loaders
    if rel.via is not None:
        target_key = getattr(row, rel.via)
        return None if target_key is None else await loaders.by_key(rel.target).load(target_key)
    rows = await loaders.related_rows(parent, relation).load(row.id)
    return rows[0] if rows else None


async def listed(info: Info, parent: str, relation: str, key: int) -> list[Record]:
    return await _ctx(info).loaders.related_rows(parent, relation).load(key)


async def page(
    info: Info, parent: str, relation: str, key: int, request: query.PageRequest
) -> PageResult:
    """One page of a relation of one parent (batched with its siblings)."""
    loaders = _ctx(info).loaders
    try:
        found = await loaders.related_page(parent, relation, request).load(key)
    except query.InvalidCursor as exc:
        raise bad_input(str(exc), "after" if request.after else "before") from None
    target = entity(entity(parent).relations[relation].target)

    async def count() -> int:
        return await loaders.related_count(parent, relation, request.filters).load(key)

    return page_result(target, request, found, count)


async def root_page(info: Info, entity_name: str, request: query.PageRequest) -> PageResult:
    ent = entity(entity_name)
    pool = _ctx(info).db
    try:
        found = await query.root_page(pool, ent, request)
    except query.InvalidCursor as exc:
        raise bad_input(str(exc), "after" if request.after else "before") from None

    async def count() -> int:
        return await query.root_count(pool, ent, request.filters)

    return page_result(ent, request, found, count)


async def ancestors(info: Info, area: Any) -> list[Record]:
    keys = [int(label) for label in area.path.split(".")[:-1]]
    rows = await many_by_key(info, AREA.name, keys)
    return [r for r in rows if r is not None]


async def resident_stats(
    info: Info, area_id: int | None, filters: query.FilterItems
) -> community_stats.ResidentStatsRecord:
    # age bands depend on the day and are counted; without them the tally serves
    age_bands = _asks_for(info.selected_fields, "byAgeBand")
    if area_id is None:
        stats = await community_stats.resident_stats(
            _ctx(info).db, None, filters, age_bands=age_bands
        )
        return stats[None]
    return await _ctx(info).loaders.resident_stats(filters, age_bands).load(area_id)


def _asks_for(selections: Sequence[Any], name: str) -> bool:
    """Whether ``name`` is selected anywhere in ``selections`` (fields, fragments)."""
    return any(
        getattr(s, "name", None) == name or _asks_for(getattr(s, "selections", ()), name)
        for s in selections
    )
