"""Mutations of households and residents through GraphQL over HTTP; state checked in the db."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import itertools

import asyncpg
import pytest

from db import community_writes as writes
from db.errors import CONSTRAINTS
from resolvers.community_checks import CODES
from schema.community_mutations import UserErrorCode
from tests.factories import add_areas, add_household
from validation.ids import make_resident_id

_sequence = itertools.count(1)

COMPOUND = "510129101201-01"  # 一组院落, in 大坪村
OTHER_COMPOUND = "510129101202-01"  # 放牛院落, in 放牛村
BUILDING = "510129102001-03-05"  # 5栋 of 福康花园小区
VILLAGE = "510129101201"  # 大坪村


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def new_id(birth: dt.date = dt.date(1980, 6, 15), gender: str = "male") -> str:
    """A valid ID number no factory hands out (the factories use Sichuan regions)."""
    return make_resident_id("500108", birth, next(_sequence) % 100, gender)


def bad_check_char(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


FAILED = "fragment Failed on MutationFailed { errors { code message field } }"
HOUSEHOLD = """fragment H on HouseholdPayload { household { id unit room updatedAt
    area { code } head { id name relation }
    members { id name gender birthDate idNumber phone relation } } }"""
RESIDENT = """fragment R on ResidentPayload { resident { id name gender birthDate idNumber
    phone relation careTags isPartyMember roles registeredHere livesHere updatedAt
    household { id } } }"""


def household_mutation(name: str, input_type: str) -> str:
    return f"""mutation($input: {input_type}!) {{
        result: {name}(input: $input) {{ __typename ...H ...Failed }} }} {HOUSEHOLD} {FAILED}"""


def resident_mutation(name: str, input_type: str) -> str:
    return f"""mutation($input: {input_type}!) {{
        result: {name}(input: $input) {{ __typename ...R ...Failed }} }} {RESIDENT} {FAILED}"""


CREATE = household_mutation("createHousehold", "CreateHouseholdInput")
UPDATE_HOUSEHOLD = household_mutation("updateHousehold", "UpdateHouseholdInput")
MOVE_HOUSEHOLD = household_mutation("moveHousehold", "MoveHouseholdInput")
SET_HEAD = household_mutation("setHouseholdHead", "SetHouseholdHeadInput")
ADD_RESIDENT = resident_mutation("addResident", "AddResidentInput")
UPDATE_RESIDENT = resident_mutation("updateResident", "UpdateResidentInput")
MOVE_RESIDENT = resident_mutation("moveResident", "MoveResidentInput")


async def run(gql, mutation: str, input: dict) -> dict:  # type: ignore[no-untyped-def]
    return (await gql(mutation, {"input": input}))["result"]


def errors(result: dict) -> set[tuple[str, str | None]]:
    assert result["__typename"] == "MutationFailed", result
    return {(e["code"], e["field"]) for e in result["errors"]}


async def counts(db: asyncpg.Connection) -> tuple[int, int, str]:
    """Households, residents, and a digest of every row, to show nothing changed."""
    return (
        await db.fetchval("SELECT count(*) FROM household"),
        await db.fetchval("SELECT count(*) FROM resident"),
        await db.fetchval(
            "SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM ("
            " SELECT row(h.*)::text AS x FROM household h"
            " UNION ALL SELECT row(r.*)::text FROM resident r) s"
        ),
    )


@pytest.fixture
async def community(db):  # type: ignore[no-untyped-def]
    areas = await add_areas(db)
    h1, r1 = await add_household(
        db,
        areas[COMPOUND],
        "3",
        [
            {"name": "王建国", "birth_date": dt.date(1950, 3, 1)},
            {
                "name": "李秀英",
                "gender": "female",
                "relation": "spouse",
                "birth_date": dt.date(1952, 5, 9),
            },
            {"name": "王小明", "relation": "grandchild", "birth_date": dt.date(2016, 4, 4)},
        ],
    )
    h2, r2 = await add_household(
        db,
        areas[BUILDING],
        "301",
        unit="2",
        members=[{"name": "陈刚", "birth_date": dt.date(1985, 7, 7), "phone": "13812345678"}],
    )
    return {"areas": areas, "households": [h1, h2], "residents": r1 + r2}


def head_input(**overrides: object) -> dict:
    return {"name": "赵大勇", "idNumber": new_id(dt.date(1978, 2, 3), "male"), **overrides}


# -- the error codes ---------------------------------------------------------------------


def test_error_codes_agree_across_layers() -> None:
    assert [c.value for c in UserErrorCode] == list(CODES)
    assert {code for code, _ in CONSTRAINTS.values()} <= set(CODES)


# -- createHousehold -------------------------------------------------------------------


async def test_create_household_with_members(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    head_number = new_id(dt.date(1978, 2, 3), "male")
    child_number = new_id(dt.date(2010, 9, 1), "female").lower()  # a lower-case x is fine
    result = await run(
        gql,
        CREATE,
        {
            "areaCode": BUILDING,
            "unit": " 1 ",
            "room": "502",
            "head": {"name": "赵大勇", "idNumber": head_number, "phone": "028-85123456"},
            "members": [
                {
                    "name": "钱丽",
                    "relation": "SPOUSE",
                    "gender": "FEMALE",
                    "birthDate": "1980-12-24",
                    "careTags": ["DISABLED"],
                },
                {"name": "赵小丽", "relation": "DAUGHTER", "idNumber": child_number},
            ],
        },
    )
    assert result["__typename"] == "HouseholdPayload", result
    household = result["household"]
    assert (household["area"]["code"], household["unit"], household["room"]) == (
        BUILDING,
        "1",
        "502",
    )
    assert household["head"]["name"] == "赵大勇" and household["head"]["relation"] == "SELF"
    members = {m["name"]: m for m in household["members"]}
    # birth date and gender derived from the ID number
    assert members["赵大勇"]["birthDate"] == "1978-02-03" and members["赵大勇"]["gender"] == "MALE"
    assert members["赵小丽"]["gender"] == "FEMALE" and members["赵小丽"]["idNumber"] == (
        child_number.upper()
    )
    assert members["钱丽"]["idNumber"] is None and members["钱丽"]["relation"] == "SPOUSE"

    key = int(base64.b64decode(household["id"]).decode().split(":")[1])
    stored = await db.fetch(
        "SELECT name, relation::text, area_path::text, care_tags::text[] FROM resident"
        " WHERE household_id = $1 ORDER BY id",
        key,
    )
    assert [(r["name"], r["relation"]) for r in stored] == [
        ("赵大勇", "self"),
        ("钱丽", "spouse"),
        ("赵小丽", "daughter"),
    ]
    assert stored[1]["care_tags"] == ["disabled"]
    building_path = await db.fetchval("SELECT path::text FROM area WHERE code = $1", BUILDING)
    assert {r["area_path"] for r in stored} == {building_path}


async def test_create_household_reports_every_problem_and_writes_nothing(
    gql, db, community
) -> None:  # type: ignore[no-untyped-def]
    before = await counts(db)
    shared = new_id()
    result = await run(
        gql,
        CREATE,
        {
            "areaCode": COMPOUND,
            "room": "",
            "head": {"name": "赵大勇", "idNumber": bad_check_char(new_id()), "phone": "12345"},
            "members": [
                {"name": "甲", "relation": "SELF", "idNumber": shared},
                {
                    "name": "乙",
                    "relation": "SON",
                    "idNumber": new_id(dt.date(2001, 1, 1), "male"),
                    "birthDate": "2001-01-02",
                    "gender": "FEMALE",
                    "phone": "1381234567",
                },
                {"name": "丙", "relation": "SON", "gender": "MALE"},
                {"name": "丁", "relation": "SON", "idNumber": shared},
                {
                    "name": " ",
                    "relation": "OTHER",
                    "idNumber": new_id(),
                    "livesHere": False,
                    "registeredHere": False,
                },
            ],
        },
    )
    assert errors(result) == {
        ("INVALID_INPUT", "room"),
        ("INVALID_ID_NUMBER", "head.idNumber"),
        ("INVALID_PHONE", "head.phone"),
        ("SECOND_HEAD", "members.0.relation"),
        ("ID_NUMBER_MISMATCH", "members.1.birthDate"),
        ("ID_NUMBER_MISMATCH", "members.1.gender"),
        ("INVALID_PHONE", "members.1.phone"),
        ("INVALID_INPUT", "members.2.birthDate"),
        ("DUPLICATE_ID_NUMBER", "members.3.idNumber"),
        ("INVALID_INPUT", "members.4.name"),
        ("INVALID_INPUT", "members.4.livesHere"),
    }
    messages = {e["field"]: e["message"] for e in result["errors"]}
    assert "check character is" in messages["head.idNumber"]
    assert "2001-01-01" in messages["members.1.birthDate"]
    assert "members.0" in messages["members.3.idNumber"]
    assert await counts(db) == before


async def test_create_household_area_problems(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    before = await counts(db)
    result = await run(
        gql, CREATE, {"areaCode": "510129999999-01", "room": "1", "head": head_input()}
    )
    assert errors(result) == {("UNKNOWN_AREA", "areaCode")}
    result = await run(gql, CREATE, {"areaCode": VILLAGE, "room": "1", "head": head_input()})
    assert errors(result) == {("WRONG_AREA_LEVEL", "areaCode")}
    assert "village" in result["errors"][0]["message"]
    assert await counts(db) == before


async def test_create_household_address_taken_and_duplicate_id(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    before = await counts(db)
    registered = await db.fetchval(
        "SELECT id_number FROM resident WHERE id = $1", community["residents"][0]
    )
    result = await run(
        gql,
        CREATE,
        {"areaCode": BUILDING, "unit": "2", "room": "301", "head": head_input(idNumber=registered)},
    )
    assert errors(result) == {
        ("ADDRESS_TAKEN", "room"),
        ("DUPLICATE_ID_NUMBER", "head.idNumber"),
    }
    taken = next(e for e in result["errors"] if e["code"] == "ADDRESS_TAKEN")
    assert gid("Household", community["households"][1]) in taken["message"]
    # same room in another unit is another address
    result = await run(
        gql, CREATE, {"areaCode": BUILDING, "unit": "3", "room": "301", "head": head_input()}
    )
    assert result["__typename"] == "HouseholdPayload"
    assert (await counts(db))[:2] == (before[0] + 1, before[1] + 1)


async def test_concurrent_creation_at_one_address(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    before = await counts(db)
    results = await asyncio.gather(
        *(
            run(gql, CREATE, {"areaCode": COMPOUND, "room": "88", "head": head_input()})
            for _ in range(2)
        )
    )
    assert sorted(r["__typename"] for r in results) == ["HouseholdPayload", "MutationFailed"]
    failed = next(r for r in results if r["__typename"] == "MutationFailed")
    assert errors(failed) == {("ADDRESS_TAKEN", "room")}
    assert (await counts(db))[:2] == (before[0] + 1, before[1] + 1)


async def test_database_backstop_when_checks_race(gql, db, community, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Both requests pass the address check (as in a race); the unique index decides."""

    async def nobody_lives_there(*args: object, **kwargs: object) -> None:
        return None

    monkeypatch.setattr(writes, "address_holder", nobody_lives_there)
    before = await counts(db)
    results = await asyncio.gather(
        *(
            run(gql, CREATE, {"areaCode": COMPOUND, "room": "77", "head": head_input()})
            for _ in range(2)
        )
    )
    assert sorted(r["__typename"] for r in results) == ["HouseholdPayload", "MutationFailed"]
    failed = next(r for r in results if r["__typename"] == "MutationFailed")
    assert failed["errors"] == [
        {
            "code": "ADDRESS_TAKEN",
            "field": "room",
            "message": "another household was registered at this address in the meantime",
        }
    ]
    assert (await counts(db))[:2] == (before[0] + 1, before[1] + 1)


async def test_unexpected_errors_are_masked_and_roll_back(gql, db, community, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def failing(conn, *args):  # type: ignore[no-untyped-def]
        await conn.execute("SELECT no_such_column FROM resident")

    before = await counts(db)
    monkeypatch.setattr(writes, "insert_resident", failing)
    body = await gql(
        CREATE,
        {"input": {"areaCode": COMPOUND, "room": "99", "head": head_input()}},
        errors_ok=True,
    )
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "no_such_column" not in error["message"] and "resident" not in error["message"]
    assert await counts(db) == before  # the household inserted first was rolled back


# -- updateHousehold / moveHousehold ------------------------------------------------------


async def test_update_household(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    h1, h2 = community["households"]
    result = await run(gql, UPDATE_HOUSEHOLD, {"id": gid("Household", h2), "room": "302"})
    assert result["household"]["unit"] == "2" and result["household"]["room"] == "302"
    result = await run(gql, UPDATE_HOUSEHOLD, {"id": gid("Household", h2), "unit": None})
    assert result["household"]["unit"] is None and result["household"]["room"] == "302"
    assert await db.fetchval(
        "SELECT unit IS NULL AND room = '302' FROM household WHERE id = $1", h2
    )

    before = await counts(db)
    # room 3 of the compound is h1's; room cannot be cleared
    await db.execute(
        "UPDATE household SET area_id = (SELECT area_id FROM household WHERE id = $1)"
        " WHERE id = $2",
        h1,
        h2,
    )
    result = await run(gql, UPDATE_HOUSEHOLD, {"id": gid("Household", h2), "room": "3"})
    assert errors(result) == {("ADDRESS_TAKEN", "room")}
    result = await run(gql, UPDATE_HOUSEHOLD, {"id": gid("Household", h2), "room": None})
    assert errors(result) == {("INVALID_INPUT", "room")}
    before = await counts(db)
    result = await run(gql, UPDATE_HOUSEHOLD, {"id": gid("Household", 999999), "room": "1"})
    assert errors(result) == {("NOT_FOUND", "id")}
    assert await counts(db) == before


async def test_stale_updates_are_refused(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    h2 = community["households"][1]
    read = await gql(
        "query($id: ID!) { household(id: $id) { updatedAt } }", {"id": gid("Household", h2)}
    )
    seen = read["household"]["updatedAt"]
    first = await run(
        gql,
        UPDATE_HOUSEHOLD,
        {"id": gid("Household", h2), "room": "303", "expectedUpdatedAt": seen},
    )
    assert first["__typename"] == "HouseholdPayload"
    second = await run(
        gql,
        UPDATE_HOUSEHOLD,
        {"id": gid("Household", h2), "room": "304", "expectedUpdatedAt": seen},
    )
    assert errors(second) == {("STALE", "expectedUpdatedAt")}
    assert await db.fetchval("SELECT room FROM household WHERE id = $1", h2) == "303"


SUBTREES = """query($a: String!, $b: String!) {
    a: area(code: $a) { residents { totalCount } households { totalCount } }
    b: area(code: $b) { residents { totalCount } households { totalCount } } }"""
VILLAGES = {"a": "510129101201", "b": "510129101202"}  # 大坪村, 放牛村


async def test_move_household(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    h1 = community["households"][0]
    before = await gql(SUBTREES, VILLAGES)
    assert before["a"]["households"]["totalCount"] == 1
    assert before["b"]["households"]["totalCount"] == 0
    result = await run(
        gql, MOVE_HOUSEHOLD, {"id": gid("Household", h1), "areaCode": OTHER_COMPOUND, "room": "12"}
    )
    household = result["household"]
    assert (household["area"]["code"], household["unit"], household["room"]) == (
        OTHER_COMPOUND,
        None,
        "12",
    )
    assert len(household["members"]) == 3
    after = await gql(SUBTREES, VILLAGES)
    assert after["a"]["households"]["totalCount"] == 0
    assert after["b"]["households"]["totalCount"] == 1

    before_rows = await counts(db)
    result = await run(
        gql, MOVE_HOUSEHOLD, {"id": gid("Household", h1), "areaCode": VILLAGE, "room": "12"}
    )
    assert errors(result) == {("WRONG_AREA_LEVEL", "areaCode")}
    result = await run(
        gql,
        MOVE_HOUSEHOLD,
        {"id": gid("Resident", h1), "areaCode": "nowhere", "room": "1", "unit": "x" * 21},
    )
    assert errors(result) == {
        ("NOT_FOUND", "id"),
        ("UNKNOWN_AREA", "areaCode"),
        ("INVALID_INPUT", "unit"),
    }
    assert await counts(db) == before_rows


async def test_move_household_moves_its_residents(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    h1 = community["households"][0]
    before = await gql(SUBTREES, VILLAGES)
    assert before["a"]["residents"]["totalCount"] == 3
    assert before["b"]["residents"]["totalCount"] == 0
    result = await run(
        gql, MOVE_HOUSEHOLD, {"id": gid("Household", h1), "areaCode": OTHER_COMPOUND, "room": "12"}
    )
    assert result["__typename"] == "HouseholdPayload"
    after = await gql(SUBTREES, VILLAGES)
    assert after["a"]["residents"]["totalCount"] == 0
    assert after["b"]["residents"]["totalCount"] == 3


# -- addResident -----------------------------------------------------------------------


async def test_add_resident(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    h1 = community["households"][0]
    number = new_id(dt.date(1990, 10, 10), "female")
    result = await run(
        gql,
        ADD_RESIDENT,
        {
            "householdId": gid("Household", h1),
            "relation": "DAUGHTER",
            "resident": {
                "name": "王芳",
                "idNumber": number,
                "phone": " 139 1234 5678 ",
                "roles": ["GRID_WORKER"],
                "isPartyMember": True,
                "livesHere": False,
            },
        },
    )
    resident = result["resident"]
    assert resident["household"]["id"] == gid("Household", h1)
    assert (resident["gender"], resident["birthDate"], resident["phone"]) == (
        "FEMALE",
        "1990-10-10",
        "13912345678",
    )
    assert resident["roles"] == ["GRID_WORKER"] and resident["livesHere"] is False
    assert await db.fetchval("SELECT count(*) FROM resident WHERE household_id = $1", h1) == 4


async def test_add_resident_problems(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    h1 = community["households"][0]
    r1 = community["residents"][0]
    registered = await db.fetchval("SELECT id_number FROM resident WHERE id = $1", r1)
    before = await counts(db)
    result = await run(
        gql,
        ADD_RESIDENT,
        {
            "householdId": gid("Household", h1),
            "relation": "SELF",
            "resident": {"name": "王二", "idNumber": registered},
        },
    )
    assert errors(result) == {
        ("SECOND_HEAD", "relation"),
        ("DUPLICATE_ID_NUMBER", "resident.idNumber"),
    }
    assert "setHouseholdHead" in next(
        e["message"] for e in result["errors"] if e["code"] == "SECOND_HEAD"
    )
    for household_id in (
        gid("Resident", r1),
        gid("Household", 424242),
        "garbage",
        gid("Household", "x"),
    ):
        result = await run(
            gql,
            ADD_RESIDENT,
            {
                "householdId": household_id,
                "relation": "SON",
                "resident": {"name": "王二", "idNumber": new_id()},
            },
        )
        assert errors(result) == {("NOT_FOUND", "householdId")}, household_id
    result = await run(
        gql,
        ADD_RESIDENT,
        {
            "householdId": gid("Household", h1),
            "relation": "SON",
            "resident": {"name": "王二", "birthDate": "2999-01-01"},
        },
    )
    assert errors(result) == {
        ("INVALID_INPUT", "resident.birthDate"),
        ("INVALID_INPUT", "resident.gender"),
    }
    assert await counts(db) == before


# -- updateResident --------------------------------------------------------------------


async def test_update_resident_changes_only_given_fields(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    chen = community["residents"][3]
    result = await run(
        gql,
        UPDATE_RESIDENT,
        {"id": gid("Resident", chen), "careTags": ["SUBSISTENCE_ALLOWANCE"], "isPartyMember": True},
    )
    resident = result["resident"]
    assert resident["phone"] == "13812345678" and resident["name"] == "陈刚"
    assert resident["careTags"] == ["SUBSISTENCE_ALLOWANCE"] and resident["isPartyMember"] is True

    result = await run(gql, UPDATE_RESIDENT, {"id": gid("Resident", chen), "phone": None})
    assert result["resident"]["phone"] is None
    assert result["resident"]["careTags"] == ["SUBSISTENCE_ALLOWANCE"]
    assert await db.fetchval("SELECT phone FROM resident WHERE id = $1", chen) is None

    # a new ID number brings its birth date and gender
    number = new_id(dt.date(1986, 8, 8), "female")
    result = await run(
        gql, UPDATE_RESIDENT, {"id": gid("Resident", chen), "idNumber": number, "name": "陈岚"}
    )
    assert (result["resident"]["birthDate"], result["resident"]["gender"]) == (
        "1986-08-08",
        "FEMALE",
    )
    # a birth date alone must agree with the stored ID number
    before = await counts(db)
    result = await run(
        gql, UPDATE_RESIDENT, {"id": gid("Resident", chen), "birthDate": "1986-08-09"}
    )
    assert errors(result) == {("ID_NUMBER_MISMATCH", "birthDate")}
    # clearing the ID number keeps birth date and gender, which may then change
    result = await run(
        gql,
        UPDATE_RESIDENT,
        {"id": gid("Resident", chen), "idNumber": None, "birthDate": "1986-08-09"},
    )
    assert (
        result["resident"]["idNumber"] is None and result["resident"]["birthDate"] == "1986-08-09"
    )
    assert (await counts(db))[:2] == before[:2]


async def test_update_resident_problems(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    wang, li = community["residents"][:2]
    taken = await db.fetchval("SELECT id_number FROM resident WHERE id = $1", li)
    before = await counts(db)
    result = await run(
        gql,
        UPDATE_RESIDENT,
        {
            "id": gid("Resident", wang),
            "name": None,
            "phone": "110",
            "idNumber": taken,
            "livesHere": False,
            "registeredHere": False,
            "roles": None,
        },
    )
    assert errors(result) == {
        ("INVALID_INPUT", "name"),
        ("INVALID_PHONE", "phone"),
        ("DUPLICATE_ID_NUMBER", "idNumber"),
        ("INVALID_INPUT", "livesHere"),
        ("INVALID_INPUT", "roles"),
    }
    result = await run(
        gql, UPDATE_RESIDENT, {"id": gid("Resident", wang), "idNumber": "51012919500301001"}
    )
    assert errors(result) == {("INVALID_ID_NUMBER", "idNumber")}
    assert "18 characters" in result["errors"][0]["message"]
    result = await run(gql, UPDATE_RESIDENT, {"id": gid("Household", wang), "name": "x"})
    assert errors(result) == {("NOT_FOUND", "id")}
    # the resident's own ID number is no duplicate
    own = await db.fetchval("SELECT id_number FROM resident WHERE id = $1", wang)
    result = await run(gql, UPDATE_RESIDENT, {"id": gid("Resident", wang), "idNumber": own})
    assert result["__typename"] == "ResidentPayload"
    assert (await counts(db))[:2] == before[:2]


# -- moveResident and setHouseholdHead -------------------------------------------------------


async def test_move_resident(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    h1, h2 = community["households"]
    _, li, xiaoming, _ = community["residents"]
    result = await run(
        gql,
        MOVE_RESIDENT,
        {"id": gid("Resident", xiaoming), "householdId": gid("Household", h2), "relation": "SON"},
    )
    assert result["resident"]["household"]["id"] == gid("Household", h2)
    assert result["resident"]["relation"] == "SON"
    row = await db.fetchrow(
        "SELECT r.household_id, r.area_path = h.area_path AS follows FROM resident r"
        " JOIN household h ON h.id = $2 WHERE r.id = $1",
        xiaoming,
        h2,
    )
    assert row["household_id"] == h2 and row["follows"]
    # a relation change in place
    result = await run(
        gql,
        MOVE_RESIDENT,
        {"id": gid("Resident", li), "householdId": gid("Household", h1), "relation": "OTHER"},
    )
    assert result["resident"]["relation"] == "OTHER"


async def test_move_resident_refuses_headless_and_second_heads(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    h1, h2 = community["households"]
    wang, li, _, _ = community["residents"]
    before = await counts(db)
    result = await run(
        gql,
        MOVE_RESIDENT,
        {"id": gid("Resident", wang), "householdId": gid("Household", h2), "relation": "PARENT"},
    )
    assert errors(result) == {("NO_HEAD", "id")}
    assert "setHouseholdHead" in result["errors"][0]["message"]
    result = await run(
        gql,
        MOVE_RESIDENT,
        {"id": gid("Resident", wang), "householdId": gid("Household", h1), "relation": "SPOUSE"},
    )
    assert errors(result) == {("NO_HEAD", "relation")}
    result = await run(
        gql,
        MOVE_RESIDENT,
        {"id": gid("Resident", li), "householdId": gid("Household", h2), "relation": "SELF"},
    )
    assert errors(result) == {("SECOND_HEAD", "relation")}
    result = await run(
        gql,
        MOVE_RESIDENT,
        {"id": gid("Resident", 31337), "householdId": gid("Area", 1), "relation": "SON"},
    )
    assert errors(result) == {("NOT_FOUND", "id"), ("NOT_FOUND", "householdId")}
    assert await counts(db) == before


async def test_deferred_violation_at_commit_is_a_typed_error(
    gql, db, community, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """With the Python check fooled, the deferred exclusion constraint fires at COMMIT."""

    async def no_heads(*args: object) -> list[int]:
        return []

    monkeypatch.setattr(writes, "household_heads", no_heads)
    h2 = community["households"][1]
    li = community["residents"][1]
    before = await counts(db)
    result = await run(
        gql,
        MOVE_RESIDENT,
        {"id": gid("Resident", li), "householdId": gid("Household", h2), "relation": "SELF"},
    )
    assert errors(result) == {("SECOND_HEAD", "relation")}
    assert await counts(db) == before


async def test_set_household_head_swaps_in_one_transaction(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    h1 = community["households"][0]
    wang, li, _, _ = community["residents"]
    result = await run(
        gql,
        SET_HEAD,
        {
            "householdId": gid("Household", h1),
            "residentId": gid("Resident", li),
            "formerHeadRelation": "SPOUSE",
        },
    )
    assert result["household"]["head"] == {
        "id": gid("Resident", li),
        "name": "李秀英",
        "relation": "SELF",
    }
    heads = await db.fetch(
        "SELECT id FROM resident WHERE household_id = $1 AND relation = 'self'", h1
    )
    assert [r["id"] for r in heads] == [li]
    assert await db.fetchval("SELECT relation::text FROM resident WHERE id = $1", wang) == "spouse"
    # the former head may now move out
    result = await run(
        gql,
        MOVE_RESIDENT,
        {
            "id": gid("Resident", wang),
            "householdId": gid("Household", community["households"][1]),
            "relation": "PARENT",
        },
    )
    assert result["__typename"] == "ResidentPayload"


async def test_set_household_head_problems(gql, db, community) -> None:  # type: ignore[no-untyped-def]
    h1 = community["households"][0]
    chen = community["residents"][3]
    before = await counts(db)
    result = await run(
        gql,
        SET_HEAD,
        {
            "householdId": gid("Household", h1),
            "residentId": gid("Resident", chen),
            "formerHeadRelation": "SELF",
        },
    )
    assert errors(result) == {
        ("NOT_A_MEMBER", "residentId"),
        ("INVALID_INPUT", "formerHeadRelation"),
    }
    result = await run(
        gql,
        SET_HEAD,
        {
            "householdId": gid("Household", 5555),
            "residentId": gid("Resident", 5555),
            "formerHeadRelation": "SON",
        },
    )
    assert errors(result) == {("NOT_FOUND", "householdId"), ("NOT_FOUND", "residentId")}
    assert await counts(db) == before


async def test_later_mutations_in_one_document_see_earlier_ones(gql, community) -> None:  # type: ignore[no-untyped-def]
    h1 = community["households"][0]

    def add(alias: str, name: str) -> str:
        return (
            f"{alias}: addResident(input: {{householdId: $h, relation: SON,"
            f' resident: {{name: "{name}", idNumber: ${alias}}}}})'
            " { ... on ResidentPayload { resident { household { members { name } } } } }"
        )

    data = await gql(
        f"mutation($h: ID!, $a: String!, $b: String!) {{ {add('a', '甲')} {add('b', '乙')} }}",
        {"h": gid("Household", h1), "a": new_id(), "b": new_id()},
    )
    assert len(data["a"]["resident"]["household"]["members"]) == 4
    assert len(data["b"]["resident"]["household"]["members"]) == 5
