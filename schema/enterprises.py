"""Collective enterprises 村集体经济: enterprises, members, shares, annual accounts,
dividend distributions and disclosures. Money is yuan as a decimal string with two
decimals (stored in fen; docs/enterprises.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry
from strawberry import Info, relay

from resolvers import community as read
from resolvers import enterprises as api
from schema.common import Connection, from_record
from schema.community import Area, Household, Resident, nodes_of, related, root_connection
from schema.enterprises_inputs import (
    DividendBasis,
    EnterpriseFilter,
    EnterpriseKind,
    EnterpriseOrder,
    MembershipFilter,
    MembershipOrder,
    ShareClass,
    ShareholdingFilter,
    ShareholdingOrder,
)


async def _one(info: Info, cls: type, parent: str, relation: str, row: object) -> object | None:
    found = await read.one(info, parent, relation, row)
    return None if found is None else from_record(cls, found)


async def _listed(info: Info, cls: type, parent: str, relation: str, key: int) -> list:
    return [from_record(cls, r) for r in await read.listed(info, parent, relation, key)]


async def _reference(cls: type, info: Info, id: strawberry.ID) -> object | None:
    row = await read.by_key(info, cls.__name__, int(relay.GlobalID.from_id(id).node_id))
    return None if row is None else from_record(cls, row)


@strawberry.federation.type(
    keys=["id"],
    description="A collective enterprise: village collective economic organisation, "
    "collective company, specialised or shareholding cooperative.",
)
class CollectiveEnterprise(relay.Node):
    id: relay.NodeID[int]
    name: str
    kind: EnterpriseKind
    credit_code: str = strawberry.field(description="Unified social credit code (GB 32100).")
    founded_on: dt.date
    last_disclosed_on: dt.date | None = strawberry.field(
        description="Date of the latest disclosure 财务公开, if any."
    )
    disclosure_overdue: bool = strawberry.field(
        description="No disclosure within the last three months (finances are disclosed at "
        "least quarterly)."
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    area_id: strawberry.Private[int]
    legal_representative_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> CollectiveEnterprise | None:
        return await _reference(cls, info, id)  # type: ignore[return-value]

    @strawberry.field(description="The town, village or group the enterprise belongs to.")
    async def area(self, info: Info) -> Area:
        return from_record(Area, await read.one(info, "CollectiveEnterprise", "area", self))

    @strawberry.field(
        description="The legal representative 法定代表人 (null when you may not read them)."
    )
    async def legal_representative(self, info: Info) -> Resident | None:
        return await _one(info, Resident, "CollectiveEnterprise", "legal_representative", self)  # type: ignore[return-value]

    @strawberry.field(description="Member households, with their membership periods.")
    async def members(
        self,
        info: Info,
        filter: MembershipFilter | None = None,
        order_by: MembershipOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[EnterpriseMembership]:
        return await related(
            info,
            EnterpriseMembership,
            "CollectiveEnterprise",
            "members",
            self.id,
            order_by or MembershipOrder(),
            filter,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Shares held by member households, every period.")
    async def shareholdings(
        self,
        info: Info,
        filter: ShareholdingFilter | None = None,
        order_by: ShareholdingOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Shareholding]:
        return await related(
            info,
            Shareholding,
            "CollectiveEnterprise",
            "shareholdings",
            self.id,
            order_by or ShareholdingOrder(),
            filter,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Annual accounts by year (residents: the disclosed ones).")
    async def accounts(self, info: Info) -> list[AnnualAccount]:
        return await _listed(info, AnnualAccount, "CollectiveEnterprise", "accounts", self.id)

    @strawberry.field(description="Dividend distributions by year.")
    async def distributions(self, info: Info) -> list[DividendDistribution]:
        return await _listed(
            info, DividendDistribution, "CollectiveEnterprise", "distributions", self.id
        )

    @strawberry.field(description="Disclosures 财务公开, the latest first.")
    async def disclosures(self, info: Info) -> list[Disclosure]:
        return await _listed(info, Disclosure, "CollectiveEnterprise", "disclosures", self.id)


@strawberry.federation.type(keys=["id"], description="A household's membership of an enterprise.")
class EnterpriseMembership(relay.Node):
    id: relay.NodeID[int]
    joined_on: dt.date
    left_on: dt.date | None = strawberry.field(description="The last day of membership.")
    active: bool = strawberry.field(description="A member today.")
    enterprise_id: strawberry.Private[int]
    household_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> EnterpriseMembership | None:
        return await _reference(cls, info, id)  # type: ignore[return-value]

    @strawberry.field
    async def enterprise(self, info: Info) -> CollectiveEnterprise | None:
        return await _one(info, CollectiveEnterprise, "EnterpriseMembership", "enterprise", self)  # type: ignore[return-value]

    @strawberry.field
    async def household(self, info: Info) -> Household | None:
        return await _one(info, Household, "EnterpriseMembership", "household", self)  # type: ignore[return-value]


@strawberry.federation.type(keys=["id"], description="Shares of one class a household holds.")
class Shareholding(relay.Node):
    id: relay.NodeID[int]
    share_class: ShareClass
    quantity: int
    valid_from: dt.date
    valid_to: dt.date | None = strawberry.field(description="The last day held.")
    enterprise_id: strawberry.Private[int]
    household_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Shareholding | None:
        return await _reference(cls, info, id)  # type: ignore[return-value]

    @strawberry.field
    async def enterprise(self, info: Info) -> CollectiveEnterprise | None:
        return await _one(info, CollectiveEnterprise, "Shareholding", "enterprise", self)  # type: ignore[return-value]

    @strawberry.field
    async def household(self, info: Info) -> Household | None:
        return await _one(info, Household, "Shareholding", "household", self)  # type: ignore[return-value]


@strawberry.federation.type(
    keys=["id"],
    description="A year's account in the income-distribution order: income + opening "
    "undistributed = distributable; distributable - reserve fund - welfare fund - investor "
    "returns - dividend pool - other = closing undistributed (next year's opening). Yuan.",
)
class AnnualAccount(relay.Node):
    id: relay.NodeID[int]
    year: int
    revenue: Decimal
    expenses: Decimal
    income: Decimal = strawberry.field(description="Revenue - expenses.")
    opening_undistributed: Decimal = strawberry.field(description="Last year's closing.")
    distributable: Decimal
    reserve_fund: Decimal = strawberry.field(description="公积公益金.")
    welfare_fund: Decimal
    investor_returns: Decimal
    dividend_pool: Decimal = strawberry.field(description="Distributed to member households.")
    other_distributions: Decimal
    closing_undistributed: Decimal
    published: bool = strawberry.field(description="Named by a disclosure (then locked).")
    created_at: dt.datetime
    updated_at: dt.datetime
    enterprise_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> AnnualAccount | None:
        return await _reference(cls, info, id)  # type: ignore[return-value]

    @strawberry.field
    async def enterprise(self, info: Info) -> CollectiveEnterprise | None:
        return await _one(info, CollectiveEnterprise, "AnnualAccount", "enterprise", self)  # type: ignore[return-value]

    @strawberry.field(description="The year's dividend distribution, if recorded (and visible).")
    async def distribution(self, info: Info) -> DividendDistribution | None:
        return await _one(info, DividendDistribution, "AnnualAccount", "distribution", self)  # type: ignore[return-value]


@strawberry.federation.type(
    keys=["id"],
    description="A year's dividend pool divided among member households. Each line is the "
    "largest-remainder share of the pool: pool x units / total units in fen, rounded down, "
    "the fen left over one each to the largest remainders; the lines sum to the pool.",
)
class DividendDistribution(relay.Node):
    id: relay.NodeID[int]
    year: int
    basis: DividendBasis
    record_date: dt.date
    paid_on: dt.date | None
    pool: Decimal
    units: int = strawberry.field(description="Total shares, households or members.")
    per_unit: Decimal = strawberry.field(
        description="Pool / units in yuan, to 6 decimals (exact when evenlyDivisible)."
    )
    evenly_divisible: bool = strawberry.field(
        description="The pool divides into whole fen per unit: every line is perUnit x units."
    )
    published: bool
    enterprise_id: strawberry.Private[int]
    account_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> DividendDistribution | None:
        return await _reference(cls, info, id)  # type: ignore[return-value]

    @strawberry.field
    async def enterprise(self, info: Info) -> CollectiveEnterprise | None:
        return await _one(info, CollectiveEnterprise, "DividendDistribution", "enterprise", self)  # type: ignore[return-value]

    @strawberry.field(description="Null for a resident when the account is not disclosed.")
    async def account(self, info: Info) -> AnnualAccount | None:
        return await _one(info, AnnualAccount, "DividendDistribution", "account", self)  # type: ignore[return-value]

    @strawberry.field(
        description="Lines by household; a resident sees their own, or all once published "
        "with lines."
    )
    async def lines(self, info: Info) -> list[DividendLine]:
        return await _listed(info, DividendLine, "DividendDistribution", "lines", self.id)


@strawberry.federation.type(keys=["id"], description="One household's dividend.")
class DividendLine(relay.Node):
    id: relay.NodeID[int]
    units: int
    amount: Decimal
    distribution_id: strawberry.Private[int]
    household_id: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> DividendLine | None:
        return await _reference(cls, info, id)  # type: ignore[return-value]

    @strawberry.field
    async def distribution(self, info: Info) -> DividendDistribution | None:
        return await _one(info, DividendDistribution, "DividendLine", "distribution", self)  # type: ignore[return-value]

    @strawberry.field
    async def household(self, info: Info) -> Household | None:
        return await _one(info, Household, "DividendLine", "household", self)  # type: ignore[return-value]


@strawberry.federation.type(keys=["id"], description="A disclosure 财务公开 of a year's account.")
class Disclosure(relay.Node):
    id: relay.NodeID[int]
    published_on: dt.date
    publishes_lines: bool = strawberry.field(
        description="Every household's line is public to the area's residents."
    )
    note: str | None
    published_by: str
    enterprise_id: strawberry.Private[int]
    account_id: strawberry.Private[int]
    distribution_id: strawberry.Private[int | None]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Disclosure | None:
        return await _reference(cls, info, id)  # type: ignore[return-value]

    @strawberry.field
    async def enterprise(self, info: Info) -> CollectiveEnterprise | None:
        return await _one(info, CollectiveEnterprise, "Disclosure", "enterprise", self)  # type: ignore[return-value]

    @strawberry.field
    async def account(self, info: Info) -> AnnualAccount | None:
        return await _one(info, AnnualAccount, "Disclosure", "account", self)  # type: ignore[return-value]

    @strawberry.field(description="The distribution as it stood when published, if any.")
    async def distribution(self, info: Info) -> DividendDistribution | None:
        return await _one(info, DividendDistribution, "Disclosure", "distribution", self)  # type: ignore[return-value]


@strawberry.type(description="Income and dividends of the enterprises in an area, one year. Yuan.")
class EnterpriseYearFigures:
    year: int
    enterprises: int = strawberry.field(description="Enterprises with an account that year.")
    revenue: Decimal
    expenses: Decimal
    income: Decimal
    reserve_fund: Decimal
    welfare_fund: Decimal
    dividend_pool: Decimal
    dividends_paid: Decimal = strawberry.field(description="Sum of the dividend lines.")
    households_paid: int = strawberry.field(description="Households with a dividend line.")


async def area_finances(
    info: Info, area_id: int, year_from: int | None, year_to: int | None
) -> list[EnterpriseYearFigures]:
    rows = await api.finances(info, area_id, year_from, year_to)
    return [from_record(EnterpriseYearFigures, r) for r in rows]


@strawberry.type
class EnterpriseQuery:
    @strawberry.field(description="A collective enterprise by id.")
    async def collective_enterprise(
        self, info: Info, id: relay.GlobalID
    ) -> CollectiveEnterprise | None:
        from schema.query import _key

        row = await read.by_key(info, "CollectiveEnterprise", _key(id, CollectiveEnterprise))
        return None if row is None else from_record(CollectiveEnterprise, row)

    @strawberry.field(description="Collective enterprises you may read.")
    async def collective_enterprises(
        self,
        info: Info,
        filter: EnterpriseFilter | None = None,
        order_by: EnterpriseOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CollectiveEnterprise]:
        return await root_connection(
            info,
            CollectiveEnterprise,
            order_by or EnterpriseOrder(),
            filter,
            first,
            after,
            last,
            before,
        )
