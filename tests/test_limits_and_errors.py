"""Query limits and error codes: what a misbehaving or malicious client gets back."""

from __future__ import annotations

import httpx


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
