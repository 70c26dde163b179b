"""Reads of the volunteers graph: the compiled path answers them, exactly as the resolver
path does; leaderboards and monthly figures count verified service only."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from db.connect import create_pool
from tests.conftest import bearer
from tests.paths import both, via_compiled
from tests.volunteers_support import (
    VILLAGE,
    World,
    build_world,
    credit,
    mutate,
    ok,
    record,
    reward,
    verify,
)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(database_url, min_size=1, max_size=4, app_role=True)
    try:
        yield p
    finally:
        await p.close()


@pytest.fixture
async def served(db: asyncpg.Connection, gql: Any) -> World:
    """Volunteers 1 and 2 served 120 verified minutes each, volunteer 3 60, volunteer 0 (the
    leader) 90 unverified; a reward was redeemed."""
    world = await build_world(db, gql)
    for i, minutes in ((1, 120), (2, 120), (3, 60)):
        rec = ok(await record(gql, world.activity, world.volunteers[i], minutes))["record"]
        ok(await verify(gql, rec["id"], world.residents[0]))
    ok(await record(gql, world.activity, world.volunteers[0], 90))
    await credit(gql, world.volunteers[1], 30)
    soap = await reward(gql, cost=25, stock=3)
    ok(
        await mutate(
            gql,
            "redeemReward",
            {"volunteerId": world.volunteers[1], "rewardId": soap},
            "PointsEntryPayload { entry { id } }",
        )
    )
    return world


def _months() -> tuple[str, str, str]:
    today = dt.datetime.now(dt.UTC).date()
    first = today.replace(day=1)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    return previous.strftime("%Y-%m"), first.strftime("%Y-%m"), first.isoformat()


AREA_GRAPH = """query($code: String!) { area(code: $code) {
  volunteers(orderBy: {field: VERIFIED_MINUTES, direction: DESC}) { totalCount nodes {
    id verifiedMinutes pointsBalance stars registeredAt insuredUntil resident { name }
    memberships { role joinedAt team { name kind } } } }
  teams { totalCount nodes { id name kind memberCount createdAt area { code name }
    members { role volunteer { id resident { name } } }
    activities { nodes { id title kind place startsAt endsAt windowMinutes
      team { name } area { code }
      records(orderBy: {field: ID, direction: ASC}) { totalCount nodes { id status scheduledMinutes
        completedMinutes travelMinutes pointsEarned servedAt verifier { name }
        volunteer { id } activity { title } } } } } } }
  activities(first: 5) { totalCount pageInfo { hasNextPage endCursor } nodes { title } }
  rewards { nodes { id name pointsCost stock area { code } } }
  residents { nodes { name volunteer { id stars } } }
} }"""

LEDGER = """{ volunteers(filter: {areaCode: "510129101201", minStars: 0}, first: 10) { nodes {
  id pointsEntries { totalCount nodes { kind points balanceAfter quantity reason createdBy
    reward { name } serviceRecord { id completedMinutes } volunteer { id } } }
  serviceRecords(filter: {status: VERIFIED}) { totalCount nodes { status } } } }
  volunteerTeams(filter: {kind: CIVILITY}) { totalCount nodes { name } }
  activities(filter: {kind: CLEANUP}) { totalCount }
  rewards(filter: {inStock: true}, orderBy: {field: POINTS_COST}) { nodes { name stock } } }"""


async def test_area_graph_on_both_paths(pool, served: World) -> None:  # type: ignore[no-untyped-def]
    data = (await both(pool, AREA_GRAPH, {"code": VILLAGE}))["data"]["area"]
    volunteers = data["volunteers"]["nodes"]
    assert data["volunteers"]["totalCount"] == 4
    assert [v["verifiedMinutes"] for v in volunteers] == [120, 120, 60, 0]
    balances = {v["id"]: v["pointsBalance"] for v in volunteers}
    assert balances[served.volunteers[1]] == 20 + 30 - 25
    team = data["teams"]["nodes"][0]
    assert team["memberCount"] == 4
    assert team["members"][0] == {
        "role": "LEADER",
        "volunteer": {"id": served.volunteers[0], "resident": {"name": "李队长"}},
    }
    records = team["activities"]["nodes"][0]["records"]
    assert records["totalCount"] == 4
    assert [r["status"] for r in records["nodes"]] == ["VERIFIED"] * 3 + ["COMPLETED"]
    assert [r["pointsEarned"] for r in records["nodes"]] == [20, 20, 10, None]
    assert data["rewards"]["nodes"][0]["stock"] == 2
    with_volunteer = [r for r in data["residents"]["nodes"] if r["volunteer"]]
    assert len(with_volunteer) == 4


async def test_ledger_and_root_lists_on_both_paths(pool, served: World) -> None:  # type: ignore[no-untyped-def]
    data = (await both(pool, LEDGER))["data"]
    first = next(v for v in data["volunteers"]["nodes"] if v["id"] == served.volunteers[1])
    entries = first["pointsEntries"]["nodes"]
    assert [(e["kind"], e["points"], e["balanceAfter"]) for e in entries] == [
        ("REDEEM", -25, 25),
        ("ADJUST", 30, 50),
        ("EARN", 20, 20),
    ]
    assert entries[0]["reward"] == {"name": "洗衣液"}
    assert entries[2]["serviceRecord"]["completedMinutes"] == 120
    assert data["volunteerTeams"]["totalCount"] == 1
    assert data["activities"]["totalCount"] == 1


async def test_leaderboard_and_months_on_both_paths(pool, served: World) -> None:  # type: ignore[no-untyped-def]
    previous, current, first_day = _months()
    query = """query($code: String!, $since: Date!, $until: Date!, $from: Month!, $to: Month!) {
      area(code: $code) {
        volunteerLeaderboard(since: $since, until: $until, first: 3) {
          rank verifiedMinutes volunteer { id resident { name } } }
        volunteerMonths(fromMonth: $from, toMonth: $to) {
          month activeVolunteers verifiedMinutes activities }
        children { nodes { code volunteerLeaderboard(since: $since, until: $until) { rank } } }
      } }"""
    today = dt.datetime.now(dt.UTC).date()
    variables = {
        "code": VILLAGE[:9],  # the town: the village's service counts there too
        "since": (today - dt.timedelta(days=30)).isoformat(),
        "until": today.isoformat(),
        "from": previous,
        "to": current,
    }
    data = (await both(pool, query, variables))["data"]["area"]
    board = data["volunteerLeaderboard"]
    # equal minutes share a rank; unverified service is not on the board
    assert [(e["rank"], e["verifiedMinutes"]) for e in board] == [(1, 120), (1, 120), (3, 60)]
    assert [e["volunteer"]["id"] for e in board] == served.volunteers[1:4]
    months = {m["month"]: m for m in data["volunteerMonths"]}
    assert list(months) == [previous, current] if previous != current else [current]
    activity_month = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=48)).strftime("%Y-%m")
    assert months[activity_month] == {
        "month": activity_month,
        "activeVolunteers": 3,
        "verifiedMinutes": 300,
        "activities": 1,
    }
    other = next(m for m in months if m != activity_month)
    assert months[other]["verifiedMinutes"] == 0
    by_code = {c["code"]: c["volunteerLeaderboard"] for c in data["children"]["nodes"]}
    assert len(by_code[VILLAGE]) == 3
    assert by_code["510129101202"] == []
    # without bounds: all time, and the twelve months to this one
    open_query = """{ area(code: "510129101") { volunteerLeaderboard { rank verifiedMinutes }
      volunteerMonths { month verifiedMinutes } } }"""
    open_data = (await both(pool, open_query))["data"]["area"]
    assert [e["verifiedMinutes"] for e in open_data["volunteerLeaderboard"]] == [120, 120, 60]
    assert len(open_data["volunteerMonths"]) == 12
    assert open_data["volunteerMonths"][-1]["month"] == current
    # an empty period
    empty = {**variables, "since": first_day, "until": first_day}
    if activity_month != current:
        assert (await both(pool, query, empty))["data"]["area"]["volunteerLeaderboard"] == []


async def test_main_reads_are_served_compiled(client, served: World) -> None:  # type: ignore[no-untyped-def]
    previous, current, _ = _months()
    for query, variables in (
        (AREA_GRAPH, {"code": VILLAGE}),
        (LEDGER, None),
        (
            """query($f: Month!, $t: Month!) { area(code: "510129101") {
              volunteerLeaderboard(since: "2020-01-01", until: "2099-12-31") { rank }
              volunteerMonths(fromMonth: $f, toMonth: $t) { month verifiedMinutes } } }""",
            {"f": previous, "t": current},
        ),
        (
            "query($id: ID!) { node(id: $id) { ... on VolunteerTeam { name } } }",
            {"id": served.team},
        ),
    ):
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        assert response.headers["x-gongzhi-execution"] == "compiled", response.text
        assert "errors" not in response.json()


async def test_invalid_periods_are_refused(pool, gql, served: World) -> None:  # type: ignore[no-untyped-def]
    for query in (
        '{ area(code: "510129101") { volunteerLeaderboard(since: "2026-02-01",'
        ' until: "2026-01-01") { rank } } }',
        '{ area(code: "510129101") { volunteerLeaderboard(since: "2026-01-01",'
        ' until: "2026-02-01", first: 101) { rank } } }',
        '{ area(code: "510129101") { volunteerMonths(fromMonth: "2020-01",'
        ' toMonth: "2026-01") { month } } }',
    ):
        assert await via_compiled(pool, query) is None  # falls back to the resolver path
        body = await gql(query, errors_ok=True)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


async def test_area_scoping_applies(anonymous_client, served: World) -> None:  # type: ignore[no-untyped-def]
    query = "{ volunteers { totalCount } volunteerTeams { totalCount } rewards { totalCount } }"
    inside = await anonymous_client.post(
        "/graphql", json={"query": query}, headers=bearer("grid_worker", area=VILLAGE)
    )
    assert inside.json()["data"] == {
        "volunteers": {"totalCount": 4},
        "volunteerTeams": {"totalCount": 1},
        "rewards": {"totalCount": 1},
    }
    outside = await anonymous_client.post(
        "/graphql", json={"query": query}, headers=bearer("grid_worker", area="510129101202")
    )
    assert outside.json()["data"] == {
        "volunteers": {"totalCount": 0},
        "volunteerTeams": {"totalCount": 0},
        "rewards": {"totalCount": 0},
    }
    # a resident sees their own household's volunteer and its ledger
    mine = await anonymous_client.post(
        "/graphql",
        json={"query": "{ volunteers { nodes { id pointsEntries { totalCount } } } }"},
        headers=bearer("resident", household=served.households[1]),
    )
    assert mine.json()["data"]["volunteers"]["nodes"] == [
        {"id": served.volunteers[1], "pointsEntries": {"totalCount": 3}}
    ]


def test_inputs_match_mapping() -> None:
    import dataclasses

    from db.mapping import REGISTRY
    from schema import volunteers_inputs as inputs

    for entity, filter_input, order_input in (
        ("Volunteer", inputs.VolunteerFilter, inputs.VolunteerOrder),
        ("VolunteerTeam", inputs.TeamFilter, inputs.TeamOrder),
        ("Activity", inputs.ActivityFilter, inputs.ActivityOrder),
        ("ServiceRecord", inputs.ServiceRecordFilter, inputs.ServiceRecordOrder),
        ("PointsEntry", inputs.PointsEntryFilter, inputs.PointsEntryOrder),
        ("Reward", inputs.RewardFilter, inputs.RewardOrder),
    ):
        ent = REGISTRY[entity]
        assert {f.name for f in dataclasses.fields(filter_input)} <= set(ent.filters)
        default = order_input()
        assert {e.value for e in type(default.field)} <= set(ent.orders)
        assert default.field.value == ent.default_order
        assert (default.direction.value == "desc") == ent.default_descending
