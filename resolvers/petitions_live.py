"""Live petition events for subscriptions: NOTIFY payloads filtered for one subscriber
and loaded under the subscriber's own row-level security."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import orjson
from graphql import GraphQLError
from strawberry import Info, relay

from db import petitions
from resolvers import community as read

CHANNEL = "petition_event"


def _input_error(message: str, code: str = "BAD_USER_INPUT") -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _under(path: str, scope: str) -> bool:
    return path == scope or path.startswith(scope + ".")


async def petition_events(
    info: Info, area_code: str | None, petition_id: relay.GlobalID | None
) -> AsyncIterator[asyncpg.Record]:
    """Events of one petition, or of every petition in an area's subtree, as they commit.

    Only events the subscriber could read with a query are delivered: each one is loaded
    in the subscriber's session, so row-level security decides (a resident never receives
    an internal note). The stream is listening before the arguments are checked, so an
    event committed after the subscription started is never missed.
    """
    ctx = info.context
    session = ctx.db  # refuses a socket without a usable token
    if (area_code is None) == (petition_id is None):
        raise _input_error("pass exactly one of areaCode and petitionId")
    if ctx.notifications is None:
        raise _input_error("this service runs without notifications", "INTERNAL_SERVER_ERROR")
    stream = await ctx.notifications.open(CHANNEL)
    scope: str | None = None
    key: int | None = None
    if area_code is not None:
        area = await read.area_by_code(info, area_code)
        if area is None:
            raise _input_error(f"no area with code {area_code}", "NOT_FOUND")
        scope = area["path"]
    else:
        assert petition_id is not None
        if petition_id.type_name != "Petition":
            raise _input_error(f"petitionId is a {petition_id.type_name} id, not a Petition id")
        key = int(petition_id.node_id)
        if await read.by_key(info, "Petition", key) is None:
            raise _input_error(f"no petition {petition_id} that you may read", "NOT_FOUND")
    async for payload in stream:
        note = orjson.loads(payload)
        if key is not None and note["petition_id"] != key:
            continue
        if scope is not None and not _under(note["area_path"], scope):
            continue
        async with session.transaction(read_only=True) as conn:
            found = await petitions.petition_event_by_id(conn, note["event_id"])
        if found is None:  # not for this subscriber's eyes
            continue
        # the event's petition changed: nothing loaded before may answer for it
        ctx.reset_loaders()
        yield found[0]
