"""Where the database is: the URL given, or the embedded server started on demand."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg

from db import embedded
from db.session import SESSION_SETTINGS_MARK


def resolve_url(database_url: str | None, data_dir: Path) -> str:
    """Return a usable PostgreSQL URL, starting the embedded server when none is given."""
    if database_url:
        return database_url
    maintenance = embedded.start_server(data_dir)
    asyncio.run(embedded.ensure_database(maintenance, embedded.DATABASE_NAME))
    return embedded.with_database(maintenance, embedded.DATABASE_NAME)


class StatementCounter:
    """Counts data statements sent to PostgreSQL by this process (a metric, and what tests
    read to prove a query's statement count does not grow with its rows). Transaction
    control (BEGIN with the principal's settings, COMMIT, ROLLBACK) and the statement that
    hands a connection to a principal (db.session.hand_over) are not counted."""

    _CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", SESSION_SETTINGS_MARK)

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, record: Any) -> None:
        if not record.query.lstrip().startswith(self._CONTROL):
            self.count += 1


STATEMENTS = StatementCounter()


class PrincipalConnection(asyncpg.Connection):
    """A pooled connection that remembers whose settings its session holds (see
    db.session.Session.reading); None when unknown, which makes the next read set them."""

    __slots__ = ("_settings_key",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._settings_key: tuple[str, ...] | None = None

    # methods, not attributes: the pool hands out proxies that forward calls only
    def settings_key(self) -> tuple[str, ...] | None:
        return self._settings_key

    def remember_settings(self, key: tuple[str, ...] | None) -> None:
        self._settings_key = key


async def create_pool(
    url: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    app_role: bool = False,
    statement_timeout: float = 0,
) -> asyncpg.Pool:
    """The process's pool; ``app_role`` makes every connection work as gongzhi_app, under
    row-level security (the service), otherwise as the login role (operators' tools).
    ``statement_timeout`` (seconds, 0 none): PostgreSQL cancels a longer statement."""
    # one time zone for every session: timestamps print the same on every path
    settings = {"timezone": "UTC"}
    if statement_timeout > 0:
        settings["statement_timeout"] = f"{max(1, round(statement_timeout * 1000))}ms"

    async def init(conn: asyncpg.Connection) -> None:
        await _init_connection(conn)
        if app_role:
            from db.session import setup_connection

            await setup_connection(conn)

    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=init,
        reset=_keep_session,
        connection_class=PrincipalConnection,
        server_settings=settings,
    )
    assert pool is not None
    return pool


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Skip asyncpg's reset on release (unlock, CLOSE ALL, UNLISTEN, RESET ALL).

    It costs a round trip per released connection, i.e. doubles the statements of a read.
    The only session state pooled connections hold is the settings of the principal they
    last served, which PrincipalConnection remembers and every principal's read replaces
    (db.session.hand_over); transactions make their own (SET LOCAL); LISTEN runs on
    dedicated connections, never pooled ones.
    """


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb/json come back as text by default; decoding them in the driver keeps every
    # caller from doing it (and getting it wrong) itself.
    import orjson

    conn.add_query_logger(STATEMENTS)
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(
            typ,
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )
