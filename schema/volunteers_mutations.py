"""Mutations of the volunteers domain and their typed results.

Each returns a union: the payload, or ``VolunteerMutationFailed`` listing every problem
found, each with a code (``VolunteerErrorCode``) and the input field it concerns.
Nothing is written when a mutation fails; every success writes one audit-log row.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import Info

from resolvers import volunteers_mutations as write
from resolvers import volunteers_points as points
from schema.common import from_record
from schema.community import Area
from schema.volunteers import (
    Activity,
    PointsEntry,
    Reward,
    ServiceRecord,
    TeamMember,
    Volunteer,
    VolunteerTeam,
)
from schema.volunteers_inputs import (
    AddTeamMemberInput,
    AdjustPointsInput,
    CreateActivityInput,
    CreateRewardInput,
    CreateVolunteerTeamInput,
    ExpirePointsInput,
    RecordServiceInput,
    RedeemRewardInput,
    RegisterVolunteerInput,
    RemoveTeamMemberInput,
    RestockRewardInput,
    SetPointsRateInput,
    SignUpForActivityInput,
    VerifyServiceInput,
)

_DESCRIPTIONS = {
    "INVALID_INPUT": "A value is missing, empty, too long or out of range.",
    "NOT_FOUND": "No such object, the id names another type, or it is outside your area.",
    "FORBIDDEN": "Your role may not do this, or not in this area.",
    "UNKNOWN_AREA": "No area has this code.",
    "ALREADY_VOLUNTEER": "The resident is already registered as a volunteer.",
    "DUPLICATE_NAME": "The area already has a team (or reward) with this name.",
    "ALREADY_MEMBER": "The volunteer is already a member with this role.",
    "NOT_A_MEMBER": "The volunteer is not a member of the team.",
    "OUTSIDE_TEAM_AREA": "An activity takes place in its team's area or below it.",
    "INVALID_TIME_WINDOW": "endsAt must be after startsAt, at most 24 hours later.",
    "ALREADY_SIGNED_UP": "The volunteer already has a record for this activity.",
    "WINDOW_EXCEEDED": "Minutes exceed the activity's window (travel is not service).",
    "ACTIVITY_NOT_STARTED": "Service cannot be recorded before the activity starts.",
    "NOT_TEAM_LEADER": "The resident named does not lead the activity's team, or is not "
    "in your household (resident tokens).",
    "SELF_VERIFICATION": "A leader does not verify their own service.",
    "ALREADY_VERIFIED": "The record is verified; verified records are final.",
    "NOT_COMPLETED": "Only a completed record (minutes recorded) can be verified.",
    "INSUFFICIENT_POINTS": "The balance would go below zero.",
    "OUT_OF_STOCK": "Not enough of the reward left in stock.",
}
assert set(_DESCRIPTIONS) == set(write.CODES)

VolunteerErrorCode = strawberry.enum(
    Enum("VolunteerErrorCode", {code: code for code in write.CODES}),  # type: ignore[misc]
    description="Why a volunteers mutation was refused.",
)


@strawberry.type(description="One problem with a volunteers mutation's input.")
class VolunteerError:
    code: VolunteerErrorCode  # type: ignore[valid-type]
    message: str
    field: str | None = strawberry.field(description="The input field it concerns, if one.")


@strawberry.type(description="The mutation was refused and nothing was written.")
class VolunteerMutationFailed:
    errors: list[VolunteerError]


@strawberry.type
class VolunteerPayload:
    volunteer: Volunteer


@strawberry.type
class VolunteerTeamPayload:
    team: VolunteerTeam


@strawberry.type
class TeamMemberPayload:
    member: TeamMember


@strawberry.type
class ActivityPayload:
    activity: Activity


@strawberry.type
class ServiceRecordPayload:
    record: ServiceRecord


@strawberry.type
class PointsEntryPayload:
    entry: PointsEntry


@strawberry.type
class RewardPayload:
    reward: Reward


@strawberry.type
class PointsRatePayload:
    area_code: str
    points_per_hour: int


@strawberry.type(description="Points expired by one run.")
class ExpirePointsPayload:
    cutoff: dt.datetime = strawberry.field(description="Credits made before this expired.")
    volunteers: int = strawberry.field(description="Volunteers who lost points.")
    points: int = strawberry.field(description="Points expired in all.")
    area_id: strawberry.Private[int]

    @strawberry.field
    async def area(self, info: Info) -> Area:
        from resolvers import community as read

        return from_record(Area, await read.by_key(info, "Area", self.area_id))


def _union(name: str, payload: type) -> Any:
    return Annotated[payload | VolunteerMutationFailed, strawberry.union(name)]


VolunteerResult = _union("VolunteerResult", VolunteerPayload)
VolunteerTeamResult = _union("VolunteerTeamResult", VolunteerTeamPayload)
TeamMemberResult = _union("TeamMemberResult", TeamMemberPayload)
ActivityResult = _union("ActivityResult", ActivityPayload)
ServiceRecordResult = _union("ServiceRecordResult", ServiceRecordPayload)
PointsEntryResult = _union("PointsEntryResult", PointsEntryPayload)
RewardResult = _union("RewardResult", RewardPayload)
PointsRateResult = _union("PointsRateResult", PointsRatePayload)
ExpirePointsResult = _union("ExpirePointsResult", ExpirePointsPayload)


def _failed(problems: list[Any]) -> VolunteerMutationFailed:
    return VolunteerMutationFailed(
        errors=[
            VolunteerError(code=VolunteerErrorCode[p.code], message=p.message, field=p.field)  # type: ignore[index]
            for p in problems
        ]
    )


def _payload(outcome: Any, wrap: Any) -> Any:
    if isinstance(outcome, list):
        return _failed(outcome)
    return wrap(outcome.row)


@strawberry.type
class VolunteerMutation:
    @strawberry.mutation(description="Register a resident as a volunteer.")
    async def register_volunteer(
        self, info: Info, input: RegisterVolunteerInput
    ) -> VolunteerResult:
        outcome = await write.register_volunteer(info, input)
        return _payload(outcome, lambda r: VolunteerPayload(volunteer=from_record(Volunteer, r)))

    @strawberry.mutation(description="Create a volunteer team in an area.")
    async def create_volunteer_team(
        self, info: Info, input: CreateVolunteerTeamInput
    ) -> VolunteerTeamResult:
        outcome = await write.create_team(info, input)
        return _payload(outcome, lambda r: VolunteerTeamPayload(team=from_record(VolunteerTeam, r)))

    @strawberry.mutation(description="Add a volunteer to a team, or change their role.")
    async def add_team_member(self, info: Info, input: AddTeamMemberInput) -> TeamMemberResult:
        outcome = await write.add_member(info, input)
        return _payload(outcome, lambda r: TeamMemberPayload(member=from_record(TeamMember, r)))

    @strawberry.mutation(description="Remove a volunteer from a team; their records stay.")
    async def remove_team_member(
        self, info: Info, input: RemoveTeamMemberInput
    ) -> VolunteerTeamResult:
        outcome = await write.remove_member(info, input)
        return _payload(outcome, lambda r: VolunteerTeamPayload(team=from_record(VolunteerTeam, r)))

    @strawberry.mutation(description="Plan an activity of a team.")
    async def create_activity(self, info: Info, input: CreateActivityInput) -> ActivityResult:
        outcome = await write.create_activity(info, input)
        return _payload(outcome, lambda r: ActivityPayload(activity=from_record(Activity, r)))

    @strawberry.mutation(description="Sign a volunteer up for an activity.")
    async def sign_up_for_activity(
        self, info: Info, input: SignUpForActivityInput
    ) -> ServiceRecordResult:
        outcome = await write.sign_up(info, input)
        return _payload(
            outcome, lambda r: ServiceRecordPayload(record=from_record(ServiceRecord, r))
        )

    @strawberry.mutation(description="Record the minutes a volunteer served at an activity.")
    async def record_service(self, info: Info, input: RecordServiceInput) -> ServiceRecordResult:
        outcome = await write.record_service(info, input)
        return _payload(
            outcome, lambda r: ServiceRecordPayload(record=from_record(ServiceRecord, r))
        )

    @strawberry.mutation(
        description="The team's leader certifies a completed record: its minutes count from "
        "now on and its points are credited, once."
    )
    async def verify_service(self, info: Info, input: VerifyServiceInput) -> ServiceRecordResult:
        outcome = await write.verify_service(info, input)
        return _payload(
            outcome, lambda r: ServiceRecordPayload(record=from_record(ServiceRecord, r))
        )

    @strawberry.mutation(description="Spend points on a reward from the catalogue.")
    async def redeem_reward(self, info: Info, input: RedeemRewardInput) -> PointsEntryResult:
        outcome = await points.redeem(info, input)
        return _payload(outcome, lambda r: PointsEntryPayload(entry=from_record(PointsEntry, r)))

    @strawberry.mutation(description="Credit or debit points by hand, with a reason.")
    async def adjust_points(self, info: Info, input: AdjustPointsInput) -> PointsEntryResult:
        outcome = await points.adjust(info, input)
        return _payload(outcome, lambda r: PointsEntryPayload(entry=from_record(PointsEntry, r)))

    @strawberry.mutation(
        description="Expire what is left of points credited longer ago than olderThanDays "
        "(oldest points are spent first)."
    )
    async def expire_points(self, info: Info, input: ExpirePointsInput) -> ExpirePointsResult:
        outcome = await points.expire(info, input)
        if isinstance(outcome, list):
            return _failed(outcome)
        return ExpirePointsPayload(
            cutoff=outcome.cutoff,
            volunteers=outcome.volunteers,
            points=outcome.points,
            area_id=outcome.area_id,
        )

    @strawberry.mutation(description="Set the points earned per verified hour in an area.")
    async def set_points_rate(self, info: Info, input: SetPointsRateInput) -> PointsRateResult:
        outcome = await points.set_rate(info, input)
        return _payload(
            outcome,
            lambda r: PointsRatePayload(
                area_code=r["area_code"], points_per_hour=r["points_per_hour"]
            ),
        )

    @strawberry.mutation(description="Add a reward to an area's catalogue.")
    async def create_reward(self, info: Info, input: CreateRewardInput) -> RewardResult:
        outcome = await points.create_reward(info, input)
        return _payload(outcome, lambda r: RewardPayload(reward=from_record(Reward, r)))

    @strawberry.mutation(description="Add stock to a reward.")
    async def restock_reward(self, info: Info, input: RestockRewardInput) -> RewardResult:
        outcome = await points.restock(info, input)
        return _payload(outcome, lambda r: RewardPayload(reward=from_record(Reward, r)))
