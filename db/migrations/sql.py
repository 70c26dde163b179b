"""Run a multi-statement SQL script inside an Alembic migration.

SQLAlchemy's asyncpg dialect prepares every statement, and PostgreSQL refuses to prepare
several commands at once; asyncpg's own ``execute`` without arguments uses the simple
query protocol, which runs a whole script. We are inside SQLAlchemy's greenlet here, so
``await_only`` drives the coroutine.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.util import await_only


def execute_script(sql: str) -> None:
    raw = op.get_bind().connection.driver_connection
    await_only(raw.execute(sql))
