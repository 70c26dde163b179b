"""Needs, resources and projects lists (需求清单/资源清单/项目清单), the matches between
needs and resources, and resident-run micro-projects (微项目)."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry import Info, relay

from resolvers import community as read
from schema.common import Connection, from_record
from schema.community import Area, Household, Resident, nodes_of, related, root_connection
from schema.community_inputs import ResidentFilter, ResidentOrder
from schema.grid import _id, _one, _reference
from schema.needs_inputs import (
    MatchStatus,
    MicroProjectFilter,
    MicroProjectOrder,
    MicroProjectStatus,
    NeedCategory,
    NeedFilter,
    NeedMatchFilter,
    NeedMatchOrder,
    NeedOrder,
    NeedStatus,
    ProjectFilter,
    ProjectOrder,
    ProjectStatus,
    ProviderKind,
    ResourceCategory,
    ResourceFilter,
    ResourceOrder,
)


@strawberry.federation.type(keys=["id"], description="A need of a household or area (需求).")
class Need(relay.Node):
    id: relay.NodeID[int]
    category: NeedCategory
    title: str
    description: str
    status: NeedStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    household_id: strawberry.Private[int | None]
    area_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Need | None:
        return await _reference(cls, info, id)

    @strawberry.field(description="The household in need (null for an area's need).")
    async def household(self, info: Info) -> Household | None:
        return await _one(info, Household, "Need", "household", self)

    @strawberry.field
    async def area(self, info: Info) -> Area:
        return await _one(info, Area, "Need", "area", self)

    @strawberry.field(description="Resources matched to this need, oldest first.")
    async def matches(self, info: Info) -> list[NeedMatch]:
        return [
            from_record(NeedMatch, r) for r in await read.listed(info, "Need", "matches", self.id)
        ]


@strawberry.federation.type(
    keys=["id"],
    description="A resource offered by a resident, organisation or enterprise (资源): idle "
    "goods, child minding, elderly companionship, skills...",
)
class Resource(relay.Node):
    id: relay.NodeID[int]
    provider_kind: ProviderKind
    provider_name: str
    category: ResourceCategory
    title: str
    description: str
    available: bool
    created_at: dt.datetime
    provider_resident_id: strawberry.Private[int | None]
    area_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Resource | None:
        return await _reference(cls, info, id)

    @strawberry.field
    async def area(self, info: Info) -> Area:
        return await _one(info, Area, "Resource", "area", self)

    @strawberry.field(description="The resident offering it (null for organisations).")
    async def provider_resident(self, info: Info) -> Resident | None:
        return await _one(info, Resident, "Resource", "provider_resident", self)

    @strawberry.field
    async def matches(self, info: Info) -> list[NeedMatch]:
        rows = await read.listed(info, "Resource", "matches", self.id)
        return [from_record(NeedMatch, r) for r in rows]


@strawberry.federation.type(keys=["id"], description="A resource matched to a need.")
class NeedMatch(relay.Node):
    id: relay.NodeID[int]
    status: MatchStatus
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime
    need_id: strawberry.Private[int]
    resource_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> NeedMatch | None:
        return await _reference(cls, info, id)

    @strawberry.field
    async def need(self, info: Info) -> Need:
        return await _one(info, Need, "NeedMatch", "need", self)

    @strawberry.field
    async def resource(self, info: Info) -> Resource:
        return await _one(info, Resource, "NeedMatch", "resource", self)


@strawberry.federation.type(keys=["id"], description="A project bundling needs (项目).")
class Project(relay.Node):
    id: relay.NodeID[int]
    name: str
    description: str
    budget_fen: int = strawberry.field(description="Budget in fen (1/100 yuan).")
    status: ProjectStatus
    need_count: int
    created_at: dt.datetime
    area_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Project | None:
        return await _reference(cls, info, id)

    @strawberry.field
    async def area(self, info: Info) -> Area:
        return await _one(info, Area, "Project", "area", self)

    @strawberry.field(description="The needs the project bundles.")
    async def needs(
        self,
        info: Info,
        filter: NeedFilter | None = None,
        order_by: NeedOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Need]:
        return await related(
            info,
            Need,
            "Project",
            "needs",
            self.id,
            order_by or NeedOrder(),
            filter,
            first,
            after,
            last,
            before,
        )


@strawberry.federation.type(
    keys=["id"], description="A small resident-run project (微项目) with its participants."
)
class MicroProject(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str
    budget_fen: int = strawberry.field(description="Budget in fen (1/100 yuan).")
    status: MicroProjectStatus
    proposed_on: dt.date
    outcome: str | None
    completed_on: dt.date | None
    participant_count: int
    created_at: dt.datetime
    updated_at: dt.datetime
    sponsor_id: strawberry.Private[int]
    area_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> MicroProject | None:
        return await _reference(cls, info, id)

    @strawberry.field
    async def area(self, info: Info) -> Area:
        return await _one(info, Area, "MicroProject", "area", self)

    @strawberry.field(description="The resident who proposed it.")
    async def sponsor(self, info: Info) -> Resident:
        return await _one(info, Resident, "MicroProject", "sponsor", self)

    @strawberry.field
    async def participants(
        self,
        info: Info,
        filter: ResidentFilter | None = None,
        order_by: ResidentOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Resident]:
        return await related(
            info,
            Resident,
            "MicroProject",
            "participants",
            self.id,
            order_by or ResidentOrder(),
            filter,
            first,
            after,
            last,
            before,
        )


@strawberry.type(description="Needs figures over an area's subtree.")
class NeedStats:
    total: int
    open: int
    matched: int
    met: int
    closed: int
    resources: int = strawberry.field(description="Resources available in the subtree.")
    active_matches: int = strawberry.field(description="Proposed, accepted or under way.")


@strawberry.type(
    description="Micro-projects proposed and participations (joins) in a period, over an "
    "area's subtree."
)
class MicroProjectStats:
    projects: int
    completed: int
    budget_fen: str = strawberry.field(
        description="Total budget in fen, as a decimal string (may exceed Int)."
    )
    participations: int
    participants: int = strawberry.field(description="Distinct residents who joined.")


def _by_id(cls: type):  # type: ignore[no-untyped-def]
    async def lookup(info: Info, id: relay.GlobalID) -> object | None:
        row = await read.by_key(info, cls.__name__, _id(id, cls))
        return None if row is None else from_record(cls, row)

    return lookup


@strawberry.type
class NeedsQuery:
    @strawberry.field
    async def need(self, info: Info, id: relay.GlobalID) -> Need | None:
        return await _by_id(Need)(info, id)  # type: ignore[return-value]

    @strawberry.field(description="The needs list 需求清单.")
    async def needs(
        self,
        info: Info,
        filter: NeedFilter | None = None,
        order_by: NeedOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Need]:
        return await root_connection(
            info, Need, order_by or NeedOrder(), filter, first, after, last, before
        )

    @strawberry.field
    async def resource(self, info: Info, id: relay.GlobalID) -> Resource | None:
        return await _by_id(Resource)(info, id)  # type: ignore[return-value]

    @strawberry.field(description="The resources list 资源清单.")
    async def resources(
        self,
        info: Info,
        filter: ResourceFilter | None = None,
        order_by: ResourceOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Resource]:
        return await root_connection(
            info, Resource, order_by or ResourceOrder(), filter, first, after, last, before
        )

    @strawberry.field(description="Matches between needs and resources.")
    async def need_matches(
        self,
        info: Info,
        filter: NeedMatchFilter | None = None,
        order_by: NeedMatchOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[NeedMatch]:
        return await root_connection(
            info, NeedMatch, order_by or NeedMatchOrder(), filter, first, after, last, before
        )

    @strawberry.field
    async def project(self, info: Info, id: relay.GlobalID) -> Project | None:
        return await _by_id(Project)(info, id)  # type: ignore[return-value]

    @strawberry.field(description="The projects list 项目清单.")
    async def projects(
        self,
        info: Info,
        filter: ProjectFilter | None = None,
        order_by: ProjectOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Project]:
        return await root_connection(
            info, Project, order_by or ProjectOrder(), filter, first, after, last, before
        )

    @strawberry.field
    async def micro_project(self, info: Info, id: relay.GlobalID) -> MicroProject | None:
        return await _by_id(MicroProject)(info, id)  # type: ignore[return-value]

    @strawberry.field(description="Micro-projects 微项目, latest proposals first.")
    async def micro_projects(
        self,
        info: Info,
        filter: MicroProjectFilter | None = None,
        order_by: MicroProjectOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[MicroProject]:
        return await root_connection(
            info, MicroProject, order_by or MicroProjectOrder(), filter, first, after, last, before
        )
