"""Safe writes: optimistic concurrency on every change, idempotent submission, audit."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from tests.petitions_support import ADMIN, ask, codes, mutate, step, submit
from tests.test_reads import community, gid  # noqa: F401  (fixture)


async def test_stale_version_is_a_conflict(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = await submit(client, community["residents"][0])
    moved = await step(client, "triagePetition", p, triage="MINOR", reason="居委会")
    assert moved["version"] == 2
    stale = await step(client, "rejectPetition", p, reason="重复")
    assert codes(stale) == ["VERSION_CONFLICT"]
    assert stale["errors"][0]["field"] == "expectedVersion"
    assert "version 2" in stale["errors"][0]["message"]


async def test_two_concurrent_updates_exactly_one_wins(client, community, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = await submit(client, community["residents"][0])
    for _ in range(3):  # a few rounds: the order in which they reach the lock varies
        results = await asyncio.gather(
            step(client, "triagePetition", p, triage="MINOR", reason="甲"),
            step(client, "triagePetition", p, triage="MAJOR", reason="乙"),
        )
        winners = [r for r in results if "errors" not in r]
        losers = [r for r in results if "errors" in r]
        assert len(winners) == 1 and len(losers) == 1, results
        assert codes(losers[0]) == ["VERSION_CONFLICT"]
        p = winners[0]
    key = int(p["id"] and await db.fetchval("SELECT max(id) FROM petition"))
    assert await db.fetchval("SELECT version FROM petition WHERE id = $1", key) == 4
    # one event per winning change
    assert await db.fetchval("SELECT count(*) FROM petition_event WHERE petition_id = $1", key) == 4


async def test_retry_returns_the_first_petition(client, community, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    data = {
        "idempotencyKey": "form-42",
        "channel": "WECHAT",
        "categoryCode": "water_power_gas",
        "description": "停水三天了",
        "submitterId": gid("Resident", community["residents"][0]),
    }
    first = await mutate(client, "submitPetition", data)
    again = await mutate(client, "submitPetition", data)
    assert again["id"] == first["id"] and again["version"] == first["version"]
    assert await db.fetchval("SELECT count(*) FROM petition") == 1
    # one audit row: the retry wrote nothing
    assert (
        await db.fetchval("SELECT count(*) FROM audit_log WHERE operation = 'submitPetition'") == 1
    )
    changed = await mutate(client, "submitPetition", {**data, "description": "停电了"})
    assert codes(changed) == ["IDEMPOTENCY_KEY_REUSED"]
    # the key is per submitter (principal): another principal may use it
    from tests.conftest import bearer

    other = await mutate(
        client, "submitPetition", data, bearer("grid_worker", "网格员", area="510129101201-01")
    )
    assert "errors" not in other and other["id"] != first["id"]


async def test_concurrent_retries_make_one_petition(client, community, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    data = {
        "idempotencyKey": uuid.uuid4().hex,
        "channel": "ONLINE",
        "categoryCode": "noise",
        "description": "夜间施工噪音",
        "submitterId": gid("Resident", community["residents"][0]),
    }
    results = await asyncio.gather(*(mutate(client, "submitPetition", data) for _ in range(4)))
    assert len({r["id"] for r in results}) == 1, results
    assert await db.fetchval("SELECT count(*) FROM petition") == 1


async def test_submission_problems_all_at_once(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    result = await mutate(
        client,
        "submitPetition",
        {
            "idempotencyKey": "k",
            "channel": "PHONE",
            "categoryCode": "no_such_thing",
            "description": "  ",
            "attachmentUrls": ["ftp://x", "https://ok.example/a.jpg"],
            "cosignerIds": [gid("Resident", 999)],
            "areaCode": "510129101",
        },
    )
    assert sorted(codes(result)) == sorted(
        ["INVALID_INPUT", "INVALID_INPUT", "UNKNOWN_CATEGORY", "NOT_FOUND", "WRONG_AREA_LEVEL"]
    )
    fields = {e["field"] for e in result["errors"]}
    assert {
        "description",
        "attachmentUrls.0",
        "categoryCode",
        "cosignerIds.0",
        "areaCode",
    } <= fields


async def test_mutations_are_audited(client, community, db: asyncpg.Connection) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = await submit(client, community["residents"][0])
    await step(client, "triagePetition", p, triage="MINOR", reason="r")
    rows = await db.fetch("SELECT operation, target_type FROM audit_log ORDER BY id")
    assert [(r["operation"], r["target_type"]) for r in rows] == [
        ("submitPetition", "Petition"),
        ("triagePetition", "Petition"),
    ]


async def test_case_links_petitions(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811

    r = community["residents"]
    a = await submit(client, r[0], category="building_leak")
    b = await submit(client, r[1], category="building_leak")
    far = await submit(client, r[4], category="building_leak")
    query = """mutation($input: CreatePetitionCaseInput!) { createPetitionCase(input: $input) {
        ... on PetitionCasePayload { case { id title } }
        ... on PetitionMutationFailed { errors { code field } } } }"""
    body = await client.post(
        "/graphql",
        json={
            "query": query,
            "variables": {
                "input": {"areaCode": "510129101", "title": "屋顶渗漏", "petitionIds": [a["id"]]}
            },
        },
        headers=ADMIN,
    )
    assert body.json()["data"]["createPetitionCase"]["errors"][0]["code"] == "WRONG_AREA_LEVEL"
    body = await client.post(
        "/graphql",
        json={
            "query": query,
            "variables": {
                "input": {
                    "areaCode": "510129101201",
                    "title": "屋顶渗漏",
                    "petitionIds": [a["id"], far["id"]],
                }
            },
        },
        headers=ADMIN,
    )
    errors = body.json()["data"]["createPetitionCase"]["errors"]
    assert [e["code"] for e in errors] == ["OUTSIDE_CASE_AREA"]
    body = await client.post(
        "/graphql",
        json={
            "query": query,
            "variables": {
                "input": {
                    "areaCode": "510129101201",
                    "title": "屋顶渗漏",
                    "petitionIds": [a["id"], b["id"]],
                }
            },
        },
        headers=ADMIN,
    )
    created = body.json()["data"]["createPetitionCase"]
    assert "case" in created, created
    case = created["case"]
    data = await ask(
        client,
        """query($id: ID!) { petitionCase(id: $id) { title area { code }
           petitions(orderBy: {field: ID, direction: ASC}) {
             totalCount nodes { id case { title } } } } }""",
        {"id": case["id"]},
    )
    got = data["petitionCase"]
    assert got["petitions"]["totalCount"] == 2
    assert [n["id"] for n in got["petitions"]["nodes"]] == [a["id"], b["id"]]
    assert got["petitions"]["nodes"][0]["case"] == {"title": "屋顶渗漏"}


async def test_case_handled_together(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811

    r = community["residents"]
    ps = []
    for who in (r[0], r[1], r[2]):
        p = await submit(client, who, category="building_leak")
        p = await step(client, "triagePetition", p, triage="MINOR", reason="楼栋公共部位")
        ps.append(p)
    for p in ps[:2]:
        await step(client, "assignPetition", p, kind="RESIDENTS_COMMITTEE", name="大坪村居委会")
    created = (
        await client.post(
            "/graphql",
            json={
                "query": """mutation($input: CreatePetitionCaseInput!) {
                  createPetitionCase(input: $input) { ... on PetitionCasePayload {
                    case { id version } } } }""",
                "variables": {
                    "input": {
                        "areaCode": "510129101201-01",
                        "title": "屋顶渗漏",
                        "petitionIds": [p["id"] for p in ps],
                    }
                },
            },
            headers=ADMIN,
        )
    ).json()["data"]["createPetitionCase"]["case"]
    handle = """mutation($input: HandlePetitionCaseInput!) { handlePetitionCase(input: $input) {
        ... on PetitionCasePayload { case { version petitions(orderBy: {field: ID, direction: ASC})
          { nodes { status events { kind note } } } } }
        ... on PetitionMutationFailed { errors { code message } } } }"""

    async def run(version: int, action: str) -> dict:
        variables = {
            "input": {
                "caseId": created["id"],
                "expectedVersion": version,
                "action": action,
                "note": "统一维修屋面防水",
            }
        }
        body = await client.post(
            "/graphql", json={"query": handle, "variables": variables}, headers=ADMIN
        )
        return body.json()["data"]["handlePetitionCase"]

    stale = await run(created["version"] - 1, "RESOLVE")
    assert stale["errors"][0]["code"] == "VERSION_CONFLICT"
    done = await run(created["version"], "RESOLVE")
    statuses = [n["status"] for n in done["case"]["petitions"]["nodes"]]
    assert statuses == ["RESOLVED", "RESOLVED", "TRIAGED"]  # the unassigned one stays
    assert done["case"]["petitions"]["nodes"][0]["events"][-1] == {
        "kind": "RESOLVED",
        "note": "统一维修屋面防水",
    }
    again = await run(done["case"]["version"], "RESOLVE")
    assert again["errors"][0]["code"] == "ILLEGAL_TRANSITION"
