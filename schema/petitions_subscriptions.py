"""Subscriptions (graphql-transport-ws on /graphql): petition events as they happen."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry import Info, relay

from resolvers import petitions_live
from schema.common import from_record
from schema.petitions import PetitionEvent


@strawberry.type
class PetitionSubscription:
    @strawberry.subscription(
        description="Events of one petition (petitionId) or of every petition in an area's "
        "subtree (areaCode), delivered when they commit, from whichever process wrote them. "
        "Only events you could read by query arrive: residents receive public events only."
    )
    async def petition_events(
        self,
        info: Info,
        area_code: str | None = None,
        petition_id: relay.GlobalID | None = None,
    ) -> AsyncGenerator[PetitionEvent, None]:
        async for row in petitions_live.petition_events(info, area_code, petition_id):
            yield from_record(PetitionEvent, row)
