"""The party-led grid: grid nodes over areas with their leaders and households, visits of
grid workers, compound party branches and in-service party members (双报到)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info, relay

from resolvers import community as read
from schema.common import Connection, from_record
from schema.community import Area, Household, Resident, nodes_of, related, root_connection
from schema.grid_inputs import (
    BranchType,
    CompoundBranchFilter,
    CompoundBranchOrder,
    GridLevel,
    GridNodeFilter,
    GridNodeOrder,
    PartyMemberReportFilter,
    PartyMemberReportOrder,
)

if TYPE_CHECKING:
    from schema.community_inputs import HouseholdFilter, HouseholdOrder


async def _one(info: Info, cls: type, parent: str, relation: str, row: Any) -> Any:
    found = await read.one(info, parent, relation, row)
    return None if found is None else from_record(cls, found)


async def _reference(cls: type, info: Info, id: strawberry.ID) -> Any:
    row = await read.by_key(info, cls.__name__, int(relay.GlobalID.from_id(id).node_id))
    return None if row is None else from_record(cls, row)


@strawberry.federation.type(
    keys=["id"],
    description="A node of the party-led grid: a community party committee 社区党总支, a party "
    "group 党小组 or a building head 楼栋长, over an area, with its leader.",
)
class GridNode(relay.Node):
    id: relay.NodeID[int]
    level: GridLevel
    name: str
    household_count: int = strawberry.field(
        description="Households assigned to this node (building heads; 0 for other levels)."
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    area_id: strawberry.Private[int]
    parent_id: strawberry.Private[int | None]
    leader_id: strawberry.Private[int | None]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> GridNode | None:
        return await _reference(cls, info, id)

    @strawberry.field(description="The area the node covers.")
    async def area(self, info: Info) -> Area:
        return await _one(info, Area, "GridNode", "area", self)

    @strawberry.field(description="The node one level up (null for a committee).")
    async def parent(self, info: Info) -> GridNode | None:
        return await _one(info, GridNode, "GridNode", "parent", self)

    @strawberry.field(description="The resident who leads the node.")
    async def leader(self, info: Info) -> Resident | None:
        return await _one(info, Resident, "GridNode", "leader", self)

    @strawberry.field(description="Nodes one level down.")
    async def children(self, info: Info) -> list[GridNode]:
        rows = await read.listed(info, "GridNode", "children", self.id)
        return [from_record(GridNode, r) for r in rows]

    @strawberry.field(description="Households a building head serves.")
    async def households(
        self,
        info: Info,
        filter: Annotated[HouseholdFilter, strawberry.lazy("schema.community_inputs")]
        | None = None,
        order_by: Annotated[HouseholdOrder, strawberry.lazy("schema.community_inputs")]
        | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Household]:
        from schema.community_inputs import HouseholdOrder

        return await related(
            info,
            Household,
            "GridNode",
            "households",
            self.id,
            order_by or HouseholdOrder(),
            filter,
            first,
            after,
            last,
            before,
        )


@strawberry.federation.type(keys=["id"], description="A grid worker's visit to a household.")
class GridVisit(relay.Node):
    id: relay.NodeID[int]
    visited_on: dt.date
    notes: str
    recorded_by: str = strawberry.field(description="Subject of the token that recorded it.")
    created_at: dt.datetime
    household_id: strawberry.Private[int]
    worker_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> GridVisit | None:
        return await _reference(cls, info, id)

    @strawberry.field
    async def household(self, info: Info) -> Household:
        return await _one(info, Household, "GridVisit", "household", self)

    @strawberry.field(description="The grid worker (or building head) who visited.")
    async def worker(self, info: Info) -> Resident:
        return await _one(info, Resident, "GridVisit", "worker", self)


@strawberry.federation.type(
    keys=["id"],
    description="A compound's party branch: the type its registered party members make and "
    "the type recorded for it. The id is the compound's own key.",
)
class CompoundBranch(relay.Node):
    id: relay.NodeID[int]
    party_members: int = strawberry.field(
        description="Registered party members: party members in households under the compound."
    )
    derived_type: BranchType = strawberry.field(
        description="FORMAL with 3 or more registered party members, FUNCTIONAL otherwise."
    )
    recorded_type: BranchType | None = strawberry.field(
        description="The type recorded with recordPartyBranch, if any."
    )
    branch_name: str | None
    mismatch: bool = strawberry.field(
        description="The recorded type disagrees with the derived one."
    )
    area_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> CompoundBranch | None:
        return await _reference(cls, info, id)

    @strawberry.field(description="The compound.")
    async def area(self, info: Info) -> Area:
        return await _one(info, Area, "CompoundBranch", "area", self)


@strawberry.federation.type(
    keys=["id"],
    description="An in-service party member reporting to their home community (双报到).",
)
class PartyMemberReport(relay.Node):
    id: relay.NodeID[int]
    workplace_organisation: str = strawberry.field(
        description="The organisation whose party branch the member belongs to."
    )
    reported_on: dt.date
    created_at: dt.datetime
    resident_id: strawberry.Private[int]
    area_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> PartyMemberReport | None:
        return await _reference(cls, info, id)

    @strawberry.field
    async def resident(self, info: Info) -> Resident:
        return await _one(info, Resident, "PartyMemberReport", "resident", self)

    @strawberry.field(description="The home community reported to.")
    async def community(self, info: Info) -> Area:
        return await _one(info, Area, "PartyMemberReport", "community", self)


@strawberry.type(
    description="Grid coverage over an area's subtree: building heads, this month's visits, "
    "nodes and compound branches."
)
class GridCoverage:
    households: int
    with_building_head: int
    without_building_head: int
    visited_this_month: int
    not_visited_this_month: int
    committees: int
    party_groups: int
    building_heads: int
    formal_branches: int = strawberry.field(description="Compounds that make a formal branch.")
    functional_branches: int
    branch_mismatches: int = strawberry.field(
        description="Compounds whose recorded branch type disagrees with the derived one."
    )


def _id(value: relay.GlobalID, cls: type) -> int:
    from schema.query import _key

    return _key(value, cls)


@strawberry.type
class GridQuery:
    @strawberry.field(description="A grid node by its global id.")
    async def grid_node(self, info: Info, id: relay.GlobalID) -> GridNode | None:
        row = await read.by_key(info, "GridNode", _id(id, GridNode))
        return None if row is None else from_record(GridNode, row)

    @strawberry.field(description="Grid nodes, filtered and ordered.")
    async def grid_nodes(
        self,
        info: Info,
        filter: GridNodeFilter | None = None,
        order_by: GridNodeOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[GridNode]:
        return await root_connection(
            info, GridNode, order_by or GridNodeOrder(), filter, first, after, last, before
        )

    @strawberry.field(description="Compounds with their derived and recorded branch types.")
    async def compound_branches(
        self,
        info: Info,
        filter: CompoundBranchFilter | None = None,
        order_by: CompoundBranchOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CompoundBranch]:
        return await root_connection(
            info,
            CompoundBranch,
            order_by or CompoundBranchOrder(),
            filter,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="In-service party members reporting to communities (双报到).")
    async def in_service_party_members(
        self,
        info: Info,
        filter: PartyMemberReportFilter | None = None,
        order_by: PartyMemberReportOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PartyMemberReport]:
        return await root_connection(
            info,
            PartyMemberReport,
            order_by or PartyMemberReportOrder(),
            filter,
            first,
            after,
            last,
            before,
        )
