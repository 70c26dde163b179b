"""``gongzhi serve``: the GraphQL service on the embedded database or DATABASE_URL."""

from __future__ import annotations

import typer

from gongzhi.cli.options import DataDirOption, database_url, settings_with
from gongzhi.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str = typer.Option(None, help="Interface to bind (default $GONGZHI_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to bind (default $GONGZHI_PORT or 8000)."),
    data_dir: DataDirOption = None,
    log_level: str = typer.Option("info", help="uvicorn log level."),
    demo: bool = typer.Option(
        False,
        "--demo",
        help="Load the demo county first if it is not stored yet, and print an admin token "
        "to try the API with.",
    ),
    demo_scale: float = typer.Option(
        0.1, help="Size of the demo data with --demo (1 = ~100,000 households; see `seed`)."
    ),
) -> None:
    """Serve GraphQL (with GraphiQL) at http://HOST:PORT/graphql; subscriptions over
    WebSocket (graphql-transport-ws) at ws://HOST:PORT/graphql.

    Without DATABASE_URL an embedded PostgreSQL is started in the data directory and
    migrated; Ctrl-C stops the service and the embedded database, keeping the data.
    """
    import gc

    import uvicorn

    from gongzhi.app import create_app

    settings = settings_with(data_dir)
    settings = settings.model_copy(
        update={"host": host or settings.host, "port": port or settings.port}
    )
    url = database_url(settings)
    if demo:
        _load_demo(url, demo_scale, settings)
    typer.echo(f"gongzhi: GraphQL at http://{settings.host}:{settings.port}/graphql", err=True)
    app = create_app(settings, database_url=url)
    # Everything built so far (schema, suites, imported libraries: some 190,000 objects)
    # lives as long as the process; left to the cycle collector, each full collection
    # walks all of it again, a pause of 0.1-0.3 s under load.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
    )


def _load_demo(url: str, scale: float, settings: Settings) -> None:
    import asyncio
    import datetime as dt

    from db.seed.demo import DEFAULT_SEED, DemoPresent, seed_demo
    from gongzhi.auth import Claims, issue

    try:
        typer.echo(f"gongzhi: loading the demo county (scale {scale:g})...", err=True)
        summary = asyncio.run(seed_demo(url, scale=scale, seed=DEFAULT_SEED, replace=False))
        typer.echo(f"gongzhi: demo data stored in {summary.elapsed:.0f} s", err=True)
    except DemoPresent:
        typer.echo("gongzhi: demo data already stored", err=True)
    token = issue(
        settings.signing_key(), Claims(subject="demo", role="admin"), dt.timedelta(hours=8)
    )
    typer.echo(
        "gongzhi: an admin token for 8 hours; in GraphiQL's Headers tab put\n"
        f'  {{"Authorization": "Bearer {token}"}}',
        err=True,
    )
