"""Fields of Area and Resident that lead into the volunteers domain.

schema/community.py names them with one line each (``strawberry.field(resolver=...)``);
this module imports neither schema.community nor schema.volunteers at load time (they
import each other's types lazily), so the community module needs no other change.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info

from schema.common import Connection
from schema.reports_inputs import Month
from schema.volunteers_inputs import (
    ActivityFilter,
    ActivityOrder,
    RewardFilter,
    RewardOrder,
    TeamFilter,
    TeamOrder,
    VolunteerFilter,
    VolunteerOrder,
)

if TYPE_CHECKING:
    from schema.volunteers import (
        Activity,
        LeaderboardEntry,
        Reward,
        Volunteer,
        VolunteerMonth,
        VolunteerTeam,
    )

_V = "schema.volunteers"


async def _related(info: Info, root: Any, cls_name: str, relation: str, order: Any, *args: Any):  # type: ignore[no-untyped-def]
    import schema.volunteers as types
    from schema.community import related

    return await related(info, getattr(types, cls_name), "Area", relation, root.id, order, *args)


async def area_volunteers(
    root: strawberry.Parent[Any],
    info: Info,
    filter: VolunteerFilter | None = None,
    order_by: VolunteerOrder | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[Volunteer, strawberry.lazy(_V)]]:
    order = order_by or VolunteerOrder()
    return await _related(
        info, root, "Volunteer", "volunteers", order, filter, first, after, last, before
    )


async def area_teams(
    root: strawberry.Parent[Any],
    info: Info,
    filter: TeamFilter | None = None,
    order_by: TeamOrder | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[VolunteerTeam, strawberry.lazy(_V)]]:
    order = order_by or TeamOrder()
    return await _related(
        info, root, "VolunteerTeam", "teams", order, filter, first, after, last, before
    )


async def area_activities(
    root: strawberry.Parent[Any],
    info: Info,
    filter: ActivityFilter | None = None,
    order_by: ActivityOrder | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[Activity, strawberry.lazy(_V)]]:
    order = order_by or ActivityOrder()
    return await _related(
        info, root, "Activity", "activities", order, filter, first, after, last, before
    )


async def area_rewards(
    root: strawberry.Parent[Any],
    info: Info,
    filter: RewardFilter | None = None,
    order_by: RewardOrder | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[Reward, strawberry.lazy(_V)]]:
    order = order_by or RewardOrder()
    return await _related(
        info, root, "Reward", "rewards", order, filter, first, after, last, before
    )


async def area_volunteer_leaderboard(
    root: strawberry.Parent[Any],
    info: Info,
    since: dt.date | None = None,
    until: dt.date | None = None,
    first: int = 10,
) -> list[Annotated[LeaderboardEntry, strawberry.lazy(_V)]]:
    from resolvers import volunteers as read
    from schema.volunteers import LeaderboardEntry

    rows = await read.leaderboard(info, root.id, since, until, first)
    return [
        LeaderboardEntry(rank=r.rank, verified_minutes=r.minutes, volunteer_id=r.volunteer_id)
        for r in rows
    ]


async def area_volunteer_months(
    root: strawberry.Parent[Any],
    info: Info,
    from_month: Month | None = None,  # type: ignore[valid-type]
    to_month: Month | None = None,  # type: ignore[valid-type]
) -> list[Annotated[VolunteerMonth, strawberry.lazy(_V)]]:
    from resolvers import volunteers as read
    from schema.volunteers import VolunteerMonth

    rows = await read.months(info, root.id, from_month, to_month)  # type: ignore[arg-type]
    return [
        VolunteerMonth(
            month=r.month,
            active_volunteers=r.active_volunteers,
            verified_minutes=r.verified_minutes,
            activities=r.activities,
        )
        for r in rows
    ]


async def resident_volunteer(
    root: strawberry.Parent[Any], info: Info
) -> Annotated[Volunteer, strawberry.lazy(_V)] | None:
    from resolvers import community as read
    from schema.common import from_record
    from schema.volunteers import Volunteer

    row = await read.one(info, "Resident", "volunteer", root)
    return None if row is None else from_record(Volunteer, row)
