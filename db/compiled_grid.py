"""Compiled forms of the grid's root fields and of the area aggregates (db/grid.py)."""

from __future__ import annotations

from graphql import FieldNode, GraphQLField, get_named_type

from db.compiled_community import ROOT_FIELDS, RootField, _by_key, _root_connection
from db.compiler import SPECIAL_FIELDS, ArgSite, Compiler, NotCompilable, json_object
from db.grid import AGGREGATES, Aggregate
from db.mapping import REGISTRY


def _aggregate(agg: Aggregate):  # type: ignore[no-untyped-def]
    def compile_field(
        c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]
    ) -> str:
        stats_type = get_named_type(field_def.type)
        site = ArgSite(field_def, nodes[0])
        params = {
            name: c.param(lambda s, n=name: s.args(site).get(n), sql_type)
            for name, sql_type in agg.args.items()
        }
        values = {"a": alias, **params}
        parts = []
        for key, subnodes in c.collect(stats_type, c.subselections(nodes)).items():  # type: ignore[arg-type]
            name = subnodes[0].name.value
            if name == "__typename":
                parts.append((key, c.literal(stats_type.name)))
            elif name in agg.fields:
                parts.append((key, agg.fields[name].format(**values)))
            else:
                raise NotCompilable(f"{stats_type.name}.{name}")
        # GROUP BY (): one row even when only __typename is selected
        return f"(SELECT {json_object(parts)} {agg.source.format(**values)} GROUP BY ())"

    return compile_field


for _agg in AGGREGATES.values():
    SPECIAL_FIELDS[("Area", _agg.name)] = _aggregate(_agg)


def root_fields(names: dict[str, str]) -> dict[str, RootField]:
    """Root fields by entity: ``{"gridNode": "GridNode"}`` for a by-id lookup, a plural
    name for the entity's root connection (the value says which with a trailing ``*``)."""
    fields: dict[str, RootField] = {}
    for field_name, target in names.items():
        if target.endswith("*"):
            fields[field_name] = _root_connection(REGISTRY[target[:-1]])
        else:
            fields[field_name] = _by_key(REGISTRY[target])
    return fields


ROOT_FIELDS.update(
    root_fields(
        {
            "gridNode": "GridNode",
            "gridNodes": "GridNode*",
            "compoundBranches": "CompoundBranch*",
            "inServicePartyMembers": "PartyMemberReport*",
        }
    )
)
