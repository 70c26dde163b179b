"""Mutations of the collective-enterprise domain and their typed results.

Every mutation takes one ``input`` and returns a union: the payload, or
``EnterpriseMutationFailed`` listing every problem found, each with a code naming the
rule that failed, a message, and the input path it concerns. Nothing is written when a
mutation fails (docs/enterprises.md lists the codes).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import Info

from resolvers import enterprises_mutations as write
from schema.common import from_record
from schema.enterprises import (
    AnnualAccount,
    CollectiveEnterprise,
    Disclosure,
    DividendDistribution,
    EnterpriseMembership,
)
from schema.enterprises_inputs import (
    AddMembershipInput,
    CreateEnterpriseInput,
    EndMembershipInput,
    PublishDisclosureInput,
    RecordAccountInput,
    RecordDistributionInput,
    SetShareholdingsInput,
    UpdateEnterpriseInput,
)

_DESCRIPTIONS = {
    "INVALID_INPUT": "A value is missing, malformed or out of range.",
    "NOT_FOUND": "No such object you may change, or the id names another type.",
    "FORBIDDEN": "Your role may not change enterprise data, or not in this area.",
    "UNKNOWN_AREA": "No area has this code.",
    "WRONG_AREA_LEVEL": "Enterprises belong to a town, village or group (compound).",
    "INVALID_CREDIT_CODE": "Not a GB 32100 unified social credit code (alphabet, length, check).",
    "CREDIT_CODE_KIND_MISMATCH": "The code's prefix does not fit the kind (N1-N3, 93).",
    "DUPLICATE_CREDIT_CODE": "Another enterprise has this credit code.",
    "NOT_IN_AREA": "The household or legal representative does not live in the area.",
    "MEMBERSHIP_OVERLAP": "The household is already a member in that period.",
    "NOT_A_MEMBER": "Only member households hold shares and receive dividends.",
    "SHARES_OVERLAP": "The household already holds that share class in that period.",
    "INCOME_IDENTITY": "income = revenue - expenses does not hold.",
    "DISTRIBUTABLE_IDENTITY": "distributable = income + opening undistributed does not hold.",
    "CLOSING_IDENTITY": "closing = distributable - all distributions does not hold.",
    "POOL_LIMIT": "dividend pool > distributable - reserve - welfare - investor returns.",
    "OPENING_CARRY_OVER": "This year's opening is not last year's closing.",
    "YEARS_NOT_CONTIGUOUS": "Accounts run year after year with no gap.",
    "BEFORE_FOUNDING": "The account's year precedes the enterprise's founding.",
    "PUBLISHED": "Disclosed accounts and distributions are locked.",
    "POOL_MISMATCH": "The distribution's pool is not the account's dividend pool.",
    "NO_DIVIDEND_POOL": "A distribution needs a dividend pool above 0.",
    "LINE_UNITS": "A line's units are not the household's shares/1/members on the record date.",
    "MISSING_LINE": "A household taking part on the record date has no line.",
    "UNITS_TOTAL": "The lines' units do not add up to the distribution's units.",
    "LINES_SUM": "The lines do not sum to the dividend pool to the fen.",
    "ALLOCATION": "A line is not its largest-remainder share of the pool.",
}
assert tuple(_DESCRIPTIONS) == write.CODES

EnterpriseErrorCode = strawberry.enum(
    Enum("EnterpriseErrorCode", {c: c for c in write.CODES}),  # type: ignore[misc]
    description="Why an enterprise mutation was refused: the rule that failed.",
)
for _value in EnterpriseErrorCode:  # type: ignore[attr-defined]
    _value._strawberry_description = _DESCRIPTIONS[_value.value]  # type: ignore[attr-defined]


@strawberry.type(description="One problem with an enterprise mutation's input.")
class EnterpriseError:
    code: EnterpriseErrorCode  # type: ignore[valid-type]
    message: str = strawberry.field(description="Says what failed; names the rule.")
    field: str | None = strawberry.field(
        description="Path of the input field from inside `input` (`distribution.lines.2.amount`)."
    )


@strawberry.type(description="The mutation was refused and nothing was written.")
class EnterpriseMutationFailed:
    errors: list[EnterpriseError] = strawberry.field(description="Every problem found.")


@strawberry.type
class EnterprisePayload:
    enterprise: CollectiveEnterprise


@strawberry.type
class MembershipPayload:
    membership: EnterpriseMembership


@strawberry.type
class AccountPayload:
    account: AnnualAccount


@strawberry.type
class DistributionPayload:
    distribution: DividendDistribution


@strawberry.type
class DisclosurePayload:
    disclosure: Disclosure


EnterpriseResult = Annotated[
    EnterprisePayload | EnterpriseMutationFailed, strawberry.union("EnterpriseResult")
]
MembershipResult = Annotated[
    MembershipPayload | EnterpriseMutationFailed, strawberry.union("MembershipResult")
]
AccountResult = Annotated[
    AccountPayload | EnterpriseMutationFailed, strawberry.union("AccountResult")
]
DistributionResult = Annotated[
    DistributionPayload | EnterpriseMutationFailed, strawberry.union("DistributionResult")
]
DisclosureResult = Annotated[
    DisclosurePayload | EnterpriseMutationFailed, strawberry.union("DisclosureResult")
]

_PAYLOADS: dict[str, tuple[type, type, str]] = {
    "CollectiveEnterprise": (EnterprisePayload, CollectiveEnterprise, "enterprise"),
    "EnterpriseMembership": (MembershipPayload, EnterpriseMembership, "membership"),
    "AnnualAccount": (AccountPayload, AnnualAccount, "account"),
    "DividendDistribution": (DistributionPayload, DividendDistribution, "distribution"),
    "Disclosure": (DisclosurePayload, Disclosure, "disclosure"),
}


def _result(outcome: write.Outcome) -> Any:
    if isinstance(outcome, list):
        return EnterpriseMutationFailed(
            errors=[
                EnterpriseError(code=EnterpriseErrorCode(code), message=message, field=field)  # type: ignore[operator]
                for code, message, field in outcome
            ]
        )
    entity, row = outcome
    payload, cls, name = _PAYLOADS[entity.name]
    return payload(**{name: from_record(cls, row)})


@strawberry.type
class EnterpriseMutation:
    @strawberry.mutation(description="Register a collective enterprise.")
    async def create_collective_enterprise(
        self, info: Info, input: CreateEnterpriseInput
    ) -> EnterpriseResult:
        return _result(await write.create_enterprise(info, input))

    @strawberry.mutation(description="Change an enterprise's registration data.")
    async def update_collective_enterprise(
        self, info: Info, input: UpdateEnterpriseInput
    ) -> EnterpriseResult:
        return _result(await write.update_enterprise(info, input))

    @strawberry.mutation(description="Admit a household of the area as a member.")
    async def add_enterprise_member(
        self, info: Info, input: AddMembershipInput
    ) -> MembershipResult:
        return _result(await write.add_membership(info, input))

    @strawberry.mutation(description="End a membership; the household's open shares end too.")
    async def end_enterprise_membership(
        self, info: Info, input: EndMembershipInput
    ) -> MembershipResult:
        return _result(await write.end_membership(info, input))

    @strawberry.mutation(
        description="Set a member household's shares from a day on (returns the enterprise)."
    )
    async def set_shareholdings(self, info: Info, input: SetShareholdingsInput) -> EnterpriseResult:
        return _result(await write.set_shareholdings(info, input))

    @strawberry.mutation(
        description="Record (or correct, until disclosed) a year's account, optionally with "
        "its dividend distribution, in one transaction."
    )
    async def record_annual_account(self, info: Info, input: RecordAccountInput) -> AccountResult:
        return _result(await write.record_account(info, input))

    @strawberry.mutation(
        description="Record (or replace, until disclosed) an account's dividend distribution; "
        "lines are computed exactly when not given."
    )
    async def record_dividend_distribution(
        self, info: Info, input: RecordDistributionInput
    ) -> DistributionResult:
        return _result(await write.record_distribution(info, input))

    @strawberry.mutation(
        description="Publish (财务公开) a year's account and its distribution, dated."
    )
    async def publish_disclosure(
        self, info: Info, input: PublishDisclosureInput
    ) -> DisclosureResult:
        return _result(await write.publish_disclosure(info, input))
