"""Per-request DataLoaders, derived from the mapping.

Loaders are created lazily, one per distinct (kind, entity, relation, arguments), so
siblings asking the same thing share one batch. Each batch runs through the principal's
session, i.e. on a pooled connection in its own transaction with the principal's settings,
rather than on a connection held by the request: graphql-core resolves siblings
concurrently and an asyncpg connection runs one statement at a time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

import asyncpg
from strawberry.dataloader import DataLoader

from db import community_stats, query
from db.mapping import entity
from db.session import Session


class Loaders:
    def __init__(self, db: Session) -> None:
        self.pool = db  # a Session: fetch/fetchval like a pool, under the principal
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    def _loader(
        self, key: Hashable, batch: Callable[[list[Any]], Awaitable[Sequence[Any]]]
    ) -> DataLoader[Any, Any]:
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = DataLoader(load_fn=batch)
        return loader

    def batched(
        self, key: Hashable, batch: Callable[[list[Any]], Awaitable[Sequence[Any]]]
    ) -> DataLoader[Any, Any]:
        """A loader of another module's making (a domain's aggregates), shared per key."""
        return self._loader(key, batch)

    def by_key(self, entity_name: str) -> DataLoader[int, asyncpg.Record | None]:
        ent = entity(entity_name)

        async def batch(keys: list[int]) -> list[asyncpg.Record | None]:
            rows = await query.rows_by_key(self.pool, ent, keys)
            return [rows.get(k) for k in keys]

        return self._loader(("key", entity_name), batch)

    def area_by_code(self) -> DataLoader[str, asyncpg.Record | None]:
        ent = entity("Area")

        async def batch(codes: list[str]) -> list[asyncpg.Record | None]:
            rows = await query.rows_by_column(self.pool, ent, "code", "text", codes)
            return [rows.get(c) for c in codes]

        return self._loader(("area_by_code",), batch)

    def related_rows(self, parent: str, relation: str) -> DataLoader[int, list[asyncpg.Record]]:
        ent = entity(parent)
        rel = ent.relations[relation]

        async def batch(keys: list[int]) -> list[list[asyncpg.Record]]:
            grouped = await query.related_rows(self.pool, ent, rel, keys)
            return [grouped[k] for k in keys]

        return self._loader(("rows", parent, relation), batch)

    def related_page(
        self, parent: str, relation: str, page: query.PageRequest
    ) -> DataLoader[int, query.Page]:
        ent = entity(parent)
        rel = ent.relations[relation]

        async def batch(keys: list[int]) -> list[query.Page]:
            pages = await query.related_pages(self.pool, ent, rel, keys, page)
            return [pages[k] for k in keys]

        return self._loader(("page", parent, relation, page), batch)

    def related_count(
        self, parent: str, relation: str, filters: query.FilterItems
    ) -> DataLoader[int, int]:
        ent = entity(parent)
        rel = ent.relations[relation]

        async def batch(keys: list[int]) -> list[int]:
            counts = await query.related_counts(self.pool, ent, rel, keys, filters)
            return [counts[k] for k in keys]

        return self._loader(("count", parent, relation, filters), batch)

    def resident_stats(
        self, filters: query.FilterItems, age_bands: bool
    ) -> DataLoader[int, community_stats.ResidentStatsRecord]:
        async def batch(keys: list[int]) -> list[community_stats.ResidentStatsRecord]:
            stats = await community_stats.resident_stats(
                self.pool, keys, filters, age_bands=age_bands
            )
            return [stats[k] for k in keys]

        return self._loader(("resident_stats", filters, age_bands), batch)
