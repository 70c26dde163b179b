"""Compiled ``_entities``: the rows a federation gateway asks for by key, in one statement.

A gateway joining another department's subgraph to ours sends representations
(``{"__typename": "Resident", "id": "..."}``, or an area by ``code``) and selects fields
on each type with inline fragments. Every entity type here is a mapped entity found by
its key, as each ``resolve_reference`` does (by global id; areas also by code); a row the
principal may not see, or that does not exist, is null. Anything unusual in a
representation (an unknown type, other fields, an id of another type, a malformed id)
goes to Strawberry's resolvers, which answer it as they always have.
"""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType, GraphQLUnionType, get_named_type

from db.compiler import ArgSite, BindState, Compiler, Fallback, NotCompilable
from db.mapping import REGISTRY

# Key fields a representation may carry, per type (the types' @key directives).
KEYS: dict[str, frozenset[str]] = {"Area": frozenset({"id", "code"})}
ID_ONLY = frozenset({"id"})


def _representations(state: BindState, site: ArgSite) -> list[tuple[str, int | None, str | None]]:
    """(type, key, code) per representation, in order; Fallback for anything unusual."""
    out: list[tuple[str, int | None, str | None]] = []
    for rep in state.args(site)["representations"] or []:
        if not isinstance(rep, dict):
            raise Fallback("a representation is not an object")
        type_name = rep.get("__typename")
        allowed = KEYS.get(type_name, ID_ONLY) if type_name in REGISTRY else None
        fields = set(rep) - {"__typename"}
        if allowed is None or not fields or not fields <= allowed:
            raise Fallback(f"representation of {type_name!r} with {sorted(fields)}")
        code = rep.get("code")
        if code is not None:
            if not isinstance(code, str):
                raise Fallback("an area code that is not a string")
            out.append((type_name, None, code))
            continue
        found_type, key = state.policy.node_id(rep.get("id"))
        if found_type != type_name:
            raise Fallback(f"a {found_type} id for a {type_name}")
        out.append((type_name, key, None))
    return out


def compile_entities(c: Compiler, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    union = get_named_type(field_def.type)
    assert isinstance(union, GraphQLUnionType)
    site = ArgSite(field_def, nodes[0])

    def column(i: int) -> Any:
        def bind(state: BindState) -> list[Any]:
            reps = state.once(site, "representations", lambda: _representations(state, site))
            return [r[i] for r in reps]

        return bind

    types, keys, codes = (
        c.param(column(0), "text[]"),
        c.param(column(1), "bigint[]"),
        c.param(column(2), "text[]"),
    )
    r = c.alias()
    branches = []
    for gtype in union.types:
        ent = REGISTRY.get(gtype.name)
        if ent is None or not isinstance(gtype, GraphQLObjectType):
            raise NotCompilable(f"{gtype.name} is not mapped")
        name = c.literal(gtype.name)
        if "code" in KEYS.get(gtype.name, ID_ONLY):
            t = c.alias()
            obj = c.object_json(gtype, ent, t, nodes)
            branches.append(
                f"WHEN {r}.typename = {name} AND {r}.code IS NOT NULL THEN "
                f"(SELECT {obj} FROM {ent.table} {t} WHERE {t}.code = {r}.code)"
            )
        t = c.alias()
        obj = c.object_json(gtype, ent, t, nodes)
        branches.append(
            f"WHEN {r}.typename = {name} THEN "
            f"(SELECT {obj} FROM {ent.table} {t} WHERE {t}.{ent.key} = {r}.key)"
        )
    return (
        f"(SELECT coalesce(json_agg(CASE {' '.join(branches)} END ORDER BY {r}.ord), '[]'::json)"
        f" FROM unnest({types}, {keys}, {codes}) WITH ORDINALITY AS {r}(typename, key, code, ord))"
    )
