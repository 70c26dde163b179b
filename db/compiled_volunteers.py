"""Compiled forms of the volunteers domain's root lists and aggregates (see db/compiler.py).

The leaderboard and the monthly figures embed the very SQL the resolver path runs
(db/volunteers.py), with the area's path as the scope, so both paths count alike.
"""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLField, get_named_type

from db import volunteers as figures
from db.compiled_community import ROOT_FIELDS, _root_connection
from db.compiler import SPECIAL_FIELDS, ArgSite, BindState, Compiler, Fallback, NotCompilable
from db.compiler import json_object as _json_object
from db.volunteers_mapping import ACTIVITY, REWARD, VOLUNTEER, VOLUNTEER_TEAM


def _arg(site: ArgSite, name: str, check: Any) -> Any:
    """A binder of one argument, checked as the resolver path checks it."""

    def bind(state: BindState) -> Any:
        args = state.args(site)
        try:
            check(args)
        except figures.PeriodError as exc:
            raise Fallback(str(exc)) from None
        return args.get(name)

    return bind


def _days(args: dict[str, Any]) -> None:
    figures.check_days(args.get("since"), args.get("until"), args["first"])


def _month_bounds(state: BindState, site: ArgSite) -> tuple[Any, Any]:
    args = state.args(site)
    since, until = figures.month_range(args.get("fromMonth"), args.get("toMonth"))
    try:
        figures.check_months(since, until)
    except figures.PeriodError as exc:
        raise Fallback(str(exc)) from None
    return since, until


def _leaderboard(c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    site = ArgSite(field_def, nodes[0])
    inner = figures.LEADERBOARD.format(
        path=f"{alias}.path",
        since=c.param(_arg(site, "since", _days), "date"),
        until=c.param(_arg(site, "until", _days), "date"),
        first=c.param(_arg(site, "first", _days), "int"),
    )
    item = get_named_type(field_def.type)
    q = c.alias()
    parts = []
    for key, subnodes in c.collect(item, c.subselections(nodes)).items():  # type: ignore[arg-type]
        name = subnodes[0].name.value
        if name == "__typename":
            parts.append((key, c.literal(item.name)))
        elif name == "rank":
            parts.append((key, f"{q}.rank"))
        elif name == "verifiedMinutes":
            parts.append((key, f"{q}.minutes"))
        elif name == "volunteer":
            v = c.alias()
            vtype = get_named_type(item.fields[name].type)  # type: ignore[union-attr]
            obj = c.object_json(vtype, VOLUNTEER, v, subnodes)  # type: ignore[arg-type]
            parts.append(
                (key, f"(SELECT {obj} FROM volunteer {v} WHERE {v}.id = {q}.volunteer_id)")
            )
        else:
            raise NotCompilable(f"{item.name}.{name}")
    return (
        f"(SELECT coalesce(json_agg({_json_object(parts)} ORDER BY {q}.minutes DESC, "
        f"{q}.volunteer_id), '[]'::json) FROM ({inner}) {q})"
    )


_MONTH_FIELDS = {
    "month": "to_char({q}.month, 'YYYY-MM')",
    "activeVolunteers": "{q}.active_volunteers",
    "verifiedMinutes": "{q}.verified_minutes",
    "activities": "{q}.activities",
}


def _month_figures(c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    site = ArgSite(field_def, nodes[0])
    inner = figures.MONTHS.format(
        path=f"{alias}.path",
        since=c.param(lambda s: _month_bounds(s, site)[0], "date"),
        until=c.param(lambda s: _month_bounds(s, site)[1], "date"),
    )
    item = get_named_type(field_def.type)
    q = c.alias()
    parts = []
    for key, subnodes in c.collect(item, c.subselections(nodes)).items():  # type: ignore[arg-type]
        name = subnodes[0].name.value
        if name == "__typename":
            parts.append((key, c.literal(item.name)))
        elif name in _MONTH_FIELDS:
            parts.append((key, _MONTH_FIELDS[name].format(q=q)))
        else:
            raise NotCompilable(f"{item.name}.{name}")
    return (
        f"(SELECT coalesce(json_agg({_json_object(parts)} ORDER BY {q}.month), '[]'::json) "
        f"FROM ({inner}) {q})"
    )


SPECIAL_FIELDS[("Area", "volunteerLeaderboard")] = _leaderboard
SPECIAL_FIELDS[("Area", "volunteerMonths")] = _month_figures

ROOT_FIELDS.update(
    {
        "volunteers": _root_connection(VOLUNTEER),
        "volunteerTeams": _root_connection(VOLUNTEER_TEAM),
        "activities": _root_connection(ACTIVITY),
        "rewards": _root_connection(REWARD),
    }
)
