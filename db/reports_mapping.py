"""Mapping of monthly reports (the type-to-table facts both read paths use)."""

from __future__ import annotations

from db.mapping import Column, Entity, Filter, OrderKey, Relation, register

# A version is current when no later version of the same area and month exists.
IS_CURRENT = (
    "NOT EXISTS (SELECT 1 FROM monthly_report n WHERE n.area_id = {t}.area_id "
    "AND n.period = {t}.period AND n.version > {t}.version)"
)

_INTEGERS = (
    "households",
    "residents",
    "party_members",
    "requests_open_start",
    "requests_received",
    "requests_resolved",
    "requests_open_end",
    "feedback_received",
    "feedback_satisfied",
    "volunteers_active",
    "activities_held",
    "dividend_households",
)
# Decimals travel as PostgreSQL prints them ("42.5", "3000.50"): exact, and the same
# text on both read paths.
_DECIMALS = ("volunteer_hours", "collective_income", "dividends_paid")

MONTHLY_REPORT = Entity(
    name="MonthlyReport",
    table="monthly_report",
    columns={
        "id": Column("{t}.id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "period": Column("to_char({t}.period, 'YYYY-MM')"),
        "version": Column("{t}.version", "int"),
        "is_current": Column(IS_CURRENT, "boolean"),
        **{name: Column(f"{{t}}.{name}", "int") for name in _INTEGERS},
        **{name: Column(f"{{t}}.{name}::text") for name in _DECIMALS},
        "submitted_by": Column("{t}.submitted_by"),
        "run_id": Column("{t}.run_id::text"),
        "source_row": Column("{t}.source_row", "int"),
        "created_at": Column("{t}.created_at", "timestamptz"),
    },
    relations={
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        # every version of the same area and month, the latest first
        "versions": Relation(
            "MonthlyReport",
            "many",
            "{t}.area_id = {p}.area_id AND {t}.period = {p}.period",
            as_list=True,
            order="{t}.version DESC",
        ),
    },
    filters={
        "period": Filter("{t}.period = {v}::date", "date"),
        "period_from": Filter("{t}.period >= {v}::date", "date"),
        "period_to": Filter("{t}.period <= {v}::date", "date"),
    },
    orders={
        "PERIOD": OrderKey("{t}.period", "date"),
        "ID": OrderKey("{t}.id", "bigint"),
    },
    default_order="PERIOD",
)

register(MONTHLY_REPORT)

# MonthlyReport.warnings on the compiled read path
import db.compiled_reports  # noqa: E402, F401


def _check_area_relation() -> None:
    # Area.reports (declared with the area in db/community.py) lists current versions.
    from db.community import AREA

    join = AREA.relations["reports"].join
    assert join == "{t}.area_id = {p}.id AND " + IS_CURRENT, join


_check_area_relation()
