"""Mutations of the collective-enterprise domain: check the input, look up, write in one
transaction, audit.

Like the community mutations (resolvers/community_mutations.py), each one collects every
problem it can find before writing (codes, messages naming the rule, input paths), and
refuses with nothing written. The database's constraints and deferred identity triggers
(migration 0006) stay the backstop: what only they catch (a concurrent write, say)
arrives as a ``DomainError`` with the same codes, the message naming the constraint.

The input checks (amounts, credit codes, names, accounts, distribution lines) live in
resolvers/enterprises_checks.py. Inputs are the schema's input objects, read by
attribute; enum fields carry the database's labels as values; ids are Relay global ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from strawberry import UNSET, Info

from db import enterprises_writes as writes
from db.enterprises_mapping import (
    ACCOUNT,
    DISCLOSURE,
    DISTRIBUTION,
    ENTERPRISE,
    MEMBERSHIP,
    SHAREHOLDING,
)
from db.errors import DomainError
from db.mapping import Entity
from db.query import rows_by_key
from db.session import audit
from resolvers.community_checks import blank_to_none, db_label, parse_key
from resolvers.context import Context
from resolvers.enterprises_checks import (
    CODES,
    Problems,
    Refused,
    account_values,
    check_credit_code,
    check_name,
    distribution_values,
)

Record = asyncpg.Record

WRITER_ROLES = ("admin", "community_worker", "officer")
ENTERPRISE_AREA_LEVELS = ("town", "village", "compound")
# (entity written, its row) or the problems: (code, message, field)
Outcome = tuple[Entity, Record] | list[tuple[str, str, str | None]]


async def _run(
    info: Info, target: Entity, work: Callable[[asyncpg.Connection], Awaitable[int]]
) -> Outcome:
    ctx: Context = info.context
    role = ctx.db.principal.role
    if role not in WRITER_ROLES:
        return [("FORBIDDEN", f"a {role} may not change collective enterprise data", None)]
    try:
        with writes.enterprise_errors():
            async with ctx.db.transaction(operation=info.field_name) as conn:
                key = await work(conn)
                row = (await rows_by_key(conn, target, [key]))[key]
                await audit(conn, target.name, key)
                # the deferred identities are judged here, inside the error mapping
                await conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except Refused as exc:
        return exc.problems
    except DomainError as exc:
        return [(exc.code, exc.message, exc.field)]
    finally:
        ctx.reset_loaders()
    return target, row


def _in(path: str | None, area_path: str) -> bool:
    return path is not None and (path == area_path or path.startswith(area_path + "."))


# -- enterprises ---------------------------------------------------------------------------


async def _check_enterprise(
    conn: asyncpg.Connection,
    values: dict[str, Any],
    area_path: str,
    except_id: int | None,
    problems: Problems,
) -> None:
    code = values["credit_code"]
    if code is not None and await writes.credit_code_holder(conn, code, except_id):
        problems.add(
            "DUPLICATE_CREDIT_CODE", "another enterprise has this credit code", "creditCode"
        )
    rep = values["legal_representative_id"]
    if rep is not None and not _in(await writes.resident_path(conn, rep), area_path):
        problems.add(
            "NOT_IN_AREA",
            "the legal representative must be a resident of the enterprise's area",
            "legalRepresentativeId",
        )
    if values["founded_on"] is not None and values["founded_on"] > dt.date.today():
        problems.add("INVALID_INPUT", "the founding date is in the future", "foundedOn")


async def create_enterprise(info: Info, data: Any) -> Outcome:
    problems = Problems()
    kind = db_label(data.kind)
    values = {
        "name": check_name(data.name, problems),
        "kind": kind,
        "credit_code": check_credit_code(data.credit_code, kind, problems),
        "founded_on": data.founded_on,
        "legal_representative_id": parse_key(
            data.legal_representative_id, "Resident", "legalRepresentativeId", problems
        ),
    }

    async def work(conn: asyncpg.Connection) -> int:
        area = await writes.area_by_code(conn, data.area_code.strip())
        if area is None:
            problems.add("UNKNOWN_AREA", f"no area has code {data.area_code!r}", "areaCode")
        elif area["level"] not in ENTERPRISE_AREA_LEVELS:
            problems.add(
                "WRONG_AREA_LEVEL",
                f"an enterprise belongs to a town, village or group, not a {area['level']}",
                "areaCode",
            )
        else:
            await _check_enterprise(conn, values, area["path"], None, problems)
        problems.refuse_if_any()
        assert area is not None
        return await writes.insert_enterprise(conn, area["id"], writes.EnterpriseValues(**values))

    return await _run(info, ENTERPRISE, work)


async def update_enterprise(info: Info, data: Any) -> Outcome:
    problems = Problems()
    key = parse_key(data.id, "CollectiveEnterprise", "id", problems)
    given = {
        name: getattr(data, name)
        for name in ("name", "kind", "credit_code", "founded_on", "legal_representative_id")
        if getattr(data, name) is not UNSET
    }
    for name, value in given.items():
        if value is None:
            problems.add("INVALID_INPUT", f"{name} cannot be cleared", name)

    async def work(conn: asyncpg.Connection) -> int:
        current = None if key is None else await writes.lock_enterprise(conn, key)
        if key is not None and current is None:
            problems.add("NOT_FOUND", f"no enterprise {data.id}", "id")
        problems.refuse_if_any()
        assert current is not None and key is not None
        kind = db_label(given.get("kind") or current["kind"])
        values: dict[str, Any] = {
            "name": check_name(given["name"], problems) if "name" in given else current["name"],
            "kind": kind,
            "credit_code": (
                check_credit_code(
                    given.get("credit_code") or current["credit_code"], kind, problems
                )
            ),
            "founded_on": given.get("founded_on") or current["founded_on"],
            "legal_representative_id": (
                parse_key(
                    given["legal_representative_id"],
                    "Resident",
                    "legalRepresentativeId",
                    problems,
                )
                if "legal_representative_id" in given
                else current["legal_representative_id"]
            ),
        }
        await _check_enterprise(conn, values, current["area_path"], key, problems)
        problems.refuse_if_any()
        await writes.update_enterprise(conn, key, writes.EnterpriseValues(**values))
        return key

    return await _run(info, ENTERPRISE, work)


async def _enterprise(
    conn: asyncpg.Connection, key: int | None, field: str, problems: Problems
) -> Record | None:
    if key is None:
        return None
    found = await writes.lock_enterprise(conn, key)
    if found is None:
        problems.add("NOT_FOUND", "no such enterprise (or not yours to change)", field)
    return found


# -- members and shares ------------------------------------------------------------------


async def add_membership(info: Info, data: Any) -> Outcome:
    problems = Problems()
    enterprise_key = parse_key(data.enterprise_id, "CollectiveEnterprise", "enterpriseId", problems)
    household_key = parse_key(data.household_id, "Household", "householdId", problems)

    async def work(conn: asyncpg.Connection) -> int:
        enterprise = await _enterprise(conn, enterprise_key, "enterpriseId", problems)
        if enterprise is not None and household_key is not None:
            path = await writes.household_path(conn, household_key)
            if path is None:
                problems.add("NOT_FOUND", "no such household", "householdId")
            elif not _in(path, enterprise["area_path"]):
                problems.add(
                    "NOT_IN_AREA",
                    "the household does not live in the enterprise's area",
                    "householdId",
                )
            for period in await writes.member_periods(conn, enterprise["id"], household_key):
                if period["left_on"] is None or period["left_on"] >= data.joined_on:
                    problems.add(
                        "MEMBERSHIP_OVERLAP",
                        f"the household is a member from {period['joined_on']}"
                        + (f" to {period['left_on']}" if period["left_on"] else " on"),
                        "joinedOn",
                    )
        problems.refuse_if_any()
        assert enterprise_key is not None and household_key is not None
        return await writes.insert_member(conn, enterprise_key, household_key, data.joined_on)

    return await _run(info, MEMBERSHIP, work)


async def end_membership(info: Info, data: Any) -> Outcome:
    problems = Problems()
    key = parse_key(data.id, "EnterpriseMembership", "id", problems)

    async def work(conn: asyncpg.Connection) -> int:
        member = None if key is None else await writes.lock_member(conn, key)
        if key is not None and member is None:
            problems.add("NOT_FOUND", "no such membership", "id")
        if member is not None:
            if member["left_on"] is not None:
                problems.add("INVALID_INPUT", f"the membership ended on {member['left_on']}", "id")
            if data.left_on < member["joined_on"]:
                problems.add(
                    "INVALID_INPUT", f"leaving precedes joining on {member['joined_on']}", "leftOn"
                )
        problems.refuse_if_any()
        assert member is not None
        await writes.end_member(conn, member, data.left_on)
        return member["id"]

    return await _run(info, MEMBERSHIP, work)


async def set_shareholdings(info: Info, data: Any) -> Outcome:
    """Returns the enterprise (its shareholdings list the new state)."""
    problems = Problems()
    enterprise_key = parse_key(data.enterprise_id, "CollectiveEnterprise", "enterpriseId", problems)
    household_key = parse_key(data.household_id, "Household", "householdId", problems)
    holdings = []
    seen: set[str] = set()
    for i, h in enumerate(data.holdings):
        share_class = db_label(h.share_class)
        if share_class in seen:
            problems.add(
                "INVALID_INPUT", f"{share_class} is given twice", f"holdings.{i}.shareClass"
            )
        seen.add(share_class)
        if not 1 <= h.quantity <= 1_000_000_000:
            problems.add(
                "INVALID_INPUT", "a quantity is 1 to 1,000,000,000 shares", f"holdings.{i}.quantity"
            )
        holdings.append((share_class, h.quantity))

    async def work(conn: asyncpg.Connection) -> int:
        enterprise = await _enterprise(conn, enterprise_key, "enterpriseId", problems)
        if enterprise is not None and household_key is not None and holdings:
            periods = await writes.member_periods(conn, enterprise["id"], household_key)
            if not any(p["joined_on"] <= data.valid_from and p["left_on"] is None for p in periods):
                problems.add(
                    "NOT_A_MEMBER",
                    f"the household is not a member from {data.valid_from} on; only member "
                    "households hold shares",
                    "householdId",
                )
        problems.refuse_if_any()
        assert enterprise_key is not None and household_key is not None
        await writes.set_shareholdings(
            conn, enterprise_key, household_key, data.valid_from, holdings
        )
        return enterprise_key

    return await _run(info, ENTERPRISE, work)


# -- accounts and distributions ---------------------------------------------------------------


async def record_account(info: Info, data: Any) -> Outcome:
    problems = Problems()
    enterprise_key = parse_key(data.enterprise_id, "CollectiveEnterprise", "enterpriseId", problems)

    async def work(conn: asyncpg.Connection) -> int:
        enterprise = await _enterprise(conn, enterprise_key, "enterpriseId", problems)
        problems.refuse_if_any()
        assert enterprise is not None
        key = enterprise["id"]
        if data.year < enterprise["founded_on"].year:
            problems.add(
                "BEFORE_FOUNDING",
                f"the enterprise was founded on {enterprise['founded_on']}",
                "year",
            )
        first, last = await writes.account_years(conn, key)
        existing = await writes.account_of_year(conn, key, data.year)
        if existing is None and first is not None and not first - 1 <= data.year <= last + 1:  # type: ignore[operator]
            problems.add(
                "YEARS_NOT_CONTIGUOUS",
                f"accounts run from {first} to {last}; the next is {last + 1}",  # type: ignore[operator]
                "year",
            )
        if existing is not None and existing["published"]:
            problems.add(
                "PUBLISHED", f"the {data.year} account has been disclosed and is locked", "year"
            )
        previous = await writes.account_of_year(conn, key, data.year - 1)
        values = account_values(
            data, None if previous is None else previous["closing_undistributed_fen"], problems
        )
        dist = None
        if values is not None and data.distribution is not None:
            dist = await distribution_values(
                conn, key, values["dividend_pool_fen"], data.distribution, "distribution", problems
            )
        problems.refuse_if_any()
        assert values is not None
        account = await writes.write_account(
            conn, key, data.year, values, None if existing is None else existing["id"]
        )
        if dist is not None:
            old = await writes.distribution_of(conn, account)
            await writes.replace_distribution(
                conn, account, None if old is None else old["id"], dist
            )
        return account

    return await _run(info, ACCOUNT, work)


async def record_distribution(info: Info, data: Any) -> Outcome:
    problems = Problems()
    account_key = parse_key(data.account_id, "AnnualAccount", "accountId", problems)

    async def work(conn: asyncpg.Connection) -> int:
        account = None if account_key is None else await writes.lock_account(conn, account_key)
        if account_key is not None and account is None:
            problems.add("NOT_FOUND", "no such account (or not yours to change)", "accountId")
        problems.refuse_if_any()
        assert account is not None
        old = await writes.distribution_of(conn, account["id"])
        if old is not None and old["published"]:
            problems.add(
                "PUBLISHED", "the distribution has been disclosed and is locked", "accountId"
            )
        dist = await distribution_values(
            conn,
            account["enterprise_id"],
            account["dividend_pool_fen"],
            data.distribution,
            "distribution",
            problems,
        )
        problems.refuse_if_any()
        assert dist is not None
        return await writes.replace_distribution(
            conn, account["id"], None if old is None else old["id"], dist
        )

    return await _run(info, DISTRIBUTION, work)


async def publish_disclosure(info: Info, data: Any) -> Outcome:
    problems = Problems()
    account_key = parse_key(data.account_id, "AnnualAccount", "accountId", problems)
    published_on = data.published_on or dt.date.today()
    if published_on > dt.date.today():
        problems.add("INVALID_INPUT", "a disclosure cannot be dated in the future", "publishedOn")
    note = blank_to_none(data.note)
    if note is not None and len(note) > 500:
        problems.add("INVALID_INPUT", "a note has at most 500 characters", "note")

    async def work(conn: asyncpg.Connection) -> int:
        account = None if account_key is None else await writes.lock_account(conn, account_key)
        if account_key is not None and account is None:
            problems.add("NOT_FOUND", "no such account (or not yours to change)", "accountId")
        problems.refuse_if_any()
        assert account is not None
        return await writes.insert_disclosure(
            conn, account["id"], published_on, data.publishes_lines, note
        )

    return await _run(info, DISCLOSURE, work)


__all__ = ["CODES", "SHAREHOLDING"]
