"""Areas, households and residents: the entities other departments' subgraphs extend."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import Info, relay

from resolvers import community as read
from resolvers.pagination import PageResult, request_from_args
from schema import enterprises_fields, grid_fields, petitions_fields, volunteers_fields
from schema.common import Connection, OrderDirection, connection, from_record
from schema.community_enums import (
    AreaLevel,
    CareTag,
    Gender,
    RelationToHead,
    ResidentRole,
)

if TYPE_CHECKING:  # lazy at run time: schema.reports imports this module
    from schema.reports import MonthlyReport
    from schema.reports_inputs import MonthlyReportFilter, MonthlyReportOrder

from schema.community_inputs import (
    AreaFilter,
    AreaOrder,
    HouseholdFilter,
    HouseholdOrder,
    ResidentFilter,
    ResidentOrder,
)


def wrap(cls: type, result: PageResult) -> Connection:
    return connection(
        ((cursor, from_record(cls, row)) for cursor, row in result.items),
        has_next=result.has_next,
        has_previous=result.has_previous,
        count=result.count,
    )


async def root_connection(
    info: Info,
    cls: type,
    order,
    filter_input,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection:
    """A root list field: all rows of ``cls``'s entity the principal may see."""
    request = request_from_args(
        info,
        order_field=order.field,
        descending=order.direction is OrderDirection.DESC,
        first=first,
        after=after,
        last=last,
        before=before,
        filter_input=filter_input,
    )
    return wrap(cls, await read.root_page(info, cls.__name__, request))


async def related(
    info: Info,
    cls: type,
    parent: str,
    relation: str,
    key: int,
    order,
    filter_input,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection:
    request = request_from_args(
        info,
        order_field=order.field,
        descending=order.direction is OrderDirection.DESC,
        first=first,
        after=after,
        last=last,
        before=before,
        filter_input=filter_input,
    )
    return wrap(cls, await read.page(info, parent, relation, key, request))


async def nodes_of(cls: type, info: Info, node_ids: list[str], required: bool) -> list:
    rows = await read.many_by_key(info, cls.__name__, [int(i) for i in node_ids])
    if required and any(r is None for r in rows):
        missing = [i for i, r in zip(node_ids, rows, strict=True) if r is None]
        raise ValueError(f"no {cls.__name__} with id {', '.join(missing)}")
    return [None if r is None else from_record(cls, r) for r in rows]


@strawberry.type(description="Counts of residents by a category.")
class CareTagCount:
    tag: CareTag
    count: int


@strawberry.type
class GenderCount:
    gender: Gender
    count: int


@strawberry.type
class AgeBandCount:
    band: str = strawberry.field(description="0-17, 18-59, 60-79 or 80+.")
    count: int


@strawberry.type(description="Resident figures for a dashboard, computed in the database.")
class ResidentStats:
    count: int
    households: int = strawberry.field(description="Households with at least one such resident.")
    party_members: int
    by_gender: list[GenderCount]
    by_care_tag: list[CareTagCount] = strawberry.field(
        description="Every care tag with its count, zeros included."
    )
    by_age_band: list[AgeBandCount]


def stats_type(record: read.community_stats.ResidentStatsRecord) -> ResidentStats:
    return ResidentStats(
        count=record.count,
        households=record.households,
        party_members=record.party_members,
        by_gender=[GenderCount(gender=g, count=record.by_gender.get(g.value, 0)) for g in Gender],
        by_care_tag=[
            CareTagCount(tag=t, count=record.by_care_tag.get(t.value, 0)) for t in CareTag
        ],
        by_age_band=[
            AgeBandCount(band=label, count=record.by_age_band.get(label, 0))
            for label, _, _ in read.community_stats.AGE_BANDS
        ],
    )


@strawberry.federation.type(keys=["id", "code"], description="An administrative area, 省 to 楼栋.")
class Area(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(
        description="Statistical division code; compounds and buildings add -local parts."
    )
    name: str
    level: AreaLevel
    parent_id: strawberry.Private[int | None]
    path: strawberry.Private[str]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(
        cls, info: Info, id: strawberry.ID | None = None, code: str | None = None
    ) -> Area | None:
        if code is not None:
            row = await read.area_by_code(info, code)
        else:
            global_id = relay.GlobalID.from_id(id)
            row = await read.by_key(info, "Area", int(global_id.node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field
    async def parent(self, info: Info) -> Area | None:
        row = await read.one(info, "Area", "parent", self)
        return None if row is None else from_record(Area, row)

    @strawberry.field(description="From the province down to this area's parent.")
    async def ancestors(self, info: Info) -> list[Area]:
        return [from_record(Area, r) for r in await read.ancestors(info, self)]

    @strawberry.field(description="Areas one level down.")
    async def children(
        self,
        info: Info,
        filter: AreaFilter | None = None,
        order_by: AreaOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Area]:
        return await related(
            info,
            Area,
            "Area",
            "children",
            self.id,
            order_by or AreaOrder(),
            filter,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="All areas below this one, at any depth.")
    async def descendants(
        self,
        info: Info,
        filter: AreaFilter | None = None,
        order_by: AreaOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Area]:
        return await related(
            info,
            Area,
            "Area",
            "descendants",
            self.id,
            order_by or AreaOrder(),
            filter,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Households anywhere in this area's subtree.")
    async def households(
        self,
        info: Info,
        filter: HouseholdFilter | None = None,
        order_by: HouseholdOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Household]:
        return await related(
            info,
            Household,
            "Area",
            "households",
            self.id,
            order_by or HouseholdOrder(),
            filter,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Residents anywhere in this area's subtree.")
    async def residents(
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
            "Area",
            "residents",
            self.id,
            order_by or ResidentOrder(),
            filter,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Resident figures over this area's subtree.")
    async def resident_stats(
        self, info: Info, filter: ResidentFilter | None = None
    ) -> ResidentStats:
        from resolvers.pagination import filter_items

        return stats_type(await read.resident_stats(info, self.id, filter_items(filter)))

    @strawberry.field(
        description="Monthly reports of this village/community: the current version of each "
        "month (MonthlyReport.versions has the history)."
    )
    async def reports(
        self,
        info: Info,
        filter: Annotated[MonthlyReportFilter, strawberry.lazy("schema.reports_inputs")]
        | None = None,
        order_by: Annotated[MonthlyReportOrder, strawberry.lazy("schema.reports_inputs")]
        | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[MonthlyReport, strawberry.lazy("schema.reports")]]:
        from schema.reports import MonthlyReport
        from schema.reports_inputs import MonthlyReportOrder

        return await related(
            info,
            MonthlyReport,
            "Area",
            "reports",
            self.id,
            order_by or MonthlyReportOrder(),
            filter,
            first,
            after,
            last,
            before,
        )

    # the grid and the needs lists (schema/grid_fields.py)
    grid = grid_fields.field("grid")
    households_without_building_head = grid_fields.field("households_without_building_head")
    households_not_visited_this_month = grid_fields.field("households_not_visited_this_month")
    party_branch = grid_fields.field("party_branch")
    compound_branches = grid_fields.field("compound_branches")
    in_service_party_members = grid_fields.field("in_service_party_members")
    grid_coverage = grid_fields.field("grid_coverage")
    needs = grid_fields.field("needs")
    resources = grid_fields.field("resources")
    projects = grid_fields.field("projects")
    micro_projects = grid_fields.field("micro_projects")
    need_stats = grid_fields.field("need_stats")
    micro_project_stats = grid_fields.field("micro_project_stats")

    # collective enterprises domain (schema/enterprises_fields.py)
    enterprises = strawberry.field(
        resolver=enterprises_fields.area_enterprises,
        description="Collective enterprises anywhere in this area's subtree.",
    )
    enterprise_finances = strawberry.field(
        resolver=enterprises_fields.area_enterprise_finances,
        description="Income and dividends of the enterprises in this area's subtree, per year.",
    )

    # volunteers domain (schema/volunteers_fields.py)
    volunteers = strawberry.field(
        resolver=volunteers_fields.area_volunteers,
        description="Volunteers registered in this subtree.",
    )
    teams = strawberry.field(
        resolver=volunteers_fields.area_teams, description="Volunteer teams in this subtree."
    )
    activities = strawberry.field(
        resolver=volunteers_fields.area_activities,
        description="Volunteer activities in this subtree.",
    )
    rewards = strawberry.field(
        resolver=volunteers_fields.area_rewards,
        description="Points rewards offered in this subtree.",
    )
    volunteer_leaderboard = strawberry.field(
        resolver=volunteers_fields.area_volunteer_leaderboard,
        description="Volunteers by verified minutes served here between two days (both included).",
    )
    volunteer_months = strawberry.field(
        resolver=volunteers_fields.area_volunteer_months,
        description="Active volunteers, verified minutes and activities per month here.",
    )

    # petitions domain (schema/petitions_fields.py)
    petitions = strawberry.field(
        resolver=petitions_fields.petitions("Area", "petitions"),
        description="Petitions anywhere in this area's subtree.",
    )
    petition_stats = strawberry.field(
        resolver=petitions_fields.area_petition_stats,
        description="Petition figures over this area's subtree.",
    )
    petition_months = strawberry.field(
        resolver=petitions_fields.area_petition_months,
        description="Monthly petition figures of this area's subtree, from the records.",
    )


@strawberry.federation.type(
    keys=["id"], description="A household 户 at an address in a compound or building."
)
class Household(relay.Node):
    id: relay.NodeID[int]
    unit: str | None = strawberry.field(description="Unit (单元) within the building, if any.")
    room: str = strawberry.field(description="Room or house number.")
    created_at: dt.datetime
    updated_at: dt.datetime
    area_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Household | None:
        row = await read.by_key(info, "Household", int(relay.GlobalID.from_id(id).node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field(description="The compound or building the household lives in.")
    async def area(self, info: Info) -> Area:
        row = await read.one(info, "Household", "area", self)
        return from_record(Area, row)

    @strawberry.field(description="The head of household 户主.")
    async def head(self, info: Info) -> Resident | None:
        row = await read.one(info, "Household", "head", self)
        return None if row is None else from_record(Resident, row)

    @strawberry.field(description="Members, the head first, then by age (oldest first).")
    async def members(self, info: Info) -> list[Resident]:
        return [
            from_record(Resident, r)
            for r in await read.listed(info, "Household", "members", self.id)
        ]

    # the grid and the needs lists (schema/grid_fields.py)
    building_head = grid_fields.building_head
    visits = grid_fields.visits
    needs = grid_fields.needs

    shareholdings = strawberry.field(
        resolver=enterprises_fields.household_shareholdings,
        description="Shares the household holds in collective enterprises.",
    )
    dividends = strawberry.field(
        resolver=enterprises_fields.household_dividends,
        description="The household's dividend lines from collective enterprises.",
    )
    petitions = strawberry.field(
        resolver=petitions_fields.petitions("Household", "petitions"),
        description="Petitions submitted by members of this household.",
    )


@strawberry.federation.type(keys=["id"], description="A resident 居民, member of one household.")
class Resident(relay.Node):
    id: relay.NodeID[int]
    name: str
    gender: Gender
    birth_date: dt.date
    age: int = strawberry.field(description="Age in whole years today.")
    id_number: str | None = strawberry.field(description="Resident ID number (GB 11643).")
    phone: str | None
    relation: RelationToHead = strawberry.field(description="Relation to the head of household.")
    registered_here: bool = strawberry.field(description="Household registration (户籍) is here.")
    lives_here: bool = strawberry.field(description="Actually lives here (常住).")
    care_tags: list[CareTag]
    is_party_member: bool
    roles: list[ResidentRole]
    created_at: dt.datetime
    updated_at: dt.datetime
    household_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Resident | None:
        row = await read.by_key(info, "Resident", int(relay.GlobalID.from_id(id).node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field
    async def household(self, info: Info) -> Household:
        return from_record(Household, await read.one(info, "Resident", "household", self))

    volunteer = strawberry.field(
        resolver=volunteers_fields.resident_volunteer,
        description="The resident's volunteer registration, if any.",
    )

    petitions = strawberry.field(
        resolver=petitions_fields.petitions("Resident", "petitions"),
        description="Petitions this resident submitted.",
    )
    cosigned_petitions = strawberry.field(
        resolver=petitions_fields.petitions("Resident", "cosigned_petitions"),
        description="Petitions this resident co-signed.",
    )
