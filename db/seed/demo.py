"""The demo dataset: generate the demo county and store it in one transaction.

Areas go in with one INSERT per level (a child's trigger needs its parent stored);
households and residents with COPY, village by village. The database's own rules run
on every row (area paths, ID number checks, one head per household), so what the demo
stores is exactly what any other writer could have stored.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from db.seed import enterprises, volunteers
from db.seed.grid import delete_grid, seed_grid
from db.seed.people import AS_OF, HOME_REGION, OTHER_REGIONS, Household, PeopleGenerator
from db.seed.petitions import seed_petitions
from db.seed.places import COUNTY, Plan, plan

DEFAULT_SEED = 20261123
# Serialises concurrent seeds: the second waits, then finds the first one's data.
_LOCK_KEY = 0x5EED_0510129

_LEVELS = ("province", "city", "county", "town", "village", "compound", "building")
_HOUSEHOLD_COLUMNS = ("id", "area_id", "unit", "room")
_RESIDENT_COLUMNS = (
    "household_id",
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "relation",
    "registered_here",
    "lives_here",
    "care_tags",
    "is_party_member",
    "roles",
)
# The deferred head-of-household checks, fired town by town rather than all at commit:
# the queue of pending checks stays small and the progress bar shows where time goes.
_HEAD_CHECKS = "household_one_head, resident_one_head, resident_keeps_one_head"
_DEMO_PATH = "(SELECT path FROM area WHERE code = $1)"


@dataclass(frozen=True)
class Existing:
    """What is stored under the demo county."""

    name: str
    areas: int
    households: int
    residents: int

    def describe(self) -> str:
        return (
            f"{self.name} ({COUNTY[0]}) with {self.areas:,} areas, "
            f"{self.households:,} households and {self.residents:,} residents"
        )


class DemoPresent(Exception):
    def __init__(self, existing: Existing) -> None:
        super().__init__(f"demo data is already present: {existing.describe()}")
        self.existing = existing


class AreaConflict(Exception):
    """A stored area has a demo code but another level, so the tree cannot be joined."""


@dataclass
class Summary:
    scale: float
    seed: int
    elapsed: float = 0.0
    replaced: Existing | None = None
    areas: dict[str, int] = field(default_factory=dict)
    households: int = 0
    residents: int = 0
    adults: int = 0
    party_members: int = 0
    with_phone: int = 0
    care_tags: dict[str, int] = field(default_factory=dict)
    roles: dict[str, int] = field(default_factory=dict)
    # rows of the other domains under the county, by table
    domains: dict[str, int] = field(default_factory=dict)


# what the summary counts of the domains seeded on top of households and residents
DOMAIN_TABLES = (
    "petition",
    "petition_event",
    "collective_enterprise",
    "dividend_line",
    "volunteer",
    "service_record",
    "grid_node",
    "grid_visit",
    "need",
    "micro_project",
)


def generate(
    scale: float, seed: int, taken_ids: set[str]
) -> tuple[Plan, Iterator[list[Household]]]:
    """The demo county's plan, and its households village by village (in plan order).

    ``taken_ids`` (ID numbers stored elsewhere) are avoided and grow by every number
    handed out. Households are drawn lazily so that storing one village can overlap
    drawing the next.
    """
    rng = random.Random(seed)
    places = plan(rng, scale)
    people = PeopleGenerator(rng, taken_ids)
    return places, (people.village(v) for v in places.villages)


async def existing_demo(conn: asyncpg.Connection) -> Existing | None:
    row = await conn.fetchrow(
        f"""
        SELECT a.name,
               (SELECT count(*) FROM area WHERE path <@ {_DEMO_PATH}) AS areas,
               (SELECT count(*) FROM household WHERE area_path <@ {_DEMO_PATH}) AS households,
               (SELECT count(*) FROM resident WHERE area_path <@ {_DEMO_PATH}) AS residents
          FROM area a WHERE a.code = $1
        """,
        COUNTY[0],
    )
    return None if row is None else Existing(**dict(row))


async def seed_demo(
    url: str, *, scale: float, seed: int, replace: bool, show_progress: bool = False
) -> Summary:
    """Generate and store the demo county; DemoPresent when it is there and not
    ``replace``. Replacing deletes the old subtree in the same transaction."""
    started = time.perf_counter()
    summary = Summary(scale, seed)
    conn = await asyncpg.connect(url)
    try:
        found = await existing_demo(conn)
        if found is not None and not replace:
            raise DemoPresent(found)  # before a minute of work, not after
        places, villages = generate(scale, seed, await _taken_ids(conn))
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            found = await existing_demo(conn)
            if found is not None:
                if not replace:
                    raise DemoPresent(found)
                await _delete(conn)
                summary.replaced = found
            await _store(conn, places, villages, show_progress)
            await seed_petitions(conn, COUNTY[0], seed)
            await seed_grid(conn, COUNTY[0], seed)
            await enterprises.seed(conn, COUNTY[0], random.Random(seed))
            await volunteers.store(conn, COUNTY[0], seed)
        await _count(conn, summary)
    finally:
        await conn.close()
    summary.elapsed = time.perf_counter() - started
    return summary


async def _taken_ids(conn: asyncpg.Connection) -> set[str]:
    # Only the regions demo numbers use can collide; rows under the demo county go
    # with it when it is replaced.
    rows = await conn.fetch(
        f"""
        SELECT id_number FROM resident
         WHERE id_number IS NOT NULL AND left(id_number, 6) = ANY($2::text[])
           AND NOT coalesce(area_path <@ {_DEMO_PATH}, false)
        """,
        COUNTY[0],
        [HOME_REGION, *OTHER_REGIONS],
    )
    return {r["id_number"] for r in rows}


async def _delete(conn: asyncpg.Connection) -> None:
    await delete_grid(conn, COUNTY[0])
    await enterprises.delete(conn, COUNTY[0])
    await volunteers.delete(conn, COUNTY[0])
    for table in ("petition", "petition_case", "resident", "household"):
        await conn.execute(f"DELETE FROM {table} WHERE area_path <@ {_DEMO_PATH}", COUNTY[0])
    # Deepest first: parent_id is ON DELETE RESTRICT.
    for level in reversed(_LEVELS[2:]):
        await conn.execute(
            f"DELETE FROM area WHERE path <@ {_DEMO_PATH} AND level = $2::area_level",
            COUNTY[0],
            level,
        )
    await _check_heads(conn)


async def _check_heads(conn: asyncpg.Connection) -> None:
    await conn.execute(f"SET CONSTRAINTS {_HEAD_CHECKS} IMMEDIATE")
    await conn.execute(f"SET CONSTRAINTS {_HEAD_CHECKS} DEFERRED")


async def _store(
    conn: asyncpg.Connection,
    places: Plan,
    villages: Iterator[list[Household]],
    show_progress: bool,
) -> None:
    from tqdm import tqdm

    area_ids = await _store_areas(conn, places)
    total = sum(len(s.addresses) for v in places.villages for s in v.sites)
    # Ids drawn from the table's own sequence, so the residents' COPY can name their
    # household without reading the households back. COPY accepts values for a GENERATED
    # ALWAYS column (pg_dump's restores rely on that).
    ids = await conn.fetch(
        "SELECT nextval(pg_get_serial_sequence('household', 'id')) AS id"
        " FROM generate_series(1, $1)",
        total,
    )
    next_id = iter([r["id"] for r in ids])
    loop = asyncio.get_running_loop()
    # One thread draws the next village while PostgreSQL stores this one (its triggers
    # and checks are the larger share of the time). A single thread keeps the random
    # draws in order, so a seed still gives the same rows.
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed") as pool,
        tqdm(
            total=total,
            desc="seeding",
            unit="household",
            unit_scale=True,
            file=sys.stderr,
            disable=not show_progress,
            dynamic_ncols=True,
        ) as bar,
    ):
        residents = 0
        town = None
        upcoming = loop.run_in_executor(pool, next, villages, None)
        for village in places.villages:
            households = await upcoming
            upcoming = loop.run_in_executor(pool, next, villages, None)
            assert households is not None
            if town is not None and village.town is not town:
                await _check_heads(conn)
            town = village.town
            household_rows, resident_rows = _rows(households, area_ids, next_id)
            await conn.copy_records_to_table(
                "household", records=household_rows, columns=_HOUSEHOLD_COLUMNS
            )
            await conn.copy_records_to_table(
                "resident", records=resident_rows, columns=_RESIDENT_COLUMNS
            )
            residents += len(resident_rows)
            bar.set_postfix_str(f"{residents:,} residents", refresh=False)
            bar.update(len(household_rows))
        await upcoming
        await _check_heads(conn)


def _rows(
    households: list[Household], area_ids: dict[str, int], next_id: Iterator[int]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    household_rows = []
    resident_rows = []
    for h in households:
        hid = next(next_id)
        household_rows.append((hid, area_ids[h.site.area.code], h.unit, h.room))
        resident_rows.extend(
            (
                hid,
                p.name,
                p.gender,
                p.birth,
                p.id_number,
                p.phone,
                p.relation,
                p.registered,
                p.lives,
                p.tags,
                p.party,
                p.roles,
            )
            for p in h.members
        )
    return household_rows, resident_rows


async def _store_areas(conn: asyncpg.Connection, places: Plan) -> dict[str, int]:
    """Store the plan's areas, joining a stored province and city; code -> id."""
    levels = {a.code: a.level for a in places.areas if a.level in ("province", "city")}
    ids: dict[str, int] = {}
    for row in await conn.fetch(
        "SELECT code, level::text AS level, id FROM area WHERE code = ANY($1::text[])",
        list(levels),
    ):
        if row["level"] != levels[row["code"]]:
            raise AreaConflict(
                f"area {row['code']} is stored as a {row['level']}, "
                f"the demo needs it to be a {levels[row['code']]}"
            )
        ids[row["code"]] = row["id"]
    for level in _LEVELS:
        batch = [a for a in places.areas if a.level == level and a.code not in ids]
        if not batch:
            continue
        rows = await conn.fetch(
            """
            INSERT INTO area (code, name, level, parent_id)
            SELECT code, name, $3::area_level, parent_id
              FROM unnest($1::text[], $2::text[], $4::bigint[]) AS u(code, name, parent_id)
            RETURNING code, id
            """,
            [a.code for a in batch],
            [a.name for a in batch],
            level,
            [ids[a.parent] if a.parent else None for a in batch],
        )
        ids.update((r["code"], r["id"]) for r in rows)
    return ids


async def _count(conn: asyncpg.Connection, summary: Summary) -> None:
    """Fill the summary from what the database holds, not from what was sent."""
    for row in await conn.fetch(
        f"SELECT level::text, count(*) FROM area WHERE path <@ {_DEMO_PATH} GROUP BY level",
        COUNTY[0],
    ):
        summary.areas[row["level"]] = row["count"]
    summary.households = await conn.fetchval(
        f"SELECT count(*) FROM household WHERE area_path <@ {_DEMO_PATH}", COUNTY[0]
    )
    row = await conn.fetchrow(
        f"""
        SELECT count(*) AS residents,
               count(*) FILTER (WHERE birth_date <= $2::date - interval '18 years') AS adults,
               count(*) FILTER (WHERE is_party_member) AS party_members,
               count(phone) AS with_phone
          FROM resident WHERE area_path <@ {_DEMO_PATH}
        """,
        COUNTY[0],
        AS_OF,
    )
    summary.residents = row["residents"]
    summary.adults = row["adults"]
    summary.party_members = row["party_members"]
    summary.with_phone = row["with_phone"]
    for column, target in (("care_tags", summary.care_tags), ("roles", summary.roles)):
        for r in await conn.fetch(
            f"SELECT t::text AS name, count(*) FROM resident, unnest({column}) AS t"
            f" WHERE area_path <@ {_DEMO_PATH} GROUP BY 1 ORDER BY 2 DESC, 1",
            COUNTY[0],
        ):
            target[r["name"]] = r["count"]
    for table in DOMAIN_TABLES:
        summary.domains[table] = await conn.fetchval(
            f"SELECT count(*) FROM {table} WHERE area_path <@ {_DEMO_PATH}", COUNTY[0]
        )
