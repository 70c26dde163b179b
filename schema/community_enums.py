"""Enumerations of the community graph; values are the database's enum labels."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Administrative level of an area (省/市/县区/镇街/村社区/小区/楼栋).")
class AreaLevel(Enum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"
    COMPOUND = "compound"
    BUILDING = "building"


@strawberry.enum
class Gender(Enum):
    MALE = "male"
    FEMALE = "female"


@strawberry.enum(description="Relation to the head of household (GB/T 4761).")
class RelationToHead(Enum):
    SELF = "self"
    SPOUSE = "spouse"
    SON = "son"
    DAUGHTER = "daughter"
    GRANDCHILD = "grandchild"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    SIBLING = "sibling"
    OTHER = "other"


@strawberry.enum(description="Care tags: who needs attention, and what support they receive.")
class CareTag(Enum):
    ELDERLY_ALONE = strawberry.enum_value("elderly_alone", description="独居老人")
    LEFT_BEHIND_CHILD = strawberry.enum_value("left_behind_child", description="留守儿童")
    DISABLED = strawberry.enum_value("disabled", description="残疾人")
    SUBSISTENCE_ALLOWANCE = strawberry.enum_value("subsistence_allowance", description="低保")
    EXTREME_POVERTY = strawberry.enum_value("extreme_poverty", description="特困")
    POVERTY_ALLEVIATED = strawberry.enum_value(
        "poverty_alleviated", description="脱贫户 (建档立卡)"
    )


@strawberry.enum(description="Community roles a resident holds.")
class ResidentRole(Enum):
    BUILDING_HEAD = strawberry.enum_value("building_head", description="楼栋长")
    COURTYARD_HEAD = strawberry.enum_value("courtyard_head", description="院坝长")
    GRID_WORKER = strawberry.enum_value("grid_worker", description="网格员")
    MEDIATOR = strawberry.enum_value("mediator", description="调解员")


@strawberry.enum
class AreaOrderField(Enum):
    ID = "ID"
    CODE = "CODE"
    NAME = "NAME"


@strawberry.enum
class HouseholdOrderField(Enum):
    ID = "ID"
    CREATED_AT = "CREATED_AT"


@strawberry.enum
class ResidentOrderField(Enum):
    ID = "ID"
    NAME = "NAME"
    BIRTH_DATE = "BIRTH_DATE"
