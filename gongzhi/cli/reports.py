"""``gongzhi reports import``: monthly reports from ``reports.csv`` (contract section 2)."""

from __future__ import annotations

import asyncio
import enum
import getpass
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer
from tqdm import tqdm

from db.connect import create_pool
from gongzhi.cli.options import DataDirOption, database_url, settings_with
from validation import reports_intake as intake
from validation.report_rows import ReportRows, UnusableInput, parse_reports_csv
from validation.suite import SuiteError

log = logging.getLogger(__name__)

# Exit statuses 0-2 are the contract's; 3 is ours (as for `areas import`): the import
# failed (database unreachable or refusing, a broken suite), nothing stored.
EXIT_OK, EXIT_REJECTED, EXIT_UNUSABLE, EXIT_FAILED = 0, 1, 2, 3
# Below this many rows an import takes a second or two and a progress bar is noise.
PROGRESS_FROM_ROWS = 5000

reports_app = typer.Typer(
    help="Monthly community reports: validated, stored with their history, quarantined "
    "when rejected.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(reports_app, name="reports")


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"


FileArgument = Annotated[
    Path,
    typer.Argument(
        help="The reports CSV: UTF-8 (a BOM is fine), a header row naming exactly the "
        "contract's 18 columns in any order.",
        show_default=False,
        metavar="FILE",
    ),
]


@reports_app.command("import")
def import_reports(
    file: FileArgument,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate only: store nothing, not even the run.")
    ] = False,
    atomic: Annotated[
        bool,
        typer.Option(
            "--atomic",
            help="Store the reports only if every row is accepted; otherwise store only the "
            "validation run and the quarantined rows.",
        ),
    ] = False,
    revise: Annotated[
        bool,
        typer.Option(
            "--revise",
            help="The rows revise reports already stored: each becomes a new version; "
            "earlier versions are kept.",
        ),
    ] = False,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="text: a summary for people; json: the contract's result object.",
        ),
    ] = OutputFormat.text,
    data_dir: DataDirOption = None,
) -> None:
    """Validate monthly reports against rules E1-E10 and W1-W4 and store them.

    Without --atomic, accepted rows are stored even when other rows are rejected.
    Rejected rows are quarantined with their findings, to be corrected and
    resubmitted (GraphQL: quarantinedReports, correctQuarantinedReport).

    Exit status: 0 every row accepted; 1 some row rejected; 2 the file could
    not be used at all (reason on stderr, nothing stored); 3 the import failed,
    e.g. the database was unreachable (nothing stored).

    Uses DATABASE_URL, or the embedded database when it is unset.
    """
    options = intake.Options(dry_run=dry_run, atomic=atomic, revise=revise)
    raise typer.Exit(_run(file, options, output, data_dir))


def _run(file: Path, options: intake.Options, output: OutputFormat, data_dir: Path | None) -> int:
    try:
        suite = intake.get_intake().suite
        rows = parse_reports_csv(_read(file), list(suite.columns))
    except UnusableInput as exc:
        typer.echo(f"gongzhi reports import: {file}: {exc}", err=True)
        return EXIT_UNUSABLE
    except SuiteError as exc:
        typer.echo(f"gongzhi reports import: the suite is broken: {exc}", err=True)
        return EXIT_FAILED
    show_progress = (
        output is OutputFormat.text and len(rows) >= PROGRESS_FROM_ROWS and sys.stderr.isatty()
    )
    try:
        result = asyncio.run(_import(rows, options, data_dir, show_progress=show_progress))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        typer.echo(f"gongzhi reports import: database error, nothing stored: {exc}", err=True)
        return EXIT_FAILED
    except SuiteError as exc:
        typer.echo(f"gongzhi reports import: the suite is broken: {exc}", err=True)
        return EXIT_FAILED
    except Exception:
        # rolled back; Python's default exit 1 would read as "some rows rejected"
        log.exception("gongzhi reports import failed, nothing stored")
        return EXIT_FAILED
    finally:
        intake.shutdown()
    if output is OutputFormat.json:
        _write_json(result.contract_json())
    else:
        typer.echo(_text_summary(file, result, options))
    return EXIT_REJECTED if result.rejected else EXIT_OK


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise UnusableInput("no such file") from None
    except IsADirectoryError:
        raise UnusableInput("is a directory, not a file") from None
    except PermissionError:
        raise UnusableInput("permission denied") from None
    except OSError as exc:
        raise UnusableInput(f"cannot be read: {exc.strerror or exc}") from None


async def _import(
    rows: ReportRows, options: intake.Options, data_dir: Path | None, *, show_progress: bool
) -> intake.IntakeResult:
    service = intake.get_intake()
    # Workers start (importing Great Expectations takes seconds) while the database is
    # found, started if embedded, and migrated.
    ready = asyncio.create_task(service.ready())
    try:
        url = await asyncio.to_thread(database_url, settings_with(data_dir))
        pool = await create_pool(url, min_size=1, max_size=2)
    except BaseException:
        ready.cancel()
        raise
    try:
        await ready
        with tqdm(
            total=2 * len(rows),
            desc="validating and storing reports",
            unit="row",
            file=sys.stderr,
            disable=not show_progress,
        ) as bar:
            submission = intake.Submission(
                rows,
                options,
                "cli",
                _who(),
                intake.PoolDatabase(pool),
                progress=lambda _stage, n: bar.update(n),
            )
            return await service.submit(submission)
    finally:
        await pool.close()


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "unknown"


def _write_json(value: dict[str, Any]) -> None:
    import orjson

    sys.stdout.buffer.write(orjson.dumps(value) + b"\n")
    sys.stdout.buffer.flush()


def _text_summary(file: Path, result: intake.IntakeResult, options: intake.Options) -> str:
    if options.dry_run:
        what = "dry run, nothing stored"
    elif not result.stored:
        what = "atomic and some row rejected: no report stored, rejected rows quarantined"
    else:
        what = "accepted rows stored, rejected rows quarantined"
    warnings = sum(len(v.warnings) for v in result.verdicts)
    lines = [
        f"{file}: {len(result.verdicts)} rows: {len(result.accepted)} accepted, "
        f"{len(result.rejected)} rejected, {warnings} warnings ({what}); run {result.run_id}"
    ]
    for v in result.verdicts:
        for f in v.findings:
            lines.append(
                f"  row {v.row} {v.area_code or '-'} {v.period or '-'}: {f.rule} {f.message}"
            )
    return "\n".join(lines)
