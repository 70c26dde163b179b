"""Shared helpers of the monthly report tests: rows, files, a database per module."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from db import embedded
from db.connect import create_pool
from tests.factories import add_areas
from validation import reports_intake as intake
from validation.report_rows import rows_from_values

COLUMNS = (
    "area_code",
    "period",
    "households",
    "residents",
    "party_members",
    "requests_open_start",
    "requests_received",
    "requests_resolved",
    "requests_open_end",
    "feedback_received",
    "feedback_satisfied",
    "volunteers_active",
    "volunteer_hours",
    "activities_held",
    "collective_income",
    "dividends_paid",
    "dividend_households",
    "submitted_by",
)

# A report that breaks no rule (for 大坪村; a 31-day month).
GOOD: dict[str, str] = {
    "area_code": "510129101201",
    "period": "2026-07",
    "households": "120",
    "residents": "350",
    "party_members": "21",
    "requests_open_start": "4",
    "requests_received": "12",
    "requests_resolved": "10",
    "requests_open_end": "6",
    "feedback_received": "8",
    "feedback_satisfied": "7",
    "volunteers_active": "5",
    "volunteer_hours": "42.5",
    "activities_held": "3",
    "collective_income": "15000.00",
    "dividends_paid": "3000.50",
    "dividend_households": "30",
    "submitted_by": "王会计",
}

# More villages of 鹤鸣镇 (510129101), for the town-level outlier rule W4.
MORE_VILLAGES = [
    (f"51012910120{n}", f"{name}村", "village", "510129101")
    for n, name in ((3, "三河"), (4, "四方"), (5, "五龙"), (6, "六合"), (7, "七星"))
]


async def add_villages(conn: asyncpg.Connection) -> None:
    for code, name, level, parent in MORE_VILLAGES:
        await conn.execute(
            "INSERT INTO area (code, name, level, parent_id) "
            "SELECT $1, $2, $3, id FROM area WHERE code = $4",
            code,
            name,
            level,
            parent,
        )


def row(**overrides: str | None) -> dict[str, str | None]:
    return {**GOOD, **overrides}


def csv_text(rows: Sequence[dict[str, str | None]], columns: Sequence[str] = COLUMNS) -> str:
    lines = [",".join(columns)]
    lines += [",".join(r.get(c) or "" for c in columns) for r in rows]
    return "\r\n".join(lines) + "\r\n"


def write_csv(path: Path, rows: Sequence[dict[str, str | None]], **kwargs: Any) -> Path:
    path.write_text(csv_text(rows, **kwargs), encoding="utf-8")
    return path


async def submit(
    pool: asyncpg.Pool,
    rows: Sequence[dict[str, str | None]],
    *,
    source: str = "graphql",
    **options: bool,
) -> intake.IntakeResult:
    submission = intake.Submission(
        rows_from_values(rows, COLUMNS),
        intake.Options(**options),
        source,
        "tests",
        intake.PoolDatabase(pool),
    )
    return await intake.submit(submission)


def rules(verdict: Any) -> list[str]:
    return [f.rule for f in verdict.findings]


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def module_database_url(pg_server_url: str, template_database: str) -> Iterator[str]:
    """One migrated database for a module whose tests each use their own areas or months."""
    name = f"gongzhi_reports_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    yield embedded.with_database(pg_server_url, name)
    asyncio.run(_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
async def module_pool(module_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(module_database_url, min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await add_areas(conn)
        await add_villages(conn)
    try:
        yield pool
    finally:
        await pool.close()
