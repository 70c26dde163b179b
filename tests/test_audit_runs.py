"""Audit runs as stored: the CLI, comparing runs, follow-up history, Data Docs access."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from db import audit_runs
from tests.audit_support import add_report, add_run, found, run
from tests.conftest import bearer
from tests.factories import add_areas, add_household


async def _two_runs(db: asyncpg.Connection, database_url: str):
    """Run 1 finds 放牛村 and 南湖社区 missing 2026-02; then 放牛村 reports February and
    大坪村 March, so run 2 finds 南湖社区's February gap again and both March gaps."""
    await add_areas(db)
    run_id = await add_run(db)
    for code in ("510129101201", "510129101202", "510129102001"):
        await add_report(db, run_id, code, dt.date(2026, 1, 1))
    await add_report(db, run_id, "510129101201", dt.date(2026, 2, 1))
    first = await run(database_url, suites=["reports"])
    await add_report(db, run_id, "510129101202", dt.date(2026, 2, 1))
    await add_report(db, run_id, "510129101201", dt.date(2026, 3, 1))
    second = await run(database_url, suites=["reports"])
    return first, second


async def test_compare_runs_new_resolved_persisting(db, database_url):
    first, second = await _two_runs(db, database_url)
    assert (await found(db, first))["C1"] == {"510129101202 2026-02", "510129102001 2026-02"}
    changes = {
        (r["change"], r["target_id"], f"{r['period']:%Y-%m}")
        for r in await audit_runs.compare_runs(db, first, second)
    }
    assert changes == {
        ("resolved", "510129101202", "2026-02"),
        ("persisting", "510129102001", "2026-02"),
        ("new", "510129101202", "2026-03"),
        ("new", "510129102001", "2026-03"),
    }


async def test_follow_up_history_is_append_only_and_carries_to_later_runs(db, database_url):
    first, second = await _two_runs(db, database_url)
    (finding,) = [
        f for f in await audit_runs.findings_of(db, first, "C1") if f["target_id"] == "510129102001"
    ]
    assert finding["status"] == "open"
    # closing needs a note
    with pytest.raises(asyncpg.CheckViolationError, match="close_note"):
        await audit_runs.add_event(db, finding["id"], "closed", None, "auditor-1")
    await audit_runs.add_event(db, finding["id"], "follow_up", "asked the town", "auditor-1")
    # the same problem found by the later run has the same status
    (later,) = [
        f
        for f in await audit_runs.findings_of(db, second, "C1")
        if f["fingerprint"] == finding["fingerprint"]
    ]
    assert later["status"] == "follow_up"
    with pytest.raises(asyncpg.CheckViolationError, match="cannot become follow_up"):
        await audit_runs.add_event(db, later["id"], "follow_up", None, "auditor-1")
    await audit_runs.add_event(db, later["id"], "closed", "reported late, accepted", "auditor-2")
    history = await audit_runs.events_of(db, finding["fingerprint"])
    assert [(e["status"], e["by_subject"]) for e in history] == [
        ("follow_up", "auditor-1"),
        ("closed", "auditor-2"),
    ]
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.execute("UPDATE audit_finding_event SET note = 'rewritten'")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.execute("DELETE FROM audit_finding")


async def test_cli_run_stores_the_run_and_reports_findings(db, cli):
    areas = await add_areas(db)
    hid, _ = await add_household(db, areas["510129101201-01"], "1", [{"name": "张三"}])
    async with db.transaction():
        await db.execute("SET LOCAL session_replication_role = replica")
        await db.execute("UPDATE resident SET relation = 'other' WHERE household_id = $1", hid)
        await db.execute("SELECT resident_tally_rebuild()")  # as after a restore
    result = cli("audit", "run", "--suite", "residents", "--area", "510129101", "--format", "json")
    assert result.exit_code == 1, result.stderr
    body = result.json()
    assert "auditing" in result.stderr  # the progress bar
    (r4,) = [c for c in body["results"] if c["rule"] == "R4"]
    assert [f["target_id"] for f in r4["findings"]] == [str(hid)]
    assert body["findings"] == 1 and body["area"] == "510129101"
    stored = await db.fetchrow("SELECT findings, scope_code, suites FROM audit_run")
    assert stored["findings"] == 1 and stored["scope_code"] == "510129101"

    assert cli("audit", "run", "--suite", "nope").exit_code == 2
    assert cli("audit", "run", "--area", "999999999").exit_code == 2
    assert cli("audit", "run", "--period", "2026-13").exit_code == 2


async def test_data_docs_served_to_auditors_in_scope(db, database_url, anonymous_client):
    await add_areas(db)
    scoped = await run(database_url, suites=["residents"], area="510129101")
    everything = await run(database_url, suites=["residents"])

    def get(run_id, page="", **claims):
        headers = bearer(**claims) if claims else {}
        return anonymous_client.get(f"/audit/runs/{run_id}/docs/{page}", headers=headers)

    index = await get(scoped, role="auditor")
    assert index.status_code == 200 and 'href="residents.html"' in index.text
    page = await get(scoped, "residents.html", role="auditor", area="510129101")
    assert page.status_code == 200
    assert "R4 (error): every household has exactly one head" in page.text
    assert (await get(scoped)).status_code == 401
    assert (await get(scoped, role="officer", area="510129101")).status_code == 403
    # an auditor of another town sees neither run; of this town, not the whole-county run
    assert (await get(scoped, role="auditor", area="510129102")).status_code == 404
    assert (await get(everything, role="auditor", area="510129101")).status_code == 404
    assert (await get(everything, role="admin")).status_code == 200
    assert (await get(scoped, "nope.html", role="admin")).status_code == 404
