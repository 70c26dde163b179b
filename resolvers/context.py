"""Per-request context: who is asking, their database session, the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from db.notify import Notifications
from db.session import Principal, Session
from resolvers.loaders import Loaders


def unauthenticated(reason: str | None = None) -> GraphQLError:
    return GraphQLError(
        reason or "authentication required: send a bearer token (Authorization: Bearer <token>)",
        extensions={"code": "UNAUTHENTICATED"},
    )


@dataclass
class Context:
    pool: asyncpg.Pool
    principal: Principal | None
    max_page_size: int = 500
    request: Any = None
    response: Any = None
    notifications: Notifications | None = None
    # graphql-transport-ws: the connection_init payload (where the token is)
    connection_params: dict[str, Any] | None = None
    # why a WebSocket's token was refused; its operations fail with this message
    auth_error: str | None = None
    database_url: str | None = None  # what the audit's workers connect to (runAudit)
    _loaders: Loaders | None = field(default=None, init=False)

    @property
    def db(self) -> Session:
        """The principal's session; reading data without one is refused, so only
        introspection and the federation SDL are open to anonymous callers."""
        if self.principal is None:
            raise unauthenticated(self.auth_error)
        return Session(self.pool, self.principal)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.db)
        return self._loaders

    def reset_loaders(self) -> None:
        """Forget loaded rows (after a write in the same request)."""
        self._loaders = None


class FreshLoaders(SchemaExtension):
    """Each operation starts with empty DataLoaders.

    Over HTTP a context serves one operation; a WebSocket's context serves every
    operation sent on that socket, and rows cached by one must not answer the next
    (a query after a mutation would read what was there before it).
    """

    def on_operation(self):  # type: ignore[no-untyped-def]
        context = self.execution_context.context
        if isinstance(context, Context):
            context.reset_loaders()
        yield
