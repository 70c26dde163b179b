"""Writes of petitions and cases, on the caller's connection (one transaction per mutation).

Each status change is one UPDATE guarded by the expected version; the database's triggers
check the transition, bump the version and write the event (migration 0005). The note
and visibility of that event are set for the transaction right before the statement.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import asyncpg

from db.errors import DomainError, domain_errors

# constraint -> (error code, input field)
CONSTRAINTS: dict[str, tuple[str, str | None]] = {
    "petition_transition": ("ILLEGAL_TRANSITION", None),
    "petition_transition_role": ("FORBIDDEN", None),
    "petition_feedback_first": ("ILLEGAL_TRANSITION", None),
    "petition_reopen_dissatisfied": ("ILLEGAL_TRANSITION", None),
    "petition_duplicate_original": ("INVALID_DUPLICATE", "originalId"),
    "petition_not_own_duplicate": ("INVALID_DUPLICATE", "originalId"),
    "petition_duplicate_link": ("INVALID_DUPLICATE", "originalId"),
    "petition_reject_reason": ("REASON_REQUIRED", "reason"),
    "petition_triage_reason": ("REASON_REQUIRED", "reason"),
    "petition_referred_to": ("INVALID_INPUT", "referredTo"),
    "petition_area_level": ("WRONG_AREA_LEVEL", "areaCode"),
    "petition_submitter_household": ("NOT_A_MEMBER", "submitterId"),
    "petition_attachments": ("INVALID_INPUT", "attachmentUrls"),
    "petition_description_check": ("INVALID_INPUT", "description"),
    "petition_case_area": ("OUTSIDE_CASE_AREA", "petitionIds"),
    "petition_immutable": ("INVALID_INPUT", None),
    "petition_assigned": ("INVALID_INPUT", "kind"),
    "petition_assignee_department": ("INVALID_INPUT", "department"),
    "petition_feedback": ("INVALID_INPUT", "satisfaction"),
    "petition_assignee_department_fkey": ("UNKNOWN_DEPARTMENT", "department"),
    "petition_category_id_fkey": ("UNKNOWN_CATEGORY", "categoryCode"),
    "petition_event_append_only": ("FORBIDDEN", None),
    "petition_case_title_check": ("INVALID_INPUT", "title"),
}


@contextmanager
def petition_errors() -> Iterator[None]:
    """Constraint violations of petitions as DomainError; the community's codes otherwise."""
    try:
        with domain_errors():
            yield
    except asyncpg.PostgresError as exc:
        constraint = getattr(exc, "constraint_name", None)
        if constraint in CONSTRAINTS:
            code, field = CONSTRAINTS[constraint]
            raise DomainError(code, str(getattr(exc, "message", exc)), field) from exc
        raise


LOCK_PETITION = """
    SELECT id, status::text AS status, version, area_id, area_path::text AS area_path,
           household_id, submitter_id, triage::text AS triage, satisfaction::text AS satisfaction,
           assignee_kind::text AS assignee_kind, assignee_department, case_id, category_id
      FROM petition WHERE id = $1 FOR UPDATE"""

PETITION_BRIEF = """
    SELECT id, status::text AS status, area_path::text AS area_path, duplicate_of
      FROM petition WHERE id = ANY($1::bigint[])"""

BY_IDEMPOTENCY = """
    SELECT id, request_hash FROM petition
     WHERE submitted_by = current_setting('gongzhi.subject') AND idempotency_key = $1"""

INSERT_PETITION = """
    INSERT INTO petition (area_id, category_id, channel, submitter_id, description,
                          attachment_urls, is_public, submitted_by, idempotency_key,
                          request_hash)
    VALUES ($1, $2, $3::petition_channel, $4, $5, $6::text[], $7,
            current_setting('gongzhi.subject'), $8, $9)
    ON CONFLICT (submitted_by, idempotency_key) DO NOTHING
    RETURNING id"""

INSERT_COSIGNERS = """
    INSERT INTO petition_cosigner (petition_id, resident_id, area_path)
    SELECT $1, r, '' FROM unnest($2::bigint[]) AS r
    ON CONFLICT (petition_id, resident_id) DO NOTHING"""

EVENT_CONTEXT = """
    SELECT set_config('gongzhi.event_note', coalesce($1::text, ''), true),
           set_config('gongzhi.event_visibility', coalesce($2::text, ''), true)"""

INSERT_COMMENT = """
    INSERT INTO petition_event (petition_id, area_path, kind, from_status, to_status, note,
                                visibility, actor, actor_role)
    SELECT id, area_path, 'comment', status, status, $2, $3::event_visibility,
           current_setting('gongzhi.subject'), gongzhi_role()
      FROM petition WHERE id = $1
    RETURNING id"""

RESIDENTS_VISIBLE = """
    SELECT id, household_id FROM resident WHERE id = ANY($1::bigint[])"""

AREA_BY_CODE = "SELECT id, level::text AS level, path::text AS path FROM area WHERE code = $1"
HOUSEHOLD_AREA = "SELECT area_id FROM household WHERE id = $1"

INSERT_CASE = """
    INSERT INTO petition_case (area_id, title, description, created_by)
    VALUES ($1, $2, $3, current_setting('gongzhi.subject')) RETURNING id"""

LOCK_CASE = """
    SELECT id, version, area_path::text AS area_path FROM petition_case WHERE id = $1 FOR UPDATE"""

TOUCH_CASE = "UPDATE petition_case SET updated_at = now() WHERE id = $1"

# a case's petitions moved together, each with its own event and version
MOVE_CASE = """
    UPDATE petition SET status = $2::petition_status
     WHERE case_id = $1 AND status = ANY($3::petition_status[]) RETURNING id"""

SET_CASE = """
    UPDATE petition SET case_id = $2 WHERE id = ANY($1::bigint[]) RETURNING id"""

# Columns a transition may set; values are cast to their column types.
SETTABLE = {
    "status": "petition_status",
    "triage": "triage_class",
    "triage_reason": "text",
    "triaged_by": "text",
    "assignee_kind": "responsible_kind",
    "assignee_department": "text",
    "assignee_name": "text",
    "duplicate_of": "bigint",
    "referred_to": "text",
    "reject_reason": "text",
    "satisfaction": "satisfaction_level",
    "is_public": "boolean",
}


async def lock_petition(conn: asyncpg.Connection, key: int) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_PETITION, key)


async def petitions_brief(conn: asyncpg.Connection, keys: Sequence[int]) -> list[asyncpg.Record]:
    return list(await conn.fetch(PETITION_BRIEF, list(keys)))


async def by_idempotency_key(conn: asyncpg.Connection, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(BY_IDEMPOTENCY, key)


async def insert_petition(conn: asyncpg.Connection, values: dict[str, Any]) -> int | None:
    """The new petition's id; None when the principal already used this key (a concurrent
    retry committed first)."""
    with petition_errors():
        return await conn.fetchval(
            INSERT_PETITION,
            values["area_id"],
            values["category_id"],
            values["channel"],
            values["submitter_id"],
            values["description"],
            values["attachment_urls"],
            values["is_public"],
            values["idempotency_key"],
            values["request_hash"],
        )


async def add_cosigners(
    conn: asyncpg.Connection, petition_id: int, resident_ids: Sequence[int]
) -> None:
    if resident_ids:
        with petition_errors():
            await conn.execute(INSERT_COSIGNERS, petition_id, list(resident_ids))


async def event_context(conn: asyncpg.Connection, note: str | None, visibility: str | None) -> None:
    await conn.fetchrow(EVENT_CONTEXT, note, visibility)


async def update_petition(
    conn: asyncpg.Connection, key: int, expected_version: int, changes: dict[str, Any]
) -> int | None:
    """Apply ``changes`` if the petition is still at ``expected_version``; the new version,
    or None when it is not (changed meanwhile)."""
    sets = []
    args: list[Any] = [key, expected_version]
    for column, value in changes.items():
        args.append(value)
        sets.append(f"{column} = ${len(args)}::{SETTABLE[column]}")
    sql = f"UPDATE petition SET {', '.join(sets)} WHERE id = $1 AND version = $2 RETURNING version"
    with petition_errors():
        return await conn.fetchval(sql, *args)


async def add_comment(conn: asyncpg.Connection, key: int, note: str, visibility: str) -> int | None:
    with petition_errors():
        return await conn.fetchval(INSERT_COMMENT, key, note, visibility)


async def residents_visible(
    conn: asyncpg.Connection, keys: Sequence[int]
) -> dict[int, asyncpg.Record]:
    return {r["id"]: r for r in await conn.fetch(RESIDENTS_VISIBLE, list(keys))}


async def area_by_code(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(AREA_BY_CODE, code)


async def household_area(conn: asyncpg.Connection, household_id: int) -> int | None:
    return await conn.fetchval(HOUSEHOLD_AREA, household_id)


async def insert_case(
    conn: asyncpg.Connection, area_id: int, title: str, description: str | None
) -> int:
    with petition_errors():
        return await conn.fetchval(INSERT_CASE, area_id, title, description)


async def lock_case(conn: asyncpg.Connection, key: int) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_CASE, key)


async def set_case(
    conn: asyncpg.Connection, case_id: int | None, petition_ids: Sequence[int]
) -> list[int]:
    """Link petitions to a case (None: unlink); each gets an internal event."""
    with petition_errors():
        rows = await conn.fetch(SET_CASE, list(petition_ids), case_id)
        if case_id is not None:
            await conn.execute(TOUCH_CASE, case_id)
    return [r["id"] for r in rows]


async def move_case(
    conn: asyncpg.Connection, case_id: int, target: str, sources: Sequence[str]
) -> list[int]:
    """Move every petition of a case that is in one of ``sources`` to ``target``."""
    with petition_errors():
        rows = await conn.fetch(MOVE_CASE, case_id, target, list(sources))
        await conn.execute(TOUCH_CASE, case_id)
    return [r["id"] for r in rows]
