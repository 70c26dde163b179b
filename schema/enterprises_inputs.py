"""Enums, filters, orders and mutation inputs of the collective-enterprise domain.

Filter field names are the mapping's filter names (db/enterprises_mapping.py). Money in
inputs is yuan as a decimal (at most two decimals: fen), the same unit the types serve.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum

import strawberry

from schema.common import OrderDirection


@strawberry.enum(description="The legal form of a collective enterprise.")
class EnterpriseKind(Enum):
    VILLAGE_COLLECTIVE = strawberry.enum_value(
        "village_collective",
        description="Village (or group/town) collective economic organisation 村集体经济组织; "
        "credit code N1/N2/N3.",
    )
    COLLECTIVE_COMPANY = strawberry.enum_value(
        "collective_company", description="A company owned by the collective."
    )
    SPECIALISED_COOPERATIVE = strawberry.enum_value(
        "specialised_cooperative",
        description="Farmers' specialised cooperative 专业合作社; credit code 93.",
    )
    SHAREHOLDING_COOPERATIVE = strawberry.enum_value(
        "shareholding_cooperative", description="Shareholding cooperative 股份合作社."
    )


@strawberry.enum(description="Kinds of shares 股份 in a collective.")
class ShareClass(Enum):
    POPULATION = strawberry.enum_value("population", description="Population shares 人口股.")
    FARM_AGE = strawberry.enum_value("farm_age", description="Farm-age shares 农龄股.")
    COLLECTIVE = strawberry.enum_value("collective", description="Collective shares 集体股.")
    CASH = strawberry.enum_value("cash", description="Cash-subscribed shares 现金股.")


@strawberry.enum(description="How a dividend pool is divided among member households.")
class DividendBasis(Enum):
    PER_SHARE = strawberry.enum_value(
        "per_share", description="By shares held on the record date (all classes)."
    )
    PER_HOUSEHOLD = strawberry.enum_value(
        "per_household", description="Equally per member household."
    )
    PER_MEMBER = strawberry.enum_value(
        "per_member", description="By the number of residents in each member household."
    )


@strawberry.enum
class EnterpriseOrderField(Enum):
    ID = "ID"
    NAME = "NAME"
    FOUNDED_ON = "FOUNDED_ON"


@strawberry.input
class EnterpriseOrder:
    field: EnterpriseOrderField = EnterpriseOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Filters on enterprises; all given conditions must hold.")
class EnterpriseFilter:
    kind: EnterpriseKind | None = None
    name_contains: str | None = None
    area_code: str | None = strawberry.field(
        default=None, description="Only enterprises in the subtree of this area code."
    )
    disclosure_overdue: bool | None = strawberry.field(
        default=None, description="Last disclosure older than a quarter (or none)."
    )


@strawberry.enum
class MembershipOrderField(Enum):
    ID = "ID"
    JOINED_ON = "JOINED_ON"


@strawberry.input
class MembershipOrder:
    field: MembershipOrderField = MembershipOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class MembershipFilter:
    active_on: dt.date | None = strawberry.field(
        default=None, description="Only memberships that include this day."
    )


@strawberry.enum
class ShareholdingOrderField(Enum):
    ID = "ID"
    VALID_FROM = "VALID_FROM"


@strawberry.input
class ShareholdingOrder:
    field: ShareholdingOrderField = ShareholdingOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class ShareholdingFilter:
    active_on: dt.date | None = strawberry.field(
        default=None, description="Only holdings valid on this day."
    )
    share_class: ShareClass | None = None


@strawberry.enum
class DividendLineOrderField(Enum):
    ID = "ID"


@strawberry.input
class DividendLineOrder:
    field: DividendLineOrderField = DividendLineOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class DividendLineFilter:
    year: int | None = strawberry.field(default=None, description="The account year.")


# -- mutation inputs -------------------------------------------------------------------

_YUAN = "Yuan, at most two decimals (fen)."


@strawberry.input
class CreateEnterpriseInput:
    name: str
    kind: EnterpriseKind
    credit_code: str = strawberry.field(
        description="Unified social credit code (GB 32100), 18 characters with its check "
        "character; lower case is accepted."
    )
    area_code: str = strawberry.field(description="A town, village or group (compound).")
    founded_on: dt.date
    legal_representative_id: strawberry.ID = strawberry.field(
        description="A resident living in the enterprise's area."
    )


@strawberry.input(description="Only the fields given change.")
class UpdateEnterpriseInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    kind: EnterpriseKind | None = strawberry.UNSET
    credit_code: str | None = strawberry.UNSET
    founded_on: dt.date | None = strawberry.UNSET
    legal_representative_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class AddMembershipInput:
    enterprise_id: strawberry.ID
    household_id: strawberry.ID = strawberry.field(
        description="A household living in the enterprise's area."
    )
    joined_on: dt.date


@strawberry.input(description="End a membership; the household's open shares end with it.")
class EndMembershipInput:
    id: strawberry.ID = strawberry.field(description="The EnterpriseMembership.")
    left_on: dt.date = strawberry.field(description="The last day of membership.")


@strawberry.input
class HoldingInput:
    share_class: ShareClass
    quantity: int = strawberry.field(description="Shares, 1 or more.")


@strawberry.input(
    description="A member household's holdings from a day on: holdings open before it end "
    "the day before, holdings starting on or after it are replaced. An empty list ends "
    "all holdings."
)
class SetShareholdingsInput:
    enterprise_id: strawberry.ID
    household_id: strawberry.ID
    valid_from: dt.date
    holdings: list[HoldingInput]


@strawberry.input(description="A household's line of a distribution.")
class DividendLineInput:
    household_id: strawberry.ID
    amount: Decimal = strawberry.field(description=_YUAN)
    units: int | None = strawberry.field(
        default=None,
        description="Shares, 1, or members as the basis gives; taken from the stored "
        "shares and members when left out.",
    )


@strawberry.input(
    description="How the dividend pool is divided. Without `lines` the lines are computed: "
    "each household's exact share pool x units / total units in fen, rounded down, and the "
    "fen left over given one each to the largest remainders (ties: lower household id)."
)
class DistributionInput:
    basis: DividendBasis
    record_date: dt.date = strawberry.field(
        description="Shares and memberships on this day decide who takes part (股权登记日)."
    )
    paid_on: dt.date | None = None
    lines: list[DividendLineInput] | None = None


@strawberry.input(
    description="A year's account in the income-distribution order. Amounts left out are "
    "derived (income = revenue - expenses; opening = last year's closing, 0 for a first "
    "account; distributable = income + opening; closing = distributable - every "
    "distribution); amounts given must agree with those identities."
)
class RecordAccountInput:
    enterprise_id: strawberry.ID
    year: int
    revenue: Decimal = strawberry.field(description=_YUAN)
    expenses: Decimal = strawberry.field(description=_YUAN)
    income: Decimal | None = None
    opening_undistributed: Decimal | None = None
    distributable: Decimal | None = None
    reserve_fund: Decimal = strawberry.field(
        default=Decimal(0), description="Reserve and public-welfare fund 公积公益金."
    )
    welfare_fund: Decimal = Decimal(0)
    investor_returns: Decimal = strawberry.field(
        default=Decimal(0), description="Returns to outside investors."
    )
    dividend_pool: Decimal = strawberry.field(
        default=Decimal(0), description="Distribution to member households."
    )
    other_distributions: Decimal = Decimal(0)
    closing_undistributed: Decimal | None = None
    distribution: DistributionInput | None = strawberry.field(
        default=None,
        description="The dividend distribution, recorded in the same transaction "
        "(required when dividendPool > 0 unless recorded later with recordDistribution).",
    )


@strawberry.input(description="Record (or replace, until disclosed) a year's distribution.")
class RecordDistributionInput:
    account_id: strawberry.ID
    distribution: DistributionInput


@strawberry.input
class PublishDisclosureInput:
    account_id: strawberry.ID = strawberry.field(
        description="The account published, with its distribution if recorded."
    )
    published_on: dt.date | None = strawberry.field(
        default=None, description="Today when left out; never in the future."
    )
    publishes_lines: bool = strawberry.field(
        default=False,
        description="Publish every household's dividend line to the residents of the area "
        "(otherwise each household sees only its own).",
    )
    note: str | None = None
