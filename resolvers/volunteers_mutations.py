"""Mutations of the volunteers domain: check the input, look up, write in one transaction.

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
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from strawberry import Info

from db import volunteers_writes as writes
from db.errors import DomainError
from db.query import rows_by_key
from db.session import audit
from db.volunteers_mapping import (
    ACTIVITY,
    POINTS_ENTRY,
    REWARD,
    SERVICE_RECORD,
    TEAM_MEMBER,
    VOLUNTEER,
    VOLUNTEER_TEAM,
)
from resolvers.community_checks import Problem, parse_key
from resolvers.context import Context

Record = asyncpg.Record

CODES = (
    "INVALID_INPUT",
    "NOT_FOUND",
    "FORBIDDEN",
    "UNKNOWN_AREA",
    "ALREADY_VOLUNTEER",
    "DUPLICATE_NAME",
    "ALREADY_MEMBER",
    "NOT_A_MEMBER",
    "OUTSIDE_TEAM_AREA",
    "INVALID_TIME_WINDOW",
    "ALREADY_SIGNED_UP",
    "WINDOW_EXCEEDED",
    "ACTIVITY_NOT_STARTED",
    "NOT_TEAM_LEADER",
    "SELF_VERIFICATION",
    "ALREADY_VERIFIED",
    "NOT_COMPLETED",
    "INSUFFICIENT_POINTS",
    "OUT_OF_STOCK",
)

WORKERS = ("admin", "officer", "community_worker", "grid_worker")
LEDGER_KEEPERS = ("admin", "community_worker")
VERIFIERS = (*WORKERS, "resident")

NAME_MAX = 100
TEXT_MAX = 200
REASON_MAX = 500
MAX_MINUTES = 24 * 60
MAX_POINTS = 1_000_000
MAX_QUANTITY = 10_000

# Messages for violations only the database caught (a concurrent write, usually).
BACKSTOP = {
    "INSUFFICIENT_POINTS": "the balance is too low for this (another entry was made meanwhile)",
    "OUT_OF_STOCK": "not enough of this reward left in stock",
    "ALREADY_VERIFIED": "the record is already verified",
    "ALREADY_MEMBER": "the volunteer is already a member of the team",
    "ALREADY_SIGNED_UP": "the volunteer already has a record for this activity",
    "ALREADY_VOLUNTEER": "the resident is already registered as a volunteer",
    "NOT_TEAM_LEADER": "the resident named does not lead the activity's team",
    "SELF_VERIFICATION": "a leader does not verify their own service",
    "DUPLICATE_NAME": "the name is already taken in this area",
    "NOT_COMPLETED": "only a completed record can be verified",
}


class Problems(list[Problem]):
    def add(self, code: str, message: str, field: str | None = None) -> None:
        assert code in CODES, code
        self.append(Problem(code, message, field))

    def refuse_if_any(self) -> None:
        if self:
            raise Refused(list(self))


class Refused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class Written:
    """What a mutation wrote: the row read back and the audit target."""

    row: Record
    target_type: str


Outcome = Written | list[Problem]


def _ctx(info: Info) -> Context:
    return info.context


def label(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


async def _run(
    info: Info,
    roles: tuple[str, ...],
    work: Callable[[asyncpg.Connection], Awaitable[Written]],
) -> Outcome:
    ctx = _ctx(info)
    role = ctx.db.principal.role
    if role not in roles:
        return [Problem("FORBIDDEN", f"a {role} may not {info.field_name}")]
    try:
        with writes.volunteer_errors():
            async with ctx.db.transaction(operation=info.field_name) as conn:
                written = await work(conn)
                await audit(conn, written.target_type, written.row["id"])
    except Refused as exc:
        return exc.problems
    except DomainError as exc:
        message = exc.message if exc.code == "FORBIDDEN" else BACKSTOP.get(exc.code, exc.message)
        return [Problem(exc.code, message, exc.field)]
    finally:
        ctx.reset_loaders()
    return written


async def _read(conn: asyncpg.Connection, ent: Any, key: int) -> Record:
    return (await rows_by_key(conn, ent, [key]))[key]


def _text(value: str, field: str, limit: int, problems: Problems) -> str:
    text = value.strip()
    if not text:
        problems.add("INVALID_INPUT", f"{field} must not be empty", field)
    elif len(text) > limit:
        problems.add("INVALID_INPUT", f"{field} has at most {limit} characters", field)
    return text


def _range(value: int, field: str, low: int, high: int, problems: Problems) -> None:
    if not low <= value <= high:
        problems.add(
            "INVALID_INPUT", f"{field} must be between {low} and {high}, got {value}", field
        )


async def _area(conn: asyncpg.Connection, code: str, problems: Problems) -> Record | None:
    area = await writes.area_by_code(conn, code.strip())
    if area is None:
        problems.add("UNKNOWN_AREA", f"no area has the code {code!r}", "areaCode")
    return area


async def _volunteer(
    conn: asyncpg.Connection, key: int | None, problems: Problems, *, lock: bool = False
) -> Record | None:
    if key is None:
        return None
    found = await (writes.lock_volunteer if lock else writes.volunteer)(conn, key)
    if found is None:
        problems.add("NOT_FOUND", "no such volunteer (or outside your area)", "volunteerId")
    return found


def _who(info: Info) -> str:
    return _ctx(info).db.principal.subject


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
        return Written(await _read(conn, VOLUNTEER, key), "Volunteer")

    return await _run(info, WORKERS, work)


async def create_team(info: Info, data: Any) -> Outcome:
    problems = Problems()
    name = _text(data.name, "name", NAME_MAX, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        area = await _area(conn, data.area_code, problems)
        problems.refuse_if_any()
        assert area is not None
        key = await writes.insert_team(conn, area["id"], name, label(data.kind))
        return Written(await _read(conn, VOLUNTEER_TEAM, key), "VolunteerTeam")

    return await _run(info, WORKERS, work)


async def add_member(info: Info, data: Any) -> Outcome:
    problems = Problems()
    team_key = parse_key(data.team_id, "VolunteerTeam", "teamId", problems)  # type: ignore[arg-type]
    volunteer_key = parse_key(data.volunteer_id, "Volunteer", "volunteerId", problems)  # type: ignore[arg-type]
    role = label(data.role)

    async def work(conn: asyncpg.Connection) -> Written:
        if team_key is not None and await writes.team(conn, team_key) is None:
            problems.add("NOT_FOUND", "no such team (or outside your area)", "teamId")
        await _volunteer(conn, volunteer_key, problems)
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
        return Written(await _read(conn, TEAM_MEMBER, key), "TeamMember")

    return await _run(info, WORKERS, work)


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
        return Written(await _read(conn, VOLUNTEER_TEAM, team_key), "VolunteerTeam")

    return await _run(info, WORKERS, work)


# -- activities and service -------------------------------------------------------------------


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


async def create_activity(info: Info, data: Any) -> Outcome:
    problems = Problems()
    team_key = parse_key(data.team_id, "VolunteerTeam", "teamId", problems)  # type: ignore[arg-type]
    title = _text(data.title, "title", TEXT_MAX, problems)
    place = _text(data.place, "place", TEXT_MAX, problems)
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
            area = await _area(conn, data.area_code, problems)
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
        return Written(await _read(conn, ACTIVITY, key), "Activity")

    return await _run(info, WORKERS, work)


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
        _range(data.scheduled_minutes, "scheduledMinutes", 1, MAX_MINUTES, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        act = await _activity(conn, activity_key, problems)
        await _volunteer(conn, volunteer_key, problems)
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
        return Written(await _read(conn, SERVICE_RECORD, key), "ServiceRecord")

    return await _run(info, WORKERS, work)


async def record_service(info: Info, data: Any) -> Outcome:
    problems = Problems()
    activity_key = parse_key(data.activity_id, "Activity", "activityId", problems)  # type: ignore[arg-type]
    volunteer_key = parse_key(data.volunteer_id, "Volunteer", "volunteerId", problems)  # type: ignore[arg-type]
    _range(data.completed_minutes, "completedMinutes", 0, MAX_MINUTES, problems)
    _range(data.travel_minutes, "travelMinutes", 0, MAX_MINUTES, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        act = await _activity(conn, activity_key, problems)
        await _volunteer(conn, volunteer_key, problems)
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
        return Written(await _read(conn, SERVICE_RECORD, key), "ServiceRecord")

    return await _run(info, WORKERS, work)


async def verify_service(info: Info, data: Any) -> Outcome:
    problems = Problems()
    record_key = parse_key(data.record_id, "ServiceRecord", "recordId", problems)  # type: ignore[arg-type]
    leader_key = parse_key(data.leader_id, "Resident", "leaderId", problems)  # type: ignore[arg-type]
    principal = _ctx(info).db.principal

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
        return Written(await _read(conn, SERVICE_RECORD, record_key), "ServiceRecord")

    return await _run(info, VERIFIERS, work)


# -- points ----------------------------------------------------------------------------------


async def redeem(info: Info, data: Any) -> Outcome:
    problems = Problems()
    volunteer_key = parse_key(data.volunteer_id, "Volunteer", "volunteerId", problems)  # type: ignore[arg-type]
    reward_key = parse_key(data.reward_id, "Reward", "rewardId", problems)  # type: ignore[arg-type]
    _range(data.quantity, "quantity", 1, MAX_QUANTITY, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        # volunteer before reward, always: concurrent redemptions queue, never deadlock
        vol = await _volunteer(conn, volunteer_key, problems, lock=True)
        reward = None if reward_key is None else await writes.lock_reward(conn, reward_key)
        if reward_key is not None and reward is None:
            problems.add("NOT_FOUND", "no such reward (or outside your area)", "rewardId")
        if reward is not None and not problems:
            cost = reward["points_cost"] * data.quantity
            if reward["stock"] < data.quantity:
                problems.add(
                    "OUT_OF_STOCK", f"{reward['stock']} left, {data.quantity} asked for", "quantity"
                )
            if vol is not None and vol["points_balance"] < cost:
                problems.add(
                    "INSUFFICIENT_POINTS",
                    f"costs {cost} points, the balance is {vol['points_balance']}",
                    "volunteerId",
                )
        problems.refuse_if_any()
        assert volunteer_key is not None and reward_key is not None
        cost_each = await writes.take_stock(conn, reward_key, data.quantity)
        key = await writes.insert_entry(
            conn,
            writes.Entry(
                volunteer_key,
                "redeem",
                -cost_each * data.quantity,
                _who(info),
                reward_id=reward_key,
                quantity=data.quantity,
            ),
        )
        return Written(await _read(conn, POINTS_ENTRY, key), "PointsEntry")

    return await _run(info, WORKERS, work)


async def adjust(info: Info, data: Any) -> Outcome:
    problems = Problems()
    volunteer_key = parse_key(data.volunteer_id, "Volunteer", "volunteerId", problems)  # type: ignore[arg-type]
    reason = _text(data.reason, "reason", REASON_MAX, problems)
    if data.points == 0 or abs(data.points) > MAX_POINTS:
        problems.add("INVALID_INPUT", f"points must be non-zero and at most {MAX_POINTS}", "points")

    async def work(conn: asyncpg.Connection) -> Written:
        vol = await _volunteer(conn, volunteer_key, problems, lock=True)
        if vol is not None and vol["points_balance"] + data.points < 0:
            problems.add(
                "INSUFFICIENT_POINTS",
                f"the balance is {vol['points_balance']}; it cannot go below zero",
                "points",
            )
        problems.refuse_if_any()
        assert volunteer_key is not None
        key = await writes.insert_entry(
            conn, writes.Entry(volunteer_key, "adjust", data.points, _who(info), reason=reason)
        )
        return Written(await _read(conn, POINTS_ENTRY, key), "PointsEntry")

    return await _run(info, LEDGER_KEEPERS, work)


@dataclass(frozen=True)
class Expired:
    area_id: int
    cutoff: dt.datetime
    volunteers: int
    points: int


async def expire(info: Info, data: Any) -> Expired | list[Problem]:
    problems = Problems()
    days = data.older_than_days
    if days is None:
        days = writes.DEFAULT_POINTS_MAX_AGE_DAYS
    _range(days, "olderThanDays", 1, 36500, problems)
    result: list[Expired] = []

    async def work(conn: asyncpg.Connection) -> Written:
        area = await _area(conn, data.area_code, problems)
        problems.refuse_if_any()
        assert area is not None
        cutoff = await conn.fetchval("SELECT now() - make_interval(days => $1)", days)
        entries = await writes.expire_points(conn, area["path"], cutoff, _who(info))
        result.append(Expired(area["id"], cutoff, len(entries), -sum(e["points"] for e in entries)))
        return Written(area, "Area")

    outcome = await _run(info, LEDGER_KEEPERS, work)
    return outcome if isinstance(outcome, list) else result[0]


async def set_rate(info: Info, data: Any) -> Outcome:
    problems = Problems()
    _range(data.points_per_hour, "pointsPerHour", 1, 1000, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        area = await _area(conn, data.area_code, problems)
        problems.refuse_if_any()
        assert area is not None
        key = await writes.set_rate(conn, area["id"], data.points_per_hour)
        row = await conn.fetchrow(
            "SELECT r.id, a.code AS area_code, r.points_per_hour FROM points_rate r"
            " JOIN area a ON a.id = r.area_id WHERE r.id = $1",
            key,
        )
        return Written(row, "PointsRate")

    return await _run(info, LEDGER_KEEPERS, work)


async def create_reward(info: Info, data: Any) -> Outcome:
    problems = Problems()
    name = _text(data.name, "name", NAME_MAX, problems)
    _range(data.points_cost, "pointsCost", 1, MAX_POINTS, problems)
    _range(data.stock, "stock", 0, MAX_QUANTITY * 100, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        area = await _area(conn, data.area_code, problems)
        problems.refuse_if_any()
        assert area is not None
        key = await writes.insert_reward(conn, area["id"], name, data.points_cost, data.stock)
        return Written(await _read(conn, REWARD, key), "Reward")

    return await _run(info, WORKERS, work)


async def restock(info: Info, data: Any) -> Outcome:
    problems = Problems()
    reward_key = parse_key(data.reward_id, "Reward", "rewardId", problems)  # type: ignore[arg-type]
    _range(data.quantity, "quantity", 1, MAX_QUANTITY * 100, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        if reward_key is not None and await writes.lock_reward(conn, reward_key) is None:
            problems.add("NOT_FOUND", "no such reward (or outside your area)", "rewardId")
        problems.refuse_if_any()
        assert reward_key is not None
        await writes.add_stock(conn, reward_key, data.quantity)
        return Written(await _read(conn, REWARD, reward_key), "Reward")

    return await _run(info, WORKERS, work)
