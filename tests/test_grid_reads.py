"""The grid: the branch-type rule at its threshold, coverage gaps found exactly, grid nodes
and visits through GraphQL on the compiled path (both paths compared)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from db.connect import create_pool
from tests.factories import add_areas, add_household
from tests.paths import both

COMPOUND = "510129102001-03"  # 福康花园小区 (with building 5)
OTHER = "510129101201-01"  # 一组院落
VILLAGE = "510129102001"


def gid(type_name: str, key: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(database_url, min_size=1, max_size=4, app_role=True)
    try:
        yield p
    finally:
        await p.close()


async def members(db: asyncpg.Connection, area_id: int, party: int, room: str) -> int:
    people = [{"name": f"党员{i}", "is_party_member": True} for i in range(party)]
    hid, _ = await add_household(db, area_id, room, people or [{"name": "群众"}])
    return hid


@pytest.fixture
async def grid(db: asyncpg.Connection) -> dict:
    ids = await add_areas(db)
    # 福康花园: exactly 3 party members (two in the building) -> formal
    h1 = await members(db, ids[COMPOUND], 1, "101")
    h2 = await members(db, ids[COMPOUND + "-05"], 2, "501")
    h3 = await members(db, ids[COMPOUND + "-05"], 0, "502")
    # 一组院落: exactly 2 -> functional
    h4 = await members(db, ids[OTHER], 2, "1")
    # 放牛院落: none
    h5 = await members(db, ids["510129101202-01"], 0, "1")
    return {"ids": ids, "households": [h1, h2, h3, h4, h5]}


async def test_branch_type_at_threshold(gql, grid, db) -> None:  # type: ignore[no-untyped-def]
    data = await gql(
        """{ compoundBranches { nodes { area { code } partyMembers derivedType recordedType
             mismatch } } }"""
    )
    found = {n["area"]["code"]: n for n in data["compoundBranches"]["nodes"]}
    assert found[COMPOUND]["partyMembers"] == 3
    assert found[COMPOUND]["derivedType"] == "FORMAL"
    assert found[OTHER]["partyMembers"] == 2
    assert found[OTHER]["derivedType"] == "FUNCTIONAL"
    assert found["510129101202-01"]["derivedType"] == "FUNCTIONAL"
    assert all(n["recordedType"] is None and not n["mismatch"] for n in found.values())
    # one more party member in 一组院落 crosses the threshold
    await members(db, grid["ids"][OTHER], 1, "2")
    data = await gql(
        f'{{ area(code: "{OTHER}") {{ partyBranch {{ partyMembers derivedType }} }} }}'
    )
    assert data["area"]["partyBranch"] == {"partyMembers": 3, "derivedType": "FORMAL"}
    # non-compounds have no branch
    assert (await gql(f'{{ area(code: "{VILLAGE}") {{ partyBranch {{ id }} }} }}'))["area"][
        "partyBranch"
    ] is None


async def test_recorded_branch_type_that_disagrees_is_flagged(gql, grid) -> None:  # type: ignore[no-untyped-def]
    record = """mutation($code: String!, $t: BranchType!) {
      recordPartyBranch(input: {areaCode: $code, branchType: $t, name: "党支部"}) {
        ... on CompoundBranchPayload { branch { recordedType derivedType mismatch } }
        ... on GridMutationFailed { errors { code field } } } }"""
    ok = await gql(record, {"code": COMPOUND, "t": "FORMAL"})
    assert ok["recordPartyBranch"]["branch"] == {
        "recordedType": "FORMAL",
        "derivedType": "FORMAL",
        "mismatch": False,
    }
    bad = await gql(record, {"code": OTHER, "t": "FORMAL"})
    assert bad["recordPartyBranch"]["branch"]["mismatch"] is True
    data = await gql(
        """{ compoundBranches(filter: {mismatch: true}) { totalCount nodes { area { code } } }
             area(code: "510129") { gridCoverage { branchMismatches formalBranches
             functionalBranches } } }"""
    )
    assert [n["area"]["code"] for n in data["compoundBranches"]["nodes"]] == [OTHER]
    assert data["area"]["gridCoverage"] == {
        "branchMismatches": 1,
        "formalBranches": 1,
        "functionalBranches": 2,
    }
    wrong = await gql(record, {"code": VILLAGE, "t": "FORMAL"})
    assert wrong["recordPartyBranch"]["errors"] == [
        {"code": "WRONG_AREA_LEVEL", "field": "areaCode"}
    ]


CREATE = """mutation($in: CreateGridNodeInput!) { createGridNode(input: $in) {
  ... on GridNodePayload { node { id level name area { code } leader { name } parent { name } } }
  ... on GridMutationFailed { errors { code field message } } } }"""
ASSIGN = """mutation($in: AssignHouseholdsInput!) { assignHouseholdsToBuildingHead(input: $in) {
  ... on GridNodePayload { node { id householdCount } }
  ... on GridMutationFailed { errors { code field } } } }"""
VISIT = """mutation($in: RecordGridVisitInput!) { recordGridVisit(input: $in) {
  ... on GridVisitPayload { visit { visitedOn notes worker { name } household { room } } }
  ... on GridMutationFailed { errors { code field } } } }"""


async def build_grid(gql, db, grid) -> dict:  # type: ignore[no-untyped-def]
    """Committee over the community, a party group over the compound, a building head over
    building 5 serving its two households."""
    ids = grid["ids"]
    secretary = await db.fetchval(
        "SELECT id FROM resident WHERE household_id = $1 LIMIT 1", grid["households"][0]
    )
    c = await gql(
        CREATE,
        {
            "in": {
                "level": "COMMITTEE",
                "areaCode": VILLAGE,
                "name": "南湖社区党总支",
                "leaderId": gid("Resident", secretary),
            }
        },
    )
    committee = c["createGridNode"]["node"]
    g = await gql(
        CREATE,
        {
            "in": {
                "level": "PARTY_GROUP",
                "areaCode": COMPOUND,
                "name": "福康花园党小组",
                "parentId": committee["id"],
            }
        },
    )
    group = g["createGridNode"]["node"]
    b = await gql(
        CREATE,
        {
            "in": {
                "level": "BUILDING_HEAD",
                "areaCode": COMPOUND + "-05",
                "name": "5栋楼栋长",
                "parentId": group["id"],
            }
        },
    )
    head = b["createGridNode"]["node"]
    a = await gql(
        ASSIGN,
        {
            "in": {
                "nodeId": head["id"],
                "householdIds": [
                    gid("Household", grid["households"][1]),
                    gid("Household", grid["households"][2]),
                ],
            }
        },
    )
    assert a["assignHouseholdsToBuildingHead"]["node"]["householdCount"] == 2
    worker = await db.fetchval(
        "UPDATE resident SET roles = '{grid_worker}' WHERE household_id = $1 RETURNING id",
        grid["households"][2],
    )
    return {"committee": committee, "group": group, "head": head, "ids": ids, "worker": worker}


async def test_grid_levels_nest_and_coverage_finds_planted_gaps(gql, db, grid, pool) -> None:  # type: ignore[no-untyped-def]
    built = await build_grid(gql, db, grid)
    assert built["committee"]["leader"] == {"name": "党员0"}
    assert built["group"]["parent"]["name"] == "南湖社区党总支"
    h = grid["households"]
    # visit h1 and h2 this month; h3 only last month: h3 (and h4, h5 elsewhere) are gaps
    today = dt.date.today()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    for household, day in ((h[0], today), (h[1], today.replace(day=1)), (h[2], last_month)):
        v = await gql(
            VISIT,
            {
                "in": {
                    "householdId": gid("Household", household),
                    "workerId": gid("Resident", built["worker"]),
                    "visitedOn": day.isoformat(),
                    "notes": "走访",
                }
            },
        )
        assert v["recordGridVisit"]["visit"]["worker"]["name"] == "群众"
    query = """{ area(code: "510129102001") {
        householdsWithoutBuildingHead { totalCount nodes { room } }
        householdsNotVisitedThisMonth { totalCount nodes { room } }
        gridCoverage { households withBuildingHead withoutBuildingHead visitedThisMonth
                       notVisitedThisMonth committees partyGroups buildingHeads }
        grid(orderBy: {field: ID}) { nodes { level name householdCount
             households { nodes { room buildingHead { name } } } children { name } } } } }"""
    data = (await both(pool, query))["data"]["area"]
    # planted: h1 (room 101) has no building head; h3 (room 502) not visited this month
    assert data["householdsWithoutBuildingHead"] == {"totalCount": 1, "nodes": [{"room": "101"}]}
    assert data["householdsNotVisitedThisMonth"] == {"totalCount": 1, "nodes": [{"room": "502"}]}
    assert data["gridCoverage"] == {
        "households": 3,
        "withBuildingHead": 2,
        "withoutBuildingHead": 1,
        "visitedThisMonth": 2,
        "notVisitedThisMonth": 1,
        "committees": 1,
        "partyGroups": 1,
        "buildingHeads": 1,
    }
    levels = [(n["level"], n["householdCount"]) for n in data["grid"]["nodes"]]
    assert levels == [("COMMITTEE", 0), ("PARTY_GROUP", 0), ("BUILDING_HEAD", 2)]
    head = data["grid"]["nodes"][2]
    assert {n["room"] for n in head["households"]["nodes"]} == {"501", "502"}
    assert all(n["buildingHead"]["name"] == "5栋楼栋长" for n in head["households"]["nodes"])
    # across the county: the two other villages' households are gaps too
    county = (
        await both(
            pool,
            """{ area(code: "510129") { householdsWithoutBuildingHead { totalCount }
                householdsNotVisitedThisMonth { nodes { room area { code } } } } }""",
        )
    )["data"]["area"]
    assert county["householdsWithoutBuildingHead"]["totalCount"] == 3
    assert sorted(
        (n["area"]["code"], n["room"]) for n in county["householdsNotVisitedThisMonth"]["nodes"]
    ) == [(OTHER, "1"), ("510129101202-01", "1"), (COMPOUND + "-05", "502")]


async def test_main_reads_are_compiled(client: httpx.AsyncClient, gql, db, grid) -> None:  # type: ignore[no-untyped-def]
    await build_grid(gql, db, grid)
    for query in (
        '{ area(code: "510129102001") { grid { nodes { name leader { name } } } '
        "gridCoverage { households } householdsWithoutBuildingHead { totalCount } "
        "householdsNotVisitedThisMonth { totalCount } "
        "compoundBranches { nodes { derivedType } } } }",
        "{ gridNodes(filter: {level: BUILDING_HEAD}) { nodes { households { totalCount } } } }",
        "{ compoundBranches { nodes { partyMembers } } }",
        "{ households { nodes { buildingHead { name } visits { nodes { visitedOn } } } } }",
    ):
        response = await client.post("/graphql", json={"query": query})
        assert "errors" not in response.json(), response.json()
        assert response.headers["x-gongzhi-execution"] == "compiled", query


async def test_grid_mutations_refuse_with_every_problem(gql, db, grid) -> None:  # type: ignore[no-untyped-def]
    built = await build_grid(gql, db, grid)
    plain = await db.fetchval(
        "SELECT id FROM resident WHERE household_id = $1", grid["households"][4]
    )
    # a building head under a committee, over a village, led by nobody valid
    bad = await gql(
        CREATE,
        {
            "in": {
                "level": "BUILDING_HEAD",
                "areaCode": VILLAGE,
                "name": " ",
                "parentId": built["committee"]["id"],
                "leaderId": gid("Resident", 99999),
            }
        },
    )
    codes = {(e["code"], e["field"]) for e in bad["createGridNode"]["errors"]}
    assert codes == {
        ("INVALID_INPUT", "name"),
        ("WRONG_AREA_LEVEL", "areaCode"),
        ("WRONG_PARENT", "parentId"),
        ("NOT_FOUND", "leaderId"),
    }
    # a party group led by a non-member from another community
    bad = await gql(
        CREATE,
        {
            "in": {
                "level": "PARTY_GROUP",
                "areaCode": COMPOUND,
                "name": "组",
                "parentId": built["committee"]["id"],
                "leaderId": gid("Resident", plain),
            }
        },
    )
    assert {e["code"] for e in bad["createGridNode"]["errors"]} == {
        "OUTSIDE_AREA",
        "NOT_A_PARTY_MEMBER",
    }
    # households outside the building head's area, and a non-building-head node
    bad = await gql(
        ASSIGN,
        {
            "in": {
                "nodeId": built["head"]["id"],
                "householdIds": [gid("Household", grid["households"][0])],
            }
        },
    )
    assert bad["assignHouseholdsToBuildingHead"]["errors"] == [
        {"code": "OUTSIDE_AREA", "field": "householdIds.0"}
    ]
    bad = await gql(
        ASSIGN,
        {
            "in": {
                "nodeId": built["group"]["id"],
                "householdIds": [gid("Household", grid["households"][1])],
            }
        },
    )
    assert bad["assignHouseholdsToBuildingHead"]["errors"] == [
        {"code": "NOT_A_BUILDING_HEAD_NODE", "field": "nodeId"}
    ]
    # a visit by someone who is not a grid worker, in the future
    bad = await gql(
        VISIT,
        {
            "in": {
                "householdId": gid("Household", grid["households"][0]),
                "workerId": gid("Resident", plain),
                "visitedOn": (dt.date.today() + dt.timedelta(days=2)).isoformat(),
            }
        },
    )
    assert {(e["code"], e["field"]) for e in bad["recordGridVisit"]["errors"]} == {
        ("NOT_A_GRID_WORKER", "workerId"),
        ("INVALID_INPUT", "visitedOn"),
    }
    assert await db.fetchval("SELECT count(*) FROM grid_visit") == 0
    assert await db.fetchval("SELECT count(*) FROM grid_node") == 3
    # audited: one row per successful mutation
    ops = await db.fetch("SELECT operation FROM audit_log ORDER BY id")
    assert [o["operation"] for o in ops] == [
        "createGridNode",
        "createGridNode",
        "createGridNode",
        "assignHouseholdsToBuildingHead",
    ]


async def test_database_refuses_what_the_checks_refuse(db, grid) -> None:  # type: ignore[no-untyped-def]
    ids = grid["ids"]
    with pytest.raises(asyncpg.CheckViolationError, match="cannot cover"):
        await db.execute(
            "INSERT INTO grid_node (level, area_id, name) VALUES ('committee', $1, 'x')",
            ids[COMPOUND],
        )
    committee = await db.fetchval(
        "INSERT INTO grid_node (level, area_id, name) VALUES ('committee', $1, 'x') RETURNING id",
        ids[VILLAGE],
    )
    with pytest.raises(asyncpg.CheckViolationError, match="sits under"):
        await db.execute(
            "INSERT INTO grid_node (level, parent_id, area_id, name) "
            "VALUES ('building_head', $1, $2, 'x')",
            committee,
            ids[COMPOUND],
        )
    with pytest.raises(asyncpg.CheckViolationError, match="grid workers"):
        await db.execute(
            "INSERT INTO grid_visit (household_id, worker_id, visited_on) "
            "SELECT $1, id, current_date FROM resident WHERE household_id = $1",
            grid["households"][4],
        )


async def test_in_service_party_member(gql, db, grid) -> None:  # type: ignore[no-untyped-def]
    member = await db.fetchval(
        "SELECT id FROM resident WHERE household_id = $1 LIMIT 1", grid["households"][1]
    )
    plain = await db.fetchval(
        "SELECT id FROM resident WHERE household_id = $1", grid["households"][2]
    )
    q = """mutation($in: RegisterInServicePartyMemberInput!) {
      registerInServicePartyMember(input: $in) {
        ... on PartyMemberReportPayload { report { workplaceOrganisation resident { name }
              community { code } } }
        ... on GridMutationFailed { errors { code field } } } }"""
    ok = await gql(
        q,
        {
            "in": {
                "residentId": gid("Resident", member),
                "communityCode": VILLAGE,
                "workplaceOrganisation": "大邑县税务局",
                "reportedOn": "2026-03-01",
            }
        },
    )
    assert ok["registerInServicePartyMember"]["report"]["workplaceOrganisation"] == "大邑县税务局"
    again = await gql(
        q,
        {
            "in": {
                "residentId": gid("Resident", member),
                "communityCode": VILLAGE,
                "workplaceOrganisation": "x",
            }
        },
    )
    assert again["registerInServicePartyMember"]["errors"] == [
        {"code": "DUPLICATE", "field": "residentId"}
    ]
    bad = await gql(
        q,
        {
            "in": {
                "residentId": gid("Resident", plain),
                "communityCode": "510129101201",
                "workplaceOrganisation": "x",
            }
        },
    )
    assert {e["code"] for e in bad["registerInServicePartyMember"]["errors"]} == {
        "NOT_A_PARTY_MEMBER",
        "OUTSIDE_AREA",
    }
    data = await gql(
        f'{{ area(code: "{VILLAGE}") {{ inServicePartyMembers {{ nodes {{ reportedOn '
        "resident { name } } } } }"
    )
    assert data["area"]["inServicePartyMembers"]["nodes"] == [
        {"reportedOn": "2026-03-01", "resident": {"name": "党员0"}}
    ]
