"""A query's SQL statement count grows with its depth, never with its rows (no N+1)."""

from __future__ import annotations

import datetime as dt

import pytest

from db.connect import STATEMENTS
from tests.factories import add_areas, add_household

NESTED = """{ area(code: "510129101") {
  name
  households(first: 100) {
    totalCount
    nodes { room area { name parent { name } } head { name }
            members { name relation household { room } } } }
  residents(first: 100, filter: {ageMin: 18}) { totalCount nodes { name household { room } } }
  children { nodes { name residentStats { count byCareTag { tag count } } } }
} }"""


async def populate(db, households: int) -> None:  # type: ignore[no-untyped-def]
    areas = await add_areas(db)
    compounds = [areas["510129101201-01"], areas["510129101202-01"]]
    for i in range(households):
        await add_household(
            db,
            compounds[i % 2],
            str(100 + i),
            [
                {"name": f"户主{i}", "birth_date": dt.date(1960, 1, 1 + i % 28)},
                {
                    "name": f"配偶{i}",
                    "gender": "female",
                    "relation": "spouse",
                    "birth_date": dt.date(1962, 2, 1 + i % 28),
                },
                {"name": f"孩子{i}", "relation": "son", "birth_date": dt.date(1990, 3, 1 + i % 28)},
            ],
        )


async def statements_for(client, query: str, path: str = "resolver") -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    async def post() -> dict:
        response = await client.post(
            "/graphql", json={"query": query}, headers={"x-gongzhi-execution": path}
        )
        assert response.headers["x-gongzhi-execution"] == path
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    await post()  # warm: connection codecs and prepared statements
    before = STATEMENTS.count
    data = await post()
    return STATEMENTS.count - before, data


@pytest.mark.parametrize("households", [3, 40])
async def test_nested_query_runs_one_statement_per_relation(
    client,
    db,
    households: int,  # type: ignore[no-untyped-def]
) -> None:
    await populate(db, households)
    count, data = await statements_for(client, NESTED)
    area = data["area"]
    assert area["households"]["totalCount"] == households
    assert len(area["households"]["nodes"]) == households
    assert all(len(h["members"]) == 3 for h in area["households"]["nodes"])
    # one statement per level of relations asked for: area, households page, its count,
    # areas by key (x2: area, parent), heads, members, households by key, residents page,
    # its count, children page, their stats
    assert count <= 13, count


async def test_statement_counts_equal_across_sizes(client, db) -> None:  # type: ignore[no-untyped-def]
    await populate(db, 5)
    small, _ = await statements_for(client, NESTED)
    areas = await db.fetchval("SELECT id FROM area WHERE code = '510129101201-01'")
    for i in range(45):
        await add_household(db, areas, str(500 + i), [{"name": f"新户{i}"}])
    large, data = await statements_for(client, NESTED)
    assert data["area"]["households"]["totalCount"] == 50
    assert small == large


async def test_compiled_path_runs_one_statement(client, db) -> None:  # type: ignore[no-untyped-def]
    await populate(db, 20)
    count, data = await statements_for(client, NESTED, path="compiled")
    assert count == 1
    assert data["area"]["households"]["totalCount"] == 20
