"""Root fields of the monthly report domain: submitting, quarantine, validation runs."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import Info

from resolvers import reports as api
from schema.common import Connection, from_record
from schema.reports import (
    MonthlyReport,
    QuarantinedReport,
    RuleFinding,
    ValidationRun,
    _quarantined,
    _run,
    page_connection,
)
from schema.reports_inputs import (
    CorrectQuarantinedReportInput,
    DismissQuarantinedReportInput,
    QuarantineFilter,
    ResubmitQuarantinedReportInput,
    SubmitMonthlyReportsInput,
    ValidationRunFilter,
)
from validation.report_rows import UnusableInput
from validation.reports_intake import IntakeResult, Options


@strawberry.type(description="One row's verdict, as in the contract's result.")
class ReportRowResult:
    row: int = strawberry.field(description="1-based data row (the header not counted).")
    area_code: str | None
    period: str | None
    errors: list[RuleFinding]
    warnings: list[RuleFinding]
    version: strawberry.Private[int | None]
    quarantine_id: strawberry.Private[int | None]

    @strawberry.field(description="The report version stored for an accepted row, if stored.")
    async def report(self, info: Info) -> MonthlyReport | None:
        if self.version is None or self.area_code is None:
            return None
        row = await api.stored_report(info, self.area_code, self.period or "", self.version)
        return None if row is None else from_record(MonthlyReport, row)

    @strawberry.field(description="Where a rejected row was quarantined (not for a dry run).")
    async def quarantined(self, info: Info) -> QuarantinedReport | None:
        if self.quarantine_id is None:
            return None
        row = await api.quarantined(info, self.quarantine_id)
        return None if row is None else _quarantined(row)


@strawberry.type(
    description="A submission's result: the same information as the CLI's --format json."
)
class ReportSubmission:
    run_id: strawberry.ID
    suite: str
    rows: int
    stored: bool = strawberry.field(
        description="False for a dry run and for an atomic submission with a rejected row."
    )
    accepted: list[ReportRowResult]
    rejected: list[ReportRowResult]

    @strawberry.field(description="The stored validation run (null for a dry run).")
    async def run(self, info: Info) -> ValidationRun | None:
        row = await api.run(info, api.run_id(self.run_id))
        return None if row is None else _run(row)


@strawberry.type(description="The input could not be used at all (the CLI's exit status 2).")
class SubmissionUnusable:
    reason: str


@strawberry.enum
class QuarantineErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    NOT_OPEN = "NOT_OPEN"


@strawberry.type(description="The quarantined report cannot be acted on.")
class QuarantineActionFailed:
    code: QuarantineErrorCode
    message: str


SubmitMonthlyReportsResult = Annotated[
    ReportSubmission | SubmissionUnusable, strawberry.union("SubmitMonthlyReportsResult")
]
QuarantineResubmitResult = Annotated[
    ReportSubmission | QuarantineActionFailed, strawberry.union("QuarantineResubmitResult")
]
QuarantineDismissResult = Annotated[
    QuarantinedReport | QuarantineActionFailed, strawberry.union("QuarantineDismissResult")
]


def _findings(items: Any) -> list[RuleFinding]:
    return [RuleFinding(rule=f.rule, message=f.message) for f in items]


def submission(result: IntakeResult) -> ReportSubmission:
    def row(v: Any) -> ReportRowResult:
        return ReportRowResult(
            row=v.row,
            area_code=v.area_code,
            period=v.period,
            errors=_findings(v.errors),
            warnings=_findings(v.warnings),
            version=v.version,
            quarantine_id=v.quarantine_id,
        )

    return ReportSubmission(
        run_id=strawberry.ID(str(result.run_id)),
        suite=result.suite,
        rows=len(result.verdicts),
        stored=result.stored,
        accepted=[row(v) for v in result.accepted],
        rejected=[row(v) for v in result.rejected],
    )


def _failed(refused: api.Refused) -> QuarantineActionFailed:
    return QuarantineActionFailed(code=QuarantineErrorCode(refused.code), message=refused.message)


def _quarantine_key(value: strawberry.ID) -> int:
    try:
        return int(value)
    except ValueError:
        return 0  # no such row: NOT_FOUND


@strawberry.type
class ReportQuery:
    @strawberry.field(description="A validation run by id.")
    async def validation_run(self, info: Info, id: strawberry.ID) -> ValidationRun | None:
        row = await api.run(info, api.run_id(id))
        return None if row is None else _run(row)

    @strawberry.field(description="Validation runs, the latest first.")
    async def validation_runs(
        self,
        info: Info,
        filter: ValidationRunFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ValidationRun]:
        f = filter or ValidationRunFilter()
        page, count = await api.runs(
            info, f.source.value if f.source else None, f.submitted_by, first, after
        )
        return page_connection(page, count, "seq", _run)

    @strawberry.field(description="Rejected report rows, the latest first.")
    async def quarantined_reports(
        self,
        info: Info,
        filter: QuarantineFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[QuarantinedReport]:
        f = filter or QuarantineFilter()
        page, count = await api.quarantine(
            info, f.area_code, f.period, f.status.value if f.status else None, first, after
        )
        return page_connection(page, count, "id", _quarantined)

    @strawberry.field
    async def quarantined_report(self, info: Info, id: strawberry.ID) -> QuarantinedReport | None:
        row = await api.quarantined(info, _quarantine_key(id))
        return None if row is None else _quarantined(row)


@strawberry.type
class ReportMutation:
    @strawberry.mutation(
        description="Validate monthly reports (rules E1-E10, W1-W4) and store them: the CLI's "
        "`gongzhi reports import`, with the same options and result."
    )
    async def submit_monthly_reports(
        self, info: Info, input: SubmitMonthlyReportsInput
    ) -> SubmitMonthlyReportsResult:
        rows = None if input.rows is None else [api.input_values(r) for r in input.rows]
        options = Options(dry_run=input.dry_run, atomic=input.atomic, revise=input.revise)
        result = await api.submit(info, rows, input.csv, options)
        if isinstance(result, UnusableInput):
            return SubmissionUnusable(reason=str(result))
        return submission(result)

    @strawberry.mutation(
        description="Submit corrected values for an open quarantined row: stored if now "
        "accepted, else quarantined again (a new entry pointing back at this one)."
    )
    async def correct_quarantined_report(
        self, info: Info, input: CorrectQuarantinedReportInput
    ) -> QuarantineResubmitResult:
        result = await api.correct(
            info, _quarantine_key(input.id), api.input_values(input.values), input.revise
        )
        return _failed(result) if isinstance(result, api.Refused) else submission(result)

    @strawberry.mutation(
        description="Submit an open quarantined row again unchanged, e.g. after its village "
        "was registered or the previous month stored."
    )
    async def resubmit_quarantined_report(
        self, info: Info, input: ResubmitQuarantinedReportInput
    ) -> QuarantineResubmitResult:
        result = await api.resubmit(info, _quarantine_key(input.id), input.revise)
        return _failed(result) if isinstance(result, api.Refused) else submission(result)

    @strawberry.mutation(description="Drop an open quarantined row, with a note why.")
    async def dismiss_quarantined_report(
        self, info: Info, input: DismissQuarantinedReportInput
    ) -> QuarantineDismissResult:
        result = await api.dismiss(info, _quarantine_key(input.id), input.note)
        return _failed(result) if isinstance(result, api.Refused) else _quarantined(result)
