"""Input checks of the collective-enterprise mutations (resolvers/enterprises_mutations.py):
amounts in fen, credit codes, names, the accounts' identities and the distributions'
lines, each reporting every problem it finds."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg

from db import enterprises_writes as writes
from resolvers.community_checks import blank_to_none, db_label, parse_key
from validation.ids import gb32100_check_char

# Every code a mutation can report; the schema's EnterpriseErrorCode mirrors this list.
CODES = (
    "INVALID_INPUT",
    "NOT_FOUND",
    "FORBIDDEN",
    "UNKNOWN_AREA",
    "WRONG_AREA_LEVEL",
    "INVALID_CREDIT_CODE",
    "CREDIT_CODE_KIND_MISMATCH",
    "DUPLICATE_CREDIT_CODE",
    "NOT_IN_AREA",
    "MEMBERSHIP_OVERLAP",
    "NOT_A_MEMBER",
    "SHARES_OVERLAP",
    "INCOME_IDENTITY",
    "DISTRIBUTABLE_IDENTITY",
    "CLOSING_IDENTITY",
    "POOL_LIMIT",
    "OPENING_CARRY_OVER",
    "YEARS_NOT_CONTIGUOUS",
    "BEFORE_FOUNDING",
    "PUBLISHED",
    "POOL_MISMATCH",
    "NO_DIVIDEND_POOL",
    "LINE_UNITS",
    "MISSING_LINE",
    "UNITS_TOTAL",
    "LINES_SUM",
    "ALLOCATION",
)

MAX_FEN = 10**15
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class Problems(list[tuple[str, str, str | None]]):
    def add(self, code: str, message: str, field: str | None = None) -> None:
        assert code in CODES, code
        self.append((code, message, field))

    def refuse_if_any(self) -> None:
        if self:
            raise Refused(list(self))


class Refused(Exception):
    def __init__(self, problems: list[tuple[str, str, str | None]]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


# -- values ------------------------------------------------------------------------------


def fen(value: Decimal | None, field: str, problems: Problems) -> int | None:
    """Yuan to fen: at most two decimals, within range."""
    if value is None:
        return None
    try:
        cents = value * 100
        exact = cents == cents.to_integral_value()
    except (InvalidOperation, ValueError):
        exact = False
    if not exact or not value.is_finite():
        problems.add(
            "INVALID_INPUT", f"{value} is not an amount in yuan with at most 2 decimals", field
        )
        return None
    amount = int(cents)
    if abs(amount) > MAX_FEN:
        problems.add("INVALID_INPUT", f"{value} yuan is out of range", field)
        return None
    return amount


def yuan(amount: int) -> str:
    return f"{Decimal(amount) / 100:.2f}"


def check_credit_code(value: str, kind: str, problems: Problems) -> str | None:
    code = (blank_to_none(value) or "").upper()
    if len(code) != 18 or any(c not in _ALPHABET for c in code):
        problems.add(
            "INVALID_CREDIT_CODE",
            "a unified social credit code is 18 characters of 0-9 and A-Y without I, O, S, V, Z",
            "creditCode",
        )
        return None
    expected = gb32100_check_char(code[:17])
    if code[17] != expected:
        problems.add(
            "INVALID_CREDIT_CODE",
            f"check character is {code[17]}, GB 32100 gives {expected}",
            "creditCode",
        )
        return None
    if kind == "village_collective" and not (code[0] == "N" and code[1] in "123"):
        problems.add(
            "CREDIT_CODE_KIND_MISMATCH",
            "a village collective economic organisation's code starts with N1, N2 or N3",
            "creditCode",
        )
    if kind == "specialised_cooperative" and not code.startswith("93"):
        problems.add(
            "CREDIT_CODE_KIND_MISMATCH",
            "a farmers' specialised cooperative's code starts with 93",
            "creditCode",
        )
    return code


def check_name(value: str | None, problems: Problems) -> str | None:
    name = blank_to_none(value)
    if name is None or len(name) > 100:
        problems.add("INVALID_INPUT", "a name has 1 to 100 characters", "name")
        return None
    return name


def account_values(
    data: Any, previous_closing: int | None, problems: Problems
) -> dict[str, int] | None:
    """The account in fen, derived amounts filled in, given ones checked against the
    identities; every broken identity reported."""
    amounts = {
        name: fen(getattr(data, name), field, problems)
        for name, field in (
            ("revenue", "revenue"),
            ("expenses", "expenses"),
            ("income", "income"),
            ("opening_undistributed", "openingUndistributed"),
            ("distributable", "distributable"),
            ("reserve_fund", "reserveFund"),
            ("welfare_fund", "welfareFund"),
            ("investor_returns", "investorReturns"),
            ("dividend_pool", "dividendPool"),
            ("other_distributions", "otherDistributions"),
            ("closing_undistributed", "closingUndistributed"),
        )
    }
    if len(problems):
        return None
    for name, field in (
        ("revenue", "revenue"),
        ("expenses", "expenses"),
        ("reserve_fund", "reserveFund"),
        ("welfare_fund", "welfareFund"),
        ("investor_returns", "investorReturns"),
        ("dividend_pool", "dividendPool"),
        ("other_distributions", "otherDistributions"),
    ):
        if amounts[name] is not None and amounts[name] < 0:  # type: ignore[operator]
            problems.add("INVALID_INPUT", f"{field} cannot be negative", field)
    revenue, expenses = amounts["revenue"], amounts["expenses"]
    assert revenue is not None and expenses is not None
    income = revenue - expenses
    if amounts["income"] is not None and amounts["income"] != income:
        problems.add(
            "INCOME_IDENTITY",
            f"income {yuan(amounts['income'])} must equal revenue - expenses = {yuan(income)}",
            "income",
        )
    opening = amounts["opening_undistributed"]
    if opening is None:
        opening = previous_closing or 0
    elif previous_closing is not None and opening != previous_closing:
        problems.add(
            "OPENING_CARRY_OVER",
            f"opening undistributed income {yuan(opening)} must equal last year's closing "
            f"{yuan(previous_closing)}",
            "openingUndistributed",
        )
    distributable = income + opening
    if amounts["distributable"] is not None and amounts["distributable"] != distributable:
        problems.add(
            "DISTRIBUTABLE_IDENTITY",
            f"distributable income {yuan(amounts['distributable'])} must equal income + opening "
            f"undistributed = {yuan(distributable)}",
            "distributable",
        )
    funds = amounts["reserve_fund"] + amounts["welfare_fund"] + amounts["investor_returns"]  # type: ignore[operator]
    pool = amounts["dividend_pool"]
    assert pool is not None
    if pool > distributable - funds:
        problems.add(
            "POOL_LIMIT",
            f"the dividend pool {yuan(pool)} exceeds distributable income - reserve fund - "
            f"welfare fund - investor returns = {yuan(distributable - funds)}",
            "dividendPool",
        )
    closing = distributable - funds - pool - amounts["other_distributions"]  # type: ignore[operator]
    given_closing = amounts["closing_undistributed"]
    if given_closing is not None and given_closing != closing:
        problems.add(
            "CLOSING_IDENTITY",
            f"closing undistributed income {yuan(given_closing)} must equal distributable - "
            f"reserve - welfare - investor returns - dividend pool - other = {yuan(closing)}",
            "closingUndistributed",
        )
    return {
        "revenue_fen": revenue,
        "expenses_fen": expenses,
        "income_fen": income,
        "opening_undistributed_fen": opening,
        "distributable_fen": distributable,
        "reserve_fund_fen": amounts["reserve_fund"],  # type: ignore[dict-item]
        "welfare_fund_fen": amounts["welfare_fund"],  # type: ignore[dict-item]
        "investor_returns_fen": amounts["investor_returns"],  # type: ignore[dict-item]
        "dividend_pool_fen": pool,
        "other_distributions_fen": amounts["other_distributions"],  # type: ignore[dict-item]
        "closing_undistributed_fen": closing,
    }


async def distribution_values(
    conn: asyncpg.Connection,
    enterprise: int,
    pool: int,
    data: Any,
    prefix: str,
    problems: Problems,
) -> writes.DistributionValues | None:
    """Lines computed (no ``lines`` given) or checked against the rule the database holds."""
    basis = db_label(data.basis)
    if pool <= 0:
        problems.add(
            "NO_DIVIDEND_POOL", "a distribution needs a dividend pool above 0", "dividendPool"
        )
        return None
    if data.paid_on is not None and data.paid_on < data.record_date:
        problems.add("INVALID_INPUT", "payment precedes the record date", f"{prefix}.paidOn")
    eligible = await writes.eligible(conn, enterprise, basis, data.record_date)
    if not eligible:
        problems.add(
            "MISSING_LINE",
            f"no member household takes part ({basis}) on {data.record_date}",
            f"{prefix}.recordDate",
        )
        return None
    expected = writes.allocate(pool, sorted(eligible.items()))
    if data.lines is None:
        lines = tuple((h, eligible[h], expected[h]) for h in sorted(eligible))
        return writes.DistributionValues(basis, data.record_date, data.paid_on, pool, lines)
    given: dict[int, tuple[int, int]] = {}
    for i, line in enumerate(data.lines):
        field = f"{prefix}.lines.{i}"
        household = parse_key(line.household_id, "Household", f"{field}.householdId", problems)
        amount = fen(line.amount, f"{field}.amount", problems)
        if household is None or amount is None:
            continue
        if household in given:
            problems.add("INVALID_INPUT", "a household has two lines", f"{field}.householdId")
            continue
        if household not in eligible:
            problems.add(
                "NOT_A_MEMBER",
                f"household {line.household_id} does not take part ({basis}) on "
                f"{data.record_date}: only member households get dividends",
                f"{field}.householdId",
            )
            continue
        units = eligible[household] if line.units is None else line.units
        if units != eligible[household]:
            problems.add(
                "LINE_UNITS",
                f"the line counts {units} units; by {basis} on {data.record_date} the household "
                f"has {eligible[household]}",
                f"{field}.units",
            )
        elif amount != expected[household]:
            problems.add(
                "ALLOCATION",
                f"{yuan(amount)} yuan is not the household's share: {yuan(expected[household])} "
                "(pool x units / total units, largest remainder)",
                f"{field}.amount",
            )
        given[household] = (units, amount)
    for household in sorted(set(eligible) - set(given)):
        problems.add(
            "MISSING_LINE",
            f"member household {household} takes part ({basis}) on {data.record_date} but has "
            "no line",
            f"{prefix}.lines",
        )
    total = sum(a for _, a in given.values())
    if total != pool:
        problems.add(
            "LINES_SUM",
            f"the lines sum to {yuan(total)} yuan, the dividend pool is {yuan(pool)}",
            f"{prefix}.lines",
        )
    lines = tuple((h, u, a) for h, (u, a) in sorted(given.items()))
    return writes.DistributionValues(basis, data.record_date, data.paid_on, pool, lines)
