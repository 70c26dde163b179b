"""Pooled connections keep the settings of the last principal they served (db.session
Session.reading): one connection passed from principal to principal must answer each
with exactly their own rows, transactions must not change whose settings a connection
holds, and a statement cut short must not leave a connection answering for the wrong
principal. Also: the fast HTTP answer for compiled queries is the same response as
Strawberry's view gives, and a verified token kept by the server still expires."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from db.connect import create_pool
from db.session import Principal, Session
from gongzhi.auth import Claims, issue
from tests.conftest import TEST_SECRET, bearer
from tests.test_access import COMMUNITY, GRID, OFFICER, SEE, names
from tests.test_reads import community  # noqa: F401  (fixture)

EXPECTED = {
    "grid": (GRID, ["李秀英", "王小明", "王建国"]),
    "community": (COMMUNITY, ["刘芳", "陈刚"]),
    "officer": (OFFICER, ["张桂兰", "李秀英", "王小明", "王建国"]),
}


@pytest.fixture
async def one_connection_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a pool of a single connection: every request reuses it."""
    from asgi_lifespan import LifespanManager

    from gongzhi.app import create_app
    from gongzhi.settings import Settings

    settings = Settings(
        database_url=database_url, pool_min_size=1, pool_max_size=1, jwt_secret=TEST_SECRET
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_one_connection_answers_each_principal_with_their_rows(
    one_connection_client: httpx.AsyncClient,
    community: dict,  # noqa: F811
) -> None:
    resident = bearer("resident", "王建国", household=community["households"][0])
    order = ["grid", "community", "grid", "officer", "officer", "community", "grid"]
    for step, who in enumerate(order):
        headers, expected = EXPECTED[who]
        forced = {"x-gongzhi-execution": "resolver"} if step % 2 else {}
        response = await one_connection_client.post(
            "/graphql", json={"query": SEE}, headers={**headers, **forced}
        )
        assert response.headers["x-gongzhi-execution"] == ("resolver" if forced else "compiled")
        body = response.json()
        assert names(body) == expected, (step, who)
        assert body["data"]["residentStats"]["count"] == len(expected)
        # a resident in between: one household, whatever the connection served before
        mine = await one_connection_client.post("/graphql", json={"query": SEE}, headers=resident)
        assert names(mine.json()) == ["李秀英", "王小明", "王建国"]
        assert mine.json()["data"]["households"]["totalCount"] == 1


@pytest.fixture
async def single(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, min_size=1, max_size=1, app_role=True)
    try:
        yield pool
    finally:
        await pool.close()


A = Principal("a", "community_worker", scope="1.2")
B = Principal("b", "officer", scope="1.3")
C = Principal("c", "resident", household=7)

WHO = "SELECT current_setting('gongzhi.subject') || '/' || current_setting('gongzhi.scope')"


class Sent:
    """The statements a connection is sent, as PostgreSQL receives them."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def __call__(self, record: Any) -> None:
        self.queries.append(record.query)


async def test_reads_hand_the_connection_over_only_when_the_principal_changes(
    single: asyncpg.Pool,
) -> None:
    sent = Sent()
    async with single.acquire() as conn:
        conn.add_query_logger(sent)
    try:
        assert await Session(single, A).fetchval(WHO) == "a/1.2"
        assert await Session(single, A).fetchval(WHO) == "a/1.2"
        assert await Session(single, B).fetchval(WHO) == "b/1.3"
        assert await Session(single, A).fetchval(WHO) == "a/1.2"
    finally:
        async with single.acquire() as conn:
            conn.remove_query_logger(sent)
    handovers = [q for q in sent.queries if "set_config" in q]
    # A, B, A again: the second read as A found A's settings in place
    assert len(handovers) == 3, sent.queries
    assert len(sent.queries) == 7


async def test_a_transaction_does_not_change_whose_settings_stay(single: asyncpg.Pool) -> None:
    assert await Session(single, A).fetchval(WHO) == "a/1.2"
    async with Session(single, B).transaction(read_only=True) as conn:
        assert await conn.fetchval(WHO) == "b/1.3"
    # the transaction's settings ended with it; the session's are still A's
    async with single.acquire() as conn:
        assert await conn.fetchval(WHO) == "a/1.2"
    with pytest.raises(asyncpg.DivisionByZeroError):
        async with Session(single, C).transaction() as conn:
            assert await conn.fetchval("SELECT current_setting('gongzhi.household')") == "7"
            await conn.fetchval("SELECT 1 / 0")
    assert await Session(single, A).fetchval(WHO) == "a/1.2"
    assert await Session(single, C).fetchval("SELECT current_setting('gongzhi.household')") == "7"
    # a resident's read leaves no scope behind for the next principal, nor B a household
    assert (
        await Session(single, B).fetchval(
            "SELECT current_setting('gongzhi.household') || '|' || current_setting('gongzhi.scope')"
        )
        == "|1.3"
    )


async def test_a_read_cut_short_leaves_no_wrong_principal(single: asyncpg.Pool) -> None:
    assert await Session(single, A).fetchval(WHO) == "a/1.2"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(Session(single, B).fetchval("SELECT pg_sleep(30)"), 0.5)
    assert await Session(single, A).fetchval(WHO) == "a/1.2"
    with pytest.raises(asyncpg.DivisionByZeroError):
        await Session(single, B).fetchval("SELECT 1 / 0")
    assert await Session(single, B).fetchval(WHO) == "b/1.3"
    assert await Session(single, A).fetchval(WHO) == "a/1.2"


QUERY = "query($code: String!) { area(code: $code) { code name residents { totalCount } } }"


async def test_the_fast_answer_is_the_view_answer(client: httpx.AsyncClient, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """POSTed JSON is answered before Strawberry's view; GET still goes through the view
    (and its compiled execution). The two responses must be the same bytes."""
    variables = {"code": "510129101201-01"}
    for accept in ("application/json", "application/graphql-response+json"):
        posted = await client.post(
            "/graphql", json={"query": QUERY, "variables": variables}, headers={"accept": accept}
        )
        got = await client.get(
            "/graphql",
            params={"query": QUERY, "variables": '{"code": "510129101201-01"}'},
            headers={"accept": accept},
        )
        assert posted.status_code == got.status_code == 200
        assert posted.content == got.content
        assert posted.json()["data"]["area"]["residents"]["totalCount"] == 3
        for header in ("content-type", "vary", "x-gongzhi-execution", "content-length"):
            assert posted.headers[header] == got.headers[header], header
        assert posted.headers["x-gongzhi-execution"] == "compiled"


@pytest.mark.parametrize(
    "payload",
    [
        [{"query": QUERY, "variables": {"code": "510129"}}],  # a batch
        {"query": QUERY, "variables": "not an object"},
        {"query": QUERY, "variables": {"code": 5}},
        {"query": QUERY, "variables": {"code": "510129"}, "extensions": {"x": 1}},
        {"query": "{ area(code: 5) { code } }"},
    ],
    ids=["batch", "variables-not-object", "variable-wrong-type", "extensions", "invalid"],
)
async def test_what_the_fast_answer_leaves_to_the_view_is_answered_as_before(
    client: httpx.AsyncClient,
    community: dict,  # noqa: F811
    payload: Any,
) -> None:
    response = await client.post("/graphql", json=payload)
    if isinstance(payload, dict) and "extensions" in payload:
        assert response.status_code == 200
        assert response.json()["data"]["area"]["code"] == "510129"
        assert response.headers["x-gongzhi-execution"] == "compiled"
    else:
        body = response.json()
        assert body.get("errors"), body
        assert "x-gongzhi-execution" not in response.headers or (
            response.headers["x-gongzhi-execution"] == "resolver"
        )


async def test_a_kept_token_still_expires(anonymous_client: httpx.AsyncClient) -> None:
    short = issue(TEST_SECRET, Claims("brief", "admin"), dt.timedelta(seconds=3))
    headers = {"Authorization": f"Bearer {short}"}
    query = {"query": '{ area(code: "510129") { code } }'}
    first = await anonymous_client.post("/graphql", json=query, headers=headers)
    assert first.status_code == 200 and "errors" not in first.json()
    again = await anonymous_client.post("/graphql", json=query, headers=headers)
    assert again.status_code == 200  # now answered from the verified-token cache
    # exp is whole seconds: past it for sure one second after the latest it can be
    await asyncio.sleep(int(time.time()) + 4 - time.time())
    late = await anonymous_client.post("/graphql", json=query, headers=headers)
    assert late.status_code == 401
    assert late.json()["errors"][0]["message"] == "the token has expired"
