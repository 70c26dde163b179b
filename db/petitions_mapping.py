"""Mapping of petitions (居民诉求): the type-to-table facts both read paths use.

Residents' own relations (Resident.petitions, Household.petitions, Area.petitions) are
declared with the community entities in db/community.py and checked against the joins
here (``PETITIONS_OF``).
"""

from __future__ import annotations

from db.mapping import Column, Entity, Filter, OrderKey, Relation, register

# "Received on or after / on or before" a day of Beijing time.
_LOCAL_DAY = "(({v}::date){shift})::timestamp AT TIME ZONE 'Asia/Shanghai'"

PETITION_FILTERS = {
    "status": Filter("{t}.status = ANY({v}::petition_status[])", "text[]"),
    "triage": Filter("{t}.triage = ANY({v}::triage_class[])", "text[]"),
    "category": Filter(
        "{t}.category_id IN (SELECT c.id FROM petition_category c WHERE c.code = ANY({v}::text[]))",
        "text[]",
    ),
    "channel": Filter("{t}.channel = ANY({v}::petition_channel[])", "text[]"),
    "open": Filter("petition_is_open({t}.status) = {v}::boolean", "boolean"),
    "overdue": Filter("petition_overdue({t}.due_date, {t}.ended_at) = {v}::boolean", "boolean"),
    "received_from": Filter("{t}.received_at >= " + _LOCAL_DAY.replace("{shift}", ""), "date"),
    "received_to": Filter("{t}.received_at < " + _LOCAL_DAY.replace("{shift}", " + 1"), "date"),
    "area_code": Filter(
        "{t}.area_path <@ (SELECT a.path FROM area a WHERE a.code = {v}::text)", "text"
    ),
    "is_public": Filter("{t}.is_public = {v}::boolean", "boolean"),
    "assignee_department": Filter("{t}.assignee_department = {v}::text", "text"),
    "anonymous": Filter("({t}.submitter_id IS NULL) = {v}::boolean", "boolean"),
    "description_contains": Filter("{t}.description LIKE '%' || {v}::text || '%'", "text"),
}

PETITION = Entity(
    name="Petition",
    table="petition",
    columns={
        "id": Column("{t}.id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "category_id": Column("{t}.category_id", "bigint"),
        "submitter_id": Column("{t}.submitter_id", "bigint"),
        "household_id": Column("{t}.household_id", "bigint"),
        "duplicate_of_id": Column("{t}.duplicate_of", "bigint"),
        "case_id": Column("{t}.case_id", "bigint"),
        "channel": Column("{t}.channel::text"),
        "status": Column("{t}.status::text"),
        "is_open": Column("petition_is_open({t}.status)", "boolean"),
        "triage": Column("{t}.triage::text"),
        # why and by whom: internal to the offices, hidden from residents (migration 0005)
        "triage_reason": Column("petition_internal({t}.triage_reason)"),
        "triaged_by": Column("petition_internal({t}.triaged_by)"),
        "triaged_at": Column("{t}.triaged_at", "timestamptz"),
        "anonymous": Column("({t}.submitter_id IS NULL)", "boolean"),
        "description": Column("{t}.description"),
        "attachment_urls": Column("{t}.attachment_urls", "text[]"),
        "is_public": Column("{t}.is_public", "boolean"),
        "assignee_kind": Column("{t}.assignee_kind::text"),
        "assignee_department": Column("{t}.assignee_department"),
        "assignee_name": Column("{t}.assignee_name"),
        "assigned_at": Column("{t}.assigned_at", "timestamptz"),
        "due_date": Column("{t}.due_date", "date"),
        "overdue": Column("petition_overdue({t}.due_date, {t}.ended_at)", "boolean"),
        "referred_to": Column("{t}.referred_to"),
        "reject_reason": Column("{t}.reject_reason"),
        "satisfaction": Column("{t}.satisfaction::text"),
        "reopen_count": Column("{t}.reopened", "int"),
        "received_at": Column("{t}.received_at", "timestamptz"),
        "resolved_at": Column("{t}.resolved_at", "timestamptz"),
        "feedback_at": Column("{t}.feedback_at", "timestamptz"),
        "closed_at": Column("{t}.closed_at", "timestamptz"),
        "version": Column("{t}.version", "int"),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "updated_at": Column("{t}.updated_at", "timestamptz"),
    },
    relations={
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        "category": Relation(
            "PetitionCategory", "one", "{t}.id = {p}.category_id", via="category_id"
        ),
        # null when anonymous, or when the reader may not see the person (row-level security)
        "submitter": Relation("Resident", "one", "{t}.id = {p}.submitter_id", via="submitter_id"),
        "household": Relation("Household", "one", "{t}.id = {p}.household_id", via="household_id"),
        "cosigners": Relation(
            "Resident",
            "many",
            "{t}.id IN (SELECT c.resident_id FROM petition_cosigner c"
            " WHERE c.petition_id = {p}.id)",
            as_list=True,
            order="{t}.id",
        ),
        "events": Relation(
            "PetitionEvent",
            "many",
            "{t}.petition_id = {p}.id",
            as_list=True,
            order="{t}.at, {t}.id",
        ),
        "duplicate_of": Relation(
            "Petition", "one", "{t}.id = {p}.duplicate_of", via="duplicate_of_id"
        ),
        "duplicates": Relation(
            "Petition", "many", "{t}.duplicate_of = {p}.id", as_list=True, order="{t}.id"
        ),
        "case": Relation("PetitionCase", "one", "{t}.id = {p}.case_id", via="case_id"),
    },
    filters=PETITION_FILTERS,
    orders={
        "RECEIVED_AT": OrderKey("{t}.received_at", "timestamptz"),
        "DUE_DATE": OrderKey("{t}.due_date", "date"),
        "UPDATED_AT": OrderKey("{t}.updated_at", "timestamptz"),
        "ID": OrderKey("{t}.id", "bigint"),
    },
    default_order="RECEIVED_AT",
    default_descending=True,
)

PETITION_CATEGORY = Entity(
    name="PetitionCategory",
    table="petition_category",
    columns={
        "id": Column("{t}.id", "bigint"),
        "code": Column("{t}.code"),
        "name": Column("{t}.name"),
        "default_triage": Column("{t}.default_triage::text"),
        "sla_working_days": Column("{t}.sla_days", "int"),
        "default_department": Column("{t}.default_department"),
    },
    orders={"ID": OrderKey("{t}.id", "bigint"), "CODE": OrderKey("{t}.code", "text")},
    default_order="CODE",
)

PETITION_EVENT = Entity(
    name="PetitionEvent",
    table="petition_event",
    columns={
        "id": Column("{t}.id", "bigint"),
        "petition_id": Column("{t}.petition_id", "bigint"),
        "at": Column("{t}.at", "timestamptz"),
        "kind": Column("{t}.kind::text"),
        "from_status": Column("{t}.from_status::text"),
        "to_status": Column("{t}.to_status::text"),
        "note": Column("{t}.note"),
        "visibility": Column("{t}.visibility::text"),
        "actor": Column("{t}.actor"),
        "actor_role": Column("{t}.actor_role"),
    },
    relations={
        "petition": Relation("Petition", "one", "{t}.id = {p}.petition_id", via="petition_id"),
    },
    orders={"ID": OrderKey("{t}.id", "bigint")},
)

PETITION_CASE = Entity(
    name="PetitionCase",
    table="petition_case",
    columns={
        "id": Column("{t}.id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "title": Column("{t}.title"),
        "description": Column("{t}.description"),
        "created_by": Column("{t}.created_by"),
        "version": Column("{t}.version", "int"),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "updated_at": Column("{t}.updated_at", "timestamptz"),
    },
    relations={
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        "petitions": Relation("Petition", "many", "{t}.case_id = {p}.id"),
    },
    filters={
        "area_code": Filter(
            "{t}.area_path <@ (SELECT a.path FROM area a WHERE a.code = {v}::text)", "text"
        ),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "CREATED_AT": OrderKey("{t}.created_at", "timestamptz"),
    },
    default_order="CREATED_AT",
    default_descending=True,
)

register(PETITION, PETITION_CATEGORY, PETITION_EVENT, PETITION_CASE)

# The community entities' petition relations (declared in db/community.py).
PETITIONS_OF = {
    ("Area", "petitions"): "{t}.area_path <@ {p}.path",
    ("Household", "petitions"): "{t}.household_id = {p}.id",
    ("Resident", "petitions"): "{t}.submitter_id = {p}.id",
    ("Resident", "cosigned_petitions"): (
        "{t}.id IN (SELECT c.petition_id FROM petition_cosigner c WHERE c.resident_id = {p}.id)"
    ),
}

# Petition statistics on the compiled read path
import db.compiled_petitions  # noqa: E402, F401


def _check_community_relations() -> None:
    from db.community import AREA, HOUSEHOLD, RESIDENT

    entities = {"Area": AREA, "Household": HOUSEHOLD, "Resident": RESIDENT}
    for (parent, name), join in PETITIONS_OF.items():
        rel = entities[parent].relations[name]
        assert (rel.target, rel.kind, rel.join) == ("Petition", "many", join), (parent, name)


_check_community_relations()
