"""Mutations of the needs, resources and projects lists and of micro-projects (the same
pattern as resolvers/grid_mutations.py: check all, look up, write in one transaction)."""

from __future__ import annotations

from typing import Any

import asyncpg
from strawberry import Info

from db import needs_writes as writes
from resolvers.grid_mutations import (
    TEXT_MAX,
    WRITERS,
    Outcome,
    Problems,
    community_of,
    label,
    lookup_area,
    lookup_resident,
    parse_key,
    run,
    text,
    under,
)

LOCAL_LEVELS = ("village", "compound", "building")
# Residents add needs for their own household and propose micro-projects they sponsor
# (row-level security holds them to that).
RESIDENT_TOO = (*WRITERS, "resident")
BUDGET_MAX = 2**53  # fen; far above any budget, below what clients' numbers hold exactly


def _budget(value: int, problems: Problems) -> int:
    if not 0 <= value <= BUDGET_MAX:
        problems.add("INVALID_INPUT", "budgetFen must not be negative", "budgetFen")
    return value


async def add_need(info: Info, data: Any) -> Outcome:
    problems = Problems()
    title = text(data.title, "title", problems, required=True, limit=200)
    description = text(data.description, "description", problems, required=False, limit=TEXT_MAX)
    household_key = None
    if (data.household_id is None) == (data.area_code is None):
        problems.add("INVALID_INPUT", "give exactly one of householdId and areaCode", "householdId")
    elif data.household_id is not None:
        household_key = parse_key(data.household_id, "Household", "householdId", problems)

    async def work(conn: asyncpg.Connection) -> int:
        from db import grid_writes

        area = None
        if data.area_code is not None and data.household_id is None:
            area = await lookup_area(conn, data.area_code, "areaCode", problems, LOCAL_LEVELS)
        if household_key is not None and not await grid_writes.households(conn, [household_key]):
            problems.add("NOT_FOUND", f"no household {data.household_id}", "householdId")
        problems.refuse_if_any()
        return await writes.insert_need(
            conn,
            household_key,
            None if area is None else area["id"],
            label(data.category),
            title,
            description,
        )

    return await run(info, "Need", work, RESIDENT_TOO)


async def add_resource(info: Info, data: Any) -> Outcome:
    problems = Problems()
    kind = label(data.provider_kind)
    title = text(data.title, "title", problems, required=True, limit=200)
    description = text(data.description, "description", problems, required=False, limit=TEXT_MAX)
    name = text(data.provider_name, "providerName", problems, required=False, limit=200)
    resident_key = None
    if kind == "resident":
        if data.provider_resident_id is None:
            problems.add(
                "INVALID_INPUT",
                "a RESIDENT provider needs providerResidentId",
                "providerResidentId",
            )
        else:
            resident_key = parse_key(
                data.provider_resident_id, "Resident", "providerResidentId", problems
            )
    else:
        if data.provider_resident_id is not None:
            problems.add(
                "INVALID_INPUT",
                f"a {kind} provider is named, not given as a resident",
                "providerResidentId",
            )
        if not name:
            problems.add("INVALID_INPUT", f"name the {kind} in providerName", "providerName")

    async def work(conn: asyncpg.Connection) -> int:
        nonlocal name
        area = await lookup_area(conn, data.area_code, "areaCode", problems, LOCAL_LEVELS)
        if resident_key is not None:
            found = await writes.resident_name(conn, resident_key)
            if found is None:
                problems.add(
                    "NOT_FOUND", f"no resident {data.provider_resident_id}", "providerResidentId"
                )
            name = name or found or ""
        problems.refuse_if_any()
        assert area is not None
        return await writes.insert_resource(
            conn, kind, resident_key, name, area["id"], label(data.category), title, description
        )

    return await run(info, "Resource", work)


async def match_need(info: Info, data: Any) -> Outcome:
    problems = Problems()
    need_key = parse_key(data.need_id, "Need", "needId", problems)
    resource_key = parse_key(data.resource_id, "Resource", "resourceId", problems)
    note = text(data.note, "note", problems, required=False, limit=TEXT_MAX)

    async def work(conn: asyncpg.Connection) -> int:
        need = None
        if need_key is not None:
            need = (await writes.needs(conn, [need_key])).get(need_key)
            if need is None:
                problems.add("NOT_FOUND", f"no need {data.need_id}", "needId")
            elif need["status"] in ("met", "closed"):
                problems.add("NEED_CLOSED", f"the need is {need['status']}", "needId")
        resource = None if resource_key is None else await writes.resource(conn, resource_key)
        if resource_key is not None and resource is None:
            problems.add("NOT_FOUND", f"no resource {data.resource_id}", "resourceId")
        elif resource is not None and not resource["available"]:
            problems.add("INVALID_INPUT", "the resource is no longer available", "resourceId")
        if (
            need is not None
            and resource is not None
            and await writes.match_exists(conn, need["id"], resource["id"])
        ):
            problems.add("DUPLICATE", "this resource is matched to the need already", "resourceId")
        problems.refuse_if_any()
        assert need_key is not None and resource_key is not None
        return await writes.insert_match(conn, need_key, resource_key, note)

    return await run(info, "NeedMatch", work)


async def set_match_status(info: Info, data: Any) -> Outcome:
    problems = Problems()
    key = parse_key(data.match_id, "NeedMatch", "matchId", problems)
    status = label(data.status)
    note = None
    if data.note is not None:
        note = text(data.note, "note", problems, required=False, limit=TEXT_MAX)

    async def work(conn: asyncpg.Connection) -> int:
        current = None if key is None else await writes.match(conn, key)
        if key is not None and current is None:
            problems.add("NOT_FOUND", f"no match {data.match_id}", "matchId")
        elif current is not None and not await writes.transition_allowed(
            conn, current["status"], status
        ):
            problems.add(
                "ILLEGAL_TRANSITION",
                f"a {current['status'].upper()} match cannot become {status.upper()}",
                "status",
            )
        problems.refuse_if_any()
        assert key is not None
        await writes.set_match_status(conn, key, status, note)
        return key

    return await run(info, "NeedMatch", work)


async def create_project(info: Info, data: Any) -> Outcome:
    problems = Problems()
    name = text(data.name, "name", problems, required=True, limit=200)
    description = text(data.description, "description", problems, required=False, limit=TEXT_MAX)
    budget = _budget(data.budget_fen, problems)
    keys: dict[int, int] = {}
    for i, value in enumerate(data.need_ids):
        key = parse_key(value, "Need", f"needIds.{i}", problems)
        if key is not None:
            if key in keys.values():
                problems.add("DUPLICATE", f"need {value} is listed twice", f"needIds.{i}")
            keys[i] = key

    async def work(conn: asyncpg.Connection) -> int:
        area = await lookup_area(conn, data.area_code, "areaCode", problems, LOCAL_LEVELS)
        found = await writes.needs(conn, list(keys.values()))
        for i, key in keys.items():
            need = found.get(key)
            if need is None:
                problems.add("NOT_FOUND", f"no need {data.need_ids[i]}", f"needIds.{i}")
            elif area is not None and not under(need["area_path"], area["path"]):
                problems.add(
                    "OUTSIDE_AREA", "the need lies outside the project's area", f"needIds.{i}"
                )
        problems.refuse_if_any()
        assert area is not None
        return await writes.insert_project(
            conn, area["id"], name, description, budget, sorted(set(keys.values()))
        )

    return await run(info, "Project", work)


async def propose_micro_project(info: Info, data: Any) -> Outcome:
    problems = Problems()
    title = text(data.title, "title", problems, required=True, limit=200)
    description = text(data.description, "description", problems, required=False, limit=TEXT_MAX)
    budget = _budget(data.budget_fen, problems)
    sponsor_key = parse_key(data.sponsor_id, "Resident", "sponsorId", problems)

    async def work(conn: asyncpg.Connection) -> int:
        area = await lookup_area(conn, data.area_code, "areaCode", problems, LOCAL_LEVELS)
        sponsor = await lookup_resident(conn, sponsor_key, "sponsorId", problems)
        if (
            area is not None
            and sponsor is not None
            and community_of(sponsor["area_path"]) != community_of(area["path"])
        ):
            problems.add("OUTSIDE_AREA", "the sponsor lives in another community", "sponsorId")
        problems.refuse_if_any()
        assert area is not None and sponsor_key is not None
        return await writes.insert_micro_project(
            conn, title, description, sponsor_key, area["id"], budget, data.proposed_on
        )

    return await run(info, "MicroProject", work, RESIDENT_TOO)


async def _open_project(
    conn: asyncpg.Connection, key: int | None, value: Any, problems: Problems
) -> Any:
    project = None if key is None else await writes.micro_project(conn, key)
    if key is not None and project is None:
        problems.add("NOT_FOUND", f"no micro-project {value}", "microProjectId")
    elif project is not None and project["status"] == "completed":
        problems.add("ALREADY_COMPLETED", "the micro-project is completed", "microProjectId")
    return project


async def add_participant(info: Info, data: Any) -> Outcome:
    problems = Problems()
    project_key = parse_key(data.micro_project_id, "MicroProject", "microProjectId", problems)
    resident_key = parse_key(data.resident_id, "Resident", "residentId", problems)

    async def work(conn: asyncpg.Connection) -> int:
        project = await _open_project(conn, project_key, data.micro_project_id, problems)
        resident = await lookup_resident(conn, resident_key, "residentId", problems)
        if (
            project is not None
            and resident is not None
            and await writes.is_participant(conn, project["id"], resident["id"])
        ):
            problems.add("DUPLICATE", "the resident takes part already", "residentId")
        problems.refuse_if_any()
        assert project_key is not None and resident_key is not None
        await writes.insert_participant(conn, project_key, resident_key, data.joined_on)
        return project_key

    return await run(info, "MicroProject", work)


async def record_outcome(info: Info, data: Any) -> Outcome:
    problems = Problems()
    project_key = parse_key(data.micro_project_id, "MicroProject", "microProjectId", problems)
    outcome = text(data.outcome, "outcome", problems, required=True, limit=TEXT_MAX)

    async def work(conn: asyncpg.Connection) -> int:
        project = await _open_project(conn, project_key, data.micro_project_id, problems)
        if project is not None and data.completed_on < project["proposed_on"]:
            problems.add("INVALID_INPUT", "completedOn is before the proposal", "completedOn")
        problems.refuse_if_any()
        assert project_key is not None
        await writes.record_outcome(conn, project_key, outcome, data.completed_on)
        return project_key

    return await run(info, "MicroProject", work)
