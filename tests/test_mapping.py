"""The schema and the mapping agree: filter fields, sort keys and default orders."""

from __future__ import annotations

import dataclasses

import pytest

import db.entities  # noqa: F401
from db.mapping import REGISTRY
from schema.audit import AuditFilter, AuditOrder
from schema.community_inputs import (
    AreaFilter,
    AreaOrder,
    HouseholdFilter,
    HouseholdOrder,
    ResidentFilter,
    ResidentOrder,
)

INPUTS = [
    ("Area", AreaFilter, AreaOrder),
    ("Household", HouseholdFilter, HouseholdOrder),
    ("Resident", ResidentFilter, ResidentOrder),
    ("AuditEntry", AuditFilter, AuditOrder),
]


@pytest.mark.parametrize(("entity", "filter_input", "order_input"), INPUTS)
def test_inputs_match_mapping(entity: str, filter_input: type, order_input: type) -> None:
    ent = REGISTRY[entity]
    fields = {f.name for f in dataclasses.fields(filter_input)}
    assert fields <= set(ent.filters), fields - set(ent.filters)
    default = order_input()
    order_enum = type(default.field)
    assert {e.value for e in order_enum} <= set(ent.orders)
    # no orderBy given: the resolver path takes the input's defaults, the compiled path the
    # mapping's; they must be the same
    assert default.field.value == ent.default_order
    assert (default.direction.value == "desc") == ent.default_descending
