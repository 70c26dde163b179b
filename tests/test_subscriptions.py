"""Petition subscriptions across processes: a subscriber connected to one gongzhi process
receives the events written through another (PostgreSQL LISTEN/NOTIFY), filtered to what
it asked for and to what its principal may read."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from tests.conftest import token
from tests.petitions_support import mutate, step, submit
from tests.test_reads import gid
from tests.two_processes import Pair
from tests.ws import GraphQLSocket, connect

EVENTS = """subscription($area: String, $petition: ID) {
  petitionEvents(areaCode: $area, petitionId: $petition) {
    kind toStatus note visibility petition { id status }
  }
}"""
PROBE = "probe"


@contextlib.asynccontextmanager
async def writer(pair: Pair) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the *second* process: writes never go through the subscriber's."""
    base = pair.second.url.removesuffix("/graphql")
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        yield client


async def comment(
    client: httpx.AsyncClient, petition: dict, note: str, visibility: str = "INTERNAL"
) -> None:
    result = await mutate(
        client, "commentPetition", {"id": petition["id"], "note": note, "visibility": visibility}
    )
    assert "errors" not in result, result


async def until_subscribed(ws: GraphQLSocket, probe: Callable[[], Awaitable[None]]) -> None:
    """Send probe events until one arrives: from then on the subscription is listening.

    The protocol has no acknowledgement of a subscribe message, and the server starts
    listening only after it has checked the arguments."""
    for _ in range(30):
        await probe()
        try:
            message = await ws.receive(1.0)
        except TimeoutError:
            continue
        assert message["type"] == "next", message
        assert message["payload"]["data"]["petitionEvents"]["note"] == PROBE, message
        return
    raise AssertionError("the subscription never received a probe event")


async def next_event(ws: GraphQLSocket) -> dict[str, Any]:
    """The next event that is not a (late) probe."""
    while True:
        message = await ws.receive(10.0)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        event = message["payload"]["data"]["petitionEvents"]
        if event["note"] != PROBE:
            return event


async def test_area_subscribers_receive_events_written_by_another_process(pair: Pair) -> None:
    async with writer(pair) as http, connect(pair.first.url, f"Bearer {token()}") as ws:
        probe_target = await submit(http, pair.people.village_resident)
        await ws.subscribe("s", EVENTS, {"area": "510129101"})
        await until_subscribed(ws, lambda: comment(http, probe_target, PROBE))
        # another town's petition first: the subscriber must skip it
        await submit(http, pair.people.town2_resident)
        mine = await submit(http, pair.people.village_resident)
        event = await next_event(ws)
        assert event["kind"] == "SUBMITTED"
        assert event["petition"] == {"id": mine["id"], "status": "RECEIVED"}
        await step(http, "triagePetition", mine, triage="MINOR", reason="楼道照明归居委会")
        event = await next_event(ws)
        assert (event["kind"], event["toStatus"]) == ("TRIAGED", "TRIAGED")
        assert event["petition"] == {"id": mine["id"], "status": "TRIAGED"}


async def test_a_petition_subscriber_receives_that_petition_only(pair: Pair) -> None:
    async with writer(pair) as http, connect(pair.second.url, f"Bearer {token()}") as ws:
        watched = await submit(http, pair.people.village_resident)
        other = await submit(http, pair.people.village_resident)
        await ws.subscribe("s", EVENTS, {"petition": watched["id"]})
        await until_subscribed(ws, lambda: comment(http, watched, PROBE))
        await comment(http, other, "not this one")
        await comment(http, watched, "this one")
        assert (await next_event(ws))["note"] == "this one"


async def test_residents_receive_public_events_only(pair: Pair) -> None:
    household = pair.people.village_household
    resident = f"Bearer {token('resident', household=household)}"
    async with writer(pair) as http, connect(pair.first.url, resident) as ws:
        own = await submit(http, pair.people.village_resident)
        await ws.subscribe("s", EVENTS, {"petition": own["id"]})
        await until_subscribed(ws, lambda: comment(http, own, PROBE, "PUBLIC"))
        await comment(http, own, "内部：转交物业", "INTERNAL")
        await comment(http, own, "已安排维修", "PUBLIC")
        event = await next_event(ws)
        assert (event["note"], event["visibility"]) == ("已安排维修", "PUBLIC")


async def test_a_petition_the_subscriber_may_not_read_is_not_found(pair: Pair) -> None:
    other_household = f"Bearer {token('resident', household=pair.people.village_household + 1)}"
    async with writer(pair) as http:
        petition = await submit(http, pair.people.village_resident)
    async with connect(pair.first.url, other_household) as ws:
        await ws.subscribe("s", EVENTS, {"petition": petition["id"]})
        message = await ws.receive()
    assert message["type"] == "next", message
    assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_bad_arguments_are_named(pair: Pair) -> None:
    async def first_error(variables: dict, authorization: str | None) -> dict:
        async with connect(pair.first.url, authorization) as ws:
            await ws.subscribe(uuid.uuid4().hex, EVENTS, variables)
            message = await ws.receive()
        assert message["type"] == "next", message
        return message["payload"]["errors"][0]

    admin = f"Bearer {token()}"
    neither = await first_error({}, admin)
    assert neither["extensions"]["code"] == "BAD_USER_INPUT"
    assert "exactly one of areaCode and petitionId" in neither["message"]
    both = await first_error({"area": "510129101", "petition": gid("Petition", 1)}, admin)
    assert both["extensions"]["code"] == "BAD_USER_INPUT"
    unknown = await first_error({"area": "999999"}, admin)
    assert (unknown["extensions"]["code"], unknown["message"]) == (
        "NOT_FOUND",
        "no area with code 999999",
    )
    wrong_type = await first_error({"petition": gid("Resident", 1)}, admin)
    assert "not a Petition id" in wrong_type["message"]
    anonymous = await first_error({"area": "510129101"}, None)
    assert anonymous["extensions"]["code"] == "UNAUTHENTICATED"
