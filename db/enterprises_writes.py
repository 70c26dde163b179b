"""Writes of the collective-enterprise domain, and the dividend allocation rule.

Every function takes the caller's connection, so a mutation runs all its statements in
one transaction. The identities live in the database (migration 0006): CHECKs on the
account row, and deferred constraint triggers judged at COMMIT for what spans rows.
``enterprise_errors()`` turns their violations into ``DomainError`` with a code and
a message naming the rule (the constraint) that failed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg

from db.errors import DomainError

# constraint -> (error code, input field, message when the database's own text is a
# generic "violates check constraint"; None: the trigger's message says it already)
CONSTRAINTS: dict[str, tuple[str, str | None, str | None]] = {
    "enterprise_credit_code_valid": (
        "INVALID_CREDIT_CODE",
        "creditCode",
        "not a valid unified social credit code (GB 32100)",
    ),
    "enterprise_credit_code_key": (
        "DUPLICATE_CREDIT_CODE",
        "creditCode",
        "another enterprise has this credit code",
    ),
    "enterprise_code_matches_kind": (
        "CREDIT_CODE_KIND_MISMATCH",
        "creditCode",
        "the credit code's prefix does not fit the kind (N1/N2/N3: collective economic "
        "organisation, 93: specialised cooperative)",
    ),
    "enterprise_representative_in_area": ("NOT_IN_AREA", "legalRepresentativeId", None),
    "enterprise_area_level": ("WRONG_AREA_LEVEL", "areaCode", None),
    "enterprise_name_check": ("INVALID_INPUT", "name", "a name has 1 to 100 characters"),
    "enterprise_founded_on_check": (
        "INVALID_INPUT",
        "foundedOn",
        "the founding date is before 1949-10-01",
    ),
    "enterprise_member_household_area": ("NOT_IN_AREA", "householdId", None),
    "enterprise_member_no_overlap": (
        "MEMBERSHIP_OVERLAP",
        "joinedOn",
        "the household is already a member in that period",
    ),
    "enterprise_member_period": ("INVALID_INPUT", "leftOn", "leaving precedes joining"),
    "shareholding_member_only": ("NOT_A_MEMBER", "householdId", None),
    "shareholding_no_overlap": (
        "SHARES_OVERLAP",
        "holdings",
        "the household already holds that class in that period",
    ),
    "shareholding_quantity_positive": (
        "INVALID_INPUT",
        "holdings",
        "a quantity is 1 to 1,000,000,000 shares",
    ),
    "shareholding_period": ("INVALID_INPUT", "validFrom", "a holding ends before it starts"),
    "account_income_identity": (
        "INCOME_IDENTITY",
        "income",
        "income must equal revenue - expenses",
    ),
    "account_distributable_identity": (
        "DISTRIBUTABLE_IDENTITY",
        "distributable",
        "distributable income must equal income + opening undistributed income",
    ),
    "account_closing_identity": (
        "CLOSING_IDENTITY",
        "closingUndistributed",
        "closing undistributed income must equal distributable income - reserve fund - "
        "welfare fund - investor returns - dividend pool - other distributions",
    ),
    "account_pool_limit": (
        "POOL_LIMIT",
        "dividendPool",
        "the dividend pool may not exceed distributable income - reserve fund - welfare fund "
        "- investor returns",
    ),
    "account_amounts_non_negative": (
        "INVALID_INPUT",
        None,
        "amounts other than income, opening and closing are >= 0",
    ),
    "account_amounts_range": ("INVALID_INPUT", None, "an amount is out of range"),
    "account_year_range": ("INVALID_INPUT", "year", "the year is out of range (1950-2200)"),
    "account_opening_carry_over": ("OPENING_CARRY_OVER", "openingUndistributed", None),
    "account_years_contiguous": ("YEARS_NOT_CONTIGUOUS", "year", None),
    "account_after_founding": ("BEFORE_FOUNDING", "year", None),
    "account_published_locked": ("PUBLISHED", None, None),
    "distribution_published_locked": ("PUBLISHED", "distribution", None),
    "distribution_pool_matches_account": ("POOL_MISMATCH", "dividendPool", None),
    "distribution_members_only": ("NOT_A_MEMBER", "distribution.lines", None),
    "distribution_line_units": ("LINE_UNITS", "distribution.lines", None),
    "distribution_covers_members": ("MISSING_LINE", "distribution.lines", None),
    "distribution_units_total": ("UNITS_TOTAL", "distribution.lines", None),
    "distribution_lines_sum": ("LINES_SUM", "distribution.lines", None),
    "distribution_allocation": ("ALLOCATION", "distribution.lines", None),
    "distribution_pool_positive": (
        "NO_DIVIDEND_POOL",
        "dividendPool",
        "a distribution needs a dividend pool above 0",
    ),
    "distribution_units_positive": (
        "MISSING_LINE",
        "distribution",
        "nobody takes part in the distribution on that date",
    ),
    "distribution_paid_after_record": (
        "INVALID_INPUT",
        "distribution.paidOn",
        "payment precedes the record date",
    ),
    "dividend_distribution_account_key": (
        "INVALID_INPUT",
        "accountId",
        "the account has a distribution already",
    ),
    "dividend_line_household_key": (
        "INVALID_INPUT",
        "distribution.lines",
        "a household has two lines",
    ),
    "disclosure_not_future": ("INVALID_INPUT", "publishedOn", None),
    "disclosure_note_check": ("INVALID_INPUT", "note", "a note has at most 500 characters"),
    "annual_account_year_key": (
        "INVALID_INPUT",
        "year",
        "the account for this year was recorded concurrently",
    ),
}


def from_postgres(exc: asyncpg.PostgresError) -> DomainError | None:
    constraint = getattr(exc, "constraint_name", None)
    if constraint not in CONSTRAINTS:
        return None
    code, field, text = CONSTRAINTS[constraint]
    message = text or str(getattr(exc, "message", exc))
    return DomainError(code, f"{message} [{constraint}]", field)


@contextmanager
def enterprise_errors() -> Iterator[None]:
    """The database's refusals as DomainError naming the rule; anything else propagates."""
    try:
        yield
    except asyncpg.InsufficientPrivilegeError as exc:
        raise DomainError("FORBIDDEN", "outside what your role and area may change") from exc
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.RaiseError) as exc:
        mapped = from_postgres(exc)
        if mapped is None:
            raise
        raise mapped from exc


# -- the allocation rule (the database checks exactly this: check_distribution) ---------


def allocate(pool: int, units: Sequence[tuple[int, int]]) -> dict[int, int]:
    """Largest remainder: each household (id, units) gets floor(pool * units / total) fen,
    and the fen left over go one each to the largest remainders, ties to the lower id.
    The amounts sum to ``pool`` exactly and none is a fen or more off its exact share."""
    total = sum(u for _, u in units)
    if total <= 0:
        raise ValueError("nobody to allocate to")
    base = {h: pool * u // total for h, u in units}
    remainders = sorted(((pool * u % total, h) for h, u in units), key=lambda r: (-r[0], r[1]))
    left = pool - sum(base.values())
    for _, h in remainders[:left]:
        base[h] += 1
    return base


# -- enterprises -----------------------------------------------------------------------

AREA_BY_CODE = (
    "SELECT id, code, name, level::text AS level, path::text AS path FROM area WHERE code = $1"
)

LOCK_ENTERPRISE = """
    SELECT id, area_id, area_path::text AS area_path, name, kind::text AS kind, credit_code,
           founded_on, legal_representative_id
      FROM collective_enterprise WHERE id = $1 FOR NO KEY UPDATE"""

CREDIT_CODE_HOLDER = """
    SELECT id FROM collective_enterprise WHERE credit_code = $1 AND id <> coalesce($2::bigint, 0)"""

RESIDENT_PATH = "SELECT area_path::text FROM resident WHERE id = $1"

INSERT_ENTERPRISE = """
    INSERT INTO collective_enterprise (area_id, name, kind, credit_code, founded_on,
                                       legal_representative_id)
    VALUES ($1, $2, $3::enterprise_kind, $4, $5, $6) RETURNING id"""

UPDATE_ENTERPRISE = """
    UPDATE collective_enterprise
       SET name = $2, kind = $3::enterprise_kind, credit_code = $4, founded_on = $5,
           legal_representative_id = $6
     WHERE id = $1"""


async def area_by_code(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(AREA_BY_CODE, code)


async def lock_enterprise(conn: asyncpg.Connection, key: int) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_ENTERPRISE, key)


async def credit_code_holder(
    conn: asyncpg.Connection, code: str, except_id: int | None
) -> int | None:
    return await conn.fetchval(CREDIT_CODE_HOLDER, code, except_id)


async def resident_path(conn: asyncpg.Connection, key: int) -> str | None:
    return await conn.fetchval(RESIDENT_PATH, key)


@dataclass(frozen=True)
class EnterpriseValues:
    name: str
    kind: str
    credit_code: str
    founded_on: dt.date
    legal_representative_id: int


async def insert_enterprise(conn: asyncpg.Connection, area_id: int, v: EnterpriseValues) -> int:
    with enterprise_errors():
        return await conn.fetchval(
            INSERT_ENTERPRISE,
            area_id,
            v.name,
            v.kind,
            v.credit_code,
            v.founded_on,
            v.legal_representative_id,
        )


async def update_enterprise(conn: asyncpg.Connection, key: int, v: EnterpriseValues) -> None:
    with enterprise_errors():
        await conn.execute(
            UPDATE_ENTERPRISE,
            key,
            v.name,
            v.kind,
            v.credit_code,
            v.founded_on,
            v.legal_representative_id,
        )


# -- members and shares --------------------------------------------------------------------

HOUSEHOLD_PATH = "SELECT area_path::text FROM household WHERE id = $1"

MEMBER_PERIODS = """
    SELECT id, joined_on, left_on FROM enterprise_member
     WHERE enterprise_id = $1 AND household_id = $2 ORDER BY joined_on"""

INSERT_MEMBER = """
    INSERT INTO enterprise_member (enterprise_id, household_id, joined_on)
    VALUES ($1, $2, $3) RETURNING id"""

LOCK_MEMBER = """
    SELECT id, enterprise_id, household_id, joined_on, left_on FROM enterprise_member
     WHERE id = $1 FOR NO KEY UPDATE"""

END_MEMBER = "UPDATE enterprise_member SET left_on = $2 WHERE id = $1"

# Holdings still open on the day a membership ends stop with it; holdings starting later
# than that day cannot exist without a membership (the deferred check says so).
END_SHARES_WITH_MEMBER = """
    UPDATE shareholding SET valid_to = $3
     WHERE enterprise_id = $1 AND household_id = $2 AND valid_from <= $3
       AND (valid_to IS NULL OR valid_to > $3)"""

END_SHARES_BEFORE = """
    UPDATE shareholding SET valid_to = $3::date - 1
     WHERE enterprise_id = $1 AND household_id = $2 AND valid_from < $3
       AND (valid_to IS NULL OR valid_to >= $3)"""

DROP_SHARES_FROM = """
    DELETE FROM shareholding WHERE enterprise_id = $1 AND household_id = $2 AND valid_from >= $3"""

INSERT_SHARES = """
    INSERT INTO shareholding (enterprise_id, household_id, share_class, quantity, valid_from)
    SELECT $1, $2, c::share_class, q, $3
      FROM unnest($4::text[], $5::bigint[]) AS u(c, q)
    RETURNING id"""


async def household_path(conn: asyncpg.Connection, key: int) -> str | None:
    return await conn.fetchval(HOUSEHOLD_PATH, key)


async def member_periods(
    conn: asyncpg.Connection, enterprise: int, household: int
) -> list[asyncpg.Record]:
    return await conn.fetch(MEMBER_PERIODS, enterprise, household)


async def insert_member(
    conn: asyncpg.Connection, enterprise: int, household: int, joined_on: dt.date
) -> int:
    with enterprise_errors():
        return await conn.fetchval(INSERT_MEMBER, enterprise, household, joined_on)


async def lock_member(conn: asyncpg.Connection, key: int) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_MEMBER, key)


async def end_member(conn: asyncpg.Connection, member: asyncpg.Record, left_on: dt.date) -> None:
    with enterprise_errors():
        await conn.execute(END_MEMBER, member["id"], left_on)
        await conn.execute(
            END_SHARES_WITH_MEMBER, member["enterprise_id"], member["household_id"], left_on
        )


async def set_shareholdings(
    conn: asyncpg.Connection,
    enterprise: int,
    household: int,
    valid_from: dt.date,
    holdings: Sequence[tuple[str, int]],
) -> list[int]:
    with enterprise_errors():
        await conn.execute(END_SHARES_BEFORE, enterprise, household, valid_from)
        await conn.execute(DROP_SHARES_FROM, enterprise, household, valid_from)
        rows = await conn.fetch(
            INSERT_SHARES,
            enterprise,
            household,
            valid_from,
            [c for c, _ in holdings],
            [q for _, q in holdings],
        )
    return [r["id"] for r in rows]


# -- accounts and distributions ----------------------------------------------------------

ACCOUNT_FIELDS = (
    "revenue_fen",
    "expenses_fen",
    "income_fen",
    "opening_undistributed_fen",
    "distributable_fen",
    "reserve_fund_fen",
    "welfare_fund_fen",
    "investor_returns_fen",
    "dividend_pool_fen",
    "other_distributions_fen",
    "closing_undistributed_fen",
)

ACCOUNT_OF_YEAR = f"""
    SELECT id, year, {", ".join(ACCOUNT_FIELDS)},
           EXISTS (SELECT 1 FROM disclosure x WHERE x.account_id = a.id) AS published
      FROM annual_account a WHERE enterprise_id = $1 AND year = $2 FOR NO KEY UPDATE"""

LOCK_ACCOUNT = f"""
    SELECT id, enterprise_id, year, {", ".join(ACCOUNT_FIELDS)},
           EXISTS (SELECT 1 FROM disclosure x WHERE x.account_id = a.id) AS published
      FROM annual_account a WHERE id = $1 FOR NO KEY UPDATE"""

ACCOUNT_YEARS = "SELECT min(year), max(year) FROM annual_account WHERE enterprise_id = $1"

_COLS = ", ".join(ACCOUNT_FIELDS)
_PARAMS = ", ".join(f"${i + 3}" for i in range(len(ACCOUNT_FIELDS)))
INSERT_ACCOUNT = f"""
    INSERT INTO annual_account (enterprise_id, year, {_COLS}) VALUES ($1, $2, {_PARAMS})
    RETURNING id"""
UPDATE_ACCOUNT = (
    "UPDATE annual_account SET "
    + ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(ACCOUNT_FIELDS))
    + " WHERE id = $1"
)

ELIGIBLE = """
    SELECT household_id, units FROM dividend_eligible($1, $2::dividend_basis, $3)
     WHERE units > 0 ORDER BY household_id"""

DISTRIBUTION_OF = """
    SELECT d.id, EXISTS (SELECT 1 FROM disclosure x WHERE x.distribution_id = d.id) AS published
      FROM dividend_distribution d WHERE d.account_id = $1"""

DELETE_DISTRIBUTION = "DELETE FROM dividend_distribution WHERE id = $1"

INSERT_DISTRIBUTION = """
    INSERT INTO dividend_distribution (enterprise_id, account_id, area_path, year, basis,
                                       record_date, paid_on, pool_fen, units)
    SELECT a.enterprise_id, a.id, a.area_path, a.year, $2::dividend_basis, $3, $4, $5, $6
      FROM annual_account a WHERE a.id = $1
    RETURNING id"""

INSERT_LINES = """
    INSERT INTO dividend_line (distribution_id, household_id, area_path, units, amount_fen)
    SELECT $1, h, d.area_path, u, a
      FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS x(h, u, a),
           dividend_distribution d WHERE d.id = $1"""

INSERT_DISCLOSURE = """
    INSERT INTO disclosure (enterprise_id, account_id, area_path, published_on,
                            publishes_lines, note)
    SELECT a.enterprise_id, a.id, a.area_path, $2, $3, $4 FROM annual_account a WHERE a.id = $1
    RETURNING id"""


async def account_of_year(
    conn: asyncpg.Connection, enterprise: int, year: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(ACCOUNT_OF_YEAR, enterprise, year)


async def lock_account(conn: asyncpg.Connection, key: int) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_ACCOUNT, key)


async def account_years(conn: asyncpg.Connection, enterprise: int) -> tuple[int | None, int | None]:
    row = await conn.fetchrow(ACCOUNT_YEARS, enterprise)
    return row[0], row[1]


async def write_account(
    conn: asyncpg.Connection,
    enterprise: int,
    year: int,
    values: dict[str, int],
    existing: int | None,
) -> int:
    params = [values[c] for c in ACCOUNT_FIELDS]
    with enterprise_errors():
        if existing is None:
            return await conn.fetchval(INSERT_ACCOUNT, enterprise, year, *params)
        await conn.execute(UPDATE_ACCOUNT, existing, *params)
        return existing


async def eligible(
    conn: asyncpg.Connection, enterprise: int, basis: str, on: dt.date
) -> dict[int, int]:
    """Households taking part on ``on`` with their units (the database's own rule)."""
    return {
        r["household_id"]: r["units"] for r in await conn.fetch(ELIGIBLE, enterprise, basis, on)
    }


async def distribution_of(conn: asyncpg.Connection, account: int) -> asyncpg.Record | None:
    return await conn.fetchrow(DISTRIBUTION_OF, account)


@dataclass(frozen=True)
class DistributionValues:
    basis: str
    record_date: dt.date
    paid_on: dt.date | None
    pool: int
    lines: tuple[tuple[int, int, int], ...]  # (household, units, amount fen)


async def replace_distribution(
    conn: asyncpg.Connection, account: int, previous: int | None, v: DistributionValues
) -> int:
    """The account's distribution and its lines, replacing an undisclosed one."""
    with enterprise_errors():
        if previous is not None:
            await conn.execute(DELETE_DISTRIBUTION, previous)
        dist = await conn.fetchval(
            INSERT_DISTRIBUTION,
            account,
            v.basis,
            v.record_date,
            v.paid_on,
            v.pool,
            sum(u for _, u, _ in v.lines),
        )
        await conn.execute(
            INSERT_LINES,
            dist,
            [h for h, _, _ in v.lines],
            [u for _, u, _ in v.lines],
            [a for _, _, a in v.lines],
        )
    return dist


async def insert_disclosure(
    conn: asyncpg.Connection,
    account: int,
    published_on: dt.date,
    publishes_lines: bool,
    note: str | None,
) -> int:
    with enterprise_errors():
        return await conn.fetchval(INSERT_DISCLOSURE, account, published_on, publishes_lines, note)
