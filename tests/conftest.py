"""Fixtures: a real PostgreSQL (DATABASE_URL, or the embedded server), a migrated template
database cloned per test, the app over HTTP, and the CLI as a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from db import embedded, migrate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Maintenance URL of the server the tests use: DATABASE_URL's server or an embedded one."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured
    return embedded.start_server(tmp_path_factory.mktemp("pgdata"))


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def _admin(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_database(pg_server_url: str) -> Iterator[str]:
    """A database migrated to head once per run; each test gets a copy of it."""
    name = f"gongzhi_template_{uuid.uuid4().hex[:8]}"
    _run(_admin(pg_server_url, f'CREATE DATABASE "{name}"'))
    migrate.upgrade(embedded.with_database(pg_server_url, name))
    yield name
    _run(_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(pg_server_url: str, template_database: str) -> Iterator[str]:
    """A fresh, migrated, empty database for one test."""
    name = f"gongzhi_test_{uuid.uuid4().hex[:12]}"
    _run(_admin(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    yield embedded.with_database(pg_server_url, name)
    _run(_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection, for arranging data and checking what was stored."""
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.stdout)


@pytest.fixture
def cli(database_url: str):  # type: ignore[no-untyped-def]
    """Run the `gongzhi` console script against the test database, as an operator would."""

    def run(*args: str, input: str | None = None, timeout: float = 300) -> CliResult:
        env = {**os.environ, "DATABASE_URL": database_url, "PYTHONWARNINGS": "ignore"}
        proc = subprocess.run(
            [sys.executable, "-m", "gongzhi", *args],
            capture_output=True,
            text=True,
            env=env,
            input=input,
            timeout=timeout,
            cwd=ROOT,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


TEST_SECRET = "test-signing-key-not-for-production-0123456789"


def token(role: str = "admin", subject: str = "tester", **claims: object) -> str:
    """A token signed with the test apps' key."""
    import datetime as dt

    from gongzhi.auth import Claims, issue

    claims_ = Claims(subject=subject, role=role, **claims)  # type: ignore[arg-type]
    return issue(TEST_SECRET, claims_, dt.timedelta(hours=1))


def bearer(role: str = "admin", subject: str = "tester", **claims: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, subject, **claims)}"}


@pytest.fixture
def app_settings(database_url: str):  # type: ignore[no-untyped-def]
    from gongzhi.settings import Settings

    return Settings(
        database_url=database_url, pool_min_size=1, pool_max_size=5, jwt_secret=TEST_SECRET
    )


@pytest.fixture
async def anonymous_client(app_settings) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """The ASGI app over HTTP (in process), with its lifespan running; no credentials."""
    from asgi_lifespan import LifespanManager

    from gongzhi.app import create_app

    app = create_app(app_settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.fixture
async def client(anonymous_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The app over HTTP as an admin (every row, unmasked): most tests are not about access."""
    anonymous_client.headers.update(bearer("admin"))
    return anonymous_client


class GraphQLError(AssertionError):
    pass


def _reads_only(query: str) -> bool:
    """True when every operation in the document is a query (safe to run twice)."""
    from graphql import GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse

    try:
        document = parse(query)
    except GraphQLSyntaxError:  # sent once, as it is: the server answers the syntax error
        return False
    return all(
        d.operation is OperationType.QUERY
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


@pytest.fixture
def gql(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    """POST a GraphQL operation; return `data`, failing the test on any error.

    A query is sent twice, the second time forced onto Strawberry's resolvers
    (`x-gongzhi-execution: resolver`), and both answers must be identical: every query a
    test sends doubles as a differential test of the compiled read path.
    """

    async def run(query: str, variables: dict | None = None, *, errors_ok: bool = False):  # type: ignore[no-untyped-def]
        payload = {"query": query, "variables": variables or {}}
        response = await client.post("/graphql", json=payload)
        body = response.json()
        if _reads_only(query):
            resolved = await client.post(
                "/graphql", json=payload, headers={"x-gongzhi-execution": "resolver"}
            )
            assert resolved.json() == body, (
                f"the {response.headers.get('x-gongzhi-execution')} path and the resolver "
                f"path disagree on:\n{query}"
            )
        if not errors_ok and body.get("errors"):
            raise GraphQLError(json.dumps(body["errors"], ensure_ascii=False, indent=1))
        return body if errors_ok else body["data"]

    return run


# the session's pair of server processes (WebSocket and subscription tests)
from tests.two_processes import pair  # noqa: E402, F401
