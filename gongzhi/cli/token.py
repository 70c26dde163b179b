"""``gongzhi token issue``: bearer tokens for operators, scripts and tests."""

from __future__ import annotations

import datetime as dt

import typer

from gongzhi.auth import TOKEN_ROLES, AuthError, Claims, issue
from gongzhi.settings import get_settings

token_app = typer.Typer(help="Bearer tokens (JWT) for the GraphQL API.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")


@token_app.command("issue")
def issue_token(
    role: str = typer.Option(..., help=f"One of: {', '.join(TOKEN_ROLES)}."),
    subject: str = typer.Option(..., help="Who the token is for (a user name or system)."),
    area: str | None = typer.Option(
        None,
        help="Area code of the scope: a grid worker's compound or building, a community "
        "worker's village, an officer's town or district.",
    ),
    household: int | None = typer.Option(None, help="A resident's household id."),
    department: str | None = typer.Option(None, help="A department officer's department."),
    ttl: float | None = typer.Option(
        None, help="Lifetime in hours (default $GONGZHI_TOKEN_TTL_HOURS or 8)."
    ),
) -> None:
    """Print a signed token (key: $GONGZHI_JWT_SECRET, else the per-user key file)."""
    settings = get_settings()
    hours = ttl if ttl is not None else settings.token_ttl_hours
    claims = Claims(
        subject=subject, role=role, area=area, household=household, department=department
    )
    try:
        token = issue(settings.signing_key(), claims, dt.timedelta(hours=hours))
    except AuthError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(token)
