"""Query limits and error codes: what a misbehaving or malicious client gets back."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import add_areas


async def post(client: httpx.AsyncClient, query: str) -> dict:
    return (await client.post("/graphql", json={"query": query})).json()


def deep_query(depth: int) -> str:
    inner = "code"
    for _ in range(depth):
        inner = f"parent {{ {inner} }}"
    return f'{{ area(code: "51") {{ {inner} }} }}'


async def test_depth_limit(client) -> None:  # type: ignore[no-untyped-def]
    assert "errors" not in await post(client, deep_query(10))
    body = await post(client, deep_query(13))
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_alias_limit(client) -> None:  # type: ignore[no-untyped-def]
    many = " ".join(f'a{i}: area(code: "51") {{ code }}' for i in range(31))
    body = await post(client, "{ " + many + " }")
    assert "aliases" in body["errors"][0]["message"].lower()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_token_limit(client) -> None:  # type: ignore[no-untyped-def]
    fields = " ".join(["code name level"] * 2000)
    body = await post(client, '{ area(code: "51") { ' + fields + " } }")
    assert "token" in body["errors"][0]["message"].lower()


async def test_syntax_and_validation_errors_carry_codes(client) -> None:  # type: ignore[no-untyped-def]
    body = await post(client, "{ area(code: ")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    body = await post(client, '{ area(code: "51") { noSuchField } }')
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_health(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_validation_is_cached_per_document(client) -> None:  # type: ignore[no-untyped-def]
    from strawberry.extensions.validation_cache import _get_validate_cache

    cache = _get_validate_cache(1024)
    query = '{ area(code: "51") { code name } }'

    async def via_strawberry() -> None:  # the compiled path validates with its own cache
        await client.post(
            "/graphql", json={"query": query}, headers={"x-gongzhi-execution": "resolver"}
        )

    await via_strawberry()
    hits = cache.cache_info().hits
    for _ in range(3):
        await via_strawberry()
    assert cache.cache_info().hits == hits + 3


@pytest.fixture
async def impatient(db):  # type: ignore[no-untyped-def]
    """The test database's sessions give up waiting for a lock after 300 ms (set before the
    app's pool connects, so its connections have it)."""
    name = await db.fetchval("SELECT current_database()")
    await db.execute(f"ALTER DATABASE \"{name}\" SET lock_timeout = '300ms'")
    await add_areas(db)


async def test_a_statement_the_database_refuses_is_answered_as_strawberry_would(
    impatient,
    client,
    db,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    """A compiled read that fails in PostgreSQL (here: a lock not granted in time) is not a
    500: the resolvers answer, with what they can read and a coded, masked error. The
    compiled statement is tried once, not again inside Strawberry's view."""
    query = '{ area(code: "51") { code residents { totalCount } } }'
    assert (await client.post("/graphql", json={"query": query})).headers[
        "x-gongzhi-execution"
    ] == "compiled"
    locked = db.transaction()
    await locked.start()
    try:
        await db.execute("LOCK TABLE resident IN ACCESS EXCLUSIVE MODE")
        response = await client.post("/graphql", json={"query": query})
        forced = await client.post(
            "/graphql", json={"query": query}, headers={"x-gongzhi-execution": "resolver"}
        )
    finally:
        await locked.rollback()
    tried = [r for r in caplog.records if r.name == "resolvers.compiled"]
    assert [r.getMessage().split(" (")[0] for r in tried] == ["compiled read failed"]
    assert response.status_code == 200
    assert response.headers["x-gongzhi-execution"] == "resolver"
    body = response.json()
    assert body == forced.json()
    assert body["data"] == {"area": None}  # residents is non-null: the null reaches area
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["path"] == ["area", "residents"]
    assert "lock" not in error["message"]  # masked


@pytest.fixture
def hasty(monkeypatch):  # type: ignore[no-untyped-def]
    """The service cancels a request's statement after 300 ms (before the app starts)."""
    monkeypatch.setenv("GONGZHI_STATEMENT_TIMEOUT", "0.3")


async def test_statement_timeout_cancels_and_the_request_still_gets_graphql(
    hasty,
    client,
    db,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    await add_areas(db)
    query = '{ area(code: "51") { code residents { totalCount } } }'
    locked = db.transaction()
    await locked.start()
    try:
        await db.execute("LOCK TABLE resident IN ACCESS EXCLUSIVE MODE")
        response = await client.post("/graphql", json={"query": query})
    finally:
        await locked.rollback()
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    # PostgreSQL cancelled it (query_canceled), first on the compiled path
    assert any("57014" in r.getMessage() for r in caplog.records if r.name == "resolvers.compiled")
    # and without the lock the same query is answered in full
    answered = (await client.post("/graphql", json={"query": query})).json()
    assert answered == {"data": {"area": {"code": "51", "residents": {"totalCount": 0}}}}
