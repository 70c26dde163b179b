"""The points ledger: earning once on verification, redemption, adjustment, expiry, and a
balance (and reward stock) that never goes below zero, under concurrency too."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import httpx
import pytest

from db.session import Principal
from tests.conftest import bearer
from tests.volunteers_support import (
    FAILED,
    VILLAGE,
    World,
    build_world,
    codes,
    credit,
    key,
    mutate,
    ok,
    record,
    reward,
    verify,
)


@pytest.fixture
async def world(db: asyncpg.Connection, gql: Any) -> World:
    return await build_world(db, gql)


REDEEM = "PointsEntryPayload { entry { id kind points balanceAfter quantity reward { stock } } }"


async def balance(db: asyncpg.Connection, volunteer: str) -> int:
    return await db.fetchval("SELECT points_balance FROM volunteer WHERE id = $1", key(volunteer))


async def redeem(gql: Any, volunteer: str, reward_id: str, quantity: int = 1) -> dict[str, Any]:
    return await mutate(
        gql,
        "redeemReward",
        {"volunteerId": volunteer, "rewardId": reward_id, "quantity": quantity},
        REDEEM,
    )


async def test_verification_credits_points_once(db, gql, world: World) -> None:  # type: ignore[no-untyped-def]
    rec = ok(await record(gql, world.activity, world.volunteers[1], 90))["record"]
    assert rec["status"] == "COMPLETED"
    # completed but unverified time does not count
    assert (
        await db.fetchval(
            "SELECT verified_minutes FROM volunteer WHERE id = $1", key(world.volunteers[1])
        )
        == 0
    )
    done = ok(await verify(gql, rec["id"], world.residents[0]))["record"]
    assert done == {
        "id": rec["id"],
        "status": "VERIFIED",
        "pointsEarned": 15,  # 90 minutes at the default 10 points an hour
        "verifier": {"name": "李队长"},
    }
    again = await verify(gql, rec["id"], world.residents[0])
    assert codes(again) == ["ALREADY_VERIFIED"]
    assert await balance(db, world.volunteers[1]) == 15
    assert await db.fetchval("SELECT count(*) FROM points_entry WHERE kind = 'earn'") == 1
    # and the database refuses a second credit whoever writes it
    with pytest.raises(asyncpg.UniqueViolationError):
        await db.execute(
            "INSERT INTO points_entry (volunteer_id, kind, points, service_record_id, created_by)"
            " VALUES ($1, 'earn', 15, $2, 'x')",
            key(world.volunteers[1]),
            key(rec["id"]),
        )
    # recording more minutes on a verified record is refused too
    assert codes(await record(gql, world.activity, world.volunteers[1], 60)) == ["ALREADY_VERIFIED"]


async def test_concurrent_verifications_credit_once(client, db, world: World) -> None:  # type: ignore[no-untyped-def]
    rec = ok(await record(_gql(client), world.activity, world.volunteers[2], 120))["record"]
    results = await asyncio.gather(
        *(verify(_gql(client), rec["id"], world.residents[0]) for _ in range(4))
    )
    succeeded = [r for r in results if r["__typename"] == "ServiceRecordPayload"]
    assert len(succeeded) == 1, results
    assert all(codes(r) == ["ALREADY_VERIFIED"] for r in results if r not in succeeded)
    assert await balance(db, world.volunteers[2]) == 20
    assert (
        await db.fetchval(
            "SELECT verified_minutes FROM volunteer WHERE id = $1", key(world.volunteers[2])
        )
        == 120
    )


async def test_rate_is_set_per_area(db, gql, world: World) -> None:  # type: ignore[no-untyped-def]
    town = VILLAGE[:9]
    result = await mutate(
        gql,
        "setPointsRate",
        {"areaCode": town, "pointsPerHour": 30},
        "PointsRatePayload { areaCode pointsPerHour }",
    )
    assert result == {"__typename": "PointsRatePayload", "areaCode": town, "pointsPerHour": 30}
    rec = ok(await record(gql, world.activity, world.volunteers[1], 60))["record"]
    assert ok(await verify(gql, rec["id"], world.residents[0]))["record"]["pointsEarned"] == 30
    # the nearest area's rate wins
    ok(
        await mutate(
            gql,
            "setPointsRate",
            {"areaCode": VILLAGE, "pointsPerHour": 12},
            "PointsRatePayload { areaCode }",
        )
    )
    rec = ok(await record(gql, world.activity, world.volunteers[2], 60))["record"]
    assert ok(await verify(gql, rec["id"], world.residents[0]))["record"]["pointsEarned"] == 12
    bad = await mutate(
        gql,
        "setPointsRate",
        {"areaCode": "nope", "pointsPerHour": 0},
        "PointsRatePayload { areaCode }",
    )
    assert sorted(codes(bad)) == ["INVALID_INPUT", "UNKNOWN_AREA"]


async def test_redeem_reports_every_problem_and_writes_nothing(db, gql, world: World) -> None:  # type: ignore[no-untyped-def]
    volunteer = world.volunteers[1]
    await credit(gql, volunteer, 100)
    soap = await reward(gql, cost=40, stock=2)
    failed = await redeem(gql, volunteer, soap, quantity=3)
    assert sorted(codes(failed)) == ["INSUFFICIENT_POINTS", "OUT_OF_STOCK"]
    assert await balance(db, volunteer) == 100
    assert await db.fetchval("SELECT stock FROM reward WHERE id = $1", key(soap)) == 2
    entry = ok(await redeem(gql, volunteer, soap, quantity=2))["entry"]
    assert entry["kind"] == "REDEEM"
    assert entry["points"] == -80
    assert entry["balanceAfter"] == 20
    assert entry["quantity"] == 2
    assert entry["reward"] == {"stock": 0}
    await credit(gql, volunteer, 100)
    assert codes(await redeem(gql, volunteer, soap)) == ["OUT_OF_STOCK"]
    # the ledger sums to the balance
    assert await db.fetchval(
        "SELECT sum(points) FROM points_entry WHERE volunteer_id = $1", key(volunteer)
    ) == await balance(db, volunteer)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE operation = 'redeemReward'") == 1


async def test_adjust_needs_a_reason_a_keeper_and_a_balance(db, gql, client, world: World) -> None:  # type: ignore[no-untyped-def]
    volunteer = world.volunteers[1]
    result = await mutate(
        gql,
        "adjustPoints",
        {"volunteerId": volunteer, "points": -5, "reason": "  "},
        "PointsEntryPayload { entry { id } }",
    )
    assert sorted(codes(result)) == ["INSUFFICIENT_POINTS", "INVALID_INPUT"]
    zero = await mutate(
        gql,
        "adjustPoints",
        {"volunteerId": volunteer, "points": 0, "reason": "x"},
        "PointsEntryPayload { entry { id } }",
    )
    assert codes(zero) == ["INVALID_INPUT"]
    response = await client.post(
        "/graphql",
        json={
            "query": "mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { __typename "
            f"{FAILED} }} }}",
            "variables": {"i": {"volunteerId": volunteer, "points": 5, "reason": "gift"}},
        },
        headers=bearer("grid_worker", area=VILLAGE),
    )
    assert response.json()["data"]["adjustPoints"]["errors"][0]["code"] == "FORBIDDEN"
    await credit(gql, volunteer, 7)
    assert await balance(db, volunteer) == 7


async def test_ledger_is_append_only_and_balance_only_moves_with_it(db, gql, world: World) -> None:  # type: ignore[no-untyped-def]
    await credit(gql, world.volunteers[1], 10)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await db.execute("UPDATE points_entry SET points = 1000")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await db.execute("DELETE FROM points_entry")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await db.execute("TRUNCATE points_entry CASCADE")
    # an overdraw written straight into the ledger (by the owner, no checks in Python)
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute(
            "INSERT INTO points_entry (volunteer_id, kind, points, reason, created_by)"
            " VALUES ($1, 'adjust', -11, 'test', 'x')",
            key(world.volunteers[1]),
        )
    assert caught.value.constraint_name == "volunteer_points_nonnegative"
    # the service's role cannot set a balance, nor backdate an entry
    async with _app_connection(db) as app:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("UPDATE volunteer SET points_balance = 999")
    async with _app_connection(db) as app:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute(
                "INSERT INTO points_entry (volunteer_id, kind, points, reason, created_by,"
                " created_at) VALUES ($1, 'adjust', 1, 'x', 'x', now() - interval '9 years')",
                key(world.volunteers[1]),
            )


class _app_connection:
    """A connection of the service's role with an admin's settings, in a transaction."""

    def __init__(self, db: asyncpg.Connection) -> None:
        self.db = db

    async def __aenter__(self) -> asyncpg.Connection:
        params = self.db._params  # type: ignore[attr-defined]
        addr = self.db._addr  # type: ignore[attr-defined]
        self.conn = await asyncpg.connect(
            host=addr if isinstance(addr, str) else addr[0],
            port=None if isinstance(addr, str) else addr[1],
            user=params.user,
            database=params.database,
            password=params.password,
        )
        await self.conn.execute("SET ROLE gongzhi_app")
        await self.conn.execute(
            Principal("t", "admin").settings_sql(read_only=False, operation="t")
        )
        return self.conn

    async def __aexit__(self, *exc: object) -> None:
        await self.conn.execute("ROLLBACK")
        await self.conn.close()


async def test_two_concurrent_overdrawing_entries_one_commits(
    db, database_url, gql, world: World
) -> None:  # type: ignore[no-untyped-def]
    """Two transactions on two connections, each taking 60 of a balance of 100: the second
    waits on the first's row lock, then its CHECK refuses it."""
    volunteer = key(world.volunteers[1])
    await credit(gql, world.volunteers[1], 100)
    insert = (
        "INSERT INTO points_entry (volunteer_id, kind, points, reason, created_by)"
        " VALUES ($1, 'adjust', -60, 'concurrent', 'x')"
    )
    a, b = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        await a.execute("BEGIN")
        await b.execute("BEGIN")
        await a.execute(insert, volunteer)
        second = asyncio.create_task(b.execute(insert, volunteer))
        await asyncio.sleep(0.3)
        assert not second.done(), "the second entry should wait for the first's lock"
        waiting = await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE 'INSERT INTO points_entry%'"
        )
        assert waiting == 1
        await a.execute("COMMIT")
        with pytest.raises(asyncpg.CheckViolationError) as caught:
            await second
        assert caught.value.constraint_name == "volunteer_points_nonnegative"
        await b.execute("ROLLBACK")
    finally:
        await a.close()
        await b.close()
    assert await db.fetchval("SELECT points_balance FROM volunteer WHERE id = $1", volunteer) == 40


def _gql(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    async def run(query: str, variables: dict | None = None) -> Any:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        assert not body.get("errors"), json.dumps(body, ensure_ascii=False)
        return body["data"]

    return run


@pytest.mark.parametrize("round_", range(3))
async def test_two_concurrent_redemptions_exactly_one_succeeds(
    client, db, world: World, round_: int
) -> None:  # type: ignore[no-untyped-def]
    gql = _gql(client)
    volunteer = world.volunteers[1]
    await credit(gql, volunteer, 100)
    soap = await reward(gql, cost=60, stock=10, name=f"肥皂{round_}")
    results = await asyncio.gather(redeem(gql, volunteer, soap), redeem(gql, volunteer, soap))
    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["PointsEntryPayload", "VolunteerMutationFailed"], results
    failed = next(r for r in results if r["__typename"] == "VolunteerMutationFailed")
    assert codes(failed) == ["INSUFFICIENT_POINTS"]
    assert await balance(db, volunteer) == 40
    assert await db.fetchval("SELECT stock FROM reward WHERE id = $1", key(soap)) == 9


async def test_concurrent_redemptions_never_take_stock_below_zero(client, db, world: World) -> None:  # type: ignore[no-untyped-def]
    gql = _gql(client)
    for volunteer in world.volunteers:
        await credit(gql, volunteer, 50)
    last_one = await reward(gql, cost=10, stock=1, name="最后一个")
    results = await asyncio.gather(*(redeem(gql, v, last_one) for v in world.volunteers))
    succeeded = [r for r in results if r["__typename"] == "PointsEntryPayload"]
    assert len(succeeded) == 1, results
    assert all(
        codes(r) == ["OUT_OF_STOCK"] for r in results if r["__typename"] != "PointsEntryPayload"
    )
    assert await db.fetchval("SELECT stock FROM reward WHERE id = $1", key(last_one)) == 0
    assert await db.fetchval("SELECT sum(points_balance) FROM volunteer") == 4 * 50 - 10
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute("UPDATE reward SET stock = stock - 1 WHERE id = $1", key(last_one))
    assert caught.value.constraint_name == "reward_stock_nonnegative"


async def test_expiry_takes_what_is_left_of_old_credits_once(db, gql, world: World) -> None:  # type: ignore[no-untyped-def]
    volunteer = key(world.volunteers[1])
    # 100 points credited 800 days ago (the owner may backdate; the service may not)
    await db.execute(
        "INSERT INTO points_entry (volunteer_id, kind, points, reason, created_by, created_at)"
        " VALUES ($1, 'adjust', 100, 'old credit', 'import', now() - interval '800 days')",
        volunteer,
    )
    await credit(gql, world.volunteers[1], 50)  # recent
    soap = await reward(gql, cost=30, stock=5)
    ok(await redeem(gql, world.volunteers[1], soap))  # spends the oldest points first
    expire = "ExpirePointsPayload { volunteers points area { code } }"
    result = ok(await mutate(gql, "expirePoints", {"areaCode": VILLAGE}, expire))
    assert result == {
        "__typename": "ExpirePointsPayload",
        "volunteers": 1,
        "points": 70,
        "area": {"code": VILLAGE},
    }
    assert await db.fetchval("SELECT points_balance FROM volunteer WHERE id = $1", volunteer) == 50
    again = ok(await mutate(gql, "expirePoints", {"areaCode": VILLAGE}, expire))
    assert again["points"] == 0
    # a shorter age catches the recent credit too; nothing goes below zero
    none_left = ok(
        await mutate(gql, "expirePoints", {"areaCode": VILLAGE, "olderThanDays": 1}, expire)
    )
    assert none_left["points"] == 0  # credited today: younger than a day
    kinds = [
        r["kind"]
        for r in await db.fetch(
            "SELECT kind::text FROM points_entry WHERE volunteer_id = $1 ORDER BY id", volunteer
        )
    ]
    assert kinds == ["adjust", "adjust", "redeem", "expire"]
