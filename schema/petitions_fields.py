"""Fields of Area, Household and Resident that lead into the petitions domain.

schema/community.py names them with one line each (``strawberry.field(resolver=...)``);
this module imports neither schema.community nor schema.petitions at load time (they
import each other's types lazily).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info

from schema.common import Connection
from schema.petitions_inputs import PetitionFilter, PetitionOrder
from schema.reports_inputs import Month  # a scalar: cannot be lazy

if TYPE_CHECKING:
    from schema.petitions import Petition, PetitionMonth, PetitionStats

_P = "schema.petitions"


def petitions(parent: str, relation: str) -> Callable[..., Awaitable[Connection]]:
    """The resolver of a petitions connection under ``parent`` (Area, Household or
    Resident); one signature for all four, as GraphQL sees the same arguments."""

    async def resolve(
        root: strawberry.Parent[Any],
        info: Info,
        filter: PetitionFilter | None = None,
        order_by: PetitionOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[Petition, strawberry.lazy(_P)]]:
        from schema.community import related
        from schema.petitions import Petition

        return await related(
            info,
            Petition,
            parent,
            relation,
            root.id,
            order_by or PetitionOrder(),
            filter,
            first,
            after,
            last,
            before,
        )

    return resolve


async def area_petition_stats(
    root: strawberry.Parent[Any], info: Info, filter: PetitionFilter | None = None
) -> Annotated[PetitionStats, strawberry.lazy(_P)]:
    from schema.petitions import area_petition_stats as stats

    return await stats(info, root.id, filter)


async def area_petition_months(
    root: strawberry.Parent[Any],
    info: Info,
    from_: Annotated[Month, strawberry.argument(name="from")],  # type: ignore[valid-type]
    to: Month,  # type: ignore[valid-type]
) -> list[Annotated[PetitionMonth, strawberry.lazy(_P)]]:
    from schema.petitions import area_petition_months as months

    return await months(info, root.id, from_, to)
