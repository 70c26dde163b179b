"""The resident tally (migration 0012) follows every write, and dashboards read it.

After each write the tally must equal a fresh count of the residents (``drift`` is 0),
and the dashboard query the ``gql`` fixture sends twice must agree between the compiled
path (summing the tally) and the resolver path (counting residents).
"""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg
import pytest

from db import resident_tally
from tests.audit_support import found, run
from tests.paths import COMPILED
from tests.test_mutations import (  # noqa: F401  (community: a fixture)
    ADD_RESIDENT,
    BUILDING,
    COMPOUND,
    CREATE,
    MOVE_HOUSEHOLD,
    MOVE_RESIDENT,
    OTHER_COMPOUND,
    SET_HEAD,
    UPDATE_RESIDENT,
    community,
    gid,
    new_id,
)
from tests.test_mutations import run as mutate

TOWN = "510129101"  # 鹤鸣镇: both compounds; the building is in another town
DASHBOARD = """query($code: String!) { area(code: $code) {
    residentStats { count households partyMembers byGender { gender count }
                    byCareTag { tag count } }
    children { nodes { code residentStats { count households byCareTag { tag count } } } } } }"""


async def figures(gql, code: str = TOWN) -> dict:  # type: ignore[no-untyped-def]
    """The dashboard, asked through both read paths (the fixture compares them)."""
    return (await gql(DASHBOARD, {"code": code}))["area"]


async def test_tally_follows_every_mutation(gql, db, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    h1, h2 = community["households"]
    _, li, xiaoming, _ = community["residents"]
    start = (await figures(gql))["residentStats"]
    assert (start["count"], start["households"]) == (3, 1)

    created = await mutate(
        gql,
        CREATE,
        {
            "areaCode": OTHER_COMPOUND,
            "room": "9",
            "head": {"name": "赵大勇", "idNumber": new_id(dt.date(1978, 2, 3), "male")},
            "members": [
                {
                    "name": "钱丽",
                    "relation": "SPOUSE",
                    "gender": "FEMALE",
                    "birthDate": "1980-12-24",
                    "careTags": ["DISABLED", "SUBSISTENCE_ALLOWANCE"],
                }
            ],
        },
    )
    assert created["__typename"] == "HouseholdPayload", created
    assert await resident_tally.drift(db) == 0

    added = await mutate(
        gql,
        ADD_RESIDENT,
        {
            "householdId": gid("Household", h1),
            "relation": "DAUGHTER",
            "resident": {
                "name": "王芳",
                "idNumber": new_id(dt.date(1990, 10, 10), "female"),
                "isPartyMember": True,
                "careTags": ["LEFT_BEHIND_CHILD"],
            },
        },
    )
    assert added["__typename"] == "ResidentPayload", added
    assert await resident_tally.drift(db) == 0

    updated = await mutate(
        gql,
        UPDATE_RESIDENT,
        {"id": gid("Resident", li), "careTags": ["ELDERLY_ALONE"], "isPartyMember": True},
    )
    assert updated["__typename"] == "ResidentPayload", updated
    assert await resident_tally.drift(db) == 0

    # to a household in another town, then the head handed over
    moved = await mutate(
        gql,
        MOVE_RESIDENT,
        {"id": gid("Resident", xiaoming), "householdId": gid("Household", h2), "relation": "SON"},
    )
    assert moved["__typename"] == "ResidentPayload", moved
    handed = await mutate(
        gql,
        SET_HEAD,
        {
            "householdId": gid("Household", h1),
            "residentId": gid("Resident", li),
            "formerHeadRelation": "SPOUSE",
        },
    )
    assert handed["__typename"] == "HouseholdPayload", handed
    assert await resident_tally.drift(db) == 0

    # the whole household (three members) to the other village's compound
    relocated = await mutate(
        gql, MOVE_HOUSEHOLD, {"id": gid("Household", h1), "areaCode": OTHER_COMPOUND, "room": "3"}
    )
    assert relocated["__typename"] == "HouseholdPayload", relocated
    assert await resident_tally.drift(db) == 0

    town = await figures(gql)
    stats = town["residentStats"]
    # 王建国, 李秀英, 王芳 (王小明 left for the building) + 赵大勇, 钱丽
    assert (stats["count"], stats["households"], stats["partyMembers"]) == (5, 2, 2)
    tags = {t["tag"]: t["count"] for t in stats["byCareTag"]}
    assert (tags["DISABLED"], tags["ELDERLY_ALONE"], tags["LEFT_BEHIND_CHILD"]) == (1, 1, 1)
    villages = {v["code"]: v["residentStats"]["count"] for v in town["children"]["nodes"]}
    assert (villages[COMPOUND[:12]], villages[OTHER_COMPOUND[:12]]) == (0, 5)


async def test_tally_follows_set_based_writes(gql, db, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Statements that touch many residents at once, as an import or a cleanup would."""
    h1, h2 = community["households"]
    await db.execute(
        "UPDATE resident SET care_tags = '{disabled,disabled,elderly_alone}',"
        " is_party_member = NOT is_party_member WHERE household_id = $1",
        h1,
    )
    assert await resident_tally.drift(db) == 0
    tags = {t["tag"]: t["count"] for t in (await figures(gql))["residentStats"]["byCareTag"]}
    assert tags["DISABLED"] == 3  # a tag listed twice counts a resident once

    # a household's area changes: its members' paths follow (household_after_move)
    other = await db.fetchval("SELECT id FROM area WHERE code = $1", OTHER_COMPOUND)
    await db.execute("UPDATE household SET area_id = $2, room = '77' WHERE id = $1", h1, other)
    assert await resident_tally.drift(db) == 0

    await db.execute("DELETE FROM household WHERE id = $1", h2)  # members go with it
    assert await resident_tally.drift(db) == 0
    assert (await figures(gql, BUILDING[:12]))["residentStats"]["count"] == 0

    # TRUNCATE empties it too (cascading to append-only histories, so their guards are
    # lifted for the statement and everything rolled back after)
    transaction = db.transaction()
    await transaction.start()
    try:
        guards = await db.fetch(
            "SELECT tgrelid::regclass::text AS tab, tgname FROM pg_trigger"
            " WHERE tgname LIKE '%no_truncate'"
        )
        for guard in guards:
            await db.execute(f"ALTER TABLE {guard['tab']} DISABLE TRIGGER {guard['tgname']}")
        await db.execute("TRUNCATE resident CASCADE")
        assert await db.fetchval("SELECT count(*) FROM resident_tally") == 0
    finally:
        await transaction.rollback()
    assert await db.fetchval("SELECT count(*) FROM resident_tally") > 0


async def test_concurrent_writers_lose_no_count(gql, db, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Twenty residents added at once to one household: every addition is counted."""
    h1 = community["households"][0]

    async def add(i: int) -> str:
        result = await mutate(
            gql,
            ADD_RESIDENT,
            {
                "householdId": gid("Household", h1),
                "relation": "OTHER",
                "resident": {
                    "name": f"住户{i}",
                    "gender": "MALE",
                    "birthDate": "1950-01-01",
                    "careTags": ["ELDERLY_ALONE"],
                },
            },
        )
        return str(result["__typename"])

    assert await asyncio.gather(*(add(i) for i in range(20))) == ["ResidentPayload"] * 20
    assert await resident_tally.drift(db) == 0
    stats = (await figures(gql))["residentStats"]
    assert stats["count"] == 23
    assert {t["tag"]: t["count"] for t in stats["byCareTag"]}["ELDERLY_ALONE"] == 20


async def test_drift_is_found_by_r7_and_recounted(db, database_url, cli, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Writes with triggers off (a restore, a replica) leave the tally behind."""
    h1 = community["households"][0]
    async with db.transaction():
        await db.execute("SET LOCAL session_replication_role = replica")
        await db.execute("UPDATE resident SET is_party_member = true WHERE household_id = $1", h1)
    assert await resident_tally.drift(db) == 1  # the compound's party members

    run_id = await run(database_url, suites=["residents"])
    assert (await found(db, run_id))["R7"] == {COMPOUND}
    message = await db.fetchval(
        "SELECT message FROM audit_finding WHERE run_id = $1 AND rule = 'R7'", run_id
    )
    assert "party_members 0/3" in message, message

    result = cli("audit", "rebuild-tally")
    assert result.exit_code == 0, result.stderr
    assert "(1 disagreed with the residents)" in result.stdout
    assert await resident_tally.drift(db) == 0
    run_id = await run(database_url, suites=["residents"])
    assert (await found(db, run_id))["R7"] == set()


async def test_the_service_role_cannot_write_the_tally(db) -> None:  # type: ignore[no-untyped-def]
    async with db.transaction():
        await db.execute("SET LOCAL ROLE gongzhi_app")
        await db.execute("SET LOCAL gongzhi.role = 'admin'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await db.execute("INSERT INTO resident_tally (area_path, residents) VALUES ('x', 1)")


def test_unfiltered_figures_read_the_tally_others_count_residents() -> None:
    def sql(selection: str) -> str:
        compiled, _ = COMPILED.prepare(f'{{ area(code: "51") {{ {selection} }} }}', None, None)
        return compiled.sql

    assert "resident_tally" in sql("residentStats { count byCareTag { count } }")
    assert "resident_tally" in sql("residentStats { partyMembers byGender { gender count } }")
    # age bands depend on the day; filters on the residents themselves
    assert "resident_tally" not in sql("residentStats { count byAgeBand { count } }")
    assert "resident_tally" not in sql("residentStats(filter: {ageMin: 60}) { count }")


async def test_every_gender_and_care_tag_has_a_tally_column(db) -> None:  # type: ignore[no-untyped-def]
    """A migration adding an enum value must add its column (and the trigger's sum)."""
    columns = {
        r["column_name"]
        for r in await db.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'resident_tally'"
        )
    }
    values = await db.fetch(
        "SELECT 'gender_' || g AS c FROM unnest(enum_range(NULL::gender)) g"
        " UNION ALL SELECT 'care_tag_' || t FROM unnest(enum_range(NULL::care_tag)) t"
    )
    assert {r["c"] for r in values} <= columns


async def test_age_bands_are_counted_on_both_paths(gql, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Age bands depend on the day: asked for (here through a fragment), both paths count
    residents; the gql fixture compares them, and the bands add up to the count."""
    data = await gql(
        """query($code: String!) { area(code: $code) { residentStats { count ...Bands } } }
           fragment Bands on ResidentStats { byAgeBand { band count } }""",
        {"code": TOWN},
    )
    stats = data["area"]["residentStats"]
    assert sum(b["count"] for b in stats["byAgeBand"]) == stats["count"] == 3
