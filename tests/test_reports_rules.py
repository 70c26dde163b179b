"""Every rule of the monthly report suite, passing and failing, through the real intake
(Great Expectations workers and the SQL checks against PostgreSQL)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import asyncpg
import pytest
import yaml

from db.reports_intake import SQL_CHECKS
from tests.factories import add_household
from tests.reports_support import GOOD, module_database_url, module_pool, row, rules, submit
from validation.suite import SuiteError, build_gx_suite, load_suite, suite_path

__all__ = ["module_database_url", "module_pool"]  # fixtures used below

# (case, overrides, the error rules the row must get: exactly these)
CASES: list[tuple[str, dict[str, str | None], set[str]]] = [
    ("good", {}, set()),
    ("E1 empty households", {"households": ""}, {"E1"}),
    ("E1 empty submitted_by", {"submitted_by": "  "}, {"E1"}),
    ("E2 integer with decimals", {"households": "1.5"}, {"E2"}),
    ("E2 negative integer", {"activities_held": "-3"}, {"E2"}),
    ("E2 hours with 2 places", {"volunteer_hours": "12.55"}, {"E2"}),
    ("E2 hours with 1 place", {"volunteer_hours": "12.5"}, set()),
    ("E2 amount with 3 places", {"collective_income": "1.234"}, {"E2"}),
    ("E2 amount with 1 place", {"collective_income": "0.5"}, set()),
    ("E2 month 13", {"period": "2026-13"}, {"E2"}),
    ("E2 future month", {"period": "2099-01"}, {"E2"}),
    ("E2 not a month", {"period": "2026/08"}, {"E2"}),
    ("E3 a town", {"area_code": "510129101"}, {"E3"}),
    ("E3 unknown village", {"area_code": "510129109999"}, {"E3"}),
    ("E5 fewer residents than households", {"residents": "100"}, {"E5"}),
    ("E5 as many residents as households", {"residents": "120", "party_members": "20"}, set()),
    ("E6 more party members than residents", {"party_members": "351"}, {"E6"}),
    ("E6 all residents party members", {"party_members": "350"}, set()),
    ("E7 open requests do not add up", {"requests_open_end": "7"}, {"E7"}),
    ("E8 more satisfied than feedback", {"feedback_satisfied": "9"}, {"E8"}),
    ("E8 more feedback than resolved", {"feedback_received": "11"}, {"E8"}),
    ("E8 equal", {"feedback_received": "10", "feedback_satisfied": "10"}, set()),
    (
        "E9 over 24 h a day (31 days)",
        {"volunteers_active": "1", "volunteer_hours": "744.1"},
        {"E9"},
    ),
    ("E9 exactly 24 h a day", {"volunteers_active": "1", "volunteer_hours": "744"}, set()),
    (
        "E9 over 24 h a day in February",
        {"period": "2026-02", "volunteers_active": "1", "volunteer_hours": "672.5"},
        {"E9"},
    ),
    ("E9 hours without volunteers", {"volunteers_active": "0", "volunteer_hours": "0.5"}, {"E9"}),
    ("E9 no volunteers, no hours", {"volunteers_active": "0", "volunteer_hours": "0"}, set()),
    ("E10 more dividend households", {"dividend_households": "121"}, {"E10"}),
    ("E10 households but nothing paid", {"dividends_paid": "0"}, {"E10"}),
    ("E10 paid but no households", {"dividend_households": "0"}, {"E10"}),
    ("E10 neither", {"dividends_paid": "0.00", "dividend_households": "0"}, set()),
    ("two rules at once", {"residents": "100", "requests_open_end": "7"}, {"E5", "E7"}),
]


def _period(i: int) -> str:
    return f"{2000 + i // 12}-{i % 12 + 1:02d}"


async def test_each_rule_passes_and_fails_in_one_coalesced_run(module_pool) -> None:  # type: ignore[no-untyped-def]
    rows = [row(**{"period": _period(i), **overrides}) for i, (_, overrides, _) in enumerate(CASES)]
    result = await submit(module_pool, rows, dry_run=True)

    assert result.stored is False
    got = {
        name: {f.rule for f in v.errors}
        for (name, _, _), v in zip(CASES, result.verdicts, strict=True)
    }
    assert got == {name: expected for name, _, expected in CASES}
    for (name, _, _), v in zip(CASES, result.verdicts, strict=True):
        assert all(f.message for f in v.findings), name
        assert v.warnings == [], name


async def test_messages_name_the_values(module_pool) -> None:  # type: ignore[no-untyped-def]
    result = await submit(
        module_pool,
        [
            row(period="2010-01", households="1.5"),
            row(period="2010-02", requests_open_end="7"),
            row(period="2010-03", area_code="510129101"),
        ],
        dry_run=True,
    )
    messages = [[f.message for f in v.errors] for v in result.verdicts]
    assert messages == [
        ['households "1.5" is not a whole number >= 0 (digits only, at most 9)'],
        [
            "requests_open_start (4) + requests_received (12) - requests_resolved (10) is 6, "
            "but requests_open_end is 7"
        ],
        ["area 510129101 (鹤鸣镇) is a town, not a village/community"],
    ]


async def test_e4_once_in_the_file(module_pool) -> None:  # type: ignore[no-untyped-def]
    result = await submit(
        module_pool,
        [row(period="2011-01"), row(period="2011-01"), row(period="2011-02")],
        dry_run=True,
    )
    assert [rules(v) for v in result.verdicts] == [["E4"], ["E4"], []]
    assert "rows 1, 2" in result.verdicts[0].errors[0].message


async def test_e4_not_stored_unless_revision(module_pool) -> None:  # type: ignore[no-untyped-def]
    first = await submit(module_pool, [row(period="2012-01")])
    assert first.stored and first.verdicts[0].version == 1

    again = await submit(module_pool, [row(period="2012-01")])
    assert [f.rule for f in again.verdicts[0].errors] == ["E4"]
    assert "already stored (version 1)" in again.verdicts[0].errors[0].message

    revision = await submit(module_pool, [row(period="2012-01", households="121")], revise=True)
    assert revision.verdicts[0].accepted and revision.verdicts[0].version == 2
    versions = await module_pool.fetch(
        "SELECT version, households FROM monthly_report r JOIN area a ON a.id = r.area_id "
        "WHERE a.code = '510129101201' AND r.period = '2012-01-01' ORDER BY version"
    )
    assert [tuple(v) for v in versions] == [(1, 120), (2, 121)]


async def test_w1_w2_against_the_previous_month(module_pool) -> None:  # type: ignore[no-untyped-def]
    village = {"area_code": "510129101202"}
    stored = await submit(module_pool, [row(period="2013-05", **village)])
    assert stored.verdicts[0].accepted

    result = await submit(
        module_pool,
        [
            # continues May's 6 open requests: no warning
            row(period="2013-06", requests_open_start="6", requests_received="10", **village),
            row(
                period="2013-06",
                area_code="510129101203",  # no previous month stored: no warning
                requests_open_start="5",
                requests_received="11",
            ),
        ],
        dry_run=True,
    )
    assert [rules(v) for v in result.verdicts] == [[], []]

    moved = row(
        period="2013-06",
        households="150",  # +25%
        residents="400",  # +14%
        requests_open_start="5",
        requests_received="11",
        **village,
    )
    result = await submit(module_pool, [moved], dry_run=True)
    (v,) = result.verdicts
    assert v.accepted
    assert [(f.rule, f.message) for f in v.warnings] == [
        ("W1", "requests_open_start (5) differs from requests_open_end (6) stored for 2013-05"),
        ("W2", "households moved from 120 in 2013-05 to 150 (+25%), more than 20%"),
    ]


async def test_w3_against_registered_households(module_pool) -> None:  # type: ignore[no-untyped-def]
    building = await module_pool.fetchval("SELECT id FROM area WHERE code = '510129102001-03-05'")
    async with module_pool.acquire() as conn:
        for room in range(1, 11):
            await add_household(conn, building, str(room), [{"name": f"户主{room}"}])
    community = {"area_code": "510129102001", "dividend_households": "5"}
    result = await submit(
        module_pool,
        [
            row(period="2014-01", households="12", **community),
            row(period="2014-02", households="11", **community),  # 10%: not more than 10%
            row(period="2014-03", households="9", **community),
        ],
        dry_run=True,
    )
    assert [rules(v) for v in result.verdicts] == [["W3"], [], []]
    assert result.verdicts[0].warnings[0].message == (
        "households (12) differs by 20% from the 10 households registered for 510129102001, "
        "more than 10%"
    )


def _received(n: int) -> dict[str, str]:
    # keeps E7 and E8: 4 open + n received - (n - 2) resolved = 6 open at the end
    return {"requests_received": str(n), "requests_resolved": str(n - 2)}


async def test_w4_outlier_among_the_town_villages(module_pool) -> None:  # type: ignore[no-untyped-def]
    peers = [("510129101203", 11), ("510129101204", 12), ("510129101205", 13)]
    peers += [("510129101206", 12), ("510129101207", 11)]
    stored = await submit(
        module_pool, [row(period="2015-03", area_code=c, **_received(n)) for c, n in peers]
    )
    assert all(v.accepted and not v.warnings for v in stored.verdicts)
    # four villages stored in April, three in May
    await submit(
        module_pool, [row(period="2015-04", area_code=c, **_received(n)) for c, n in peers[:4]]
    )
    await submit(
        module_pool, [row(period="2015-05", area_code=c, **_received(n)) for c, n in peers[:3]]
    )

    result = await submit(
        module_pool,
        [
            row(period="2015-03", **_received(60)),  # 50 per 100 households: an outlier
            row(period="2015-03", area_code="510129101202", **_received(12)),
            row(period="2015-04", **_received(60)),  # 5 villages with this one
        ],
        dry_run=True,
    )
    assert [rules(v) for v in result.verdicts] == [["W4"], [], ["W4"]]
    assert (
        result.verdicts[0]
        .warnings[0]
        .message.startswith(
            "50 requests received per 100 households is an outlier among the 7 villages"
        )
    )

    few = await submit(module_pool, [row(period="2015-05", **_received(60))], dry_run=True)
    assert rules(few.verdicts[0]) == []  # 4 villages: too few to call anyone an outlier


# -- the suite file ---------------------------------------------------------------------


def test_suite_covers_every_contract_rule() -> None:
    suite = load_suite(suite_path("community_monthly_report"), sql_checks=SQL_CHECKS)
    covered = {e.rule for e in suite.expectations} | {c.rule for c in suite.sql_checks}
    assert covered == {f"E{n}" for n in range(1, 11)} | {f"W{n}" for n in range(1, 5)}
    assert len(suite.version) == 16


def _variant(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(suite_path("community_monthly_report").read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "community_monthly_report.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_a_rule_without_an_expectation_is_a_startup_error(tmp_path: Path) -> None:
    def drop_e7(doc) -> None:  # type: ignore[no-untyped-def]
        doc["expectations"] = [e for e in doc["expectations"] if e["rule"] != "E7"]

    with pytest.raises(SuiteError, match="E7 have no expectation"):
        load_suite(_variant(tmp_path, drop_e7))


def test_an_unimplemented_sql_check_is_a_startup_error(tmp_path: Path) -> None:
    def rename(doc) -> None:  # type: ignore[no-untyped-def]
        doc["sql_checks"][0]["check"] = "area_is_a_village"

    with pytest.raises(SuiteError, match="area_is_a_village"):
        load_suite(_variant(tmp_path, rename), sql_checks=SQL_CHECKS)


def test_an_expectation_gx_would_drop_is_a_startup_error(tmp_path: Path) -> None:
    def duplicate(doc) -> None:  # type: ignore[no-untyped-def]
        e5 = next(e for e in doc["expectations"] if e["rule"] == "E5")
        doc["expectations"].append({**e5, "rule": "E6"})

    suite = load_suite(_variant(tmp_path, duplicate))
    with pytest.raises(SuiteError, match="dropped"):
        build_gx_suite(suite)

    def bad_kwargs(doc) -> None:  # type: ignore[no-untyped-def]
        doc["expectations"][-1]["kwargs"]["min_value"] = "lots"

    with pytest.raises(SuiteError, match="rejects its arguments"):
        build_gx_suite(load_suite(_variant(tmp_path, bad_kwargs)))


def test_a_check_that_raises_is_a_broken_check_not_bad_data() -> None:
    from validation.gx_worker import BrokenCheck, Runner

    suite = load_suite(suite_path("community_monthly_report"))
    e9 = next(e for e in suite.expectations if e.rule == "E9")
    broken = dataclasses.replace(
        e9,
        kwargs={
            **e9.kwargs,
            "row_condition": {
                "type": "comparison",
                "column": {"name": "no_such_column"},
                "operator": "==",
                "parameter": 0,
            },
        },
    )
    suite = dataclasses.replace(
        suite, expectations=tuple(broken if e is e9 else e for e in suite.expectations)
    )
    runner = Runner(suite)
    columns = {c: [v] for c, v in GOOD.items()}
    with pytest.raises(BrokenCheck, match="E9"):
        runner.run(columns, {"current_period": 2026 * 12})


async def test_the_database_refuses_what_the_rules_reject(module_pool) -> None:  # type: ignore[no-untyped-def]
    run = (await submit(module_pool, [row(period="2016-01")])).run_id
    with pytest.raises(asyncpg.CheckViolationError, match="monthly_report_e5"):
        await module_pool.execute(
            "INSERT INTO monthly_report (area_id, period, version, households, residents, "
            "party_members, requests_open_start, requests_received, requests_resolved, "
            "requests_open_end, feedback_received, feedback_satisfied, volunteers_active, "
            "volunteer_hours, activities_held, collective_income, dividends_paid, "
            "dividend_households, submitted_by, run_id, source_row) "
            "SELECT id, '2016-02-01', 1, 10, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'x', $1, 1 "
            "FROM area WHERE code = '510129101201'",
            run,
        )
    # E3 and the path: a writer that gives the path is checked by the foreign key (area,
    # path, village); one that leaves it out gets it, and a non-village is refused
    insert = (
        "INSERT INTO monthly_report (area_id, area_path, period, version, households, "
        "residents, party_members, requests_open_start, requests_received, "
        "requests_resolved, requests_open_end, feedback_received, feedback_satisfied, "
        "volunteers_active, volunteer_hours, activities_held, collective_income, "
        "dividends_paid, dividend_households, submitted_by, run_id, source_row) "
        "SELECT a.id, {path}, '2016-03-01', 1, 10, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
        "0, 'x', $1, 1 FROM area a WHERE a.code = $2"
    )
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="monthly_report_area"):
        await module_pool.execute(
            insert.format(path="(SELECT path FROM area WHERE code = '510129101202')"),
            run,
            "510129101201",
        )
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="monthly_report_area"):
        await module_pool.execute(insert.format(path="a.path"), run, "510129101")
    with pytest.raises(asyncpg.CheckViolationError, match="villages/communities"):
        await module_pool.execute(insert.format(path="NULL"), run, "510129101")
    stored = await module_pool.fetchval(
        insert.format(path="NULL") + " RETURNING area_path::text", run, "510129101201"
    )
    assert stored == await module_pool.fetchval(
        "SELECT path::text FROM area WHERE code = '510129101201'"
    )
    with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
        await module_pool.execute("UPDATE monthly_report SET households = households")
    with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
        await module_pool.execute("DELETE FROM validation_run")
