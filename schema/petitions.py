"""Petitions 居民诉求: the petition, its category, events and cases, and their figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import Info, relay

from resolvers import community as read
from resolvers import petitions as petitions_api
from resolvers.pagination import filter_items
from schema.common import Connection, from_record
from schema.community import Area, Household, Resident, nodes_of, related, root_connection
from schema.petitions_inputs import (
    EventVisibility,
    PetitionCaseFilter,
    PetitionCaseOrder,
    PetitionChannel,
    PetitionEventKind,
    PetitionFilter,
    PetitionOrder,
    PetitionStatus,
    ResponsibleKind,
    Satisfaction,
    TriageClass,
)
from schema.reports_inputs import Month


@strawberry.type(description="A category of the catalogue, with its default triage and SLA.")
class PetitionCategory:
    code: str
    name: str
    default_triage: TriageClass
    sla_working_days: int = strawberry.field(
        description="Working days from receipt to the due date (holidays and 调休 counted)."
    )
    default_department: str | None = strawberry.field(
        description="Department code major matters of this category usually go to."
    )
    id: strawberry.Private[int]


@strawberry.federation.type(keys=["id"], description="A resident's request 居民诉求.")
class Petition(relay.Node):
    id: relay.NodeID[int]
    channel: PetitionChannel
    status: PetitionStatus
    is_open: bool = strawberry.field(description="Received, triaged, assigned or in progress.")
    triage: TriageClass | None
    triage_reason: str | None = strawberry.field(description="Why; hidden from residents.")
    triaged_by: str | None = strawberry.field(description="Who; hidden from residents.")
    triaged_at: dt.datetime | None
    anonymous: bool = strawberry.field(description="Submitted without a submitter.")
    description: str
    attachment_urls: list[str]
    is_public: bool = strawberry.field(
        description="Readable by the residents of its village/community (public events only)."
    )
    assignee_kind: ResponsibleKind | None
    assignee_department: str | None = strawberry.field(description="Department code.")
    assignee_name: str | None
    assigned_at: dt.datetime | None
    due_date: dt.date = strawberry.field(
        description="Receipt day + the category's SLA in working days."
    )
    overdue: bool = strawberry.field(
        description="Not handled by the due date: still open after it, or ended later."
    )
    referred_to: str | None
    reject_reason: str | None
    satisfaction: Satisfaction | None
    reopen_count: int
    received_at: dt.datetime
    resolved_at: dt.datetime | None
    feedback_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int = strawberry.field(description="Pass as expectedVersion when changing it.")
    created_at: dt.datetime
    updated_at: dt.datetime
    area_id: strawberry.Private[int]
    category_id: strawberry.Private[int]
    submitter_id: strawberry.Private[int | None]
    household_id: strawberry.Private[int | None]
    duplicate_of_id: strawberry.Private[int | None]
    case_id: strawberry.Private[int | None]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Petition | None:
        row = await read.by_key(info, "Petition", int(relay.GlobalID.from_id(id).node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field(description="The village/community, compound or building concerned.")
    async def area(self, info: Info) -> Area:
        return from_record(Area, await read.one(info, "Petition", "area", self))

    @strawberry.field
    async def category(self, info: Info) -> PetitionCategory:
        return from_record(PetitionCategory, await read.one(info, "Petition", "category", self))

    @strawberry.field(description="Null when anonymous or not visible to you.")
    async def submitter(self, info: Info) -> Resident | None:
        row = await read.one(info, "Petition", "submitter", self)
        return None if row is None else from_record(Resident, row)

    @strawberry.field(description="The submitter's household; null as submitter is.")
    async def household(self, info: Info) -> Household | None:
        row = await read.one(info, "Petition", "household", self)
        return None if row is None else from_record(Household, row)

    @strawberry.field(description="Co-signing residents you may see.")
    async def cosigners(self, info: Info) -> list[Resident]:
        rows = await read.listed(info, "Petition", "cosigners", self.id)
        return [from_record(Resident, r) for r in rows]

    @strawberry.field(description="The history, oldest first; residents see public events only.")
    async def events(self, info: Info) -> list[PetitionEvent]:
        rows = await read.listed(info, "Petition", "events", self.id)
        return [from_record(PetitionEvent, r) for r in rows]

    @strawberry.field(description="The original, when this is a duplicate.")
    async def duplicate_of(self, info: Info) -> Petition | None:
        row = await read.one(info, "Petition", "duplicate_of", self)
        return None if row is None else from_record(Petition, row)

    @strawberry.field(description="Petitions marked as duplicates of this one.")
    async def duplicates(self, info: Info) -> list[Petition]:
        rows = await read.listed(info, "Petition", "duplicates", self.id)
        return [from_record(Petition, r) for r in rows]

    @strawberry.field(name="case", description="The case handling this with others.")
    async def case_(self, info: Info) -> PetitionCase | None:
        row = await read.one(info, "Petition", "case", self)
        return None if row is None else from_record(PetitionCase, row)


@strawberry.federation.type(keys=["id"], description="One change of a petition (append-only).")
class PetitionEvent(relay.Node):
    id: relay.NodeID[int]
    at: dt.datetime
    kind: PetitionEventKind
    from_status: PetitionStatus | None
    to_status: PetitionStatus
    note: str | None
    visibility: EventVisibility
    actor: str = strawberry.field(description="The principal (token subject) who acted.")
    actor_role: str
    petition_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> PetitionEvent | None:
        row = await read.by_key(info, "PetitionEvent", int(relay.GlobalID.from_id(id).node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field
    async def petition(self, info: Info) -> Petition | None:
        row = await read.one(info, "PetitionEvent", "petition", self)
        return None if row is None else from_record(Petition, row)


@strawberry.federation.type(
    keys=["id"], description="A shared problem: many petitions handled together."
)
class PetitionCase(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str | None
    created_by: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    area_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> PetitionCase | None:
        row = await read.by_key(info, "PetitionCase", int(relay.GlobalID.from_id(id).node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field
    async def area(self, info: Info) -> Area:
        return from_record(Area, await read.one(info, "PetitionCase", "area", self))

    @strawberry.field(description="The petitions linked to this case.")
    async def petitions(
        self,
        info: Info,
        filter: PetitionFilter | None = None,
        order_by: PetitionOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Petition]:
        return await related(
            info,
            Petition,
            "PetitionCase",
            "petitions",
            self.id,
            order_by or PetitionOrder(),
            filter,
            first,
            after,
            last,
            before,
        )


@strawberry.type
class StatusCount:
    status: PetitionStatus
    count: int


@strawberry.type
class TriageCount:
    triage: TriageClass
    count: int


@strawberry.type
class ChannelCount:
    channel: PetitionChannel
    count: int


@strawberry.type
class SatisfactionCount:
    satisfaction: Satisfaction
    count: int


_RATE = "A fraction (0-1, 4 decimals); null when there is nothing to divide by."


@strawberry.type(description="Petition figures for a dashboard, computed in the database.")
class PetitionStats:
    count: int
    open: int
    overdue: int
    completion_rate: Decimal | None = strawberry.field(
        description="Ended (resolved, closed, duplicate, referred, rejected) / count. " + _RATE
    )
    satisfaction_rate: Decimal | None = strawberry.field(
        description="(Satisfied + basically satisfied) / rated. " + _RATE
    )
    by_status: list[StatusCount]
    by_triage: list[TriageCount]
    by_channel: list[ChannelCount]
    by_satisfaction: list[SatisfactionCount]


@strawberry.type(description="A month's figures, as a monthly report states them.")
class PetitionMonth:
    month: Month  # type: ignore[valid-type]
    received: int
    resolved: int = strawberry.field(
        description="Ended during the month, whatever their age (resolved, duplicate, "
        "referred, rejected)."
    )
    open_start: int
    open_end: int
    feedback_received: int = strawberry.field(description="Of those resolved, rated.")
    feedback_satisfied: int = strawberry.field(
        description="Of those rated, satisfied or basically satisfied."
    )
    overdue: int = strawberry.field(
        description="Due during the month and not handled by their due date."
    )
    completion_rate: Decimal | None = strawberry.field(
        description="resolved / (openStart + received). " + _RATE
    )
    satisfaction_rate: Decimal | None = strawberry.field(
        description="feedbackSatisfied / feedbackReceived. " + _RATE
    )
    by_triage: list[TriageCount] = strawberry.field(description="Received, by triage class.")


def _rate(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def stats_type(record: Any) -> PetitionStats:
    f = record.figures
    return PetitionStats(
        count=f["count"],
        open=f["open"],
        overdue=f["overdue"],
        completion_rate=_rate(f["completion_rate"]),
        satisfaction_rate=_rate(f["satisfaction_rate"]),
        by_status=[StatusCount(status=s, count=f[f"status_{s.value}"]) for s in PetitionStatus],
        by_triage=[TriageCount(triage=t, count=f[f"triage_{t.value}"]) for t in TriageClass],
        by_channel=[
            ChannelCount(channel=c, count=f[f"channel_{c.value}"]) for c in PetitionChannel
        ],
        by_satisfaction=[
            SatisfactionCount(satisfaction=s, count=f[f"satisfaction_{s.value}"])
            for s in Satisfaction
        ],
    )


def month_type(f: dict[str, Any]) -> PetitionMonth:
    return PetitionMonth(
        month=f["m"],
        received=f["received"],
        resolved=f["resolved"],
        open_start=f["open_start"],
        open_end=f["open_end"],
        feedback_received=f["feedback_received"],
        feedback_satisfied=f["feedback_satisfied"],
        overdue=f["overdue"],
        completion_rate=_rate(f["completion_rate"]),
        satisfaction_rate=_rate(f["satisfaction_rate"]),
        by_triage=[TriageCount(triage=t, count=f[f"triage_{t.value}"]) for t in TriageClass],
    )


def _key(id: relay.GlobalID, cls: type) -> int:
    from schema.query import _key as key_of

    return key_of(id, cls)


@strawberry.type
class PetitionQuery:
    @strawberry.field
    async def petition(self, info: Info, id: relay.GlobalID) -> Petition | None:
        row = await read.by_key(info, "Petition", _key(id, Petition))
        return None if row is None else from_record(Petition, row)

    @strawberry.field(description="Petitions you may see, newest first unless ordered.")
    async def petitions(
        self,
        info: Info,
        filter: PetitionFilter | None = None,
        order_by: PetitionOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Petition]:
        return await root_connection(
            info, Petition, order_by or PetitionOrder(), filter, first, after, last, before
        )

    @strawberry.field(description="The category catalogue, by code.")
    async def petition_categories(self, info: Info) -> list[PetitionCategory]:
        return [from_record(PetitionCategory, r) for r in await petitions_api.categories(info)]

    @strawberry.field
    async def petition_case(self, info: Info, id: relay.GlobalID) -> PetitionCase | None:
        row = await read.by_key(info, "PetitionCase", _key(id, PetitionCase))
        return None if row is None else from_record(PetitionCase, row)

    @strawberry.field
    async def petition_cases(
        self,
        info: Info,
        filter: PetitionCaseFilter | None = None,
        order_by: PetitionCaseOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PetitionCase]:
        return await root_connection(
            info, PetitionCase, order_by or PetitionCaseOrder(), filter, first, after, last, before
        )

    @strawberry.field(description="Figures over every petition you may see, narrowed by filter.")
    async def petition_stats(
        self, info: Info, filter: PetitionFilter | None = None
    ) -> PetitionStats:
        return stats_type(await petitions_api.petition_stats(info, None, filter_items(filter)))


# Fields added to the community types (schema/community.py), resolved here.
async def area_petition_stats(info: Info, area_id: int, filter: Any) -> PetitionStats:
    return stats_type(await petitions_api.petition_stats(info, area_id, filter_items(filter)))


async def area_petition_months(
    info: Info, area_id: int, first: Any, last: Any
) -> list[PetitionMonth]:
    return [month_type(f) for f in await petitions_api.petition_months(info, area_id, first, last)]
