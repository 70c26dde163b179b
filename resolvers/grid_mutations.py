"""Mutations of the grid: check the input, look up what it names, write in one
transaction with one audit row. Every problem found is reported at once (code, message,
input field); nothing is written when there is one. The database's triggers hold the same
rules as a backstop (db/grid_writes.py maps their constraints to the same codes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from strawberry import Info, relay

from db import grid_writes as writes
from db.errors import DomainError
from db.mapping import entity
from db.query import rows_by_key
from db.session import audit
from resolvers.context import Context

Record = asyncpg.Record

# Every code a grid or needs mutation reports; schema.grid_mutations.GridErrorCode mirrors it.
CODES = (
    "INVALID_INPUT",
    "NOT_FOUND",
    "UNKNOWN_AREA",
    "WRONG_AREA_LEVEL",
    "WRONG_PARENT",
    "OUTSIDE_AREA",
    "NOT_A_PARTY_MEMBER",
    "NOT_A_GRID_WORKER",
    "NOT_A_BUILDING_HEAD_NODE",
    "ILLEGAL_TRANSITION",
    "NEED_CLOSED",
    "DUPLICATE",
    "ALREADY_COMPLETED",
    "FORBIDDEN",
)

# Roles that write the grid (the database limits them to their area).
WRITERS = ("admin", "officer", "community_worker", "grid_worker")
# The levels a node of each grid level may cover, and the level of its parent node.
NODE_AREAS = {
    "committee": ("village",),
    "party_group": ("village", "compound", "building"),
    "building_head": ("compound", "building"),
}
NODE_PARENT = {"committee": None, "party_group": "committee", "building_head": "party_group"}
VISITORS = ("grid_worker", "building_head", "courtyard_head")
NAME_MAX = 100
TEXT_MAX = 2000


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None


class Problems(list[Problem]):
    def add(self, code: str, message: str, field: str | None = None) -> None:
        assert code in CODES, code
        self.append(Problem(code, message, field))

    def refuse_if_any(self) -> None:
        if self:
            raise Refused(list(self))


class Refused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


Outcome = tuple[str, Record] | list[Problem]


def gid(type_name: str, key: int) -> str:
    return str(relay.GlobalID(type_name, str(key)))


def parse_key(value: Any, type_name: str, field: str, problems: Problems) -> int | None:
    try:
        parsed = relay.GlobalID.from_id(str(value))
        if parsed.type_name != type_name:
            raise ValueError
        key = int(parsed.node_id)
        if not 0 < key < 2**63:
            raise ValueError
    except ValueError:
        problems.add("NOT_FOUND", f"{value!r} is not the id of a {type_name}", field)
        return None
    return key


def text(value: str | None, field: str, problems: Problems, *, required: bool, limit: int) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        problems.add("INVALID_INPUT", f"{field} must not be empty", field)
    elif len(cleaned) > limit:
        problems.add("INVALID_INPUT", f"{field} is longer than {limit} characters", field)
    return cleaned


def label(value: Any) -> Any:
    return getattr(value, "value", value)


def under(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith(ancestor + ".")


def community_of(path: str) -> str | None:
    labels = path.split(".")
    return ".".join(labels[:5]) if len(labels) >= 5 else None


async def lookup_area(
    conn: asyncpg.Connection, code: str, field: str, problems: Problems, levels: tuple[str, ...]
) -> Record | None:
    found = await writes.area(conn, code)
    if found is None:
        problems.add("UNKNOWN_AREA", f"no area has code {code!r}", field)
    elif found["level"] not in levels:
        problems.add(
            "WRONG_AREA_LEVEL",
            f"{code} is a {found['level']}; expected {' or '.join(levels)}",
            field,
        )
        return None
    return found


async def lookup_resident(
    conn: asyncpg.Connection, key: int | None, field: str, problems: Problems
) -> Record | None:
    if key is None:
        return None
    found = (await writes.residents(conn, [key])).get(key)
    if found is None:
        problems.add("NOT_FOUND", f"no resident {gid('Resident', key)}", field)
    return found


async def run(
    info: Info,
    target: str,
    work: Callable[[asyncpg.Connection], Awaitable[int]],
    roles: tuple[str, ...] = WRITERS,
) -> Outcome:
    """``work`` on one connection in one transaction; returns the target's row read back
    through the mapping, or the problems (and nothing written)."""
    ctx: Context = info.context
    role = ctx.db.principal.role
    if role not in roles:
        return [Problem("FORBIDDEN", f"a {role} may not {info.field_name}")]
    try:
        async with ctx.db.transaction(operation=info.field_name) as conn:
            try:
                key = await work(conn)
            except asyncpg.InsufficientPrivilegeError as exc:
                raise DomainError(
                    "FORBIDDEN", "outside what your role and area may change"
                ) from exc
            await audit(conn, target, key)
            row = (await rows_by_key(conn, entity(target), [key]))[key]
    except Refused as exc:
        return exc.problems
    except DomainError as exc:
        return [Problem(exc.code, exc.message, exc.field)]
    finally:
        ctx.reset_loaders()
    return target, row


# -- grid nodes ------------------------------------------------------------------------


async def create_grid_node(info: Info, data: Any) -> Outcome:
    problems = Problems()
    level = label(data.level)
    name = text(data.name, "name", problems, required=True, limit=NAME_MAX)
    parent_key = None
    if data.parent_id is not None:
        parent_key = parse_key(data.parent_id, "GridNode", "parentId", problems)
    if (data.parent_id is None) != (NODE_PARENT[level] is None):
        problems.add(
            "WRONG_PARENT",
            "a committee has no parent"
            if level == "committee"
            else f"a {level} node needs a parent {NODE_PARENT[level]} node",
            "parentId",
        )
    leader_key = None
    if data.leader_id is not None:
        leader_key = parse_key(data.leader_id, "Resident", "leaderId", problems)

    async def work(conn: asyncpg.Connection) -> int:
        area = await lookup_area(conn, data.area_code, "areaCode", problems, NODE_AREAS[level])
        parent = None
        if parent_key is not None:
            parent = await writes.node(conn, parent_key)
            if parent is None:
                problems.add("NOT_FOUND", f"no grid node {data.parent_id}", "parentId")
            elif parent["level"] != NODE_PARENT[level]:
                problems.add(
                    "WRONG_PARENT",
                    f"a {level} node sits under a {NODE_PARENT[level]}, not a {parent['level']}",
                    "parentId",
                )
            elif area is not None and not under(area["path"], parent["area_path"]):
                problems.add(
                    "OUTSIDE_AREA", "the area lies outside the parent node's area", "areaCode"
                )
        leader = await lookup_resident(conn, leader_key, "leaderId", problems)
        if area is not None and leader is not None:
            check_leader(level, area["path"], leader, "leaderId", problems)
        problems.refuse_if_any()
        assert area is not None
        return await writes.insert_node(conn, level, area["id"], parent_key, name, leader_key)

    return await run(info, "GridNode", work)


def check_leader(
    level: str, area_path: str, leader: Record, field: str, problems: Problems
) -> None:
    if community_of(leader["area_path"]) != community_of(area_path):
        problems.add("OUTSIDE_AREA", "a grid leader lives in the node's community", field)
    if level in ("committee", "party_group") and not leader["is_party_member"]:
        problems.add(
            "NOT_A_PARTY_MEMBER", "a committee or party group is led by a party member", field
        )


async def assign_grid_leader(info: Info, data: Any) -> Outcome:
    problems = Problems()
    node_key = parse_key(data.node_id, "GridNode", "nodeId", problems)
    resident_key = parse_key(data.resident_id, "Resident", "residentId", problems)

    async def work(conn: asyncpg.Connection) -> int:
        node = None if node_key is None else await writes.node(conn, node_key)
        if node_key is not None and node is None:
            problems.add("NOT_FOUND", f"no grid node {data.node_id}", "nodeId")
        leader = await lookup_resident(conn, resident_key, "residentId", problems)
        if node is not None and leader is not None:
            check_leader(node["level"], node["area_path"], leader, "residentId", problems)
        problems.refuse_if_any()
        assert node_key is not None and resident_key is not None
        await writes.set_leader(conn, node_key, resident_key)
        return node_key

    return await run(info, "GridNode", work)


async def assign_households(info: Info, data: Any) -> Outcome:
    problems = Problems()
    node_key = parse_key(data.node_id, "GridNode", "nodeId", problems)
    keys: list[int] = []
    for i, value in enumerate(data.household_ids):
        key = parse_key(value, "Household", f"householdIds.{i}", problems)
        if key is not None:
            keys.append(key)
    if not data.household_ids:
        problems.add("INVALID_INPUT", "give at least one household", "householdIds")

    async def work(conn: asyncpg.Connection) -> int:
        node = None if node_key is None else await writes.node(conn, node_key)
        if node_key is not None and node is None:
            problems.add("NOT_FOUND", f"no grid node {data.node_id}", "nodeId")
        elif node is not None and node["level"] != "building_head":
            problems.add(
                "NOT_A_BUILDING_HEAD_NODE",
                f"households are assigned to building-head nodes, not a {node['level']}",
                "nodeId",
            )
        found = await writes.households(conn, keys)
        for i, value in enumerate(data.household_ids):
            key = keys[i] if i < len(keys) else None
            household = found.get(key) if key is not None else None
            if key is not None and household is None:
                problems.add("NOT_FOUND", f"no household {value}", f"householdIds.{i}")
            elif (
                household is not None
                and node is not None
                and not under(household["area_path"], node["area_path"])
            ):
                problems.add(
                    "OUTSIDE_AREA",
                    f"household {value} lives outside the building head's area",
                    f"householdIds.{i}",
                )
        problems.refuse_if_any()
        assert node_key is not None
        await writes.assign_households(conn, node_key, sorted(set(keys)))
        return node_key

    return await run(info, "GridNode", work)


async def record_visit(info: Info, data: Any) -> Outcome:
    import datetime as dt

    problems = Problems()
    household_key = parse_key(data.household_id, "Household", "householdId", problems)
    worker_key = parse_key(data.worker_id, "Resident", "workerId", problems)
    notes = text(data.notes, "notes", problems, required=False, limit=TEXT_MAX)
    if data.visited_on > dt.datetime.now(dt.UTC).date():
        problems.add("INVALID_INPUT", "a visit cannot be recorded for a future date", "visitedOn")

    async def work(conn: asyncpg.Connection) -> int:
        if household_key is not None and household_key not in await writes.households(
            conn, [household_key]
        ):
            problems.add("NOT_FOUND", f"no household {data.household_id}", "householdId")
        worker = await lookup_resident(conn, worker_key, "workerId", problems)
        if worker is not None and not set(worker["roles"]) & set(VISITORS):
            problems.add(
                "NOT_A_GRID_WORKER",
                "visits are made by grid workers, building or courtyard heads",
                "workerId",
            )
        problems.refuse_if_any()
        assert household_key is not None and worker_key is not None
        return await writes.insert_visit(conn, household_key, worker_key, data.visited_on, notes)

    return await run(info, "GridVisit", work)


async def record_party_branch(info: Info, data: Any) -> Outcome:
    problems = Problems()
    name = text(data.name, "name", problems, required=True, limit=NAME_MAX)

    async def work(conn: asyncpg.Connection) -> int:
        area = await lookup_area(conn, data.area_code, "areaCode", problems, ("compound",))
        problems.refuse_if_any()
        assert area is not None
        await writes.record_branch(conn, area["id"], label(data.branch_type), name)
        return area["id"]  # CompoundBranch is keyed by its compound

    return await run(info, "CompoundBranch", work)


async def register_in_service_party_member(info: Info, data: Any) -> Outcome:
    problems = Problems()
    resident_key = parse_key(data.resident_id, "Resident", "residentId", problems)
    workplace = text(
        data.workplace_organisation, "workplaceOrganisation", problems, required=True, limit=200
    )

    async def work(conn: asyncpg.Connection) -> int:
        area = await lookup_area(conn, data.community_code, "communityCode", problems, ("village",))
        member = await lookup_resident(conn, resident_key, "residentId", problems)
        if member is not None:
            if not member["is_party_member"]:
                problems.add(
                    "NOT_A_PARTY_MEMBER",
                    "only party members report to their community",
                    "residentId",
                )
            if area is not None and not under(member["area_path"], area["path"]):
                problems.add(
                    "OUTSIDE_AREA",
                    "a party member reports to the community they live in",
                    "communityCode",
                )
            if await writes.party_report_of(conn, member["id"]) is not None:
                problems.add("DUPLICATE", "this party member has reported already", "residentId")
        problems.refuse_if_any()
        assert area is not None and resident_key is not None
        return await writes.insert_party_report(
            conn, resident_key, area["id"], workplace, data.reported_on
        )

    return await run(info, "PartyMemberReport", work)
