"""Compiled ``ResidentStats``: counted from the residents, or summed from their tally.

Unfiltered figures that do not depend on the day come from ``resident_tally`` (migration
0012), a few hundred rows for a town instead of tens of thousands of residents. Filters
and age bands still read the residents, in one scan with a FILTER aggregate per figure.
A resident principal sees residents by household, not by area, and the tally's
row-level security shows such a principal nothing: for them the statement counts the
residents (``gongzhi_household()`` is set only for residents).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType, get_named_type

from db.community import RESIDENT
from db.community_stats import AGE_BANDS
from db.compiler import ArgSite, BindState, Compiler, NotCompilable, and_all, json_object

# A figure is named by its measure: ``residents``, ``households``, ``party_members``,
# ``gender:<value>``, ``care_tag:<value>`` (resident_tally's columns, ":" written "_") or
# ``age_band:<label>`` (counted only). A counter turns a measure into an aggregate.
Counter = Callable[[str], str]


class NotTallied(Exception):
    """The selection needs a figure the tally does not keep."""


def _scan_counter(r: str, *, filtered: bool) -> Counter:
    age = f"date_part('year', age(current_date, {r}.birth_date))"
    bands = {
        label: f"{age} >= {low}" + (f" AND {age} <= {high}" if high is not None else "")
        for label, low, high in AGE_BANDS
    }

    def count(measure: str) -> str:
        kind, _, value = measure.partition(":")
        if kind == "residents":
            return "count(*)"
        if kind == "households":
            return _households_sql(r, filtered=filtered)
        condition = {
            "party_members": f"{r}.is_party_member",
            "gender": f"{r}.gender = '{value}'",
            "care_tag": f"{r}.care_tags @> ARRAY['{value}']::care_tag[]",
            "age_band": bands.get(value, ""),
        }[kind]
        return f"count(*) FILTER (WHERE {condition})"

    return count


def _households_sql(r: str, *, filtered: bool) -> str:
    """Households among the residents counted. Unfiltered, each household in scope is
    counted by its head: migration 0001 keeps exactly one per household, and a household's
    members share its path and so its visibility. That spares sorting every resident for
    count(DISTINCT) (about a fifth of a village's dashboard figures)."""
    if filtered:
        return f"count(DISTINCT {r}.household_id)"
    return f"count(*) FILTER (WHERE {r}.relation = 'self')"


def _tally_counter(x: str) -> Counter:
    def count(measure: str) -> str:
        if measure.startswith("age_band:"):
            raise NotTallied(measure)
        return f"coalesce(sum({x}.{measure.replace(':', '_')}), 0)"

    return count


def _figures(
    c: Compiler, stats_type: GraphQLObjectType, nodes: list[FieldNode], count: Counter
) -> str:
    """The ResidentStats object as JSON, each figure ``count(measure)``."""
    categories: dict[str, tuple[str, list[tuple[str, str]]]] = {
        "byGender": ("gender", [(v, f"gender:{v.lower()}") for v in ("MALE", "FEMALE")]),
        "byCareTag": (
            "tag",
            [
                (name, f"care_tag:{value.value}")
                for name, value in c.schema.get_type("CareTag").values.items()  # type: ignore[union-attr]
            ],
        ),
        "byAgeBand": ("band", [(label, f"age_band:{label}") for label, _, _ in AGE_BANDS]),
    }
    single = {"count": "residents", "households": "households", "partyMembers": "party_members"}
    parts = []
    for key, subnodes in c.collect(stats_type, c.subselections(nodes)).items():
        name = subnodes[0].name.value
        if name == "__typename":
            parts.append((key, c.literal(stats_type.name)))
        elif name in single:
            parts.append((key, count(single[name])))
        elif name in categories:
            label_field, measures = categories[name]
            item_type = get_named_type(stats_type.fields[name].type)
            items = []
            for label, measure in measures:
                item = []
                for ikey, inodes in c.collect(item_type, c.subselections(subnodes)).items():  # type: ignore[arg-type]
                    iname = inodes[0].name.value
                    if iname == "__typename":
                        item.append((ikey, c.literal(item_type.name)))  # type: ignore[union-attr]
                    elif iname == label_field:
                        item.append((ikey, c.literal(label)))
                    elif iname == "count":
                        item.append((ikey, count(measure)))
                    else:
                        raise NotCompilable(f"{item_type.name}.{iname}")  # type: ignore[union-attr]
                items.append(json_object(item))
            parts.append((key, "json_build_array(" + ", ".join(items) + ")"))
        else:
            raise NotCompilable(f"{stats_type.name}.{name}")
    return json_object(parts)


def _stats_sql(
    c: Compiler, field_def: GraphQLField, nodes: list[FieldNode], path: str | None
) -> str:
    """The figures over the residents on ``path``'s subtree (all when None) the principal
    may see. GROUP BY (): one row even when no aggregate is selected (only labels, say)."""
    stats_type: GraphQLObjectType = get_named_type(field_def.type)  # type: ignore[assignment]
    site = ArgSite(field_def, nodes[0])
    r = c.alias()

    def filters(state: BindState) -> Any:
        return state.policy.filter_items(state.args(site).get("filter"))

    filter_clauses = c.filter_clauses(RESIDENT, r, site, filters)
    where = ([f"{r}.area_path <@ {path}"] if path else []) + filter_clauses
    counted = _figures(c, stats_type, nodes, _scan_counter(r, filtered=bool(filter_clauses)))
    scan = f"(SELECT {counted} FROM resident {r} WHERE {and_all(where)} GROUP BY ())"
    if filter_clauses:
        return scan
    x = c.alias()
    try:
        summed = _figures(c, stats_type, nodes, _tally_counter(x))
    except NotTallied:
        return scan
    on_path = f"{x}.area_path <@ {path}" if path else "true"
    tally = f"(SELECT {summed} FROM resident_tally {x} WHERE {on_path} GROUP BY ())"
    return f"(CASE WHEN gongzhi_household() IS NULL THEN {tally} ELSE {scan} END)"


def root_stats(c: Compiler, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    return _stats_sql(c, field_def, nodes, path=None)


def area_stats(c: Compiler, alias: str, field_def: GraphQLField, nodes: list[FieldNode]) -> str:
    return _stats_sql(c, field_def, nodes, path=f"{alias}.path")
