"""Every query in docs/api.md runs, on both read paths, over demo data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from db.seed.demo import DEFAULT_SEED, seed_demo

PAGE = Path(__file__).resolve().parent.parent / "docs" / "api.md"
QUERIES = re.findall(r"```graphql\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def test_the_page_has_examples() -> None:
    assert len(QUERIES) >= 6


@pytest.fixture
async def demo(database_url: str) -> None:
    await seed_demo(database_url, scale=0.01, seed=DEFAULT_SEED, replace=False)


@pytest.mark.parametrize("query", QUERIES, ids=[f"example{i}" for i in range(len(QUERIES))])
async def test_example_runs(gql, demo, query: str) -> None:  # type: ignore[no-untyped-def]
    data = await gql(query)  # fails on any error; compares both read paths
    assert data
