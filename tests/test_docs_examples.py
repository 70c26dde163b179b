"""Every query in docs/api.md runs, on both read paths, over demo data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "api.md"
QUERIES = re.findall(r"```graphql\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def test_the_page_has_examples() -> None:
    assert len(QUERIES) >= 6


@pytest.mark.demo("0.01")  # a copy of the demo county (tests/conftest.py)
@pytest.mark.parametrize("query", QUERIES, ids=[f"example{i}" for i in range(len(QUERIES))])
async def test_example_runs(gql, seeded, query: str) -> None:  # type: ignore[no-untyped-def]
    data = await gql(query)  # fails on any error; compares both read paths
    assert data
