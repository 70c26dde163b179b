"""Enums and inputs of the audit runs API. Filter field names are the mapping's filter
names (db/audit_runs_mapping.py); order defaults are the mapping's defaults."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from schema.common import OrderDirection
from schema.reports_inputs import FindingSeverity, Month


@strawberry.enum(description="How a check of an audit run ended.")
class AuditCheckStatus(Enum):
    PASSED = strawberry.enum_value("passed", description="No failing row.")
    FAILED = strawberry.enum_value("failed", description="Failing rows, each a finding.")
    BROKEN = strawberry.enum_value(
        "broken", description="The check itself failed (see error); not a clean result."
    )


@strawberry.enum(description="Where a finding's follow-up stands.")
class AuditFindingStatus(Enum):
    OPEN = strawberry.enum_value("open", description="Nobody has acted on it yet.")
    FOLLOW_UP = strawberry.enum_value(
        "follow_up", description="Marked for follow-up (or reopened after closing)."
    )
    CLOSED = strawberry.enum_value("closed", description="Closed, with a note.")


@strawberry.input(description="Filters on audit runs; all given conditions must hold.")
class AuditRunFilter:
    suite: str | None = strawberry.field(default=None, description="Runs that ran this suite.")
    area_code: str | None = strawberry.field(
        default=None, description="Runs scoped to this area or an area inside it."
    )
    period: Month | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Runs limited to this month."
    )
    started_from: dt.datetime | None = strawberry.field(
        default=None, description="Started at or after."
    )
    started_before: dt.datetime | None = strawberry.field(
        default=None, description="Started before."
    )


@strawberry.enum
class AuditRunOrderField(Enum):
    ID = "ID"
    STARTED_AT = "STARTED_AT"


@strawberry.input(description="Runs in creation order (ID) or by start time; latest first.")
class AuditRunOrder:
    field: AuditRunOrderField = AuditRunOrderField.ID
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input(description="Filters on findings; all given conditions must hold.")
class AuditFindingFilter:
    suite: str | None = None
    rule: str | None = strawberry.field(default=None, description="R1, C1, K2...")
    severity: FindingSeverity | None = None
    status: AuditFindingStatus | None = None
    target_type: str | None = strawberry.field(
        default=None,
        description="resident, household, monthly_report or area (the suites' targets).",
    )


@strawberry.enum
class AuditFindingOrderField(Enum):
    ID = "ID"
    RULE = "RULE"
    SEVERITY = "SEVERITY"


@strawberry.input(description="Findings in the order found (ID), or by rule or severity.")
class AuditFindingOrder:
    field: AuditFindingOrderField = AuditFindingOrderField.ID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="What to audit. Everything left out: every suite, everywhere.")
class RunAuditInput:
    suites: list[str] | None = strawberry.field(
        default=None, description="Suite names (residents, reports, reconciliation)."
    )
    area_code: str | None = strawberry.field(
        default=None,
        description="Audit only this area's subtree. An auditor whose token names an area "
        "audits that area when left out, and only areas inside it.",
    )
    period: Month | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Audit only this month."
    )


@strawberry.input
class FollowUpFindingInput:
    id: strawberry.ID = strawberry.field(description="The finding (AuditFinding.id).")
    note: str | None = strawberry.field(default=None, description="At most 2000 characters.")


@strawberry.input
class CloseFindingInput:
    id: strawberry.ID = strawberry.field(description="The finding (AuditFinding.id).")
    note: str | None = strawberry.field(
        default=None,
        description="Why it is closed: required (NOTE_REQUIRED without), 1-2000 characters.",
    )
