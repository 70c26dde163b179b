"""Mapping of the collective-enterprise domain (the type-to-table facts both read paths use).

Money is stored in fen (bigint) and served as yuan with two decimals, printed by
PostgreSQL ("5687000.00"), so both read paths send the same exact text.

Area, Household: the enterprise relations are added to their entities here rather than
in db/community.py, so this domain's facts stay in one module.
"""

from __future__ import annotations

from db.community import AREA, HOUSEHOLD
from db.mapping import Column, Entity, Filter, OrderKey, Relation, register


def yuan(sql: str) -> Column:
    """A fen amount as yuan text: exact, and the same text on both read paths."""
    return Column(f"(({sql})::numeric / 100)::numeric(20, 2)::text")


def _money(*names: str) -> dict[str, Column]:
    return {name: yuan(f"{{t}}.{name}_fen") for name in names}


# The latest disclosure the reader can see; overdue when older than a quarter (or none).
LAST_DISCLOSED = "(SELECT max(x.published_on) FROM disclosure x WHERE x.enterprise_id = {t}.id)"
OVERDUE = f"coalesce({LAST_DISCLOSED} < (current_date - interval '3 months')::date, true)"
ACTIVE_ON = "{t}.{start} <= {{v}}::date AND ({t}.{end} IS NULL OR {t}.{end} >= {{v}}::date)"

ENTERPRISE = Entity(
    name="CollectiveEnterprise",
    table="collective_enterprise",
    columns={
        "id": Column("{t}.id", "bigint"),
        "area_id": Column("{t}.area_id", "bigint"),
        "name": Column("{t}.name"),
        "kind": Column("{t}.kind::text"),
        "credit_code": Column("{t}.credit_code"),
        "founded_on": Column("{t}.founded_on", "date"),
        "legal_representative_id": Column("{t}.legal_representative_id", "bigint"),
        "last_disclosed_on": Column(LAST_DISCLOSED, "date"),
        "disclosure_overdue": Column(OVERDUE, "boolean"),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "updated_at": Column("{t}.updated_at", "timestamptz"),
    },
    relations={
        "area": Relation("Area", "one", "{t}.id = {p}.area_id", via="area_id"),
        "legal_representative": Relation(
            "Resident", "one", "{t}.id = {p}.legal_representative_id", via="legal_representative_id"
        ),
        "members": Relation("EnterpriseMembership", "many", "{t}.enterprise_id = {p}.id"),
        "shareholdings": Relation("Shareholding", "many", "{t}.enterprise_id = {p}.id"),
        "accounts": Relation(
            "AnnualAccount", "many", "{t}.enterprise_id = {p}.id", as_list=True, order="{t}.year"
        ),
        "distributions": Relation(
            "DividendDistribution",
            "many",
            "{t}.enterprise_id = {p}.id",
            as_list=True,
            order="{t}.year",
        ),
        "disclosures": Relation(
            "Disclosure",
            "many",
            "{t}.enterprise_id = {p}.id",
            as_list=True,
            order="{t}.published_on DESC, {t}.id DESC",
        ),
    },
    filters={
        "kind": Filter("{t}.kind = {v}::enterprise_kind", "text"),
        "name_contains": Filter("{t}.name LIKE '%' || {v}::text || '%'", "text"),
        "area_code": Filter(
            "{t}.area_path <@ (SELECT a.path FROM area a WHERE a.code = {v}::text)", "text"
        ),
        "disclosure_overdue": Filter(f"{OVERDUE} = {{v}}::boolean", "boolean"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "NAME": OrderKey("{t}.name", "text"),
        "FOUNDED_ON": OrderKey("{t}.founded_on", "date"),
    },
    default_order="NAME",
)

MEMBERSHIP = Entity(
    name="EnterpriseMembership",
    table="enterprise_member",
    columns={
        "id": Column("{t}.id", "bigint"),
        "enterprise_id": Column("{t}.enterprise_id", "bigint"),
        "household_id": Column("{t}.household_id", "bigint"),
        "joined_on": Column("{t}.joined_on", "date"),
        "left_on": Column("{t}.left_on", "date"),
        "active": Column("({t}.left_on IS NULL OR {t}.left_on >= current_date)", "boolean"),
    },
    relations={
        "enterprise": Relation(
            "CollectiveEnterprise", "one", "{t}.id = {p}.enterprise_id", via="enterprise_id"
        ),
        "household": Relation("Household", "one", "{t}.id = {p}.household_id", via="household_id"),
    },
    filters={
        "active_on": Filter(ACTIVE_ON.format(t="{t}", start="joined_on", end="left_on"), "date"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "JOINED_ON": OrderKey("{t}.joined_on", "date"),
    },
)

SHAREHOLDING = Entity(
    name="Shareholding",
    table="shareholding",
    columns={
        "id": Column("{t}.id", "bigint"),
        "enterprise_id": Column("{t}.enterprise_id", "bigint"),
        "household_id": Column("{t}.household_id", "bigint"),
        "share_class": Column("{t}.share_class::text"),
        "quantity": Column("{t}.quantity", "bigint"),
        "valid_from": Column("{t}.valid_from", "date"),
        "valid_to": Column("{t}.valid_to", "date"),
    },
    relations={
        "enterprise": Relation(
            "CollectiveEnterprise", "one", "{t}.id = {p}.enterprise_id", via="enterprise_id"
        ),
        "household": Relation("Household", "one", "{t}.id = {p}.household_id", via="household_id"),
    },
    filters={
        "active_on": Filter(ACTIVE_ON.format(t="{t}", start="valid_from", end="valid_to"), "date"),
        "share_class": Filter("{t}.share_class = {v}::share_class", "text"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "VALID_FROM": OrderKey("{t}.valid_from", "date"),
    },
)

ACCOUNT = Entity(
    name="AnnualAccount",
    table="annual_account",
    columns={
        "id": Column("{t}.id", "bigint"),
        "enterprise_id": Column("{t}.enterprise_id", "bigint"),
        "year": Column("{t}.year", "int"),
        **_money(
            "revenue",
            "expenses",
            "income",
            "opening_undistributed",
            "distributable",
            "reserve_fund",
            "welfare_fund",
            "investor_returns",
            "dividend_pool",
            "other_distributions",
            "closing_undistributed",
        ),
        "published": Column(
            "EXISTS (SELECT 1 FROM disclosure x WHERE x.account_id = {t}.id)", "boolean"
        ),
        "created_at": Column("{t}.created_at", "timestamptz"),
        "updated_at": Column("{t}.updated_at", "timestamptz"),
    },
    relations={
        "enterprise": Relation(
            "CollectiveEnterprise", "one", "{t}.id = {p}.enterprise_id", via="enterprise_id"
        ),
        "distribution": Relation("DividendDistribution", "one", "{t}.account_id = {p}.id"),
    },
    orders={"ID": OrderKey("{t}.id", "bigint"), "YEAR": OrderKey("{t}.year", "int")},
)

DISTRIBUTION = Entity(
    name="DividendDistribution",
    table="dividend_distribution",
    columns={
        "id": Column("{t}.id", "bigint"),
        "enterprise_id": Column("{t}.enterprise_id", "bigint"),
        "account_id": Column("{t}.account_id", "bigint"),
        "year": Column("{t}.year", "int"),
        "basis": Column("{t}.basis::text"),
        "record_date": Column("{t}.record_date", "date"),
        "paid_on": Column("{t}.paid_on", "date"),
        "pool": yuan("{t}.pool_fen"),
        "units": Column("{t}.units", "bigint"),
        # the exact per-unit amount is pool / units fen; shown in yuan to 6 decimals
        "per_unit": Column("round({t}.pool_fen::numeric / {t}.units / 100, 6)::text"),
        "evenly_divisible": Column("({t}.pool_fen % {t}.units = 0)", "boolean"),
        "published": Column(
            "EXISTS (SELECT 1 FROM disclosure x WHERE x.distribution_id = {t}.id)", "boolean"
        ),
    },
    relations={
        "enterprise": Relation(
            "CollectiveEnterprise", "one", "{t}.id = {p}.enterprise_id", via="enterprise_id"
        ),
        "account": Relation("AnnualAccount", "one", "{t}.id = {p}.account_id", via="account_id"),
        "lines": Relation(
            "DividendLine",
            "many",
            "{t}.distribution_id = {p}.id",
            as_list=True,
            order="{t}.household_id",
        ),
    },
    orders={"ID": OrderKey("{t}.id", "bigint")},
)

LINE = Entity(
    name="DividendLine",
    table="dividend_line",
    columns={
        "id": Column("{t}.id", "bigint"),
        "distribution_id": Column("{t}.distribution_id", "bigint"),
        "household_id": Column("{t}.household_id", "bigint"),
        "units": Column("{t}.units", "bigint"),
        "amount": yuan("{t}.amount_fen"),
    },
    relations={
        "distribution": Relation(
            "DividendDistribution", "one", "{t}.id = {p}.distribution_id", via="distribution_id"
        ),
        "household": Relation("Household", "one", "{t}.id = {p}.household_id", via="household_id"),
    },
    filters={
        "year": Filter(
            "EXISTS (SELECT 1 FROM dividend_distribution d WHERE d.id = {t}.distribution_id"
            " AND d.year = {v}::int)",
            "int",
        ),
    },
    orders={"ID": OrderKey("{t}.id", "bigint")},
)

DISCLOSURE = Entity(
    name="Disclosure",
    table="disclosure",
    columns={
        "id": Column("{t}.id", "bigint"),
        "enterprise_id": Column("{t}.enterprise_id", "bigint"),
        "account_id": Column("{t}.account_id", "bigint"),
        "distribution_id": Column("{t}.distribution_id", "bigint"),
        "published_on": Column("{t}.published_on", "date"),
        "publishes_lines": Column("{t}.publishes_lines", "boolean"),
        "note": Column("{t}.note"),
        "published_by": Column("{t}.published_by"),
    },
    relations={
        "enterprise": Relation(
            "CollectiveEnterprise", "one", "{t}.id = {p}.enterprise_id", via="enterprise_id"
        ),
        "account": Relation("AnnualAccount", "one", "{t}.id = {p}.account_id", via="account_id"),
        "distribution": Relation(
            "DividendDistribution", "one", "{t}.id = {p}.distribution_id", via="distribution_id"
        ),
    },
    orders={"ID": OrderKey("{t}.id", "bigint")},
)

register(ENTERPRISE, MEMBERSHIP, SHAREHOLDING, ACCOUNT, DISTRIBUTION, LINE, DISCLOSURE)

AREA.relations["enterprises"] = Relation(
    "CollectiveEnterprise", "many", "{t}.area_path <@ {p}.path"
)
HOUSEHOLD.relations["shareholdings"] = Relation("Shareholding", "many", "{t}.household_id = {p}.id")
HOUSEHOLD.relations["dividends"] = Relation("DividendLine", "many", "{t}.household_id = {p}.id")

# Area.enterpriseFinances and the root fields on the compiled read path
import db.compiled_enterprises  # noqa: E402, F401
