"""Connection arguments and filter inputs, checked and turned into db requests."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from db.compiler import snake
from db.mapping import Entity
from db.query import FilterItems, Page, PageRequest, cursor_of

DEFAULT_PAGE_SIZE = 20


@dataclass
class PageResult:
    """A page of records with their cursors, and how to count the whole list on demand."""

    items: list[tuple[str, Any]]
    has_next: bool
    has_previous: bool
    count: Callable[[], Awaitable[int]]


def page_result(
    ent: Entity, request: PageRequest, page: Page, count: Callable[[], Awaitable[int]]
) -> PageResult:
    items = [(cursor_of(ent, request.order, row), row) for row in page.rows]
    return PageResult(items, page.has_next, page.has_previous, count)


def filter_items(filter_input: Any) -> FilterItems:
    """A filter input as (field, database value) pairs, unset fields left out.

    Takes the Strawberry input object (resolver path) or the dict graphql-core coerces
    (compiled path, GraphQL names). Python field names are the mapping's filter names
    (tests/test_mapping.py holds them equal).
    """
    if filter_input is None:
        return ()
    if isinstance(filter_input, dict):
        values = {snake(k): v for k, v in filter_input.items()}
    else:
        values = {f.name: getattr(filter_input, f.name) for f in dataclasses.fields(filter_input)}
    items = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, list):
            # a tuple: filters are part of DataLoader keys, which must be hashable
            value = tuple(v.value if isinstance(v, enum.Enum) else v for v in value)
        items.append((name, value))
    _check_filter(dict(items))
    return tuple(items)


def _check_filter(values: dict[str, Any]) -> None:
    from resolvers.errors import bad_input

    for name in ("age_min", "age_max"):
        if name in values and not 0 <= values[name] <= 150:
            raise bad_input(f"{name} must be between 0 and 150, got {values[name]}", name)
    if values.get("age_min", 0) > values.get("age_max", 150):
        raise bad_input("age_min is greater than age_max", "age_min")
    for name, value in values.items():
        if isinstance(value, str) and name.endswith("_contains") and not value.strip():
            raise bad_input(f"{name} must not be empty", name)


def page_request(
    *,
    order: str,
    descending: bool,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    filters: FilterItems,
    max_page_size: int,
) -> PageRequest:
    from resolvers.errors import bad_input

    if first is not None and last is not None:
        raise bad_input("pass either first or last, not both", "first")
    if first is None and last is None:
        first = DEFAULT_PAGE_SIZE
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= max_page_size:
            raise bad_input(f"{name} must be between 0 and {max_page_size}, got {value}", name)
    return PageRequest(
        order=order,
        descending=descending,
        first=first,
        after=after,
        last=last,
        before=before,
        filters=filters,
    )


def request_from_args(
    info: Any,
    *,
    order_field: enum.Enum,
    descending: bool,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    filter_input: Any,
) -> PageRequest:
    """A PageRequest from a connection field's GraphQL arguments."""
    return page_request(
        order=order_field.value,
        descending=descending,
        first=first,
        after=after,
        last=last,
        before=before,
        filters=filter_items(filter_input),
        max_page_size=info.context.max_page_size,
    )
