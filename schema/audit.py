"""The audit log, for auditors and admins (others see no entries)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry
from strawberry import Info, relay
from strawberry.scalars import JSON

from resolvers import community as read
from schema.common import Connection, OrderDirection, from_record
from schema.community import root_connection


@strawberry.type(description="One mutation: who, as which role, what, when, before and after.")
class AuditEntry(relay.Node):
    id: relay.NodeID[int]
    at: dt.datetime
    subject: str
    role: str
    operation: str = strawberry.field(description="The mutation, e.g. createHousehold.")
    target_type: str
    target_ids: list[strawberry.ID] = strawberry.field(description="Global ids of the targets.")
    before: JSON = strawberry.field(
        description="Rows changed, as they were (ID numbers and phones masked)."
    )
    after: JSON = strawberry.field(description="Rows changed or added, as they became.")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        rows = await read.many_by_key(info, "AuditEntry", [int(i) for i in node_ids])
        return [None if r is None else from_record(cls, r) for r in rows]


@strawberry.input
class AuditFilter:
    operation: str | None = None
    subject: str | None = None
    target_type: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@strawberry.enum
class AuditOrderField(Enum):
    ID = "ID"
    AT = "AT"


@strawberry.input
class AuditOrder:
    field: AuditOrderField = AuditOrderField.ID
    direction: OrderDirection = OrderDirection.DESC


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Mutations recorded, newest first by default (auditors, admins).")
    async def audit_log(
        self,
        info: Info,
        filter: AuditFilter | None = None,
        order_by: AuditOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AuditEntry]:
        return await root_connection(
            info, AuditEntry, order_by or AuditOrder(), filter, first, after, last, before
        )
