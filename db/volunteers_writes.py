"""Writes of the volunteers domain: registration, teams, activities, service, the ledger.

Every function takes the caller's connection, so a mutation runs all its statements in
one transaction. The rules are the database's (migration 0007); the constraint names it
raises are mapped to error codes here (``CONSTRAINTS``).

Locks are taken in one order, volunteer before reward, so two redemptions touching the
same rows queue instead of deadlocking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg

from db.errors import DomainError, from_postgres

Record = asyncpg.Record

# Points expire after this age unless expirePoints is given another (docs/volunteers.md).
DEFAULT_POINTS_MAX_AGE_DAYS = 730

# constraint name -> (error code, input field)
CONSTRAINTS: dict[str, tuple[str, str | None]] = {
    "volunteer_resident_key": ("ALREADY_VOLUNTEER", "residentId"),
    "volunteer_points_nonnegative": ("INSUFFICIENT_POINTS", "points"),
    "volunteer_team_name_key": ("DUPLICATE_NAME", "name"),
    "volunteer_team_name_check": ("INVALID_INPUT", "name"),
    "team_member_once": ("ALREADY_MEMBER", "volunteerId"),
    "activity_area_in_team": ("OUTSIDE_TEAM_AREA", "areaCode"),
    "activity_window": ("INVALID_TIME_WINDOW", "endsAt"),
    "activity_title_check": ("INVALID_INPUT", "title"),
    "activity_place_check": ("INVALID_INPUT", "place"),
    "service_record_once": ("ALREADY_SIGNED_UP", "volunteerId"),
    "service_record_within_window": ("WINDOW_EXCEEDED", "completedMinutes"),
    "service_record_scheduled_minutes_check": ("INVALID_INPUT", "scheduledMinutes"),
    "service_record_completed_minutes_check": ("INVALID_INPUT", "completedMinutes"),
    "service_record_travel_minutes_check": ("INVALID_INPUT", "travelMinutes"),
    "service_record_not_started": ("ACTIVITY_NOT_STARTED", "activityId"),
    "service_record_verifier_leads": ("NOT_TEAM_LEADER", "leaderId"),
    "service_record_self_verification": ("SELF_VERIFICATION", "leaderId"),
    "service_record_verified_final": ("ALREADY_VERIFIED", "recordId"),
    "service_record_transition": ("NOT_COMPLETED", "recordId"),
    "points_entry_earned_once": ("ALREADY_VERIFIED", "recordId"),
    "points_entry_shape": ("INVALID_INPUT", "points"),
    "points_entry_reason_check": ("INVALID_INPUT", "reason"),
    "reward_stock_nonnegative": ("OUT_OF_STOCK", "quantity"),
    "reward_name_key": ("DUPLICATE_NAME", "name"),
    "reward_name_check": ("INVALID_INPUT", "name"),
    "reward_cost_positive": ("INVALID_INPUT", "pointsCost"),
    "points_rate_range": ("INVALID_INPUT", "pointsPerHour"),
}


@contextmanager
def volunteer_errors() -> Iterator[None]:
    """Constraint violations of this domain (and the community's) as DomainError."""
    try:
        yield
    except asyncpg.InsufficientPrivilegeError as exc:
        raise DomainError("FORBIDDEN", "outside what your role and area may change") from exc
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.RaiseError) as exc:
        constraint = getattr(exc, "constraint_name", None)
        if constraint in CONSTRAINTS:
            code, field = CONSTRAINTS[constraint]
            raise DomainError(code, str(getattr(exc, "message", exc)), field) from exc
        mapped = from_postgres(exc)
        if mapped is None:
            raise
        raise mapped from exc


# -- lookups -----------------------------------------------------------------------------

AREA_BY_CODE = "SELECT id, code, path::text AS path FROM area WHERE code = $1"


async def area_by_code(conn: asyncpg.Connection, code: str) -> Record | None:
    return await conn.fetchrow(AREA_BY_CODE, code)


async def resident(conn: asyncpg.Connection, resident_id: int) -> Record | None:
    return await conn.fetchrow(
        "SELECT id, household_id, name FROM resident WHERE id = $1", resident_id
    )


async def volunteer_of_resident(conn: asyncpg.Connection, resident_id: int) -> int | None:
    return await conn.fetchval("SELECT id FROM volunteer WHERE resident_id = $1", resident_id)


async def volunteer(conn: asyncpg.Connection, volunteer_id: int) -> Record | None:
    return await conn.fetchrow(
        "SELECT id, resident_id, points_balance FROM volunteer WHERE id = $1", volunteer_id
    )


async def lock_volunteer(conn: asyncpg.Connection, volunteer_id: int) -> Record | None:
    """The volunteer's row, locked: ledger entries for them queue behind this transaction."""
    return await conn.fetchrow(
        "SELECT id, resident_id, points_balance FROM volunteer WHERE id = $1 FOR NO KEY UPDATE",
        volunteer_id,
    )


async def team(conn: asyncpg.Connection, team_id: int) -> Record | None:
    return await conn.fetchrow(
        "SELECT id, area_id, area_path::text AS area_path FROM volunteer_team WHERE id = $1",
        team_id,
    )


async def membership(conn: asyncpg.Connection, team_id: int, volunteer_id: int) -> Record | None:
    return await conn.fetchrow(
        "SELECT id, role::text AS role FROM team_member WHERE team_id = $1 AND volunteer_id = $2"
        " FOR UPDATE",
        team_id,
        volunteer_id,
    )


async def leads_team(conn: asyncpg.Connection, team_id: int, resident_id: int) -> bool:
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM team_member m JOIN volunteer v ON v.id = m.volunteer_id"
        " WHERE m.team_id = $1 AND m.role = 'leader' AND v.resident_id = $2)",
        team_id,
        resident_id,
    )


async def activity(conn: asyncpg.Connection, activity_id: int) -> Record | None:
    return await conn.fetchrow(
        "SELECT id, team_id, starts_at, ends_at,"
        " (extract(epoch FROM ends_at - starts_at) / 60)::int AS window_minutes"
        " FROM activity WHERE id = $1",
        activity_id,
    )


async def lock_record(conn: asyncpg.Connection, record_id: int) -> Record | None:
    return await conn.fetchrow(
        "SELECT id, activity_id, volunteer_id, team_id, status::text AS status,"
        " completed_minutes FROM service_record WHERE id = $1 FOR UPDATE",
        record_id,
    )


async def lock_record_of(
    conn: asyncpg.Connection, activity_id: int, volunteer_id: int
) -> Record | None:
    return await conn.fetchrow(
        "SELECT id, status::text AS status FROM service_record"
        " WHERE activity_id = $1 AND volunteer_id = $2 FOR UPDATE",
        activity_id,
        volunteer_id,
    )


async def lock_reward(conn: asyncpg.Connection, reward_id: int) -> Record | None:
    return await conn.fetchrow(
        "SELECT id, points_cost, stock FROM reward WHERE id = $1 FOR NO KEY UPDATE", reward_id
    )


# -- writes ------------------------------------------------------------------------------


async def insert_volunteer(
    conn: asyncpg.Connection, resident_id: int, insured_until: dt.date | None
) -> int:
    return await conn.fetchval(
        "INSERT INTO volunteer (resident_id, insured_until) VALUES ($1, $2) RETURNING id",
        resident_id,
        insured_until,
    )


async def insert_team(conn: asyncpg.Connection, area_id: int, name: str, kind: str) -> int:
    return await conn.fetchval(
        "INSERT INTO volunteer_team (area_id, name, kind)"
        " VALUES ($1, $2, $3::volunteer_team_kind) RETURNING id",
        area_id,
        name,
        kind,
    )


async def insert_member(
    conn: asyncpg.Connection, team_id: int, volunteer_id: int, role: str
) -> int:
    return await conn.fetchval(
        "INSERT INTO team_member (team_id, volunteer_id, role) VALUES ($1, $2, $3::team_role)"
        " RETURNING id",
        team_id,
        volunteer_id,
        role,
    )


async def set_member_role(conn: asyncpg.Connection, member_id: int, role: str) -> None:
    await conn.execute("UPDATE team_member SET role = $2::team_role WHERE id = $1", member_id, role)


async def delete_member(conn: asyncpg.Connection, member_id: int) -> None:
    await conn.execute("DELETE FROM team_member WHERE id = $1", member_id)


async def insert_activity(
    conn: asyncpg.Connection,
    team_id: int,
    area_id: int,
    title: str,
    kind: str,
    place: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
) -> int:
    return await conn.fetchval(
        "INSERT INTO activity (team_id, area_id, title, kind, place, starts_at, ends_at)"
        " VALUES ($1, $2, $3, $4::activity_kind, $5, $6, $7) RETURNING id",
        team_id,
        area_id,
        title,
        kind,
        place,
        starts_at,
        ends_at,
    )


async def insert_record(
    conn: asyncpg.Connection,
    activity_id: int,
    volunteer_id: int,
    *,
    status: str,
    scheduled_minutes: int | None,
    completed_minutes: int | None = None,
    travel_minutes: int = 0,
) -> int:
    return await conn.fetchval(
        "INSERT INTO service_record (activity_id, volunteer_id, status, scheduled_minutes,"
        " completed_minutes, travel_minutes) VALUES ($1, $2, $3::service_status, $4, $5, $6)"
        " RETURNING id",
        activity_id,
        volunteer_id,
        status,
        scheduled_minutes,
        completed_minutes,
        travel_minutes,
    )


async def complete_record(
    conn: asyncpg.Connection, record_id: int, completed_minutes: int, travel_minutes: int
) -> None:
    await conn.execute(
        "UPDATE service_record SET status = 'completed', completed_minutes = $2,"
        " travel_minutes = $3 WHERE id = $1",
        record_id,
        completed_minutes,
        travel_minutes,
    )


async def verify_record(conn: asyncpg.Connection, record_id: int, leader_id: int) -> bool:
    """Verify a completed record; False when it was not (no longer) completed. The
    database's triggers check the leader and credit minutes and points, once."""
    status = await conn.execute(
        "UPDATE service_record SET status = 'verified', verified_by = $2, verified_at = now()"
        " WHERE id = $1 AND status = 'completed'",
        record_id,
        leader_id,
    )
    return status == "UPDATE 1"


async def take_stock(conn: asyncpg.Connection, reward_id: int, quantity: int) -> int | None:
    """Take ``quantity`` from the reward's stock in one statement; the CHECK refuses going
    below zero. Returns the cost of one, or None when there is no such reward."""
    return await conn.fetchval(
        "UPDATE reward SET stock = stock - $2 WHERE id = $1 RETURNING points_cost",
        reward_id,
        quantity,
    )


async def add_stock(conn: asyncpg.Connection, reward_id: int, quantity: int) -> None:
    await conn.execute("UPDATE reward SET stock = stock + $2 WHERE id = $1", reward_id, quantity)


@dataclass(frozen=True)
class Entry:
    volunteer_id: int
    kind: str
    points: int
    created_by: str
    reward_id: int | None = None
    quantity: int | None = None
    reason: str | None = None


async def insert_entry(conn: asyncpg.Connection, entry: Entry) -> int:
    """Append to the ledger; the balance moves in the same statement (or the CHECK fails)."""
    return await conn.fetchval(
        "INSERT INTO points_entry (volunteer_id, kind, points, reward_id, quantity, reason,"
        " created_by) VALUES ($1, $2::points_entry_kind, $3, $4, $5, $6, $7) RETURNING id",
        entry.volunteer_id,
        entry.kind,
        entry.points,
        entry.reward_id,
        entry.quantity,
        entry.reason,
        entry.created_by,
    )


async def set_rate(conn: asyncpg.Connection, area_id: int, points_per_hour: int) -> int:
    return await conn.fetchval(
        "INSERT INTO points_rate (area_id, points_per_hour) VALUES ($1, $2)"
        " ON CONFLICT (area_id) DO UPDATE SET points_per_hour = EXCLUDED.points_per_hour,"
        " updated_at = now() RETURNING id",
        area_id,
        points_per_hour,
    )


async def insert_reward(
    conn: asyncpg.Connection, area_id: int, name: str, points_cost: int, stock: int
) -> int:
    return await conn.fetchval(
        "INSERT INTO reward (area_id, name, points_cost, stock) VALUES ($1, $2, $3, $4)"
        " RETURNING id",
        area_id,
        name,
        points_cost,
        stock,
    )


# Points expire first in, first out: every debit (redemption, expiry, negative adjustment)
# used the oldest credits first, so what is left of the credits older than the cutoff is
# their sum less all debits so far, and never more than the balance. Running it twice
# expires nothing the second time.
EXPIRABLE = """
    SELECT v.id AS volunteer_id,
           least(v.points_balance,
                 coalesce(sum(e.points) FILTER (WHERE e.points > 0 AND e.created_at < $2), 0)
                 + coalesce(sum(e.points) FILTER (WHERE e.points < 0), 0)) AS points
      FROM volunteer v JOIN points_entry e ON e.volunteer_id = v.id
     WHERE v.area_path <@ $1::ltree AND v.points_balance > 0
     GROUP BY v.id"""


async def expire_points(
    conn: asyncpg.Connection, area_path: str, cutoff: dt.datetime, created_by: str
) -> list[Record]:
    """Expire what is left of points credited before ``cutoff`` for the volunteers of an
    area. Their rows are locked first, so no redemption slips in between the sums and the
    entries."""
    await conn.execute(
        "SELECT 1 FROM volunteer WHERE area_path <@ $1::ltree AND points_balance > 0"
        " ORDER BY id FOR NO KEY UPDATE",
        area_path,
    )
    return await conn.fetch(
        f"""
        INSERT INTO points_entry (volunteer_id, kind, points, reason, created_by)
        SELECT x.volunteer_id, 'expire', -x.points, $3, $4
          FROM ({EXPIRABLE}) x WHERE x.points > 0 ORDER BY x.volunteer_id
        RETURNING id, volunteer_id, points
        """,
        area_path,
        cutoff,
        f"points credited before {cutoff.isoformat()}",
        created_by,
    )
