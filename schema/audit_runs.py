"""Audit runs (data-quality suites over stored data), their findings and follow-up, for
auditors and admins. Not the audit log of mutations (schema/audit.py)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info, relay
from strawberry.scalars import JSON

from resolvers import audit_runs as api
from resolvers import community as read
from schema.audit_runs_inputs import (
    AuditCheckStatus,
    AuditFindingFilter,
    AuditFindingOrder,
    AuditFindingStatus,
    AuditRunFilter,
    AuditRunOrder,
)
from schema.common import Connection, from_record
from schema.community import Area, Household, Resident, nodes_of, related, root_connection
from schema.reports import MonthlyReport

if TYPE_CHECKING:  # lazy at run time
    from schema.petitions import Petition
from schema.reports_inputs import FindingSeverity, IntakeSource, Month


@strawberry.type(description="One check of a run: its rule, how it ended, how many rows failed.")
class AuditCheck:
    rule: str
    severity: FindingSeverity
    description: str
    status: AuditCheckStatus
    failing: int = strawberry.field(description="Failing rows, each a finding of the run.")
    error: str | None = strawberry.field(description="Why the check broke (status BROKEN).")
    milliseconds: int = strawberry.field(description="How long the check's query took.")


@strawberry.type(description="A suite's part of a run: the suite, its version, its checks.")
class AuditSuiteResult:
    suite: str
    version: str = strawberry.field(description="Hash of the suite file that ran.")
    checks: list[AuditCheck] = strawberry.field(description="In the suite's order.")


def _check(r: Any) -> AuditCheck:
    return AuditCheck(
        rule=r["rule"],
        severity=FindingSeverity(r["severity"]),
        description=r["description"],
        status=AuditCheckStatus(r["status"]),
        failing=r["failing"],
        error=r["error"],
        milliseconds=r["milliseconds"],
    )


@strawberry.type(description="A step of a finding's follow-up.")
class AuditFindingEvent:
    status: AuditFindingStatus = strawberry.field(description="The status it moved to.")
    note: str | None
    subject: str = strawberry.field(description="Who (the token's subject).")
    at: dt.datetime


@strawberry.federation.type(
    keys=["id"], description="A failing row found by an audit check, with its follow-up."
)
class AuditFinding(relay.Node):
    id: relay.NodeID[int]
    suite: str
    rule: str
    severity: FindingSeverity
    message: str
    target_type: str = strawberry.field(
        description="What failed: resident, household, monthly_report, petition (by id) or area "
        "(by code)."
    )
    target_id: str
    period: Month | None = strawberry.field(  # type: ignore[valid-type]
        description="The month concerned, for report checks."
    )
    fingerprint: str = strawberry.field(
        description="suite/rule/target type/target id[/month]: the same problem in every run."
    )
    details: JSON = strawberry.field(description="The check query's values for this row.")
    status: AuditFindingStatus = strawberry.field(
        description="Of the problem (its fingerprint): a later run's finding of the same "
        "problem carries the follow-up."
    )
    resident_id: strawberry.Private[int | None]
    household_id: strawberry.Private[int | None]
    monthly_report_id: strawberry.Private[int | None]
    petition_id: strawberry.Private[int | None]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> AuditFinding | None:
        row = await read.by_key(info, "AuditFinding", int(relay.GlobalID.from_id(id).node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field(
        description="The run that found it; null for an auditor with an area when the run "
        "covered more than that area."
    )
    async def run(self, info: Info) -> AuditRun | None:
        row = await read.one(info, "AuditFinding", "run", self)
        return None if row is None else from_record(AuditRun, row)

    @strawberry.field(description="The area of the failing row (the area itself for area targets).")
    async def area(self, info: Info) -> Area | None:
        row = await read.one(info, "AuditFinding", "area", self)
        return None if row is None else from_record(Area, row)

    @strawberry.field(description="The resident, when the target is one (and still exists).")
    async def resident(self, info: Info) -> Resident | None:
        row = await read.one(info, "AuditFinding", "resident", self)
        return None if row is None else from_record(Resident, row)

    @strawberry.field(description="The household, when the target is one (and still exists).")
    async def household(self, info: Info) -> Household | None:
        row = await read.one(info, "AuditFinding", "household", self)
        return None if row is None else from_record(Household, row)

    @strawberry.field(description="The report version, when the target is one.")
    async def monthly_report(self, info: Info) -> MonthlyReport | None:
        row = await read.one(info, "AuditFinding", "monthly_report", self)
        return None if row is None else from_record(MonthlyReport, row)

    @strawberry.field(description="The petition, when the target is one (and you may read it).")
    async def petition(
        self, info: Info
    ) -> Annotated[Petition, strawberry.lazy("schema.petitions")] | None:
        from schema.petitions import Petition

        row = await read.one(info, "AuditFinding", "petition", self)
        return None if row is None else from_record(Petition, row)

    @strawberry.field(description="Follow-up of the problem, oldest first (empty while open).")
    async def history(self, info: Info) -> list[AuditFindingEvent]:
        rows = await read.listed(info, "AuditFinding", "history", self.id)
        return [from_record(AuditFindingEvent, r) for r in rows]


@strawberry.federation.type(
    keys=["id"], description="One audit: the suites run over a scope, what each check found."
)
class AuditRun(relay.Node):
    id: relay.NodeID[int]
    run_id: str = strawberry.field(
        description="The run's UUID, as `gongzhi audit run` prints it (auditRun takes either)."
    )
    area_code: str | None = strawberry.field(description="The area audited; null: everywhere.")
    period: Month | None = strawberry.field(  # type: ignore[valid-type]
        description="The month audited; null: every month."
    )
    started_by: str
    source: IntakeSource = strawberry.field(description="CLI or GRAPHQL (runAudit).")
    started_at: dt.datetime
    finished_at: dt.datetime
    check_count: int
    failed_check_count: int
    broken_check_count: int = strawberry.field(
        description="Checks that failed to run: not a clean result."
    )
    finding_count: int
    docs_url: str = strawberry.field(
        description="Great Expectations' Data Docs of the run, relative to this service "
        "(send the same bearer token)."
    )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await nodes_of(cls, info, node_ids, required)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> AuditRun | None:
        row = await read.by_key(info, "AuditRun", int(relay.GlobalID.from_id(id).node_id))
        return None if row is None else from_record(cls, row)

    @strawberry.field(description="Each suite run, with its checks and their counts.")
    async def suites(self, info: Info) -> list[AuditSuiteResult]:
        return [
            AuditSuiteResult(suite=s.suite, version=s.version, checks=[_check(c) for c in s.checks])
            for s in await api.suites(info, self.run_id)
        ]

    @strawberry.field(description="The area audited (null: everywhere).")
    async def area(self, info: Info) -> Area | None:
        rows = await read.listed(info, "AuditRun", "area", self.id)
        return from_record(Area, rows[0]) if rows else None

    @strawberry.field(description="The run's findings, in the order found by default.")
    async def findings(
        self,
        info: Info,
        filter: AuditFindingFilter | None = None,
        order_by: AuditFindingOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AuditFinding]:
        return await related(
            info,
            AuditFinding,
            "AuditRun",
            "findings",
            self.id,
            order_by or AuditFindingOrder(),
            filter,
            first,
            after,
            last,
            before,
        )


@strawberry.type(description="Two runs' findings matched by fingerprint.")
class AuditComparison:
    before: AuditRun
    after: AuditRun
    new: list[AuditFinding] = strawberry.field(description="Found by `after` only.")
    resolved: list[AuditFinding] = strawberry.field(
        description="Found by `before` only (its findings)."
    )
    persisting: list[AuditFinding] = strawberry.field(
        description="Found by both (`after`'s findings)."
    )


def comparison(c: api.Comparison) -> AuditComparison:
    def findings(change: str) -> list[AuditFinding]:
        return [from_record(AuditFinding, r) for r in c.changes[change]]

    return AuditComparison(
        before=from_record(AuditRun, c.before),
        after=from_record(AuditRun, c.after),
        new=findings("new"),
        resolved=findings("resolved"),
        persisting=findings("persisting"),
    )


@strawberry.type
class AuditRunQuery:
    @strawberry.field(description="Audit runs, the latest first (auditors and admins).")
    async def audit_runs(
        self,
        info: Info,
        filter: AuditRunFilter | None = None,
        order_by: AuditRunOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AuditRun]:
        return await root_connection(
            info, AuditRun, order_by or AuditRunOrder(), filter, first, after, last, before
        )

    @strawberry.field(description="An audit run by its id or its UUID (runId).")
    async def audit_run(self, info: Info, id: strawberry.ID) -> AuditRun | None:
        row = await api.run(info, id)
        return None if row is None else from_record(AuditRun, row)

    @strawberry.field(
        description="What changed between two runs (ids or UUIDs): findings new, resolved "
        "and persisting. Null when either run is unknown or not yours to see."
    )
    async def audit_comparison(
        self, info: Info, before: strawberry.ID, after: strawberry.ID
    ) -> AuditComparison | None:
        found = await api.comparison(info, before, after)
        return None if found is None else comparison(found)
