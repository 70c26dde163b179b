"""Who sees and changes which petitions: area scoping, residents' own and public
petitions (public events only), department officers' assigned petitions. Every read is
asked through both read paths, which must agree (the database decides)."""

from __future__ import annotations

import pytest

from tests.conftest import bearer
from tests.petitions_support import ADMIN, ask, codes, mutate, step, submit
from tests.test_reads import community, gid  # noqa: F401  (fixture)

GRID = bearer("grid_worker", "网格员", area="510129101201-01")
OFFICER = bearer("officer", "镇干部", area="510129101")
CIVIL = bearer("department_officer", "民政干部", department="civil_affairs")
HOUSING = bearer("department_officer", "住建干部", department="housing")
AUDITOR = bearer("auditor", "审计员")


@pytest.fixture
async def petitions(client, community):  # type: ignore[no-untyped-def]  # noqa: F811
    r = community["residents"]
    own = await submit(client, r[0], description="院坝路灯不亮")
    await mutate(
        client,
        "commentPetition",
        {"id": own["id"], "note": "内部：电工周三来", "visibility": "INTERNAL"},
    )
    other_village = await submit(client, r[3], isPublic=True, description="放牛村水渠堵塞")
    dept = await submit(
        client, r[4], isPublic=True, category="social_assistance", description="申请低保"
    )
    dept = await step(client, "triagePetition", dept, triage="MAJOR", reason="低保审批属民政")
    dept = await step(client, "assignPetition", dept, kind="DEPARTMENT", department="civil_affairs")
    public = await submit(
        client, None, area="510129101201-01", isPublic=True, description="村口垃圾堆放"
    )
    await mutate(
        client,
        "commentPetition",
        {"id": public["id"], "note": "内部备注", "visibility": "INTERNAL"},
    )
    await mutate(
        client,
        "commentPetition",
        {"id": public["id"], "note": "已通知保洁", "visibility": "PUBLIC"},
    )
    return {"own": own, "other_village": other_village, "dept": dept, "public": public}


LIST = """{ petitions(orderBy: {field: ID, direction: ASC}) { totalCount nodes { id description
    triageReason submitter { name } events { kind note visibility } } } }"""


def descriptions(data: dict) -> list[str]:
    return [n["description"] for n in data["petitions"]["nodes"]]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (GRID, ["院坝路灯不亮", "村口垃圾堆放"]),
        (OFFICER, ["院坝路灯不亮", "放牛村水渠堵塞", "村口垃圾堆放"]),
        (AUDITOR, ["院坝路灯不亮", "放牛村水渠堵塞", "申请低保", "村口垃圾堆放"]),
        (CIVIL, ["申请低保"]),
        (HOUSING, []),
    ],
    ids=["grid_worker", "officer", "auditor", "department_officer", "other_department"],
)
async def test_staff_see_their_area_or_department(client, petitions, who, expected) -> None:  # type: ignore[no-untyped-def]
    assert descriptions(await ask(client, LIST, headers=who)) == expected


async def test_resident_sees_own_household_and_public_in_village(  # type: ignore[no-untyped-def]
    client,
    community,  # noqa: F811
    petitions,
) -> None:
    me = bearer("resident", "王建国", household=community["households"][0])
    data = await ask(client, LIST, headers=me)
    assert descriptions(data) == ["院坝路灯不亮", "村口垃圾堆放"]
    own, public = data["petitions"]["nodes"]
    assert own["submitter"] == {"name": "王建国"}
    # internal events and the triage reason are hidden from residents
    assert [e["visibility"] for e in own["events"]] == ["PUBLIC"]
    assert [e["note"] for e in public["events"]] == [None, "已通知保洁"]
    assert public["submitter"] is None
    # another household of another village sees only its own
    other = bearer("resident", "张桂兰", household=community["households"][1])
    assert descriptions(await ask(client, LIST, headers=other)) == ["放牛村水渠堵塞"]


async def test_department_officer_sees_no_residents(client, petitions) -> None:  # type: ignore[no-untyped-def]
    data = await ask(
        client,
        "{ residents { totalCount } petitions { nodes { submitter { name } household { room } } } }"
        "",
        headers=CIVIL,
    )
    assert data["residents"]["totalCount"] == 0
    assert data["petitions"]["nodes"] == [{"submitter": None, "household": None}]


async def test_department_officer_handles_assigned_petitions(client, petitions) -> None:  # type: ignore[no-untyped-def]
    dept = petitions["dept"]
    assert codes(await step(client, "triagePetition", dept, CIVIL, triage="MINOR", reason="x")) == [
        "FORBIDDEN"
    ]
    assert codes(await step(client, "startPetition", dept, HOUSING)) == ["NOT_FOUND"]
    started = await step(client, "startPetition", dept, CIVIL)
    assert started["status"] == "IN_PROGRESS"
    done = await step(client, "resolvePetition", started, CIVIL, note="已纳入低保")
    assert done["status"] == "RESOLVED"
    assert done["events"][-1]["actor"] == "民政干部"


async def test_writes_outside_the_area_are_refused(client, community, petitions) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    other = petitions["other_village"]
    result = await step(client, "triagePetition", other, GRID, triage="MINOR", reason="x")
    assert codes(result) == ["NOT_FOUND"]
    outside = await mutate(
        client,
        "submitPetition",
        {
            "idempotencyKey": "g1",
            "channel": "GRID_VISIT",
            "categoryCode": "environment",
            "description": "x",
            "areaCode": "510129102001",
        },
        GRID,
    )
    assert codes(outside) == ["FORBIDDEN"]


async def test_resident_submits_for_own_household_only(client, community, petitions) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    me = bearer("resident", "王建国", household=community["households"][0])
    r = community["residents"]
    mine = await submit(client, r[1], headers=me, channel="ONLINE")
    assert mine["status"] == "RECEIVED"
    theirs = await mutate(
        client,
        "submitPetition",
        {
            "idempotencyKey": "r2",
            "channel": "ONLINE",
            "categoryCode": "noise",
            "description": "x",
            "submitterId": gid("Resident", r[3]),
        },
        me,
    )
    assert codes(theirs) == ["NOT_FOUND"]  # not visible to this resident at all
    # a resident co-signs a public petition of their village for their household
    signed = await mutate(
        client,
        "cosignPetition",
        {"id": petitions["public"]["id"], "residentIds": [gid("Resident", r[2])]},
        me,
    )
    assert [c["name"] for c in signed["cosigners"]] == ["王小明"]
    # and cannot triage anything
    assert codes(await step(client, "triagePetition", mine, me, triage="MINOR", reason="x")) == [
        "FORBIDDEN"
    ]


async def test_no_token_reads_nothing(client, petitions) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/graphql", json={"query": "{ petitions { totalCount } }"}, headers={"Authorization": ""}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_admin_sees_all(client, petitions) -> None:  # type: ignore[no-untyped-def]
    data = await ask(client, "{ petitions { totalCount } }", headers=ADMIN)
    assert data["petitions"]["totalCount"] == 4


async def test_event_by_id_under_the_subscriber_rls(database_url, db, community, petitions) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """What a subscription will do on NOTIFY: load the event as the subscriber."""
    from db.connect import create_pool
    from db.petitions import petition_event_by_id
    from db.session import Principal, Session

    rows = await db.fetch(
        "SELECT e.id, e.visibility::text AS v, p.description FROM petition_event e "
        "JOIN petition p ON p.id = e.petition_id ORDER BY e.id"
    )
    internal = next(
        r["id"] for r in rows if r["v"] == "internal" and r["description"] == "院坝路灯不亮"
    )
    public = next(
        r["id"] for r in rows if r["description"] == "院坝路灯不亮" and r["v"] == "public"
    )
    elsewhere = next(r["id"] for r in rows if r["description"] == "放牛村水渠堵塞")
    pool = await create_pool(database_url, min_size=1, max_size=2, app_role=True)
    try:
        me = Session(pool, Principal("王建国", "resident", household=community["households"][0]))
        async with me.transaction(read_only=True) as conn:
            found = await petition_event_by_id(conn, public)
            assert found is not None and found[1]["description"] == "院坝路灯不亮"
            assert await petition_event_by_id(conn, internal) is None
            assert await petition_event_by_id(conn, elsewhere) is None
        staff = Session(
            pool,
            Principal(
                "网格员",
                "grid_worker",
                scope=await db.fetchval(
                    "SELECT path::text FROM area WHERE code = '510129101201-01'"
                ),
            ),
        )
        async with staff.transaction(read_only=True) as conn:
            assert await petition_event_by_id(conn, internal) is not None
    finally:
        await pool.close()
