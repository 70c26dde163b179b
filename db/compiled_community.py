"""Compiled forms of the community graph's root fields and aggregates (see db/compiler.py)."""

from __future__ import annotations

from collections.abc import Callable

from graphql import FieldNode, GraphQLField, GraphQLObjectType, get_named_type

from db.audit import AUDIT_ENTRY
from db.community import AREA, HOUSEHOLD, RESIDENT
from db.compiled_entities import compile_entities
from db.compiled_resident_stats import area_stats, root_stats
from db.compiler import (
    SPECIAL_FIELDS,
    ArgSite,
    BindState,
    Compiler,
    Fallback,
)
from db.mapping import REGISTRY, Entity

RootField = Callable[[Compiler, GraphQLField, list[FieldNode]], str]


def _node_key(site: ArgSite, type_name: str) -> Callable[[BindState], int]:
    def bind(state: BindState) -> int:
        found_type, key = state.policy.node_id(state.args(site)["id"])
        if found_type != type_name:
            raise Fallback(f"id is a {found_type}, not a {type_name}")
        return key

    return bind


def _by_key(ent: Entity) -> RootField:
    def compile_field(c: Compiler, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
        site = ArgSite(field_def, nodes[0])
        key = c.param(_node_key(site, ent.name), "bigint")
        t = c.alias()
        obj = c.object_json(get_named_type(field_def.type), ent, t, nodes)  # type: ignore[arg-type]
        return f"(SELECT {obj} FROM {ent.table} {t} WHERE {t}.{ent.key} = {key})"

    return compile_field


def _area(c: Compiler, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    site = ArgSite(field_def, nodes[0])
    args = c.state.args(site)
    if (args.get("code") is None) == (args.get("id") is None):
        raise Fallback("pass exactly one of code and id")
    t = c.alias()
    if args.get("code") is not None:
        where = f"{t}.code = {c.param(lambda s: s.args(site)['code'], 'text')}"
    else:
        where = f"{t}.id = {c.param(_node_key(site, 'Area'), 'bigint')}"
    obj = c.object_json(get_named_type(field_def.type), AREA, t, nodes)  # type: ignore[arg-type]
    return f"(SELECT {obj} FROM area {t} WHERE {where})"


def _root_connection(ent: Entity) -> RootField:
    def compile_field(c: Compiler, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
        conn_type = get_named_type(field_def.type)
        site = ArgSite(field_def, nodes[0], ent)
        return c.connection_sql(conn_type, ent, site, nodes, join=None)  # type: ignore[arg-type]

    return compile_field


def _node(c: Compiler, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    site = ArgSite(field_def, nodes[0])
    type_param = c.param(lambda s: s.policy.node_id(s.args(site)["id"])[0], "text")
    key_param = c.param(lambda s: s.policy.node_id(s.args(site)["id"])[1], "bigint")
    branches = []
    for name, ent in REGISTRY.items():
        gtype = c.schema.get_type(name)
        if not isinstance(gtype, GraphQLObjectType):
            continue
        if "Node" not in {i.name for i in gtype.interfaces}:
            continue
        t = c.alias()
        obj = c.object_json(gtype, ent, t, nodes)
        branches.append(
            f"WHEN {c.literal(name)} THEN "
            f"(SELECT {obj} FROM {ent.table} {t} WHERE {t}.{ent.key} = {key_param})"
        )
    return f"(CASE {type_param} {' '.join(branches)} END)"


ROOT_FIELDS: dict[str, RootField] = {
    "area": _area,
    "areas": _root_connection(AREA),
    "household": _by_key(HOUSEHOLD),
    "households": _root_connection(HOUSEHOLD),
    "resident": _by_key(RESIDENT),
    "residents": _root_connection(RESIDENT),
    "node": _node,
    "residentStats": root_stats,
    "auditLog": _root_connection(AUDIT_ENTRY),
    "_entities": compile_entities,
}


def _ancestors(c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    a = c.alias()
    obj = c.object_json(get_named_type(field_def.type), AREA, a, nodes)  # type: ignore[arg-type]
    return (
        f"(SELECT coalesce(json_agg({obj} ORDER BY nlevel({a}.path)), '[]'::json) "
        f"FROM area {a} WHERE {a}.path @> {alias}.path AND {a}.id <> {alias}.id)"
    )


SPECIAL_FIELDS[("Area", "residentStats")] = area_stats
SPECIAL_FIELDS[("Area", "ancestors")] = _ancestors
