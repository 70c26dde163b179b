"""``gongzhi audit``: run the audit suites over stored data; compare two runs."""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import re
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer
from tqdm import tqdm

from db import audit_runs as db
from db import resident_tally
from db.connect import create_pool
from gongzhi.cli.options import DataDirOption, database_url, settings_with
from validation import audit
from validation.audit_suite import load_audit_suites
from validation.suite import SuiteError

audit_app = typer.Typer(
    help="Audit stored data with the audit suites (validation/audit_suites).",
    no_args_is_help=True,
)
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
_MONTH = re.compile(r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("run")
def run(
    suite: Annotated[
        list[str] | None,
        typer.Option("--suite", help="A suite to run (repeatable); default: every suite."),
    ] = None,
    area: Annotated[
        str | None, typer.Option("--area", help="Audit only this area's subtree (its code).")
    ] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="Audit only this month (YYYY-MM).")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    data_dir: DataDirOption = None,
) -> None:
    """Run the audit suites; store the run with its findings and Data Docs.

    Exit status: 0 no finding; 1 some finding; 2 bad arguments (unknown suite or area,
    bad month, a bad setting); 3 the audit failed (database unreachable, a broken check).

    Suites run at once in GONGZHI_AUDIT_WORKERS worker processes (default 2); the sharded
    checks (P1, P2) as GONGZHI_AUDIT_SHARDS concurrent queries (default: the cores).
    """
    if period is not None and not _MONTH.match(period):
        typer.echo(f"gongzhi audit run: --period {period!r} is not a month YYYY-MM", err=True)
        raise typer.Exit(EXIT_USAGE)
    if output not in ("text", "json"):
        typer.echo("gongzhi audit run: --format is text or json", err=True)
        raise typer.Exit(EXIT_USAGE)
    try:
        suites = load_audit_suites(suite or None)
    except SuiteError as exc:
        typer.echo(f"gongzhi audit run: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    request = audit.AuditRequest(
        suites=[s.name for s in suites],
        area_code=area,
        period=dt.date.fromisoformat(f"{period}-01") if period else None,
        started_by=_who(),
        source="cli",
    )
    total = sum(len(s.checks) for s in suites)
    try:
        audit.get_pool()
    except ValueError as exc:  # GONGZHI_AUDIT_WORKERS or GONGZHI_AUDIT_SHARDS
        typer.echo(f"gongzhi audit run: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    try:
        summary = asyncio.run(_run(request, total, data_dir))
    except audit.ScopeError as exc:
        typer.echo(f"gongzhi audit run: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        typer.echo(f"gongzhi audit run: database error, nothing stored: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    finally:
        audit.shutdown()
    if output == "json":
        import orjson

        sys.stdout.buffer.write(orjson.dumps(summary, default=str) + b"\n")
        sys.stdout.buffer.flush()
    else:
        typer.echo(_text(summary))
    if summary["broken_checks"]:
        raise typer.Exit(EXIT_FAILED)
    raise typer.Exit(EXIT_FINDINGS if summary["findings"] else EXIT_OK)


async def _run(request: audit.AuditRequest, total: int, data_dir: Path | None) -> dict[str, Any]:
    pool_ = audit.get_pool()
    ready = asyncio.create_task(pool_.ready())
    try:
        url = await asyncio.to_thread(database_url, settings_with(data_dir))
        pool = await create_pool(url, min_size=1, max_size=2)
    except BaseException:
        ready.cancel()
        raise
    try:
        with tqdm(total=total, desc="auditing", unit="check", file=sys.stderr) as bar:
            await ready

            @asynccontextmanager
            async def transaction() -> AsyncIterator[asyncpg.Connection]:
                async with pool.acquire() as conn, conn.transaction():
                    yield conn

            def progress(suite: str, checks: int) -> None:
                bar.set_postfix_str(suite)
                bar.update(checks)

            run_id = await audit.run_audit(request, url, transaction, progress=progress)
        async with pool.acquire() as conn:
            return await _summary(conn, run_id)
    finally:
        await pool.close()


async def _summary(conn: asyncpg.Connection, run_id: uuid.UUID) -> dict[str, Any]:
    run = await db.run_by_id(conn, run_id)
    assert run is not None
    checks = await db.checks_of(conn, run_id)
    by_check: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in await db.brief_findings_of(conn, run_id):
        by_check.setdefault((f["suite"], f["rule"]), []).append(
            {
                "id": f["id"],
                "target_type": f["target_type"],
                "target_id": f["target_id"],
                "message": f["message"],
            }
        )
    return {
        "run_id": str(run_id),
        "suites": run["suites"],
        "area": run["scope_code"],
        "period": run["period"].isoformat()[:7] if run["period"] else None,
        "checks": len(checks),
        "failed_checks": run["failed_checks"],
        "broken_checks": run["broken_checks"],
        "findings": run["findings"],
        "results": [
            {
                "suite": c["suite"],
                "rule": c["rule"],
                "severity": c["severity"],
                "status": c["status"],
                "failing": c["failing"],
                "error": c["error"],
                "findings": by_check.get((c["suite"], c["rule"]), []),
            }
            for c in checks
        ],
    }


def _text(summary: dict[str, Any]) -> str:
    lines = [
        f"audit run {summary['run_id']}: {summary['checks']} checks, "
        f"{summary['failed_checks']} failed, {summary['broken_checks']} broken, "
        f"{summary['findings']} findings"
    ]
    for c in summary["results"]:
        lines.append(f"  {c['suite']} {c['rule']} {c['status']} ({c['failing']})")
        if c["error"]:
            lines.append(f"    error: {c['error'].splitlines()[0]}")
        for f in c["findings"][:20]:
            lines.append(f"    {f['target_type']} {f['target_id']}: {f['message']}")
        if len(c["findings"]) > 20:
            lines.append(f"    ... and {len(c['findings']) - 20} more")
    return "\n".join(lines)


@audit_app.command("compare")
def compare(
    earlier: Annotated[str, typer.Argument(help="The earlier run's id.")],
    later: Annotated[str, typer.Argument(help="The later run's id.")],
    data_dir: DataDirOption = None,
) -> None:
    """Findings new, resolved and persisting between two runs."""
    try:
        a, b = uuid.UUID(earlier), uuid.UUID(later)
    except ValueError:
        typer.echo("gongzhi audit compare: run ids are UUIDs", err=True)
        raise typer.Exit(EXIT_USAGE) from None

    async def go() -> list[asyncpg.Record]:
        url = await asyncio.to_thread(database_url, settings_with(data_dir))
        conn = await asyncpg.connect(url)
        try:
            return await db.compare_runs(conn, a, b)
        finally:
            await conn.close()

    for row in asyncio.run(go()):
        typer.echo(f"{row['change']:<10} {row['suite']} {row['rule']} {row['message']}")


@audit_app.command("rebuild-tally")
def rebuild_tally(data_dir: DataDirOption = None) -> None:
    """Recount the resident tally (the dashboards' counts) from the residents.

    Writes with triggers off (a restore, a replica) leave the tally behind; audit rule R7
    finds where. Run as the database owner; resident writes wait while it recounts.
    """

    async def go() -> tuple[int, int]:
        url = await asyncio.to_thread(database_url, settings_with(data_dir))
        conn = await asyncpg.connect(url)
        try:
            before = await resident_tally.drift(conn)
            return before, await resident_tally.rebuild(conn)
        finally:
            await conn.close()

    try:
        before, rows = asyncio.run(go())
    except (OSError, asyncpg.PostgresError) as exc:
        typer.echo(f"gongzhi audit rebuild-tally: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    typer.echo(f"resident tally recounted: {rows} rows ({before} disagreed with the residents)")


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "unknown"
