"""Mutations of the grid and their typed results: the payload, or ``GridMutationFailed``
listing every problem (code, message, input field). Nothing is written on failure."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import Info

from resolvers import grid_mutations as write
from schema.common import from_record
from schema.grid import CompoundBranch, GridNode, GridVisit, PartyMemberReport
from schema.grid_inputs import BranchType, GridLevel


@strawberry.enum(description="Why a grid, needs or micro-project mutation was refused.")
class GridErrorCode(Enum):
    INVALID_INPUT = strawberry.enum_value(
        "INVALID_INPUT", description="A value is missing, too long, negative or in the future."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="No such object (or not visible to you), or the id names another type.",
    )
    UNKNOWN_AREA = strawberry.enum_value("UNKNOWN_AREA", description="No area has this code.")
    WRONG_AREA_LEVEL = strawberry.enum_value(
        "WRONG_AREA_LEVEL",
        description="The area's level does not fit: committees cover a village/community, "
        "building heads a compound or building, branches are for compounds, needs and "
        "projects for a community or below.",
    )
    WRONG_PARENT = strawberry.enum_value(
        "WRONG_PARENT",
        description="Grid levels nest committee -> party group -> building head; a committee "
        "has no parent.",
    )
    OUTSIDE_AREA = strawberry.enum_value(
        "OUTSIDE_AREA",
        description="The object lies outside the area it must belong to (a node outside its "
        "parent's area, a leader or sponsor from another community, a household outside the "
        "building head's area, a need outside the project's area).",
    )
    NOT_A_PARTY_MEMBER = strawberry.enum_value(
        "NOT_A_PARTY_MEMBER",
        description="Committees and party groups are led by party members; only party "
        "members report to their community (双报到).",
    )
    NOT_A_GRID_WORKER = strawberry.enum_value(
        "NOT_A_GRID_WORKER",
        description="Visits are made by residents with the grid worker, building head or "
        "courtyard head role.",
    )
    NOT_A_BUILDING_HEAD_NODE = strawberry.enum_value(
        "NOT_A_BUILDING_HEAD_NODE", description="Households are assigned to building-head nodes."
    )
    ILLEGAL_TRANSITION = strawberry.enum_value(
        "ILLEGAL_TRANSITION", description="The match cannot move from its status to that one."
    )
    NEED_CLOSED = strawberry.enum_value(
        "NEED_CLOSED", description="The need is met or closed: no new matches."
    )
    DUPLICATE = strawberry.enum_value(
        "DUPLICATE",
        description="Already recorded: the same match, participant, project need, committee "
        "of a community or in-service report.",
    )
    ALREADY_COMPLETED = strawberry.enum_value(
        "ALREADY_COMPLETED", description="The micro-project is completed; its record is closed."
    )
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN", description="Your role may not make this change, or not in this area."
    )


@strawberry.type(description="One problem with a grid mutation's input.")
class GridError:
    code: GridErrorCode
    message: str
    field: str | None = strawberry.field(
        description="Path of the input field, from inside `input`."
    )


@strawberry.type(description="The mutation was refused and nothing was written.")
class GridMutationFailed:
    errors: list[GridError]


@strawberry.type
class GridNodePayload:
    node: GridNode


@strawberry.type
class GridVisitPayload:
    visit: GridVisit


@strawberry.type
class CompoundBranchPayload:
    branch: CompoundBranch


@strawberry.type
class PartyMemberReportPayload:
    report: PartyMemberReport


GridNodeResult = Annotated[GridNodePayload | GridMutationFailed, strawberry.union("GridNodeResult")]
GridVisitResult = Annotated[
    GridVisitPayload | GridMutationFailed, strawberry.union("GridVisitResult")
]
CompoundBranchResult = Annotated[
    CompoundBranchPayload | GridMutationFailed, strawberry.union("CompoundBranchResult")
]
PartyMemberReportResult = Annotated[
    PartyMemberReportPayload | GridMutationFailed, strawberry.union("PartyMemberReportResult")
]


def failed(problems: list[write.Problem]) -> GridMutationFailed:
    return GridMutationFailed(
        errors=[
            GridError(code=GridErrorCode(p.code), message=p.message, field=p.field)
            for p in problems
        ]
    )


def result(outcome: write.Outcome, payload: type, attr: str, cls: type) -> Any:
    if isinstance(outcome, list):
        return failed(outcome)
    return payload(**{attr: from_record(cls, outcome[1])})


@strawberry.input
class CreateGridNodeInput:
    level: GridLevel
    area_code: str = strawberry.field(
        description="Committee: a village/community; party group: a community, compound or "
        "building; building head: a compound or building."
    )
    name: str
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The node one level up; none for a committee."
    )
    leader_id: strawberry.ID | None = strawberry.field(default=None, description="A Resident.")


@strawberry.input
class AssignGridLeaderInput:
    node_id: strawberry.ID
    resident_id: strawberry.ID


@strawberry.input(description="Households to a building head (moved from another head if any).")
class AssignHouseholdsInput:
    node_id: strawberry.ID
    household_ids: list[strawberry.ID]


@strawberry.input
class RecordGridVisitInput:
    household_id: strawberry.ID
    worker_id: strawberry.ID = strawberry.field(
        description="A Resident with the grid worker, building head or courtyard head role."
    )
    visited_on: dt.date
    notes: str = ""


@strawberry.input(description="Record (or correct) the branch type a compound has on file.")
class RecordPartyBranchInput:
    area_code: str = strawberry.field(description="A compound.")
    branch_type: BranchType
    name: str


@strawberry.input
class RegisterInServicePartyMemberInput:
    resident_id: strawberry.ID = strawberry.field(description="A party member living there.")
    community_code: str = strawberry.field(description="The home community (village level).")
    workplace_organisation: str
    reported_on: dt.date | None = strawberry.field(default=None, description="Default: today.")


@strawberry.type
class GridMutation:
    @strawberry.mutation(description="Create a grid node (committee, party group, building head).")
    async def create_grid_node(self, info: Info, input: CreateGridNodeInput) -> GridNodeResult:
        return result(await write.create_grid_node(info, input), GridNodePayload, "node", GridNode)

    @strawberry.mutation(description="Make a resident the leader of a grid node.")
    async def assign_grid_leader(self, info: Info, input: AssignGridLeaderInput) -> GridNodeResult:
        return result(
            await write.assign_grid_leader(info, input), GridNodePayload, "node", GridNode
        )

    @strawberry.mutation(description="Assign households to a building head (楼栋长).")
    async def assign_households_to_building_head(
        self, info: Info, input: AssignHouseholdsInput
    ) -> GridNodeResult:
        return result(await write.assign_households(info, input), GridNodePayload, "node", GridNode)

    @strawberry.mutation(description="Record a grid worker's visit to a household.")
    async def record_grid_visit(self, info: Info, input: RecordGridVisitInput) -> GridVisitResult:
        return result(await write.record_visit(info, input), GridVisitPayload, "visit", GridVisit)

    @strawberry.mutation(description="Record the branch type a compound has on file.")
    async def record_party_branch(
        self, info: Info, input: RecordPartyBranchInput
    ) -> CompoundBranchResult:
        return result(
            await write.record_party_branch(info, input),
            CompoundBranchPayload,
            "branch",
            CompoundBranch,
        )

    @strawberry.mutation(
        description="Register an in-service party member with their home community (双报到)."
    )
    async def register_in_service_party_member(
        self, info: Info, input: RegisterInServicePartyMemberInput
    ) -> PartyMemberReportResult:
        return result(
            await write.register_in_service_party_member(info, input),
            PartyMemberReportPayload,
            "report",
            PartyMemberReport,
        )
