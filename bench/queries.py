"""The frontend queries the benchmark sends, each written three ways with one meaning.

- ``gongzhi``: our schema (schema/schema.graphql).
- ``postgraphile``: PostGraphile v5's Amber schema over the same tables, plus the
  functions in bench/postgraphile/schema.sql for what it cannot express by itself
  (subtree reads on ltree, gongzhi's member order, the dashboard aggregate).
- ``sql``: the hand-written single statement that returns gongzhi's whole response body
  (JSON built in PostgreSQL): the database's own limit for that response.

Before any load the harness checks that all three give the same data. The canonical
form is gongzhi's response with global ids decoded to row ids; ``from_postgraphile``
maps PostGraphile's response onto it (its field names, ``nodes`` wrappers, bigint ids
as strings and lower-case enum values).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

JSON = Any

# care_tag's values in enum order (migration 0001); the dashboard lists every tag, zeros
# included. Written out because the hand-written SQL names each one; the equivalence
# check fails if this drifts from the database.
CARE_TAGS = (
    "elderly_alone",
    "left_behind_child",
    "disabled",
    "subsistence_allowance",
    "extreme_poverty",
    "poverty_alleviated",
)


def gid_sql(type_name: str, key_sql: str) -> str:
    """gongzhi's global id (base64 of ``Type:key``) built in SQL, as the response has it."""
    return f"encode(convert_to('{type_name}:' || {key_sql}, 'UTF8'), 'base64')"


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def _enum(value: str | None) -> str | None:
    return None if value is None else value.upper()


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    gongzhi: str
    postgraphile: str
    # The statement with {v} where the variable goes: $1 for asyncpg, a pgbench
    # expression for pgbench. No {v} means the query takes no variable.
    sql: str
    # Variable values, chosen from the seeded data (one request each, cycled through).
    pick: Callable[[asyncpg.Connection], Any]
    gongzhi_vars: Callable[[Any], dict[str, Any]]
    postgraphile_vars: Callable[[Any], dict[str, Any]]
    from_postgraphile: Callable[[JSON], JSON]
    # PostgreSQL type of the variable in the SQL statement.
    sql_type: str = "text"

    @property
    def takes_variable(self) -> bool:
        return "{v}" in self.sql

    def sql_for_asyncpg(self) -> str:
        return self.sql.replace("{v}", f"$1::{self.sql_type}")

    def sql_for_pgbench(self, values: Sequence[Any]) -> str:
        """One line for a pgbench script: the variable is picked from ``values`` by :i."""
        sql = " ".join(self.sql.split())
        if not self.takes_variable:
            return sql
        literal = ",".join(_sql_literal(v) for v in values)
        return sql.replace("{v}", f"(ARRAY[{literal}]::{self.sql_type}[])[:i]")


def _sql_literal(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def decode_ids(value: JSON) -> JSON:
    """gongzhi's data with every ``id`` (base64 ``Type:key``) turned into its row id."""
    if isinstance(value, list):
        return [decode_ids(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "id" and isinstance(item, str):
                item = _row_id(item)
            out[key] = decode_ids(item)
        return out
    return value


def _row_id(global_id: str) -> int | str:
    try:
        return int(base64.b64decode(global_id).decode().split(":", 1)[1])
    except (binascii.Error, UnicodeDecodeError, IndexError, ValueError):
        return global_id  # not a global id: compared as is, and reported if it differs


# --- one village's first 50 households with their members ----------------------------

_MEMBER_FIELDS = "name gender birthDate relation careTags"
# each member's open petitions (received, triaged, assigned or in progress), by id
_OPEN_STATUSES = ("received", "triaged", "assigned", "in_progress")
_PETITIONS = (
    "petitions(filter: {status: [RECEIVED, TRIAGED, ASSIGNED, IN_PROGRESS]},"
    " orderBy: {field: ID, direction: ASC}, first: 10) { nodes { id status dueDate } }"
)
_PGL_PETITIONS = "openPetitions(first: 10) { nodes { rowId status dueDate } }"

VILLAGE_HOUSEHOLDS = Query(
    name="village_households",
    description="one village's first 50 households (by id) with their members and each "
    "member's open petitions",
    gongzhi=f"""query VillageHouseholds($code: String!) {{
  area(code: $code) {{
    code name
    households(first: 50) {{
      nodes {{ id unit room members {{ id {_MEMBER_FIELDS} {_PETITIONS} }} }}
    }}
  }}
}}""",
    postgraphile=f"""query VillageHouseholds($code: String!) {{
  areaByCode(code: $code) {{
    code name
    householdsInSubtree(first: 50) {{
      nodes {{ rowId unit room members {{ nodes {{ rowId {_MEMBER_FIELDS} {_PGL_PETITIONS} }} }} }}
    }}
  }}
}}""",
    sql=f"""
SELECT json_build_object('data', json_build_object('area', (
  SELECT json_build_object('code', a.code, 'name', a.name, 'households', json_build_object(
    'nodes', coalesce((
      SELECT json_agg(json_build_object(
        'id', {gid_sql("Household", "h.id")}, 'unit', h.unit, 'room', h.room,
        'members', coalesce((
          SELECT json_agg(json_build_object(
            'id', {gid_sql("Resident", "r.id")}, 'name', r.name,
            'gender', upper(r.gender::text), 'birthDate', r.birth_date,
            'relation', upper(r.relation::text), 'careTags', upper(r.care_tags::text)::text[],
            'petitions', json_build_object('nodes', coalesce((
              SELECT json_agg(json_build_object(
                'id', {gid_sql("Petition", "p.id")}, 'status', upper(p.status::text),
                'dueDate', p.due_date) ORDER BY p.id)
              FROM (SELECT * FROM petition p WHERE p.submitter_id = r.id
                    AND p.status IN {_OPEN_STATUSES!r} ORDER BY p.id LIMIT 10) p), '[]'::json)))
            ORDER BY r.relation <> 'self', r.birth_date, r.id)
          FROM resident r WHERE r.household_id = h.id), '[]'::json)) ORDER BY h.id)
      FROM (SELECT * FROM household h WHERE h.area_path <@ a.path ORDER BY h.id LIMIT 50) h
    ), '[]'::json)))
  FROM area a WHERE a.code = {{v}})))
""",
    # Villages with at least 50 households, so every request returns a full page.
    pick=lambda conn: conn.fetch(
        """SELECT a.code FROM area a WHERE a.level = 'village'
           AND (SELECT count(*) FROM household h WHERE h.area_path <@ a.path) >= 50
           ORDER BY a.code LIMIT 20"""
    ),
    gongzhi_vars=lambda code: {"code": code},
    postgraphile_vars=lambda code: {"code": code},
    from_postgraphile=lambda d: {
        "area": None
        if d["areaByCode"] is None
        else {
            "code": d["areaByCode"]["code"],
            "name": d["areaByCode"]["name"],
            "households": {
                "nodes": [
                    {
                        "id": int(h["rowId"]),
                        "unit": h["unit"],
                        "room": h["room"],
                        "members": [_pgl_member(m) for m in h["members"]["nodes"]],
                    }
                    for h in d["areaByCode"]["householdsInSubtree"]["nodes"]
                ]
            },
        }
    },
)


def _pgl_member(m: JSON) -> JSON:
    member = {
        "id": int(m["rowId"]),
        "name": m["name"],
        "gender": _enum(m["gender"]),
        "birthDate": m["birthDate"],
        "relation": _enum(m["relation"]),
        "careTags": [_enum(t) for t in m["careTags"]],
    }
    if "openPetitions" in m:
        member["petitions"] = {
            "nodes": [
                {"id": int(p["rowId"]), "status": _enum(p["status"]), "dueDate": p["dueDate"]}
                for p in m["openPetitions"]["nodes"]
            ]
        }
    return member


# --- 100 residents with their household and its area ---------------------------------

RESIDENTS_PAGE = Query(
    name="residents_page",
    description="first 100 residents (by id), each with household and area",
    gongzhi="""query ResidentsPage {
  residents(first: 100) {
    nodes { id name gender birthDate household { id unit room area { code name } } }
  }
}""",
    postgraphile="""query ResidentsPage {
  allResidents(first: 100, orderBy: PRIMARY_KEY_ASC) {
    nodes {
      rowId name gender birthDate
      householdByHouseholdId { rowId unit room areaByAreaId { code name } }
    }
  }
}""",
    sql=f"""
SELECT json_build_object('data', json_build_object('residents', json_build_object(
  'nodes', coalesce((
    SELECT json_agg(json_build_object(
      'id', {gid_sql("Resident", "r.id")}, 'name', r.name, 'gender', upper(r.gender::text),
      'birthDate', r.birth_date,
      'household', json_build_object(
        'id', {gid_sql("Household", "h.id")}, 'unit', h.unit, 'room', h.room,
        'area', json_build_object('code', a.code, 'name', a.name))) ORDER BY r.id)
    FROM (SELECT * FROM resident ORDER BY id LIMIT 100) r
    JOIN household h ON h.id = r.household_id JOIN area a ON a.id = h.area_id
  ), '[]'::json))))
""",
    pick=lambda conn: _no_variable(),
    gongzhi_vars=lambda _: {},
    postgraphile_vars=lambda _: {},
    from_postgraphile=lambda d: {
        "residents": {
            "nodes": [
                {
                    "id": int(r["rowId"]),
                    "name": r["name"],
                    "gender": _enum(r["gender"]),
                    "birthDate": r["birthDate"],
                    "household": _pgl_household(r["householdByHouseholdId"], unit=True),
                }
                for r in d["allResidents"]["nodes"]
            ]
        }
    },
)


async def _no_variable() -> list[tuple[None]]:
    return [(None,)]


def _pgl_household(h: JSON, *, unit: bool) -> JSON:
    out = {"id": int(h["rowId"])}
    if unit:
        out["unit"] = h["unit"]
    out["room"] = h["room"]
    out["area"] = {"code": h["areaByAreaId"]["code"], "name": h["areaByAreaId"]["name"]}
    return out


# --- one resident by id ---------------------------------------------------------------

_RESIDENT_FIELDS = "name gender birthDate relation careTags isPartyMember"

RESIDENT_BY_ID = Query(
    name="resident_by_id",
    description="one resident by id, with household and area",
    gongzhi=f"""query ResidentById($id: ID!) {{
  resident(id: $id) {{ id {_RESIDENT_FIELDS} household {{ id room area {{ code name }} }} }}
}}""",
    postgraphile=f"""query ResidentById($id: BigInt!) {{
  residentByRowId(rowId: $id) {{
    rowId {_RESIDENT_FIELDS}
    householdByHouseholdId {{ rowId room areaByAreaId {{ code name }} }}
  }}
}}""",
    sql=f"""
SELECT json_build_object('data', json_build_object('resident', (
  SELECT json_build_object(
    'id', {gid_sql("Resident", "r.id")}, 'name', r.name, 'gender', upper(r.gender::text),
    'birthDate', r.birth_date, 'relation', upper(r.relation::text),
    'careTags', upper(r.care_tags::text)::text[], 'isPartyMember', r.is_party_member,
    'household', json_build_object(
      'id', {gid_sql("Household", "h.id")}, 'room', h.room,
      'area', json_build_object('code', a.code, 'name', a.name)))
  FROM resident r JOIN household h ON h.id = r.household_id JOIN area a ON a.id = h.area_id
  WHERE r.id = {{v}})))
""",
    sql_type="bigint",
    # 200 residents spread evenly over the id range, so lookups do not hit one row.
    pick=lambda conn: conn.fetch(
        """SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n,
                                  count(*) OVER () AS total FROM resident) s
           WHERE n % greatest(total / 200, 1) = 0 ORDER BY id LIMIT 200"""
    ),
    gongzhi_vars=lambda rid: {"id": gid("Resident", rid)},
    postgraphile_vars=lambda rid: {"id": str(rid)},
    from_postgraphile=lambda d: {
        "resident": None
        if d["residentByRowId"] is None
        else {
            "id": int(d["residentByRowId"]["rowId"]),
            "name": d["residentByRowId"]["name"],
            "gender": _enum(d["residentByRowId"]["gender"]),
            "birthDate": d["residentByRowId"]["birthDate"],
            "relation": _enum(d["residentByRowId"]["relation"]),
            "careTags": [_enum(t) for t in d["residentByRowId"]["careTags"]],
            "isPartyMember": d["residentByRowId"]["isPartyMember"],
            "household": _pgl_household(d["residentByRowId"]["householdByHouseholdId"], unit=False),
        }
    },
)


# --- dashboard: residents and care tags for each child area of a town -------------------

# Summed from resident_tally (migration 0012), the counts gongzhi's writes keep per path:
# the statement one would write by hand against gongzhi's schema.
_TAG_COUNTS_SQL = ", ".join(
    f"json_build_object('tag', '{t.upper()}', 'count', coalesce(sum(x.care_tag_{t}), 0))"
    for t in CARE_TAGS
)

TOWN_DASHBOARD = Query(
    name="town_dashboard",
    description="for each child area of a town: residents, households, count by care tag",
    gongzhi="""query TownDashboard($code: String!) {
  area(code: $code) {
    code name
    children(first: 100) {
      nodes { code name residentStats { count households byCareTag { tag count } } }
    }
  }
}""",
    postgraphile="""query TownDashboard($code: String!) {
  areaByCode(code: $code) {
    code name
    areasByParentId(first: 100, orderBy: CODE_ASC) {
      nodes {
        code name
        residentStats { count households }
        careTagCounts { nodes { tag count } }
      }
    }
  }
}""",
    sql=f"""
SELECT json_build_object('data', json_build_object('area', (
  SELECT json_build_object('code', t.code, 'name', t.name, 'children', json_build_object(
    'nodes', coalesce((
      SELECT json_agg(json_build_object('code', c.code, 'name', c.name,
        'residentStats', s.stats) ORDER BY c.code)
      FROM (SELECT * FROM area c WHERE c.parent_id = t.id ORDER BY c.code LIMIT 100) c
      CROSS JOIN LATERAL (
        SELECT json_build_object(
          'count', coalesce(sum(x.residents), 0),
          'households', coalesce(sum(x.households), 0),
          'byCareTag', json_build_array({_TAG_COUNTS_SQL})) AS stats
        FROM resident_tally x WHERE x.area_path <@ c.path) s
    ), '[]'::json)))
  FROM area t WHERE t.code = {{v}})))
""",
    pick=lambda conn: conn.fetch(
        """SELECT a.code FROM area a WHERE a.level = 'town'
           AND EXISTS (SELECT 1 FROM area c WHERE c.parent_id = a.id)
           ORDER BY a.code LIMIT 20"""
    ),
    gongzhi_vars=lambda code: {"code": code},
    postgraphile_vars=lambda code: {"code": code},
    from_postgraphile=lambda d: {
        "area": None
        if d["areaByCode"] is None
        else {
            "code": d["areaByCode"]["code"],
            "name": d["areaByCode"]["name"],
            "children": {
                "nodes": [
                    {
                        "code": c["code"],
                        "name": c["name"],
                        "residentStats": {
                            "count": c["residentStats"]["count"],
                            "households": c["residentStats"]["households"],
                            "byCareTag": [
                                {"tag": _enum(x["tag"]), "count": x["count"]}
                                for x in c["careTagCounts"]["nodes"]
                            ],
                        },
                    }
                    for c in d["areaByCode"]["areasByParentId"]["nodes"]
                ]
            },
        }
    },
)

QUERIES: dict[str, Query] = {
    q.name: q for q in (VILLAGE_HOUSEHOLDS, RESIDENTS_PAGE, RESIDENT_BY_ID, TOWN_DASHBOARD)
}


async def pick_values(conn: asyncpg.Connection, query: Query) -> list[Any]:
    rows = await query.pick(conn)
    return [row[0] for row in rows]
