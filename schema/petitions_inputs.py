"""Enums, filters and orderings of the petition API. Enum values are the database's labels;
filter field names are the mapping's filter names (db/petitions_mapping.py)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from schema.common import OrderDirection


@strawberry.enum(description="How a petition reached the office.")
class PetitionChannel(Enum):
    WALK_IN = strawberry.enum_value("walk_in", description="Service centre counter 窗口.")
    PHONE = "phone"
    WECHAT = strawberry.enum_value("wechat", description="WeChat group 微信群.")
    SERVICE_DAY = strawberry.enum_value("service_day", description="Weekly service day 服务日.")
    GRID_VISIT = strawberry.enum_value("grid_visit", description="Grid worker's visit 网格走访.")
    OPEN_AIR_MEETING = strawberry.enum_value("open_air_meeting", description="坝坝会.")
    ONLINE = "online"


@strawberry.enum(description="三事分流: who is responsible for a matter.")
class TriageClass(Enum):
    MAJOR = strawberry.enum_value("major", description="大事: government departments.")
    MINOR = strawberry.enum_value(
        "minor", description="小事: residents' committee, self-governance, social organisations."
    )
    PRIVATE = strawberry.enum_value(
        "private", description="私事: the resident's own (self, mutual help, the market)."
    )


@strawberry.enum(description="Where a petition is in its lifecycle (docs/petitions.md).")
class PetitionStatus(Enum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    FEEDBACK = strawberry.enum_value("feedback", description="The submitter has rated it.")
    CLOSED = "closed"
    DUPLICATE = strawberry.enum_value("duplicate", description="See duplicateOf.")
    REFERRED = strawberry.enum_value("referred", description="Handed to another authority.")
    REJECTED = "rejected"


@strawberry.enum(description="The kind of body responsible for handling a petition.")
class ResponsibleKind(Enum):
    DEPARTMENT = "department"
    RESIDENTS_COMMITTEE = "residents_committee"
    SOCIAL_ORGANISATION = "social_organisation"
    RESIDENT = strawberry.enum_value("resident", description="The resident themself (私事).")


@strawberry.enum(description="The submitter's three-level evaluation.")
class Satisfaction(Enum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


@strawberry.enum(description="Who may read an event: residents see PUBLIC events only.")
class EventVisibility(Enum):
    PUBLIC = "public"
    INTERNAL = "internal"


@strawberry.enum(description="What happened to a petition.")
class PetitionEventKind(Enum):
    SUBMITTED = "submitted"
    TRIAGED = "triaged"
    RETRIAGED = "retriaged"
    ASSIGNED = "assigned"
    REASSIGNED = "reassigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    FEEDBACK = "feedback"
    CLOSED = "closed"
    DUPLICATE = "duplicate"
    REFERRED = "referred"
    REJECTED = "rejected"
    REOPENED = "reopened"
    COMMENT = "comment"
    CASE_LINKED = "case_linked"
    CASE_UNLINKED = "case_unlinked"
    UPDATED = "updated"


OPEN_STATUSES = (
    PetitionStatus.RECEIVED,
    PetitionStatus.TRIAGED,
    PetitionStatus.ASSIGNED,
    PetitionStatus.IN_PROGRESS,
)


@strawberry.input(description="Filters on petitions; all given conditions must hold.")
class PetitionFilter:
    status: list[PetitionStatus] | None = None
    triage: list[TriageClass] | None = None
    category: list[str] | None = strawberry.field(default=None, description="Category codes.")
    channel: list[PetitionChannel] | None = None
    open: bool | None = strawberry.field(
        default=None, description="Received, triaged, assigned or in progress."
    )
    overdue: bool | None = strawberry.field(
        default=None, description="Not handled by the due date (still open, or ended later)."
    )
    received_from: dt.date | None = strawberry.field(
        default=None, description="Received on or after this day (Beijing time)."
    )
    received_to: dt.date | None = strawberry.field(
        default=None, description="Received on or before this day (Beijing time)."
    )
    area_code: str | None = strawberry.field(
        default=None, description="Only petitions in the subtree of this area code."
    )
    is_public: bool | None = None
    assignee_department: str | None = None
    anonymous: bool | None = None
    description_contains: str | None = None


@strawberry.enum
class PetitionOrderField(Enum):
    RECEIVED_AT = "RECEIVED_AT"
    DUE_DATE = "DUE_DATE"
    UPDATED_AT = "UPDATED_AT"
    ID = "ID"


@strawberry.input
class PetitionOrder:
    field: PetitionOrderField = PetitionOrderField.RECEIVED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input
class PetitionCaseFilter:
    area_code: str | None = None


@strawberry.enum
class PetitionCaseOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    ID = "ID"


@strawberry.input
class PetitionCaseOrder:
    field: PetitionCaseOrderField = PetitionCaseOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC
