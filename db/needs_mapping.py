"""Mapping of the needs, resources and projects lists (需求清单/资源清单/项目清单) and of
micro-projects (微项目), plus their fields on Area and Household."""

from __future__ import annotations

from db.community import AREA, HOUSEHOLD
from db.mapping import Column, Entity, Filter, OrderKey, Relation, register, subtree

_AREA_CODE = Filter("{t}.area_path <@ (SELECT a.path FROM area a WHERE a.code = {v}::text)", "text")

NEED = Entity(
    name="Need",
    table="need",
    columns={
        "id": Column("{t}.id", "bigint"),
        "household_id": Column("{t}.household_id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "category": Column("{t}.category::text"),
        "title": Column("{t}.title"),
        "description": Column("{t}.description"),
        "status": Column("{t}.status::text"),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "updated_at": Column("{t}.updated_at", "timestamptz"),
    },
    relations={
        "household": Relation("Household", "one", "{t}.id = {p}.household_id", via="household_id"),
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        "matches": Relation(
            "NeedMatch", "many", "{t}.need_id = {p}.id", as_list=True, order="{t}.id"
        ),
    },
    filters={
        "area_code": _AREA_CODE,
        "category": Filter("{t}.category = {v}::need_category", "text"),
        "categories": Filter("{t}.category = ANY({v}::need_category[])", "text[]"),
        "status": Filter("{t}.status = {v}::need_status", "text"),
        "statuses": Filter("{t}.status = ANY({v}::need_status[])", "text[]"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "CREATED_AT": OrderKey("{t}.created_at", "timestamptz"),
    },
)

RESOURCE = Entity(
    name="Resource",
    table="resource",
    columns={
        "id": Column("{t}.id", "bigint"),
        "provider_kind": Column("{t}.provider_kind::text"),
        "provider_resident_id": Column("{t}.provider_resident_id", "bigint"),
        "provider_name": Column("{t}.provider_name"),
        "area_id": Column("{t}.area_id", "bigint"),
        "category": Column("{t}.category::text"),
        "title": Column("{t}.title"),
        "description": Column("{t}.description"),
        "available": Column("{t}.available", "boolean"),
        "created_at": Column("{t}.created_at", "timestamptz"),
    },
    relations={
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        "provider_resident": Relation(
            "Resident", "one", "{t}.id = {p}.provider_resident_id", via="provider_resident_id"
        ),
        "matches": Relation(
            "NeedMatch", "many", "{t}.resource_id = {p}.id", as_list=True, order="{t}.id"
        ),
    },
    filters={
        "area_code": _AREA_CODE,
        "category": Filter("{t}.category = {v}::resource_category", "text"),
        "provider_kind": Filter("{t}.provider_kind = {v}::provider_kind", "text"),
        "available": Filter("{t}.available = {v}::boolean", "boolean"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "TITLE": OrderKey("{t}.title", "text"),
    },
)

NEED_MATCH = Entity(
    name="NeedMatch",
    table="need_match",
    columns={
        "id": Column("{t}.id", "bigint"),
        "need_id": Column("{t}.need_id", "bigint"),
        "resource_id": Column("{t}.resource_id", "bigint"),
        "status": Column("{t}.status::text"),
        "note": Column("{t}.note"),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "updated_at": Column("{t}.updated_at", "timestamptz"),
    },
    relations={
        "need": Relation("Need", "one", "{t}.id = {p}.need_id", via="need_id"),
        "resource": Relation("Resource", "one", "{t}.id = {p}.resource_id", via="resource_id"),
    },
    filters={
        "area_code": _AREA_CODE,
        "status": Filter("{t}.status = {v}::match_status", "text"),
    },
    orders={"ID": OrderKey("{t}.id", "bigint")},
)

PROJECT = Entity(
    name="Project",
    table="project",
    columns={
        "id": Column("{t}.id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "name": Column("{t}.name"),
        "description": Column("{t}.description"),
        "budget_fen": Column("{t}.budget_fen", "bigint"),
        "status": Column("{t}.status::text"),
        "need_count": Column(
            "(SELECT count(*)::int FROM project_need x WHERE x.project_id = {t}.id)", "int"
        ),
        "created_at": Column("{t}.created_at", "timestamptz"),
    },
    relations={
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        "needs": Relation(
            "Need",
            "many",
            "{t}.id IN (SELECT x.need_id FROM project_need x WHERE x.project_id = {p}.id)",
        ),
    },
    filters={
        "area_code": _AREA_CODE,
        "status": Filter("{t}.status = {v}::project_status", "text"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "NAME": OrderKey("{t}.name", "text"),
    },
)

MICRO_PROJECT = Entity(
    name="MicroProject",
    table="micro_project",
    columns={
        "id": Column("{t}.id", "bigint"),
        "title": Column("{t}.title"),
        "description": Column("{t}.description"),
        "sponsor_id": Column("{t}.sponsor_id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "budget_fen": Column("{t}.budget_fen", "bigint"),
        "status": Column("{t}.status::text"),
        "proposed_on": Column("{t}.proposed_on", "date"),
        "outcome": Column("{t}.outcome"),
        "completed_on": Column("{t}.completed_on", "date"),
        "participant_count": Column(
            "(SELECT count(*)::int FROM micro_project_participant x "
            "WHERE x.micro_project_id = {t}.id)",
            "int",
        ),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "updated_at": Column("{t}.updated_at", "timestamptz"),
    },
    relations={
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        "sponsor": Relation("Resident", "one", "{t}.id = {p}.sponsor_id", via="sponsor_id"),
        "participants": Relation(
            "Resident",
            "many",
            "{t}.id IN (SELECT x.resident_id FROM micro_project_participant x "
            "WHERE x.micro_project_id = {p}.id)",
        ),
    },
    filters={
        "area_code": _AREA_CODE,
        "status": Filter("{t}.status = {v}::micro_project_status", "text"),
        "proposed_from": Filter("{t}.proposed_on >= {v}::date", "date"),
        "proposed_to": Filter("{t}.proposed_on <= {v}::date", "date"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "PROPOSED_ON": OrderKey("{t}.proposed_on", "date"),
    },
    default_order="PROPOSED_ON",
    default_descending=True,
)

register(NEED, RESOURCE, NEED_MATCH, PROJECT, MICRO_PROJECT)

AREA.relations.update(
    {
        "needs": subtree("Need"),
        "resources": subtree("Resource"),
        "projects": subtree("Project"),
        "micro_projects": subtree("MicroProject"),
    }
)
HOUSEHOLD.relations.update({"needs": Relation("Need", "many", "{t}.household_id = {p}.id")})

import db.compiled_needs  # noqa: E402, F401
