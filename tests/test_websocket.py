"""GraphQL over WebSocket (graphql-transport-ws) against real server processes: how a
socket authenticates, and that operations on it run as the token's principal."""

from __future__ import annotations

import datetime as dt

import httpx

from gongzhi.auth import Claims, issue
from tests.conftest import TEST_SECRET, bearer, token
from tests.two_processes import Pair
from tests.ws import connect

AREA_QUERY = "{ area(code: $code) { name } }".replace("$code", '"510129101201"')
HOUSEHOLDS = "{ households(first: 10) { totalCount } }"


async def _one_result(http_url: str, authorization: str | None, query: str) -> dict:
    async with connect(http_url, authorization) as ws:
        await ws.subscribe("q", query)
        message = await ws.receive()
        if message["type"] == "next":
            assert (await ws.receive())["type"] == "complete"
        return message


async def test_a_token_in_connection_init_authenticates_the_socket(pair: Pair) -> None:
    message = await _one_result(pair.first.url, f"Bearer {token('admin')}", AREA_QUERY)
    assert message["type"] == "next"
    assert message["payload"] == {"data": {"area": {"name": "大坪村"}}}


async def test_operations_on_a_socket_are_scoped_to_its_principal(pair: Pair) -> None:
    admin = await _one_result(pair.first.url, f"Bearer {token('admin')}", HOUSEHOLDS)
    village = await _one_result(
        pair.first.url,
        f"Bearer {token('community_worker', area='510129101201')}",
        HOUSEHOLDS,
    )
    assert admin["payload"]["data"]["households"]["totalCount"] == 2
    assert village["payload"]["data"]["households"]["totalCount"] == 1


async def test_without_a_token_operations_fail_with_unauthenticated(pair: Pair) -> None:
    message = await _one_result(pair.first.url, None, AREA_QUERY)
    assert message["type"] == "next"
    errors = message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "bearer token" in errors[0]["message"]


async def test_a_bad_token_says_why_on_every_operation(pair: Pair) -> None:
    expired = issue(TEST_SECRET, Claims(subject="tester", role="admin"), dt.timedelta(seconds=-60))
    message = await _one_result(pair.second.url, f"Bearer {expired}", AREA_QUERY)
    errors = message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "expired" in errors[0]["message"]


async def test_each_operation_on_a_socket_reads_fresh_rows(pair: Pair) -> None:
    """Operations share the socket's context; rows cached by one must not answer the
    next after somebody else changed them."""
    read = '{ area(code: "510129101201") { households(first: 1) { nodes { id room } } } }'
    async with connect(pair.first.url, f"Bearer {token('admin')}") as ws:
        await ws.subscribe("1", read)
        before = (await ws.receive())["payload"]["data"]["area"]["households"]["nodes"][0]
        assert (await ws.receive())["type"] == "complete"
        update = """mutation($id: ID!) { updateHousehold(input: {id: $id, room: "9"}) {
            __typename } }"""
        async with httpx.AsyncClient(headers=bearer("admin")) as http:
            response = await http.post(
                pair.second.url, json={"query": update, "variables": {"id": before["id"]}}
            )
        assert response.json()["data"]["updateHousehold"]["__typename"] == "HouseholdPayload"
        await ws.subscribe("2", read)
        after = (await ws.receive())["payload"]["data"]["area"]["households"]["nodes"][0]
    assert (before["room"], after["room"]) == ("3", "9")
