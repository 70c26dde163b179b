"""Compiled forms of the collective-enterprise root fields and aggregates (db/compiler.py)."""

from __future__ import annotations

from graphql import FieldNode, GraphQLField, get_named_type

from db.compiled_community import ROOT_FIELDS, _by_key, _root_connection
from db.compiler import SPECIAL_FIELDS, ArgSite, Compiler, NotCompilable, json_object
from db.enterprises import FINANCE_FIELDS, finance_rows_sql
from db.mapping import REGISTRY


def _area_finances(c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    """Area.enterpriseFinances: the same rows as the resolver path (db/enterprises.py)."""
    if len(nodes) > 1 and any(n.arguments != nodes[0].arguments for n in nodes[1:]):
        raise NotCompilable("merged enterpriseFinances with different arguments")
    site = ArgSite(field_def, nodes[0])
    year_from = c.param(lambda s: s.args(site).get("yearFrom"), "int")
    year_to = c.param(lambda s: s.args(site).get("yearTo"), "int")
    item = get_named_type(field_def.type)
    f = c.alias()
    parts = []
    for key, subnodes in c.collect(item, c.subselections(nodes)).items():  # type: ignore[arg-type]
        name = subnodes[0].name.value
        if name == "__typename":
            parts.append((key, c.literal(item.name)))
        elif name in FINANCE_FIELDS:
            parts.append((key, FINANCE_FIELDS[name].format(f=f)))
        else:
            raise NotCompilable(f"{item.name}.{name}")
    rows = finance_rows_sql(f"{alias}.path", year_from, year_to)
    return (
        f"(SELECT coalesce(json_agg({json_object(parts)} ORDER BY {f}.year), '[]'::json) "
        f"FROM ({rows}) {f})"
    )


SPECIAL_FIELDS[("Area", "enterpriseFinances")] = _area_finances
ROOT_FIELDS["collectiveEnterprise"] = _by_key(REGISTRY["CollectiveEnterprise"])
ROOT_FIELDS["collectiveEnterprises"] = _root_connection(REGISTRY["CollectiveEnterprise"])
