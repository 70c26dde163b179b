"""Monthly reports through GraphQL: submissions, quarantine, validation runs.

Submissions go through the same intake as the CLI (validation.reports_intake), so
concurrent mutations are coalesced into one Great Expectations run. Reads that are not
in the mapping (runs, findings, quarantine) come from db.reports, batched per request.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

import asyncpg
from graphql import GraphQLError
from strawberry import Info
from strawberry.dataloader import DataLoader

from db import reports as db
from resolvers.errors import bad_input
from validation import reports_intake as intake
from validation.report_rows import ReportRows, UnusableInput, parse_reports_csv, rows_from_values

Record = asyncpg.Record
MAX_ROWS = 50_000  # a GraphQL submission's limit; larger files go through the CLI
MAX_PAGE = 500


@dataclass(frozen=True)
class Refused:
    """A quarantine action that cannot be done: NOT_FOUND or NOT_OPEN."""

    code: str
    message: str


def database(info: Info) -> Any:
    """The principal's session (UNAUTHENTICATED without one): every statement under the
    principal's row-level security."""
    return info.context.db


def executor(info: Info) -> Any:
    return info.context.db


def who(info: Info) -> str:
    return str(info.context.db.principal.subject)


def _loader(info: Info, key: Hashable, batch: Callable[[list[Any]], Awaitable[list[Any]]]) -> Any:
    ctx = info.context
    loaders = ctx.__dict__.setdefault("_report_loaders", {})
    if key not in loaders:
        loaders[key] = DataLoader(load_fn=batch)
    return loaders[key]


def _forget(info: Info) -> None:
    """Loaded rows are stale after a write in the same request."""
    info.context.__dict__.pop("_report_loaders", None)
    reset = getattr(info.context, "reset_loaders", None)
    if reset is not None:
        reset()


# -- submitting ------------------------------------------------------------------------


def columns() -> list[str]:
    return list(intake.get_intake().suite.columns)


async def submit(
    info: Info, rows: list[dict[str, str | None]] | None, csv: str | None, options: intake.Options
) -> intake.IntakeResult | UnusableInput:
    if (rows is None) == (csv is None):
        raise bad_input("pass exactly one of rows and csv", "rows")
    try:
        table = (
            rows_from_values(rows, columns())
            if rows is not None
            else parse_reports_csv((csv or "").encode(), columns())
        )
    except UnusableInput as exc:
        return exc
    if len(table) > MAX_ROWS:
        return UnusableInput(f"{len(table)} rows; a submission through GraphQL takes {MAX_ROWS}")
    return await _submit(info, table, options)


async def _submit(
    info: Info,
    table: ReportRows,
    options: intake.Options,
    resolves: tuple[int, str] | None = None,
) -> intake.IntakeResult:
    submission = intake.Submission(
        table, options, "graphql", who(info), database(info), resolves=resolves
    )
    try:
        return await intake.submit(submission)
    except intake.IntakeRefused as exc:
        raise GraphQLError(str(exc), extensions={"code": "FORBIDDEN"}) from None
    finally:
        _forget(info)


async def _open_entry(info: Info, quarantine_id: int) -> Record | Refused:
    entry = (await db.quarantined_by_id(executor(info), [quarantine_id])).get(quarantine_id)
    if entry is None:
        return Refused("NOT_FOUND", f"no quarantined report {quarantine_id}")
    if entry["status"] != "open":
        return Refused("NOT_OPEN", f"quarantined report {quarantine_id} is {entry['status']}")
    return entry


async def correct(
    info: Info, quarantine_id: int, values: dict[str, str | None], revise: bool
) -> intake.IntakeResult | Refused:
    """Revalidate corrected values: stored, or quarantined again as a new entry."""
    entry = await _open_entry(info, quarantine_id)
    if isinstance(entry, Refused):
        return entry
    return await _resubmit(info, entry, values, "corrected", revise)


async def resubmit(info: Info, quarantine_id: int, revise: bool) -> intake.IntakeResult | Refused:
    """Submit the row again as it was (after what it depended on was fixed)."""
    entry = await _open_entry(info, quarantine_id)
    if isinstance(entry, Refused):
        return entry
    return await _resubmit(info, entry, entry["raw_values"], "resubmitted", revise)


async def _resubmit(
    info: Info, entry: Record, values: dict[str, str | None], status: str, revise: bool
) -> intake.IntakeResult | Refused:
    from db.reports_intake import AlreadyResolved

    table = rows_from_values([values], columns())
    try:
        return await _submit(info, table, intake.Options(revise=revise), (entry["id"], status))
    except AlreadyResolved:
        return Refused("NOT_OPEN", f"quarantined report {entry['id']} was resolved meanwhile")


async def dismiss(info: Info, quarantine_id: int, note: str | None) -> Record | Refused:
    async with database(info).transaction() as conn:
        row = await db.dismiss(conn, quarantine_id, who(info), note)
    _forget(info)
    if row is not None:
        return row
    entry = await _open_entry(info, quarantine_id)
    return entry if isinstance(entry, Refused) else Refused("NOT_OPEN", "resolved meanwhile")


# -- reading ---------------------------------------------------------------------------


def page_size(first: int | None, default: int = 50) -> int:
    n = default if first is None else first
    if not 0 <= n <= MAX_PAGE:
        raise bad_input(f"first must be between 0 and {MAX_PAGE}, got {n}", "first")
    return n


def key_after(after: str | None) -> int | None:
    if after is None:
        return None
    try:
        return int(after)
    except ValueError:
        raise bad_input(f"cursor {after!r} is not one this service issued", "after") from None


def run_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise bad_input(f"{value!r} is not a validation run id", "id") from None


async def run(info: Info, id_: uuid.UUID) -> Record | None:
    async def batch(keys: list[uuid.UUID]) -> list[Record | None]:
        found = await db.runs_by_id(executor(info), keys)
        return [found.get(k) for k in keys]

    return await _loader(info, "run", batch).load(id_)


Counted = tuple[db.Page, Callable[[], Awaitable[int]]]


async def runs(
    info: Info, source: str | None, submitted_by: str | None, first: int | None, after: str | None
) -> Counted:
    ex = executor(info)
    page = await db.runs_page(
        ex,
        source=source,
        submitted_by=submitted_by,
        first=page_size(first),
        before_seq=key_after(after),
    )
    return page, lambda: db.runs_count(ex, source=source, submitted_by=submitted_by)


async def findings(
    info: Info,
    id_: uuid.UUID,
    rule: str | None,
    severity: str | None,
    first: int | None,
    after: str | None,
) -> Counted:
    ex = executor(info)
    page = await db.findings_page(
        ex,
        id_,
        rule=rule,
        severity=severity,
        first=page_size(first, 100),
        after_id=key_after(after),
    )
    return page, lambda: db.findings_count(ex, id_, rule=rule, severity=severity)


async def row_findings(info: Info, id_: uuid.UUID, row: int) -> list[Record]:
    async def batch(keys: list[tuple[uuid.UUID, int]]) -> list[list[Record]]:
        found = await db.findings_of_rows(executor(info), keys)
        return [found[k] for k in keys]

    return await _loader(info, "row_findings", batch).load((id_, row))


async def stored_report(info: Info, area_code: str, period: str, version: int) -> Record | None:
    async def batch(keys: list[tuple[str, str, int]]) -> list[Record | None]:
        found = await db.reports_by_version(executor(info), keys)
        return [found.get(k) for k in keys]

    return await _loader(info, "report_version", batch).load((area_code, period, version))


async def quarantined(info: Info, quarantine_id: int) -> Record | None:
    async def batch(keys: list[int]) -> list[Record | None]:
        found = await db.quarantined_by_id(executor(info), keys)
        return [found.get(k) for k in keys]

    return await _loader(info, "quarantined", batch).load(quarantine_id)


async def quarantined_of_run(info: Info, id_: uuid.UUID) -> list[Record]:
    async def batch(keys: list[uuid.UUID]) -> list[list[Record]]:
        found = await db.quarantined_of_runs(executor(info), keys)
        return [found[k] for k in keys]

    return await _loader(info, "quarantined_of_run", batch).load(id_)


async def quarantine(
    info: Info,
    area_code: str | None,
    period: str | None,
    status: str | None,
    first: int | None,
    after: str | None,
) -> Counted:
    ex = executor(info)
    page = await db.quarantine_page(
        ex,
        area_code=area_code,
        period=period,
        status=status,
        first=page_size(first),
        before_id=key_after(after),
    )
    return page, lambda: db.quarantine_count(ex, area_code=area_code, period=period, status=status)


def input_values(value: Any) -> dict[str, str | None]:
    """A MonthlyReportInput as column -> text (fields left out are empty)."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
