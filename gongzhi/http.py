"""GraphQL over HTTP: Strawberry's ASGI view with the per-request context, made to follow the
GraphQL-over-HTTP specification's media types and status codes.

Strawberry answers every request with ``application/json`` and status 200. The spec adds
``application/graphql-response+json``, whose status code says whether the operation ran:

* the response media type is negotiated from ``Accept`` (:func:`negotiate`):
  ``application/graphql-response+json`` when the client asks for it, ``application/json``
  for ``application/json``, ``*/*``, ``application/*`` or no ``Accept`` at all (legacy
  clients), and 406 when the client accepts neither;
* ``application/graphql-response+json``: a request that fails before execution (parse,
  validation, variable coercion, unknown operation) gets 400 and a body without ``data``;
  500 instead when the failure was ours (``extensions.code`` INTERNAL_SERVER_ERROR); an
  operation that ran gets 200, even when ``data`` is null;
* ``application/json``: 200 for every well-formed request, Strawberry's behaviour;
* malformed HTTP requests (body not JSON, bad parameter shapes, no query) get 400, a GET that
  would run a mutation 405, both with a GraphQL-shaped JSON body instead of plain text;
* GET without a query from a browser still renders GraphiQL (``text/html``).

Everything is done through Strawberry's view hooks (``run``, ``render_graphql_ide``,
``get_sub_response``, ``process_result``, ``create_response``); nothing of its request
handling is copied. docs/federation.md states the rules for clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from starlette import status
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET

from db.session import Principal, Session
from gongzhi.auth import AuthError
from gongzhi.principals import Authenticator
from gongzhi.settings import Settings
from resolvers.compiled import CompiledReads, ReadFailed
from resolvers.context import Context

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

# Response media types we can produce, what each Accept range selects, and how specific the
# range is (an exact type outranks application/*, which outranks */*, at equal q).
_RANGES: dict[str, tuple[str, int]] = {
    GRAPHQL_RESPONSE_JSON: (GRAPHQL_RESPONSE_JSON, 2),
    JSON: (JSON, 2),
    "application/*": (JSON, 1),
    "*/*": (JSON, 0),
}
# At equal q and specificity, the spec's own media type wins over the legacy one.
_PREFERENCE = {GRAPHQL_RESPONSE_JSON: 1, JSON: 0}

PRINCIPAL_KEY = "gongzhi.principal"

_HTTP_ERROR_CODES = {
    status.HTTP_400_BAD_REQUEST: "BAD_REQUEST",
    status.HTTP_401_UNAUTHORIZED: "UNAUTHENTICATED",
    status.HTTP_404_NOT_FOUND: "NOT_FOUND",
    status.HTTP_405_METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
    status.HTTP_406_NOT_ACCEPTABLE: "NOT_ACCEPTABLE",
}


def negotiate(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header; None when we can offer none.

    No header (or an empty one) means ``application/json``, as the spec asks of servers
    while legacy clients remain.
    """
    if accept is None or not accept.strip():
        return JSON
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for item in accept.split(","):
        media_range, *params = (part.strip() for part in item.split(";"))
        target = _RANGES.get(media_range.lower())
        if target is None:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        media_type, specificity = target
        rank = (q, specificity, _PREFERENCE[media_type])
        if best is None or rank > best:
            best, chosen = rank, media_type
    return chosen


def _vary_on_accept(response: Response) -> None:
    vary = [v.strip() for v in response.headers.get("vary", "").split(",") if v.strip()]
    if not any(v.lower() == "accept" for v in vary):
        response.headers["Vary"] = ", ".join([*vary, "Accept"])


def executed(result: ExecutionResult) -> bool:
    """Whether the operation reached execution (so the response carries ``data``).

    Parse and validation failures come back as Strawberry's PreExecutionError. Variable
    coercion and operation selection fail inside graphql-core's ``execute`` before any
    resolver runs, and come back as ``data: null`` with errors that have no path; an error
    raised by a resolver always has one.
    """
    if isinstance(result, PreExecutionError):
        return False
    if result.data is not None or not result.errors:
        return True
    return any(error.path is not None for error in result.errors)


def _request_error_status(response_data: GraphQLHTTPResponse) -> int:
    for error in response_data.get("errors") or ():
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if isinstance(extensions, dict) and extensions.get("code") == "INTERNAL_SERVER_ERROR":
            return status.HTTP_500_INTERNAL_SERVER_ERROR
    return status.HTTP_400_BAD_REQUEST


EXECUTION_HEADER = "x-gongzhi-execution"


class RawJSON(str):
    """JSON text made by PostgreSQL, sent as it is (see GraphQLEndpoint.encode_json)."""


class GraphQLEndpoint(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, *, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None)
        self.settings = settings
        self.authenticator = Authenticator(settings)
        self.compiled = (
            CompiledReads(
                schema._schema,
                max_depth=settings.max_query_depth,
                max_aliases=settings.max_aliases,
                max_tokens=settings.max_tokens,
                max_page_size=settings.max_page_size,
            )
            if settings.compiled_reads
            else None
        )

    async def execute_single(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Answer from one compiled SQL statement when the query allows it.

        ``x-gongzhi-execution: resolver`` on the request forces Strawberry's execution (to
        compare the paths); the response's header of that name says which path answered.
        """
        if (
            self.compiled is not None
            and context.principal is not None
            and request_data.query
            and request.headers.get(EXECUTION_HEADER) != "resolver"
            and not getattr(request.state, "compiled_failed", False)
        ):
            try:
                data = await self.compiled.execute(
                    context.db,
                    request_data.query,
                    request_data.variables,
                    request_data.operation_name,
                )
            except ReadFailed:
                data = None
            if data is not None:
                sub_response.headers[EXECUTION_HEADER] = "compiled"
                return ExecutionResult(data=RawJSON(data), errors=None)  # type: ignore[arg-type]
        sub_response.headers[EXECUTION_HEADER] = "resolver"
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

    def encode_json(self, data: object) -> bytes:
        if isinstance(data, dict) and isinstance(data.get("data"), RawJSON):
            rest = {k: v for k, v in data.items() if k != "data"}
            tail = b"," + orjson.dumps(rest)[1:] if rest else b"}"
            return b'{"data":' + data["data"].encode() + tail
        return orjson.dumps(data)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        return Context(
            pool=request.state.pool,
            principal=request.scope.get(PRINCIPAL_KEY),
            max_page_size=self.settings.max_page_size,
            request=request,
            response=response,
            notifications=getattr(request.state, "notifications", None),
            database_url=getattr(request.state, "database_url", None),
        )

    async def on_ws_connect(self, context: Context) -> None:  # type: ignore[override]
        """Authenticate a graphql-transport-ws connection once, at ``connection_init``.

        Browsers cannot set headers on a WebSocket, so the token travels in the init
        payload (``{"Authorization": "Bearer <token>"}``); the handshake's own
        Authorization header is honoured too. A refused token does not close the
        socket: every operation on it then fails with UNAUTHENTICATED and the reason,
        which a client can show, where a bare close code says nothing.
        """
        params = context.connection_params or {}
        authorization = params.get("Authorization") or params.get("authorization")
        if not isinstance(authorization, str):
            authorization = context.request.headers.get("authorization")
        try:
            context.principal = await self.authenticator.principal(authorization, context.pool)
        except AuthError as e:
            context.principal = None
            context.auth_error = str(e)

    async def get_root_value(self, request: Any) -> None:
        return None

    async def run(  # type: ignore[override]
        self,
        request: Request | WebSocket,
        context: Any = UNSET,
        root_value: Any = UNSET,
    ) -> Response | WebSocket:
        if self.is_websocket_request(request):
            return await super().run(request, context, root_value)
        if self.should_render_graphql_ide(request):
            # GraphiQL (or its 404 when disabled) is for a browser, which lists no JSON type
            media_type: str | None = JSON
        else:
            media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            return self.error_response(
                status.HTTP_406_NOT_ACCEPTABLE,
                f"Cannot answer in any type the Accept header allows; use {GRAPHQL_RESPONSE_JSON}"
                f" or {JSON}.",
                JSON,
            )
        try:
            request.scope[PRINCIPAL_KEY] = await self.authenticator.principal(
                request.headers.get("authorization"), request.state.pool
            )
        except AuthError as e:
            return self.error_response(
                status.HTTP_401_UNAUTHORIZED,
                str(e),
                media_type,
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        principal = request.scope[PRINCIPAL_KEY]
        if request.method == "POST" and principal is not None and self.compiled is not None:
            answered = await self.answer_compiled(request, principal, media_type)
            if answered is not None:
                return answered
        try:
            return await super().run(request, context, root_value)
        except HTTPException as e:
            if request.method == "GET" and isinstance(e.__cause__, InvalidOperationTypeError):
                # the spec: a GET that would run a mutation is 405, naming the method to use
                return self.error_response(
                    status.HTTP_405_METHOD_NOT_ALLOWED, e.reason, media_type, {"Allow": "POST"}
                )
            return self.error_response(e.status_code, e.reason, media_type)

    async def answer_compiled(
        self, request: Request, principal: Principal, media_type: str
    ) -> Response | None:
        """The response to a plain JSON POST the compiler can answer, made without
        Strawberry's request handling; None leaves the request to it.

        The compiled path's own work for a small lookup is well under a millisecond;
        Strawberry's view around it (body parsing into its request types, context, result
        processing, response building) cost about as much again. Anything out of the
        ordinary (another content type, a batch, extensions, shapes Strawberry would
        refuse, the resolver path asked for, a query that does not compile) goes the
        usual way, which gives the same answer for what is answered here.
        """
        if request.headers.get(EXECUTION_HEADER) == "resolver":
            return None
        content_type = request.headers.get("content-type", "")
        if content_type.partition(";")[0].strip().lower() != JSON:
            return None
        try:
            data = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict) or data.get("extensions") is not None:
            return None
        query, variables = data.get("query"), data.get("variables")
        operation_name = data.get("operationName")
        if (
            not isinstance(query, str)
            or not isinstance(variables, dict | None)
            or not isinstance(operation_name, str | None)
        ):
            return None
        assert self.compiled is not None
        try:
            text = await self.compiled.execute(
                Session(request.state.pool, principal), query, variables, operation_name
            )
        except ReadFailed:
            request.state.compiled_failed = True  # once is enough: not again in the view
            return None
        if text is None:
            return None
        response = Response(
            b'{"data":' + text.encode() + b"}",
            media_type=f"{media_type}; charset=utf-8",
            headers={EXECUTION_HEADER: "compiled"},
        )
        _vary_on_accept(response)
        return response

    def error_response(
        self,
        status_code: int,
        message: str,
        media_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """A request that never became a GraphQL operation, as a GraphQL-shaped error."""
        code = _HTTP_ERROR_CODES.get(status_code, "BAD_REQUEST")
        body = {"errors": [{"message": message, "extensions": {"code": code}}]}
        response = Response(
            self.encode_json(body),
            status_code=status_code,
            media_type=f"{media_type}; charset=utf-8",
            headers=dict(headers or {}),
        )
        _vary_on_accept(response)
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        response = await super().render_graphql_ide(request)
        _vary_on_accept(response)  # the same URL answers JSON to other Accepts
        return response

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # remembered for create_response, which is not given the request
        sub_response.media_type = negotiate(request.headers.get("accept")) or JSON
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response_data = await super().process_result(request, result)
        media_type = negotiate(request.headers.get("accept"))
        if media_type == GRAPHQL_RESPONSE_JSON and not executed(result):
            # "data" present means "execution started"; for application/json Strawberry's
            # data: null stays, as legacy clients may read it
            response_data.pop("data", None)
        return response_data

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = sub_response.media_type or JSON
        response.headers["Content-Type"] = f"{media_type}; charset=utf-8"
        _vary_on_accept(response)
        if (
            media_type == GRAPHQL_RESPONSE_JSON
            and not sub_response.status_code
            and isinstance(response_data, dict)
            and "data" not in response_data
        ):
            response.status_code = _request_error_status(response_data)
        return response
