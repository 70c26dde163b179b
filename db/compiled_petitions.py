"""Compiled forms of the petition root fields and aggregates (see db/compiler.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graphql import FieldNode, GraphQLEnumType, GraphQLField, GraphQLObjectType, get_named_type

from db.compiled_community import ROOT_FIELDS, _by_key, _root_connection
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
from db.petitions_mapping import PETITION, PETITION_CASE, PETITION_CATEGORY
from db.petitions_stats import (
    MAX_MONTHS,
    MONTH_RATES,
    STATS_RATES,
    month_range,
    month_rows_sql,
    months_sql,
    stats_figures,
)

# GraphQL field -> figure column, for PetitionStats and PetitionMonth
_STATS_FIELDS = {"count": "count", "open": "open", "overdue": "overdue"}
_MONTH_FIELDS = {
    "received": "received",
    "resolved": "resolved",
    "openStart": "open_start",
    "openEnd": "open_end",
    "feedbackReceived": "feedback_received",
    "feedbackSatisfied": "feedback_satisfied",
    "overdue": "overdue",
}
_RATES = {"completionRate": "completion_rate", "satisfactionRate": "satisfaction_rate"}
# list fields of counts by a category: GraphQL field -> (label field, column prefix)
_BREAKDOWNS = {
    "byStatus": ("status", "status"),
    "byTriage": ("triage", "triage"),
    "byChannel": ("channel", "channel"),
    "bySatisfaction": ("satisfaction", "satisfaction"),
}


def _breakdown(
    c: Compiler, list_type: Any, nodes: list[FieldNode], label_field: str, prefix: str, f: str
) -> str:
    item_type: GraphQLObjectType = get_named_type(list_type)  # type: ignore[assignment]
    enum: GraphQLEnumType = get_named_type(item_type.fields[label_field].type)  # type: ignore[assignment]
    items = []
    for name, value in enum.values.items():
        parts = []
        for key, inodes in c.collect(item_type, c.subselections(nodes)).items():
            iname = inodes[0].name.value
            if iname == "__typename":
                parts.append((key, c.literal(item_type.name)))
            elif iname == label_field:
                parts.append((key, c.literal(name)))
            elif iname == "count":
                parts.append((key, f"{f}.{prefix}_{value.value}"))
            else:
                raise NotCompilable(f"{item_type.name}.{iname}")
        items.append(json_object(parts))
    return "json_build_array(" + ", ".join(items) + ")"


def _figures_object(
    c: Compiler,
    obj_type: GraphQLObjectType,
    nodes: list[FieldNode],
    f: str,
    scalars: dict[str, str],
    rates: dict[str, str],
    extra: dict[str, str] | None = None,
) -> str:
    parts = []
    for key, subnodes in c.collect(obj_type, c.subselections(nodes)).items():
        name = subnodes[0].name.value
        if name == "__typename":
            parts.append((key, c.literal(obj_type.name)))
        elif extra and name in extra:
            parts.append((key, extra[name]))
        elif name in scalars:
            parts.append((key, f"{f}.{scalars[name]}"))
        elif name in _RATES:
            parts.append((key, rates[_RATES[name]].format(f=f)))
        elif name in _BREAKDOWNS:
            label, prefix = _BREAKDOWNS[name]
            field_type = obj_type.fields[name].type
            parts.append((key, _breakdown(c, field_type, subnodes, label, prefix, f)))
        else:
            raise NotCompilable(f"{obj_type.name}.{name}")
    return json_object(parts)


def _stats_sql(
    c: Compiler, field_def: GraphQLField, nodes: list[FieldNode], scope: str | None
) -> str:
    stats_type: GraphQLObjectType = get_named_type(field_def.type)  # type: ignore[assignment]
    site = ArgSite(field_def, nodes[0])
    p, f = c.alias(), c.alias()

    def filters(state: BindState) -> Any:
        return state.policy.filter_items(state.args(site).get("filter"))

    where = ([scope.format(p=p)] if scope else []) + c.filter_clauses(PETITION, p, site, filters)
    cols = ", ".join(f"{sql} AS {name}" for name, sql in stats_figures(p).items())
    obj = _figures_object(c, stats_type, nodes, f, _STATS_FIELDS, STATS_RATES)
    return (
        f"(SELECT {obj} FROM (SELECT {cols} FROM petition {p} "
        f"WHERE {and_all(where)} GROUP BY ()) {f})"
    )


def _root_stats(c: Compiler, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    return _stats_sql(c, field_def, nodes, scope=None)


def _area_stats(c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    return _stats_sql(c, field_def, nodes, scope=f"{{p}}.area_path <@ {alias}.path")


def check_months(first: Any, last: Any) -> tuple[dt.date, dt.date]:
    """The month range of petitionMonths; ValueError says what is wrong (both paths)."""
    if not isinstance(first, dt.date) or not isinstance(last, dt.date):
        raise ValueError("from and to are months written YYYY-MM")
    if last < first:
        raise ValueError(f"to ({last:%Y-%m}) is before from ({first:%Y-%m})")
    if len(month_range(first, last)) > MAX_MONTHS:
        raise ValueError(f"at most {MAX_MONTHS} months at once")
    return first, last


def _area_months(c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    site = ArgSite(field_def, nodes[0])
    month_type: GraphQLObjectType = get_named_type(field_def.type)  # type: ignore[assignment]

    def bound(i: int) -> Any:
        def bind(state: BindState) -> dt.date:
            args = state.args(site)
            try:
                return check_months(args.get("from"), args.get("to"))[i]
            except ValueError as exc:
                raise Fallback(str(exc)) from None

        return bind

    first = c.param(bound(0), "date")
    last = c.param(bound(1), "date")
    f, r = c.alias(), c.alias()
    obj = _figures_object(
        c,
        month_type,
        nodes,
        f,
        _MONTH_FIELDS,
        MONTH_RATES,
        extra={"month": f"to_char({f}.m, 'YYYY-MM')"},
    )
    keys = f"SELECT {alias}.id AS k"
    return (
        f"(WITH {r} AS MATERIALIZED ({month_rows_sql(f'{alias}.path', f'{alias}.id')}) "
        f"SELECT coalesce(json_agg({obj} ORDER BY {f}.m), '[]'::json) "
        f"FROM ({months_sql(r, keys, first, last)}) {f})"
    )


def _categories(c: Compiler, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    if nodes[0].arguments:
        raise NotCompilable("petitionCategories with arguments")
    t = c.alias()
    obj = c.object_json(get_named_type(field_def.type), PETITION_CATEGORY, t, nodes)  # type: ignore[arg-type]
    return (
        f"(SELECT coalesce(json_agg({obj} ORDER BY {t}.code), '[]'::json) "
        f"FROM petition_category {t})"
    )


ROOT_FIELDS.update(
    {
        "petition": _by_key(PETITION),
        "petitions": _root_connection(PETITION),
        "petitionCase": _by_key(PETITION_CASE),
        "petitionCases": _root_connection(PETITION_CASE),
        "petitionCategories": _categories,
        "petitionStats": _root_stats,
    }
)
SPECIAL_FIELDS[("Area", "petitionStats")] = _area_stats
SPECIAL_FIELDS[("Area", "petitionMonths")] = _area_months
