"""Run one query through both read paths and compare (used by the differential tests)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from db.session import Principal
from resolvers.compiled import CompiledReads
from resolvers.context import Context
from schema import build_schema

SCHEMA = build_schema()
ADMIN = Principal(subject="tester", role="admin")
COMPILED = CompiledReads(
    SCHEMA._schema, max_depth=12, max_aliases=30, max_tokens=5000, max_page_size=500
)


async def via_resolvers(pool: asyncpg.Pool, query: str, variables: dict | None = None) -> Any:
    context = Context(pool=pool, principal=ADMIN)
    result = await SCHEMA.execute(query, variables, context_value=context)
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body = {"data": result.data, "errors": [e.formatted for e in result.errors]}
    return body


async def via_compiled(pool: asyncpg.Pool, query: str, variables: dict | None = None) -> Any:
    data = await COMPILED.execute(Context(pool=pool, principal=ADMIN).db, query, variables, None)
    return None if data is None else {"data": json.loads(data)}


def same(a: Any, b: Any) -> bool:
    """Equal including the order of keys (json.loads keeps it; == on dicts ignores it)."""
    return json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)


async def both(pool: asyncpg.Pool, query: str, variables: dict | None = None) -> Any:
    """The response, after checking the compiled path gives exactly the resolver path's."""
    expected = await via_resolvers(pool, query, variables)
    compiled = await via_compiled(pool, query, variables)
    assert compiled is not None, f"not compiled: {query}"
    assert same(compiled, expected), (
        f"paths differ\ncompiled: {json.dumps(compiled, ensure_ascii=False)}\n"
        f"resolver: {json.dumps(expected, ensure_ascii=False)}"
    )
    return compiled
