"""Options shared by every command that talks to the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from db.connect import resolve_url
from gongzhi.settings import Settings, get_settings

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Embedded PostgreSQL data directory (default: $GONGZHI_DATA_DIR or a per-user "
        "data directory). Ignored when DATABASE_URL is set.",
        show_default=False,
    ),
]


def settings_with(data_dir: Path | None) -> Settings:
    settings = get_settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings


def database_url(settings: Settings) -> str:
    """DATABASE_URL, or the embedded server (started on demand) with migrations applied."""
    from db import migrate

    url = resolve_url(settings.database_url, settings.data_dir)
    if not settings.database_url:
        # The embedded database is ours to keep current; a configured one is migrated by
        # its operator with `gongzhi migrate`.
        migrate.upgrade(url)
    return url
