"""Monthly reports through GraphQL: submitting, quarantine, runs, Area.reports, coalescing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from db.connect import create_pool
from tests.factories import add_areas
from tests.paths import both, via_compiled
from tests.reports_support import add_villages, csv_text, row
from validation import reports_intake as intake

SUBMIT = """
mutation($input: SubmitMonthlyReportsInput!) {
  submitMonthlyReports(input: $input) {
    __typename
    ... on SubmissionUnusable { reason }
    ... on ReportSubmission {
      runId suite rows stored
      accepted { row areaCode period warnings { rule message } report { version period } }
      rejected { row areaCode period errors { rule message } warnings { rule message }
                 quarantined { id status } }
      run { id rows accepted rejected warnings stored source submittedBy suiteVersion
            dryRun atomic revise }
    }
  }
}"""

QUARANTINE = """
query($filter: QuarantineFilter) {
  quarantinedReports(filter: $filter) {
    totalCount
    nodes { id row areaCode period status values { households residents }
            findings { rule severity message } run { id } resolvedRun { id }
            previous { id } }
  }
}"""

CORRECT = """
mutation($input: CorrectQuarantinedReportInput!) {
  correctQuarantinedReport(input: $input) {
    __typename
    ... on QuarantineActionFailed { code message }
    ... on ReportSubmission { stored accepted { row report { version } }
                              rejected { errors { rule } quarantined { id } } }
  }
}"""


@pytest.fixture
async def villages(db: asyncpg.Connection) -> None:
    await add_areas(db)
    await add_villages(db)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(database_url, min_size=1, max_size=4)
    try:
        yield p
    finally:
        await p.close()


def gql_rows(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows as MonthlyReportInput (camelCase keys)."""
    out = []
    for r in rows:
        parts = {
            k.split("_")[0] + "".join(p.title() for p in k.split("_")[1:]): v for k, v in r.items()
        }
        out.append(parts)
    return out


async def counts(db: asyncpg.Connection) -> dict[str, int]:
    tables = ("validation_run", "monthly_report", "report_finding", "quarantined_report")
    return {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


async def test_submission_has_the_contracts_information(gql, db, villages) -> None:  # type: ignore[no-untyped-def]
    data = await gql(
        SUBMIT,
        {"input": {"rows": gql_rows(row(), row(area_code="510129101202", residents="100"))}},
    )
    result = data["submitMonthlyReports"]
    assert result["__typename"] == "ReportSubmission"
    uuid.UUID(result["runId"])
    assert (result["suite"], result["rows"], result["stored"]) == (
        "community_monthly_report",
        2,
        True,
    )
    assert result["accepted"] == [
        {
            "row": 1,
            "areaCode": "510129101201",
            "period": "2026-07",
            "warnings": [],
            "report": {"version": 1, "period": "2026-07"},
        }
    ]
    (rejected,) = result["rejected"]
    assert rejected["errors"] == [
        {"rule": "E5", "message": "residents (100) is less than households (120)"}
    ]
    assert rejected["quarantined"]["status"] == "OPEN"
    assert result["run"] == {
        "id": result["runId"],
        "rows": 2,
        "accepted": 1,
        "rejected": 1,
        "warnings": 0,
        "stored": True,
        "source": "GRAPHQL",
        "submittedBy": "tester",
        "suiteVersion": intake.get_intake().suite.version,
        "dryRun": False,
        "atomic": False,
        "revise": False,
    }
    assert await counts(db) == {
        "validation_run": 1,
        "monthly_report": 1,
        "report_finding": 1,
        "quarantined_report": 1,
    }


async def test_csv_text_and_unusable_input(gql, db, villages) -> None:  # type: ignore[no-untyped-def]
    data = await gql(SUBMIT, {"input": {"csv": csv_text([row()]), "dryRun": True}})
    assert data["submitMonthlyReports"]["accepted"][0]["row"] == 1
    assert data["submitMonthlyReports"]["run"] is None  # a dry run stores no run

    columns = [c for c in csv_text([row()]).split("\r\n")[0].split(",") if c != "households"]
    bad = csv_text([row()], columns=columns)
    data = await gql(SUBMIT, {"input": {"csv": bad}})
    assert data["submitMonthlyReports"]["__typename"] == "SubmissionUnusable"
    assert 'missing column "households"' in data["submitMonthlyReports"]["reason"]

    body = await gql(SUBMIT, {"input": {"csv": bad, "rows": []}}, errors_ok=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await counts(db) == dict.fromkeys(await counts(db), 0)


async def test_dry_run_and_failed_atomic_store_no_report(gql, db, villages) -> None:  # type: ignore[no-untyped-def]
    rows = gql_rows(row(), row(area_code="510129101202", requests_open_end="9"))
    dry = (await gql(SUBMIT, {"input": {"rows": rows, "dryRun": True}}))["submitMonthlyReports"]
    assert dry["stored"] is False and dry["rejected"][0]["quarantined"] is None
    assert await counts(db) == dict.fromkeys(await counts(db), 0)

    atomic = (await gql(SUBMIT, {"input": {"rows": rows, "atomic": True}}))["submitMonthlyReports"]
    assert atomic["stored"] is False
    assert atomic["accepted"][0]["report"] is None
    assert atomic["run"]["stored"] is False and atomic["run"]["atomic"] is True
    assert await counts(db) == {
        "validation_run": 1,
        "monthly_report": 0,
        "report_finding": 1,
        "quarantined_report": 1,
    }


async def test_quarantine_correct_until_accepted(gql, db, villages) -> None:  # type: ignore[no-untyped-def]
    await gql(SUBMIT, {"input": {"rows": gql_rows(row(residents="100"))}})
    listed = (await gql(QUARANTINE, {"filter": {"areaCode": "510129101", "status": "OPEN"}}))[
        "quarantinedReports"
    ]
    assert listed["totalCount"] == 1
    (entry,) = listed["nodes"]
    assert entry["values"] == {"households": "120", "residents": "100"}
    assert [f["rule"] for f in entry["findings"]] == ["E5"]

    # corrected, but still wrong: quarantined again, pointing back
    still = row(residents="110")
    result = (await gql(CORRECT, {"input": {"id": entry["id"], "values": gql_rows(still)[0]}}))[
        "correctQuarantinedReport"
    ]
    assert result["rejected"][0]["errors"] == [{"rule": "E5"}]
    second = result["rejected"][0]["quarantined"]["id"]

    again = (await gql(CORRECT, {"input": {"id": entry["id"], "values": gql_rows(row())[0]}}))[
        "correctQuarantinedReport"
    ]
    assert again == {
        "__typename": "QuarantineActionFailed",
        "code": "NOT_OPEN",
        "message": f"quarantined report {entry['id']} is corrected",
    }

    fixed = (await gql(CORRECT, {"input": {"id": second, "values": gql_rows(row())[0]}}))[
        "correctQuarantinedReport"
    ]
    assert fixed["stored"] is True and fixed["accepted"][0]["report"] == {"version": 1}

    nodes = (await gql(QUARANTINE, {"filter": {"areaCode": "510129101201"}}))["quarantinedReports"][
        "nodes"
    ]
    assert [(n["id"], n["status"]) for n in nodes] == [
        (second, "CORRECTED"),
        (entry["id"], "CORRECTED"),
    ]
    assert nodes[0]["previous"] == {"id": entry["id"]}
    assert nodes[0]["resolvedRun"] is not None


async def test_resubmit_after_the_village_is_registered_and_dismiss(gql, db, villages) -> None:  # type: ignore[no-untyped-def]
    await gql(
        SUBMIT, {"input": {"rows": gql_rows(row(area_code="510129101208"), row(residents="1"))}}
    )
    nodes = (await gql(QUARANTINE))["quarantinedReports"]["nodes"]
    unknown, wrong = sorted(nodes, key=lambda n: n["row"])
    assert unknown["findings"][0]["message"] == 'no area has code "510129101208"'

    await db.execute(
        "INSERT INTO area (code, name, level, parent_id) "
        "SELECT '510129101208', '八角村', 'village', id FROM area WHERE code = '510129101'"
    )
    resubmit = """mutation($id: ID!) { resubmitQuarantinedReport(input: {id: $id}) {
        ... on ReportSubmission { stored accepted { areaCode } } } }"""
    result = (await gql(resubmit, {"id": unknown["id"]}))["resubmitQuarantinedReport"]
    assert result == {"stored": True, "accepted": [{"areaCode": "510129101208"}]}

    dismiss = """mutation($id: ID!) {
        dismissQuarantinedReport(input: {id: $id, note: "typo"}) { __typename
            ... on QuarantinedReport { status note } ... on QuarantineActionFailed { code } } }"""
    assert (await gql(dismiss, {"id": wrong["id"]}))["dismissQuarantinedReport"] == {
        "__typename": "QuarantinedReport",
        "status": "DISMISSED",
        "note": "typo",
    }
    assert (await gql(dismiss, {"id": wrong["id"]}))["dismissQuarantinedReport"] == {
        "__typename": "QuarantineActionFailed",
        "code": "NOT_OPEN",
    }
    statuses = {
        n["id"]: n["status"] for n in (await gql(QUARANTINE))["quarantinedReports"]["nodes"]
    }
    assert statuses == {unknown["id"]: "RESUBMITTED", wrong["id"]: "DISMISSED"}


async def test_validation_runs_are_queryable(gql, db, villages) -> None:  # type: ignore[no-untyped-def]
    await gql(SUBMIT, {"input": {"rows": gql_rows(row())}})
    await gql(SUBMIT, {"input": {"rows": gql_rows(row(period="2026-03", residents="119"))}})
    query = """{ validationRuns(filter: {source: GRAPHQL}, first: 1) {
        totalCount pageInfo { hasNextPage endCursor }
        nodes { rows accepted rejected startedAt finishedAt
                findings { totalCount nodes { row rule severity message areaCode period } }
                quarantined { row status } } } }"""
    runs = (await gql(query))["validationRuns"]
    assert runs["totalCount"] == 2 and runs["pageInfo"]["hasNextPage"] is True
    (latest,) = runs["nodes"]
    assert (latest["rows"], latest["accepted"], latest["rejected"]) == (1, 0, 1)
    assert latest["findings"]["nodes"] == [
        {
            "row": 1,
            "rule": "E5",
            "severity": "ERROR",
            "message": "residents (119) is less than households (120)",
            "areaCode": "510129101201",
            "period": "2026-03",
        }
    ]
    assert latest["quarantined"] == [{"row": 1, "status": "OPEN"}]
    after = runs["pageInfo"]["endCursor"]
    older = (await gql(query.replace("first: 1", f'first: 1, after: "{after}"')))["validationRuns"]
    assert older["nodes"][0]["accepted"] == 1 and older["pageInfo"]["hasNextPage"] is False


AREA_REPORTS = """
query($code: String!, $filter: MonthlyReportFilter) {
  area(code: $code) {
    code
    reports(filter: $filter, orderBy: {field: PERIOD, direction: DESC}) {
      totalCount
      edges { cursor node { id period version isCurrent households volunteerHours
                            collectiveIncome dividendsPaid createdAt runId area { code }
                            warnings { rule severity row }
                            versions { version households isCurrent warnings { rule } } } }
    }
  }
}"""


async def test_area_reports_with_history_on_both_read_paths(pool, villages) -> None:  # type: ignore[no-untyped-def]
    from tests.reports_support import submit

    await submit(pool, [row(period="2026-06"), row(period="2026-07")])
    await submit(pool, [row(period="2026-07", households="121")], revise=True)

    variables = {"code": "510129101201", "filter": {"periodFrom": "2026-07"}}
    response = await both(pool, AREA_REPORTS, variables)
    reports = response["data"]["area"]["reports"]
    assert reports["totalCount"] == 1
    node = reports["edges"][0]["node"]
    assert (node["period"], node["version"], node["isCurrent"]) == ("2026-07", 2, True)
    assert (node["volunteerHours"], node["collectiveIncome"]) == ("42.5", "15000.00")
    # the revision's open requests do not continue June's stored 6 (W1)
    assert node["warnings"] == [{"rule": "W1", "severity": "WARNING", "row": 1}]
    assert node["versions"] == [
        {"version": 2, "households": 121, "isCurrent": True, "warnings": [{"rule": "W1"}]},
        {"version": 1, "households": 120, "isCurrent": False, "warnings": []},
    ]
    uuid.UUID(node["runId"])
    by_id = await both(
        pool,
        "query($id: ID!) { node(id: $id) { ... on MonthlyReport { period version "
        "area { code } } } }",
        {"id": node["id"]},
    )
    assert by_id["data"]["node"] == {
        "period": "2026-07",
        "version": 2,
        "area": {"code": "510129101201"},
    }
    everything = await both(pool, AREA_REPORTS, {"code": "510129101201"})
    periods = [e["node"]["period"] for e in everything["data"]["area"]["reports"]["edges"]]
    assert periods == ["2026-07", "2026-06"]
    assert await via_compiled(pool, AREA_REPORTS, variables) is not None


async def test_concurrent_submissions_are_coalesced_and_attributed(gql, db, villages) -> None:  # type: ignore[no-untyped-def]
    villages_ = ["510129101201", "510129101202", "510129101203", "510129101204"]
    villages_ += ["510129101205", "510129101206", "510129101207", "510129102001"]
    submissions = []
    for i, code in enumerate(villages_):
        rows = [row(area_code=code, period=f"2025-{m:02d}") for m in range(1, 4)]
        rows[i % 3] = {**rows[i % 3], "party_members": "999"}  # E6 on a different row each
        submissions.append(gql_rows(*rows))
    coalescer = intake.get_intake().coalescer
    before = coalescer.batches

    results = await asyncio.gather(
        *(gql(SUBMIT, {"input": {"rows": rows}}) for rows in submissions)
    )

    assert coalescer.batches - before < len(submissions)  # fewer GX runs than submissions
    run_ids = set()
    for i, (code, data) in enumerate(zip(villages_, results, strict=True)):
        result = data["submitMonthlyReports"]
        run_ids.add(result["runId"])
        assert [(r["row"], r["areaCode"]) for r in result["rejected"]] == [(i % 3 + 1, code)]
        assert result["rejected"][0]["errors"] == [
            {"rule": "E6", "message": "party_members (999) is more than residents (350)"}
        ]
        assert sorted(a["row"] for a in result["accepted"]) == sorted({1, 2, 3} - {i % 3 + 1})
        assert all(a["areaCode"] == code for a in result["accepted"])
    assert len(run_ids) == len(submissions)
    assert await db.fetchval("SELECT count(*) FROM monthly_report") == 2 * len(submissions)


async def test_each_principal_stores_only_under_its_row_level_security(
    anonymous_client, db, villages
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import bearer

    async def as_worker(village: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        response = await anonymous_client.post(
            "/graphql",
            json={"query": SUBMIT, "variables": {"input": {"rows": rows}}},
            headers=bearer("community_worker", f"worker-{village}", area=village),
        )
        return response.json()

    # coalesced into one batch: one transaction, each principal's writes judged apart
    own, foreign, other_own = await asyncio.gather(
        as_worker("510129101201", gql_rows(row())),
        as_worker("510129101201", gql_rows(row(area_code="510129101202", period="2026-08"))),
        as_worker("510129101202", gql_rows(row(area_code="510129101202"))),
    )
    assert own["data"]["submitMonthlyReports"]["stored"] is True
    assert own["data"]["submitMonthlyReports"]["run"]["submittedBy"] == "worker-510129101201"
    assert foreign["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert other_own["data"]["submitMonthlyReports"]["stored"] is True
    stored = await db.fetch(
        "SELECT a.code, r.period::text FROM monthly_report r JOIN area a ON a.id = r.area_id "
        "ORDER BY a.code"
    )
    assert [tuple(r) for r in stored] == [
        ("510129101201", "2026-07-01"),
        ("510129101202", "2026-07-01"),
    ]
    assert await db.fetchval("SELECT count(*) FROM validation_run") == 2
