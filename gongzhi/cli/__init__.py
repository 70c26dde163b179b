"""The ``gongzhi`` command line: one Typer app, one module per command group."""

from __future__ import annotations

import logging

import typer

from gongzhi.cli import database, serve

app = typer.Typer(
    name="gongzhi",
    help="gongzhi (共治): community governance data as one GraphQL graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
serve.register(app)
database.register(app)


def _register_optional() -> None:
    # Command groups added by later modules register themselves here so this file stays
    # the single list of what the CLI offers.
    from gongzhi.cli import areas, seed

    areas.register(app)
    seed.register(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _register_optional()
    app()
