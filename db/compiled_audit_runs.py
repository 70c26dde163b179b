"""Compiled forms of the audit runs' root fields and of AuditRun.suites (see db/compiler.py)."""

from __future__ import annotations

from graphql import FieldNode, GraphQLField, GraphQLObjectType, get_named_type

from db.compiled_community import ROOT_FIELDS, _by_key, _root_connection
from db.compiler import SPECIAL_FIELDS, Compiler, NotCompilable, json_object, output_sql
from db.mapping import REGISTRY

# AuditCheck's fields over audit_check {k}; milliseconds as db/audit_runs.py computes them
_CHECK = {
    "rule": "{k}.rule",
    "severity": "{k}.severity::text",
    "description": "{k}.description",
    "status": "{k}.status::text",
    "failing": "{k}.failing",
    "error": "{k}.error",
    "milliseconds": "round({k}.seconds * 1000)::int",
}


def _plain(
    c: Compiler, item: GraphQLObjectType, nodes: list[FieldNode], sql: dict[str, str]
) -> list[tuple[str, str]]:
    parts = []
    for key, subnodes in c.collect(item, c.subselections(nodes)).items():
        name = subnodes[0].name.value
        if name == "__typename":
            parts.append((key, c.literal(item.name)))
        elif name in sql and not subnodes[0].arguments:
            parts.append((key, output_sql(item.fields[name].type, sql[name])))
        else:
            raise NotCompilable(f"{item.name}.{name}")
    return parts


def _suites(c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    """AuditRun.suites: the run's checks grouped by suite, suites and checks in run order
    (as resolvers/audit_runs.py groups them)."""
    if nodes[0].arguments:
        raise NotCompilable("AuditRun.suites with arguments")
    suite_type = get_named_type(field_def.type)
    assert isinstance(suite_type, GraphQLObjectType)
    s, k = c.alias(), c.alias()
    parts = []
    for key, subnodes in c.collect(suite_type, c.subselections(nodes)).items():
        name = subnodes[0].name.value
        if name == "__typename":
            parts.append((key, c.literal(suite_type.name)))
        elif name == "suite":
            parts.append((key, f"{s}.suite"))
        elif name == "version":
            parts.append((key, f"{s}.suite_version"))
        elif name == "checks":
            check_type = get_named_type(suite_type.fields["checks"].type)
            assert isinstance(check_type, GraphQLObjectType)
            fields = {n: sql.format(k=k) for n, sql in _CHECK.items()}
            obj = json_object(_plain(c, check_type, subnodes, fields))
            parts.append(
                (
                    key,
                    f"(SELECT coalesce(json_agg({obj} ORDER BY {k}.position), '[]'::json) "
                    f"FROM audit_check {k} WHERE {k}.run_id = {alias}.id "
                    f"AND {k}.suite = {s}.suite)",
                )
            )
        else:
            raise NotCompilable(f"{suite_type.name}.{name}")
    return (
        f"(SELECT coalesce(json_agg({json_object(parts)} ORDER BY {s}.first), '[]'::json) "
        f"FROM (SELECT suite, suite_version, min(position) AS first FROM audit_check "
        f"WHERE run_id = {alias}.id GROUP BY suite, suite_version) {s})"
    )


SPECIAL_FIELDS[("AuditRun", "suites")] = _suites
ROOT_FIELDS["auditRuns"] = _root_connection(REGISTRY["AuditRun"])
ROOT_FIELDS["auditRun"] = _by_key(REGISTRY["AuditRun"])
