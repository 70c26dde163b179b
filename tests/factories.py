"""Arrange data directly in the database (tests exercise reads through the API)."""

from __future__ import annotations

import datetime as dt
import itertools

import asyncpg

from validation.ids import make_resident_id

_sequence = itertools.count(1)

INSERT_RESIDENT = """
    INSERT INTO resident (household_id, name, gender, birth_date, id_number, phone, relation,
                          care_tags, is_party_member, roles, registered_here, lives_here)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::care_tag[], $9, $10::resident_role[], $11, $12)
    RETURNING id"""

PLACES = [
    ("51", "四川省", "province", None),
    ("5101", "成都市", "city", "51"),
    ("510129", "大邑县", "county", "5101"),
    ("510129101", "鹤鸣镇", "town", "510129"),
    ("510129102", "晋原街道", "town", "510129"),
    ("510129101201", "大坪村", "village", "510129101"),
    ("510129101202", "放牛村", "village", "510129101"),
    ("510129102001", "南湖社区", "village", "510129102"),
    ("510129101201-01", "一组院落", "compound", "510129101201"),
    ("510129101202-01", "放牛院落", "compound", "510129101202"),
    ("510129102001-03", "福康花园小区", "compound", "510129102001"),
    ("510129102001-03-05", "5栋", "building", "510129102001-03"),
]


async def add_areas(conn: asyncpg.Connection, places=PLACES) -> dict[str, int]:
    ids: dict[str, int] = {}
    for code, name, level, parent in places:
        ids[code] = await conn.fetchval(
            "INSERT INTO area (code, name, level, parent_id) VALUES ($1, $2, $3, $4) RETURNING id",
            code,
            name,
            level,
            ids.get(parent) if parent else None,
        )
    return ids


def resident_id(birth: dt.date, gender: str) -> str:
    n = next(_sequence)
    return (
        make_resident_id("510129", birth, n % 100, gender)
        if n < 100
        else make_resident_id(f"5101{n // 100 % 100:02d}", birth, n % 100, gender)
    )


async def add_household(
    conn: asyncpg.Connection,
    area_id: int,
    room: str,
    members: list[dict],
    unit: str | None = None,
) -> tuple[int, list[int]]:
    """A household and its members (the first is the head) in one transaction."""
    async with conn.transaction():
        hid = await conn.fetchval(
            "INSERT INTO household (area_id, unit, room) VALUES ($1, $2, $3) RETURNING id",
            area_id,
            unit,
            room,
        )
        rids = []
        for i, m in enumerate(members):
            birth = m.get("birth_date", dt.date(1970, 1, 1))
            gender = m.get("gender", "male")
            rids.append(
                await conn.fetchval(
                    INSERT_RESIDENT,
                    hid,
                    m["name"],
                    gender,
                    birth,
                    m.get("id_number", resident_id(birth, gender)),
                    m.get("phone"),
                    m.get("relation", "self" if i == 0 else "other"),
                    m.get("care_tags", []),
                    m.get("is_party_member", False),
                    m.get("roles", []),
                    m.get("registered_here", True),
                    m.get("lives_here", True),
                )
            )
    return hid, rids
