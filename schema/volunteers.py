"""Volunteers 志愿者: teams, activities, service records, points, star ratings."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry import Info, relay

from resolvers import community as read
from schema.common import Connection, from_record
from schema.community import Area, Resident, nodes_of, related, root_connection
from schema.reports_inputs import Month
from schema.volunteers_inputs import (
    ActivityFilter,
    ActivityKind,
    ActivityOrder,
    PointsEntryFilter,
    PointsEntryKind,
    PointsEntryOrder,
    RewardFilter,
    RewardOrder,
    ServiceRecordFilter,
    ServiceRecordOrder,
    ServiceStatus,
    TeamFilter,
    TeamKind,
    TeamOrder,
    TeamRole,
    VolunteerFilter,
    VolunteerOrder,
)


async def _one(info: Info, parent: str, relation: str, obj: object, cls: type):  # type: ignore[no-untyped-def]
    row = await read.one(info, parent, relation, obj)
    return None if row is None else from_record(cls, row)


@strawberry.federation.type(keys=["id"], description="A resident registered as a volunteer.")
class Volunteer(relay.Node):
    id: relay.NodeID[int]
    points_balance: int = strawberry.field(description="Points 积分 available; never negative.")
    verified_minutes: int = strawberry.field(
        description="Cumulative verified service minutes (travel excluded)."
    )
    stars: int = strawberry.field(
        description="Star rating 星级: 1-5 at 100, 300, 600, 1000, 1500 verified hours."
    )
    next_star_minutes: int | None = strawberry.field(
        description="Verified minutes at which the next star is reached; null at five stars."
    )
    minutes_to_next_star: int | None
    star_progress_percent: int = strawberry.field(
        description="Whole percent from this star's threshold to the next; 100 at five stars."
    )
    insured_until: dt.date | None = strawberry.field(description="Accident insurance cover.")
    registered_at: dt.datetime
    resident_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Volunteer | None:
        row = await read.by_key(info, "Volunteer", int(relay.GlobalID.from_id(id).node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field(description="Null when your role may not see the resident.")
    async def resident(self, info: Info) -> Resident | None:
        return await _one(info, "Volunteer", "resident", self, Resident)

    @strawberry.field(description="Teams the volunteer belongs to, in joining order.")
    async def memberships(self, info: Info) -> list[TeamMember]:
        rows = await read.listed(info, "Volunteer", "memberships", self.id)
        return [from_record(TeamMember, r) for r in rows]

    @strawberry.field
    async def service_records(
        self,
        info: Info,
        filter: ServiceRecordFilter | None = None,
        order_by: ServiceRecordOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ServiceRecord]:
        return await related(
            info,
            ServiceRecord,
            "Volunteer",
            "service_records",
            self.id,
            order_by or ServiceRecordOrder(),
            filter,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="The points ledger, newest first.")
    async def points_entries(
        self,
        info: Info,
        filter: PointsEntryFilter | None = None,
        order_by: PointsEntryOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PointsEntry]:
        return await related(
            info,
            PointsEntry,
            "Volunteer",
            "points_entries",
            self.id,
            order_by or PointsEntryOrder(),
            filter,
            first,
            after,
            last,
            before,
        )


@strawberry.federation.type(keys=["id"], description="A volunteer team 志愿服务队.")
class VolunteerTeam(relay.Node):
    id: relay.NodeID[int]
    name: str
    kind: TeamKind
    created_at: dt.datetime
    member_count: int
    area_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> VolunteerTeam | None:
        row = await read.by_key(info, "VolunteerTeam", int(relay.GlobalID.from_id(id).node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field
    async def area(self, info: Info) -> Area:
        return await _one(info, "VolunteerTeam", "area", self, Area)

    @strawberry.field(description="Leaders first, then in joining order.")
    async def members(self, info: Info) -> list[TeamMember]:
        rows = await read.listed(info, "VolunteerTeam", "members", self.id)
        return [from_record(TeamMember, r) for r in rows]

    @strawberry.field
    async def activities(
        self,
        info: Info,
        filter: ActivityFilter | None = None,
        order_by: ActivityOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Activity]:
        return await related(
            info,
            Activity,
            "VolunteerTeam",
            "activities",
            self.id,
            order_by or ActivityOrder(),
            filter,
            first,
            after,
            last,
            before,
        )


@strawberry.type(description="A volunteer's membership of a team.")
class TeamMember(relay.Node):
    id: relay.NodeID[int]
    role: TeamRole
    joined_at: dt.datetime
    team_id: strawberry.Private[int]
    volunteer_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @strawberry.field
    async def team(self, info: Info) -> VolunteerTeam:
        return await _one(info, "TeamMember", "team", self, VolunteerTeam)

    @strawberry.field
    async def volunteer(self, info: Info) -> Volunteer | None:
        return await _one(info, "TeamMember", "volunteer", self, Volunteer)


@strawberry.federation.type(keys=["id"], description="A volunteer activity 志愿活动.")
class Activity(relay.Node):
    id: relay.NodeID[int]
    title: str
    kind: ActivityKind
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    window_minutes: int = strawberry.field(description="The most service one record can count.")
    created_at: dt.datetime
    team_id: strawberry.Private[int]
    area_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Activity | None:
        row = await read.by_key(info, "Activity", int(relay.GlobalID.from_id(id).node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field
    async def team(self, info: Info) -> VolunteerTeam:
        return await _one(info, "Activity", "team", self, VolunteerTeam)

    @strawberry.field
    async def area(self, info: Info) -> Area:
        return await _one(info, "Activity", "area", self, Area)

    @strawberry.field
    async def records(
        self,
        info: Info,
        filter: ServiceRecordFilter | None = None,
        order_by: ServiceRecordOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ServiceRecord]:
        return await related(
            info,
            ServiceRecord,
            "Activity",
            "records",
            self.id,
            order_by or ServiceRecordOrder(),
            filter,
            first,
            after,
            last,
            before,
        )


@strawberry.type(description="A volunteer's service at an activity.")
class ServiceRecord(relay.Node):
    id: relay.NodeID[int]
    status: ServiceStatus
    scheduled_minutes: int
    completed_minutes: int | None
    travel_minutes: int = strawberry.field(description="Recorded, never counted as service.")
    served_at: dt.datetime = strawberry.field(description="When the activity started.")
    recorded_at: dt.datetime | None
    verified_at: dt.datetime | None
    points_earned: int | None = strawberry.field(
        description="Points credited when it was verified (none below one point)."
    )
    activity_id: strawberry.Private[int]
    volunteer_id: strawberry.Private[int]
    verified_by: strawberry.Private[int | None]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @strawberry.field
    async def activity(self, info: Info) -> Activity:
        return await _one(info, "ServiceRecord", "activity", self, Activity)

    @strawberry.field
    async def volunteer(self, info: Info) -> Volunteer | None:
        return await _one(info, "ServiceRecord", "volunteer", self, Volunteer)

    @strawberry.field(description="The team leader who certified the record.")
    async def verifier(self, info: Info) -> Resident | None:
        return await _one(info, "ServiceRecord", "verifier", self, Resident)


@strawberry.type(description="One entry of the append-only points ledger.")
class PointsEntry(relay.Node):
    id: relay.NodeID[int]
    kind: PointsEntryKind
    points: int = strawberry.field(description="Signed: credits positive, debits negative.")
    balance_after: int
    quantity: int | None
    reason: str | None
    created_by: str = strawberry.field(description="The principal who made the entry.")
    created_at: dt.datetime
    volunteer_id: strawberry.Private[int]
    service_record_id: strawberry.Private[int | None]
    reward_id: strawberry.Private[int | None]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @strawberry.field
    async def volunteer(self, info: Info) -> Volunteer | None:
        return await _one(info, "PointsEntry", "volunteer", self, Volunteer)

    @strawberry.field
    async def service_record(self, info: Info) -> ServiceRecord | None:
        return await _one(info, "PointsEntry", "service_record", self, ServiceRecord)

    @strawberry.field
    async def reward(self, info: Info) -> Reward | None:
        return await _one(info, "PointsEntry", "reward", self, Reward)


@strawberry.type(description="A reward in an area's catalogue, redeemed for points.")
class Reward(relay.Node):
    id: relay.NodeID[int]
    name: str
    points_cost: int
    stock: int
    created_at: dt.datetime
    area_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @strawberry.field
    async def area(self, info: Info) -> Area:
        return await _one(info, "Reward", "area", self, Area)


@strawberry.type(description="A place on an area's leaderboard of verified service.")
class LeaderboardEntry:
    rank: int = strawberry.field(description="Equal minutes share a rank (1, 2, 2, 4).")
    verified_minutes: int
    volunteer_id: strawberry.Private[int]

    @strawberry.field(description="Null when your role may not see this volunteer.")
    async def volunteer(self, info: Info) -> Volunteer | None:
        row = await read.by_key(info, "Volunteer", self.volunteer_id)
        return None if row is None else from_record(Volunteer, row)


@strawberry.type(description="One month of an area's volunteer service (verified only).")
class VolunteerMonth:
    month: Month  # type: ignore[valid-type]
    active_volunteers: int = strawberry.field(
        description="Volunteers with verified service in the month."
    )
    verified_minutes: int
    activities: int = strawberry.field(description="Activities that started in the month.")


@strawberry.type
class VolunteerQuery:
    @strawberry.field(description="Volunteers you may see.")
    async def volunteers(
        self,
        info: Info,
        filter: VolunteerFilter | None = None,
        order_by: VolunteerOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Volunteer]:
        return await root_connection(
            info, Volunteer, order_by or VolunteerOrder(), filter, first, after, last, before
        )

    @strawberry.field
    async def volunteer_teams(
        self,
        info: Info,
        filter: TeamFilter | None = None,
        order_by: TeamOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[VolunteerTeam]:
        return await root_connection(
            info, VolunteerTeam, order_by or TeamOrder(), filter, first, after, last, before
        )

    @strawberry.field
    async def activities(
        self,
        info: Info,
        filter: ActivityFilter | None = None,
        order_by: ActivityOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Activity]:
        return await root_connection(
            info, Activity, order_by or ActivityOrder(), filter, first, after, last, before
        )

    @strawberry.field(description="Rewards catalogues you may see.")
    async def rewards(
        self,
        info: Info,
        filter: RewardFilter | None = None,
        order_by: RewardOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Reward]:
        return await root_connection(
            info, Reward, order_by or RewardOrder(), filter, first, after, last, before
        )


# Node and entity types, for schema/__init__.py's TYPES
VOLUNTEER_TYPES = [
    Volunteer,
    VolunteerTeam,
    TeamMember,
    Activity,
    ServiceRecord,
    PointsEntry,
    Reward,
]
