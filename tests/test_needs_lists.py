"""Needs, resources, matches (status transitions), projects and micro-projects through
GraphQL; residents' and grid workers' access."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from db.connect import create_pool
from tests.conftest import bearer
from tests.factories import add_areas, add_household
from tests.paths import both
from tests.test_grid_reads import gid

COMPOUND = "510129102001-03"
VILLAGE = "510129102001"
OTHER_VILLAGE = "510129101201"


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(database_url, min_size=1, max_size=4, app_role=True)
    try:
        yield p
    finally:
        await p.close()


@pytest.fixture
async def place(db: asyncpg.Connection) -> dict:
    ids = await add_areas(db)
    h1, (r1, r2) = await add_household(
        db, ids[COMPOUND], "101", [{"name": "张大爷"}, {"name": "张小"}]
    )
    h2, (r3,) = await add_household(db, ids[COMPOUND], "102", [{"name": "李阿姨"}])
    h3, (r4,) = await add_household(db, ids[OTHER_VILLAGE + "-01"], "1", [{"name": "王村民"}])
    return {"ids": ids, "h": [h1, h2, h3], "r": [r1, r2, r3, r4]}


NEED = """mutation($in: AddNeedInput!) { addNeed(input: $in) {
  ... on NeedPayload { need { id status category household { room } area { code } } }
  ... on GridMutationFailed { errors { code field } } } }"""
RESOURCE = """mutation($in: AddResourceInput!) { addResource(input: $in) {
  ... on ResourcePayload { resource { id providerName providerKind providerResident { name } } }
  ... on GridMutationFailed { errors { code field } } } }"""
MATCH = """mutation($in: MatchNeedInput!) { matchNeed(input: $in) {
  ... on NeedMatchPayload { match { id status need { status } } }
  ... on GridMutationFailed { errors { code field } } } }"""
STATUS = """mutation($id: ID!, $s: MatchStatus!) {
  setMatchStatus(input: {matchId: $id, status: $s}) {
  ... on NeedMatchPayload { match { status need { status } } }
  ... on GridMutationFailed { errors { code field message } } } }"""


async def test_needs_resources_matches_and_projects(gql, place, pool) -> None:  # type: ignore[no-untyped-def]
    n = await gql(
        NEED,
        {
            "in": {
                "householdId": gid("Household", place["h"][0]),
                "category": "ELDERLY_CARE",
                "title": "每周陪护",
            }
        },
    )
    need = n["addNeed"]["need"]
    assert need["status"] == "OPEN" and need["area"]["code"] == COMPOUND
    r = await gql(
        RESOURCE,
        {
            "in": {
                "providerKind": "RESIDENT",
                "providerResidentId": gid("Resident", place["r"][2]),
                "areaCode": COMPOUND,
                "category": "ELDERLY_COMPANIONSHIP",
                "title": "陪老人聊天",
            }
        },
    )
    resource = r["addResource"]["resource"]
    assert resource["providerName"] == "李阿姨"
    org = await gql(
        RESOURCE,
        {
            "in": {
                "providerKind": "ENTERPRISE",
                "areaCode": VILLAGE,
                "category": "IDLE_GOODS",
                "title": "闲置轮椅",
            }
        },
    )
    assert org["addResource"]["errors"] == [{"code": "INVALID_INPUT", "field": "providerName"}]
    m = await gql(MATCH, {"in": {"needId": need["id"], "resourceId": resource["id"]}})
    match = m["matchNeed"]["match"]
    assert match["status"] == "PROPOSED" and match["need"]["status"] == "OPEN"
    dup = await gql(MATCH, {"in": {"needId": need["id"], "resourceId": resource["id"]}})
    assert dup["matchNeed"]["errors"] == [{"code": "DUPLICATE", "field": "resourceId"}]
    # PROPOSED -> COMPLETED skips acceptance
    bad = await gql(STATUS, {"id": match["id"], "s": "COMPLETED"})
    assert bad["setMatchStatus"]["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    ok = await gql(STATUS, {"id": match["id"], "s": "ACCEPTED"})
    assert ok["setMatchStatus"]["match"] == {"status": "ACCEPTED", "need": {"status": "MATCHED"}}
    ok = await gql(STATUS, {"id": match["id"], "s": "COMPLETED"})
    assert ok["setMatchStatus"]["match"] == {"status": "COMPLETED", "need": {"status": "MET"}}
    back = await gql(STATUS, {"id": match["id"], "s": "CANCELLED"})
    assert back["setMatchStatus"]["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    closed = await gql(MATCH, {"in": {"needId": need["id"], "resourceId": resource["id"]}})
    assert {e["code"] for e in closed["matchNeed"]["errors"]} == {"NEED_CLOSED", "DUPLICATE"}

    other = await gql(
        NEED, {"in": {"areaCode": OTHER_VILLAGE, "category": "HOUSING", "title": "屋顶漏水"}}
    )
    project = """mutation($in: CreateProjectInput!) { createProject(input: $in) {
      ... on ProjectPayload { project { name budgetFen needCount needs { nodes { title } } } }
      ... on GridMutationFailed { errors { code field } } } }"""
    bad = await gql(
        project,
        {
            "in": {
                "areaCode": VILLAGE,
                "name": "助老",
                "budgetFen": -1,
                "needIds": [need["id"], other["addNeed"]["need"]["id"]],
            }
        },
    )
    assert {(e["code"], e["field"]) for e in bad["createProject"]["errors"]} == {
        ("INVALID_INPUT", "budgetFen"),
        ("OUTSIDE_AREA", "needIds.1"),
    }
    ok = await gql(
        project,
        {"in": {"areaCode": VILLAGE, "name": "助老", "budgetFen": 500000, "needIds": [need["id"]]}},
    )
    assert ok["createProject"]["project"] == {
        "name": "助老",
        "budgetFen": 500000,
        "needCount": 1,
        "needs": {"nodes": [{"title": "每周陪护"}]},
    }
    query = """{ area(code: "510129") { needStats { total open matched met closed resources
        activeMatches } needs(filter: {statuses: [MET, OPEN]}) { nodes { title status
        matches { status resource { title } } } } resources { totalCount }
        projects { nodes { name } } } needs(filter: {category: HOUSING}) { totalCount } }"""
    data = (await both(pool, query))["data"]
    assert data["area"]["needStats"] == {
        "total": 2,
        "open": 1,
        "matched": 0,
        "met": 1,
        "closed": 0,
        "resources": 1,
        "activeMatches": 0,
    }
    assert data["needs"]["totalCount"] == 1


MICRO = """mutation($in: ProposeMicroProjectInput!) { proposeMicroProject(input: $in) {
  ... on MicroProjectPayload { microProject { id status sponsor { name } participantCount } }
  ... on GridMutationFailed { errors { code field } } } }"""
JOIN = """mutation($in: AddMicroProjectParticipantInput!) { addMicroProjectParticipant(input: $in) {
  ... on MicroProjectPayload { microProject { participantCount } }
  ... on GridMutationFailed { errors { code field } } } }"""
OUTCOME = """mutation($in: RecordMicroProjectOutcomeInput!) {
  recordMicroProjectOutcome(input: $in) {
  ... on MicroProjectPayload { microProject { status outcome completedOn } }
  ... on GridMutationFailed { errors { code field } } } }"""


async def test_micro_projects_and_participation_per_period(gql, place, pool) -> None:  # type: ignore[no-untyped-def]
    bad = await gql(
        MICRO,
        {
            "in": {
                "title": "楼道美化",
                "sponsorId": gid("Resident", place["r"][3]),
                "areaCode": COMPOUND,
                "budgetFen": 20000,
            }
        },
    )
    assert bad["proposeMicroProject"]["errors"] == [{"code": "OUTSIDE_AREA", "field": "sponsorId"}]
    p = await gql(
        MICRO,
        {
            "in": {
                "title": "楼道美化",
                "sponsorId": gid("Resident", place["r"][0]),
                "areaCode": COMPOUND,
                "budgetFen": 20000,
                "proposedOn": "2026-03-02",
            }
        },
    )
    project = p["proposeMicroProject"]["microProject"]
    assert project["status"] == "PROPOSED" and project["sponsor"]["name"] == "张大爷"
    for resident, day in ((place["r"][1], "2026-03-05"), (place["r"][2], "2026-04-01")):
        j = await gql(
            JOIN,
            {
                "in": {
                    "microProjectId": project["id"],
                    "residentId": gid("Resident", resident),
                    "joinedOn": day,
                }
            },
        )
        assert "microProject" in j["addMicroProjectParticipant"]
    dup = await gql(
        JOIN,
        {"in": {"microProjectId": project["id"], "residentId": gid("Resident", place["r"][1])}},
    )
    assert dup["addMicroProjectParticipant"]["errors"] == [
        {"code": "DUPLICATE", "field": "residentId"}
    ]
    early = await gql(
        OUTCOME,
        {"in": {"microProjectId": project["id"], "outcome": "完成", "completedOn": "2026-03-01"}},
    )
    assert early["recordMicroProjectOutcome"]["errors"] == [
        {"code": "INVALID_INPUT", "field": "completedOn"}
    ]
    done = await gql(
        OUTCOME,
        {
            "in": {
                "microProjectId": project["id"],
                "outcome": "楼道焕然一新",
                "completedOn": "2026-04-10",
            }
        },
    )
    assert done["recordMicroProjectOutcome"]["microProject"]["status"] == "COMPLETED"
    again = await gql(
        OUTCOME,
        {"in": {"microProjectId": project["id"], "outcome": "x", "completedOn": "2026-04-11"}},
    )
    assert again["recordMicroProjectOutcome"]["errors"] == [
        {"code": "ALREADY_COMPLETED", "field": "microProjectId"}
    ]
    query = """{ area(code: "510129102001") {
        march: microProjectStats(from: "2026-03-01", to: "2026-03-31") { projects completed
          budgetFen participations participants }
        all: microProjectStats { participations participants }
        microProjects { nodes { title participants { nodes { name } } } } } }"""
    data = (await both(pool, query))["data"]["area"]
    assert data["march"] == {
        "projects": 1,
        "completed": 1,
        "budgetFen": "20000",
        "participations": 1,
        "participants": 1,
    }
    assert data["all"] == {"participations": 2, "participants": 2}


async def test_residents_see_own_needs_and_public_lists(
    anonymous_client: httpx.AsyncClient,
    gql,
    place,  # type: ignore[no-untyped-def]
) -> None:
    for household, title in ((place["h"][0], "我家的需求"), (place["h"][1], "邻居的需求")):
        await gql(
            NEED,
            {
                "in": {
                    "householdId": gid("Household", household),
                    "category": "DAILY_LIFE",
                    "title": title,
                }
            },
        )
    await gql(
        RESOURCE,
        {
            "in": {
                "providerKind": "ORGANISATION",
                "providerName": "社工站",
                "areaCode": VILLAGE,
                "category": "SKILLS",
                "title": "理发",
            }
        },
    )
    await gql(
        RESOURCE,
        {
            "in": {
                "providerKind": "ORGANISATION",
                "providerName": "别村",
                "areaCode": OTHER_VILLAGE,
                "category": "SKILLS",
                "title": "修车",
            }
        },
    )
    headers = bearer("resident", "zhang", household=place["h"][0])
    q = "{ needs { nodes { title } } resources { nodes { title } } }"
    for path in ("compiled", "resolver"):
        response = await anonymous_client.post(
            "/graphql", json={"query": q}, headers={**headers, "x-gongzhi-execution": path}
        )
        body = response.json()
        assert body["data"] == {
            "needs": {"nodes": [{"title": "我家的需求"}]},
            "resources": {"nodes": [{"title": "理发"}]},
        }, body
    # a resident adds a need for their own household, not for a neighbour's
    mine = await anonymous_client.post(
        "/graphql",
        headers=headers,
        json={
            "query": NEED,
            "variables": {
                "in": {
                    "householdId": gid("Household", place["h"][0]),
                    "category": "HEALTH",
                    "title": "体检",
                }
            },
        },
    )
    assert mine.json()["data"]["addNeed"]["need"]["status"] == "OPEN"
    theirs = await anonymous_client.post(
        "/graphql",
        headers=headers,
        json={
            "query": NEED,
            "variables": {
                "in": {
                    "householdId": gid("Household", place["h"][1]),
                    "category": "HEALTH",
                    "title": "x",
                }
            },
        },
    )
    assert theirs.json()["data"]["addNeed"]["errors"][0]["code"] in ("NOT_FOUND", "FORBIDDEN")
    # residents do not match resources
    refused = await anonymous_client.post(
        "/graphql",
        headers=headers,
        json={
            "query": RESOURCE,
            "variables": {
                "in": {
                    "providerKind": "ORGANISATION",
                    "providerName": "x",
                    "areaCode": VILLAGE,
                    "category": "SKILLS",
                    "title": "x",
                }
            },
        },
    )
    assert refused.json()["data"]["addResource"]["errors"][0]["code"] == "FORBIDDEN"


async def test_grid_worker_writes_only_in_their_area(
    anonymous_client: httpx.AsyncClient,
    place,  # type: ignore[no-untyped-def]
) -> None:
    headers = bearer("grid_worker", "wangge", area=VILLAGE)

    async def add(area: str) -> dict:
        response = await anonymous_client.post(
            "/graphql",
            headers=headers,
            json={
                "query": NEED,
                "variables": {"in": {"areaCode": area, "category": "OTHER", "title": "路灯坏了"}},
            },
        )
        return response.json()["data"]["addNeed"]

    assert (await add(COMPOUND))["need"]["area"]["code"] == COMPOUND
    assert (await add(OTHER_VILLAGE))["errors"][0]["code"] == "FORBIDDEN"
