"""Mutations of petitions: check the input (resolvers/petitions_checks.py), lock,
check the state machine and the version, write in one transaction. Cases:
resolvers/petitions_cases.py; the transaction they share: resolvers/petitions_base.py.

Every status change takes ``expectedVersion``: the petition is locked, and a version other
than the expected one is refused with VERSION_CONFLICT (two concurrent changes from the
same version: the second waits for the first's lock, then finds a newer version). The
UPDATE itself is guarded by the version too. Submissions carry an idempotency key: a retry
with the same content returns the first petition; the same key with different content is
IDEMPOTENCY_KEY_REUSED.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from strawberry import Info

from db import petitions as reads
from db import petitions_writes as writes
from resolvers.petitions_base import Outcome, Record, context, run, visibility_label
from resolvers.petitions_checks import (
    DESCRIPTION_MAX,
    HANDLERS,
    NOTE_MAX,
    REASON_MAX,
    STAFF,
    SUBMITTERS,
    Problem,
    Problems,
    Refused,
    check_transition,
    check_urls,
    check_version,
    db_label,
    parse_key,
    parse_keys,
    request_hash,
    text,
)

# -- submission ------------------------------------------------------------------------


async def submit_petition(info: Info, data: Any) -> Outcome:
    principal = context(info).db.principal
    problems = Problems()
    idem = text(data.idempotency_key, "idempotencyKey", problems, required=True, limit=200)
    description = text(
        data.description, "description", problems, required=True, limit=DESCRIPTION_MAX
    )
    urls = check_urls(list(data.attachment_urls or []), problems)
    submitter = (
        None
        if data.submitter_id is None
        else parse_key(data.submitter_id, "Resident", "submitterId", problems)
    )
    cosigners = parse_keys(list(data.cosigner_ids or []), "Resident", "cosignerIds", problems)
    area_code = (data.area_code or "").strip() or None
    if principal.role == "resident" and data.submitter_id is None:
        problems.add(
            "NOT_SUBMITTER",
            "a resident submits in their own name: give submitterId",
            "submitterId",
        )
    if data.submitter_id is None and area_code is None:
        problems.add("INVALID_INPUT", "an anonymous petition names its area (areaCode)", "areaCode")
    content = {
        "channel": db_label(data.channel),
        "category": data.category_code,
        "area": area_code,
        "submitter": submitter,
        "description": description,
        "cosigners": sorted(cosigners),
        "attachments": urls,
        "public": data.is_public,
    }
    digest = request_hash(content)

    async def work(conn: asyncpg.Connection) -> tuple[int, bool]:
        assert idem is not None or problems
        if idem is not None:
            found = await writes.by_idempotency_key(conn, idem)
            if found is not None:
                return _replay(found, digest)
        category = await reads.category_by_code(conn, data.category_code)
        if category is None:
            problems.add(
                "UNKNOWN_CATEGORY", f"no petition category {data.category_code!r}", "categoryCode"
            )
        people = await writes.residents_visible(
            conn, [*cosigners, *([submitter] if submitter is not None else [])]
        )
        area_id = None
        if submitter is not None:
            person = people.get(submitter)
            if person is None:
                problems.add("NOT_FOUND", f"no resident {data.submitter_id}", "submitterId")
            elif principal.role == "resident" and person["household_id"] != principal.household:
                problems.add(
                    "NOT_A_MEMBER",
                    "a resident submits for a member of their own household",
                    "submitterId",
                )
            elif area_code is None:
                area_id = await writes.household_area(conn, person["household_id"])
        for i, key in enumerate(cosigners):
            if key not in people:
                problems.add("NOT_FOUND", f"no resident {data.cosigner_ids[i]}", f"cosignerIds.{i}")
        if area_code is not None:
            area = await writes.area_by_code(conn, area_code)
            if area is None:
                problems.add("UNKNOWN_AREA", f"no area {area_code}", "areaCode")
            elif area["level"] not in ("village", "compound", "building"):
                problems.add(
                    "WRONG_AREA_LEVEL",
                    f"a petition concerns a village/community, compound or building, "
                    f"not a {area['level']}",
                    "areaCode",
                )
            else:
                area_id = area["id"]
        problems.refuse_if_any()
        await writes.event_context(conn, None, None)
        key = await writes.insert_petition(
            conn,
            {
                "area_id": area_id,
                "category_id": category["id"],
                "channel": content["channel"],
                "submitter_id": submitter,
                "description": description,
                "attachment_urls": urls,
                "is_public": data.is_public,
                "idempotency_key": idem,
                "request_hash": digest,
            },
        )
        if key is None:  # a concurrent retry with the same key committed first
            found = await writes.by_idempotency_key(conn, idem)  # type: ignore[arg-type]
            assert found is not None
            return _replay(found, digest)
        await writes.add_cosigners(conn, key, [c for c in cosigners if c != submitter])
        return key, True

    return await run(info, SUBMITTERS, "Petition", work)


def _replay(found: Record, digest: str) -> tuple[int, bool]:
    if found["request_hash"] != digest:
        raise Refused(
            [
                Problem(
                    "IDEMPOTENCY_KEY_REUSED",
                    "this idempotency key was used for a different petition; use a new key",
                    "idempotencyKey",
                )
            ]
        )
    return found["id"], False


# -- moving a petition on ------------------------------------------------------------


Check = Callable[[asyncpg.Connection, Record, Problems], Awaitable[None]]


@dataclass
class Move:
    """One petition mutation: the status it leads to and what it changes."""

    target: str
    roles: tuple[str, ...]
    changes: dict[str, Any] = field(default_factory=dict)
    note_required: bool = False
    # statuses in which the mutation changes the petition without moving it (re-triage
    # while triaged, re-assignment while assigned or in progress)
    in_place: tuple[str, ...] = ()
    check: Check | None = None


async def _move(info: Info, data: Any, move: Move, problems: Problems) -> Outcome:
    principal = context(info).db.principal
    key = parse_key(data.id, "Petition", "id", problems)
    check_version(data.expected_version, "expectedVersion", problems)
    note = text(
        getattr(data, "note", None), "note", problems, required=move.note_required, limit=NOTE_MAX
    )
    visibility = visibility_label(getattr(data, "visibility", None))

    async def work(conn: asyncpg.Connection) -> tuple[int, bool]:
        problems.refuse_if_any()
        assert key is not None
        current = await writes.lock_petition(conn, key)
        if current is None:
            raise Refused([Problem("NOT_FOUND", f"no petition {data.id}", "id")])
        if current["version"] != data.expected_version:
            raise Refused([_conflict(current["version"], data.expected_version)])
        if current["status"] not in move.in_place:
            check_transition(current["status"], move.target, principal.role, problems)
        if move.check is not None:
            await move.check(conn, current, problems)
        problems.refuse_if_any()
        await writes.event_context(conn, note, visibility)
        changes = dict(move.changes)
        if current["status"] not in move.in_place:
            changes["status"] = move.target
        version = await writes.update_petition(conn, key, data.expected_version, changes)
        if version is None:
            raise Refused([_conflict(None, data.expected_version)])
        return key, True

    return await run(info, move.roles, "Petition", work)


def _conflict(current: int | None, expected: int) -> Problem:
    now = f" it is at version {current}" if current is not None else " it changed meanwhile"
    return Problem(
        "VERSION_CONFLICT",
        f"the petition is no longer at version {expected}:{now}; reload and retry",
        "expectedVersion",
    )


async def triage_petition(info: Info, data: Any) -> Outcome:
    principal = context(info).db.principal
    problems = Problems()
    reason = text(data.reason, "reason", problems, required=True, limit=REASON_MAX)
    move = Move(
        "triaged",
        STAFF,
        {
            "triage": db_label(data.triage),
            "triage_reason": reason,
            "triaged_by": principal.subject,
        },
        in_place=("triaged",),
    )
    return await _move(info, data, move, problems)


async def assign_petition(info: Info, data: Any) -> Outcome:
    problems = Problems()
    kind = db_label(data.kind)
    department = (data.department or "").strip() or None
    named = kind in ("residents_committee", "social_organisation")
    name = text(data.name, "name", problems, required=named, limit=200)
    if kind == "department" and department is None:
        problems.add("INVALID_INPUT", "a department assignment names the department", "department")
    if kind != "department" and department is not None:
        problems.add(
            "INVALID_INPUT", "only a department assignment names a department", "department"
        )

    async def check(conn: asyncpg.Connection, current: Record, problems: Problems) -> None:
        if department is not None and not await reads.department_exists(conn, department):
            problems.add("UNKNOWN_DEPARTMENT", f"no department {department!r}", "department")

    move = Move(
        "assigned",
        STAFF,
        {"assignee_kind": kind, "assignee_department": department, "assignee_name": name},
        in_place=("assigned", "in_progress"),
        check=check,
    )
    return await _move(info, data, move, problems)


async def start_petition(info: Info, data: Any) -> Outcome:
    return await _move(info, data, Move("in_progress", HANDLERS), Problems())


async def resolve_petition(info: Info, data: Any) -> Outcome:
    return await _move(info, data, Move("resolved", HANDLERS, note_required=True), Problems())


async def give_feedback(info: Info, data: Any) -> Outcome:
    principal = context(info).db.principal

    async def check(conn: asyncpg.Connection, current: Record, problems: Problems) -> None:
        if current["household_id"] is None or current["household_id"] != principal.household:
            problems.add(
                "NOT_SUBMITTER", "only the submitter (their household) gives feedback", "id"
            )

    move = Move(
        "feedback",
        ("resident",),
        {"satisfaction": db_label(data.satisfaction)},
        check=check,
    )
    return await _move(info, data, move, Problems())


async def close_petition(info: Info, data: Any) -> Outcome:
    async def check(conn: asyncpg.Connection, current: Record, problems: Problems) -> None:
        if current["status"] == "resolved" and current["household_id"] is not None:
            problems.add(
                "ILLEGAL_TRANSITION",
                "a petition with a submitter is closed after their feedback (giveFeedback)",
            )

    return await _move(info, data, Move("closed", STAFF, check=check), Problems())


async def reopen_petition(info: Info, data: Any) -> Outcome:
    principal = context(info).db.principal

    async def check(conn: asyncpg.Connection, current: Record, problems: Problems) -> None:
        if current["status"] == "feedback" and current["satisfaction"] != "dissatisfied":
            problems.add(
                "ILLEGAL_TRANSITION",
                "a petition is reopened only when the resident is dissatisfied",
            )
        if principal.role == "resident" and current["household_id"] != principal.household:
            problems.add("NOT_SUBMITTER", "only the submitter reopens their petition", "id")

    move = Move("in_progress", (*STAFF, "resident"), note_required=True, check=check)
    return await _move(info, data, move, Problems())


async def mark_duplicate(info: Info, data: Any) -> Outcome:
    problems = Problems()
    original = parse_key(data.original_id, "Petition", "originalId", problems)

    async def check(conn: asyncpg.Connection, current: Record, problems: Problems) -> None:
        if original == current["id"]:
            problems.add("INVALID_DUPLICATE", "a petition cannot duplicate itself", "originalId")
            return
        found = await writes.petitions_brief(conn, [original]) if original else []
        if not found:
            problems.add("NOT_FOUND", f"no petition {data.original_id}", "originalId")
        elif found[0]["status"] == "duplicate":
            problems.add(
                "INVALID_DUPLICATE",
                "the original is itself a duplicate: link to its original",
                "originalId",
            )

    move = Move("duplicate", STAFF, {"duplicate_of": original}, check=check)
    return await _move(info, data, move, problems)


async def refer_petition(info: Info, data: Any) -> Outcome:
    problems = Problems()
    to = text(data.referred_to, "referredTo", problems, required=True, limit=200)
    return await _move(info, data, Move("referred", HANDLERS, {"referred_to": to}), problems)


async def reject_petition(info: Info, data: Any) -> Outcome:
    problems = Problems()
    reason = text(data.reason, "reason", problems, required=True, limit=REASON_MAX)
    return await _move(info, data, Move("rejected", STAFF, {"reject_reason": reason}), problems)


async def set_petition_public(info: Info, data: Any) -> Outcome:
    move = Move("", STAFF, {"is_public": bool(data.is_public)}, in_place=_ALL_STATUSES)
    return await _move(info, data, move, Problems())


_ALL_STATUSES = (
    "received",
    "triaged",
    "assigned",
    "in_progress",
    "resolved",
    "feedback",
    "closed",
    "duplicate",
    "referred",
    "rejected",
)


async def comment_petition(info: Info, data: Any) -> Outcome:
    problems = Problems()
    key = parse_key(data.id, "Petition", "id", problems)
    note = text(data.note, "note", problems, required=True, limit=NOTE_MAX)
    visibility = visibility_label(data.visibility) or "internal"

    async def work(conn: asyncpg.Connection) -> tuple[int, bool]:
        problems.refuse_if_any()
        assert key is not None and note is not None
        if await writes.add_comment(conn, key, note, visibility) is None:
            raise Refused([Problem("NOT_FOUND", f"no petition {data.id}", "id")])
        return key, False  # the event is the record; the petition does not change

    return await run(info, HANDLERS, "Petition", work)


async def cosign_petition(info: Info, data: Any) -> Outcome:
    principal = context(info).db.principal
    problems = Problems()
    key = parse_key(data.id, "Petition", "id", problems)
    residents = parse_keys(list(data.resident_ids), "Resident", "residentIds", problems)
    if not residents and not problems:
        problems.add("INVALID_INPUT", "name at least one resident", "residentIds")

    async def work(conn: asyncpg.Connection) -> tuple[int, bool]:
        problems.refuse_if_any()
        assert key is not None
        found = await writes.petitions_brief(conn, [key])
        if not found:
            raise Refused([Problem("NOT_FOUND", f"no petition {data.id}", "id")])
        people = await writes.residents_visible(conn, residents)
        for i, r in enumerate(residents):
            person = people.get(r)
            if person is None:
                problems.add("NOT_FOUND", f"no resident {data.resident_ids[i]}", f"residentIds.{i}")
            elif principal.role == "resident" and person["household_id"] != principal.household:
                problems.add(
                    "NOT_A_MEMBER",
                    "a resident co-signs for their own household",
                    f"residentIds.{i}",
                )
        problems.refuse_if_any()
        await writes.add_cosigners(conn, key, residents)
        return key, True

    return await run(info, SUBMITTERS, "Petition", work)
