"""Scalars, enums and inputs of the monthly report API. Filter field names are the
mapping's filter names (db/reports_mapping.py)."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from enum import Enum
from typing import Any, NewType

import strawberry

from schema.common import OrderDirection

_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


def _parse_month(value: Any) -> dt.date:
    if not isinstance(value, str) or not _MONTH.match(value):
        raise ValueError(f"{value!r} is not a month written YYYY-MM")
    return dt.date(int(value[:4]), int(value[5:7]), 1)


def _serialize_month(value: Any) -> str:
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    return str(value)


# Strawberry 0.341 would have custom scalars declared in the Schema's config (scalar_map);
# the Schema is shared by every domain (schema/errors.py), so until it takes a map from
# each domain this uses the older, deprecated but supported, class form.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    Month = strawberry.scalar(
        NewType("Month", str),
        name="Month",
        description="A calendar month, written YYYY-MM (2026-10).",
        serialize=_serialize_month,
        parse_value=_parse_month,
    )


@strawberry.enum(description="Whether a finding rejects its row (ERROR) or only warns.")
class FindingSeverity(Enum):
    ERROR = "error"
    WARNING = "warning"


@strawberry.enum(description="Where a validation run's submission came from.")
class IntakeSource(Enum):
    CLI = "cli"
    GRAPHQL = "graphql"


@strawberry.enum(description="What became of a quarantined (rejected) report row.")
class QuarantineStatus(Enum):
    OPEN = strawberry.enum_value("open", description="Waiting to be corrected or dismissed.")
    CORRECTED = strawberry.enum_value(
        "corrected", description="Corrected values were submitted (see resolvedRun)."
    )
    RESUBMITTED = strawberry.enum_value(
        "resubmitted", description="Submitted again unchanged (see resolvedRun)."
    )
    DISMISSED = strawberry.enum_value("dismissed", description="Dropped, with a note.")


@strawberry.enum
class MonthlyReportOrderField(Enum):
    PERIOD = "PERIOD"
    ID = "ID"


@strawberry.input
class MonthlyReportOrder:
    field: MonthlyReportOrderField = MonthlyReportOrderField.PERIOD
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Filters on monthly reports; all given conditions must hold.")
class MonthlyReportFilter:
    period: Month | None = None  # type: ignore[valid-type]
    period_from: Month | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="From this month on (inclusive)."
    )
    period_to: Month | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Up to this month (inclusive)."
    )


_TEXT = (
    "As in the CSV file: text, checked by the suite (integers as digits, decimals with "
    "their places); null or empty is a missing value (rule E1)."
)


@strawberry.input(
    description="One monthly report row, column by column as in reports.csv. " + _TEXT
)
class MonthlyReportInput:
    area_code: str | None = None
    period: str | None = None
    households: str | None = None
    residents: str | None = None
    party_members: str | None = None
    requests_open_start: str | None = None
    requests_received: str | None = None
    requests_resolved: str | None = None
    requests_open_end: str | None = None
    feedback_received: str | None = None
    feedback_satisfied: str | None = None
    volunteers_active: str | None = None
    volunteer_hours: str | None = None
    activities_held: str | None = None
    collective_income: str | None = None
    dividends_paid: str | None = None
    dividend_households: str | None = None
    submitted_by: str | None = None


@strawberry.input(description="Monthly reports to validate and store: `rows` or `csv`, not both.")
class SubmitMonthlyReportsInput:
    rows: list[MonthlyReportInput] | None = None
    csv: str | None = strawberry.field(
        default=None, description="The text of a reports.csv file (header row and data rows)."
    )
    dry_run: bool = strawberry.field(default=False, description="Validate only; store nothing.")
    atomic: bool = strawberry.field(
        default=False,
        description="Store the reports only if every row is accepted; otherwise store only "
        "the validation run and the quarantined rows.",
    )
    revise: bool = strawberry.field(
        default=False,
        description="Rows revise stored reports: each becomes a new version, earlier kept.",
    )


@strawberry.input
class CorrectQuarantinedReportInput:
    id: strawberry.ID = strawberry.field(description="The open quarantined report.")
    values: MonthlyReportInput = strawberry.field(description="The whole corrected row.")
    revise: bool = strawberry.field(
        default=False, description="The row revises a report already stored."
    )


@strawberry.input
class ResubmitQuarantinedReportInput:
    id: strawberry.ID
    revise: bool = False


@strawberry.input
class DismissQuarantinedReportInput:
    id: strawberry.ID
    note: str | None = strawberry.field(default=None, description="Why (at most 1000 chars).")


@strawberry.input(description="Filters on quarantined reports; all given conditions must hold.")
class QuarantineFilter:
    area_code: str | None = strawberry.field(
        default=None, description="Rows of this area's subtree, or naming this code."
    )
    period: str | None = strawberry.field(default=None, description="As submitted (YYYY-MM).")
    status: QuarantineStatus | None = None


@strawberry.input
class ValidationRunFilter:
    source: IntakeSource | None = None
    submitted_by: str | None = None
