"""The grid's and the needs lists' fields on Area and Household (attached at the end of
their classes in schema/community.py, one line each). Types are lazy: schema.grid and
schema.needs import schema.community."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info

from resolvers import grid as grid_read
from schema.common import Connection

if TYPE_CHECKING:
    from schema.community import Household
    from schema.community_inputs import HouseholdFilter, HouseholdOrder
    from schema.grid import CompoundBranch, GridCoverage, GridNode, GridVisit, PartyMemberReport
    from schema.grid_inputs import (
        CompoundBranchFilter,
        CompoundBranchOrder,
        GridNodeFilter,
        GridNodeOrder,
        GridVisitFilter,
        GridVisitOrder,
        PartyMemberReportFilter,
        PartyMemberReportOrder,
    )
    from schema.needs import MicroProject, MicroProjectStats, Need, NeedStats, Project, Resource
    from schema.needs_inputs import (
        MicroProjectFilter,
        MicroProjectOrder,
        NeedFilter,
        NeedOrder,
        ProjectFilter,
        ProjectOrder,
        ResourceFilter,
        ResourceOrder,
    )

_G = "schema.grid"
_GI = "schema.grid_inputs"
_N = "schema.needs"
_NI = "schema.needs_inputs"
_CI = "schema.community_inputs"
_C = "schema.community"


async def _page(
    info: Info,
    module: str,
    cls_name: str,
    order_name: str,
    parent: str,
    relation: str,
    key: int,
    order: Any,
    filter: Any,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection:
    import importlib

    from schema.community import related

    cls = getattr(importlib.import_module(module), cls_name)
    if order is None:
        order_module = _CI if module == _C else module + "_inputs"
        order = getattr(importlib.import_module(order_module), order_name)()
    return await related(
        info, cls, parent, relation, key, order, filter, first, after, last, before
    )


# -- Area ---------------------------------------------------------------------------


async def area_grid(
    root: Any,
    info: Info,
    filter: Annotated[GridNodeFilter, strawberry.lazy(_GI)] | None = None,
    order_by: Annotated[GridNodeOrder, strawberry.lazy(_GI)] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[GridNode, strawberry.lazy(_G)]]:
    return await _page(
        info,
        _G,
        "GridNode",
        "GridNodeOrder",
        "Area",
        "grid",
        root.id,
        order_by,
        filter,
        first,
        after,
        last,
        before,
    )


async def area_households_without_building_head(
    root: Any,
    info: Info,
    filter: Annotated[HouseholdFilter, strawberry.lazy(_CI)] | None = None,
    order_by: Annotated[HouseholdOrder, strawberry.lazy(_CI)] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[Household, strawberry.lazy(_C)]]:
    return await _page(
        info,
        _C,
        "Household",
        "HouseholdOrder",
        "Area",
        "households_without_building_head",
        root.id,
        order_by,
        filter,
        first,
        after,
        last,
        before,
    )


async def area_households_not_visited_this_month(
    root: Any,
    info: Info,
    filter: Annotated[HouseholdFilter, strawberry.lazy(_CI)] | None = None,
    order_by: Annotated[HouseholdOrder, strawberry.lazy(_CI)] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[Household, strawberry.lazy(_C)]]:
    return await _page(
        info,
        _C,
        "Household",
        "HouseholdOrder",
        "Area",
        "households_not_visited_this_month",
        root.id,
        order_by,
        filter,
        first,
        after,
        last,
        before,
    )


async def area_party_branch(
    root: Any, info: Info
) -> Annotated[CompoundBranch, strawberry.lazy(_G)] | None:
    from schema.grid import CompoundBranch, _one

    return await _one(info, CompoundBranch, "Area", "party_branch", root)


async def area_compound_branches(
    root: Any,
    info: Info,
    filter: Annotated[CompoundBranchFilter, strawberry.lazy(_GI)] | None = None,
    order_by: Annotated[CompoundBranchOrder, strawberry.lazy(_GI)] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[CompoundBranch, strawberry.lazy(_G)]]:
    return await _page(
        info,
        _G,
        "CompoundBranch",
        "CompoundBranchOrder",
        "Area",
        "compound_branches",
        root.id,
        order_by,
        filter,
        first,
        after,
        last,
        before,
    )


async def area_in_service_party_members(
    root: Any,
    info: Info,
    filter: Annotated[PartyMemberReportFilter, strawberry.lazy(_GI)] | None = None,
    order_by: Annotated[PartyMemberReportOrder, strawberry.lazy(_GI)] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[PartyMemberReport, strawberry.lazy(_G)]]:
    return await _page(
        info,
        _G,
        "PartyMemberReport",
        "PartyMemberReportOrder",
        "Area",
        "in_service_party_members",
        root.id,
        order_by,
        filter,
        first,
        after,
        last,
        before,
    )


async def area_grid_coverage(root: Any, info: Info) -> Annotated[GridCoverage, strawberry.lazy(_G)]:
    from schema.grid import GridCoverage

    figures = await grid_read.aggregate(info, "gridCoverage", root.id)
    return GridCoverage(**_snake(figures))


async def area_needs(
    root: Any,
    info: Info,
    filter: Annotated[NeedFilter, strawberry.lazy(_NI)] | None = None,
    order_by: Annotated[NeedOrder, strawberry.lazy(_NI)] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[Need, strawberry.lazy(_N)]]:
    return await _page(
        info,
        _N,
        "Need",
        "NeedOrder",
        "Area",
        "needs",
        root.id,
        order_by,
        filter,
        first,
        after,
        last,
        before,
    )


async def area_resources(
    root: Any,
    info: Info,
    filter: Annotated[ResourceFilter, strawberry.lazy(_NI)] | None = None,
    order_by: Annotated[ResourceOrder, strawberry.lazy(_NI)] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[Resource, strawberry.lazy(_N)]]:
    return await _page(
        info,
        _N,
        "Resource",
        "ResourceOrder",
        "Area",
        "resources",
        root.id,
        order_by,
        filter,
        first,
        after,
        last,
        before,
    )


async def area_projects(
    root: Any,
    info: Info,
    filter: Annotated[ProjectFilter, strawberry.lazy(_NI)] | None = None,
    order_by: Annotated[ProjectOrder, strawberry.lazy(_NI)] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[Project, strawberry.lazy(_N)]]:
    return await _page(
        info,
        _N,
        "Project",
        "ProjectOrder",
        "Area",
        "projects",
        root.id,
        order_by,
        filter,
        first,
        after,
        last,
        before,
    )


async def area_micro_projects(
    root: Any,
    info: Info,
    filter: Annotated[MicroProjectFilter, strawberry.lazy(_NI)] | None = None,
    order_by: Annotated[MicroProjectOrder, strawberry.lazy(_NI)] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[MicroProject, strawberry.lazy(_N)]]:
    return await _page(
        info,
        _N,
        "MicroProject",
        "MicroProjectOrder",
        "Area",
        "micro_projects",
        root.id,
        order_by,
        filter,
        first,
        after,
        last,
        before,
    )


async def area_need_stats(root: Any, info: Info) -> Annotated[NeedStats, strawberry.lazy(_N)]:
    from schema.needs import NeedStats

    return NeedStats(**_snake(await grid_read.aggregate(info, "needStats", root.id)))


async def area_micro_project_stats(
    root: Any,
    info: Info,
    from_: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
    to: dt.date | None = None,
) -> Annotated[MicroProjectStats, strawberry.lazy(_N)]:
    from schema.needs import MicroProjectStats

    figures = await grid_read.aggregate(
        info, "microProjectStats", root.id, **{"from": from_, "to": to}
    )
    return MicroProjectStats(**_snake(figures))


def _snake(figures: dict[str, Any]) -> dict[str, Any]:
    from db.compiler import snake

    return {snake(k): v for k, v in figures.items()}


# -- Household --------------------------------------------------------------------


async def household_building_head(
    root: Any, info: Info
) -> Annotated[GridNode, strawberry.lazy(_G)] | None:
    from schema.grid import GridNode, _one

    return await _one(info, GridNode, "Household", "building_head", root)


async def household_visits(
    root: Any,
    info: Info,
    filter: Annotated[GridVisitFilter, strawberry.lazy(_GI)] | None = None,
    order_by: Annotated[GridVisitOrder, strawberry.lazy(_GI)] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[GridVisit, strawberry.lazy(_G)]]:
    return await _page(
        info,
        _G,
        "GridVisit",
        "GridVisitOrder",
        "Household",
        "visits",
        root.id,
        order_by,
        filter,
        first,
        after,
        last,
        before,
    )


async def household_needs(
    root: Any,
    info: Info,
    filter: Annotated[NeedFilter, strawberry.lazy(_NI)] | None = None,
    order_by: Annotated[NeedOrder, strawberry.lazy(_NI)] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[Need, strawberry.lazy(_N)]]:
    return await _page(
        info,
        _N,
        "Need",
        "NeedOrder",
        "Household",
        "needs",
        root.id,
        order_by,
        filter,
        first,
        after,
        last,
        before,
    )


AREA_FIELDS = {
    "grid": (area_grid, "Grid nodes covering this area or part of it."),
    "households_without_building_head": (
        area_households_without_building_head,
        "Households in the subtree that no building head serves.",
    ),
    "households_not_visited_this_month": (
        area_households_not_visited_this_month,
        "Households in the subtree with no grid visit since the 1st of this month.",
    ),
    "party_branch": (area_party_branch, "A compound's party branch (null for other levels)."),
    "compound_branches": (area_compound_branches, "Compounds in the subtree with their branch."),
    "in_service_party_members": (
        area_in_service_party_members,
        "In-service party members reporting to communities in the subtree (双报到).",
    ),
    "grid_coverage": (area_grid_coverage, "Grid coverage figures over the subtree."),
    "needs": (area_needs, "Needs in the subtree (需求清单)."),
    "resources": (area_resources, "Resources offered in the subtree (资源清单)."),
    "projects": (area_projects, "Projects in the subtree (项目清单)."),
    "micro_projects": (area_micro_projects, "Micro-projects in the subtree (微项目)."),
    "need_stats": (area_need_stats, "Needs figures over the subtree."),
    "micro_project_stats": (
        area_micro_project_stats,
        "Micro-projects proposed and participations in [from, to] (either end open).",
    ),
}


def field(name: str) -> Any:
    resolver, description = AREA_FIELDS[name]
    return strawberry.field(resolver=resolver, description=description)


building_head = strawberry.field(
    resolver=household_building_head,
    description="The building-head grid node serving this household (楼栋长), if any.",
)
visits = strawberry.field(resolver=household_visits, description="Grid workers' visits.")
needs = strawberry.field(resolver=household_needs, description="The household's needs.")
