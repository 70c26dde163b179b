"""Fields of Area and Household that lead into the collective enterprises domain.

schema/community.py names them with one line each (``strawberry.field(resolver=...)``);
this module imports neither schema.community nor schema.enterprises at load time (they
import each other's types lazily).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info

from schema.common import Connection
from schema.enterprises_inputs import (
    DividendLineFilter,
    DividendLineOrder,
    EnterpriseFilter,
    EnterpriseOrder,
    ShareholdingFilter,
    ShareholdingOrder,
)

if TYPE_CHECKING:
    from schema.enterprises import (
        CollectiveEnterprise,
        DividendLine,
        EnterpriseYearFigures,
        Shareholding,
    )

_E = "schema.enterprises"


async def _related(info: Info, cls_name: str, parent: str, relation: str, *args: Any):  # type: ignore[no-untyped-def]
    import schema.enterprises as types
    from schema.community import related

    return await related(info, getattr(types, cls_name), parent, relation, *args)


async def area_enterprises(
    root: strawberry.Parent[Any],
    info: Info,
    filter: EnterpriseFilter | None = None,
    order_by: EnterpriseOrder | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[CollectiveEnterprise, strawberry.lazy(_E)]]:
    order = order_by or EnterpriseOrder()
    return await _related(
        info, "CollectiveEnterprise", "Area", "enterprises", root.id, order, filter,
        first, after, last, before,
    )  # fmt: skip


async def area_enterprise_finances(
    root: strawberry.Parent[Any],
    info: Info,
    year_from: int | None = None,
    year_to: int | None = None,
) -> list[Annotated[EnterpriseYearFigures, strawberry.lazy(_E)]]:
    from schema.enterprises import area_finances

    return await area_finances(info, root.id, year_from, year_to)


async def household_shareholdings(
    root: strawberry.Parent[Any],
    info: Info,
    filter: ShareholdingFilter | None = None,
    order_by: ShareholdingOrder | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[Shareholding, strawberry.lazy(_E)]]:
    order = order_by or ShareholdingOrder()
    return await _related(
        info, "Shareholding", "Household", "shareholdings", root.id, order, filter,
        first, after, last, before,
    )  # fmt: skip


async def household_dividends(
    root: strawberry.Parent[Any],
    info: Info,
    filter: DividendLineFilter | None = None,
    order_by: DividendLineOrder | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Annotated[DividendLine, strawberry.lazy(_E)]]:
    order = order_by or DividendLineOrder()
    return await _related(
        info, "DividendLine", "Household", "dividends", root.id, order, filter,
        first, after, last, before,
    )  # fmt: skip
