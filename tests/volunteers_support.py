"""Shared arrangements of the volunteers tests: a village with residents, volunteers, a team
with a leader, a past activity, and helpers calling the mutations over GraphQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import asyncpg
from strawberry import relay

from tests.factories import add_areas, add_household

VILLAGE = "510129101201"  # 大坪村
COMPOUND = "510129101201-01"
OTHER_VILLAGE = "510129102001"  # 南湖社区

FAILED = "... on VolunteerMutationFailed { errors { code message field } }"


def gid(type_name: str, key: int) -> str:
    return relay.to_base64(type_name, key)


def key(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


@dataclass
class World:
    areas: dict[str, int]
    households: list[int]
    residents: list[int]  # residents[i] is in households[i]
    volunteers: list[str]  # global ids; volunteers[0] is the leader
    team: str
    activity: str


async def mutate(gql: Any, name: str, input_: dict[str, Any], payload: str) -> dict[str, Any]:
    """Run one mutation; return its result object (payload or failure)."""
    data = await gql(
        f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) "
        f"{{ __typename ... on {payload} {FAILED} }} }}",
        {"input": input_},
    )
    return data[name]


def codes(result: dict[str, Any]) -> list[str]:
    assert result["__typename"] == "VolunteerMutationFailed", result
    return [e["code"] for e in result["errors"]]


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert result["__typename"] != "VolunteerMutationFailed", result
    return result


async def register(gql: Any, resident: int) -> str:
    result = ok(
        await mutate(
            gql,
            "registerVolunteer",
            {"residentId": gid("Resident", resident)},
            "VolunteerPayload { volunteer { id } }",
        )
    )
    return result["volunteer"]["id"]


async def record(gql: Any, activity: str, volunteer: str, minutes: int) -> dict[str, Any]:
    return await mutate(
        gql,
        "recordService",
        {"activityId": activity, "volunteerId": volunteer, "completedMinutes": minutes},
        "ServiceRecordPayload { record { id status completedMinutes } }",
    )


async def verify(gql: Any, record_id: str, leader: int) -> dict[str, Any]:
    return await mutate(
        gql,
        "verifyService",
        {"recordId": record_id, "leaderId": gid("Resident", leader)},
        "ServiceRecordPayload { record { id status pointsEarned verifier { name } } }",
    )


async def activity(gql: Any, team: str, hours_ago: int = 48, length_minutes: int = 180) -> str:
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=hours_ago)
    result = ok(
        await mutate(
            gql,
            "createActivity",
            {
                "teamId": team,
                "title": "院坝清洁",
                "kind": "CLEANUP",
                "place": "一组院坝",
                "startsAt": starts.isoformat(),
                "endsAt": (starts + dt.timedelta(minutes=length_minutes)).isoformat(),
            },
            "ActivityPayload { activity { id } }",
        )
    )
    return result["activity"]["id"]


async def credit(gql: Any, volunteer: str, points: int) -> None:
    ok(
        await mutate(
            gql,
            "adjustPoints",
            {"volunteerId": volunteer, "points": points, "reason": "opening balance"},
            "PointsEntryPayload { entry { id } }",
        )
    )


async def reward(gql: Any, cost: int, stock: int, name: str = "洗衣液") -> str:
    result = ok(
        await mutate(
            gql,
            "createReward",
            {"areaCode": VILLAGE, "name": name, "pointsCost": cost, "stock": stock},
            "RewardPayload { reward { id } }",
        )
    )
    return result["reward"]["id"]


async def build_world(db: asyncpg.Connection, gql: Any) -> World:
    areas = await add_areas(db)
    households, residents = [], []
    for i, name in enumerate(["李队长", "王芳", "张伟", "刘洋", "陈静"]):
        hid, rids = await add_household(
            db, areas[COMPOUND], f"{i + 1}", [{"name": name, "gender": "female"}]
        )
        households.append(hid)
        residents.append(rids[0])
    volunteers = [await register(gql, r) for r in residents[:4]]
    team = ok(
        await mutate(
            gql,
            "createVolunteerTeam",
            {"areaCode": VILLAGE, "name": "大坪村文明实践队", "kind": "CIVILITY"},
            "VolunteerTeamPayload { team { id } }",
        )
    )["team"]["id"]
    for i, volunteer in enumerate(volunteers):
        ok(
            await mutate(
                gql,
                "addTeamMember",
                {
                    "teamId": team,
                    "volunteerId": volunteer,
                    "role": "LEADER" if i == 0 else "MEMBER",
                },
                "TeamMemberPayload { member { id role } }",
            )
        )
    return World(areas, households, residents, volunteers, team, await activity(gql, team))
