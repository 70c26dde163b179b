"""``gongzhi seed --demo``: the demo county, through the CLI, checked in the database."""

from __future__ import annotations

import datetime as dt
import re

import asyncpg
import pytest

from db.seed.people import AS_OF, HOME_REGION, OTHER_REGIONS
from tests.factories import add_areas, add_household
from validation.ids import parse_resident_id

SCALE = "0.01"
HOUSEHOLDS = 1000  # 100,000 at scale 1
# The village's own code says whether it is a 村 (201-399) or a 社区 (001-199).
VILLAGE_OF = """
    JOIN area v ON v.level = 'village' AND v.path @> r.area_path"""
RURAL = "right(v.code, 3)::int >= 200"


def years_before_as_of(years: int) -> dt.date:
    return AS_OF.replace(year=AS_OF.year - years)


# Tests marked demo(SCALE) read a copy of one `seed --demo --scale SCALE` run (`seeded` is
# its output; tests/conftest.py); the tests below it run the command themselves.
seeded_copy = pytest.mark.demo(SCALE)


@seeded_copy
async def test_places_households_and_counts(seeded, db: asyncpg.Connection) -> None:
    levels = dict(await db.fetch("SELECT level::text, count(*) FROM area GROUP BY level"))
    assert levels["province"] == levels["city"] == levels["county"] == 1
    assert levels["town"] >= 2
    assert levels["village"] >= 5
    assert levels["compound"] >= levels["village"]
    assert levels["building"] >= 1
    assert await db.fetchval("SELECT code FROM area WHERE level = 'county'") == "510129"
    villages = await db.fetch("SELECT code, name FROM area WHERE level = 'village'")
    assert all(re.fullmatch(r"510129\d{6}", v["code"]) for v in villages)
    assert any(v["name"].endswith("村") for v in villages)
    assert any(v["name"].endswith("社区") for v in villages)

    households = await db.fetchval("SELECT count(*) FROM household")
    residents = await db.fetchval("SELECT count(*) FROM resident")
    assert households == HOUSEHOLDS
    assert 2.6 * households <= residents <= 3.4 * households
    # The summary reports what was stored.
    assert f"households  {households:,}" in seeded.stdout
    assert f"residents   {residents:,}" in seeded.stdout
    petitions = await db.fetchval("SELECT count(*) FROM petition")
    volunteers = await db.fetchval("SELECT count(*) FROM volunteer")
    assert petitions > 0 and volunteers > 0
    assert f"petition {petitions:,}," in seeded.stdout
    assert f"volunteer {volunteers:,}," in seeded.stdout

    # Households live in compounds or buildings; buildings have units, rural houses not.
    where = dict(
        await db.fetch(
            "SELECT a.level::text, count(*) FROM household h JOIN area a ON a.id = h.area_id "
            "GROUP BY 1"
        )
    )
    assert set(where) <= {"compound", "building"}
    assert await db.fetchval(
        "SELECT bool_and((h.unit IS NOT NULL) = (a.level = 'building'))"
        " FROM household h JOIN area a ON a.id = h.area_id"
    )
    per_building = await db.fetchval(
        "SELECT avg(n) FROM (SELECT count(*) AS n FROM household h"
        " JOIN area a ON a.id = h.area_id AND a.level = 'building' GROUP BY a.id) s"
    )
    assert 20 <= per_building <= 60


@seeded_copy
async def test_residents_are_consistent(seeded, db: asyncpg.Connection) -> None:
    assert (
        await db.fetchval(
            "SELECT count(*) FROM resident WHERE id_number IS NULL OR NOT gb11643_valid(id_number)"
        )
        == 0
    )
    rows = await db.fetch("SELECT id_number, birth_date, gender::text FROM resident")
    regions = {HOME_REGION, *OTHER_REGIONS}
    for r in rows:
        parsed = parse_resident_id(r["id_number"])
        assert (parsed.birth_date, parsed.gender) == (r["birth_date"], r["gender"])
        assert r["id_number"][:6] in regions
        assert r["birth_date"] < AS_OF
    home = sum(r["id_number"].startswith(HOME_REGION) for r in rows)
    assert 0.6 < home / len(rows) < 0.95

    # Exactly one head per household, and no empty household.
    assert (
        await db.fetchval(
            "SELECT count(*) FROM household h WHERE (SELECT count(*) FROM resident r"
            " WHERE r.household_id = h.id AND r.relation = 'self') <> 1"
        )
        == 0
    )
    # Gender follows relation; generations follow age.
    assert (
        await db.fetchval(
            "SELECT count(*) FROM resident WHERE (relation = 'son' AND gender <> 'male')"
            " OR (relation = 'daughter' AND gender <> 'female')"
        )
        == 0
    )
    checks = await db.fetchrow(
        """
        SELECT count(*) FILTER (WHERE r.relation = 'spouse' AND r.gender = h.gender) AS same,
               count(*) FILTER (WHERE r.relation IN ('son', 'daughter')
                                  AND r.birth_date < h.birth_date + interval '16 years')
                   AS old_children,
               count(*) FILTER (WHERE r.relation = 'grandchild'
                                  AND r.birth_date < h.birth_date + interval '30 years')
                   AS old_grandchildren,
               count(*) FILTER (WHERE r.relation = 'parent'
                                  AND r.birth_date > h.birth_date - interval '18 years')
                   AS young_parents
          FROM resident r JOIN resident h ON h.household_id = r.household_id
                                         AND h.relation = 'self'
        """
    )
    assert dict(checks) == {
        "same": 0,
        "old_children": 0,
        "old_grandchildren": 0,
        "young_parents": 0,
    }
    relations = dict(await db.fetch("SELECT relation::text, count(*) FROM resident GROUP BY 1"))
    assert {"self", "spouse", "son", "daughter", "grandchild", "parent"} <= set(relations)

    # Phones: most people, valid, and no mobile number shared.
    with_phone, mobiles, distinct, total = await db.fetchrow(
        "SELECT count(phone), count(*) FILTER (WHERE phone ~ '^1[3-9][0-9]{9}$'),"
        " count(DISTINCT phone) FILTER (WHERE phone ~ '^1'), count(*) FROM resident"
    )
    assert mobiles == distinct
    assert 0.75 <= with_phone / total <= 0.92
    assert 0.72 <= mobiles / total <= 0.92


@seeded_copy
async def test_residence_tags_and_roles(seeded, db: asyncpg.Connection) -> None:
    rates = await db.fetchrow(
        f"""
        SELECT avg((NOT lives_here)::int) FILTER (WHERE {RURAL}) AS rural_away,
               avg((NOT registered_here)::int) FILTER (WHERE NOT {RURAL}) AS urban_unregistered,
               avg(('disabled' = ANY(care_tags))::int) AS disabled,
               avg(('subsistence_allowance' = ANY(care_tags))::int) AS allowance,
               avg(('extreme_poverty' = ANY(care_tags))::int) AS extreme,
               avg(('poverty_alleviated' = ANY(care_tags))::int) FILTER (WHERE {RURAL})
                   AS alleviated_rural,
               count(*) FILTER (WHERE 'poverty_alleviated' = ANY(care_tags) AND NOT {RURAL})
                   AS alleviated_urban,
               count(*) FILTER (WHERE 'elderly_alone' = ANY(care_tags)) AS elderly_alone,
               count(*) FILTER (WHERE 'left_behind_child' = ANY(care_tags)) AS left_behind
          FROM resident r {VILLAGE_OF}
        """
    )
    assert 0.05 <= rates["rural_away"] <= 0.3
    assert 0.03 <= rates["urban_unregistered"] <= 0.25
    assert 0.025 <= rates["disabled"] <= 0.08
    assert 0.01 <= rates["allowance"] <= 0.07
    assert 0.001 <= rates["extreme"] <= 0.015
    assert 0.02 <= rates["alleviated_rural"] <= 0.10
    assert rates["alleviated_urban"] == 0
    assert rates["elderly_alone"] > 0
    assert rates["left_behind"] > 0

    # 独居老人: 70 or older, and nobody else in the household lives there.
    assert (
        await db.fetchval(
            """
        SELECT count(*) FROM resident r
         WHERE 'elderly_alone' = ANY(care_tags)
           AND (r.birth_date > $1 OR NOT r.lives_here
                OR EXISTS (SELECT 1 FROM resident o WHERE o.household_id = r.household_id
                             AND o.id <> r.id AND o.lives_here))
        """,
            years_before_as_of(70),
        )
        == 0
    )
    # 留守儿童: under 16 and at home, with parents away and someone else looking after them.
    assert (
        await db.fetchval(
            """
        SELECT count(*) FROM resident r
         WHERE 'left_behind_child' = ANY(care_tags)
           AND (r.birth_date <= $1 OR NOT r.lives_here
                OR EXISTS (SELECT 1 FROM resident p WHERE p.household_id = r.household_id
                             AND p.lives_here
                             AND p.relation = ANY(CASE WHEN r.relation = 'grandchild'
                                 THEN '{son,daughter,other}'::relation_to_head[]
                                 ELSE '{self,spouse}'::relation_to_head[] END))
                OR NOT EXISTS (SELECT 1 FROM resident c WHERE c.household_id = r.household_id
                                 AND c.lives_here AND c.birth_date <= $2))
        """,
            years_before_as_of(16),
            years_before_as_of(18),
        )
        == 0
    )

    # Party members: about 7% of adults, more among the old than the young.
    party = await db.fetchrow(
        """
        SELECT avg(is_party_member::int) FILTER (WHERE birth_date <= $1) AS adults,
               avg(is_party_member::int) FILTER (WHERE birth_date <= $2) AS older,
               avg(is_party_member::int) FILTER (WHERE birth_date BETWEEN $3 AND $1) AS younger,
               count(*) FILTER (WHERE is_party_member AND birth_date > $1) AS minors
          FROM resident
        """,
        years_before_as_of(18),
        years_before_as_of(60),
        years_before_as_of(40),
    )
    assert 0.04 <= party["adults"] <= 0.11
    assert party["older"] > party["younger"]
    assert party["minors"] == 0

    # One building head per building, living there; one courtyard head per compound
    # without buildings; grid workers and mediators in every village.
    assert (
        await db.fetchval(
            """
        SELECT count(*) FROM area a
         WHERE a.level = 'building'
           AND (SELECT count(*) FROM resident r JOIN household h ON h.id = r.household_id
                 WHERE h.area_id = a.id AND 'building_head' = ANY(r.roles)) <> 1
        """
        )
        == 0
    )
    assert await db.fetchval(
        "SELECT count(*) FROM resident WHERE 'building_head' = ANY(roles)"
    ) == await db.fetchval("SELECT count(*) FROM area WHERE level = 'building'")
    assert (
        await db.fetchval(
            """
        SELECT count(*) FROM area a
         WHERE a.level = 'compound' AND EXISTS (SELECT 1 FROM household WHERE area_id = a.id)
           AND (SELECT count(*) FROM resident r JOIN household h ON h.id = r.household_id
                 WHERE h.area_id = a.id AND 'courtyard_head' = ANY(r.roles)) <> 1
        """
        )
        == 0
    )
    per_village = await db.fetch(
        f"""
        SELECT v.code, count(*) FILTER (WHERE 'grid_worker' = ANY(r.roles)) AS grid,
               count(*) FILTER (WHERE 'mediator' = ANY(r.roles)) AS mediators
          FROM resident r {VILLAGE_OF} GROUP BY v.code
        """
    )
    assert per_village and all(v["grid"] >= 2 and v["mediators"] >= 1 for v in per_village)


SNAPSHOT = """
    SELECT a.code, h.unit, h.room, r.name, r.gender::text, r.birth_date, r.id_number, r.phone,
           r.relation::text, r.registered_here, r.lives_here, r.care_tags::text[],
           r.is_party_member, r.roles::text[]
      FROM resident r JOIN household h ON h.id = r.household_id JOIN area a ON a.id = h.area_id
     ORDER BY r.id_number"""


async def _snapshot(db: asyncpg.Connection) -> tuple[list, list]:
    areas = await db.fetch("SELECT code, name, level::text FROM area ORDER BY code")
    return [tuple(r) for r in areas], [tuple(r) for r in await db.fetch(SNAPSHOT)]


async def test_refuses_when_present_replaces_and_is_deterministic(
    cli, db: asyncpg.Connection
) -> None:
    assert cli("seed", "--demo", "--scale", SCALE, "--seed", "7").exit_code == 0
    first = await _snapshot(db)

    again = cli("seed", "--demo", "--scale", SCALE, "--seed", "7")
    assert again.exit_code == 1
    assert "already present" in again.stderr and "--replace" in again.stderr
    assert await _snapshot(db) == first

    replaced = cli("seed", "--demo", "--scale", SCALE, "--seed", "7", "--replace")
    assert replaced.exit_code == 0, replaced.stderr
    assert replaced.stdout.startswith("replaced 大邑县 (510129)")
    assert await _snapshot(db) == first  # the same seed gives the same data

    other = cli("seed", "--demo", "--scale", SCALE, "--seed", "8", "--replace")
    assert other.exit_code == 0, other.stderr
    _, residents = await _snapshot(db)
    assert residents != first[1]
    assert await db.fetchval("SELECT count(*) FROM household") == HOUSEHOLDS
    assert len(residents) == await db.fetchval("SELECT count(*) FROM resident")


async def test_joins_stored_places_and_leaves_other_data_alone(cli, db: asyncpg.Connection) -> None:
    areas = await add_areas(
        db,
        [
            ("51", "四川省", "province", None),
            ("5101", "成都市", "city", "51"),
            ("510115", "温江区", "county", "5101"),
            ("510115001", "柳城街道", "town", "510115"),
            ("510115001001", "光华社区", "village", "510115001"),
            ("510115001001-01", "光华苑", "compound", "510115001001"),
        ],
    )
    compound = areas["510115001001-01"]
    await add_household(db, compound, "12", [{"name": "杨光"}])

    assert cli("seed", "--demo", "--scale", SCALE, "--seed", "7").exit_code == 0
    wanted = await db.fetchval(
        "SELECT min(id_number) FROM resident WHERE area_path <> $1::text::ltree",
        await db.fetchval("SELECT path::text FROM area WHERE id = $1", compound),
    )
    assert cli("seed", "--demo", "--scale", SCALE, "--seed", "8", "--replace").exit_code == 0
    assert await db.fetchval("SELECT count(*) FROM resident WHERE id_number = $1", wanted) == 0
    # Someone outside the demo county now holds an ID number seed 7 hands out: seeding
    # must give that demo resident another one rather than fail on the unique key.
    parsed = parse_resident_id(wanted)
    person = {
        "name": "温小雨",
        "id_number": wanted,
        "birth_date": parsed.birth_date,
        "gender": parsed.gender,
    }
    await add_household(db, compound, "13", [person])

    result = cli("seed", "--demo", "--scale", SCALE, "--seed", "7", "--replace")
    assert result.exit_code == 0, result.stderr
    assert await db.fetchval("SELECT count(*) FROM area WHERE level IN ('province', 'city')") == 2
    outside = await db.fetch(
        "SELECT r.name, r.id_number FROM resident r JOIN household h ON h.id = r.household_id"
        " WHERE h.area_id = $1 ORDER BY r.name",
        compound,
    )
    assert [r["name"] for r in outside] == ["杨光", "温小雨"]
    assert await db.fetchval("SELECT count(*) FROM resident WHERE id_number = $1", wanted) == 1
    assert await db.fetchval("SELECT count(*) FROM household") == HOUSEHOLDS + 2


async def test_needs_demo_flag_and_a_sane_scale(cli, db: asyncpg.Connection) -> None:
    bare = cli("seed")
    assert bare.exit_code == 2
    assert "--demo" in bare.stderr
    too_big = cli("seed", "--demo", "--scale", "0")
    assert too_big.exit_code == 2
    assert "--scale" in too_big.stderr
    assert await db.fetchval("SELECT count(*) FROM area") == 0
