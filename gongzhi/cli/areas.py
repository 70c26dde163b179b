"""``gongzhi areas import``: load the area registry from ``areas.csv`` (contract section 1)."""

from __future__ import annotations

import asyncio
import enum
import gc
import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer
from tqdm import tqdm

from db import area_registry as registry
from gongzhi.cli.options import DataDirOption, database_url, settings_with
from validation.area_registry import (
    SUITE,
    AreaRow,
    Change,
    Outcome,
    UnusableInput,
    Verdict,
    check_areas,
    parse_areas_csv,
    referenced_codes,
)

log = logging.getLogger(__name__)

# Exit statuses: 0-2 are the contract's; 3 is ours for an import that failed (the
# database could not be reached or refused the write), so that a script never mistakes
# it for "some rows rejected" (1) or "bad file" (2).
EXIT_OK, EXIT_REJECTED, EXIT_UNUSABLE, EXIT_FAILED = 0, 1, 2, 3

# Below this many rows an import takes about a second and a progress bar is just noise.
PROGRESS_FROM_ROWS = 5000

areas_app = typer.Typer(
    help="The area registry: provinces down to compounds and buildings.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(areas_app, name="areas")


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"


@dataclass(frozen=True)
class ImportResult:
    run_id: str
    outcome: Outcome
    created: int
    renamed: int

    @property
    def unchanged(self) -> int:
        return len(self.outcome.changes(Change.NONE))


FileArgument = Annotated[
    Path,
    typer.Argument(
        help="The areas CSV: UTF-8 (a BOM is fine), a header row naming the columns code, "
        "name, level, parent_code in any order.",
        show_default=False,
        metavar="FILE",
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        help="text: a summary for people; json: one JSON object with every row's findings.",
    ),
]


@areas_app.command("import")
def import_areas(
    file: FileArgument,
    output: FormatOption = OutputFormat.text,
    data_dir: DataDirOption = None,
) -> None:
    """Create and rename areas from a CSV file, idempotently.

    Every row is checked: A1 code format, A2 parent, A3 level, A4 duplicate
    code, A5 name. Accepted rows are stored in one transaction even when
    other rows are rejected: a new code creates an area, a changed name
    renames it, a row that matches what is stored changes nothing. Codes,
    levels and parents never change.

    Exit status: 0 every row accepted; 1 some row rejected; 2 the file could
    not be used at all (reason on stderr, nothing stored); 3 the import
    failed, e.g. the database was unreachable (nothing stored).

    Uses DATABASE_URL, or the embedded database when it is unset.
    """
    with _no_cyclic_gc():
        code = _run(file, output, data_dir)
    raise typer.Exit(code)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    # An import builds a few objects per row, none in cycles: the cyclic collector would
    # only traverse them again and again (a third of the run time at 100,000 rows).
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _run(file: Path, output: OutputFormat, data_dir: Path | None) -> int:
    try:
        rows = parse_areas_csv(_read(file))
    except UnusableInput as exc:
        typer.echo(f"gongzhi areas import: {file}: {exc}", err=True)
        return EXIT_UNUSABLE

    show_progress = (
        output is OutputFormat.text and len(rows) >= PROGRESS_FROM_ROWS and sys.stderr.isatty()
    )
    try:
        url = database_url(settings_with(data_dir))
        result = asyncio.run(_import(url, rows, show_progress=show_progress))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        typer.echo(f"gongzhi areas import: database error, nothing stored: {exc}", err=True)
        return EXIT_FAILED
    except Exception:
        # The transaction was rolled back; exit 1 (Python's default) would read as
        # "some rows rejected", so a bug gets the failure status too.
        log.exception("gongzhi areas import failed, nothing stored")
        return EXIT_FAILED

    if output is OutputFormat.json:
        _write_json(_json_result(result))
    else:
        typer.echo(_text_summary(file, result))
    return EXIT_REJECTED if result.outcome.rejected else EXIT_OK


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


async def _import(url: str, rows: list[AreaRow], *, show_progress: bool) -> ImportResult:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await registry.lock(conn)
            stored = await registry.load_stored(conn, referenced_codes(rows))
            outcome = check_areas(rows, stored)
            creates = [
                registry.AreaWrite(r.code, r.name, r.level, r.parent_code or None)
                for r in outcome.changes(Change.CREATE)
            ]
            renames = [(r.code, r.name) for r in outcome.changes(Change.RENAME)]
            with tqdm(
                total=len(creates) + len(renames),
                desc="storing areas",
                unit="area",
                file=sys.stderr,
                disable=not show_progress,
            ) as bar:
                created, renamed = await registry.store(conn, creates, renames, stored, bar.update)
    finally:
        await conn.close()
    return ImportResult(str(uuid.uuid4()), outcome, created, renamed)


def _json_result(result: ImportResult) -> dict[str, Any]:
    outcome = result.outcome
    return {
        "run_id": result.run_id,
        "suite": SUITE,
        "rows": len(outcome.verdicts),
        # No dry run or atomic mode for areas: the accepted rows are always stored.
        "stored": True,
        "accepted": [
            {"row": v.row.row, "code": v.row.code, "warnings": _findings(v.warnings)}
            for v in outcome.accepted
        ],
        "rejected": [
            {
                "row": v.row.row,
                "code": v.row.code,
                "errors": _findings(v.errors),
                "warnings": _findings(v.warnings),
            }
            for v in outcome.rejected
        ],
        # Beyond the contract's shape (extra keys are allowed): what storing did.
        "counts": {
            "created": result.created,
            "updated": result.renamed,
            "unchanged": result.unchanged,
            "rejected": len(outcome.rejected),
        },
    }


def _findings(findings: tuple[Any, ...]) -> list[dict[str, str]]:
    return [{"rule": f.rule, "message": f.message} for f in findings]


def _write_json(value: dict[str, Any]) -> None:
    import orjson

    # JSON is UTF-8 whatever the terminal's locale; bytes keep names readable and never
    # fail on a narrow stdout encoding.
    sys.stdout.buffer.write(orjson.dumps(value) + b"\n")
    sys.stdout.buffer.flush()


def _text_summary(file: Path, result: ImportResult) -> str:
    outcome = result.outcome
    lines = [
        f"{file}: {len(outcome.verdicts)} rows: {result.created} created, "
        f"{result.renamed} updated (renamed), {result.unchanged} unchanged, "
        f"{len(outcome.rejected)} rejected"
    ]
    for v in outcome.rejected:
        lines.extend(_rejection_lines(v))
    return "\n".join(lines)


def _rejection_lines(v: Verdict) -> list[str]:
    code = v.row.code or "(no code)"
    return [f"  row {v.row.row} {code}: {f.rule} {f.message}" for f in v.errors]
