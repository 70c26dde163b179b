"""Mutations of needs, resources, matches, projects and micro-projects (typed results as in
schema/grid_mutations.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry import Info

from resolvers import needs_mutations as write
from schema.grid_mutations import GridMutationFailed, result
from schema.needs import MicroProject, Need, NeedMatch, Project, Resource
from schema.needs_inputs import MatchStatus, NeedCategory, ProviderKind, ResourceCategory


@strawberry.type
class NeedPayload:
    need: Need


@strawberry.type
class ResourcePayload:
    resource: Resource


@strawberry.type
class NeedMatchPayload:
    match: NeedMatch


@strawberry.type
class ProjectPayload:
    project: Project


@strawberry.type
class MicroProjectPayload:
    micro_project: MicroProject


NeedResult = Annotated[NeedPayload | GridMutationFailed, strawberry.union("NeedResult")]
ResourceResult = Annotated[ResourcePayload | GridMutationFailed, strawberry.union("ResourceResult")]
NeedMatchResult = Annotated[
    NeedMatchPayload | GridMutationFailed, strawberry.union("NeedMatchResult")
]
ProjectResult = Annotated[ProjectPayload | GridMutationFailed, strawberry.union("ProjectResult")]
MicroProjectResult = Annotated[
    MicroProjectPayload | GridMutationFailed, strawberry.union("MicroProjectResult")
]


@strawberry.input(
    description="A household's need (householdId) or an area's (areaCode): one of them."
)
class AddNeedInput:
    household_id: strawberry.ID | None = None
    area_code: str | None = strawberry.field(default=None, description="A community or below.")
    category: NeedCategory
    title: str
    description: str = ""


@strawberry.input(description="providerResidentId for a RESIDENT provider, providerName otherwise.")
class AddResourceInput:
    provider_kind: ProviderKind
    provider_resident_id: strawberry.ID | None = None
    provider_name: str | None = strawberry.field(
        default=None, description="Organisation or enterprise name; a resident's name by default."
    )
    area_code: str = strawberry.field(description="A community or below.")
    category: ResourceCategory
    title: str
    description: str = ""


@strawberry.input
class MatchNeedInput:
    need_id: strawberry.ID
    resource_id: strawberry.ID
    note: str = ""


@strawberry.input
class SetMatchStatusInput:
    match_id: strawberry.ID
    status: MatchStatus
    note: str | None = strawberry.field(default=None, description="Replaces the note if given.")


@strawberry.input
class CreateProjectInput:
    area_code: str
    name: str
    description: str = ""
    budget_fen: int = strawberry.field(default=0, description="Budget in fen, not negative.")
    need_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Needs of the project's area it bundles."
    )


@strawberry.input
class ProposeMicroProjectInput:
    title: str
    description: str = ""
    sponsor_id: strawberry.ID = strawberry.field(description="The proposing resident.")
    area_code: str = strawberry.field(description="The sponsor's community or below.")
    budget_fen: int = 0
    proposed_on: dt.date | None = strawberry.field(default=None, description="Default: today.")


@strawberry.input
class AddMicroProjectParticipantInput:
    micro_project_id: strawberry.ID
    resident_id: strawberry.ID
    joined_on: dt.date | None = strawberry.field(default=None, description="Default: today.")


@strawberry.input
class RecordMicroProjectOutcomeInput:
    micro_project_id: strawberry.ID
    outcome: str
    completed_on: dt.date


@strawberry.type
class NeedsMutation:
    @strawberry.mutation(description="Add a need to the needs list 需求清单.")
    async def add_need(self, info: Info, input: AddNeedInput) -> NeedResult:
        return result(await write.add_need(info, input), NeedPayload, "need", Need)

    @strawberry.mutation(description="Add a resource to the resources list 资源清单.")
    async def add_resource(self, info: Info, input: AddResourceInput) -> ResourceResult:
        return result(await write.add_resource(info, input), ResourcePayload, "resource", Resource)

    @strawberry.mutation(description="Propose a resource for a need (status PROPOSED).")
    async def match_need(self, info: Info, input: MatchNeedInput) -> NeedMatchResult:
        return result(await write.match_need(info, input), NeedMatchPayload, "match", NeedMatch)

    @strawberry.mutation(description="Move a match along its lifecycle (see MatchStatus).")
    async def set_match_status(self, info: Info, input: SetMatchStatusInput) -> NeedMatchResult:
        return result(
            await write.set_match_status(info, input), NeedMatchPayload, "match", NeedMatch
        )

    @strawberry.mutation(description="Create a project 项目 bundling needs of its area.")
    async def create_project(self, info: Info, input: CreateProjectInput) -> ProjectResult:
        return result(await write.create_project(info, input), ProjectPayload, "project", Project)

    @strawberry.mutation(description="Propose a micro-project 微项目.")
    async def propose_micro_project(
        self, info: Info, input: ProposeMicroProjectInput
    ) -> MicroProjectResult:
        return result(
            await write.propose_micro_project(info, input),
            MicroProjectPayload,
            "micro_project",
            MicroProject,
        )

    @strawberry.mutation(description="Add a participating resident to a micro-project.")
    async def add_micro_project_participant(
        self, info: Info, input: AddMicroProjectParticipantInput
    ) -> MicroProjectResult:
        return result(
            await write.add_participant(info, input),
            MicroProjectPayload,
            "micro_project",
            MicroProject,
        )

    @strawberry.mutation(description="Record a micro-project's outcome; it is then completed.")
    async def record_micro_project_outcome(
        self, info: Info, input: RecordMicroProjectOutcomeInput
    ) -> MicroProjectResult:
        return result(
            await write.record_outcome(info, input),
            MicroProjectPayload,
            "micro_project",
            MicroProject,
        )
