"""``gongzhi serve``: the GraphQL service on the embedded database or DATABASE_URL."""

from __future__ import annotations

import typer

from gongzhi.cli.options import DataDirOption, database_url, settings_with


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str = typer.Option(None, help="Interface to bind (default $GONGZHI_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to bind (default $GONGZHI_PORT or 8000)."),
    data_dir: DataDirOption = None,
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Serve GraphQL (with GraphiQL) at http://HOST:PORT/graphql.

    Without DATABASE_URL an embedded PostgreSQL is started in the data directory and
    migrated; Ctrl-C stops the service and the embedded database, keeping the data.
    """
    import uvicorn

    from gongzhi.app import create_app

    settings = settings_with(data_dir)
    settings = settings.model_copy(
        update={"host": host or settings.host, "port": port or settings.port}
    )
    url = database_url(settings)
    typer.echo(f"gongzhi: GraphQL at http://{settings.host}:{settings.port}/graphql", err=True)
    uvicorn.run(
        create_app(settings, database_url=url),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
    )
