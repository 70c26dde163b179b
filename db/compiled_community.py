"""Compiled forms of the community graph's root fields and aggregates (see db/compiler.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType, get_named_type

from db.audit import AUDIT_ENTRY
from db.community import AREA, HOUSEHOLD, RESIDENT
from db.community_stats import AGE_BANDS
from db.compiler import (
    SPECIAL_FIELDS,
    ArgSite,
    BindState,
    Compiler,
    Fallback,
    NotCompilable,
    and_all,
    json_object,
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


def _stats_sql(
    c: Compiler, field_def: GraphQLField, nodes: list[FieldNode], scope: str | None
) -> str:
    """One scan of the residents in scope, every figure a FILTER aggregate."""
    stats_type = get_named_type(field_def.type)
    site = ArgSite(field_def, nodes[0])
    r = c.alias()

    def filters(state: BindState) -> Any:
        return state.policy.filter_items(state.args(site).get("filter"))

    filter_clauses = c.filter_clauses(RESIDENT, r, site, filters)
    where = ([scope.format(r=r)] if scope else []) + filter_clauses
    age = f"date_part('year', age(current_date, {r}.birth_date))"
    categories: dict[str, tuple[str, list[tuple[str, str]]]] = {
        "byGender": (
            "gender",
            [(v, f"{r}.gender = '{v.lower()}'") for v in ("MALE", "FEMALE")],
        ),
        "byCareTag": (
            "tag",
            [
                (name, f"{r}.care_tags @> ARRAY['{value.value}']::care_tag[]")
                for name, value in c.schema.get_type("CareTag").values.items()  # type: ignore[union-attr]
            ],
        ),
        "byAgeBand": (
            "band",
            [
                (label, f"{age} >= {low}" + (f" AND {age} <= {high}" if high is not None else ""))
                for label, low, high in AGE_BANDS
            ],
        ),
    }
    parts = []
    for key, subnodes in c.collect(stats_type, c.subselections(nodes)).items():  # type: ignore[arg-type]
        name = subnodes[0].name.value
        if name == "__typename":
            parts.append((key, c.literal(stats_type.name)))
        elif name == "count":
            parts.append((key, "count(*)"))
        elif name == "households":
            parts.append((key, _households_sql(r, filtered=bool(filter_clauses))))
        elif name == "partyMembers":
            parts.append((key, f"count(*) FILTER (WHERE {r}.is_party_member)"))
        elif name in categories:
            label_field, cases = categories[name]
            item_type = get_named_type(stats_type.fields[name].type)  # type: ignore[union-attr]
            items = []
            for label, condition in cases:
                item = []
                for ikey, inodes in c.collect(item_type, c.subselections(subnodes)).items():  # type: ignore[arg-type]
                    iname = inodes[0].name.value
                    if iname == "__typename":
                        item.append((ikey, c.literal(item_type.name)))
                    elif iname == label_field:
                        item.append((ikey, c.literal(label)))
                    elif iname == "count":
                        item.append((ikey, f"count(*) FILTER (WHERE {condition})"))
                    else:
                        raise NotCompilable(f"{item_type.name}.{iname}")
                items.append(json_object(item))
            parts.append((key, "json_build_array(" + ", ".join(items) + ")"))
        else:
            raise NotCompilable(f"{stats_type.name}.{name}")
    # GROUP BY (): one row even when no aggregate is selected (only labels, say)
    return f"(SELECT {json_object(parts)} FROM resident {r} WHERE {and_all(where)} GROUP BY ())"


def _households_sql(r: str, *, filtered: bool) -> str:
    """Households among the residents counted. Unfiltered, each household in scope is
    counted by its head: migration 0001 keeps exactly one per household, and a household's
    members share its path and so its visibility. That spares sorting every resident for
    count(DISTINCT) (about a fifth of a village's dashboard figures)."""
    if filtered:
        return f"count(DISTINCT {r}.household_id)"
    return f"count(*) FILTER (WHERE {r}.relation = 'self')"


def _root_stats(c: Compiler, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    return _stats_sql(c, field_def, nodes, scope=None)


def _area_stats(c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    return _stats_sql(c, field_def, nodes, scope=f"{{r}}.area_path <@ {alias}.path")


ROOT_FIELDS: dict[str, RootField] = {
    "area": _area,
    "areas": _root_connection(AREA),
    "household": _by_key(HOUSEHOLD),
    "households": _root_connection(HOUSEHOLD),
    "resident": _by_key(RESIDENT),
    "residents": _root_connection(RESIDENT),
    "node": _node,
    "residentStats": _root_stats,
    "auditLog": _root_connection(AUDIT_ENTRY),
}


def _ancestors(c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    a = c.alias()
    obj = c.object_json(get_named_type(field_def.type), AREA, a, nodes)  # type: ignore[arg-type]
    return (
        f"(SELECT coalesce(json_agg({obj} ORDER BY nlevel({a}.path)), '[]'::json) "
        f"FROM area {a} WHERE {a}.path @> {alias}.path AND {a}.id <> {alias}.id)"
    )


SPECIAL_FIELDS[("Area", "residentStats")] = _area_stats
SPECIAL_FIELDS[("Area", "ancestors")] = _ancestors
