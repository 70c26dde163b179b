"""Filter and ordering inputs. Field names are the mapping's filter names (db/community.py)."""

from __future__ import annotations

import strawberry

from schema.common import OrderDirection
from schema.community_enums import (
    AreaLevel,
    AreaOrderField,
    CareTag,
    Gender,
    HouseholdOrderField,
    RelationToHead,
    ResidentOrderField,
    ResidentRole,
)


@strawberry.input(description="Filters on areas; all given conditions must hold.")
class AreaFilter:
    level: AreaLevel | None = None
    levels: list[AreaLevel] | None = None
    under: str | None = strawberry.field(
        default=None, description="Only areas in the subtree of this area code (itself included)."
    )
    parent_code: str | None = strawberry.field(
        default=None, description="Only direct children of this area code."
    )
    name_contains: str | None = None
    codes: list[str] | None = None


@strawberry.input
class AreaOrder:
    field: AreaOrderField = AreaOrderField.CODE
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Filters on households; all given conditions must hold.")
class HouseholdFilter:
    area_code: str | None = strawberry.field(
        default=None, description="Only households in the subtree of this area code."
    )
    has_care_tag: list[CareTag] | None = strawberry.field(
        default=None, description="Only households with a member carrying any of these tags."
    )
    room: str | None = None


@strawberry.input
class HouseholdOrder:
    field: HouseholdOrderField = HouseholdOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Filters on residents; all given conditions must hold.")
class ResidentFilter:
    area_code: str | None = strawberry.field(
        default=None, description="Only residents in the subtree of this area code."
    )
    care_tags_any: list[CareTag] | None = strawberry.field(
        default=None, description="Residents with at least one of these care tags."
    )
    care_tags_all: list[CareTag] | None = strawberry.field(
        default=None, description="Residents with all of these care tags."
    )
    age_min: int | None = strawberry.field(
        default=None, description="Age in whole years, at least."
    )
    age_max: int | None = strawberry.field(default=None, description="Age in whole years, at most.")
    name_contains: str | None = None
    is_party_member: bool | None = None
    gender: Gender | None = None
    relation: RelationToHead | None = None
    registered_here: bool | None = None
    lives_here: bool | None = None
    roles_any: list[ResidentRole] | None = None


@strawberry.input
class ResidentOrder:
    field: ResidentOrderField = ResidentOrderField.ID
    direction: OrderDirection = OrderDirection.ASC
