"""The service starts the audit's workers with itself (GONGZHI_AUDIT_WARM_START), without
holding up its start or its requests."""

from __future__ import annotations

import asyncio
import time

import httpx
from asgi_lifespan import LifespanManager

from gongzhi.app import create_app
from gongzhi.settings import Settings
from tests.conftest import TEST_SECRET, bearer
from validation import audit


async def test_service_start_warms_the_audit_workers(database_url: str) -> None:
    pool = audit.get_pool()
    pool.close()  # an earlier test in this process may have started them
    assert not pool.started
    settings = Settings(database_url=database_url, jwt_secret=TEST_SECRET, audit_warm_start=True)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            # served at once, while the workers start in a thread
            answer = await c.post(
                "/graphql", json={"query": "{ areas { totalCount } }"}, headers=bearer()
            )
            assert answer.status_code == 200 and "errors" not in answer.json()
            deadline = time.monotonic() + 120
            # the workers start in a thread that signals nothing to this loop: polled
            while not pool.started and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
    assert pool.started
