"""The petition tables' own rules, exercised directly in the database: any writer (a DBA
with psql, an import) meets the same state machine, events and working-day calendar."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import asyncpg
import pytest

from tests.factories import add_areas, add_household


@pytest.fixture
async def place(db: asyncpg.Connection) -> dict:
    areas = await add_areas(db)
    hid, rids = await add_household(
        db,
        areas["510129101201-01"],
        "3",
        [
            {"name": "王建国"},
            {
                "name": "王芳",
                "gender": "female",
                "relation": "daughter",
                "birth_date": dt.date(1995, 1, 1),
            },
        ],
    )
    _, others = await add_household(db, areas["510129101201-01"], "4", [{"name": "李强"}])
    return {"areas": areas, "household": hid, "residents": rids, "other": others}


async def new_petition(db: asyncpg.Connection, place: dict, **columns: object) -> int:
    values = {
        "area_id": place["areas"]["510129101201-01"],
        "category_id": await db.fetchval("SELECT id FROM petition_category WHERE code = 'noise'"),
        "channel": "phone",
        "submitter_id": place["residents"][0],
        "description": "广场舞噪音",
        "submitted_by": "psql",
        **columns,
    }
    names = ", ".join(values)
    params = ", ".join(f"${i + 1}" for i in range(len(values)))
    return await db.fetchval(
        f"INSERT INTO petition ({names}) VALUES ({params}) RETURNING id", *values.values()
    )


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2026-11-20", 1, "2026-11-23"),  # Friday -> Monday
        ("2026-09-30", 1, "2026-10-08"),  # National Day week
        ("2026-09-30", 3, "2026-10-10"),  # Saturday 10 October is a make-up working day
        ("2026-02-13", 1, "2026-02-14"),  # so is Saturday 14 February (Spring Festival)
        ("2026-02-13", 2, "2026-02-24"),  # then 15-23 February are off
        ("2026-04-30", 5, "2026-05-11"),  # Labour Day 1-5 May, 9 May worked
        ("2025-12-31", 1, "2026-01-04"),  # New Year 1-3 January, Sunday 4 January worked
    ],
)
async def test_due_date_counts_working_days(
    db: asyncpg.Connection, start: str, days: int, due: str
) -> None:
    got = await db.fetchval(
        "SELECT add_working_days($1::date, $2)", dt.date.fromisoformat(start), days
    )
    assert got == dt.date.fromisoformat(due)


async def test_insert_sets_due_date_from_the_category(db: asyncpg.Connection, place: dict) -> None:
    pid = await new_petition(db, place, received_at=dt.datetime(2026, 9, 29, 2, tzinfo=dt.UTC))
    # noise: 5 working days from Tuesday 29 September (Beijing): 30 Sep, 8, 9, 10, 12 Oct
    row = await db.fetchrow(
        "SELECT due_date, household_id, area_path::text FROM petition WHERE id = $1", pid
    )
    assert row["due_date"] == dt.date(2026, 10, 12)
    assert row["household_id"] == place["household"]


async def test_illegal_transition_refused_by_trigger(db: asyncpg.Connection, place: dict) -> None:
    pid = await new_petition(db, place)
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute("UPDATE petition SET status = 'resolved' WHERE id = $1", pid)
    assert caught.value.constraint_name == "petition_transition"
    assert "cannot go from received to resolved" in caught.value.message


async def test_each_rule_of_the_state_machine(db: asyncpg.Connection, place: dict) -> None:
    pid = await new_petition(db, place)
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute(
            "UPDATE petition SET status = 'triaged', triage = 'minor' WHERE id = $1", pid
        )
    assert caught.value.constraint_name == "petition_triage_reason"
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute("UPDATE petition SET status = 'rejected' WHERE id = $1", pid)
    assert caught.value.constraint_name == "petition_reject_reason"
    await db.execute(
        "UPDATE petition SET status = 'triaged', triage = 'minor', triage_reason = '邻里', "
        "triaged_by = 'dba' WHERE id = $1",
        pid,
    )
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute("UPDATE petition SET status = 'assigned' WHERE id = $1", pid)
    assert caught.value.constraint_name == "petition_assigned"
    await db.execute(
        "UPDATE petition SET status = 'assigned', assignee_kind = 'residents_committee', "
        "assignee_name = '居委会' WHERE id = $1",
        pid,
    )
    await db.execute("UPDATE petition SET status = 'resolved' WHERE id = $1", pid)
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute("UPDATE petition SET status = 'closed' WHERE id = $1", pid)
    assert caught.value.constraint_name == "petition_feedback_first"
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute("UPDATE petition SET status = 'feedback' WHERE id = $1", pid)
    assert caught.value.constraint_name == "petition_feedback"
    await db.execute(
        "UPDATE petition SET status = 'feedback', satisfaction = 'satisfied' WHERE id = $1", pid
    )
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute("UPDATE petition SET status = 'in_progress' WHERE id = $1", pid)
    assert caught.value.constraint_name == "petition_reopen_dissatisfied"
    await db.execute("UPDATE petition SET status = 'closed' WHERE id = $1", pid)
    for target in ("received", "triaged", "in_progress", "resolved"):
        with pytest.raises(asyncpg.CheckViolationError):
            await db.execute(f"UPDATE petition SET status = '{target}' WHERE id = $1", pid)
    row = await db.fetchrow("SELECT version, ended_at, closed_at FROM petition WHERE id = $1", pid)
    assert row["version"] == 6 and row["closed_at"] is not None and row["ended_at"] is not None
    kinds = [
        r["kind"]
        for r in await db.fetch(
            "SELECT kind::text FROM petition_event WHERE petition_id = $1 ORDER BY id", pid
        )
    ]
    # an operator's insert brings its own history; every update is an event
    assert kinds == ["triaged", "assigned", "resolved", "feedback", "closed"]


async def test_roles_checked_by_the_trigger(db: asyncpg.Connection, place: dict) -> None:
    pid = await new_petition(db, place)
    async with db.transaction():
        await db.execute(
            "SELECT set_config('gongzhi.role', 'resident', true), "
            "set_config('gongzhi.subject', 'x', true)"
        )
        with pytest.raises(asyncpg.CheckViolationError) as caught:
            await db.execute(
                "UPDATE petition SET status = 'triaged', triage = 'minor', triage_reason = 'r', "
                "triaged_by = 'x' WHERE id = $1",
                pid,
            )
        assert caught.value.constraint_name == "petition_transition_role"


async def test_service_principals_start_as_received(db: asyncpg.Connection, place: dict) -> None:
    async with db.transaction():
        await db.execute(
            "SELECT set_config('gongzhi.role', 'admin', true), "
            "set_config('gongzhi.subject', 'a', true)"
        )
        with pytest.raises(asyncpg.CheckViolationError) as caught:
            await new_petition(db, place, status="rejected", reject_reason="x")
        assert caught.value.constraint_name == "petition_transition"


async def test_events_are_append_only(db: asyncpg.Connection, place: dict) -> None:
    pid = await new_petition(db, place)
    await db.execute("UPDATE petition SET is_public = true WHERE id = $1", pid)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.execute("UPDATE petition_event SET note = 'x' WHERE petition_id = $1", pid)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.execute("DELETE FROM petition_event WHERE petition_id = $1", pid)
    # an operator deleting the petition takes its history with it
    await db.execute("DELETE FROM petition WHERE id = $1", pid)
    assert await db.fetchval("SELECT count(*) FROM petition_event") == 0


async def test_duplicate_carries_cosigners_to_the_original(
    db: asyncpg.Connection, place: dict
) -> None:
    original = await new_petition(db, place)
    dup = await new_petition(db, place, submitter_id=place["other"][0])
    await db.execute(
        "INSERT INTO petition_cosigner (petition_id, resident_id, area_path) VALUES ($1, $2, '')",
        dup,
        place["residents"][1],
    )
    await db.execute(
        "UPDATE petition SET status = 'duplicate', duplicate_of = $2 WHERE id = $1", dup, original
    )
    signers = await db.fetch(
        "SELECT resident_id FROM petition_cosigner WHERE petition_id = $1 ORDER BY resident_id",
        original,
    )
    assert [r["resident_id"] for r in signers] == sorted([place["other"][0], place["residents"][1]])
    third = await new_petition(db, place)
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute(
            "UPDATE petition SET status = 'duplicate', duplicate_of = $2 WHERE id = $1", third, dup
        )
    assert caught.value.constraint_name == "petition_duplicate_original"


async def test_event_is_notified(db: asyncpg.Connection, database_url: str, place: dict) -> None:
    listener = await asyncpg.connect(database_url)
    got: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener("petition_event", lambda *args: got.put_nowait(args[3]))
    try:
        pid = await new_petition(db, place)
        await db.execute("UPDATE petition SET is_public = true WHERE id = $1", pid)
        payload = json.loads(await asyncio.wait_for(got.get(), 5))
        row = await db.fetchrow(
            "SELECT e.id, p.area_path::text FROM petition_event e "
            "JOIN petition p ON p.id = e.petition_id"
        )
        assert payload == {"petition_id": pid, "event_id": row["id"], "area_path": row["area_path"]}
    finally:
        await listener.close()


async def test_area_must_be_village_or_below(db: asyncpg.Connection, place: dict) -> None:
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await new_petition(db, place, area_id=place["areas"]["510129101"])
    assert caught.value.constraint_name == "petition_area_level"
