"""The petitions audit suite (P1-P4) and the reconciliation of monthly reports with the
service's petitions, volunteer records and dividend lines (K4-K6): each check finds
exactly the defects planted, and nothing on clean data.

Petitions and their histories are written as the database owner, the operators' import
path of migration 0005 (any legal state, with the history it brings): that is how a
broken history reaches a database whose service always writes a sound one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from tests.audit_support import add_report, add_run, found, run
from tests.enterprises_support import account_values, coop, insert_account, insert_distribution
from tests.factories import add_areas, add_household
from tests.test_reads import gid

DAPING = "510129101201"  # 大坪村
DAPING_COMPOUND = "510129101201-01"
FANGNIU_COMPOUND = "510129101202-01"
BEIJING = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime.now(dt.UTC)
TODAY = NOW.astimezone(BEIJING).date()
PETITION_RULES = ("P1", "P2", "P3", "P4")

# (hours after receipt, kind, from, to) of a full life
LIFE = [
    (0, "submitted", None, "received"),
    (2, "triaged", "received", "triaged"),
    (5, "assigned", "triaged", "assigned"),
    (6, "comment", "assigned", "assigned"),
    (7, "reassigned", "assigned", "assigned"),
    (11, "in_progress", "assigned", "in_progress"),
    (50, "resolved", "in_progress", "resolved"),
    (70, "feedback", "resolved", "feedback"),
    (80, "closed", "feedback", "closed"),
]


async def add_petition(
    db: asyncpg.Connection,
    area: int,
    status: str,
    received: dt.datetime,
    events: list[tuple[float, str, str | None, str]],
    **columns: Any,
) -> int:
    """A petition as an operator imports it, with ``events`` (hours after receipt, kind,
    from, to) as its history, in that recording order."""
    values: dict[str, Any] = {
        "area_id": area,
        "category_id": await db.fetchval("SELECT id FROM petition_category WHERE code = 'noise'"),
        "channel": "walk_in",
        "status": status,
        "description": "广场舞音响声音太大",
        "received_at": received,
        "due_date": TODAY + dt.timedelta(days=10),
        "submitted_by": "import",
    }
    if status not in ("received", "duplicate", "rejected", "referred"):
        values |= {
            "triage": "minor",
            "triage_reason": "社区公共事务",
            "triaged_by": "网格员",
            "triaged_at": received + dt.timedelta(hours=2),
        }
    if status in ("assigned", "in_progress", "resolved", "feedback", "closed"):
        values |= {
            "assignee_kind": "residents_committee",
            "assignee_name": "居委会",
            "assigned_at": received + dt.timedelta(hours=5),
        }
    if status in ("resolved", "feedback", "closed"):
        values |= {
            "resolved_at": received + dt.timedelta(hours=50),
            "ended_at": received + dt.timedelta(hours=50),
        }
    if status in ("feedback", "closed"):
        values |= {"satisfaction": "satisfied", "feedback_at": received + dt.timedelta(hours=70)}
    if status == "closed":
        values["closed_at"] = received + dt.timedelta(hours=80)
    if status == "rejected":
        values |= {"reject_reason": "不属于受理范围", "ended_at": received + dt.timedelta(hours=3)}
    values.update(columns)
    names = ", ".join(values)
    params = ", ".join(f"${i + 1}" for i in range(len(values)))
    pid = await db.fetchval(
        f"INSERT INTO petition ({names}) VALUES ({params}) RETURNING id", *values.values()
    )
    for hours, kind, from_status, to_status in events:
        await db.execute(
            """INSERT INTO petition_event (petition_id, at, kind, from_status, to_status,
                   visibility, actor, actor_role)
               VALUES ($1, $2, $3, $4, $5, 'public', 'import', 'operator')""",
            pid,
            received + dt.timedelta(hours=hours),
            kind,
            from_status,
            to_status,
        )
    return pid


async def _village(db: asyncpg.Connection) -> dict[str, int]:
    areas = await add_areas(db)
    await add_household(db, areas[DAPING_COMPOUND], "101", [{"name": "张大山"}])
    return areas


async def _clean_petitions(db: asyncpg.Connection, area: int) -> list[int]:
    """Sound histories: a whole life, a rejection, fresh open ones, and one triaged long
    ago, assigned, and triaged again just now (its clock restarts)."""
    long_ago = NOW - dt.timedelta(days=60)
    return [
        await add_petition(db, area, "closed", long_ago, LIFE),
        await add_petition(
            db,
            area,
            "rejected",
            long_ago,
            [(0, "submitted", None, "received"), (3, "rejected", "received", "rejected")],
        ),
        await add_petition(
            db, area, "received", NOW - dt.timedelta(hours=1), [(0, "submitted", None, "received")]
        ),
        await add_petition(db, area, "triaged", NOW - dt.timedelta(hours=3), LIFE[:2]),
        await add_petition(
            db,
            area,
            "triaged",
            NOW - dt.timedelta(days=20),
            [*LIFE[:3], (20 * 24 - 1, "retriaged", "assigned", "triaged")],
        ),
        # an import without history is not judged by its history
        await add_petition(db, area, "closed", long_ago, []),
    ]


async def test_clean_petitions_have_no_findings(db, database_url):
    areas = await _village(db)
    await _clean_petitions(db, areas[DAPING_COMPOUND])
    run_id = await run(database_url, suites=["petitions"])
    assert await found(db, run_id) == {r: set() for r in PETITION_RULES}


async def test_petition_checks_find_exactly_the_planted_defects(db, database_url):
    areas = await _village(db)
    area = areas[DAPING_COMPOUND]
    await _clean_petitions(db, area)
    long_ago = NOW - dt.timedelta(days=60)
    month = f"{long_ago.astimezone(BEIJING):%Y-%m}"
    # P1: assigned dated an hour before the triage recorded before it
    early = await add_petition(
        db,
        area,
        "closed",
        long_ago,
        [*LIFE[:2], (1, "assigned", "triaged", "assigned"), *LIFE[5:]],
    )
    # P1 too: an illegal move (received -> resolved), a gap in the chain (assigned
    # missing), a second start
    illegal = await add_petition(
        db,
        area,
        "resolved",
        long_ago,
        [LIFE[0], (50, "resolved", "received", "resolved")],
    )
    gap = await add_petition(db, area, "resolved", long_ago, [*LIFE[:2], *LIFE[5:7]])
    restarted = await add_petition(db, area, "closed", long_ago, [LIFE[0], *LIFE])
    # P2: feedback with no resolution before it (the history kept only the feedback); a
    # satisfaction recorded before the resolution (no history)
    unresolved = await add_petition(
        db, area, "feedback", long_ago, [(70, "feedback", "resolved", "feedback")]
    )
    rated_early = await add_petition(
        db, area, "closed", long_ago, [], feedback_at=long_ago + dt.timedelta(hours=20)
    )
    # P3: open past the due date
    overdue = await add_petition(
        db,
        area,
        "in_progress",
        long_ago,
        [*LIFE[:3], LIFE[5]],
        due_date=long_ago.date() + dt.timedelta(days=5),
    )
    # P4: triaged 20 days ago, never assigned (due later, so not overdue)
    waiting = await add_petition(db, area, "triaged", NOW - dt.timedelta(days=20), LIFE[:2])
    waiting_month = f"{(NOW - dt.timedelta(days=20)).astimezone(BEIJING):%Y-%m}"

    run_id = await run(database_url, suites=["petitions"])

    assert await found(db, run_id) == {
        "P1": {f"{p} {month}" for p in (early, illegal, gap, restarted)},
        "P2": {f"{unresolved} {month}", f"{rated_early} {month}"},
        "P3": {f"{overdue} {month}"},
        "P4": {f"{waiting} {waiting_month}"},
    }
    messages = {
        r["target_id"]: r["message"]
        for r in await db.fetch(
            "SELECT target_id, message FROM audit_finding WHERE run_id = $1 AND rule = 'P1'",
            run_id,
        )
    }
    assert "is dated" in messages[str(early)], messages
    assert "which the lifecycle does not allow" in messages[str(illegal)], messages
    assert "but the event before left it triaged" in messages[str(gap)], messages
    assert "starts it again, as received" in messages[str(restarted)], messages

    # scoped to another town: none of them
    run_id = await run(database_url, suites=["petitions"], area="510129102")
    assert await found(db, run_id) == {r: set() for r in PETITION_RULES}
    # scoped to the month the defects were received in: all but the unassigned one
    first_day = long_ago.astimezone(BEIJING).date().replace(day=1)
    if first_day != (NOW - dt.timedelta(days=20)).astimezone(BEIJING).date().replace(day=1):
        run_id = await run(database_url, suites=["petitions"], period=first_day)
        result = await found(db, run_id)
        assert result["P4"] == set()
        assert result["P1"] == {f"{p} {month}" for p in (early, illegal, gap, restarted)}


def _beijing(y: int, m: int, d: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, hour, tzinfo=BEIJING)


async def _volunteers(db: asyncpg.Connection, areas: dict[str, int], residents: list[int]) -> None:
    """A team of 大坪村 (its leader residents[0]), an activity in March 2026 with 90 + 45
    verified minutes and 60 completed but unverified."""
    volunteers = [
        await db.fetchval("INSERT INTO volunteer (resident_id) VALUES ($1) RETURNING id", r)
        for r in residents[:4]
    ]
    team = await db.fetchval(
        "INSERT INTO volunteer_team (area_id, name, kind) VALUES ($1, '大坪村志愿队', 'civility')"
        " RETURNING id",
        areas[DAPING],
    )
    for n, v in enumerate(volunteers):
        await db.execute(
            "INSERT INTO team_member (team_id, volunteer_id, role) VALUES ($1, $2, $3)",
            team,
            v,
            "leader" if n == 0 else "member",
        )
    activity = await db.fetchval(
        """INSERT INTO activity (team_id, area_id, title, kind, place, starts_at, ends_at)
           VALUES ($1, $2, '河道清理', 'cleanup', '村口', $3::timestamptz,
                   $3::timestamptz + interval '3 hours')
           RETURNING id""",
        team,
        areas[DAPING_COMPOUND],
        dt.datetime(2026, 3, 14, 1, tzinfo=dt.UTC),
    )
    for v, minutes, verified in ((volunteers[1], 90, True), (volunteers[2], 45, True)):
        await db.execute(
            """INSERT INTO service_record (activity_id, volunteer_id, status, completed_minutes,
                   verified_by, verified_at)
               VALUES ($1, $2, 'verified', $3, $4, now())""",
            activity,
            v,
            minutes,
            residents[0],
        )
        assert verified
    await db.execute(
        """INSERT INTO service_record (activity_id, volunteer_id, status, completed_minutes)
           VALUES ($1, $2, 'completed', 60)""",
        activity,
        volunteers[3],
    )


async def test_reconciliation_with_petitions_volunteers_and_dividends(db, database_url):
    world = await coop(db)  # 大坪村's cooperative: three member households
    areas = world["areas"]
    residents = [r for rids in world["residents"] for r in rids]
    await _volunteers(db, areas, residents)
    # dividends: 1000.00 yuan to three households, paid on 10 March 2026
    account = await insert_account(
        db, world["enterprise"], 2025, account_values(500_000, 100_000, pool=100_000)
    )
    distribution = await insert_distribution(db, account, world["households"][:3])
    await db.execute(
        "UPDATE dividend_distribution SET paid_on = '2026-03-10' WHERE id = $1", distribution
    )
    # petitions of 大坪村 (Beijing time): March receives two and ends one; April receives
    # one (received 31 March 17:00 UTC, 1 April in Beijing) and ends March's second
    compound = areas[DAPING_COMPOUND]
    await add_petition(
        db,
        compound,
        "rejected",
        _beijing(2026, 3, 5),
        [],
        ended_at=_beijing(2026, 3, 10),
    )
    await add_petition(
        db,
        compound,
        "rejected",
        _beijing(2026, 3, 20),
        [],
        ended_at=_beijing(2026, 4, 2),
    )
    await add_petition(db, compound, "received", dt.datetime(2026, 3, 31, 17, tzinfo=dt.UTC), [])

    run_id = await add_run(db)

    async def report(code: str, month: int, **figures: Any) -> int:
        return await add_report(db, run_id, code, dt.date(2026, month, 1), **figures)

    await report(
        DAPING,
        3,
        requests_received=2,
        requests_resolved=1,
        requests_open_end=1,
        volunteer_hours=2.3,  # 135 verified minutes; the 60 unverified do not count
        dividends_paid=1000,
        dividend_households=3,
    )
    april = await report(
        DAPING,
        4,
        requests_open_start=1,
        requests_received=2,  # one was received
        requests_resolved=1,
        requests_open_end=2,
        volunteer_hours=10,  # none served
    )
    may = await report(
        DAPING,
        5,
        requests_open_start=1,
        requests_received=0,
        requests_resolved=0,
        requests_open_end=1,
        volunteers_active=0,
        volunteer_hours=0,
        dividends_paid=500,  # nothing was paid in May
        dividend_households=2,
    )
    # 放牛村 has no petition, activity or enterprise: its figures are not compared
    await report("510129101202", 3, volunteer_hours=40, dividends_paid=10, dividend_households=1)

    result = await found(db, await run(database_url, suites=["reconciliation"]))
    assert {rule: result[rule] for rule in ("K4", "K5", "K6")} == {
        "K4": {f"{april} 2026-04"},
        "K5": {f"{april} 2026-04"},
        "K6": {f"{may} 2026-05"},
    }
    details = {
        r["rule"]: r
        for r in await db.fetch(
            "SELECT rule, message, details FROM audit_finding WHERE rule IN ('K4', 'K5', 'K6')"
        )
    }
    assert "reported 2 requests received, 1 petitions recorded" in details["K4"]["message"]
    assert "requests resolved" not in details["K4"]["message"]
    assert "reported 10.0 volunteer hours, 0.0 verified" in details["K5"]["message"]
    assert (
        "reported 500.00 yuan of dividends paid, the lines sum to 0.00"
        in (details["K6"]["message"])
    )
    # one month audited: April only
    result = await found(
        db, await run(database_url, suites=["reconciliation"], period=dt.date(2026, 5, 1))
    )
    assert {rule: result[rule] for rule in ("K4", "K5", "K6")} == {
        "K4": set(),
        "K5": set(),
        "K6": {f"{may} 2026-05"},
    }


async def test_a_petition_finding_names_its_petition_over_graphql(db, database_url, client, gql):
    areas = await _village(db)
    long_ago = NOW - dt.timedelta(days=60)
    overdue = await add_petition(
        db,
        areas[DAPING_COMPOUND],
        "in_progress",
        long_ago,
        [*LIFE[:3], LIFE[5]],
        due_date=long_ago.date() + dt.timedelta(days=5),
    )
    await run(database_url, suites=["petitions"])
    query = """{ auditRuns(first: 1) { nodes { findings(filter: {rule: "P3"}) { nodes {
        targetType targetId petition { id status overdue } } } } } }"""
    response = await client.post("/graphql", json={"query": query})
    assert response.headers["x-gongzhi-execution"] == "compiled"
    data = await gql(query)  # and identical on the resolver path
    findings = data["auditRuns"]["nodes"][0]["findings"]["nodes"]
    assert findings == [
        {
            "targetType": "petition",
            "targetId": str(overdue),
            "petition": {"id": gid("Petition", overdue), "status": "IN_PROGRESS", "overdue": True},
        }
    ]
