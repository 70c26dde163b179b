"""Mapping of the volunteers domain (tables and rules: migration 0007).

Also adds the volunteer relations of Area and Resident to their entities here, so the
community mapping (db/community.py) stays as it is.
"""

from __future__ import annotations

from db.community import AREA, RESIDENT
from db.mapping import Column, Entity, Filter, OrderKey, Relation, register, subtree

_UNDER = "{t}.area_path <@ (SELECT a.path FROM area a WHERE a.code = {v}::text)"

VOLUNTEER = Entity(
    name="Volunteer",
    table="volunteer",
    columns={
        "id": Column("{t}.id", "bigint"),
        "resident_id": Column("{t}.resident_id", "bigint"),
        "points_balance": Column("{t}.points_balance", "bigint"),
        "verified_minutes": Column("{t}.verified_minutes", "bigint"),
        # star rating, computed by the database's functions (migration 0007)
        "stars": Column("volunteer_stars({t}.verified_minutes)", "int"),
        "next_star_minutes": Column("volunteer_next_star_minutes({t}.verified_minutes)", "int"),
        "minutes_to_next_star": Column(
            "volunteer_next_star_minutes({t}.verified_minutes) - {t}.verified_minutes", "int"
        ),
        "star_progress_percent": Column("volunteer_star_progress({t}.verified_minutes)", "int"),
        "insured_until": Column("{t}.insured_until", "date"),
        "registered_at": Column("{t}.registered_at", "timestamptz"),
    },
    relations={
        "resident": Relation("Resident", "one", "{t}.id = {p}.resident_id", via="resident_id"),
        "memberships": Relation(
            "TeamMember",
            "many",
            "{t}.volunteer_id = {p}.id",
            as_list=True,
            order="{t}.joined_at, {t}.id",
        ),
        "service_records": Relation("ServiceRecord", "many", "{t}.volunteer_id = {p}.id"),
        "points_entries": Relation("PointsEntry", "many", "{t}.volunteer_id = {p}.id"),
    },
    filters={
        "area_code": Filter(_UNDER, "text"),
        "min_stars": Filter("volunteer_stars({t}.verified_minutes) >= {v}::int", "int"),
        "name_contains": Filter(
            "EXISTS (SELECT 1 FROM resident r WHERE r.id = {t}.resident_id"
            " AND r.name LIKE '%' || {v}::text || '%')",
            "text",
        ),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "VERIFIED_MINUTES": OrderKey("{t}.verified_minutes", "bigint"),
        "POINTS_BALANCE": OrderKey("{t}.points_balance", "bigint"),
        "REGISTERED_AT": OrderKey("{t}.registered_at", "timestamptz"),
    },
)

VOLUNTEER_TEAM = Entity(
    name="VolunteerTeam",
    table="volunteer_team",
    columns={
        "id": Column("{t}.id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "name": Column("{t}.name"),
        "kind": Column("{t}.kind::text"),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "member_count": Column(
            "(SELECT count(*) FROM team_member m WHERE m.team_id = {t}.id)::int", "int"
        ),
    },
    relations={
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        # leaders first, then by joining date
        "members": Relation(
            "TeamMember",
            "many",
            "{t}.team_id = {p}.id",
            as_list=True,
            order="({t}.role <> 'leader'), {t}.joined_at, {t}.id",
        ),
        "activities": Relation("Activity", "many", "{t}.team_id = {p}.id"),
    },
    filters={
        "area_code": Filter(_UNDER, "text"),
        "kind": Filter("{t}.kind = {v}::volunteer_team_kind", "text"),
        "name_contains": Filter("{t}.name LIKE '%' || {v}::text || '%'", "text"),
    },
    orders={"ID": OrderKey("{t}.id", "bigint"), "NAME": OrderKey("{t}.name", "text")},
)

TEAM_MEMBER = Entity(
    name="TeamMember",
    table="team_member",
    columns={
        "id": Column("{t}.id", "bigint"),
        "team_id": Column("{t}.team_id", "bigint"),
        "volunteer_id": Column("{t}.volunteer_id", "bigint"),
        "role": Column("{t}.role::text"),
        "joined_at": Column("{t}.joined_at", "timestamptz"),
    },
    relations={
        "team": Relation("VolunteerTeam", "one", "{t}.id = {p}.team_id", via="team_id"),
        "volunteer": Relation("Volunteer", "one", "{t}.id = {p}.volunteer_id", via="volunteer_id"),
    },
    orders={"ID": OrderKey("{t}.id", "bigint")},
)

ACTIVITY = Entity(
    name="Activity",
    table="activity",
    columns={
        "id": Column("{t}.id", "bigint"),
        "team_id": Column("{t}.team_id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "title": Column("{t}.title"),
        "kind": Column("{t}.kind::text"),
        "place": Column("{t}.place"),
        "starts_at": Column("{t}.starts_at", "timestamptz"),
        "ends_at": Column("{t}.ends_at", "timestamptz"),
        "window_minutes": Column(
            "(extract(epoch FROM {t}.ends_at - {t}.starts_at) / 60)::int", "int"
        ),
        "created_at": Column("{t}.created_at", "timestamptz"),
    },
    relations={
        "team": Relation("VolunteerTeam", "one", "{t}.id = {p}.team_id", via="team_id"),
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        "records": Relation("ServiceRecord", "many", "{t}.activity_id = {p}.id"),
    },
    filters={
        "area_code": Filter(_UNDER, "text"),
        "kind": Filter("{t}.kind = {v}::activity_kind", "text"),
        "starts_from": Filter("{t}.starts_at >= {v}::timestamptz", "timestamptz"),
        "starts_before": Filter("{t}.starts_at < {v}::timestamptz", "timestamptz"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "STARTS_AT": OrderKey("{t}.starts_at", "timestamptz"),
    },
    default_order="STARTS_AT",
    default_descending=True,
)

SERVICE_RECORD = Entity(
    name="ServiceRecord",
    table="service_record",
    columns={
        "id": Column("{t}.id", "bigint"),
        "activity_id": Column("{t}.activity_id", "bigint"),
        "volunteer_id": Column("{t}.volunteer_id", "bigint"),
        "verified_by": Column("{t}.verified_by", "bigint"),
        "status": Column("{t}.status::text"),
        "scheduled_minutes": Column("{t}.scheduled_minutes", "int"),
        "completed_minutes": Column("{t}.completed_minutes", "int"),
        "travel_minutes": Column("{t}.travel_minutes", "int"),
        "served_at": Column("{t}.served_at", "timestamptz"),
        "recorded_at": Column("{t}.recorded_at", "timestamptz"),
        "verified_at": Column("{t}.verified_at", "timestamptz"),
        "points_earned": Column(
            "(SELECT e.points FROM points_entry e WHERE e.service_record_id = {t}.id)", "bigint"
        ),
    },
    relations={
        "activity": Relation("Activity", "one", "{t}.id = {p}.activity_id", via="activity_id"),
        "volunteer": Relation("Volunteer", "one", "{t}.id = {p}.volunteer_id", via="volunteer_id"),
        "verifier": Relation("Resident", "one", "{t}.id = {p}.verified_by", via="verified_by"),
    },
    filters={
        "status": Filter("{t}.status = {v}::service_status", "text"),
        "served_from": Filter("{t}.served_at >= {v}::timestamptz", "timestamptz"),
        "served_before": Filter("{t}.served_at < {v}::timestamptz", "timestamptz"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "SERVED_AT": OrderKey("{t}.served_at", "timestamptz"),
    },
    default_order="SERVED_AT",
    default_descending=True,
)

POINTS_ENTRY = Entity(
    name="PointsEntry",
    table="points_entry",
    columns={
        "id": Column("{t}.id", "bigint"),
        "volunteer_id": Column("{t}.volunteer_id", "bigint"),
        "service_record_id": Column("{t}.service_record_id", "bigint"),
        "reward_id": Column("{t}.reward_id", "bigint"),
        "kind": Column("{t}.kind::text"),
        "points": Column("{t}.points", "bigint"),
        "balance_after": Column("{t}.balance_after", "bigint"),
        "quantity": Column("{t}.quantity", "int"),
        "reason": Column("{t}.reason"),
        "created_by": Column("{t}.created_by"),
        "created_at": Column("{t}.created_at", "timestamptz"),
    },
    relations={
        "volunteer": Relation("Volunteer", "one", "{t}.id = {p}.volunteer_id", via="volunteer_id"),
        "service_record": Relation(
            "ServiceRecord", "one", "{t}.id = {p}.service_record_id", via="service_record_id"
        ),
        "reward": Relation("Reward", "one", "{t}.id = {p}.reward_id", via="reward_id"),
    },
    filters={
        "kind": Filter("{t}.kind = {v}::points_entry_kind", "text"),
        "since": Filter("{t}.created_at >= {v}::timestamptz", "timestamptz"),
        "until": Filter("{t}.created_at < {v}::timestamptz", "timestamptz"),
    },
    orders={"ID": OrderKey("{t}.id", "bigint")},
    default_descending=True,  # newest first
)

REWARD = Entity(
    name="Reward",
    table="reward",
    columns={
        "id": Column("{t}.id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "name": Column("{t}.name"),
        "points_cost": Column("{t}.points_cost", "int"),
        "stock": Column("{t}.stock", "int"),
        "created_at": Column("{t}.created_at", "timestamptz"),
    },
    relations={"area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id")},
    filters={
        "area_code": Filter(_UNDER, "text"),
        "in_stock": Filter("({t}.stock > 0) = {v}::boolean", "boolean"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "NAME": OrderKey("{t}.name", "text"),
        "POINTS_COST": OrderKey("{t}.points_cost", "int"),
    },
)

register(VOLUNTEER, VOLUNTEER_TEAM, TEAM_MEMBER, ACTIVITY, SERVICE_RECORD, POINTS_ENTRY, REWARD)

# Fields of the community entities that lead into this domain.
RESIDENT.relations["volunteer"] = Relation("Volunteer", "one", "{t}.resident_id = {p}.id")
AREA.relations.update(
    {
        # volunteers registered in the area's subtree
        "volunteers": subtree("Volunteer"),
        "teams": subtree("VolunteerTeam"),
        "activities": subtree("Activity"),
        "rewards": subtree("Reward"),
    }
)

# leaderboards and monthly figures on the compiled read path
import db.compiled_volunteers  # noqa: E402, F401
