"""Statements run on behalf of a principal: every one inside a transaction that first
tells PostgreSQL who is asking, so row-level security and masking apply to every path.

The service's pool connects as (or SET ROLEs to) ``gongzhi_app``, which never bypasses
row-level security. Operators' commands (migrate, imports, seed) use the owner role.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

APP_ROLE = "gongzhi_app"

ROLES = (
    "resident",
    "grid_worker",
    "community_worker",
    "officer",
    "department_officer",
    "auditor",
    "admin",
    "anonymous",
)

_SCOPE = re.compile(r"^[0-9]+(\.[0-9]+)*$")


@dataclass(frozen=True)
class Principal:
    """Who a request acts for, as the database needs it."""

    subject: str
    role: str
    scope: str | None = None  # ltree path of the principal's area
    household: int | None = None  # a resident's household
    department: str | None = None  # a department officer's department (petitions)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.scope is not None and not _SCOPE.match(self.scope):
            raise ValueError(f"not an area path: {self.scope!r}")

    def settings_sql(self, read_only: bool, operation: str | None = None) -> str:
        """BEGIN and the principal's settings in one round trip (simple query protocol).

        Values are inlined as literals, so they are checked or quoted here: the role is
        one of ROLES, the scope matches _SCOPE, the household is an int, the subject is
        quoted.
        """
        values = {
            "gongzhi.role": self.role,
            "gongzhi.scope": self.scope or "",
            "gongzhi.household": "" if self.household is None else str(int(self.household)),
            "gongzhi.subject": self.subject,
            "gongzhi.department": self.department or "",
            # set by mutations: row changes are then gathered for the audit log
            "gongzhi.operation": operation or "",
        }
        sets = ", ".join(f"set_config('{k}', {quote(v)}, true)" for k, v in values.items())
        mode = " READ ONLY" if read_only else ""
        return f"BEGIN{mode}; SELECT {sets};"


def quote(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL in a setting")
    return "'" + value.replace("'", "''") + "'"


async def setup_connection(conn: asyncpg.Connection) -> None:
    """Work as the application role on pooled connections opened as a superuser or owner
    (the embedded database): row-level security does not apply to those."""
    if await conn.fetchval("SELECT current_user") != APP_ROLE:
        await conn.execute(f"SET ROLE {APP_ROLE}")


class Session:
    """A principal's access to the pool: ``fetch``/``fetchval``/``fetchrow`` like a pool,
    each statement in its own transaction with the principal's settings."""

    def __init__(self, pool: asyncpg.Pool, principal: Principal) -> None:
        self.pool = pool
        self.principal = principal

    @asynccontextmanager
    async def transaction(
        self, *, read_only: bool = False, operation: str | None = None
    ) -> AsyncIterator[asyncpg.Connection]:
        """One connection, one transaction, the principal's settings made first.

        With ``operation`` (a mutation's name) the row changes made are recorded, and
        ``audit`` folds them into one audit-log row before the commit.
        """
        async with self.pool.acquire() as conn:
            await conn.execute(self.principal.settings_sql(read_only, operation))
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.transaction(read_only=True) as conn:
            return await conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        async with self.transaction(read_only=True) as conn:
            return await conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self.transaction(read_only=True) as conn:
            return await conn.fetchval(sql, *args)


async def audit(conn: asyncpg.Connection, target_type: str, target_id: int) -> int:
    """Write the transaction's audit-log row (see audit_commit in migration 0003)."""
    return await conn.fetchval("SELECT audit_commit($1, $2)", target_type, target_id)


async def area_path(pool: asyncpg.Pool, code: str) -> str | None:
    """The ltree path of an area code (paths never change, callers may cache them)."""
    async with pool.acquire() as conn:
        # the area tree is readable by any principal; 'anonymous' is the least of them
        await conn.execute(Principal("system", "anonymous").settings_sql(read_only=True))
        try:
            return await conn.fetchval("SELECT path::text FROM area WHERE code = $1", code)
        finally:
            await conn.execute("COMMIT")
