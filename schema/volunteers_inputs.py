"""Enums and inputs of the volunteers API. Filter field names are the mapping's filter
names (db/volunteers_mapping.py); enum values are the database's labels (migration 0007)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from schema.common import OrderDirection


@strawberry.enum(description="What a volunteer team 志愿服务队 does.")
class TeamKind(Enum):
    COMMUNITY_BUILDING = strawberry.enum_value("community_building", description="社区建设")
    CIVILITY = strawberry.enum_value("civility", description="文明实践")
    MEDIATION = strawberry.enum_value("mediation", description="矛盾调解")
    HELP_IN_DIFFICULTY = strawberry.enum_value("help_in_difficulty", description="帮困解难")
    PARTY_MEMBER = strawberry.enum_value("party_member", description="党员志愿服务队")
    ELDERLY_CARE = strawberry.enum_value("elderly_care", description="敬老助老")
    ENVIRONMENT = strawberry.enum_value("environment", description="环境卫生")
    OTHER = "other"


@strawberry.enum
class TeamRole(Enum):
    MEMBER = "member"
    LEADER = strawberry.enum_value("leader", description="队长: certifies the team's records.")


@strawberry.enum
class ActivityKind(Enum):
    PATROL = "patrol"
    CLEANUP = "cleanup"
    VISIT = "visit"
    MEDIATION = "mediation"
    PUBLICITY = "publicity"
    CARE = "care"
    EVENT = "event"
    OTHER = "other"


@strawberry.enum(description="signed up -> completed (minutes recorded) -> verified (final).")
class ServiceStatus(Enum):
    SIGNED_UP = "signed_up"
    COMPLETED = "completed"
    VERIFIED = strawberry.enum_value(
        "verified", description="Certified by the team's leader; only verified time counts."
    )


@strawberry.enum
class PointsEntryKind(Enum):
    EARN = strawberry.enum_value("earn", description="Credited for verified service.")
    REDEEM = strawberry.enum_value("redeem", description="Spent on a reward.")
    ADJUST = strawberry.enum_value("adjust", description="Corrected by hand, with a reason.")
    EXPIRE = strawberry.enum_value("expire", description="Credits past their age, removed.")


# -- filters and orders -------------------------------------------------------------------


@strawberry.input
class VolunteerFilter:
    area_code: str | None = strawberry.field(
        default=None, description="Registered in the subtree of this area code."
    )
    min_stars: int | None = None
    name_contains: str | None = None


@strawberry.enum
class VolunteerOrderField(Enum):
    ID = "ID"
    VERIFIED_MINUTES = "VERIFIED_MINUTES"
    POINTS_BALANCE = "POINTS_BALANCE"
    REGISTERED_AT = "REGISTERED_AT"


@strawberry.input
class VolunteerOrder:
    field: VolunteerOrderField = VolunteerOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class TeamFilter:
    area_code: str | None = None
    kind: TeamKind | None = None
    name_contains: str | None = None


@strawberry.enum
class TeamOrderField(Enum):
    ID = "ID"
    NAME = "NAME"


@strawberry.input
class TeamOrder:
    field: TeamOrderField = TeamOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class ActivityFilter:
    area_code: str | None = None
    kind: ActivityKind | None = None
    starts_from: dt.datetime | None = None
    starts_before: dt.datetime | None = None


@strawberry.enum
class ActivityOrderField(Enum):
    ID = "ID"
    STARTS_AT = "STARTS_AT"


@strawberry.input
class ActivityOrder:
    field: ActivityOrderField = ActivityOrderField.STARTS_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input
class ServiceRecordFilter:
    status: ServiceStatus | None = None
    served_from: dt.datetime | None = None
    served_before: dt.datetime | None = None


@strawberry.enum
class ServiceRecordOrderField(Enum):
    ID = "ID"
    SERVED_AT = "SERVED_AT"


@strawberry.input
class ServiceRecordOrder:
    field: ServiceRecordOrderField = ServiceRecordOrderField.SERVED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input
class PointsEntryFilter:
    kind: PointsEntryKind | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@strawberry.enum
class PointsEntryOrderField(Enum):
    ID = "ID"


@strawberry.input
class PointsEntryOrder:
    field: PointsEntryOrderField = PointsEntryOrderField.ID
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input
class RewardFilter:
    area_code: str | None = None
    in_stock: bool | None = None


@strawberry.enum
class RewardOrderField(Enum):
    ID = "ID"
    NAME = "NAME"
    POINTS_COST = "POINTS_COST"


@strawberry.input
class RewardOrder:
    field: RewardOrderField = RewardOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


# -- mutation inputs -----------------------------------------------------------------------


@strawberry.input
class RegisterVolunteerInput:
    resident_id: strawberry.ID
    insured_until: dt.date | None = strawberry.field(
        default=None, description="Accident insurance 志愿者保险 valid until this day."
    )


@strawberry.input
class CreateVolunteerTeamInput:
    area_code: str
    name: str
    kind: TeamKind


@strawberry.input(description="Add a volunteer to a team, or change an existing member's role.")
class AddTeamMemberInput:
    team_id: strawberry.ID
    volunteer_id: strawberry.ID
    role: TeamRole = TeamRole.MEMBER


@strawberry.input
class RemoveTeamMemberInput:
    team_id: strawberry.ID
    volunteer_id: strawberry.ID


@strawberry.input
class CreateActivityInput:
    team_id: strawberry.ID
    area_code: str | None = strawberry.field(
        default=None, description="Where it takes place: the team's area (default) or below."
    )
    title: str
    kind: ActivityKind
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime = strawberry.field(description="At most 24 hours after startsAt.")


@strawberry.input
class SignUpForActivityInput:
    activity_id: strawberry.ID
    volunteer_id: strawberry.ID
    scheduled_minutes: int | None = strawberry.field(
        default=None, description="Default: the activity's whole window."
    )


@strawberry.input(
    description="Record the minutes a volunteer served (signed up or not). Travel is kept "
    "apart and never counts; service minutes cannot exceed the activity's window."
)
class RecordServiceInput:
    activity_id: strawberry.ID
    volunteer_id: strawberry.ID
    completed_minutes: int
    travel_minutes: int = 0


@strawberry.input(description="The team's leader certifies a completed record.")
class VerifyServiceInput:
    record_id: strawberry.ID
    leader_id: strawberry.ID = strawberry.field(
        description="The Resident who leads the activity's team and certifies the record. "
        "With a resident token, a member of the token's household."
    )


@strawberry.input
class RedeemRewardInput:
    volunteer_id: strawberry.ID
    reward_id: strawberry.ID
    quantity: int = 1


@strawberry.input
class AdjustPointsInput:
    volunteer_id: strawberry.ID
    points: int = strawberry.field(description="Positive to credit, negative to debit; not 0.")
    reason: str


@strawberry.input
class ExpirePointsInput:
    area_code: str = strawberry.field(description="Volunteers registered in this subtree.")
    older_than_days: int | None = strawberry.field(
        default=None, description="Points credited longer ago expire; default 730 days."
    )


@strawberry.input
class SetPointsRateInput:
    area_code: str
    points_per_hour: int = strawberry.field(description="1 to 1000; applies to the subtree.")


@strawberry.input
class CreateRewardInput:
    area_code: str
    name: str
    points_cost: int
    stock: int


@strawberry.input
class RestockRewardInput:
    reward_id: strawberry.ID
    quantity: int
