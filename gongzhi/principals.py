"""From an Authorization header to the principal the database enforces."""

from __future__ import annotations

import time
from collections import OrderedDict

import asyncpg

from db.session import Principal, area_path
from gongzhi.auth import AuthError, Claims, verify
from gongzhi.settings import Settings

ANONYMOUS = Principal(subject="anonymous", role="anonymous")

# Verified tokens kept, so a client sending the same token on every request pays the
# signature check once (about a tenth of a small compiled read) until the token expires.
VERIFIED_TOKENS = 10_000


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._secret: str | None = None
        # area paths never change once an area exists, so codes resolve once per process
        self._paths: dict[str, str] = {}
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

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
        token = token.strip()
        known = self._verified.get(token)
        if known is not None:
            principal, expires = known
            if time.time() < expires:  # PyJWT's own rule: valid while now < exp
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        claims = verify(self.secret, token)
        principal = Principal(
            subject=claims.subject,
            role=claims.role,
            scope=await self._scope(claims, pool),
            household=claims.household if claims.role == "resident" else None,
            department=claims.department if claims.role == "department_officer" else None,
        )
        if claims.expires is not None:
            self._verified[token] = (principal, claims.expires.timestamp())
            if len(self._verified) > VERIFIED_TOKENS:
                self._verified.popitem(last=False)
        return principal

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
