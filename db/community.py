"""Mapping of the community graph: areas, households, residents."""

from __future__ import annotations

from db.mapping import Column, Entity, Filter, OrderKey, Relation, register, subtree

AREA = Entity(
    name="Area",
    table="area",
    columns={
        "id": Column("{t}.id", "bigint"),
        "code": Column("{t}.code"),
        "name": Column("{t}.name"),
        "level": Column("{t}.level::text"),
        "parent_id": Column("{t}.parent_id", "bigint"),
        "path": Column("{t}.path::text"),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "updated_at": Column("{t}.updated_at", "timestamptz"),
    },
    relations={
        "parent": Relation("Area", "one", "{t}.id = {p}.parent_id", via="parent_id"),
        "children": Relation("Area", "many", "{t}.parent_id = {p}.id"),
        # descendants, the area itself excluded
        "descendants": Relation("Area", "many", "{t}.path <@ {p}.path AND {t}.id <> {p}.id"),
        "households": subtree("Household"),
        "residents": subtree("Resident"),
        # a village's monthly reports, current versions only (db/reports_mapping.py)
        "reports": Relation(
            "MonthlyReport",
            "many",
            "{t}.area_id = {p}.id AND NOT EXISTS (SELECT 1 FROM monthly_report n "
            "WHERE n.area_id = {t}.area_id AND n.period = {t}.period AND n.version > {t}.version)",
        ),
        # petitions anywhere in the subtree (db/petitions_mapping.py)
        "petitions": subtree("Petition"),
    },
    filters={
        "level": Filter("{t}.level = {v}::area_level", "text"),
        "levels": Filter("{t}.level = ANY({v}::area_level[])", "text[]"),
        "under": Filter("{t}.path <@ (SELECT a.path FROM area a WHERE a.code = {v}::text)", "text"),
        "parent_code": Filter(
            "{t}.parent_id = (SELECT a.id FROM area a WHERE a.code = {v}::text)", "text"
        ),
        "name_contains": Filter("{t}.name LIKE '%' || {v}::text || '%'", "text"),
        "codes": Filter("{t}.code = ANY({v}::text[])", "text[]"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "CODE": OrderKey("{t}.code", "text"),
        "NAME": OrderKey("{t}.name", "text"),
    },
    default_order="CODE",
)

HOUSEHOLD = Entity(
    name="Household",
    table="household",
    columns={
        "id": Column("{t}.id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "unit": Column("{t}.unit"),
        "room": Column("{t}.room"),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "updated_at": Column("{t}.updated_at", "timestamptz"),
    },
    relations={
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        "members": Relation(
            "Resident",
            "many",
            "{t}.household_id = {p}.id",
            as_list=True,
            order="({t}.relation <> 'self'), {t}.birth_date, {t}.id",
        ),
        "head": Relation("Resident", "one", "{t}.household_id = {p}.id AND {t}.relation = 'self'"),
        "petitions": Relation("Petition", "many", "{t}.household_id = {p}.id"),
    },
    filters={
        "area_code": Filter(
            "{t}.area_path <@ (SELECT a.path FROM area a WHERE a.code = {v}::text)", "text"
        ),
        "has_care_tag": Filter(
            "EXISTS (SELECT 1 FROM resident r WHERE r.household_id = {t}.id"
            " AND r.care_tags && {v}::care_tag[])",
            "text[]",
        ),
        "room": Filter("{t}.room = {v}::text", "text"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "CREATED_AT": OrderKey("{t}.created_at", "timestamptz"),
    },
)

RESIDENT = Entity(
    name="Resident",
    table="resident",
    columns={
        "id": Column("{t}.id", "bigint"),
        "household_id": Column("{t}.household_id", "bigint"),
        "name": Column("{t}.name"),
        "gender": Column("{t}.gender::text"),
        "birth_date": Column("{t}.birth_date", "date"),
        # computed in the database so both read paths agree on "today"
        "age": Column("date_part('year', age(current_date, {t}.birth_date))::int", "int"),
        # masked in the database unless the transaction's role may see them (migration 0003)
        "id_number": Column("mask_id_number({t}.id_number)"),
        "phone": Column("mask_phone({t}.phone)"),
        "relation": Column("{t}.relation::text"),
        "registered_here": Column("{t}.registered_here", "boolean"),
        "lives_here": Column("{t}.lives_here", "boolean"),
        "care_tags": Column("{t}.care_tags::text[]", "text[]"),
        "is_party_member": Column("{t}.is_party_member", "boolean"),
        "roles": Column("{t}.roles::text[]", "text[]"),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "updated_at": Column("{t}.updated_at", "timestamptz"),
    },
    relations={
        "household": Relation("Household", "one", "{t}.id = {p}.household_id", via="household_id"),
        # petitions the resident submitted, and those they co-signed (db/petitions_mapping.py)
        "petitions": Relation("Petition", "many", "{t}.submitter_id = {p}.id"),
        "cosigned_petitions": Relation(
            "Petition",
            "many",
            "{t}.id IN (SELECT c.petition_id FROM petition_cosigner c"
            " WHERE c.resident_id = {p}.id)",
        ),
    },
    filters={
        "area_code": Filter(
            "{t}.area_path <@ (SELECT a.path FROM area a WHERE a.code = {v}::text)", "text"
        ),
        "care_tags_any": Filter("{t}.care_tags && {v}::care_tag[]", "text[]"),
        "care_tags_all": Filter("{t}.care_tags @> {v}::care_tag[]", "text[]"),
        "age_min": Filter(
            "{t}.birth_date <= current_date - make_interval(years => {v}::int)", "int"
        ),
        "age_max": Filter(
            "{t}.birth_date > current_date - make_interval(years => {v}::int + 1)", "int"
        ),
        "name_contains": Filter("{t}.name LIKE '%' || {v}::text || '%'", "text"),
        "is_party_member": Filter("{t}.is_party_member = {v}::boolean", "boolean"),
        "gender": Filter("{t}.gender = {v}::gender", "text"),
        "relation": Filter("{t}.relation = {v}::relation_to_head", "text"),
        "registered_here": Filter("{t}.registered_here = {v}::boolean", "boolean"),
        "lives_here": Filter("{t}.lives_here = {v}::boolean", "boolean"),
        "roles_any": Filter("{t}.roles && {v}::resident_role[]", "text[]"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "NAME": OrderKey("{t}.name", "text"),
        "BIRTH_DATE": OrderKey("{t}.birth_date", "date"),
    },
)

register(AREA, HOUSEHOLD, RESIDENT)
