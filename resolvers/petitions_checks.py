"""Checks on the input of petition mutations: codes, roles, the state machine's rules.

The rules are the database's (migration 0005: petition_transition and the petition
triggers), which stay the backstop; checking them here first gives every problem at once
with the input field it concerns and a message naming the rule.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from resolvers.community_checks import Problem, Refused, db_label, global_id  # noqa: F401

# Every code a petition mutation can report; the schema's PetitionErrorCode mirrors it.
CODES = (
    "INVALID_INPUT",
    "NOT_FOUND",
    "FORBIDDEN",
    "ILLEGAL_TRANSITION",
    "VERSION_CONFLICT",
    "IDEMPOTENCY_KEY_REUSED",
    "UNKNOWN_CATEGORY",
    "UNKNOWN_AREA",
    "UNKNOWN_DEPARTMENT",
    "WRONG_AREA_LEVEL",
    "REASON_REQUIRED",
    "NOT_SUBMITTER",
    "NOT_A_MEMBER",
    "INVALID_DUPLICATE",
    "OUTSIDE_CASE_AREA",
)

STAFF = ("admin", "officer", "community_worker", "grid_worker")
HANDLERS = (*STAFF, "department_officer")
SUBMITTERS = (*STAFF, "resident")

# The state machine, as migration 0005's petition_transition table holds it.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("received", "triaged"): STAFF,
    ("received", "duplicate"): STAFF,
    ("received", "rejected"): STAFF,
    ("received", "referred"): STAFF,
    ("triaged", "assigned"): STAFF,
    ("triaged", "duplicate"): STAFF,
    ("triaged", "rejected"): STAFF,
    ("triaged", "referred"): STAFF,
    ("assigned", "triaged"): STAFF,
    ("assigned", "in_progress"): HANDLERS,
    ("assigned", "resolved"): HANDLERS,
    ("assigned", "referred"): HANDLERS,
    ("assigned", "duplicate"): STAFF,
    ("in_progress", "triaged"): STAFF,
    ("in_progress", "resolved"): HANDLERS,
    ("in_progress", "referred"): HANDLERS,
    ("resolved", "feedback"): ("resident",),
    ("resolved", "closed"): STAFF,
    ("feedback", "closed"): STAFF,
    ("feedback", "in_progress"): (*STAFF, "resident"),
}

MAX_KEY = 2**63 - 1
DESCRIPTION_MAX = 4000
NOTE_MAX = 4000
REASON_MAX = 2000
URL = re.compile(r"^https?://\S{1,2000}$")
MAX_URLS = 20


class Problems(list[Problem]):
    def add(self, code: str, message: str, field: str | None = None) -> None:
        assert code in CODES, code
        self.append(Problem(code, message, field))

    def refuse_if_any(self) -> None:
        if self:
            raise Refused(list(self))


def next_statuses(status: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == status]


def check_transition(current: str, target: str, role: str, problems: Problems) -> bool:
    """Whether ``role`` may move a petition from ``current`` to ``target``."""
    roles = TRANSITIONS.get((current, target))
    if roles is None:
        allowed = ", ".join(next_statuses(current)) or "none: it is final"
        problems.add(
            "ILLEGAL_TRANSITION",
            f"a petition that is {current} cannot become {target} (next: {allowed})",
        )
        return False
    if role not in roles:
        problems.add("FORBIDDEN", f"a {role} may not move a petition from {current} to {target}")
        return False
    return True


def parse_key(value: Any, type_name: str, field: str, problems: Problems) -> int | None:
    from strawberry import relay

    try:
        gid = relay.GlobalID.from_id(str(value))
        key = int(gid.node_id)
    except ValueError:
        problems.add("NOT_FOUND", f"{value!r} is not an id this service issued", field)
        return None
    if gid.type_name != type_name:
        problems.add(
            "NOT_FOUND", f"{value} is the id of a {gid.type_name}, not of a {type_name}", field
        )
        return None
    if not 0 < key <= MAX_KEY:
        problems.add("NOT_FOUND", f"{value} is not a valid {type_name} id", field)
        return None
    return key


def parse_keys(values: list[Any], type_name: str, field: str, problems: Problems) -> list[int]:
    keys = []
    for i, value in enumerate(values):
        key = parse_key(value, type_name, f"{field}.{i}", problems)
        if key is not None and key not in keys:
            keys.append(key)
    return keys


def text(
    value: str | None, field: str, problems: Problems, *, required: bool, limit: int
) -> str | None:
    """A trimmed text, blank meaning none; REASON_REQUIRED/INVALID_INPUT when missing."""
    cleaned = (value or "").strip() or None
    if cleaned is None and required:
        code = "REASON_REQUIRED" if field in ("reason", "note") else "INVALID_INPUT"
        problems.add(code, f"{field} is required and must not be blank", field)
    elif cleaned is not None and len(cleaned) > limit:
        problems.add(
            "INVALID_INPUT", f"{field} has at most {limit} characters, not {len(cleaned)}", field
        )
    return cleaned


def check_version(value: int, field: str, problems: Problems) -> None:
    if not 1 <= value <= 2**31 - 1:
        problems.add("INVALID_INPUT", f"{field} is a version number (1 or more)", field)


def check_urls(urls: list[str], problems: Problems) -> list[str]:
    cleaned = [u.strip() for u in urls]
    if len(cleaned) > MAX_URLS:
        problems.add(
            "INVALID_INPUT", f"at most {MAX_URLS} attachments, not {len(cleaned)}", "attachmentUrls"
        )
    for i, url in enumerate(cleaned):
        if not URL.match(url):
            problems.add(
                "INVALID_INPUT",
                "an attachment is an http(s) URL without spaces",
                f"attachmentUrls.{i}",
            )
    return cleaned


def request_hash(content: dict[str, Any]) -> str:
    """What a submission asks for, to tell a retry (same) from a reused key (different)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
