"""Two gongzhi server processes on one database (the WebSocket and subscription tests)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from db import embedded
from tests import servers
from tests.factories import add_areas, add_household


@dataclass
class People:
    village_household: int
    village_resident: int
    town2_resident: int


@dataclass
class Pair:
    url: str
    first: servers.Server
    second: servers.Server
    people: People


async def _arrange(url: str) -> People:
    conn = await asyncpg.connect(url)
    try:
        areas = await add_areas(conn)
        h1, (r1,) = await add_household(conn, areas["510129101201-01"], "3", [{"name": "王建国"}])
        _, (r2,) = await add_household(conn, areas["510129102001-03-05"], "301", [{"name": "陈刚"}])
    finally:
        await conn.close()
    return People(h1, r1, r2)


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pair(
    pg_server_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    """Two gongzhi processes on one database, started once for the session: a subscriber
    on one and a writer on the other prove that events cross processes."""
    name = f"gongzhi_ws_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    url = embedded.with_database(pg_server_url, name)
    logs: Path = tmp_path_factory.mktemp("ws-logs")
    try:
        people = asyncio.run(_arrange(url))
        with (
            servers.gongzhi(url, logs, name="first") as first,
            servers.gongzhi(url, logs, name="second") as second,
        ):
            yield Pair(url, first, second, people)
    finally:
        asyncio.run(_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
