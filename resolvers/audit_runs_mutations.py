"""Mutations of auditors: run an audit, mark a finding for follow-up, close it with a note.

``runAudit`` runs the suites through the same runner as ``gongzhi audit run``
(validation/audit.py: Great Expectations in worker processes reading the database, then
the run stored in one transaction of the principal's session, where row-level security
judges the writes). It takes seconds and runs within the request.

Follow-up events go in one transaction with the mutation's audit-log row; the database
refuses transitions not allowed and a close without a note (migration 0009), mapped to
ILLEGAL_TRANSITION and NOTE_REQUIRED (``BACKSTOP``); NOTE_REQUIRED is checked here first,
the transition only by the database (under its per-fingerprint lock).
Inputs are the schema's input objects, read by attribute (this module does not import the
schema).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import asyncpg
from strawberry import Info

from db import audit_runs as db
from db.errors import DomainError, domain_errors
from db.session import audit
from resolvers import audit_runs as reads
from resolvers import community as read
from validation import audit as runner
from validation.audit_suite import suite_names

log = logging.getLogger(__name__)

AUDIT_ROLES = ("auditor", "admin")
MAX_NOTE = 2000

Record = asyncpg.Record

# The database's refusals of a follow-up event (migration 0009), as the codes checked here
# first. Not in db/errors.CONSTRAINTS: those are the community mutations' codes.
BACKSTOP: dict[str, tuple[str, str | None]] = {
    "audit_finding_transition": ("ILLEGAL_TRANSITION", None),
    "audit_finding_event_close_note": ("NOTE_REQUIRED", "note"),
}


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None


Outcome = Record | list[Problem]


def _forbidden(info: Info) -> list[Problem]:
    role = info.context.db.principal.role
    if role in AUDIT_ROLES:
        return []
    return [Problem("FORBIDDEN", f"audits are for auditors and admins, not a {role}")]


def _inside(path: str, scope: str) -> bool:
    return path == scope or path.startswith(scope + ".")


async def run_audit(
    info: Info, suites: Sequence[str] | None, area_code: str | None, period: dt.date | None
) -> Outcome:
    problems = _forbidden(info)
    if problems:
        return problems
    session = info.context.db
    principal = session.principal
    known = suite_names()
    if suites is not None and not suites:
        problems.append(Problem("INVALID_INPUT", "name a suite, or leave suites out", "suites"))
    for i, name in enumerate(suites or ()):
        if name not in known:
            problems.append(
                Problem(
                    "UNKNOWN_SUITE",
                    f"no audit suite {name!r}; there are {', '.join(known)}",
                    f"suites.{i}",
                )
            )
    # an auditor whose token names an area audits inside it (row-level security would
    # refuse to store anything else)
    scope = principal.scope if principal.role == "auditor" else None
    if area_code is not None:
        path = await db.scope_path(session, area_code)  # type: ignore[arg-type]
        if path is None:
            problems.append(Problem("UNKNOWN_AREA", f"no area has code {area_code}", "areaCode"))
        elif scope is not None and not _inside(path, scope):
            problems.append(
                Problem("FORBIDDEN", f"area {area_code} is outside your area", "areaCode")
            )
    elif scope is not None:
        area_code = await session.fetchval("SELECT code FROM area WHERE path = $1::ltree", scope)
    if problems:
        return problems
    url = info.context.database_url
    if url is None:
        raise RuntimeError("the service was started without its database URL")
    request = runner.AuditRequest(
        suites=list(dict.fromkeys(suites)) if suites else None,
        area_code=area_code,
        period=period,
        started_by=principal.subject,
        source="graphql",
    )

    def transaction():  # type: ignore[no-untyped-def]
        return session.transaction(operation=info.field_name)

    async def record_in_log(conn: asyncpg.Connection, run_id: uuid.UUID) -> None:
        await audit(conn, "AuditRun", await db.run_seq(conn, run_id))

    try:
        with domain_errors():
            run_id = await runner.run_audit(request, url, transaction, on_stored=record_in_log)
    except DomainError as exc:
        return [Problem(exc.code, exc.message, exc.field)]
    except runner.ScopeError as exc:  # the area was removed meanwhile
        return [Problem("UNKNOWN_AREA", str(exc), "areaCode")]
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, BrokenProcessPool) as exc:
        log.exception("audit run failed")
        return [Problem("AUDIT_FAILED", f"the audit failed, nothing stored: {exc}")]
    finally:
        reads.forget(info)
    seq = await db.run_seq(session, run_id)  # type: ignore[arg-type]
    return await read.by_key(info, "AuditRun", seq)  # type: ignore[arg-type]


async def follow_up(info: Info, finding_id: str, note: str | None) -> Outcome:
    return await _event(info, finding_id, "follow_up", note)


async def close(info: Info, finding_id: str, note: str | None) -> Outcome:
    return await _event(info, finding_id, "closed", note)


async def _event(info: Info, finding_id: str, status: str, note: str | None) -> Outcome:
    problems = _forbidden(info)
    if problems:
        return problems
    key = reads.finding_key(finding_id)
    if key is None:
        problems.append(Problem("NOT_FOUND", f"{finding_id!r} is not a finding's id", "id"))
    note = (note or "").strip() or None
    if status == "closed" and note is None:
        problems.append(Problem("NOTE_REQUIRED", "closing a finding needs a note", "note"))
    if note is not None and len(note) > MAX_NOTE:
        problems.append(
            Problem("INVALID_INPUT", f"a note has at most {MAX_NOTE} characters", "note")
        )
    if problems:
        return problems
    assert key is not None
    session = info.context.db
    try:
        with domain_errors():
            async with session.transaction(operation=info.field_name) as conn:
                if await db.finding_by_id(conn, key) is None:
                    # rolled back: nothing written
                    raise DomainError("NOT_FOUND", f"no finding {finding_id}", "id")
                await db.add_event(conn, key, status, note, session.principal.subject)
                await audit(conn, "AuditFinding", key)
    except DomainError as exc:
        return [Problem(exc.code, exc.message, exc.field)]
    except asyncpg.IntegrityConstraintViolationError as exc:
        if exc.constraint_name not in BACKSTOP:
            raise
        code, field = BACKSTOP[exc.constraint_name]
        return [Problem(code, exc.message, field)]
    finally:
        reads.forget(info)
    return await read.by_key(info, "AuditFinding", key)  # type: ignore[return-value]
