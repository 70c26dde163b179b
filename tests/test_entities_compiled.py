"""``_entities`` (what a federation gateway sends) on the compiled path: one statement,
the same answer as Strawberry's resolvers, and unusual representations left to them."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import bearer
from tests.test_reads import community, gid  # noqa: F401  (fixture)

ENTITIES = """query($reps: [_Any!]!) { _entities(representations: $reps) {
    __typename
    ... on Resident { name idNumber household { room members { name } } }
    ... on Household { room unit head { name } }
    ... on Area { code name level residentStats { count households } } } }"""


async def both(client: httpx.AsyncClient, reps: list, headers: dict | None = None) -> tuple:
    """The default path's answer and which path gave it, checked against the resolvers'."""
    payload = {"query": ENTITIES, "variables": {"reps": reps}}
    first = await client.post("/graphql", json=payload, headers=headers or {})
    forced = await client.post(
        "/graphql", json=payload, headers={**(headers or {}), "x-gongzhi-execution": "resolver"}
    )
    assert json.dumps(first.json(), ensure_ascii=False) == json.dumps(
        forced.json(), ensure_ascii=False
    )
    return first.json(), first.headers["x-gongzhi-execution"]


async def test_entities_are_compiled_and_agree(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    wang = community["residents"][0]
    reps = [
        {"__typename": "Resident", "id": gid("Resident", wang)},
        {"__typename": "Household", "id": gid("Household", community["households"][1])},
        {"__typename": "Area", "code": "510129101"},
        {"__typename": "Area", "id": gid("Area", 1)},
        {"__typename": "Area", "code": "no-such-area"},
        {"__typename": "Resident", "id": gid("Resident", 999_999)},
        # a type the selection has no fragment for: an empty object when the row exists
        {"__typename": "Petition", "id": gid("Petition", 999_999)},
    ]
    body, path = await both(client, reps)
    assert path == "compiled"
    found = body["data"]["_entities"]
    assert found[0]["name"] == "王建国" and found[0]["household"]["room"] == "3"
    assert found[1]["__typename"] == "Household" and found[1]["head"] is not None
    assert found[2]["code"] == "510129101" and found[2]["residentStats"]["count"] > 0
    assert found[3]["__typename"] == "Area"
    assert found[4:] == [None, None, None]
    assert (await both(client, []))[0] == {"data": {"_entities": []}}


@pytest.mark.parametrize(
    "rep",
    [
        {"__typename": "Household", "id": gid("Resident", 1)},  # an id of another type
        {"__typename": "Resident", "id": "not-a-global-id"},
        {"__typename": "Resident", "id": gid("Resident", 1), "name": "x"},  # other fields
        {"__typename": "Nothing", "id": gid("Resident", 1)},
        {"__typename": "Resident"},
    ],
    ids=["other-type-id", "malformed-id", "extra-field", "unknown-type", "no-key"],
)
async def test_unusual_representations_are_left_to_the_resolvers(client, community, rep) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _, path = await both(client, [rep])
    assert path == "resolver"


async def test_entities_are_scoped_and_masked_on_the_compiled_path(  # type: ignore[no-untyped-def]
    anonymous_client,
    community,  # noqa: F811
) -> None:
    inside, outside = community["residents"][0], community["residents"][4]  # 王建国, 陈刚
    reps = [{"__typename": "Resident", "id": gid("Resident", k)} for k in (inside, outside)]
    officer = bearer("officer", "镇干部", area="510129101")
    body, path = await both(anonymous_client, reps, officer)
    assert path == "compiled"
    first, second = body["data"]["_entities"]
    assert first["name"] == "王建国" and "*" in first["idNumber"]  # officers see it masked
    assert second is None  # outside the officer's town
