"""Reads of areas, households and residents through GraphQL over HTTP."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from tests.factories import add_areas, add_household


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def years_ago(years: int, days: int = 0) -> dt.date:
    today = dt.date.today()
    return today.replace(year=today.year - years) - dt.timedelta(days=days)


@pytest.fixture
async def community(db):  # type: ignore[no-untyped-def]
    areas = await add_areas(db)
    h1, r1 = await add_household(
        db,
        areas["510129101201-01"],
        "3",
        [
            {"name": "王建国", "birth_date": dt.date(1950, 3, 1), "is_party_member": True},
            {
                "name": "李秀英",
                "gender": "female",
                "relation": "spouse",
                "birth_date": dt.date(1952, 5, 9),
            },
            {
                "name": "王小明",
                "relation": "grandchild",
                "birth_date": years_ago(9),
                "care_tags": ["left_behind_child"],
            },
        ],
    )
    h2, r2 = await add_household(
        db,
        areas["510129101202-01"],
        "8",
        [
            {
                "name": "张桂兰",
                "gender": "female",
                "birth_date": dt.date(1940, 1, 2),
                "care_tags": ["elderly_alone", "subsistence_allowance"],
            },
        ],
    )
    h3, r3 = await add_household(
        db,
        areas["510129102001-03-05"],
        "301",
        unit="2",
        members=[
            {
                "name": "陈刚",
                "birth_date": dt.date(1985, 7, 7),
                "phone": "13812345678",
                "roles": ["building_head"],
                "is_party_member": True,
            },
            {
                "name": "刘芳",
                "gender": "female",
                "relation": "spouse",
                "birth_date": dt.date(1987, 2, 2),
            },
        ],
    )
    return {"areas": areas, "households": [h1, h2, h3], "residents": r1 + r2 + r3}


async def test_area_by_code_with_parent_children_and_ancestors(gql, community) -> None:  # type: ignore[no-untyped-def]
    data = await gql("""{ area(code: "510129101") { code name level
        parent { code } ancestors { code }
        children { totalCount nodes { code name level } } } }""")
    area = data["area"]
    assert area["name"] == "鹤鸣镇" and area["level"] == "TOWN"
    assert area["parent"] == {"code": "510129"}
    assert [a["code"] for a in area["ancestors"]] == ["51", "5101", "510129"]
    assert area["children"]["totalCount"] == 2
    assert [c["name"] for c in area["children"]["nodes"]] == ["大坪村", "放牛村"]


async def test_unknown_area_is_null(gql, community) -> None:  # type: ignore[no-untyped-def]
    assert (await gql('{ area(code: "999999") { code } }'))["area"] is None


async def test_subtree_households_and_residents_with_members(gql, community) -> None:  # type: ignore[no-untyped-def]
    data = await gql("""{ area(code: "510129101") {
        households { totalCount nodes { room area { code } head { name }
                     members { name relation age } } }
        residents { totalCount } } }""")
    households = data["area"]["households"]
    assert households["totalCount"] == 2
    first = households["nodes"][0]
    assert first["head"]["name"] == "王建国"
    assert [m["relation"] for m in first["members"]] == ["SELF", "SPOUSE", "GRANDCHILD"]
    assert first["members"][2]["age"] == 9
    assert data["area"]["residents"]["totalCount"] == 4


async def test_resident_filters(gql, community) -> None:  # type: ignore[no-untyped-def]
    query = """query($f: ResidentFilter) { residents(filter: $f) { totalCount nodes { name } } }"""

    async def names(f: dict) -> list[str]:
        return sorted(n["name"] for n in (await gql(query, {"f": f}))["residents"]["nodes"])

    assert await names({"careTagsAny": ["ELDERLY_ALONE", "LEFT_BEHIND_CHILD"]}) == [
        "张桂兰",
        "王小明",
    ]
    assert await names({"careTagsAll": ["ELDERLY_ALONE", "SUBSISTENCE_ALLOWANCE"]}) == ["张桂兰"]
    assert await names({"isPartyMember": True}) == ["王建国", "陈刚"]
    assert await names({"nameContains": "王"}) == ["王小明", "王建国"]
    assert await names({"ageMax": 9}) == ["王小明"]
    assert await names({"ageMin": 10, "ageMax": 45}) == ["刘芳", "陈刚"]
    assert await names({"areaCode": "510129102"}) == ["刘芳", "陈刚"]
    assert await names({"areaCode": "510129102", "gender": "FEMALE"}) == ["刘芳"]
    assert await names({"rolesAny": ["BUILDING_HEAD"]}) == ["陈刚"]


async def test_age_boundaries_are_whole_years(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    areas = community["areas"]
    await add_household(
        db,
        areas["510129101201-01"],
        "9",
        [
            {"name": "今天满六十", "birth_date": years_ago(60)},
            {
                "name": "明天满六十",
                "relation": "sibling",
                "birth_date": years_ago(60) + dt.timedelta(days=1),
            },
        ],
    )
    data = await gql(
        """{ residents(filter: {ageMin: 60, nameContains: "满六十"}) { nodes { name age } } }"""
    )
    assert data["residents"]["nodes"] == [{"name": "今天满六十", "age": 60}]


async def test_bad_filter_values_are_named(gql, community) -> None:  # type: ignore[no-untyped-def]
    body = await gql(
        "{ residents(filter: {ageMin: 50, ageMax: 20}) { totalCount } }", errors_ok=True
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "age_min" in body["errors"][0]["message"]
    body = await gql("{ residents(first: 100000) { totalCount } }", errors_ok=True)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


async def test_keyset_pagination_forward_and_backward(gql, community) -> None:  # type: ignore[no-untyped-def]
    query = """query($after: String, $before: String, $first: Int, $last: Int) {
      residents(orderBy: {field: BIRTH_DATE, direction: DESC}, first: $first, after: $after,
                last: $last, before: $before) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { name birthDate } } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await gql(query, {"first": 2, "after": after}))["residents"]
        seen += [e["node"]["birthDate"] for e in page["edges"]]
        assert page["totalCount"] == 6
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen, reverse=True) and len(seen) == 6
    back = (await gql(query, {"last": 2, "before": page["pageInfo"]["startCursor"]}))["residents"]
    assert [e["node"]["birthDate"] for e in back["edges"]] == seen[2:4]
    assert back["pageInfo"]["hasPreviousPage"] is True


async def test_cursor_from_another_order_is_refused(gql, community) -> None:  # type: ignore[no-untyped-def]
    page = (await gql("{ residents(first: 1) { pageInfo { endCursor } } }"))["residents"]
    body = await gql(
        "query($a: String) { residents(orderBy: {field: NAME}, after: $a) { totalCount } }",
        {"a": page["pageInfo"]["endCursor"]},
        errors_ok=True,
    )
    assert "orderBy ID" in body["errors"][0]["message"]


async def test_node_interface_and_typed_lookups(gql, community) -> None:  # type: ignore[no-untyped-def]
    rid = community["residents"][0]
    hid = community["households"][0]
    data = await gql(
        """query($r: ID!, $h: ID!) { node(id: $r) { __typename ... on Resident { name } }
           nodes(ids: [$h, $r]) { __typename id }
           resident(id: $r) { household { id } } }""",
        {"r": gid("Resident", rid), "h": gid("Household", hid)},
    )
    assert data["node"] == {"__typename": "Resident", "name": "王建国"}
    assert [n["__typename"] for n in data["nodes"]] == ["Household", "Resident"]
    assert data["resident"]["household"]["id"] == gid("Household", hid)
    body = await gql(
        "query($h: ID!) { resident(id: $h) { name } }", {"h": gid("Household", hid)}, errors_ok=True
    )
    assert "not a Resident" in body["errors"][0]["message"]


async def test_resident_stats_per_child_area(gql, community) -> None:  # type: ignore[no-untyped-def]
    data = await gql("""{ area(code: "510129") { residentStats { count partyMembers households }
        children { nodes { code residentStats {
          count byCareTag { tag count } byGender { gender count }
          byAgeBand { band count } } } } } }""")
    area = data["area"]
    assert area["residentStats"] == {"count": 6, "partyMembers": 2, "households": 3}
    towns = {t["code"]: t["residentStats"] for t in area["children"]["nodes"]}
    heming = towns["510129101"]
    assert heming["count"] == 4
    tags = {c["tag"]: c["count"] for c in heming["byCareTag"]}
    assert tags == {
        "ELDERLY_ALONE": 1,
        "LEFT_BEHIND_CHILD": 1,
        "DISABLED": 0,
        "SUBSISTENCE_ALLOWANCE": 1,
        "EXTREME_POVERTY": 0,
        "POVERTY_ALLEVIATED": 0,
    }
    assert {g["gender"]: g["count"] for g in heming["byGender"]} == {"MALE": 2, "FEMALE": 2}
    assert {b["band"]: b["count"] for b in heming["byAgeBand"]} == {
        "0-17": 1,
        "18-59": 0,
        "60-79": 2,
        "80+": 1,
    }
    assert towns["510129102"]["count"] == 2


async def test_root_stats_with_filter(gql, community) -> None:  # type: ignore[no-untyped-def]
    data = await gql("{ residentStats(filter: {ageMin: 60}) { count partyMembers } }")
    assert data["residentStats"] == {"count": 3, "partyMembers": 1}


async def test_list_filters_on_nested_fields(gql, community) -> None:  # type: ignore[no-untyped-def]
    data = await gql("""{ area(code: "510129") {
        residents(filter: {careTagsAny: [ELDERLY_ALONE]}) { totalCount }
        residentStats(filter: {careTagsAny: [LEFT_BEHIND_CHILD]}) { count }
        households(filter: {hasCareTag: [ELDERLY_ALONE]}) { nodes { room } } } }""")
    assert data["area"]["residents"]["totalCount"] == 1
    assert data["area"]["residentStats"]["count"] == 1
    assert data["area"]["households"]["nodes"] == [{"room": "8"}]
