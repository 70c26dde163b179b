"""``gongzhi sdl``: print or write the schema's SDL (committed as schema/schema.graphql)."""

from __future__ import annotations

from pathlib import Path

import typer

SDL_FILE = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def register(app: typer.Typer) -> None:
    app.command("sdl")(sdl)


def current_sdl() -> str:
    from schema import build_schema

    return build_schema().as_str() + "\n"


def sdl(
    write: bool = typer.Option(
        False, "--write", help=f"Write it to {SDL_FILE.name} instead of printing it."
    ),
    check: bool = typer.Option(
        False, "--check", help="Exit 1 if the committed SDL differs from the code's."
    ),
) -> None:
    """Print the GraphQL schema (SDL, with federation directives)."""
    text = current_sdl()
    if check:
        if not SDL_FILE.exists() or SDL_FILE.read_text(encoding="utf-8") != text:
            typer.echo(f"{SDL_FILE} is out of date: run `gongzhi sdl --write`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{SDL_FILE.name} is up to date")
    elif write:
        SDL_FILE.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {SDL_FILE}")
    else:
        typer.echo(text, nl=False)
