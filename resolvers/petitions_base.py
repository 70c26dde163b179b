"""What every petitions mutation shares: the transaction it runs in, read back under
row-level security, with the database's refusals turned into problems.

The mutations: resolvers/petitions_mutations.py (submission and the petition's moves)
and resolvers/petitions_cases.py (cases).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from strawberry import Info

from db import petitions_writes as writes
from db.errors import DomainError
from db.petitions_mapping import PETITION, PETITION_CASE
from db.query import rows_by_key
from db.session import audit
from resolvers.context import Context
from resolvers.petitions_checks import (
    CODES,
    Problem,
    Refused,
    db_label,
)

Record = asyncpg.Record
Outcome = Record | list[Problem]
Work = Callable[[asyncpg.Connection], Awaitable[tuple[int, bool]]]


def context(info: Info) -> Context:
    return info.context


async def run(info: Info, roles: tuple[str, ...], target: str, work: Work) -> Outcome:
    """``work`` on one connection in one transaction; it returns (key, wrote). The written
    row is read back in the same transaction (row-level security applies)."""
    ctx = context(info)
    role = ctx.db.principal.role
    if role not in roles:
        return [Problem("FORBIDDEN", f"a {role} may not {_verb(info.field_name)}")]
    entity = PETITION if target == "Petition" else PETITION_CASE
    try:
        with writes.petition_errors():
            async with ctx.db.transaction(operation=info.field_name) as conn:
                key, wrote = await work(conn)
                if wrote:
                    await audit(conn, target, key)
                record = (await rows_by_key(conn, entity, [key]))[key]
    except Refused as exc:
        return exc.problems
    except DomainError as exc:
        code = exc.code if exc.code in CODES else "INVALID_INPUT"
        return [Problem(code, exc.message, exc.field)]
    finally:
        ctx.reset_loaders()
    return record


def _verb(field_name: str) -> str:
    words = []
    for ch in field_name:
        words.append(f" {ch.lower()}" if ch.isupper() else ch)
    return "".join(words)


def visibility_label(value: Any) -> str | None:
    return None if value is None else db_label(value)
