"""Compiled form of the report fields that are neither columns nor relations."""

from __future__ import annotations

from graphql import FieldNode, GraphQLField, get_named_type

from db.compiler import SPECIAL_FIELDS, Compiler, NotCompilable, json_object, output_sql

# Finding's fields over report_finding {f}
_FINDING = {
    "row": "{f}.source_row",
    "areaCode": "{f}.area_code",
    "period": "{f}.period",
    "rule": "{f}.rule",
    "severity": "{f}.severity::text",
    "message": "{f}.message",
}


def _warnings(c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    """MonthlyReport.warnings: the W findings of the run and row that stored the version,
    in the order they were found (as resolvers/reports.py lists them)."""
    if nodes[0].arguments:
        raise NotCompilable("MonthlyReport.warnings with arguments")
    item = get_named_type(field_def.type)
    f = c.alias()
    parts = []
    for key, subnodes in c.collect(item, c.subselections(nodes)).items():  # type: ignore[arg-type]
        name = subnodes[0].name.value
        if name == "__typename":
            parts.append((key, c.literal(item.name)))
        elif name in _FINDING:
            sql = _FINDING[name].format(f=f)
            parts.append((key, output_sql(item.fields[name].type, sql)))  # type: ignore[union-attr]
        else:
            raise NotCompilable(f"Finding.{name}")
    return (
        f"(SELECT coalesce(json_agg({json_object(parts)} ORDER BY {f}.id), '[]'::json) "
        f"FROM report_finding {f} WHERE {f}.run_id = {alias}.run_id "
        f"AND {f}.source_row = {alias}.source_row AND {f}.severity = 'warning')"
    )


SPECIAL_FIELDS[("MonthlyReport", "warnings")] = _warnings
