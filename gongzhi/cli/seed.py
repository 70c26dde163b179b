"""``gongzhi seed --demo``: fill the database with a generated demo county."""

from __future__ import annotations

import asyncio
import sys

import asyncpg
import typer

from db.seed.demo import DEFAULT_SEED, AreaConflict, DemoPresent, Summary, seed_demo
from db.seed.people import AS_OF
from gongzhi.cli.options import DataDirOption, database_url, settings_with

# 0 seeded; 1 refused (demo data present) or failed, nothing stored; 2 usage.
EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
# Village codes leave room for 199 communities and 199 villages per town.
MAX_SCALE = 10.0


def register(app: typer.Typer) -> None:
    app.command("seed")(seed)


def seed(
    demo: bool = typer.Option(
        False, "--demo", help="Seed the demo county (大邑县, 510129): the only dataset so far."
    ),
    scale: float = typer.Option(
        1.0,
        "--scale",
        help="Size relative to the full demo: 1 is 10 towns, 150 villages, ~100,000 "
        "households and ~300,000 residents; 0.01 is a small set for tests.",
    ),
    seed_value: int = typer.Option(
        DEFAULT_SEED,
        "--seed",
        help="Random seed: the same seed and scale give the same data.",
    ),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="Delete the demo county (its areas, households and residents) and seed it "
        "again, in one transaction.",
    ),
    data_dir: DataDirOption = None,
) -> None:
    """Generate a realistic demo dataset and store it.

    Towns, villages and communities, compounds and buildings of 大邑县 under
    四川省 成都市, with households and residents: valid ID numbers, phones,
    migrant workers registered but living away, care tags (elderly living
    alone, left-behind children, disabled, 低保, 特困, 脱贫户), party
    members, building and courtyard heads, grid workers and mediators.

    Refuses (exit 1) when the demo county is already stored, unless
    --replace is given. Uses DATABASE_URL, or the embedded database when it
    is unset.
    """
    if not demo:
        typer.echo(
            "gongzhi seed: say which data to seed: --demo (the demo county) is the only "
            "dataset so far",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE)
    if not 0 < scale <= MAX_SCALE:
        typer.echo(f"gongzhi seed: --scale must be above 0 and at most {MAX_SCALE:g}", err=True)
        raise typer.Exit(EXIT_USAGE)

    try:
        url = database_url(settings_with(data_dir))
        summary = asyncio.run(
            seed_demo(
                url,
                scale=scale,
                seed=seed_value,
                replace=replace,
                show_progress=sys.stderr.isatty(),
            )
        )
    except DemoPresent as exc:
        typer.echo(
            f"gongzhi seed: {exc}; nothing stored. Pass --replace to delete it and seed again.",
            err=True,
        )
        raise typer.Exit(EXIT_REFUSED) from None
    except AreaConflict as exc:
        typer.echo(f"gongzhi seed: {exc}; nothing stored", err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    except asyncpg.ForeignKeyViolationError as exc:
        typer.echo(
            "gongzhi seed: other data refers to the demo county's areas, households or "
            f"residents, so it cannot be replaced; nothing changed: {exc}",
            err=True,
        )
        raise typer.Exit(EXIT_REFUSED) from None
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        typer.echo(f"gongzhi seed: database error, nothing stored: {exc}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    typer.echo(_summary_text(summary))


def _summary_text(summary: Summary) -> str:
    areas = summary.areas
    adults = summary.adults or 1
    residents = summary.residents or 1
    lines = []
    if summary.replaced is not None:
        lines.append(f"replaced {summary.replaced.describe()}")
    lines += [
        f"seeded the demo county in {_duration(summary.elapsed)} "
        f"(scale {summary.scale:g}, seed {summary.seed}):",
        f"  areas       {areas.get('town', 0):,} towns, {areas.get('village', 0):,} villages "
        f"and communities, {areas.get('compound', 0):,} compounds, "
        f"{areas.get('building', 0):,} buildings",
        f"  households  {summary.households:,}",
        f"  residents   {summary.residents:,} "
        f"({summary.residents / max(summary.households, 1):.2f} per household; "
        f"ages as of {AS_OF:%Y-%m-%d})",
        f"  party       {summary.party_members:,} members "
        f"({summary.party_members / adults:.1%} of adults)",
        f"  phones      {summary.with_phone:,} ({summary.with_phone / residents:.1%})",
        "  care tags   " + ", ".join(f"{tag} {n:,}" for tag, n in summary.care_tags.items()),
        "  roles       " + ", ".join(f"{role} {n:,}" for role, n in summary.roles.items()),
        "  domains     " + ", ".join(f"{table} {n:,}" for table, n in summary.domains.items()),
    ]
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:.1f} s" if minutes else f"{rest:.1f} s"
