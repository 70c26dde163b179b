"""Mutations of households and residents, and their typed results.

Every mutation takes one ``input`` and returns a union: the payload, or ``MutationFailed``
listing every problem found, each with a code a frontend can branch on and the path of
the input field it concerns. Nothing is written when a mutation fails.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import Info

from resolvers import community_mutations as write
from schema.common import from_record
from schema.community import Household, Resident
from schema.community_enums import CareTag, Gender, RelationToHead, ResidentRole


@strawberry.enum(description="Why a mutation was refused.")
class UserErrorCode(Enum):
    INVALID_INPUT = strawberry.enum_value(
        "INVALID_INPUT", description="A value is missing, too long, out of range or not allowed."
    )
    INVALID_ID_NUMBER = strawberry.enum_value(
        "INVALID_ID_NUMBER",
        description="Not a GB 11643 resident ID number (length, birth date, check character).",
    )
    ID_NUMBER_MISMATCH = strawberry.enum_value(
        "ID_NUMBER_MISMATCH",
        description="The birth date or gender given disagrees with the ID number.",
    )
    DUPLICATE_ID_NUMBER = strawberry.enum_value(
        "DUPLICATE_ID_NUMBER",
        description="Another resident (or another person in this input) has this ID number.",
    )
    INVALID_PHONE = strawberry.enum_value(
        "INVALID_PHONE", description="Neither a mobile nor a landline number."
    )
    UNKNOWN_AREA = strawberry.enum_value("UNKNOWN_AREA", description="No area has this code.")
    WRONG_AREA_LEVEL = strawberry.enum_value(
        "WRONG_AREA_LEVEL",
        description="Households live in a compound or building, not in a higher area.",
    )
    ADDRESS_TAKEN = strawberry.enum_value(
        "ADDRESS_TAKEN", description="Another household lives at this area, unit and room."
    )
    SECOND_HEAD = strawberry.enum_value(
        "SECOND_HEAD",
        description="The household would have two heads; use setHouseholdHead.",
    )
    NO_HEAD = strawberry.enum_value(
        "NO_HEAD",
        description="The household would lose its head; use setHouseholdHead first.",
    )
    NOT_A_MEMBER = strawberry.enum_value(
        "NOT_A_MEMBER", description="The resident belongs to another household."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="No such object, or the id names another type."
    )
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN",
        description="Your role may not make this change, or not in this area.",
    )
    STALE = strawberry.enum_value(
        "STALE", description="Changed by someone else since it was read; reload and retry."
    )


@strawberry.type(description="One problem with a mutation's input.")
class UserError:
    code: UserErrorCode
    message: str
    field: str | None = strawberry.field(
        description="Path of the input field, from inside `input`: `head.idNumber`, "
        "`members.1.phone`; null when the problem concerns no one field."
    )


@strawberry.type(description="The mutation was refused and nothing was written.")
class MutationFailed:
    errors: list[UserError] = strawberry.field(description="Every problem found, at least one.")


@strawberry.type
class HouseholdPayload:
    household: Household


@strawberry.type
class ResidentPayload:
    resident: Resident


HouseholdResult = Annotated[HouseholdPayload | MutationFailed, strawberry.union("HouseholdResult")]
ResidentResult = Annotated[ResidentPayload | MutationFailed, strawberry.union("ResidentResult")]

_ID_NUMBER = "Resident ID number (GB 11643); a lower-case x is accepted."
_PHONE = "Mobile (13812345678) or landline (028-12345678) number."


@strawberry.input(description="A resident's own data. Empty strings count as null.")
class ResidentInput:
    name: str
    id_number: str | None = strawberry.field(default=None, description=_ID_NUMBER)
    gender: Gender | None = strawberry.field(
        default=None, description="Derived from the ID number when left out; required without."
    )
    birth_date: dt.date | None = strawberry.field(
        default=None, description="Derived from the ID number when left out; required without."
    )
    phone: str | None = strawberry.field(default=None, description=_PHONE)
    care_tags: list[CareTag] = strawberry.field(default_factory=list)
    is_party_member: bool = False
    roles: list[ResidentRole] = strawberry.field(default_factory=list)
    registered_here: bool = strawberry.field(default=True, description="户籍 is here.")
    lives_here: bool = strawberry.field(default=True, description="Lives here (常住).")


@strawberry.input(description="A member of a new household: their data and relation to the head.")
class MemberInput(ResidentInput):
    relation: RelationToHead = strawberry.field(
        description="Relation to the head; not SELF (the head is given separately)."
    )


@strawberry.input
class CreateHouseholdInput:
    area_code: str = strawberry.field(description="Code of a compound or building.")
    unit: str | None = None
    room: str
    head: ResidentInput = strawberry.field(description="The head of household 户主.")
    members: list[MemberInput] = strawberry.field(default_factory=list)


@strawberry.input(description="Only the fields given change; `unit: null` removes the unit.")
class UpdateHouseholdInput:
    id: strawberry.ID
    unit: str | None = strawberry.UNSET
    room: str | None = strawberry.UNSET
    expected_updated_at: dt.datetime | None = strawberry.field(
        default=None, description="Refuse with STALE unless updatedAt still has this value."
    )


@strawberry.input(description="A new address, in the same or another compound or building.")
class MoveHouseholdInput:
    id: strawberry.ID
    area_code: str
    unit: str | None = None
    room: str
    expected_updated_at: dt.datetime | None = strawberry.field(
        default=None, description="Refuse with STALE unless updatedAt still has this value."
    )


@strawberry.input
class AddResidentInput:
    household_id: strawberry.ID
    relation: RelationToHead = strawberry.field(description="Relation to the head; not SELF.")
    resident: ResidentInput


@strawberry.input(
    description="Only the fields given change; null clears idNumber and phone and is refused "
    "for the others. A new idNumber sets birth date and gender."
)
class UpdateResidentInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    id_number: str | None = strawberry.UNSET
    gender: Gender | None = strawberry.UNSET
    birth_date: dt.date | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    care_tags: list[CareTag] | None = strawberry.UNSET
    is_party_member: bool | None = strawberry.UNSET
    roles: list[ResidentRole] | None = strawberry.UNSET
    registered_here: bool | None = strawberry.UNSET
    lives_here: bool | None = strawberry.UNSET
    expected_updated_at: dt.datetime | None = strawberry.field(
        default=None, description="Refuse with STALE unless updatedAt still has this value."
    )


@strawberry.input(
    description="Put a resident in a household (their own, to change the relation) with a "
    "relation to its head. The head cannot be moved out: use setHouseholdHead first."
)
class MoveResidentInput:
    id: strawberry.ID
    household_id: strawberry.ID
    relation: RelationToHead
    expected_updated_at: dt.datetime | None = strawberry.field(
        default=None, description="Refuse with STALE unless updatedAt still has this value."
    )


@strawberry.input(description="Hand headship over to another member, in one transaction.")
class SetHouseholdHeadInput:
    household_id: strawberry.ID
    resident_id: strawberry.ID = strawberry.field(description="A member, the new head.")
    former_head_relation: RelationToHead = strawberry.field(
        description="The former head's relation to the new head; not SELF."
    )


def _failed(problems: list[write.Problem]) -> MutationFailed:
    return MutationFailed(
        errors=[
            UserError(code=UserErrorCode(p.code), message=p.message, field=p.field)
            for p in problems
        ]
    )


def _household(outcome: Any) -> HouseholdPayload | MutationFailed:
    if isinstance(outcome, list):
        return _failed(outcome)
    return HouseholdPayload(household=from_record(Household, outcome))


def _resident(outcome: Any) -> ResidentPayload | MutationFailed:
    if isinstance(outcome, list):
        return _failed(outcome)
    return ResidentPayload(resident=from_record(Resident, outcome))


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Register a household at an address with its head and members."
    )
    async def create_household(self, info: Info, input: CreateHouseholdInput) -> HouseholdResult:
        return _household(await write.create_household(info, input))

    @strawberry.mutation(description="Change a household's unit or room.")
    async def update_household(self, info: Info, input: UpdateHouseholdInput) -> HouseholdResult:
        return _household(await write.update_household(info, input))

    @strawberry.mutation(
        description="Move a household and its members to another address; area subtree "
        "figures follow."
    )
    async def move_household(self, info: Info, input: MoveHouseholdInput) -> HouseholdResult:
        return _household(await write.move_household(info, input))

    @strawberry.mutation(description="Hand headship of a household to another member.")
    async def set_household_head(self, info: Info, input: SetHouseholdHeadInput) -> HouseholdResult:
        return _household(await write.set_household_head(info, input))

    @strawberry.mutation(description="Add a member to a household.")
    async def add_resident(self, info: Info, input: AddResidentInput) -> ResidentResult:
        return _resident(await write.add_resident(info, input))

    @strawberry.mutation(description="Change a resident's own data.")
    async def update_resident(self, info: Info, input: UpdateResidentInput) -> ResidentResult:
        return _resident(await write.update_resident(info, input))

    @strawberry.mutation(
        description="Move a resident to another household, or change their relation."
    )
    async def move_resident(self, info: Info, input: MoveResidentInput) -> ResidentResult:
        return _resident(await write.move_resident(info, input))
