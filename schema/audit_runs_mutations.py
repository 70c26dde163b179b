"""Auditors' mutations: run an audit, follow up and close findings. Each returns a union:
the run or finding, or ``AuditMutationFailed`` listing every problem found at once."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import Info

from resolvers import audit_runs_mutations as write
from schema.audit_runs import AuditFinding, AuditRun
from schema.audit_runs_inputs import CloseFindingInput, FollowUpFindingInput, RunAuditInput
from schema.common import from_record


@strawberry.enum(description="Why an auditor's mutation was refused.")
class AuditErrorCode(Enum):
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN",
        description="Only auditors and admins; an auditor with an area only inside it.",
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="No such finding, not one you may see, or not a finding's id."
    )
    NOTE_REQUIRED = strawberry.enum_value(
        "NOTE_REQUIRED", description="Closing a finding needs a note (not blank)."
    )
    ILLEGAL_TRANSITION = strawberry.enum_value(
        "ILLEGAL_TRANSITION",
        description="Not allowed from the finding's status: open -> follow-up -> closed, "
        "open -> closed, closed -> follow-up (reopened).",
    )
    INVALID_INPUT = strawberry.enum_value(
        "INVALID_INPUT", description="A value is empty or too long (notes: 2000 characters)."
    )
    UNKNOWN_SUITE = strawberry.enum_value("UNKNOWN_SUITE", description="No audit suite so named.")
    UNKNOWN_AREA = strawberry.enum_value("UNKNOWN_AREA", description="No area has this code.")
    AUDIT_FAILED = strawberry.enum_value(
        "AUDIT_FAILED", description="The audit could not run (database or worker); nothing stored."
    )


@strawberry.type(description="One problem with an auditor's mutation.")
class AuditError:
    code: AuditErrorCode
    message: str
    field: str | None = strawberry.field(
        description="The input field it concerns (`note`, `areaCode`, `suites.1`), if one."
    )


@strawberry.type(description="The mutation was refused and nothing was written.")
class AuditMutationFailed:
    errors: list[AuditError] = strawberry.field(description="Every problem found, at least one.")


RunAuditResult = Annotated[AuditRun | AuditMutationFailed, strawberry.union("RunAuditResult")]
AuditFindingResult = Annotated[
    AuditFinding | AuditMutationFailed, strawberry.union("AuditFindingResult")
]


def _failed(problems: list[write.Problem]) -> AuditMutationFailed:
    return AuditMutationFailed(
        errors=[
            AuditError(code=AuditErrorCode(p.code), message=p.message, field=p.field)
            for p in problems
        ]
    )


def _result(cls: type, outcome: Any) -> Any:
    return _failed(outcome) if isinstance(outcome, list) else from_record(cls, outcome)


@strawberry.type
class AuditRunMutation:
    @strawberry.mutation(
        description="Run audit suites now and return the stored run (the CLI's `gongzhi audit "
        "run`; it takes seconds, within the request). Auditors and admins."
    )
    async def run_audit(self, info: Info, input: RunAuditInput | None = None) -> RunAuditResult:
        data = input or RunAuditInput()
        outcome = await write.run_audit(info, data.suites, data.area_code, data.period)
        return _result(AuditRun, outcome)

    @strawberry.mutation(description="Mark a finding (its problem) for follow-up, with a note.")
    async def follow_up_finding(
        self, info: Info, input: FollowUpFindingInput
    ) -> AuditFindingResult:
        return _result(AuditFinding, await write.follow_up(info, input.id, input.note))

    @strawberry.mutation(description="Close a finding (its problem) with a note saying why.")
    async def close_finding(self, info: Info, input: CloseFindingInput) -> AuditFindingResult:
        return _result(AuditFinding, await write.close(info, input.id, input.note))
