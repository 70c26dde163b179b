"""Bearer tokens (JWT, HS256): who is asking, in which role, for which area.

Claims: ``sub`` (the person or system), ``role`` (see db.session.ROLES), ``area`` (an
area code: a grid worker's compound or building, a community worker's village, an
officer's town or district), ``household`` (a resident's household id), ``iat``, ``exp``,
``iss`` and ``aud`` ("gongzhi").
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

import jwt

ISSUER = "gongzhi"
AUDIENCE = "gongzhi"
ALGORITHM = "HS256"

# Which roles need which claims.
AREA_ROLES = ("grid_worker", "community_worker", "officer")
TOKEN_ROLES = (
    "resident",
    "grid_worker",
    "community_worker",
    "officer",
    "department_officer",
    "auditor",
    "admin",
)


class AuthError(Exception):
    """A token that cannot be used; the message says why, for the client."""


@dataclass(frozen=True)
class Claims:
    subject: str
    role: str
    area: str | None = None
    household: int | None = None
    department: str | None = None
    # when the token stops being valid (read from a verified token; issue takes a ttl)
    expires: dt.datetime | None = None


def check_claims(claims: Claims) -> None:
    if claims.role not in TOKEN_ROLES:
        raise AuthError(f"unknown role {claims.role!r}; roles: {', '.join(TOKEN_ROLES)}")
    if not claims.subject:
        raise AuthError("a token names its subject")
    if claims.role in AREA_ROLES and not claims.area:
        raise AuthError(f"a {claims.role} token names an area")
    if claims.role == "resident" and claims.household is None:
        raise AuthError("a resident token names the resident's household")
    if claims.role == "department_officer" and not claims.department:
        raise AuthError("a department_officer token names a department")


def issue(secret: str, claims: Claims, ttl: dt.timedelta) -> str:
    check_claims(claims)
    now = dt.datetime.now(dt.UTC)
    payload: dict[str, object] = {
        "sub": claims.subject,
        "role": claims.role,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl,
    }
    for key, value in (
        ("area", claims.area),
        ("household", claims.household),
        ("department", claims.department),
    ):
        if value is not None:
            payload[key] = value
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str) -> Claims:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("the token has expired") from None
    except jwt.InvalidSignatureError:
        raise AuthError("the token's signature is not valid") from None
    except jwt.PyJWTError as exc:
        raise AuthError(f"the token is not valid: {exc}") from None
    household = payload.get("household")
    claims = Claims(
        subject=str(payload["sub"]),
        role=str(payload.get("role", "")),
        area=payload.get("area"),
        household=int(household) if household is not None else None,
        department=payload.get("department"),
        expires=dt.datetime.fromtimestamp(int(payload["exp"]), dt.UTC),
    )
    check_claims(claims)
    return claims


def load_secret(configured: str | None, secret_file: Path) -> str:
    """The configured signing key, or one kept in ``secret_file`` (made on first use, 0600),
    so that `gongzhi serve` and `gongzhi token issue` agree on one machine unconfigured."""
    if configured:
        return configured
    if secret_file.exists():
        return secret_file.read_text(encoding="utf-8").strip()
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    secret_file.touch(mode=0o600)
    secret_file.write_text(key, encoding="utf-8")
    return key
