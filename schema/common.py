"""Shared GraphQL shapes: Relay connections, ordering direction, mutation errors."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Iterable
from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry

T = TypeVar("T")


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.type(description="Where a page sits in its list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque keyset cursor; pass to after/before.")
    node: T


@strawberry.type(description="A page of a list, with keyset cursors and the total count.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The nodes of this page, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many items the whole list has (with its filter).")
    async def total_count(self) -> int:
        return await self._count()


def connection(
    items: Iterable[tuple[str, Any]],
    *,
    has_next: bool,
    has_previous: bool,
    count: Callable[[], Awaitable[int]],
) -> Connection[Any]:
    edges = [Edge(cursor=cursor, node=node) for cursor, node in items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]


def from_record(cls: type[T], row: Any) -> T:
    """Build a Strawberry type from a db record, taking the fields (public or private) it has."""
    keys = set(row.keys())
    return cls(**{name: row[name] for name in _field_names(cls) if name in keys})
