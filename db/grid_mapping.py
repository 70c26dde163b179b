"""Mapping of the party-led grid: grid nodes, household visits, compound branches and
in-service party members (双报到), plus the grid's fields on Area and Household.

The Area and Household relations are added to the community entities from here, so the
grid's facts stay in one module (and db/community.py unchanged).
"""

from __future__ import annotations

from db.community import AREA, HOUSEHOLD
from db.mapping import Column, Entity, Filter, OrderKey, Relation, register, subtree

# A household has no building head when no grid_household row assigns it.
NO_BUILDING_HEAD = "NOT EXISTS (SELECT 1 FROM grid_household g WHERE g.household_id = {t}.id)"
# Visiting every household at least once a month: "this month" is the database's month.
NOT_VISITED_THIS_MONTH = (
    "NOT EXISTS (SELECT 1 FROM grid_visit v WHERE v.household_id = {t}.id "
    "AND v.visited_on >= date_trunc('month', current_date)::date)"
)

GRID_NODE = Entity(
    name="GridNode",
    table="grid_node",
    columns={
        "id": Column("{t}.id", "bigint"),
        "level": Column("{t}.level::text"),
        "name": Column("{t}.name"),
        "area_id": Column("{t}.area_id", "bigint"),
        "parent_id": Column("{t}.parent_id", "bigint"),
        "leader_id": Column("{t}.leader_id", "bigint"),
        "household_count": Column(
            "(SELECT count(*)::int FROM grid_household g WHERE g.node_id = {t}.id)", "int"
        ),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "updated_at": Column("{t}.updated_at", "timestamptz"),
    },
    relations={
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        "parent": Relation("GridNode", "one", "{t}.id = {p}.parent_id", via="parent_id"),
        "leader": Relation("Resident", "one", "{t}.id = {p}.leader_id", via="leader_id"),
        "children": Relation(
            "GridNode", "many", "{t}.parent_id = {p}.id", as_list=True, order="{t}.id"
        ),
        "households": Relation(
            "Household",
            "many",
            "{t}.id IN (SELECT g.household_id FROM grid_household g WHERE g.node_id = {p}.id)",
        ),
    },
    filters={
        "level": Filter("{t}.level = {v}::grid_level", "text"),
        "area_code": Filter(
            "{t}.area_path <@ (SELECT a.path FROM area a WHERE a.code = {v}::text)", "text"
        ),
        "without_leader": Filter("({t}.leader_id IS NULL) = {v}::boolean", "boolean"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "NAME": OrderKey("{t}.name", "text"),
    },
)

GRID_VISIT = Entity(
    name="GridVisit",
    table="grid_visit",
    columns={
        "id": Column("{t}.id", "bigint"),
        "household_id": Column("{t}.household_id", "bigint"),
        "worker_id": Column("{t}.worker_id", "bigint"),
        "visited_on": Column("{t}.visited_on", "date"),
        "notes": Column("{t}.notes"),
        "recorded_by": Column("{t}.recorded_by"),
        "created_at": Column("{t}.created_at", "timestamptz"),
    },
    relations={
        "household": Relation("Household", "one", "{t}.id = {p}.household_id", via="household_id"),
        "worker": Relation("Resident", "one", "{t}.id = {p}.worker_id", via="worker_id"),
    },
    filters={
        "visited_from": Filter("{t}.visited_on >= {v}::date", "date"),
        "visited_to": Filter("{t}.visited_on <= {v}::date", "date"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "VISITED_ON": OrderKey("{t}.visited_on", "date"),
    },
    default_order="VISITED_ON",
    default_descending=True,
)

# One row per compound (the view compound_branch, keyed by the compound's area id).
COMPOUND_BRANCH = Entity(
    name="CompoundBranch",
    table="compound_branch",
    columns={
        "id": Column("{t}.id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "party_members": Column("{t}.party_members", "int"),
        "derived_type": Column("{t}.derived_type::text"),
        "recorded_type": Column("{t}.recorded_type::text"),
        "branch_name": Column("{t}.branch_name"),
        "mismatch": Column("{t}.mismatch", "boolean"),
    },
    relations={
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
    },
    filters={
        "mismatch": Filter("{t}.mismatch = {v}::boolean", "boolean"),
        "derived_type": Filter("{t}.derived_type = {v}::branch_type", "text"),
        "recorded": Filter("({t}.recorded_type IS NOT NULL) = {v}::boolean", "boolean"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "PARTY_MEMBERS": OrderKey("{t}.party_members", "int"),
    },
)

PARTY_MEMBER_REPORT = Entity(
    name="PartyMemberReport",
    table="party_member_report",
    columns={
        "id": Column("{t}.id", "bigint"),
        "resident_id": Column("{t}.resident_id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "workplace_organisation": Column("{t}.workplace_org"),
        "reported_on": Column("{t}.reported_on", "date"),
        "created_at": Column("{t}.created_at", "timestamptz"),
    },
    relations={
        "resident": Relation("Resident", "one", "{t}.id = {p}.resident_id", via="resident_id"),
        "community": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
    },
    filters={
        "workplace_contains": Filter("{t}.workplace_org LIKE '%' || {v}::text || '%'", "text"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "REPORTED_ON": OrderKey("{t}.reported_on", "date"),
    },
)

register(GRID_NODE, GRID_VISIT, COMPOUND_BRANCH, PARTY_MEMBER_REPORT)

AREA.relations.update(
    {
        # grid nodes covering this area or part of it
        "grid": subtree("GridNode"),
        "households_without_building_head": Relation(
            "Household", "many", "{t}.area_path <@ {p}.path AND " + NO_BUILDING_HEAD
        ),
        "households_not_visited_this_month": Relation(
            "Household", "many", "{t}.area_path <@ {p}.path AND " + NOT_VISITED_THIS_MONTH
        ),
        # the compound's own branch (null for other levels)
        "party_branch": Relation("CompoundBranch", "one", "{t}.id = {p}.id"),
        "compound_branches": subtree("CompoundBranch"),
        "in_service_party_members": subtree("PartyMemberReport"),
    }
)
HOUSEHOLD.relations.update(
    {
        "building_head": Relation(
            "GridNode",
            "one",
            "{t}.id = (SELECT g.node_id FROM grid_household g WHERE g.household_id = {p}.id)",
        ),
        "visits": Relation("GridVisit", "many", "{t}.household_id = {p}.id"),
    }
)

# Area.gridCoverage etc. on the compiled read path, and the root fields
import db.compiled_grid  # noqa: E402, F401
