"""The root Query: entry points into the graph."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry import Info, relay

from resolvers import community as read
from resolvers.errors import bad_input
from resolvers.pagination import filter_items
from schema.common import Connection
from schema.community import (
    Area,
    Household,
    Resident,
    ResidentStats,
    from_record,
    root_connection,
    stats_type,
)
from schema.community_inputs import (
    AreaFilter,
    AreaOrder,
    HouseholdFilter,
    HouseholdOrder,
    ResidentFilter,
    ResidentOrder,
)


def _key(id: relay.GlobalID, cls: type) -> int:
    if id.type_name != cls.__name__:
        raise bad_input(f"id {id} is a {id.type_name}, not a {cls.__name__}", "id")
    try:
        return int(id.node_id)
    except ValueError:
        raise bad_input(f"id {id} is not a valid {cls.__name__} id", "id") from None


def _node_type(info: Info, type_name: str) -> type | None:
    """The Strawberry class of a Node type of the schema (every domain's, not only ours)."""
    definition = info.schema.get_type_by_name(type_name)
    origin = getattr(definition, "origin", None)
    if isinstance(origin, type) and issubclass(origin, relay.Node):
        return origin
    return None


async def _nodes(info: Info, ids: list[relay.GlobalID]) -> list[relay.Node | None]:
    lookups = []
    for gid in ids:
        cls = _node_type(info, gid.type_name)
        if cls is None:
            raise bad_input(f"id {gid} names an unknown type {gid.type_name}", "id")
        lookups.append(cls.resolve_nodes(info=info, node_ids=[str(_key(gid, cls))], required=False))
    # gathered, so lookups of one type share a DataLoader batch
    return [found[0] for found in await asyncio.gather(*lookups)]


@strawberry.type
class Query:
    # Written out rather than relay.node(): that field extension mutates the shared field
    # and so allows only one Schema per process, and tests build one per configuration.
    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        return (await _nodes(info, [id]))[0]

    @strawberry.field(description="Objects by their global ids, in the order asked.")
    async def nodes(self, info: Info, ids: list[relay.GlobalID]) -> list[relay.Node | None]:
        return await _nodes(info, ids)

    @strawberry.field(description="An area by its code or global id.")
    async def area(
        self, info: Info, code: str | None = None, id: relay.GlobalID | None = None
    ) -> Area | None:
        if (code is None) == (id is None):
            raise bad_input("pass exactly one of code and id", "code")
        if code is not None:
            row = await read.area_by_code(info, code)
        else:
            row = await read.by_key(info, "Area", _key(id, Area))
        return None if row is None else from_record(Area, row)

    @strawberry.field(description="Areas, filtered and ordered (by code unless told otherwise).")
    async def areas(
        self,
        info: Info,
        filter: AreaFilter | None = None,
        order_by: AreaOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Area]:
        return await root_connection(
            info, Area, order_by or AreaOrder(), filter, first, after, last, before
        )

    @strawberry.field
    async def household(self, info: Info, id: relay.GlobalID) -> Household | None:
        row = await read.by_key(info, "Household", _key(id, Household))
        return None if row is None else from_record(Household, row)

    @strawberry.field
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
        return await root_connection(
            info, Household, order_by or HouseholdOrder(), filter, first, after, last, before
        )

    @strawberry.field
    async def resident(self, info: Info, id: relay.GlobalID) -> Resident | None:
        row = await read.by_key(info, "Resident", _key(id, Resident))
        return None if row is None else from_record(Resident, row)

    @strawberry.field
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
        return await root_connection(
            info, Resident, order_by or ResidentOrder(), filter, first, after, last, before
        )

    @strawberry.field(
        description="Resident figures over everything visible, narrowed by the filter."
    )
    async def resident_stats(
        self, info: Info, filter: ResidentFilter | None = None
    ) -> ResidentStats:
        return stats_type(await read.resident_stats(info, None, filter_items(filter)))
