"""Federation proven with a real gateway.

gongzhi (`python -m gongzhi serve`), the example health subgraph and an Apollo gateway composing
both (tests/federation, node) run as subprocesses on free loopback ports; queries go through
the gateway and cross between the subgraphs in both directions. Entity resolution is also
checked directly against gongzhi's `_entities`.

Needs `npm ci --prefix tests/federation` first; without it these tests fail and say so.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from db import embedded
from tests import servers
from tests.conftest import bearer
from tests.factories import add_areas, add_household

# The health subgraph's deterministic fake data (tests/federation/health-subgraph.mjs).
DOCTORS = ["赵医生", "钱医生", "孙医生", "周医生", "吴医生", "郑医生", "冯医生"]
CONDITIONS = ["高血压", "糖尿病", "慢阻肺", "冠心病"]


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def expected_record(resident_pk: int) -> dict:
    checkup = dt.date(2024, 1, 1) + dt.timedelta(days=resident_pk * 37 % 365)
    return {
        "familyDoctor": DOCTORS[resident_pk % len(DOCTORS)],
        "chronicConditions": [c for bit, c in enumerate(CONDITIONS) if resident_pk >> bit & 1],
        "lastCheckup": checkup.isoformat(),
    }


@dataclass
class Community:
    areas: dict[str, int]
    households: dict[str, int]
    residents: dict[str, int]


async def arrange(url: str) -> Community:
    conn = await asyncpg.connect(url)
    try:
        areas = await add_areas(conn)
        h1, (r1, r2) = await add_household(
            conn,
            areas["510129101201-01"],
            "3",
            [
                {"name": "王建国", "birth_date": dt.date(1950, 3, 1)},
                {"name": "李秀英", "gender": "female", "relation": "spouse"},
            ],
        )
        h2, (r3,) = await add_household(
            conn, areas["510129101202-01"], "8", [{"name": "张桂兰", "gender": "female"}]
        )
        h3, (r4,) = await add_household(
            conn, areas["510129102001-03-05"], "301", [{"name": "陈刚"}], unit="2"
        )
    finally:
        await conn.close()
    return Community(
        areas=areas,
        households={"3": h1, "8": h2, "301": h3},
        residents={"王建国": r1, "李秀英": r2, "张桂兰": r3, "陈刚": r4},
    )


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def community_db(pg_server_url: str, template_database: str) -> Iterator[tuple[str, Community]]:
    """One migrated database with a few areas, households and residents, for the module.

    Module-scoped (unlike `database_url`) so the three servers start once for all tests here.
    """
    name = f"gongzhi_federation_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    url = embedded.with_database(pg_server_url, name)
    try:
        yield url, asyncio.run(arrange(url))
    finally:
        asyncio.run(_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Supergraph:
    gongzhi: servers.Server
    health: servers.Server
    gateway: servers.Server
    community: Community


@pytest.fixture(scope="module")
def supergraph(
    community_db: tuple[str, Community], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Supergraph]:
    servers.node_harness()  # fail first, with the install command, when npm ci was not run
    url, community = community_db
    logs: Path = tmp_path_factory.mktemp("federation-logs")
    with (
        servers.gongzhi(url, logs) as gongzhi,
        servers.node_server("health-subgraph.mjs", [], logs) as health,
        servers.node_server(
            "gateway.mjs", ["--gongzhi", gongzhi.url, "--health", health.url], logs
        ) as gateway,
    ):
        yield Supergraph(gongzhi, health, gateway, community)


def post(url: str, query: str, variables: dict | None = None) -> dict:
    """As an officer of the whole county: the gateway passes the token on to gongzhi."""
    response = httpx.post(
        url,
        json={"query": query, "variables": variables or {}},
        headers=bearer("officer", "county officer", area="510129"),
        timeout=15,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def test_gateway_started_so_our_sdl_composes(supergraph: Supergraph) -> None:
    sdl = post(supergraph.gongzhi.url, "{ _service { sdl } }")["_service"]["sdl"]
    assert 'url: "https://specs.apollo.dev/federation/v2.7"' in sdl
    assert 'type Area implements Node @key(fields: "id") @key(fields: "code")' in sdl
    assert 'type Resident implements Node @key(fields: "id")' in sdl
    assert 'type Household implements Node @key(fields: "id")' in sdl
    # the gateway is up only if composition succeeded; its schema holds both subgraphs' fields
    resident = post(supergraph.gateway.url, '{ __type(name: "Resident") { fields { name } } }')
    fields = {f["name"] for f in resident["__type"]["fields"]}
    assert {"name", "household", "healthRecord"} <= fields
    area = post(supergraph.gateway.url, '{ __type(name: "Area") { fields { name } } }')
    assert {"code", "residents", "clinics"} <= {f["name"] for f in area["__type"]["fields"]}


def test_query_from_gongzhi_into_health(supergraph: Supergraph) -> None:
    data = post(
        supergraph.gateway.url,
        """{ area(code: "510129101") {
              name level
              clinics { name kind beds }
              children { nodes { code clinics { kind } } }
              residents(first: 50) { totalCount nodes {
                id name household { room }
                healthRecord { familyDoctor chronicConditions lastCheckup } } } } }""",
    )
    area = data["area"]
    assert (area["name"], area["level"]) == ("鹤鸣镇", "TOWN")  # ours
    assert [c["kind"] for c in area["clinics"]] == ["TOWNSHIP_HEALTH_CENTRE"]  # theirs
    assert 20 <= area["clinics"][0]["beds"] < 60
    assert area["children"]["nodes"] == [
        {"code": "510129101201", "clinics": [{"kind": "VILLAGE_CLINIC"}]},
        {"code": "510129101202", "clinics": [{"kind": "VILLAGE_CLINIC"}]},
    ]
    residents = supergraph.community.residents
    nodes = area["residents"]["nodes"]
    assert area["residents"]["totalCount"] == 3
    assert sorted(n["name"] for n in nodes) == ["张桂兰", "李秀英", "王建国"]
    for node in nodes:
        pk = residents[node["name"]]
        assert node["id"] == gid("Resident", pk)
        assert node["healthRecord"] == expected_record(pk), node["name"]
    assert {n["name"]: n["household"]["room"] for n in nodes}["张桂兰"] == "8"


def test_query_from_health_into_gongzhi(supergraph: Supergraph) -> None:
    residents = supergraph.community.residents
    data = post(
        supergraph.gateway.url,
        """query($r: ID!, $gone: ID!) {
             clinicsIn(areaCodes: ["510129101", "510129102001", "510129101203"]) {
               id kind area { code name level parent { name } } }
             healthRecord(residentId: $r) {
               familyDoctor resident { name household { room area { name } } } }
             missing: healthRecord(residentId: $gone) { familyDoctor resident { name } } }""",
        {"r": gid("Resident", residents["陈刚"]), "gone": gid("Resident", 999_999)},
    )
    # Area resolved in gongzhi by its `code` key; an unknown code is null, not an error
    assert data["clinicsIn"] == [
        {
            "id": "510129101-H1",
            "kind": "TOWNSHIP_HEALTH_CENTRE",
            "area": {"code": "510129101", "name": "鹤鸣镇", "level": "TOWN",
                     "parent": {"name": "大邑县"}},
        },
        {
            "id": "510129102001-C1",
            "kind": "VILLAGE_CLINIC",
            "area": {"code": "510129102001", "name": "南湖社区", "level": "VILLAGE",
                     "parent": {"name": "晋原街道"}},
        },
        {"id": "510129101203-C1", "kind": "VILLAGE_CLINIC", "area": None},
    ]  # fmt: skip
    # Resident resolved in gongzhi by its `id` key
    assert data["healthRecord"] == {
        "familyDoctor": expected_record(residents["陈刚"])["familyDoctor"],
        "resident": {"name": "陈刚", "household": {"room": "301", "area": {"name": "5栋"}}},
    }
    assert data["missing"]["resident"] is None


def test_entities_resolve_directly_against_gongzhi(supergraph: Supergraph) -> None:
    community = supergraph.community
    representations = [
        {"__typename": "Resident", "id": gid("Resident", community.residents["李秀英"])},
        {"__typename": "Household", "id": gid("Household", community.households["301"])},
        {"__typename": "Area", "id": gid("Area", community.areas["510129101201"])},
        {"__typename": "Area", "code": "510129102001-03"},
        {"__typename": "Area", "code": "no-such-area"},
        {"__typename": "Resident", "id": gid("Resident", 999_999)},
    ]
    data = post(
        supergraph.gongzhi.url,
        """query($representations: [_Any!]!) { _entities(representations: $representations) {
             __typename
             ... on Resident { name household { room } }
             ... on Household { room unit members { name } }
             ... on Area { code name level } } }""",
        {"representations": representations},
    )
    assert data["_entities"] == [
        {"__typename": "Resident", "name": "李秀英", "household": {"room": "3"}},
        {"__typename": "Household", "room": "301", "unit": "2", "members": [{"name": "陈刚"}]},
        {"__typename": "Area", "code": "510129101201", "name": "大坪村", "level": "VILLAGE"},
        {"__typename": "Area", "code": "510129102001-03", "name": "福康花园小区",
         "level": "COMPOUND"},
        None,
        None,
    ]  # fmt: skip
