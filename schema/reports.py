"""Monthly community reports: submissions, report versions, validation runs, quarantine."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import Info, relay

from resolvers import community as read
from resolvers import reports as intake_api
from schema.common import Connection, connection, from_record
from schema.community import Area, nodes_of
from schema.reports_inputs import (
    FindingSeverity,
    IntakeSource,
    Month,
    QuarantineStatus,
)


@strawberry.type(description="A rule's finding on a row, as the contract's result has it.")
class RuleFinding:
    rule: str = strawberry.field(description="E1-E10 reject the row; W1-W4 warn.")
    message: str


@strawberry.type(description="A finding of a validation run, with the row it concerns.")
class Finding:
    row: int = strawberry.field(description="1-based data row of the submission.")
    area_code: str | None
    period: str | None
    rule: str
    severity: FindingSeverity
    message: str


def _finding(r: Any) -> Finding:
    return Finding(
        row=r["source_row"],
        area_code=r["area_code"],
        period=r["period"],
        rule=r["rule"],
        severity=FindingSeverity(r["severity"]),
        message=r["message"],
    )


@strawberry.federation.type(keys=["id"], description="A village's monthly report, one version.")
class MonthlyReport(relay.Node):
    id: relay.NodeID[int]
    period: Month  # type: ignore[valid-type]
    version: int = strawberry.field(
        description="1 for the first report of the month, +1 per revision."
    )
    is_current: bool = strawberry.field(description="No later version of this month exists.")
    households: int
    residents: int
    party_members: int
    requests_open_start: int
    requests_received: int
    requests_resolved: int
    requests_open_end: int
    feedback_received: int
    feedback_satisfied: int
    volunteers_active: int
    volunteer_hours: Decimal
    activities_held: int
    collective_income: Decimal = strawberry.field(description="Yuan.")
    dividends_paid: Decimal = strawberry.field(description="Yuan.")
    dividend_households: int
    submitted_by: str = strawberry.field(description="Who filled in the report.")
    created_at: dt.datetime
    run_id: strawberry.ID = strawberry.field(
        description="The validation run that stored this version (Query.validationRun)."
    )
    area_id: strawberry.Private[int]
    source_row: strawberry.Private[int]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> MonthlyReport | None:
        row = await read.by_key(info, "MonthlyReport", int(relay.GlobalID.from_id(id).node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field(description="The village/community reporting.")
    async def area(self, info: Info) -> Area:
        return from_record(Area, await read.one(info, "MonthlyReport", "area", self))

    @strawberry.field(
        description="Every version of this area's report for this month, latest first."
    )
    async def versions(self, info: Info) -> list[MonthlyReport]:
        rows = await read.listed(info, "MonthlyReport", "versions", self.id)
        return [from_record(MonthlyReport, r) for r in rows]

    @strawberry.field(description="Warnings (W rules) found when this version was stored.")
    async def warnings(self, info: Info) -> list[Finding]:
        rows = await intake_api.row_findings(info, uuid.UUID(self.run_id), self.source_row)
        return [_finding(r) for r in rows if r["severity"] == "warning"]


@strawberry.type(description="One submission's validation: who, when, which suite, what was found.")
class ValidationRun:
    id: strawberry.ID
    suite: str
    suite_version: str = strawberry.field(description="Hash of the suite file that judged it.")
    submitted_by: str = strawberry.field(description="Who submitted (the principal).")
    source: IntakeSource
    dry_run: bool
    atomic: bool
    revise: bool
    rows: int
    accepted: int
    rejected: int
    warnings: int = strawberry.field(description="Warning findings, on any row.")
    stored: bool
    started_at: dt.datetime
    finished_at: dt.datetime

    @strawberry.field(description="Findings in row order, optionally of one rule or severity.")
    async def findings(
        self,
        info: Info,
        rule: str | None = None,
        severity: FindingSeverity | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Finding]:
        page, count = await intake_api.findings(
            info, uuid.UUID(self.id), rule, severity.value if severity else None, first, after
        )
        return page_connection(page, count, "id", _finding)

    @strawberry.field(description="The rows this run rejected, as quarantined.")
    async def quarantined(self, info: Info) -> list[QuarantinedReport]:
        return [
            _quarantined(r) for r in await intake_api.quarantined_of_run(info, uuid.UUID(self.id))
        ]


def _run(r: Any) -> ValidationRun:
    return ValidationRun(
        id=strawberry.ID(str(r["id"])),
        suite=r["suite"],
        suite_version=r["suite_version"],
        submitted_by=r["submitted_by"],
        source=IntakeSource(r["source"]),
        dry_run=r["dry_run"],
        atomic=r["atomic"],
        revise=r["revise"],
        rows=r["rows"],
        accepted=r["accepted"],
        rejected=r["rejected"],
        warnings=r["warnings"],
        stored=r["stored"],
        started_at=r["started_at"],
        finished_at=r["finished_at"],
    )


@strawberry.type(description="A report row as submitted, column by column (text).")
class ReportValues:
    area_code: str | None
    period: str | None
    households: str | None
    residents: str | None
    party_members: str | None
    requests_open_start: str | None
    requests_received: str | None
    requests_resolved: str | None
    requests_open_end: str | None
    feedback_received: str | None
    feedback_satisfied: str | None
    volunteers_active: str | None
    volunteer_hours: str | None
    activities_held: str | None
    collective_income: str | None
    dividends_paid: str | None
    dividend_households: str | None
    submitted_by: str | None


@strawberry.type(description="A rejected report row, kept with its findings to be corrected.")
class QuarantinedReport:
    id: strawberry.ID
    row: int = strawberry.field(description="Its data row in the submission.")
    area_code: str | None
    period: str | None
    values: ReportValues
    findings: list[Finding]
    status: QuarantineStatus
    resolved_by: str | None
    resolved_at: dt.datetime | None
    note: str | None
    created_at: dt.datetime
    run_id: strawberry.Private[uuid.UUID]
    previous_id: strawberry.Private[int | None]
    resolved_run_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The run that rejected it.")
    async def run(self, info: Info) -> ValidationRun:
        return _run(await intake_api.run(info, self.run_id))

    @strawberry.field(description="The run that took up its correction or resubmission.")
    async def resolved_run(self, info: Info) -> ValidationRun | None:
        if self.resolved_run_id is None:
            return None
        return _run(await intake_api.run(info, self.resolved_run_id))

    @strawberry.field(description="The quarantined row this one corrects, if any.")
    async def previous(self, info: Info) -> QuarantinedReport | None:
        if self.previous_id is None:
            return None
        row = await intake_api.quarantined(info, self.previous_id)
        return None if row is None else _quarantined(row)


def _quarantined(r: Any) -> QuarantinedReport:
    values = r["raw_values"]
    return QuarantinedReport(
        id=strawberry.ID(str(r["id"])),
        row=r["source_row"],
        area_code=r["area_code"],
        period=r["period"],
        values=ReportValues(**{f: values.get(f) for f in ReportValues.__annotations__}),
        findings=[
            Finding(
                row=r["source_row"],
                area_code=r["area_code"],
                period=r["period"],
                rule=f["rule"],
                severity=FindingSeverity(f["severity"]),
                message=f["message"],
            )
            for f in r["findings"]
        ],
        status=QuarantineStatus(r["status"]),
        resolved_by=r["resolved_by"],
        resolved_at=r["resolved_at"],
        note=r["note"],
        created_at=r["created_at"],
        run_id=r["run_id"],
        previous_id=r["previous_id"],
        resolved_run_id=r["resolved_run_id"],
    )


def page_connection(page: Any, count: Any, key: str, make: Any) -> Connection[Any]:
    """A keyset page as a connection: the cursor is the row's key, walked forward only."""
    return connection(
        ((str(r[key]), make(r)) for r in page.rows),
        has_next=page.has_next,
        has_previous=False,
        count=count,
    )
