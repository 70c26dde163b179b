"""From an Authorization header to the principal the database enforces."""

from __future__ import annotations

import asyncpg

from db.session import Principal, area_path
from gongzhi.auth import AuthError, Claims, verify
from gongzhi.settings import Settings

ANONYMOUS = Principal(subject="anonymous", role="anonymous")


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._secret: str | None = None
        # area paths never change once an area exists, so codes resolve once per process
        self._paths: dict[str, str] = {}

    @property
    def secret(self) -> str:
        if self._secret is None:
            self._secret = self.settings.signing_key()
        return self._secret

    async def principal(self, authorization: str | None, pool: asyncpg.Pool) -> Principal | None:
        """The request's principal; None without a token when anonymous access is off.

        Raises AuthError for a token that is present but unusable (malformed, forged,
        expired, naming an unknown area): that request is refused whole.
        """
        if not authorization:
            return ANONYMOUS if self.settings.allow_anonymous else None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("use the Bearer scheme: Authorization: Bearer <token>")
        claims = verify(self.secret, token.strip())
        return Principal(
            subject=claims.subject,
            role=claims.role,
            scope=await self._scope(claims, pool),
            household=claims.household if claims.role == "resident" else None,
            department=claims.department if claims.role == "department_officer" else None,
        )

    async def _scope(self, claims: Claims, pool: asyncpg.Pool) -> str | None:
        if not claims.area:
            return None
        path = self._paths.get(claims.area)
        if path is None:
            path = await area_path(pool, claims.area)
            if path is None:
                raise AuthError(f"the token names area {claims.area}, which does not exist")
            self._paths[claims.area] = path
        return path
