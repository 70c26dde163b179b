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

    def settings(self, operation: str | None = None) -> dict[str, str]:
        """What row-level security and masking read (current_setting in migration 0003)."""
        return {
            "gongzhi.role": self.role,
            "gongzhi.scope": self.scope or "",
            "gongzhi.household": "" if self.household is None else str(int(self.household)),
            "gongzhi.subject": self.subject,
            "gongzhi.department": self.department or "",
            # set by mutations: row changes are then gathered for the audit log
            "gongzhi.operation": operation or "",
        }

    def settings_sql(self, read_only: bool, operation: str | None = None) -> str:
        """BEGIN and the principal's settings in one round trip (simple query protocol).

        Values are inlined as literals, so they are checked or quoted here: the role is
        one of ROLES, the scope matches _SCOPE, the household is an int, the subject is
        quoted.
        """
        mode = " READ ONLY" if read_only else ""
        return f"BEGIN{mode}; SELECT {_set_configs(self.settings(operation), local=True)};"

    def session_settings_sql(self) -> str:
        """The principal's settings for the connection's session (see Session.reading)."""
        return f"{SESSION_SETTINGS_MARK} SELECT {_set_configs(self.settings(), local=False)}"


# Marks the statement that hands a connection to a principal, so statement counts
# (db.connect.StatementCounter) can leave it out like BEGIN and COMMIT.
SESSION_SETTINGS_MARK = "/* principal */"


def _set_configs(values: dict[str, str], *, local: bool) -> str:
    flag = "true" if local else "false"
    return ", ".join(f"set_config('{k}', {quote(v)}, {flag})" for k, v in values.items())


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
    each a single statement run under the principal's settings, and ``transaction`` for
    writes and for reads that must see one snapshot."""

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

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection whose session settings are this principal's, for single SELECT
        statements (each its own implicit transaction).

        A transaction per read costs three round trips (BEGIN with the settings, the
        statement, COMMIT); a small lookup is mostly that. Pooled connections instead keep
        the settings of the last principal they served (``PrincipalConnection``), and a
        read re-makes them only when it comes from someone else: one round trip when the
        connection already works for this principal, two otherwise. Transactions still
        make their own transaction-local settings, which win over these and end with
        them. The key is every setting's value, so a connection never answers one
        principal with another's settings.
        """
        async with self.pool.acquire() as conn:
            await hand_over(conn, self.principal)
            yield conn

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.reading() as conn:
            return await conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        async with self.reading() as conn:
            return await conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self.reading() as conn:
            return await conn.fetchval(sql, *args)


async def hand_over(conn: asyncpg.Connection, principal: Principal) -> None:
    """Make ``principal``'s settings the session's on ``conn`` unless they already are."""
    key = tuple(principal.settings().values())
    remembered = getattr(conn, "settings_key", None)
    if remembered is not None and remembered() == key:
        return
    if remembered is not None:
        # forgotten first: a statement cut short (cancelled, failed) leaves the
        # settings unknown, and the next read makes them again
        conn.remember_settings(None)
    await conn.execute(principal.session_settings_sql())
    if remembered is not None:
        conn.remember_settings(key)


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
