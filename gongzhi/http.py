"""GraphQL over HTTP: Strawberry's ASGI view with the per-request context."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema import BaseSchema

from gongzhi.settings import Settings
from resolvers.context import Context


class GraphQLEndpoint(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, *, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None)
        self.settings = settings

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        return Context(
            pool=request.state.pool,
            max_page_size=self.settings.max_page_size,
            request=request,
            response=response,
        )

    async def get_root_value(self, request: Any) -> None:
        return None
