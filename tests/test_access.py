"""Who may see what: tokens, roles, area scoping by row-level security, masking, audit log.

Every read is asked through both read paths (compiled SQL and Strawberry's resolvers) and
both must agree: the database enforces scope and masking, so neither path can forget.
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from gongzhi.auth import Claims, issue
from tests.conftest import TEST_SECRET, bearer
from tests.test_reads import community, gid  # noqa: F401  (fixture)


async def ask(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, variables: dict | None = None
) -> dict:
    """The response through both read paths, which must be identical."""
    payload = {"query": query, "variables": variables or {}}
    first = await client.post("/graphql", json=payload, headers=headers)
    forced = await client.post(
        "/graphql", json=payload, headers={**headers, "x-gongzhi-execution": "resolver"}
    )
    body = first.json()
    assert json.dumps(body, ensure_ascii=False) == json.dumps(forced.json(), ensure_ascii=False)
    return body


SEE = """{ residents(first: 50) { totalCount nodes { name idNumber phone } }
           households { totalCount }
           residentStats { count }
           area(code: "510129") { residents { totalCount } residentStats { count } } }"""

GRID = bearer("grid_worker", "网格员", area="510129101201-01")
COMMUNITY = bearer("community_worker", "社区干部", area="510129102001")
OFFICER = bearer("officer", "镇干部", area="510129101")
AUDITOR = bearer("auditor", "审计员")
DEPARTMENT = bearer("department_officer", "民政", department="civil_affairs")


def names(body: dict) -> list[str]:
    return sorted(n["name"] for n in body["data"]["residents"]["nodes"])


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (GRID, ["李秀英", "王小明", "王建国"]),
        (COMMUNITY, ["刘芳", "陈刚"]),
        (OFFICER, ["张桂兰", "李秀英", "王小明", "王建国"]),
        (AUDITOR, ["刘芳", "张桂兰", "李秀英", "王小明", "王建国", "陈刚"]),
        (DEPARTMENT, []),
    ],
    ids=["grid_worker", "community_worker", "officer", "auditor", "department_officer"],
)
async def test_each_role_sees_its_area_on_every_path(
    anonymous_client,
    community,  # noqa: F811
    headers,
    expected,  # type: ignore[no-untyped-def]
) -> None:
    body = await ask(anonymous_client, headers, SEE)
    assert "errors" not in body, body
    data = body["data"]
    assert names(body) == expected
    assert data["residents"]["totalCount"] == len(expected)
    # aggregates and nested connections are scoped by the same rules
    assert data["residentStats"]["count"] == len(expected)
    assert data["area"]["residents"]["totalCount"] == len(expected)
    assert data["area"]["residentStats"]["count"] == len(expected)


async def test_resident_sees_own_household(anonymous_client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    own = community["households"][0]
    headers = bearer("resident", "王建国", household=own)
    body = await ask(anonymous_client, headers, SEE)
    assert names(body) == ["李秀英", "王小明", "王建国"]
    assert body["data"]["households"]["totalCount"] == 1
    other = gid("Household", community["households"][1])
    body = await ask(
        anonymous_client, headers, "query($h: ID!) { node(id: $h) { id } }", {"h": other}
    )
    assert body["data"]["node"] is None


async def test_out_of_scope_lookups_return_nothing(anonymous_client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    outside_resident = gid("Resident", community["residents"][3])  # 张桂兰, 放牛村
    outside_household = gid("Household", community["households"][2])  # 南湖社区
    query = """query($r: ID!, $h: ID!) {
      resident(id: $r) { name } household(id: $h) { room }
      node(id: $r) { id } nodes(ids: [$r, $h]) { id }
      area(code: "510129101202-01") { households { totalCount } residents { totalCount } } }"""
    body = await ask(anonymous_client, GRID, query, {"r": outside_resident, "h": outside_household})
    data = body["data"]
    assert data["resident"] is None and data["household"] is None and data["node"] is None
    assert data["nodes"] == [None, None]
    assert data["area"]["households"]["totalCount"] == 0
    assert data["area"]["residents"]["totalCount"] == 0


async def test_entities_are_scoped_too(anonymous_client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    inside, outside = community["residents"][0], community["residents"][3]
    query = """query($reps: [_Any!]!) { _entities(representations: $reps) {
        ... on Resident { name } } }"""
    reps = [{"__typename": "Resident", "id": gid("Resident", k)} for k in (inside, outside)]
    response = await anonymous_client.post(
        "/graphql", json={"query": query, "variables": {"reps": reps}}, headers=GRID
    )
    assert response.json()["data"]["_entities"] == [{"name": "王建国"}, None]


async def test_masking_by_role(anonymous_client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    query = '{ residents(filter: {nameContains: "陈刚"}) { nodes { idNumber phone } } }'
    whole = (await ask(anonymous_client, COMMUNITY, query))["data"]["residents"]["nodes"][0]
    assert len(whole["idNumber"]) == 18 and "*" not in whole["idNumber"]
    assert whole["phone"] == "13812345678"
    for headers in (OFFICER, AUDITOR):
        body = await ask(anonymous_client, headers, query)
        nodes = body["data"]["residents"]["nodes"]
        if not nodes:  # the officer's town is not 陈刚's
            continue
        masked = nodes[0]
        assert masked["idNumber"] == whole["idNumber"][:6] + "*" * 8 + whole["idNumber"][-4:]
        assert masked["phone"] == "138****5678"


async def test_masked_values_cannot_be_filtered_or_ordered_on(anonymous_client) -> None:  # type: ignore[no-untyped-def]
    query = """{ f: __type(name: "ResidentFilter") { inputFields { name } }
                 o: __type(name: "ResidentOrderField") { enumValues { name } } }"""
    data = (await anonymous_client.post("/graphql", json={"query": query})).json()["data"]
    fields = {f["name"] for f in data["f"]["inputFields"]} | {
        v["name"] for v in data["o"]["enumValues"]
    }
    assert not {n for n in fields if "id" in n.lower() and "number" in n.lower()}
    assert not {n for n in fields if "phone" in n.lower()}


async def test_missing_token(anonymous_client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    body = (await anonymous_client.post("/graphql", json={"query": SEE})).json()
    assert body["data"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}
    # introspection and the federation SDL stay open (gateways compose without a token)
    open_query = "{ __schema { queryType { name } } _service { sdl } }"
    body = (await anonymous_client.post("/graphql", json={"query": open_query})).json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    assert "@key" in body["data"]["_service"]["sdl"]


def forged(role: str = "admin") -> str:
    claims = Claims(subject="mallory", role=role)
    return issue("not-the-key-" + "x" * 40, claims, dt.timedelta(hours=1))


def tampered() -> str:
    import base64

    real = issue(
        TEST_SECRET, Claims("w", "grid_worker", area="510129101201-01"), dt.timedelta(hours=1)
    )
    header, payload, signature = real.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged_payload}.{signature}"


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (lambda: f"Bearer {forged()}", "signature"),
        (lambda: f"Bearer {tampered()}", "signature"),
        (
            lambda: (
                "Bearer " + issue(TEST_SECRET, Claims("old", "admin"), dt.timedelta(seconds=-5))
            ),
            "expired",
        ),
        (lambda: "Basic dXNlcjpwYXNz", "Bearer"),
        (lambda: "Bearer not.a.token", "not valid"),
        (
            lambda: (
                "Bearer "
                + issue(TEST_SECRET, Claims("x", "officer", area="999999"), dt.timedelta(hours=1))
            ),
            "does not exist",
        ),
    ],
    ids=["forged", "tampered", "expired", "wrong-scheme", "garbage", "unknown-area"],
)
async def test_bad_tokens_are_refused(anonymous_client, community, authorization, reason) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    response = await anonymous_client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": authorization()}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert reason in error["message"]


CREATE = """mutation($in: CreateHouseholdInput!) { createHousehold(input: $in) {
  __typename ... on HouseholdPayload { household { id } }
  ... on MutationFailed { errors { code message } } } }"""


def new_household(area: str, room: str) -> dict:
    from validation.ids import make_resident_id

    number = make_resident_id("510129", dt.date(1980, 6, 1), 42, "male")
    return {"areaCode": area, "room": room, "head": {"name": "赵新", "idNumber": number}}


async def test_writes_outside_scope_or_role_are_forbidden(anonymous_client, community, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    before = await db.fetchval("SELECT count(*) FROM household")
    for headers, area in ((GRID, "510129101202-01"), (AUDITOR, "510129101201-01")):
        response = await anonymous_client.post(
            "/graphql",
            json={"query": CREATE, "variables": {"in": new_household(area, "99")}},
            headers=headers,
        )
        result = response.json()["data"]["createHousehold"]
        assert result["__typename"] == "MutationFailed"
        assert result["errors"][0]["code"] == "FORBIDDEN"
    assert await db.fetchval("SELECT count(*) FROM household") == before
    # an update of a row outside the area finds nothing to update
    outside = gid("Household", community["households"][1])
    update = """mutation($id: ID!) { updateHousehold(input: {id: $id, room: "1"}) {
        ... on MutationFailed { errors { code } } } }"""
    response = await anonymous_client.post(
        "/graphql", json={"query": update, "variables": {"id": outside}}, headers=GRID
    )
    assert response.json()["data"]["updateHousehold"]["errors"][0]["code"] == "NOT_FOUND"


async def test_each_mutation_leaves_one_audit_row(anonymous_client, community, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    response = await anonymous_client.post(
        "/graphql",
        json={"query": CREATE, "variables": {"in": new_household("510129101201-01", "12")}},
        headers=GRID,
    )
    household = response.json()["data"]["createHousehold"]["household"]["id"]
    update = """mutation($id: ID!) { updateHousehold(input: {id: $id, room: "12A"}) {
        __typename } }"""
    await anonymous_client.post(
        "/graphql", json={"query": update, "variables": {"id": household}}, headers=GRID
    )
    query = """{ auditLog { totalCount nodes { subject role operation targetType targetIds
                 before after } } }"""
    body = await ask(anonymous_client, AUDITOR, query)
    log = body["data"]["auditLog"]
    assert log["totalCount"] == 2
    newest, created = log["nodes"]
    assert (created["operation"], newest["operation"]) == ("createHousehold", "updateHousehold")
    assert created["subject"] == "网格员" and created["role"] == "grid_worker"
    assert created["targetIds"] == [household] and created["targetType"] == "Household"
    assert created["before"] == []
    tables = sorted(change["table"] for change in created["after"])
    assert tables == ["household", "resident"]
    head = next(c["row"] for c in created["after"] if c["table"] == "resident")
    assert "*" in head["id_number"]  # the log never holds a whole ID number
    assert newest["before"][0]["row"]["room"] == "12" and newest["after"][0]["row"]["room"] == "12A"
    # only auditors and admins read the log
    body = await ask(anonymous_client, GRID, "{ auditLog { totalCount } }")
    assert body["data"]["auditLog"]["totalCount"] == 0
    # and nobody rewrites it, the owner included
    with pytest.raises(Exception, match="append-only"):
        await db.execute("UPDATE audit_log SET subject = 'someone else'")
    with pytest.raises(Exception, match="append-only"):
        await db.execute("DELETE FROM audit_log")


async def test_refused_mutation_leaves_no_audit_row(anonymous_client, community, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    bad = new_household("510129101201-01", "13")
    bad["head"]["idNumber"] = "510129198006014211"  # wrong check character
    await anonymous_client.post(
        "/graphql", json={"query": CREATE, "variables": {"in": bad}}, headers=GRID
    )
    assert await db.fetchval("SELECT count(*) FROM audit_log") == 0


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        (bearer("grid_worker", "g", area="510129101201-01"), "FORBIDDEN"),  # other compound
        (bearer("community_worker", "c", area="510129102001"), "FORBIDDEN"),  # other village
        (bearer("officer", "o", area="510129102"), "FORBIDDEN"),  # other town
        (bearer("resident", "r", household=1), "FORBIDDEN"),
        (bearer("department_officer", "d", department="civil_affairs"), "FORBIDDEN"),
        (bearer("auditor", "a"), "FORBIDDEN"),
    ],
    ids=["grid_worker", "community_worker", "officer", "resident", "department", "auditor"],
)
async def test_no_role_writes_outside_its_area(
    anonymous_client,
    community,  # noqa: F811
    db,
    headers,
    code,  # type: ignore[no-untyped-def]
) -> None:
    before = await db.fetchval("SELECT count(*) FROM household")
    response = await anonymous_client.post(
        "/graphql",
        json={"query": CREATE, "variables": {"in": new_household("510129101202-01", "77")}},
        headers=headers,
    )
    result = response.json()["data"]["createHousehold"]
    assert result["__typename"] == "MutationFailed"
    assert result["errors"][0]["code"] == code
    assert await db.fetchval("SELECT count(*) FROM household") == before
    assert await db.fetchval("SELECT count(*) FROM audit_log") == 0


async def test_masking_holds_on_node_and_entities(anonymous_client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    key = community["residents"][4]  # 陈刚, with a phone
    node = gid("Resident", key)
    body = await ask(
        anonymous_client,
        AUDITOR,
        "query($id: ID!) { node(id: $id) { ... on Resident { idNumber phone } } }",
        {"id": node},
    )
    assert body["data"]["node"]["phone"] == "138****5678"
    entities = """query($reps: [_Any!]!) { _entities(representations: $reps) {
        ... on Resident { idNumber phone } } }"""
    response = await anonymous_client.post(
        "/graphql",
        json={"query": entities, "variables": {"reps": [{"__typename": "Resident", "id": node}]}},
        headers=AUDITOR,
    )
    found = response.json()["data"]["_entities"][0]
    assert found == body["data"]["node"]
    assert found["idNumber"][6:14] == "********"


async def test_production_mode_closes_graphiql_and_introspection(database_url: str) -> None:
    from asgi_lifespan import LifespanManager

    from gongzhi.app import create_app
    from gongzhi.settings import Settings

    settings = Settings(database_url=database_url, jwt_secret=TEST_SECRET, production=True)
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/graphql", headers={"Accept": "text/html"})
            assert page.status_code != 200 or "graphiql" not in page.text.lower()
            body = (
                await client.post(
                    "/graphql",
                    json={"query": "{ __schema { queryType { name } } }"},
                    headers=bearer("admin"),
                )
            ).json()
            assert "introspection" in body["errors"][0]["message"].lower()


def test_production_needs_a_configured_key() -> None:
    from pydantic import ValidationError

    from gongzhi.settings import Settings

    with pytest.raises(ValidationError, match="GONGZHI_JWT_SECRET"):
        Settings(production=True, jwt_secret=None)
