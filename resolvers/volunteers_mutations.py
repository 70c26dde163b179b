"""Mutations of the volunteers domain: check the input, look up, write in one transaction.
Volunteers, teams, activities and service records here; the points ledger and rewards in
resolvers/volunteers_points.py; what they share in resolvers/volunteers_base.py.

As in resolvers/community_mutations.py: every problem of the input is collected at once
(code, message, input path); then, on one connection in one transaction, what the input
refers to is looked up and locked; any problem rolls everything back; otherwise the rows
are written, the audit-log row is folded in (``audit``) and the written row is read back
through the mapping. The database's constraints stay the backstop: their violations
arrive as ``DomainError`` with the same codes (db/volunteers_writes.py, ``CONSTRAINTS``).

Who may do what (docs/volunteers.md): workers (admin, officer, community_worker,
grid_worker) run teams, activities, records, rewards and redemptions in their area (the
database's row-level security holds the area). Verification certifies time and needs the
team's leader: the input names the leader (a Resident); with a ``resident`` token that
leader must belong to the token's household, and workers may enter a leader's
verification in their area. Adjusting and expiring points, and earning rates, are for
admins and community workers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
from strawberry import Info

from db import volunteers_writes as writes
from db.volunteers_mapping import (
    ACTIVITY,
    SERVICE_RECORD,
    TEAM_MEMBER,
    VOLUNTEER,
    VOLUNTEER_TEAM,
)
from resolvers.community_checks import parse_key
from resolvers.volunteers_base import (
    BACKSTOP,
    CODES,
    MAX_MINUTES,
    NAME_MAX,
    TEXT_MAX,
    VERIFIERS,
    WORKERS,
    Outcome,
    Problems,
    Record,
    Written,
    check_range,
    context,
    find_area,
    find_volunteer,
    label,
    read_row,
    run,
    text,
)

__all__ = ["CODES"]  # the schema builds its error codes from these


# -- volunteers, teams, members -------------------------------------------------------------


async def register_volunteer(info: Info, data: Any) -> Outcome:
    problems = Problems()
    resident_key = parse_key(data.resident_id, "Resident", "residentId", problems)  # type: ignore[arg-type]

    async def work(conn: asyncpg.Connection) -> Written:
        if resident_key is not None:
            if await writes.resident(conn, resident_key) is None:
                problems.add("NOT_FOUND", "no such resident (or outside your area)", "residentId")
            elif await writes.volunteer_of_resident(conn, resident_key) is not None:
                problems.add("ALREADY_VOLUNTEER", BACKSTOP["ALREADY_VOLUNTEER"], "residentId")
        problems.refuse_if_any()
        assert resident_key is not None
        key = await writes.insert_volunteer(conn, resident_key, data.insured_until)
        return Written(await read_row(conn, VOLUNTEER, key), "Volunteer")

    return await run(info, WORKERS, work)


async def create_team(info: Info, data: Any) -> Outcome:
    problems = Problems()
    name = text(data.name, "name", NAME_MAX, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        area = await find_area(conn, data.area_code, problems)
        problems.refuse_if_any()
        assert area is not None
        key = await writes.insert_team(conn, area["id"], name, label(data.kind))
        return Written(await read_row(conn, VOLUNTEER_TEAM, key), "VolunteerTeam")

    return await run(info, WORKERS, work)


async def add_member(info: Info, data: Any) -> Outcome:
    problems = Problems()
    team_key = parse_key(data.team_id, "VolunteerTeam", "teamId", problems)  # type: ignore[arg-type]
    volunteer_key = parse_key(data.volunteer_id, "Volunteer", "volunteerId", problems)  # type: ignore[arg-type]
    role = label(data.role)

    async def work(conn: asyncpg.Connection) -> Written:
        if team_key is not None and await writes.team(conn, team_key) is None:
            problems.add("NOT_FOUND", "no such team (or outside your area)", "teamId")
        await find_volunteer(conn, volunteer_key, problems)
        problems.refuse_if_any()
        assert team_key is not None and volunteer_key is not None
        current = await writes.membership(conn, team_key, volunteer_key)
        if current is None:
            key = await writes.insert_member(conn, team_key, volunteer_key, role)
        elif current["role"] == role:
            problems.add("ALREADY_MEMBER", f"already a member with the role {role}", "volunteerId")
            problems.refuse_if_any()
            raise AssertionError("unreachable")
        else:
            key = current["id"]
            await writes.set_member_role(conn, key, role)
        return Written(await read_row(conn, TEAM_MEMBER, key), "TeamMember")

    return await run(info, WORKERS, work)


async def remove_member(info: Info, data: Any) -> Outcome:
    problems = Problems()
    team_key = parse_key(data.team_id, "VolunteerTeam", "teamId", problems)  # type: ignore[arg-type]
    volunteer_key = parse_key(data.volunteer_id, "Volunteer", "volunteerId", problems)  # type: ignore[arg-type]

    async def work(conn: asyncpg.Connection) -> Written:
        problems.refuse_if_any()
        assert team_key is not None and volunteer_key is not None
        current = await writes.membership(conn, team_key, volunteer_key)
        if current is None:
            problems.add("NOT_A_MEMBER", "the volunteer is not a member of the team", "volunteerId")
            problems.refuse_if_any()
        assert current is not None
        await writes.delete_member(conn, current["id"])
        # the payload is the team; the audit row names it too
        return Written(await read_row(conn, VOLUNTEER_TEAM, team_key), "VolunteerTeam")

    return await run(info, WORKERS, work)


# -- activities and service -------------------------------------------------------------------


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


async def create_activity(info: Info, data: Any) -> Outcome:
    problems = Problems()
    team_key = parse_key(data.team_id, "VolunteerTeam", "teamId", problems)  # type: ignore[arg-type]
    title = text(data.title, "title", TEXT_MAX, problems)
    place = text(data.place, "place", TEXT_MAX, problems)
    starts, ends = _aware(data.starts_at), _aware(data.ends_at)
    if ends <= starts:
        problems.add("INVALID_TIME_WINDOW", "endsAt must be after startsAt", "endsAt")
    elif ends - starts > dt.timedelta(hours=24):
        problems.add("INVALID_TIME_WINDOW", "an activity lasts at most 24 hours", "endsAt")

    async def work(conn: asyncpg.Connection) -> Written:
        team = None if team_key is None else await writes.team(conn, team_key)
        if team_key is not None and team is None:
            problems.add("NOT_FOUND", "no such team (or outside your area)", "teamId")
        area_id = None if team is None else team["area_id"]
        if data.area_code is not None:
            area = await find_area(conn, data.area_code, problems)
            if area is not None and team is not None:
                if not (area["path"] + ".").startswith(team["area_path"] + "."):
                    problems.add(
                        "OUTSIDE_TEAM_AREA",
                        "an activity takes place in its team's area or below it",
                        "areaCode",
                    )
                area_id = area["id"]
        problems.refuse_if_any()
        assert team_key is not None and area_id is not None
        key = await writes.insert_activity(
            conn, team_key, area_id, title, label(data.kind), place, starts, ends
        )
        return Written(await read_row(conn, ACTIVITY, key), "Activity")

    return await run(info, WORKERS, work)


async def _activity(conn: asyncpg.Connection, key: int | None, problems: Problems) -> Record | None:
    if key is None:
        return None
    found = await writes.activity(conn, key)
    if found is None:
        problems.add("NOT_FOUND", "no such activity (or outside your area)", "activityId")
    return found


async def sign_up(info: Info, data: Any) -> Outcome:
    problems = Problems()
    activity_key = parse_key(data.activity_id, "Activity", "activityId", problems)  # type: ignore[arg-type]
    volunteer_key = parse_key(data.volunteer_id, "Volunteer", "volunteerId", problems)  # type: ignore[arg-type]
    if data.scheduled_minutes is not None:
        check_range(data.scheduled_minutes, "scheduledMinutes", 1, MAX_MINUTES, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        act = await _activity(conn, activity_key, problems)
        await find_volunteer(conn, volunteer_key, problems)
        if act is not None and (data.scheduled_minutes or 0) > act["window_minutes"]:
            problems.add(
                "WINDOW_EXCEEDED",
                f"the activity lasts {act['window_minutes']} minutes",
                "scheduledMinutes",
            )
        if (
            act is not None
            and volunteer_key is not None
            and await writes.lock_record_of(conn, act["id"], volunteer_key) is not None
        ):
            problems.add("ALREADY_SIGNED_UP", BACKSTOP["ALREADY_SIGNED_UP"], "volunteerId")
        problems.refuse_if_any()
        assert activity_key is not None and volunteer_key is not None
        key = await writes.insert_record(
            conn,
            activity_key,
            volunteer_key,
            status="signed_up",
            scheduled_minutes=data.scheduled_minutes,
        )
        return Written(await read_row(conn, SERVICE_RECORD, key), "ServiceRecord")

    return await run(info, WORKERS, work)


async def record_service(info: Info, data: Any) -> Outcome:
    problems = Problems()
    activity_key = parse_key(data.activity_id, "Activity", "activityId", problems)  # type: ignore[arg-type]
    volunteer_key = parse_key(data.volunteer_id, "Volunteer", "volunteerId", problems)  # type: ignore[arg-type]
    check_range(data.completed_minutes, "completedMinutes", 0, MAX_MINUTES, problems)
    check_range(data.travel_minutes, "travelMinutes", 0, MAX_MINUTES, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        act = await _activity(conn, activity_key, problems)
        await find_volunteer(conn, volunteer_key, problems)
        existing = None
        if act is not None:
            if data.completed_minutes > act["window_minutes"]:
                problems.add(
                    "WINDOW_EXCEEDED",
                    f"{data.completed_minutes} minutes exceed the activity's window of "
                    f"{act['window_minutes']} (travel is not service time)",
                    "completedMinutes",
                )
            if act["starts_at"] > dt.datetime.now(dt.UTC):
                problems.add("ACTIVITY_NOT_STARTED", "the activity has not started", "activityId")
            if volunteer_key is not None:
                existing = await writes.lock_record_of(conn, act["id"], volunteer_key)
                if existing is not None and existing["status"] == "verified":
                    problems.add(
                        "ALREADY_VERIFIED", "the record is verified and final", "volunteerId"
                    )
        problems.refuse_if_any()
        assert activity_key is not None and volunteer_key is not None
        if existing is None:
            key = await writes.insert_record(
                conn,
                activity_key,
                volunteer_key,
                status="completed",
                scheduled_minutes=None,
                completed_minutes=data.completed_minutes,
                travel_minutes=data.travel_minutes,
            )
        else:
            key = existing["id"]
            await writes.complete_record(conn, key, data.completed_minutes, data.travel_minutes)
        return Written(await read_row(conn, SERVICE_RECORD, key), "ServiceRecord")

    return await run(info, WORKERS, work)


async def verify_service(info: Info, data: Any) -> Outcome:
    problems = Problems()
    record_key = parse_key(data.record_id, "ServiceRecord", "recordId", problems)  # type: ignore[arg-type]
    leader_key = parse_key(data.leader_id, "Resident", "leaderId", problems)  # type: ignore[arg-type]
    principal = context(info).db.principal

    async def work(conn: asyncpg.Connection) -> Written:
        if leader_key is not None:
            leader = await writes.resident(conn, leader_key)
            if principal.role == "resident" and (
                leader is None or leader["household_id"] != principal.household
            ):
                problems.add(
                    "NOT_TEAM_LEADER",
                    "with a resident token you verify as a member of your own household",
                    "leaderId",
                )
            elif leader is None:
                problems.add("NOT_FOUND", "no such resident (or outside your area)", "leaderId")
        record = None if record_key is None else await writes.lock_record(conn, record_key)
        if record_key is not None and record is None:
            problems.add("NOT_FOUND", "no such service record (or not yours to verify)", "recordId")
        if record is not None:
            if record["status"] == "verified":
                problems.add("ALREADY_VERIFIED", "the record is already verified", "recordId")
            elif record["status"] != "completed":
                problems.add(
                    "NOT_COMPLETED", "record the served minutes before verifying", "recordId"
                )
            if leader_key is not None and not problems:
                if not await writes.leads_team(conn, record["team_id"], leader_key):
                    problems.add("NOT_TEAM_LEADER", BACKSTOP["NOT_TEAM_LEADER"], "leaderId")
                else:
                    owner = await writes.volunteer(conn, record["volunteer_id"])
                    if owner is not None and owner["resident_id"] == leader_key:
                        problems.add("SELF_VERIFICATION", BACKSTOP["SELF_VERIFICATION"], "leaderId")
        problems.refuse_if_any()
        assert record_key is not None and leader_key is not None
        if not await writes.verify_record(conn, record_key, leader_key):
            problems.add("ALREADY_VERIFIED", "the record is already verified", "recordId")
            problems.refuse_if_any()
        return Written(await read_row(conn, SERVICE_RECORD, record_key), "ServiceRecord")

    return await run(info, VERIFIERS, work)
