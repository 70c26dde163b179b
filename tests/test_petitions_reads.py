"""Reads of petitions on the compiled path (each compared with the resolver path): nested
lists with filters and ordering, the catalogue, dashboard figures and monthly figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import asyncpg
import pytest

from tests.petitions_support import ask
from tests.test_reads import community, gid  # noqa: F401  (fixture)

BEIJING = dt.timezone(dt.timedelta(hours=8))


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=BEIJING)


# (resident index, received, ended, status, triage, due, satisfaction, channel, category)
RECORDS = [
    (
        "A",
        0,
        "2026-03-05",
        "2026-03-10",
        "closed",
        "minor",
        "2026-03-12",
        "satisfied",
        "walk_in",
        "environment",
    ),
    (
        "B",
        1,
        "2026-03-20",
        "2026-04-02",
        "feedback",
        "major",
        "2026-03-27",
        "dissatisfied",
        "wechat",
        "water_power_gas",
    ),
    (
        "C",
        0,
        "2026-02-25",
        None,
        "assigned",
        "major",
        "2026-03-04",
        None,
        "phone",
        "water_power_gas",
    ),
    (
        "D",
        2,
        "2026-04-10",
        "2026-04-11",
        "rejected",
        None,
        "2026-04-20",
        None,
        "grid_visit",
        "noise",
    ),
]


@pytest.fixture
async def history(db: asyncpg.Connection, community) -> dict[str, int]:  # type: ignore[no-untyped-def]  # noqa: F811
    """Petitions with a known history, written as an operator's import would."""
    ids = {}
    area = community["areas"]["510129101201-01"]
    for name, who, received, ended, status, triage, due, satisfaction, channel, category in RECORDS:
        resolved = status in ("closed", "feedback")
        ids[name] = await db.fetchval(
            """
            INSERT INTO petition (area_id, category_id, channel, submitter_id, description,
                status, triage, triage_reason, triaged_by, assignee_kind, assignee_name,
                due_date, received_at, ended_at, resolved_at, satisfaction, reject_reason,
                submitted_by)
            VALUES ($1, (SELECT id FROM petition_category WHERE code = $2), $3::petition_channel,
                    $4, $5, $6::petition_status, $7::triage_class,
                    CASE WHEN $7 IS NOT NULL THEN '分流理由' END,
                    CASE WHEN $7 IS NOT NULL THEN 'clerk' END,
                    CASE WHEN $7 IS NOT NULL THEN 'residents_committee'::responsible_kind END,
                    CASE WHEN $7 IS NOT NULL THEN '村委会' END,
                    $8, $9, $10::timestamptz, CASE WHEN $11 THEN $10::timestamptz END,
                    $12::satisfaction_level,
                    CASE WHEN $6 = 'rejected' THEN '不属于受理范围' END, 'import')
            RETURNING id
            """,
            area,
            category,
            channel,
            community["residents"][who],
            f"诉求{name}",
            status,
            triage,
            dt.date.fromisoformat(due),
            at(received),
            at(ended) if ended else None,
            resolved,
            satisfaction,
        )
    return ids


MONTHS = """{ area(code: "510129101201") { petitionMonths(from: "2026-03", to: "2026-04") {
    month received resolved openStart openEnd feedbackReceived feedbackSatisfied overdue
    completionRate satisfactionRate byTriage { triage count } } } }"""


async def test_monthly_figures_from_the_records(client, history) -> None:  # type: ignore[no-untyped-def]
    data = await ask(client, MONTHS)
    march, april = data["area"]["petitionMonths"]
    assert march == {
        "month": "2026-03",
        "received": 2,
        "resolved": 1,
        "openStart": 1,
        "openEnd": 2,
        "feedbackReceived": 1,
        "feedbackSatisfied": 1,
        "overdue": 2,
        "completionRate": "0.3333",
        "satisfactionRate": "1.0000",
        "byTriage": [
            {"triage": "MAJOR", "count": 1},
            {"triage": "MINOR", "count": 1},
            {"triage": "PRIVATE", "count": 0},
        ],
    }
    assert april["received"] == 1 and april["resolved"] == 2
    assert (april["openStart"], april["openEnd"]) == (2, 1)
    assert april["satisfactionRate"] == "0.0000" and april["completionRate"] == "0.6667"
    for m in (march, april):  # the statistics contract's E7 holds
        assert m["openStart"] + m["received"] - m["resolved"] == m["openEnd"]


async def test_month_range_is_checked(client, history) -> None:  # type: ignore[no-untyped-def]
    body = (
        await client.post(
            "/graphql",
            json={
                "query": '{ area(code: "51") { '
                'petitionMonths(from: "2026-05", to: "2026-01") { month } } }'
            },
        )
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "before" in body["errors"][0]["message"]


STATS = """{ petitionStats { count open overdue completionRate satisfactionRate
    byStatus { status count } byChannel { channel count } bySatisfaction { satisfaction count } }
  area(code: "510129101") { petitionStats(filter: {triage: [MAJOR]}) {
    count overdue byTriage { triage count } } } }"""


async def test_dashboard_figures(client, history) -> None:  # type: ignore[no-untyped-def]
    data = await ask(client, STATS)
    stats = data["petitionStats"]
    assert (stats["count"], stats["open"], stats["overdue"]) == (4, 1, 2)
    assert Decimal(stats["completionRate"]) == Decimal("0.75")
    assert stats["satisfactionRate"] == "0.5000"
    by_status = {s["status"]: s["count"] for s in stats["byStatus"]}
    assert by_status["CLOSED"] == by_status["FEEDBACK"] == by_status["ASSIGNED"] == 1
    assert sum(by_status.values()) == 4
    area = data["area"]["petitionStats"]
    assert area["count"] == 2 and area["overdue"] == 2
    assert area["byTriage"][0] == {"triage": "MAJOR", "count": 2}


async def test_residents_open_petitions_compile_to_one_statement(client, history) -> None:  # type: ignore[no-untyped-def]
    # the benchmark's shape: a village's households, residents, each one's open petitions
    query = """{ area(code: "510129101201") { households(first: 50) { nodes { room
        members { name petitions(filter: {status: [RECEIVED, TRIAGED, ASSIGNED, IN_PROGRESS]}) {
          totalCount nodes { description status dueDate overdue category { code name } } }
        } } } } }"""
    data = await ask(client, query)
    members = data["area"]["households"]["nodes"][0]["members"]
    by_name = {m["name"]: m["petitions"] for m in members}
    assert by_name["王建国"]["totalCount"] == 1
    assert by_name["王建国"]["nodes"][0] == {
        "description": "诉求C",
        "status": "ASSIGNED",
        "dueDate": "2026-03-04",
        "overdue": True,
        "category": {"code": "water_power_gas", "name": "水电气"},
    }
    assert by_name["李秀英"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("{triage: [MAJOR]}", ["B", "C"]),
        ('{category: ["noise", "environment"]}', ["A", "D"]),
        ("{channel: [PHONE, WECHAT]}", ["B", "C"]),
        ("{overdue: true}", ["B", "C"]),
        ("{open: true}", ["C"]),
        ('{receivedFrom: "2026-03-01", receivedTo: "2026-03-20"}', ["A", "B"]),
        ("{status: [REJECTED], anonymous: false}", ["D"]),
        ('{descriptionContains: "A"}', ["A"]),
    ],
)
async def test_filters(client, history, filter_: str, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    query = f"""{{ area(code: "510129") {{ petitions(filter: {filter_},
        orderBy: {{field: ID, direction: ASC}}) {{
        totalCount nodes {{ description }} }} }} }}"""
    data = (await ask(client, query))["area"]["petitions"]
    assert [n["description"][-1] for n in data["nodes"]] == expected
    assert data["totalCount"] == len(expected)


async def test_order_and_pages(client, history) -> None:  # type: ignore[no-untyped-def]
    query = """query($after: String) {
      petitions(orderBy: {field: DUE_DATE, direction: ASC}, first: 2, after: $after) {
        edges { cursor node { description dueDate } } pageInfo { hasNextPage endCursor } } }"""
    first = (await ask(client, query))["petitions"]
    assert [e["node"]["description"] for e in first["edges"]] == ["诉求C", "诉求A"]
    assert first["pageInfo"]["hasNextPage"]
    second = (await ask(client, query, {"after": first["pageInfo"]["endCursor"]}))["petitions"]
    assert [e["node"]["description"] for e in second["edges"]] == ["诉求B", "诉求D"]
    newest = (await ask(client, "{ petitions(first: 1) { nodes { description } } }"))["petitions"]
    assert newest["nodes"] == [{"description": "诉求D"}]  # received_at, newest first


async def test_household_and_resident_relations(client, community, history) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    query = """query($h: ID!) { household(id: $h) { petitions { totalCount }
        members { name cosignedPetitions { totalCount } } } }"""
    data = await ask(client, query, {"h": gid("Household", community["households"][0])})
    assert data["household"]["petitions"]["totalCount"] == 4


async def test_catalogue_nodes_and_events(client, history) -> None:  # type: ignore[no-untyped-def]
    data = await ask(
        client,
        "{ petitionCategories { code name defaultTriage slaWorkingDays defaultDepartment } }",
    )
    cats = {c["code"]: c for c in data["petitionCategories"]}
    assert cats["water_power_gas"] == {
        "code": "water_power_gas",
        "name": "水电气",
        "defaultTriage": "MAJOR",
        "slaWorkingDays": 3,
        "defaultDepartment": "water",
    }
    assert len(cats) >= 15
    pid = gid("Petition", history["A"])
    data = await ask(
        client,
        """query($id: ID!) { node(id: $id) { ... on Petition { description area { code }
            submitter { name } household { room } duplicates { id } case { id } } } }""",
        {"id": pid},
    )
    assert data["node"]["description"] == "诉求A"
    assert data["node"]["area"] == {"code": "510129101201-01"}


def test_inputs_match_mapping() -> None:
    from schema.petitions_inputs import (
        PetitionCaseFilter,
        PetitionCaseOrder,
        PetitionFilter,
        PetitionOrder,
    )
    from tests.test_mapping import test_inputs_match_mapping as check

    check("Petition", PetitionFilter, PetitionOrder)
    check("PetitionCase", PetitionCaseFilter, PetitionCaseOrder)
