"""Star ratings at every threshold, and who may verify service (only the team's leader)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from db.connect import create_pool
from tests.conftest import bearer
from tests.paths import both
from tests.volunteers_support import (
    World,
    activity,
    build_world,
    codes,
    gid,
    key,
    mutate,
    ok,
    record,
    verify,
)


@pytest.fixture
async def world(db: asyncpg.Connection, gql: Any) -> World:
    return await build_world(db, gql)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(database_url, min_size=1, max_size=4, app_role=True)
    try:
        yield p
    finally:
        await p.close()


# (verified minutes, stars, minutes of the next star, progress percent)
THRESHOLDS = [
    (0, 0, 6000, 0),
    (5999, 0, 6000, 99),  # 99:59 hours
    (6000, 1, 18000, 0),  # 100 hours
    (17999, 1, 18000, 99),
    (18000, 2, 36000, 0),  # 300 hours
    (35999, 2, 36000, 99),
    (36000, 3, 60000, 0),  # 600 hours
    (59999, 3, 60000, 99),
    (60000, 4, 90000, 0),  # 1000 hours
    (75000, 4, 90000, 50),
    (89999, 4, 90000, 99),
    (90000, 5, None, 100),  # 1500 hours
    (1_000_000, 5, None, 100),
]


@pytest.mark.parametrize(("minutes", "stars", "next_star", "progress"), THRESHOLDS)
async def test_star_functions(
    db, minutes: int, stars: int, next_star: int | None, progress: int
) -> None:  # type: ignore[no-untyped-def]
    row = await db.fetchrow(
        "SELECT volunteer_stars($1) AS s, volunteer_next_star_minutes($1) AS n,"
        " volunteer_star_progress($1) AS p",
        minutes,
    )
    assert (row["s"], row["n"], row["p"]) == (stars, next_star, progress)


async def _serve(db: asyncpg.Connection, world: World, volunteer: str, minutes: int) -> None:
    """Verified service of ``minutes`` in all, in day-long activities (the owner writes
    them directly; the triggers check and credit as for any writer)."""
    team = key(world.team)
    while minutes > 0:
        part = min(minutes, 1440)
        act = await db.fetchval(
            "INSERT INTO activity (team_id, area_id, title, kind, place, starts_at, ends_at)"
            " SELECT $1, area_id, '巡逻', 'patrol', '村口', s, s + interval '24 hours'"
            " FROM volunteer_team, (SELECT now() - interval '400 days'"
            "   + (SELECT count(*) FROM activity) * interval '1 day' AS s) t"
            " WHERE id = $1 RETURNING id",
            team,
        )
        await db.execute(
            "INSERT INTO service_record (activity_id, volunteer_id, status, completed_minutes,"
            " verified_by) VALUES ($1, $2, 'verified', $3, $4)",
            act,
            key(volunteer),
            part,
            world.residents[0],
        )
        minutes -= part


RATING = """query($id: ID!) { node(id: $id) { ... on Volunteer { verifiedMinutes stars
    nextStarMinutes minutesToNextStar starProgressPercent } } }"""


@pytest.mark.parametrize(
    ("minutes", "stars", "next_star", "progress"),
    [t for t in THRESHOLDS if t[0] in (5999, 6000, 17999, 18000, 36000, 60000, 90000)],
)
async def test_rating_through_both_read_paths(  # type: ignore[no-untyped-def]
    db, pool, world: World, minutes: int, stars: int, next_star: int | None, progress: int
) -> None:
    volunteer = world.volunteers[1]
    await _serve(db, world, volunteer, minutes)
    data = (await both(pool, RATING, {"id": volunteer}))["data"]["node"]
    assert data == {
        "verifiedMinutes": minutes,
        "stars": stars,
        "nextStarMinutes": next_star,
        "minutesToNextStar": None if next_star is None else next_star - minutes,
        "starProgressPercent": progress,
    }


async def test_unverified_service_earns_no_stars(db, pool, gql, world: World) -> None:  # type: ignore[no-untyped-def]
    ok(await record(gql, world.activity, world.volunteers[1], 180))
    data = (await both(pool, RATING, {"id": world.volunteers[1]}))["data"]["node"]
    assert data["verifiedMinutes"] == 0
    assert data["stars"] == 0


async def test_only_the_team_leader_verifies(db, gql, world: World) -> None:  # type: ignore[no-untyped-def]
    rec = ok(await record(gql, world.activity, world.volunteers[1], 60))["record"]
    # a member who is not the leader, and a resident in no team
    assert codes(await verify(gql, rec["id"], world.residents[2])) == ["NOT_TEAM_LEADER"]
    assert codes(await verify(gql, rec["id"], world.residents[4])) == ["NOT_TEAM_LEADER"]
    # the leader of ANOTHER team
    other = ok(
        await mutate(
            gql,
            "createVolunteerTeam",
            {"areaCode": "510129101201", "name": "调解队", "kind": "MEDIATION"},
            "VolunteerTeamPayload { team { id } }",
        )
    )["team"]["id"]
    ok(
        await mutate(
            gql,
            "addTeamMember",
            {"teamId": other, "volunteerId": world.volunteers[3], "role": "LEADER"},
            "TeamMemberPayload { member { role } }",
        )
    )
    assert codes(await verify(gql, rec["id"], world.residents[3])) == ["NOT_TEAM_LEADER"]
    # the leader's own service
    own = ok(await record(gql, world.activity, world.volunteers[0], 60))["record"]
    assert codes(await verify(gql, own["id"], world.residents[0])) == ["SELF_VERIFICATION"]
    # a member promoted to leader may verify; a leader removed may no longer
    ok(
        await mutate(
            gql,
            "addTeamMember",
            {"teamId": world.team, "volunteerId": world.volunteers[2], "role": "LEADER"},
            "TeamMemberPayload { member { role } }",
        )
    )
    ok(
        await mutate(
            gql,
            "removeTeamMember",
            {"teamId": world.team, "volunteerId": world.volunteers[0]},
            "VolunteerTeamPayload { team { memberCount } }",
        )
    )
    assert codes(await verify(gql, rec["id"], world.residents[0])) == ["NOT_TEAM_LEADER"]
    assert ok(await verify(gql, rec["id"], world.residents[2]))["record"]["status"] == "VERIFIED"
    assert await db.fetchval("SELECT count(*) FROM points_entry") == 1


async def test_the_database_refuses_a_verifier_who_does_not_lead(db, gql, world: World) -> None:  # type: ignore[no-untyped-def]
    rec = ok(await record(gql, world.activity, world.volunteers[1], 60))["record"]
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute(
            "UPDATE service_record SET status = 'verified', verified_by = $2, verified_at = now()"
            " WHERE id = $1",
            key(rec["id"]),
            world.residents[2],
        )
    assert caught.value.constraint_name == "service_record_verifier_leads"


async def test_signed_up_records_are_completed_before_verification(db, gql, world: World) -> None:  # type: ignore[no-untyped-def]
    signed = ok(
        await mutate(
            gql,
            "signUpForActivity",
            {"activityId": world.activity, "volunteerId": world.volunteers[1]},
            "ServiceRecordPayload { record { id status scheduledMinutes } }",
        )
    )["record"]
    assert signed["status"] == "SIGNED_UP"
    assert signed["scheduledMinutes"] == 180
    assert codes(await verify(gql, signed["id"], world.residents[0])) == ["NOT_COMPLETED"]
    again = await mutate(
        gql,
        "signUpForActivity",
        {"activityId": world.activity, "volunteerId": world.volunteers[1]},
        "ServiceRecordPayload { record { id } }",
    )
    assert codes(again) == ["ALREADY_SIGNED_UP"]
    done = ok(await record(gql, world.activity, world.volunteers[1], 170))["record"]
    assert done == {"id": signed["id"], "status": "COMPLETED", "completedMinutes": 170}


async def test_travel_is_not_service_and_the_future_is_not_served(db, gql, world: World) -> None:  # type: ignore[no-untyped-def]
    # 180-minute window: 200 minutes served cannot be, whatever the travel
    assert codes(await record(gql, world.activity, world.volunteers[1], 200)) == ["WINDOW_EXCEEDED"]
    result = await mutate(
        gql,
        "recordService",
        {
            "activityId": world.activity,
            "volunteerId": world.volunteers[1],
            "completedMinutes": 180,
            "travelMinutes": 40,
        },
        "ServiceRecordPayload { record { id completedMinutes travelMinutes } }",
    )
    rec = ok(result)["record"]
    assert (rec["completedMinutes"], rec["travelMinutes"]) == (180, 40)
    ok(await verify(gql, rec["id"], world.residents[0]))
    assert (
        await db.fetchval(
            "SELECT verified_minutes FROM volunteer WHERE id = $1", key(world.volunteers[1])
        )
        == 180
    )
    future = await activity(gql, world.team, hours_ago=-24)
    assert codes(await record(gql, future, world.volunteers[1], 30)) == ["ACTIVITY_NOT_STARTED"]


async def test_a_leader_verifies_with_a_resident_token(client, db, gql, world: World) -> None:  # type: ignore[no-untyped-def]
    rec = ok(await record(gql, world.activity, world.volunteers[1], 60))["record"]
    query = (
        "mutation($i: VerifyServiceInput!) { verifyService(input: $i) { __typename"
        " ... on ServiceRecordPayload { record { status pointsEarned } }"
        " ... on VolunteerMutationFailed { errors { code field } } } }"
    )

    async def as_household(household: int, leader: int) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={
                "query": query,
                "variables": {"i": {"recordId": rec["id"], "leaderId": gid("Resident", leader)}},
            },
            headers=bearer("resident", subject=f"r{household}", household=household),
        )
        return response.json()["data"]["verifyService"]

    # another household naming the leader: refused (and the record is not theirs to see)
    refused = await as_household(world.households[2], world.residents[0])
    assert refused["errors"] == [
        {"code": "NOT_TEAM_LEADER", "field": "leaderId"},
        {"code": "NOT_FOUND", "field": "recordId"},
    ]
    # the leader's household names a non-leader (itself): refused
    mine = await as_household(world.households[4], world.residents[4])
    assert mine["__typename"] == "VolunteerMutationFailed"
    # the leader's own household: verified, and the audit log names the resident principal
    done = await as_household(world.households[0], world.residents[0])
    assert done == {
        "__typename": "ServiceRecordPayload",
        "record": {"status": "VERIFIED", "pointsEarned": 10},
    }
    row = await db.fetchrow(
        "SELECT subject, role, target_type FROM audit_log WHERE operation = 'verifyService'"
    )
    assert dict(row) == {
        "subject": f"r{world.households[0]}",
        "role": "resident",
        "target_type": "ServiceRecord",
    }
