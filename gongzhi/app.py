"""The Starlette application: GraphQL at /graphql (HTTP and WebSocket), health at /health."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from db.connect import create_pool
from db.notify import Notifications
from gongzhi.audit_docs import audit_docs
from gongzhi.http import GraphQLEndpoint
from gongzhi.settings import Settings, get_settings
from schema import build_schema
from validation import audit
from validation.reports_intake import get_intake

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, database_url: str | None = None) -> Starlette:
    settings = settings or get_settings()
    url = database_url or settings.database_url
    if not url:
        raise ValueError(
            "create_app needs a database URL (gongzhi serve resolves the embedded one)"
        )

    schema = build_schema(settings)
    graphql = GraphQLEndpoint(schema, settings=settings)
    # The report suite is loaded and checked now: a broken suite file stops the start.
    intake = get_intake()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict]:
        pool = await create_pool(
            url,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            app_role=True,
            statement_timeout=settings.statement_timeout,
        )
        # Great Expectations workers start in the background (importing it takes
        # seconds); a suite it would cut short is logged here and refuses submissions.
        warm = asyncio.create_task(intake.ready())
        warm.add_done_callback(_log_failure)
        warm_audit = (
            asyncio.create_task(_warm_audit_workers(warm)) if settings.audit_warm_start else None
        )
        # connects on the first subscription, so a process nobody subscribes to holds
        # no listening connection
        notifications = Notifications(url)
        try:
            yield {
                "pool": pool,
                "settings": settings,
                "notifications": notifications,
                "database_url": url,  # the audit's workers connect to it (runAudit)
            }
        finally:
            await notifications.close()
            for task in (warm_audit, warm):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await pool.close()

    async def health(request: Request) -> JSONResponse:
        async with request.state.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/audit/runs/{run_id}/docs/{page:path}", audit_docs, methods=["GET"]),
            # subscriptions (graphql-transport-ws) on the same path, as clients expect
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )


async def _warm_audit_workers(intake_ready: asyncio.Task[None]) -> None:
    """Start the audit's workers after the intake's: each forkserver imports Great
    Expectations (seconds of CPU), and report submissions come first. A failure is logged;
    the first runAudit then tries again and reports it."""
    with contextlib.suppress(Exception):
        await asyncio.shield(intake_ready)
    try:
        await audit.get_pool().ready()
    except Exception as exc:  # logged: the service runs without them
        log.error("audit workers did not start: %s", exc)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("report intake workers did not start: %s", task.exception())
