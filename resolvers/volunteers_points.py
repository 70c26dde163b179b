"""Mutations of the volunteers' points ledger: redemptions, adjustments, expiry, earning
rates and rewards (docs/volunteers.md). Checked and run as every volunteers mutation is
(resolvers/volunteers_base.py, resolvers/volunteers_mutations.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import asyncpg
from strawberry import Info

from db import volunteers_writes as writes
from db.volunteers_mapping import (
    POINTS_ENTRY,
    REWARD,
)
from resolvers.community_checks import Problem, parse_key
from resolvers.volunteers_base import (
    LEDGER_KEEPERS,
    MAX_POINTS,
    MAX_QUANTITY,
    NAME_MAX,
    REASON_MAX,
    WORKERS,
    Outcome,
    Problems,
    Written,
    check_range,
    find_area,
    find_volunteer,
    read_row,
    run,
    text,
    who,
)


async def redeem(info: Info, data: Any) -> Outcome:
    problems = Problems()
    volunteer_key = parse_key(data.volunteer_id, "Volunteer", "volunteerId", problems)  # type: ignore[arg-type]
    reward_key = parse_key(data.reward_id, "Reward", "rewardId", problems)  # type: ignore[arg-type]
    check_range(data.quantity, "quantity", 1, MAX_QUANTITY, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        # volunteer before reward, always: concurrent redemptions queue, never deadlock
        vol = await find_volunteer(conn, volunteer_key, problems, lock=True)
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
                who(info),
                reward_id=reward_key,
                quantity=data.quantity,
            ),
        )
        return Written(await read_row(conn, POINTS_ENTRY, key), "PointsEntry")

    return await run(info, WORKERS, work)


async def adjust(info: Info, data: Any) -> Outcome:
    problems = Problems()
    volunteer_key = parse_key(data.volunteer_id, "Volunteer", "volunteerId", problems)  # type: ignore[arg-type]
    reason = text(data.reason, "reason", REASON_MAX, problems)
    if data.points == 0 or abs(data.points) > MAX_POINTS:
        problems.add("INVALID_INPUT", f"points must be non-zero and at most {MAX_POINTS}", "points")

    async def work(conn: asyncpg.Connection) -> Written:
        vol = await find_volunteer(conn, volunteer_key, problems, lock=True)
        if vol is not None and vol["points_balance"] + data.points < 0:
            problems.add(
                "INSUFFICIENT_POINTS",
                f"the balance is {vol['points_balance']}; it cannot go below zero",
                "points",
            )
        problems.refuse_if_any()
        assert volunteer_key is not None
        key = await writes.insert_entry(
            conn, writes.Entry(volunteer_key, "adjust", data.points, who(info), reason=reason)
        )
        return Written(await read_row(conn, POINTS_ENTRY, key), "PointsEntry")

    return await run(info, LEDGER_KEEPERS, work)


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
    check_range(days, "olderThanDays", 1, 36500, problems)
    result: list[Expired] = []

    async def work(conn: asyncpg.Connection) -> Written:
        area = await find_area(conn, data.area_code, problems)
        problems.refuse_if_any()
        assert area is not None
        cutoff = await conn.fetchval("SELECT now() - make_interval(days => $1)", days)
        entries = await writes.expire_points(conn, area["path"], cutoff, who(info))
        result.append(Expired(area["id"], cutoff, len(entries), -sum(e["points"] for e in entries)))
        return Written(area, "Area")

    outcome = await run(info, LEDGER_KEEPERS, work)
    return outcome if isinstance(outcome, list) else result[0]


async def set_rate(info: Info, data: Any) -> Outcome:
    problems = Problems()
    check_range(data.points_per_hour, "pointsPerHour", 1, 1000, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        area = await find_area(conn, data.area_code, problems)
        problems.refuse_if_any()
        assert area is not None
        key = await writes.set_rate(conn, area["id"], data.points_per_hour)
        row = await conn.fetchrow(
            "SELECT r.id, a.code AS area_code, r.points_per_hour FROM points_rate r"
            " JOIN area a ON a.id = r.area_id WHERE r.id = $1",
            key,
        )
        return Written(row, "PointsRate")

    return await run(info, LEDGER_KEEPERS, work)


async def create_reward(info: Info, data: Any) -> Outcome:
    problems = Problems()
    name = text(data.name, "name", NAME_MAX, problems)
    check_range(data.points_cost, "pointsCost", 1, MAX_POINTS, problems)
    check_range(data.stock, "stock", 0, MAX_QUANTITY * 100, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        area = await find_area(conn, data.area_code, problems)
        problems.refuse_if_any()
        assert area is not None
        key = await writes.insert_reward(conn, area["id"], name, data.points_cost, data.stock)
        return Written(await read_row(conn, REWARD, key), "Reward")

    return await run(info, WORKERS, work)


async def restock(info: Info, data: Any) -> Outcome:
    problems = Problems()
    reward_key = parse_key(data.reward_id, "Reward", "rewardId", problems)  # type: ignore[arg-type]
    check_range(data.quantity, "quantity", 1, MAX_QUANTITY * 100, problems)

    async def work(conn: asyncpg.Connection) -> Written:
        if reward_key is not None and await writes.lock_reward(conn, reward_key) is None:
            problems.add("NOT_FOUND", "no such reward (or outside your area)", "rewardId")
        problems.refuse_if_any()
        assert reward_key is not None
        await writes.add_stock(conn, reward_key, data.quantity)
        return Written(await read_row(conn, REWARD, reward_key), "Reward")

    return await run(info, WORKERS, work)
