"""SQL for the resolver path, built from the mapping: rows by key, related rows, pages, counts.

Every function takes a batch of parent keys and runs one statement for all of them, so a
query's statement count grows with its depth, never with its rows. Values are always bound
as parameters; only mapping templates (code, not input) become SQL text.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from db.mapping import Entity, Relation, entity

FilterItems = tuple[tuple[str, Any], ...]


class InvalidCursor(ValueError):
    pass


class Params:
    """Collects bound values and hands out their placeholders."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any, sql_type: str | None = None) -> str:
        self.values.append(value)
        placeholder = f"${len(self.values)}"
        return f"{placeholder}::{sql_type}" if sql_type else placeholder


@dataclass(frozen=True)
class PageRequest:
    """What a connection field asks for; hashable so loaders can group equal requests."""

    order: str
    descending: bool = False
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    filters: FilterItems = ()

    @property
    def backward(self) -> bool:
        return self.last is not None and self.first is None

    @property
    def limit(self) -> int:
        n = self.last if self.backward else self.first
        assert n is not None
        return n


@dataclass
class Page:
    rows: list[asyncpg.Record]
    has_next: bool
    has_previous: bool


def encode_cursor(order: str, key: Any, sort_text: str) -> str:
    """Opaque cursor: base64url of ``ORDER:key:sort-value-as-PostgreSQL-prints-it``.

    The sort value is the database's own text of it, so the compiled read path can build
    the very same cursor in SQL (see db/compiler.py, ``cursor_sql``).
    """
    raw = f"{order}:{key}:{sort_text}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_sql(order: str, key_sql: str, sort_sql: str) -> str:
    """The SQL twin of encode_cursor (PostgreSQL's base64 wraps lines; those are dropped)."""
    return (
        f"rtrim(translate(encode(convert_to('{order}:' || ({key_sql})::text || ':' || "
        f"({sort_sql})::text, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"
    )


def decode_cursor(cursor: str, order: str) -> tuple[str, str]:
    """(sort value text, key text) of a cursor issued for ``order``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        made_for, key, value = base64.urlsafe_b64decode(padded).decode().split(":", 2)
        int(key)
    except Exception:
        raise InvalidCursor(f"cursor {cursor!r} is not one this service issued") from None
    if made_for != order:
        raise InvalidCursor(f"cursor was issued for orderBy {made_for}, not {order}")
    return value, key


def filter_sql(ent: Entity, alias: str, filters: FilterItems, params: Params) -> list[str]:
    clauses = []
    for name, value in filters:
        if value is None:
            continue
        spec = ent.filters[name]
        clauses.append(spec.sql.format(t=alias, v=params.add(value, spec.sql_type)))
    return clauses


def _page_clauses(
    ent: Entity, alias: str, page: PageRequest, params: Params
) -> tuple[list[str], str, str]:
    """Cursor predicates, ORDER BY and the sort expression for a page request."""
    key = ent.orders[page.order]
    sort = key.sql.format(t=alias)
    pk = f"{alias}.{ent.key}"
    # Walking backwards is walking forwards in the opposite order, then flipping the rows.
    descending = page.descending != page.backward
    direction = "DESC" if descending else "ASC"
    clauses = []
    for cursor, is_after in ((page.after, True), (page.before, False)):
        if cursor is None:
            continue
        value, ident = decode_cursor(cursor, page.order)
        cmp = ">" if is_after != page.descending else "<"
        clauses.append(
            f"({sort}, {pk}) {cmp} ({params.add(value, 'text')}::{key.sql_type}, "
            f"{params.add(ident, 'text')}::bigint)"
        )
    return clauses, f"{sort} {direction}, {pk} {direction}", sort


def _where(clauses: Sequence[str]) -> str:
    return " AND ".join(clauses) if clauses else "true"


def _finish(rows: list[asyncpg.Record], page: PageRequest) -> Page:
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    if page.backward:
        rows.reverse()
        return Page(rows, has_next=page.before is not None, has_previous=more)
    return Page(rows, has_next=more, has_previous=page.after is not None)


async def rows_by_key(
    conn: asyncpg.Pool | asyncpg.Connection, ent: Entity, keys: Sequence[Any]
) -> dict[Any, asyncpg.Record]:
    sql = f"SELECT {ent.column_list('t')} FROM {ent.table} t WHERE t.{ent.key} = ANY($1::bigint[])"
    return {row[ent.key]: row for row in await conn.fetch(sql, list(keys))}


async def rows_by_column(
    conn: asyncpg.Pool | asyncpg.Connection,
    ent: Entity,
    column: str,
    sql_type: str,
    values: Sequence[Any],
) -> dict[Any, asyncpg.Record]:
    """Rows by a unique column other than the key (an area's code)."""
    col = ent.columns[column].sql.format(t="t")
    sql = f"SELECT {ent.column_list('t')} FROM {ent.table} t WHERE {col} = ANY($1::{sql_type}[])"
    return {row[column]: row for row in await conn.fetch(sql, list(values))}


async def related_rows(
    conn: asyncpg.Pool | asyncpg.Connection,
    parent: Entity,
    relation: Relation,
    parent_keys: Sequence[Any],
) -> dict[Any, list[asyncpg.Record]]:
    """Rows of a `one` relation or a bounded list relation, grouped by parent key."""
    target = entity(relation.target)
    order = (relation.order or "{t}.id").format(t="t")
    sql = (
        f"SELECT p.{parent.key} AS _parent, {target.column_list('t')} "
        f"FROM {parent.table} p JOIN {target.table} t ON {relation.join.format(t='t', p='p')} "
        f"WHERE p.{parent.key} = ANY($1::bigint[]) ORDER BY {order}"
    )
    grouped: dict[Any, list[asyncpg.Record]] = {key: [] for key in parent_keys}
    for row in await conn.fetch(sql, list(parent_keys)):
        grouped[row["_parent"]].append(row)
    return grouped


async def related_pages(
    conn: asyncpg.Pool | asyncpg.Connection,
    parent: Entity,
    relation: Relation,
    parent_keys: Sequence[Any],
    page: PageRequest,
) -> dict[Any, Page]:
    """One page of a `many` relation for each parent, in one statement (LATERAL per parent)."""
    target = entity(relation.target)
    params = Params()
    keys_param = params.add(list(parent_keys), "bigint[]")
    clauses = [relation.join.format(t="t", p="p")]
    clauses += filter_sql(target, "t", page.filters, params)
    cursor_clauses, order_by, sort = _page_clauses(target, "t", page, params)
    clauses += cursor_clauses
    sql = (
        f"SELECT p.{parent.key} AS _parent, c.* FROM {parent.table} p "
        f"CROSS JOIN LATERAL (SELECT {target.column_list('t')}, ({sort})::text AS _sort_text, "
        f"{sort} AS _sort "
        f"FROM {target.table} t WHERE {_where(clauses)} ORDER BY {order_by} "
        f"LIMIT {params.add(page.limit + 1, 'int')}) c "
        f"WHERE p.{parent.key} = ANY({keys_param})"
    )
    grouped: dict[Any, list[asyncpg.Record]] = {key: [] for key in parent_keys}
    for row in await conn.fetch(sql, *params.values):
        grouped[row["_parent"]].append(row)
    descending = page.descending != page.backward
    pages = {}
    for key, rows in grouped.items():
        # LATERAL output order is not guaranteed once joined; restore the page order.
        rows.sort(key=lambda r: (r["_sort"], r[target.key]), reverse=descending)
        pages[key] = _finish(rows, page)
    return pages


async def related_counts(
    conn: asyncpg.Pool | asyncpg.Connection,
    parent: Entity,
    relation: Relation,
    parent_keys: Sequence[Any],
    filters: FilterItems,
) -> dict[Any, int]:
    target = entity(relation.target)
    params = Params()
    keys_param = params.add(list(parent_keys), "bigint[]")
    clauses = [relation.join.format(t="t", p="p"), *filter_sql(target, "t", filters, params)]
    sql = (
        f"SELECT p.{parent.key} AS _parent, "
        f"(SELECT count(*) FROM {target.table} t WHERE {_where(clauses)}) AS n "
        f"FROM {parent.table} p WHERE p.{parent.key} = ANY({keys_param})"
    )
    counts = {key: 0 for key in parent_keys}
    for row in await conn.fetch(sql, *params.values):
        counts[row["_parent"]] = row["n"]
    return counts


async def root_page(
    conn: asyncpg.Pool | asyncpg.Connection, ent: Entity, page: PageRequest
) -> Page:
    params = Params()
    clauses = filter_sql(ent, "t", page.filters, params)
    cursor_clauses, order_by, sort = _page_clauses(ent, "t", page, params)
    sql = (
        f"SELECT {ent.column_list('t')}, ({sort})::text AS _sort_text FROM {ent.table} t "
        f"WHERE {_where(clauses + cursor_clauses)} ORDER BY {order_by} "
        f"LIMIT {params.add(page.limit + 1, 'int')}"
    )
    return _finish(list(await conn.fetch(sql, *params.values)), page)


async def root_count(
    conn: asyncpg.Pool | asyncpg.Connection, ent: Entity, filters: FilterItems
) -> int:
    params = Params()
    clauses = filter_sql(ent, "t", filters, params)
    sql = f"SELECT count(*) FROM {ent.table} t WHERE {_where(clauses)}"
    return int(await conn.fetchval(sql, *params.values))


def cursor_of(ent: Entity, order: str, row: asyncpg.Record) -> str:
    return encode_cursor(order, row[ent.key], row["_sort_text"])
