"""Enums, filters and orderings of the needs/resources/projects lists and micro-projects;
filter field names are the mapping's (db/needs_mapping.py)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from schema.common import OrderDirection


@strawberry.enum(description="What a household or area needs (需求清单).")
class NeedCategory(Enum):
    ELDERLY_CARE = "elderly_care"
    CHILD_CARE = "child_care"
    HEALTH = "health"
    EMPLOYMENT = "employment"
    HOUSING = "housing"
    LEGAL = "legal"
    EDUCATION = "education"
    DAILY_LIFE = "daily_life"
    OTHER = "other"


@strawberry.enum(description="A need's state; it follows its matches (MET when one completes).")
class NeedStatus(Enum):
    OPEN = "open"
    MATCHED = "matched"
    MET = "met"
    CLOSED = "closed"


@strawberry.enum(description="Who offers a resource.")
class ProviderKind(Enum):
    RESIDENT = "resident"
    ORGANISATION = "organisation"
    ENTERPRISE = "enterprise"


@strawberry.enum(description="What a resource offers (资源清单).")
class ResourceCategory(Enum):
    IDLE_GOODS = "idle_goods"
    CHILD_MINDING = "child_minding"
    ELDERLY_COMPANIONSHIP = "elderly_companionship"
    SKILLS = "skills"
    VENUE = "venue"
    FUNDS = "funds"
    OTHER = "other"


@strawberry.enum(
    description="A match's state: PROPOSED -> ACCEPTED | DECLINED | CANCELLED; ACCEPTED -> "
    "IN_PROGRESS | COMPLETED | CANCELLED; IN_PROGRESS -> COMPLETED | CANCELLED."
)
class MatchStatus(Enum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


@strawberry.enum
class ProjectStatus(Enum):
    PLANNED = "planned"
    ACTIVE = "active"
    DONE = "done"


@strawberry.enum
class MicroProjectStatus(Enum):
    PROPOSED = "proposed"
    COMPLETED = "completed"


@strawberry.enum
class NeedOrderField(Enum):
    ID = "ID"
    CREATED_AT = "CREATED_AT"


@strawberry.enum
class ResourceOrderField(Enum):
    ID = "ID"
    TITLE = "TITLE"


@strawberry.enum
class NeedMatchOrderField(Enum):
    ID = "ID"


@strawberry.enum
class ProjectOrderField(Enum):
    ID = "ID"
    NAME = "NAME"


@strawberry.enum
class MicroProjectOrderField(Enum):
    ID = "ID"
    PROPOSED_ON = "PROPOSED_ON"


@strawberry.input(description="Filters on needs; all given conditions must hold.")
class NeedFilter:
    area_code: str | None = None
    category: NeedCategory | None = None
    categories: list[NeedCategory] | None = None
    status: NeedStatus | None = None
    statuses: list[NeedStatus] | None = None


@strawberry.input
class NeedOrder:
    field: NeedOrderField = NeedOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class ResourceFilter:
    area_code: str | None = None
    category: ResourceCategory | None = None
    provider_kind: ProviderKind | None = None
    available: bool | None = None


@strawberry.input
class ResourceOrder:
    field: ResourceOrderField = ResourceOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class NeedMatchFilter:
    area_code: str | None = None
    status: MatchStatus | None = None


@strawberry.input
class NeedMatchOrder:
    field: NeedMatchOrderField = NeedMatchOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class ProjectFilter:
    area_code: str | None = None
    status: ProjectStatus | None = None


@strawberry.input
class ProjectOrder:
    field: ProjectOrderField = ProjectOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class MicroProjectFilter:
    area_code: str | None = None
    status: MicroProjectStatus | None = None
    proposed_from: dt.date | None = None
    proposed_to: dt.date | None = None


@strawberry.input(description="Latest proposals first unless told otherwise.")
class MicroProjectOrder:
    field: MicroProjectOrderField = MicroProjectOrderField.PROPOSED_ON
    direction: OrderDirection = OrderDirection.DESC
