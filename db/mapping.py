"""The type-to-table mapping: which table, columns and relations back each GraphQL type.

Declared as data, once per domain (db/areas.py, db/people.py, ...), so that both read paths
use the same facts: the DataLoaders of the resolver path build their SQL from it, and the
query compiler turns a whole GraphQL selection into one statement from it.

SQL fragments are templates: ``{t}`` is the alias of the entity's own table, ``{p}`` the
parent's in a relation, and ``{v}`` the bound parameter of a filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Column:
    """A scalar field: an SQL expression over ``{t}``, and how to decode it."""

    sql: str
    sql_type: str = "text"


@dataclass(frozen=True)
class Relation:
    """A field that leads to rows of another entity.

    ``join`` is a predicate between the parent ``{p}`` and the target ``{t}``.
    ``one``: at most one target row per parent; ``many``: a paginated list (a connection)
    unless ``as_list`` says the set is small and bounded (a household's members).
    """

    target: str
    kind: Literal["one", "many"]
    join: str
    as_list: bool = False
    order: str | None = None  # fixed order for as_list relations
    # For a `one` relation by foreign key: the parent column holding the target's key, so
    # the target is fetched by key and shares the per-request cache with `node(id:)`.
    via: str | None = None
    # For a `many` relation: a predicate on the parent ``{p}`` under which the targets are
    # few enough to read them all and sort them (see ``subtree``).
    small_when: str | None = None


# Areas at these levels hold a few hundred households (a village's ~700 at the demo's
# scale 1): reading a whole subtree and sorting it is cheap. Above them a page is better
# read by walking the order's index and stopping after it.
SMALL_SUBTREE = "{p}.level IN ('village', 'compound', 'building')"


def subtree(target: str, column: str = "area_path") -> Relation:
    """An area's ``target`` rows anywhere in its subtree, as a connection.

    PostgreSQL plans one statement for every area a variable may name, and cannot tell a
    village from the county: it walks the order's index (the primary key) and filters
    each row by path, which stops early for the county but reads every household before
    a late village's first (2.7 ms on average for the benchmark's 20 villages, up to 4.5).
    ``small_when`` lets the compiler read small subtrees through the path index and sort
    them instead (1.6 ms on average, flat).
    """
    return Relation(target, "many", f"{{t}}.{column} <@ {{p}}.path", small_when=SMALL_SUBTREE)


@dataclass(frozen=True)
class Filter:
    """A field of a filter input: a predicate over ``{t}`` with the value bound as ``{v}``.

    ``sql_type`` is the cast applied to the parameter; asyncpg then encodes the Python value.
    """

    sql: str
    sql_type: str


@dataclass(frozen=True)
class OrderKey:
    """An ``orderBy`` field: a NOT NULL expression, ties broken by the primary key."""

    sql: str
    sql_type: str


@dataclass(frozen=True)
class Entity:
    name: str
    table: str
    key: str = "id"
    columns: dict[str, Column] = field(default_factory=dict)
    relations: dict[str, Relation] = field(default_factory=dict)
    filters: dict[str, Filter] = field(default_factory=dict)
    orders: dict[str, OrderKey] = field(default_factory=dict)
    default_order: str = "ID"
    default_descending: bool = False  # when a query gives no orderBy

    def column_list(self, alias: str) -> str:
        return ", ".join(
            f"{col.sql.format(t=alias)} AS {name}" for name, col in self.columns.items()
        )


REGISTRY: dict[str, Entity] = {}


def register(*entities: Entity) -> None:
    for entity in entities:
        if entity.name in REGISTRY:
            raise ValueError(f"entity {entity.name} is mapped twice")
        if entity.default_order not in entity.orders:
            raise ValueError(f"{entity.name}: default order {entity.default_order} is not mapped")
        REGISTRY[entity.name] = entity


def entity(name: str) -> Entity:
    if name not in REGISTRY:
        import db.entities  # noqa: F401  (registers every domain's entities)
    return REGISTRY[name]
