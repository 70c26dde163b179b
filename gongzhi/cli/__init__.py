"""The ``gongzhi`` command line: one Typer app, one module per command group."""

from __future__ import annotations

import logging

import typer

from gongzhi.cli import areas, audit, database, reports, sdl, seed, serve, token

app = typer.Typer(
    name="gongzhi",
    help="gongzhi (共治): community governance data as one GraphQL graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for module in (serve, database, areas, seed, token, sdl, reports, audit):
    module.register(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
