"""Enums, filters and orderings of the grid; filter field names are the mapping's
(db/grid_mapping.py), enum values the database's labels."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from schema.common import OrderDirection


@strawberry.enum(
    description="Level of a grid node: 社区党总支 -> 党小组 -> 楼栋长 (-> households)."
)
class GridLevel(Enum):
    COMMITTEE = "committee"
    PARTY_GROUP = "party_group"
    BUILDING_HEAD = "building_head"


@strawberry.enum(
    description="Compound party branch: FORMAL (建制性, 3 or more registered party members) or "
    "FUNCTIONAL (功能性)."
)
class BranchType(Enum):
    FORMAL = "formal"
    FUNCTIONAL = "functional"


@strawberry.enum
class GridNodeOrderField(Enum):
    ID = "ID"
    NAME = "NAME"


@strawberry.enum
class GridVisitOrderField(Enum):
    ID = "ID"
    VISITED_ON = "VISITED_ON"


@strawberry.enum
class CompoundBranchOrderField(Enum):
    ID = "ID"
    PARTY_MEMBERS = "PARTY_MEMBERS"


@strawberry.enum
class PartyMemberReportOrderField(Enum):
    ID = "ID"
    REPORTED_ON = "REPORTED_ON"


@strawberry.input(description="Filters on grid nodes; all given conditions must hold.")
class GridNodeFilter:
    level: GridLevel | None = None
    area_code: str | None = strawberry.field(
        default=None, description="Only nodes covering part of this area's subtree."
    )
    without_leader: bool | None = strawberry.field(
        default=None, description="true: only nodes with no leader; false: only with one."
    )


@strawberry.input
class GridNodeOrder:
    field: GridNodeOrderField = GridNodeOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class GridVisitFilter:
    visited_from: dt.date | None = None
    visited_to: dt.date | None = None


@strawberry.input(description="Latest visits first unless told otherwise.")
class GridVisitOrder:
    field: GridVisitOrderField = GridVisitOrderField.VISITED_ON
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input
class CompoundBranchFilter:
    mismatch: bool | None = strawberry.field(
        default=None, description="true: only compounds whose recorded type disagrees."
    )
    derived_type: BranchType | None = None
    recorded: bool | None = strawberry.field(
        default=None, description="true: only compounds with a recorded branch."
    )


@strawberry.input
class CompoundBranchOrder:
    field: CompoundBranchOrderField = CompoundBranchOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class PartyMemberReportFilter:
    workplace_contains: str | None = None


@strawberry.input
class PartyMemberReportOrder:
    field: PartyMemberReportOrderField = PartyMemberReportOrderField.ID
    direction: OrderDirection = OrderDirection.ASC
