"""Audit runs through GraphQL over HTTP: runAudit on planted defects, reading runs and
findings (on the compiled path, equal to the resolver path), comparing runs, follow-up
and closing, and who may do what."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from typing import Any

import asyncpg
import httpx
import pytest

import db.entities  # noqa: F401
from db.mapping import REGISTRY
from schema.audit_runs_inputs import (
    AuditFindingFilter,
    AuditFindingOrder,
    AuditRunFilter,
    AuditRunOrder,
)
from tests.audit_support import add_report, add_run, run
from tests.conftest import bearer
from tests.factories import add_areas, add_household

AUDITOR = bearer("auditor", "auditor-1")
TOWN_AUDITOR = bearer("auditor", "auditor-town", area="510129101")
OTHER_TOWN_AUDITOR = bearer("auditor", "auditor-jinyuan", area="510129102")
ADMIN = bearer("admin", "admin-1")
OFFICER = bearer("officer", "officer-1", area="510129101")

RUN_AUDIT = """
mutation($input: RunAuditInput) {
  runAudit(input: $input) {
    __typename
    ... on AuditMutationFailed { errors { code message field } }
    ... on AuditRun { id runId areaCode period source startedBy checkCount failedCheckCount
                      brokenCheckCount findingCount docsUrl }
  }
}"""

RUN = """
query($id: ID!, $filter: AuditFindingFilter) {
  auditRun(id: $id) {
    id runId areaCode period startedBy source checkCount failedCheckCount brokenCheckCount
    findingCount docsUrl startedAt finishedAt area { code name }
    suites { suite version checks { rule severity description status failing error } }
    findings(filter: $filter) {
      totalCount
      edges { cursor node {
        id suite rule severity message targetType targetId period fingerprint status details
        area { code } run { runId }
        resident { name } household { room } monthlyReport { period }
        history { status note subject at } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""

RUNS = """
query($filter: AuditRunFilter) {
  auditRuns(filter: $filter) { totalCount nodes { id runId areaCode findingCount } }
}"""

COMPARE = """
query($before: ID!, $after: ID!) {
  auditComparison(before: $before, after: $after) {
    before { runId } after { runId }
    new { targetId period rule } resolved { targetId period rule }
    persisting { targetId period rule status }
  }
}"""

FOLLOW_UP = """
mutation($input: FollowUpFindingInput!) {
  followUpFinding(input: $input) {
    __typename
    ... on AuditMutationFailed { errors { code message field } }
    ... on AuditFinding { id status history { status note subject } }
  }
}"""

CLOSE = """
mutation($input: CloseFindingInput!) {
  closeFinding(input: $input) {
    __typename
    ... on AuditMutationFailed { errors { code message field } }
    ... on AuditFinding { id status history { status note subject } }
  }
}"""


async def post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    path: str | None = None,
) -> httpx.Response:
    extra = {"x-gongzhi-execution": path} if path else {}
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers | extra
    )


async def ask(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = (await post(client, headers, query, variables)).json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


async def read(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A read answered by the compiled path, exactly as the resolver path answers it."""
    compiled = await post(client, headers, query, variables)
    resolver = await post(client, headers, query, variables, path="resolver")
    assert compiled.headers["x-gongzhi-execution"] == "compiled"
    assert resolver.headers["x-gongzhi-execution"] == "resolver"
    a, b = compiled.json(), resolver.json()
    assert "errors" not in a, a
    # equal including the order of keys
    assert json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)
    return a["data"]


async def run_audit(client: httpx.AsyncClient, headers: dict[str, str], **input: Any) -> Any:
    return (await ask(client, headers, RUN_AUDIT, {"input": input}))["runAudit"]


async def _headless_household(db: asyncpg.Connection, areas: dict[str, int], room: str) -> int:
    """A household left without a head (rule R4), as a restore with triggers off leaves it."""
    hid, _ = await add_household(db, areas["510129101201-01"], room, [{"name": "张三"}])
    async with db.transaction():
        await db.execute("SET LOCAL session_replication_role = replica")
        await db.execute("UPDATE resident SET relation = 'other' WHERE household_id = $1", hid)
        # as after a restore: the tally recounted, so only R4 has something to find
        await db.execute("SELECT resident_tally_rebuild()")
    return hid


@pytest.mark.parametrize(
    ("entity", "filter_input", "order_input"),
    [
        ("AuditRun", AuditRunFilter, AuditRunOrder),
        ("AuditFinding", AuditFindingFilter, AuditFindingOrder),
    ],
)
def test_inputs_match_mapping(entity: str, filter_input: type, order_input: type) -> None:
    ent = REGISTRY[entity]
    fields = {f.name for f in dataclasses.fields(filter_input)}
    assert fields <= set(ent.filters), fields - set(ent.filters)
    default = order_input()
    assert {e.value for e in type(default.field)} <= set(ent.orders)
    assert default.field.value == ent.default_order
    assert (default.direction.value == "desc") == ent.default_descending


async def test_run_audit_finds_planted_defects_and_reads_them(db, anonymous_client) -> None:  # type: ignore[no-untyped-def]
    areas = await add_areas(db)
    headless = await _headless_household(db, areas, "1")
    result = await run_audit(anonymous_client, AUDITOR, suites=["residents"], areaCode="510129101")
    assert result["__typename"] == "AuditRun", result
    assert (result["areaCode"], result["source"], result["startedBy"]) == (
        "510129101",
        "GRAPHQL",
        "auditor-1",
    )
    assert (result["checkCount"], result["failedCheckCount"], result["findingCount"]) == (7, 1, 1)
    assert result["brokenCheckCount"] == 0
    assert result["docsUrl"] == f"/audit/runs/{result['runId']}/docs/"

    data = await read(anonymous_client, AUDITOR, RUN, {"id": result["id"]})
    stored = data["auditRun"]
    assert stored["area"] == {"code": "510129101", "name": "鹤鸣镇"}
    (suite,) = stored["suites"]
    assert suite["suite"] == "residents" and len(suite["version"]) >= 8
    assert [(c["rule"], c["status"], c["failing"]) for c in suite["checks"]] == [
        ("R1", "PASSED", 0),
        ("R2", "PASSED", 0),
        ("R3", "PASSED", 0),
        ("R4", "FAILED", 1),
        ("R5", "PASSED", 0),
        ("R6", "PASSED", 0),
        ("R7", "PASSED", 0),
    ]
    (edge,) = stored["findings"]["edges"]
    finding = edge["node"]
    assert (finding["rule"], finding["severity"], finding["targetType"]) == (
        "R4",
        "ERROR",
        "household",
    )
    assert finding["targetId"] == str(headless)
    assert finding["household"] == {"room": "1"} and finding["resident"] is None
    assert finding["status"] == "OPEN" and finding["history"] == []
    assert finding["message"] == f"household {headless} has 0 heads"
    assert finding["area"] == {"code": "510129101201-01"}
    assert finding["run"] == {"runId": result["runId"]}

    # the UUID the CLI prints names the same run (resolver path: not a global id)
    by_uuid = await ask(
        anonymous_client,
        AUDITOR,
        "query($id: ID!) { auditRun(id: $id) { id } }",
        {"id": result["runId"]},
    )
    assert by_uuid["auditRun"] == {"id": result["id"]}
    # filters: by rule, severity, status and target type
    for filter_, count in [
        ({"rule": "R4"}, 1),
        ({"rule": "R1"}, 0),
        ({"severity": "WARNING"}, 0),
        ({"status": "OPEN", "targetType": "household"}, 1),
        ({"status": "CLOSED"}, 0),
    ]:
        found = await read(anonymous_client, AUDITOR, RUN, {"id": result["id"], "filter": filter_})
        assert found["auditRun"]["findings"]["totalCount"] == count, filter_
    listed = await read(anonymous_client, AUDITOR, RUNS, {"filter": {"suite": "residents"}})
    assert listed["auditRuns"]["nodes"] == [
        {"id": result["id"], "runId": result["runId"], "areaCode": "510129101", "findingCount": 1}
    ]
    assert (await read(anonymous_client, AUDITOR, RUNS, {"filter": {"suite": "reports"}}))[
        "auditRuns"
    ]["totalCount"] == 0
    node = await read(
        anonymous_client,
        AUDITOR,
        "query($id: ID!) { node(id: $id) { ... on AuditFinding { rule targetId } } }",
        {"id": finding["id"]},
    )
    assert node["node"] == {"rule": "R4", "targetId": str(headless)}
    # the mutation is in the audit log
    logged = await db.fetchrow(
        "SELECT subject, role, target_type FROM audit_log WHERE operation = 'runAudit'"
    )
    assert tuple(logged) == ("auditor-1", "auditor", "AuditRun")


async def test_run_audit_refuses_bad_input_all_at_once(db, anonymous_client) -> None:  # type: ignore[no-untyped-def]
    await add_areas(db)
    result = await run_audit(
        anonymous_client, AUDITOR, suites=["residents", "nope"], areaCode="999999999"
    )
    assert result["__typename"] == "AuditMutationFailed"
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("UNKNOWN_SUITE", "suites.1"),
        ("UNKNOWN_AREA", "areaCode"),
    ]
    assert await db.fetchval("SELECT count(*) FROM audit_run") == 0


async def test_compare_runs_after_fixing_a_defect(db, anonymous_client) -> None:  # type: ignore[no-untyped-def]
    """Run 1: 放牛村 and 南湖社区 missing 2026-02. Then 放牛村 reports February (resolved)
    and 大坪村 March, so run 2 finds 南湖社区's February gap again (persisting) and
    March missing for both others (new)."""
    await add_areas(db)
    vrun = await add_run(db)
    for code in ("510129101201", "510129101202", "510129102001"):
        await add_report(db, vrun, code, dt.date(2026, 1, 1))
    await add_report(db, vrun, "510129101201", dt.date(2026, 2, 1))
    first = await run_audit(anonymous_client, AUDITOR, suites=["reports"])
    await add_report(db, vrun, "510129101202", dt.date(2026, 2, 1))
    await add_report(db, vrun, "510129101201", dt.date(2026, 3, 1))
    second = await run_audit(anonymous_client, AUDITOR, suites=["reports"])
    # ids or the UUIDs, mixed
    data = await ask(
        anonymous_client, AUDITOR, COMPARE, {"before": first["runId"], "after": second["id"]}
    )
    comparison = data["auditComparison"]
    assert comparison["before"] == {"runId": first["runId"]}
    assert comparison["after"] == {"runId": second["runId"]}
    assert comparison["resolved"] == [
        {"targetId": "510129101202", "period": "2026-02", "rule": "C1"}
    ]
    assert comparison["persisting"] == [
        {"targetId": "510129102001", "period": "2026-02", "rule": "C1", "status": "OPEN"}
    ]
    assert sorted((f["targetId"], f["period"]) for f in comparison["new"]) == [
        ("510129101202", "2026-03"),
        ("510129102001", "2026-03"),
    ]
    # a run nobody can see: no comparison
    missing = await ask(
        anonymous_client,
        AUDITOR,
        COMPARE,
        {"before": first["id"], "after": "00000000-0000-0000-0000-000000000000"},
    )
    assert missing["auditComparison"] is None
    # period filter and newest-first order of the list
    runs = await read(anonymous_client, AUDITOR, RUNS)
    assert [r["runId"] for r in runs["auditRuns"]["nodes"]] == [second["runId"], first["runId"]]


async def _finding(client: httpx.AsyncClient, headers: dict[str, str], run_id: str) -> str:
    data = await ask(client, headers, RUN, {"id": run_id})
    (edge,) = data["auditRun"]["findings"]["edges"]
    return edge["node"]["id"]


async def test_follow_up_then_close_with_a_note(db, anonymous_client) -> None:  # type: ignore[no-untyped-def]
    areas = await add_areas(db)
    await _headless_household(db, areas, "1")
    first = await run_audit(anonymous_client, AUDITOR, suites=["residents"])
    finding = await _finding(anonymous_client, AUDITOR, first["id"])

    async def close(note: str | None, headers: dict[str, str] = AUDITOR) -> Any:
        body = await ask(anonymous_client, headers, CLOSE, {"input": {"id": finding, "note": note}})
        return body["closeFinding"]

    async def follow_up(note: str | None, headers: dict[str, str] = AUDITOR) -> Any:
        body = await ask(
            anonymous_client, headers, FOLLOW_UP, {"input": {"id": finding, "note": note}}
        )
        return body["followUpFinding"]

    # closing needs a note, blank is none
    for note in (None, "   "):
        refused = await close(note)
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [("NOTE_REQUIRED", "note")]
    marked = await follow_up("asked the village to check the register")
    assert marked["status"] == "FOLLOW_UP"
    assert marked["history"] == [
        {
            "status": "FOLLOW_UP",
            "note": "asked the village to check the register",
            "subject": "auditor-1",
        }
    ]
    again = await follow_up(None)
    assert [e["code"] for e in again["errors"]] == ["ILLEGAL_TRANSITION"]
    closed = await close("head registered again", ADMIN)
    assert closed["status"] == "CLOSED"
    assert [(h["status"], h["subject"]) for h in closed["history"]] == [
        ("FOLLOW_UP", "auditor-1"),
        ("CLOSED", "admin-1"),
    ]
    assert [e["code"] for e in (await close("twice"))["errors"]] == ["ILLEGAL_TRANSITION"]
    too_long = await follow_up("x" * 2001)
    assert [(e["code"], e["field"]) for e in too_long["errors"]] == [("INVALID_INPUT", "note")]
    # a later run's finding of the same problem carries the status and history
    second = await run_audit(anonymous_client, AUDITOR, suites=["residents"])
    later = await read(anonymous_client, AUDITOR, RUN, {"id": second["id"]})
    (edge,) = later["auditRun"]["findings"]["edges"]
    assert edge["node"]["status"] == "CLOSED" and len(edge["node"]["history"]) == 2
    # unknown ids
    for bad in ("nonsense", first["id"]):  # not a finding's id; a run's id
        body = await ask(anonymous_client, AUDITOR, FOLLOW_UP, {"input": {"id": bad}})
        assert [e["code"] for e in body["followUpFinding"]["errors"]] == ["NOT_FOUND"]
    # both steps in the audit log, by whom
    logged = await db.fetch(
        "SELECT operation, subject, target_type FROM audit_log "
        "WHERE operation IN ('followUpFinding', 'closeFinding') ORDER BY id"
    )
    assert [tuple(r) for r in logged] == [
        ("followUpFinding", "auditor-1", "AuditFinding"),
        ("closeFinding", "admin-1", "AuditFinding"),
    ]


async def test_other_roles_see_no_runs_and_are_refused(db, anonymous_client) -> None:  # type: ignore[no-untyped-def]
    areas = await add_areas(db)
    await _headless_household(db, areas, "1")
    done = await run_audit(anonymous_client, ADMIN, suites=["residents"])
    finding = await _finding(anonymous_client, ADMIN, done["id"])
    for role in ("officer", "community_worker", "grid_worker", "department_officer", "resident"):
        claims: dict[str, Any] = {"area": "510129101"}
        if role == "resident":
            claims = {"area": "510129101201-01", "household": 1}
        if role == "department_officer":
            claims = {"department": "civil_affairs"}
        headers = bearer(role, f"{role}-1", **claims)
        refused = await run_audit(anonymous_client, headers, suites=["residents"])
        assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"], role
        for query in (FOLLOW_UP, CLOSE):
            body = await ask(
                anonymous_client, headers, query, {"input": {"id": finding, "note": "n"}}
            )
            (result,) = body.values()
            assert [e["code"] for e in result["errors"]] == ["FORBIDDEN"], role
        # row-level security: nothing to read
        assert (await read(anonymous_client, headers, RUNS))["auditRuns"]["totalCount"] == 0
        assert (await read(anonymous_client, headers, RUN, {"id": done["id"]}))["auditRun"] is None
    assert await db.fetchval("SELECT count(*) FROM audit_run") == 1
    assert await db.fetchval("SELECT count(*) FROM audit_finding_event") == 0
    # without a token: nothing at all
    body = (await post(anonymous_client, {}, RUNS)).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_auditor_with_an_area_sees_and_audits_only_inside_it(db, anonymous_client) -> None:  # type: ignore[no-untyped-def]
    areas = await add_areas(db)
    await _headless_household(db, areas, "1")  # in 鹤鸣镇 (510129101)
    everywhere = await run_audit(anonymous_client, ADMIN, suites=["residents"])
    # no area given: the token's area
    town = await run_audit(anonymous_client, TOWN_AUDITOR, suites=["residents"])
    assert (town["__typename"], town["areaCode"], town["findingCount"]) == (
        "AuditRun",
        "510129101",
        1,
    )
    village = await run_audit(
        anonymous_client, TOWN_AUDITOR, suites=["residents"], areaCode="510129101202"
    )
    assert (village["areaCode"], village["findingCount"]) == ("510129101202", 0)
    outside = await run_audit(
        anonymous_client, TOWN_AUDITOR, suites=["residents"], areaCode="510129102"
    )
    assert [(e["code"], e["field"]) for e in outside["errors"]] == [("FORBIDDEN", "areaCode")]
    wider = await run_audit(anonymous_client, TOWN_AUDITOR, suites=["residents"], areaCode="510129")
    assert [e["code"] for e in wider["errors"]] == ["FORBIDDEN"]

    seen = await read(anonymous_client, TOWN_AUDITOR, RUNS)
    assert {r["runId"] for r in seen["auditRuns"]["nodes"]} == {town["runId"], village["runId"]}
    hidden = await read(anonymous_client, TOWN_AUDITOR, RUN, {"id": everywhere["id"]})
    assert hidden["auditRun"] is None
    filtered = await read(anonymous_client, ADMIN, RUNS, {"filter": {"areaCode": "510129101"}})
    assert {r["runId"] for r in filtered["auditRuns"]["nodes"]} == {
        town["runId"],
        village["runId"],
    }
    assert (await read(anonymous_client, ADMIN, RUNS))["auditRuns"]["totalCount"] == 3
    # the other town's auditor sees none of them and cannot act on their findings
    assert (await read(anonymous_client, OTHER_TOWN_AUDITOR, RUNS))["auditRuns"]["totalCount"] == 0
    finding = await _finding(anonymous_client, TOWN_AUDITOR, town["id"])
    body = await ask(anonymous_client, OTHER_TOWN_AUDITOR, FOLLOW_UP, {"input": {"id": finding}})
    assert [e["code"] for e in body["followUpFinding"]["errors"]] == ["NOT_FOUND"]
    body = await ask(anonymous_client, TOWN_AUDITOR, FOLLOW_UP, {"input": {"id": finding}})
    assert body["followUpFinding"]["status"] == "FOLLOW_UP"
    # a finding in the town from the county-wide run: visible, its run is not
    county_finding = await _finding(anonymous_client, ADMIN, everywhere["id"])
    node = await read(
        anonymous_client,
        TOWN_AUDITOR,
        "query($id: ID!) { node(id: $id) { ... on AuditFinding { rule status run { runId } } } }",
        {"id": county_finding},
    )
    # the same problem (fingerprint) as the town run's finding: followed up there
    assert node["node"] == {"rule": "R4", "status": "FOLLOW_UP", "run": None}


async def test_a_cli_run_is_readable_through_graphql(db, database_url, anonymous_client) -> None:  # type: ignore[no-untyped-def]
    await add_areas(db)
    run_id = await run(database_url, suites=["reports"], period=dt.date(2026, 2, 1))
    by_uuid = await ask(
        anonymous_client,
        AUDITOR,
        "query($id: ID!) { auditRun(id: $id) { id } }",
        {"id": str(run_id)},
    )
    data = await read(anonymous_client, AUDITOR, RUN, {"id": by_uuid["auditRun"]["id"]})
    stored = data["auditRun"]
    assert (stored["runId"], stored["source"], stored["period"]) == (str(run_id), "CLI", "2026-02")
    assert stored["areaCode"] is None and stored["area"] is None
    # nobody reported February: every village is missing it (C1, targets are areas)
    findings = [e["node"] for e in stored["findings"]["edges"]]
    assert {(f["rule"], f["targetType"], f["targetId"], f["period"]) for f in findings} == {
        ("C1", "area", code, "2026-02") for code in ("510129101201", "510129101202", "510129102001")
    }
    assert {f["area"]["code"] for f in findings} == {"510129101201", "510129101202", "510129102001"}
    assert all(f["household"] is None and f["monthlyReport"] is None for f in findings)
    by_period = await read(anonymous_client, AUDITOR, RUNS, {"filter": {"period": "2026-02"}})
    assert by_period["auditRuns"]["totalCount"] == 1
    other = await read(anonymous_client, AUDITOR, RUNS, {"filter": {"period": "2026-03"}})
    assert other["auditRuns"]["totalCount"] == 0


def test_docs_examples_are_valid_operations() -> None:
    """Every GraphQL example of docs/audit.md validates against the schema."""
    from pathlib import Path

    from graphql import parse, validate

    from tests.paths import SCHEMA

    page = Path(__file__).resolve().parent.parent / "docs" / "audit.md"
    examples = re.findall(r"```graphql\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert len(examples) >= 6
    for example in examples:
        assert validate(SCHEMA._schema, parse(example)) == [], example
