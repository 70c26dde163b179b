"""Mutations of petition cases: several petitions about one matter, handled together
(docs/petitions.md). Run as every petitions mutation is (resolvers/petitions_base.py).
"""

from __future__ import annotations

from typing import Any

import asyncpg
from strawberry import Info

from db import petitions_writes as writes
from resolvers.petitions_base import Outcome, Record, run, visibility_label
from resolvers.petitions_checks import (
    NOTE_MAX,
    STAFF,
    Problem,
    Problems,
    Refused,
    check_version,
    db_label,
    parse_key,
    parse_keys,
    text,
)


async def _link(
    conn: asyncpg.Connection, case: Record, petitions: list[int], field: str, ids: list[Any]
) -> None:
    problems = Problems()
    found = {r["id"]: r for r in await writes.petitions_brief(conn, petitions)}
    for i, key in enumerate(petitions):
        row = found.get(key)
        if row is None:
            problems.add("NOT_FOUND", f"no petition {ids[i]}", f"{field}.{i}")
        elif not _under(row["area_path"], case["area_path"]):
            problems.add(
                "OUTSIDE_CASE_AREA", "the petition lies outside the case's area", f"{field}.{i}"
            )
    problems.refuse_if_any()
    await writes.event_context(conn, None, None)
    await writes.set_case(conn, case["id"], petitions)


def _under(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith(ancestor + ".")


async def create_case(info: Info, data: Any) -> Outcome:
    problems = Problems()
    title = text(data.title, "title", problems, required=True, limit=200)
    description = text(data.description, "description", problems, required=False, limit=4000)
    petitions = parse_keys(list(data.petition_ids), "Petition", "petitionIds", problems)

    async def work(conn: asyncpg.Connection) -> tuple[int, bool]:
        area = await writes.area_by_code(conn, data.area_code)
        if area is None:
            problems.add("UNKNOWN_AREA", f"no area {data.area_code}", "areaCode")
        elif area["level"] not in ("village", "compound", "building"):
            problems.add(
                "WRONG_AREA_LEVEL",
                f"a case concerns a village/community, compound or building, not a {area['level']}",
                "areaCode",
            )
        problems.refuse_if_any()
        assert title is not None
        key = await writes.insert_case(conn, area["id"], title, description)
        case = await writes.lock_case(conn, key)
        await _link(conn, case, petitions, "petitionIds", list(data.petition_ids))
        return key, True

    return await run(info, STAFF, "PetitionCase", work)


async def link_to_case(info: Info, data: Any) -> Outcome:
    problems = Problems()
    key = parse_key(data.case_id, "PetitionCase", "caseId", problems)
    petitions = parse_keys(list(data.petition_ids), "Petition", "petitionIds", problems)
    if not petitions and not problems:
        problems.add("INVALID_INPUT", "name at least one petition", "petitionIds")

    async def work(conn: asyncpg.Connection) -> tuple[int, bool]:
        problems.refuse_if_any()
        assert key is not None
        case = await writes.lock_case(conn, key)
        if case is None:
            raise Refused([Problem("NOT_FOUND", f"no case {data.case_id}", "caseId")])
        await _link(conn, case, petitions, "petitionIds", list(data.petition_ids))
        return key, True

    return await run(info, STAFF, "PetitionCase", work)


# case action -> (target status, the statuses petitions move from)
CASE_MOVES = {
    "start": ("in_progress", ("assigned",)),
    "resolve": ("resolved", ("assigned", "in_progress")),
}


async def handle_case(info: Info, data: Any) -> Outcome:
    """Move a case's petitions on together: those that can make the move do, each with
    its own event; the others stay as they are."""
    problems = Problems()
    key = parse_key(data.case_id, "PetitionCase", "caseId", problems)
    check_version(data.expected_version, "expectedVersion", problems)
    target, sources = CASE_MOVES[db_label(data.action)]
    note = text(data.note, "note", problems, required=target == "resolved", limit=NOTE_MAX)
    visibility = visibility_label(data.visibility)

    async def work(conn: asyncpg.Connection) -> tuple[int, bool]:
        problems.refuse_if_any()
        assert key is not None
        case = await writes.lock_case(conn, key)
        if case is None:
            raise Refused([Problem("NOT_FOUND", f"no case {data.case_id}", "caseId")])
        if case["version"] != data.expected_version:
            raise Refused(
                [
                    Problem(
                        "VERSION_CONFLICT",
                        f"the case is at version {case['version']}, not "
                        f"{data.expected_version}; reload and retry",
                        "expectedVersion",
                    )
                ]
            )
        await writes.event_context(conn, note, visibility)
        moved = await writes.move_case(conn, key, target, sources)
        if not moved:
            raise Refused(
                [
                    Problem(
                        "ILLEGAL_TRANSITION",
                        f"no petition of this case can become {target} "
                        f"(they must be {' or '.join(sources)})",
                    )
                ]
            )
        return key, True

    return await run(info, STAFF, "PetitionCase", work)
