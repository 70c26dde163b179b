"""What every volunteers mutation shares: codes, who may write, input checks, the run.

The mutations: resolvers/volunteers_mutations.py (volunteers, teams, activities, service
records) and resolvers/volunteers_points.py (the points ledger, rewards, rates).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from strawberry import Info

from db import volunteers_writes as writes
from db.errors import DomainError
from db.query import rows_by_key
from db.session import audit
from resolvers.community_checks import Problem
from resolvers.context import Context

Record = asyncpg.Record

CODES = (
    "INVALID_INPUT",
    "NOT_FOUND",
    "FORBIDDEN",
    "UNKNOWN_AREA",
    "ALREADY_VOLUNTEER",
    "DUPLICATE_NAME",
    "ALREADY_MEMBER",
    "NOT_A_MEMBER",
    "OUTSIDE_TEAM_AREA",
    "INVALID_TIME_WINDOW",
    "ALREADY_SIGNED_UP",
    "WINDOW_EXCEEDED",
    "ACTIVITY_NOT_STARTED",
    "NOT_TEAM_LEADER",
    "SELF_VERIFICATION",
    "ALREADY_VERIFIED",
    "NOT_COMPLETED",
    "INSUFFICIENT_POINTS",
    "OUT_OF_STOCK",
)

WORKERS = ("admin", "officer", "community_worker", "grid_worker")
LEDGER_KEEPERS = ("admin", "community_worker")
VERIFIERS = (*WORKERS, "resident")

NAME_MAX = 100
TEXT_MAX = 200
REASON_MAX = 500
MAX_MINUTES = 24 * 60
MAX_POINTS = 1_000_000
MAX_QUANTITY = 10_000

# Messages for violations only the database caught (a concurrent write, usually).
BACKSTOP = {
    "INSUFFICIENT_POINTS": "the balance is too low for this (another entry was made meanwhile)",
    "OUT_OF_STOCK": "not enough of this reward left in stock",
    "ALREADY_VERIFIED": "the record is already verified",
    "ALREADY_MEMBER": "the volunteer is already a member of the team",
    "ALREADY_SIGNED_UP": "the volunteer already has a record for this activity",
    "ALREADY_VOLUNTEER": "the resident is already registered as a volunteer",
    "NOT_TEAM_LEADER": "the resident named does not lead the activity's team",
    "SELF_VERIFICATION": "a leader does not verify their own service",
    "DUPLICATE_NAME": "the name is already taken in this area",
    "NOT_COMPLETED": "only a completed record can be verified",
}


class Problems(list[Problem]):
    def add(self, code: str, message: str, field: str | None = None) -> None:
        assert code in CODES, code
        self.append(Problem(code, message, field))

    def refuse_if_any(self) -> None:
        if self:
            raise Refused(list(self))


class Refused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class Written:
    """What a mutation wrote: the row read back and the audit target."""

    row: Record
    target_type: str


Outcome = Written | list[Problem]


def context(info: Info) -> Context:
    return info.context


def label(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


async def run(
    info: Info,
    roles: tuple[str, ...],
    work: Callable[[asyncpg.Connection], Awaitable[Written]],
) -> Outcome:
    ctx = context(info)
    role = ctx.db.principal.role
    if role not in roles:
        return [Problem("FORBIDDEN", f"a {role} may not {info.field_name}")]
    try:
        with writes.volunteer_errors():
            async with ctx.db.transaction(operation=info.field_name) as conn:
                written = await work(conn)
                await audit(conn, written.target_type, written.row["id"])
    except Refused as exc:
        return exc.problems
    except DomainError as exc:
        message = exc.message if exc.code == "FORBIDDEN" else BACKSTOP.get(exc.code, exc.message)
        return [Problem(exc.code, message, exc.field)]
    finally:
        ctx.reset_loaders()
    return written


async def read_row(conn: asyncpg.Connection, ent: Any, key: int) -> Record:
    return (await rows_by_key(conn, ent, [key]))[key]


def text(value: str, field: str, limit: int, problems: Problems) -> str:
    text = value.strip()
    if not text:
        problems.add("INVALID_INPUT", f"{field} must not be empty", field)
    elif len(text) > limit:
        problems.add("INVALID_INPUT", f"{field} has at most {limit} characters", field)
    return text


def check_range(value: int, field: str, low: int, high: int, problems: Problems) -> None:
    if not low <= value <= high:
        problems.add(
            "INVALID_INPUT", f"{field} must be between {low} and {high}, got {value}", field
        )


async def find_area(conn: asyncpg.Connection, code: str, problems: Problems) -> Record | None:
    area = await writes.area_by_code(conn, code.strip())
    if area is None:
        problems.add("UNKNOWN_AREA", f"no area has the code {code!r}", "areaCode")
    return area


async def find_volunteer(
    conn: asyncpg.Connection, key: int | None, problems: Problems, *, lock: bool = False
) -> Record | None:
    if key is None:
        return None
    found = await (writes.lock_volunteer if lock else writes.volunteer)(conn, key)
    if found is None:
        problems.add("NOT_FOUND", "no such volunteer (or outside your area)", "volunteerId")
    return found


def who(info: Info) -> str:
    return context(info).db.principal.subject
