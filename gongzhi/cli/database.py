"""``gongzhi migrate`` and ``gongzhi db-url``."""

from __future__ import annotations

import typer

from db import migrate as migrations
from db.connect import resolve_url
from gongzhi.cli.options import DataDirOption, settings_with


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate)
    app.command("db-url")(db_url)


def migrate(
    data_dir: DataDirOption = None,
    revision: str = typer.Option("heads", help="Alembic revision to upgrade (or downgrade) to."),
    downgrade: bool = typer.Option(False, "--downgrade", help="Downgrade to REVISION instead."),
) -> None:
    """Apply database migrations to DATABASE_URL (or the embedded database)."""
    settings = settings_with(data_dir)
    url = resolve_url(settings.database_url, settings.data_dir)
    if downgrade:
        migrations.downgrade(url, revision)
    else:
        migrations.upgrade(url, revision)
    typer.echo(f"migrated to {revision}")


def db_url(data_dir: DataDirOption = None) -> None:
    """Print the database URL in use (starting the embedded database if needed)."""
    settings = settings_with(data_dir)
    typer.echo(resolve_url(settings.database_url, settings.data_dir))
