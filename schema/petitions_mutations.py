"""Mutations of petitions and cases, and their typed results (docs/petitions.md).

Every mutation returns the payload or ``PetitionMutationFailed`` with every problem found;
nothing is written when it fails. Changes of a petition take ``expectedVersion``.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import Info

from resolvers import petitions_cases as cases
from resolvers import petitions_mutations as write
from resolvers.petitions_checks import CODES
from schema.common import from_record
from schema.petitions import Petition, PetitionCase
from schema.petitions_inputs import (
    EventVisibility,
    PetitionChannel,
    ResponsibleKind,
    Satisfaction,
    TriageClass,
)


@strawberry.enum(description="Why a petition mutation was refused (docs/petitions.md).")
class PetitionErrorCode(Enum):
    INVALID_INPUT = strawberry.enum_value(
        "INVALID_INPUT", description="A value is missing, too long or malformed."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="No such object you may see, or the id names another type."
    )
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN", description="Your role may not do this, or not to this petition."
    )
    ILLEGAL_TRANSITION = strawberry.enum_value(
        "ILLEGAL_TRANSITION", description="The lifecycle does not allow this from the status."
    )
    VERSION_CONFLICT = strawberry.enum_value(
        "VERSION_CONFLICT",
        description="The petition changed since expectedVersion; reload and retry.",
    )
    IDEMPOTENCY_KEY_REUSED = strawberry.enum_value(
        "IDEMPOTENCY_KEY_REUSED",
        description="You used this idempotency key for a different submission.",
    )
    UNKNOWN_CATEGORY = strawberry.enum_value("UNKNOWN_CATEGORY", description="No such category.")
    UNKNOWN_AREA = strawberry.enum_value("UNKNOWN_AREA", description="No area has this code.")
    UNKNOWN_DEPARTMENT = strawberry.enum_value(
        "UNKNOWN_DEPARTMENT", description="No department has this code."
    )
    WRONG_AREA_LEVEL = strawberry.enum_value(
        "WRONG_AREA_LEVEL",
        description="Petitions and cases concern a village/community, compound or building.",
    )
    REASON_REQUIRED = strawberry.enum_value(
        "REASON_REQUIRED",
        description="A reason or note is required (triage, rejection, resolution, reopening).",
    )
    NOT_SUBMITTER = strawberry.enum_value(
        "NOT_SUBMITTER", description="Only the submitter (their household) may do this."
    )
    NOT_A_MEMBER = strawberry.enum_value(
        "NOT_A_MEMBER", description="The resident is not of the household this needs."
    )
    INVALID_DUPLICATE = strawberry.enum_value(
        "INVALID_DUPLICATE",
        description="A petition cannot duplicate itself or another duplicate.",
    )
    OUTSIDE_CASE_AREA = strawberry.enum_value(
        "OUTSIDE_CASE_AREA", description="The petition lies outside the case's area."
    )


assert {c.value for c in PetitionErrorCode} == set(CODES)


@strawberry.type(description="One problem with a petition mutation's input.")
class PetitionError:
    code: PetitionErrorCode
    message: str
    field: str | None = strawberry.field(description="Path of the input field, from `input`.")


@strawberry.type(description="The mutation was refused and nothing was written.")
class PetitionMutationFailed:
    errors: list[PetitionError]


@strawberry.type
class PetitionPayload:
    petition: Petition


@strawberry.type
class PetitionCasePayload:
    case: PetitionCase


PetitionResult = Annotated[
    PetitionPayload | PetitionMutationFailed, strawberry.union("PetitionResult")
]
PetitionCaseResult = Annotated[
    PetitionCasePayload | PetitionMutationFailed, strawberry.union("PetitionCaseResult")
]

_VERSION = "The petition's version as you read it; a newer one refuses with VERSION_CONFLICT."
_NOTE = "Recorded on the event."
_VISIBILITY = "Of the event; PUBLIC unless given (residents see public events only)."


@strawberry.input(description="A new petition. Retrying with the same key returns the first.")
class SubmitPetitionInput:
    idempotency_key: str = strawberry.field(
        description="Unique per submitting principal; a retry with it returns the first petition."
    )
    channel: PetitionChannel
    category_code: str
    description: str
    submitter_id: strawberry.ID | None = strawberry.field(
        default=None, description="The submitting resident; none for an anonymous petition."
    )
    area_code: str | None = strawberry.field(
        default=None,
        description="Village/community, compound or building concerned; default the "
        "submitter's household's. Required when anonymous.",
    )
    cosigner_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    attachment_urls: list[str] = strawberry.field(default_factory=list)
    is_public: bool = False


@strawberry.input
class TriagePetitionInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description=_VERSION)
    triage: TriageClass
    reason: str = strawberry.field(description="Why this class (internal).")
    note: str | None = strawberry.field(default=None, description=_NOTE)
    visibility: EventVisibility | None = strawberry.field(default=None, description=_VISIBILITY)


@strawberry.input
class AssignPetitionInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description=_VERSION)
    kind: ResponsibleKind
    department: str | None = strawberry.field(
        default=None, description="Department code, for kind DEPARTMENT."
    )
    name: str | None = strawberry.field(
        default=None, description="The committee or organisation; optional for RESIDENT."
    )
    note: str | None = strawberry.field(default=None, description=_NOTE)
    visibility: EventVisibility | None = strawberry.field(default=None, description=_VISIBILITY)


@strawberry.input(description="Move a petition on, with an optional note.")
class PetitionStepInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description=_VERSION)
    note: str | None = strawberry.field(default=None, description=_NOTE)
    visibility: EventVisibility | None = strawberry.field(default=None, description=_VISIBILITY)


@strawberry.input
class FeedbackInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description=_VERSION)
    satisfaction: Satisfaction
    note: str | None = None


@strawberry.input
class MarkDuplicateInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description=_VERSION)
    original_id: strawberry.ID = strawberry.field(
        description="The original; this petition's submitter and co-signers co-sign it."
    )
    note: str | None = None
    visibility: EventVisibility | None = None


@strawberry.input
class ReferPetitionInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description=_VERSION)
    referred_to: str = strawberry.field(description="The authority it is handed to.")
    note: str | None = None
    visibility: EventVisibility | None = None


@strawberry.input
class RejectPetitionInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description=_VERSION)
    reason: str = strawberry.field(description="Required; shown to the submitter.")
    note: str | None = None
    visibility: EventVisibility | None = None


@strawberry.input
class SetPetitionPublicInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description=_VERSION)
    is_public: bool
    note: str | None = None


@strawberry.input
class CommentPetitionInput:
    id: strawberry.ID
    note: str
    visibility: EventVisibility | None = strawberry.field(
        default=None, description="INTERNAL unless given."
    )


@strawberry.input
class CosignPetitionInput:
    id: strawberry.ID
    resident_ids: list[strawberry.ID]


@strawberry.input
class CreatePetitionCaseInput:
    area_code: str = strawberry.field(description="Village/community, compound or building.")
    title: str
    description: str | None = None
    petition_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.enum(description="What to do with a case's petitions together.")
class CaseAction(Enum):
    START = strawberry.enum_value("start", description="Assigned ones start (in progress).")
    RESOLVE = strawberry.enum_value(
        "resolve", description="Assigned and in-progress ones are resolved (note required)."
    )


@strawberry.input
class HandlePetitionCaseInput:
    case_id: strawberry.ID
    expected_version: int = strawberry.field(description="The case's version as you read it.")
    action: CaseAction
    note: str | None = strawberry.field(default=None, description="On every petition's event.")
    visibility: EventVisibility | None = None


@strawberry.input
class LinkPetitionsInput:
    case_id: strawberry.ID
    petition_ids: list[strawberry.ID]


def _failed(problems: list[Any]) -> PetitionMutationFailed:
    return PetitionMutationFailed(
        errors=[
            PetitionError(code=PetitionErrorCode(p.code), message=p.message, field=p.field)
            for p in problems
        ]
    )


def _petition(outcome: Any) -> PetitionPayload | PetitionMutationFailed:
    if isinstance(outcome, list):
        return _failed(outcome)
    return PetitionPayload(petition=from_record(Petition, outcome))


def _case(outcome: Any) -> PetitionCasePayload | PetitionMutationFailed:
    if isinstance(outcome, list):
        return _failed(outcome)
    return PetitionCasePayload(case=from_record(PetitionCase, outcome))


@strawberry.type
class PetitionMutation:
    @strawberry.mutation(description="Submit a petition (received); idempotent per key.")
    async def submit_petition(self, info: Info, input: SubmitPetitionInput) -> PetitionResult:
        return _petition(await write.submit_petition(info, input))

    @strawberry.mutation(description="三事分流: triage, or re-triage (back to triaged).")
    async def triage_petition(self, info: Info, input: TriagePetitionInput) -> PetitionResult:
        return _petition(await write.triage_petition(info, input))

    @strawberry.mutation(description="Assign a triaged petition, or reassign it.")
    async def assign_petition(self, info: Info, input: AssignPetitionInput) -> PetitionResult:
        return _petition(await write.assign_petition(info, input))

    @strawberry.mutation(description="Start handling an assigned petition.")
    async def start_petition(self, info: Info, input: PetitionStepInput) -> PetitionResult:
        return _petition(await write.start_petition(info, input))

    @strawberry.mutation(description="Record how it was resolved (note required).")
    async def resolve_petition(self, info: Info, input: PetitionStepInput) -> PetitionResult:
        return _petition(await write.resolve_petition(info, input))

    @strawberry.mutation(description="The submitter rates a resolved petition.")
    async def give_petition_feedback(self, info: Info, input: FeedbackInput) -> PetitionResult:
        return _petition(await write.give_feedback(info, input))

    @strawberry.mutation(description="Close after feedback (or resolved, when anonymous).")
    async def close_petition(self, info: Info, input: PetitionStepInput) -> PetitionResult:
        return _petition(await write.close_petition(info, input))

    @strawberry.mutation(description="Reopen after dissatisfied feedback (note required).")
    async def reopen_petition(self, info: Info, input: PetitionStepInput) -> PetitionResult:
        return _petition(await write.reopen_petition(info, input))

    @strawberry.mutation(description="Mark as a duplicate of an original.")
    async def mark_petition_duplicate(
        self, info: Info, input: MarkDuplicateInput
    ) -> PetitionResult:
        return _petition(await write.mark_duplicate(info, input))

    @strawberry.mutation(description="Hand over to another authority.")
    async def refer_petition(self, info: Info, input: ReferPetitionInput) -> PetitionResult:
        return _petition(await write.refer_petition(info, input))

    @strawberry.mutation(description="Reject, with a reason.")
    async def reject_petition(self, info: Info, input: RejectPetitionInput) -> PetitionResult:
        return _petition(await write.reject_petition(info, input))

    @strawberry.mutation(description="Make a petition public to its village, or private.")
    async def set_petition_public(
        self, info: Info, input: SetPetitionPublicInput
    ) -> PetitionResult:
        return _petition(await write.set_petition_public(info, input))

    @strawberry.mutation(description="Add a note to the history without changing the petition.")
    async def comment_petition(self, info: Info, input: CommentPetitionInput) -> PetitionResult:
        return _petition(await write.comment_petition(info, input))

    @strawberry.mutation(description="Residents co-sign a shared request.")
    async def cosign_petition(self, info: Info, input: CosignPetitionInput) -> PetitionResult:
        return _petition(await write.cosign_petition(info, input))

    @strawberry.mutation(description="Open a case for a shared problem, linking petitions.")
    async def create_petition_case(
        self, info: Info, input: CreatePetitionCaseInput
    ) -> PetitionCaseResult:
        return _case(await cases.create_case(info, input))

    @strawberry.mutation(
        description="Handle a case's petitions together: start or resolve every one that can."
    )
    async def handle_petition_case(
        self, info: Info, input: HandlePetitionCaseInput
    ) -> PetitionCaseResult:
        return _case(await cases.handle_case(info, input))

    @strawberry.mutation(description="Link more petitions to a case.")
    async def link_petitions_to_case(
        self, info: Info, input: LinkPetitionsInput
    ) -> PetitionCaseResult:
        return _case(await cases.link_to_case(info, input))
