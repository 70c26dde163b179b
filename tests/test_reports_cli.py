"""`gongzhi reports import` end to end: the console command against a real database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.factories import add_areas
from tests.reports_support import COLUMNS, row, write_csv

Cli = Callable[..., Any]
RESULT_KEYS = ["run_id", "suite", "rows", "stored", "accepted", "rejected"]


@pytest.fixture
async def areas(db: asyncpg.Connection) -> None:
    await add_areas(db)


async def stored(db: asyncpg.Connection) -> dict[str, int]:
    tables = ("validation_run", "monthly_report", "report_finding", "quarantined_report")
    return {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


NOTHING = dict.fromkeys(
    ("validation_run", "monthly_report", "report_finding", "quarantined_report"), 0
)


def import_json(cli: Cli, path: Path, *flags: str) -> tuple[int, dict[str, Any]]:
    result = cli("reports", "import", str(path), *flags, "--format", "json")
    assert result.stderr == "", result.stderr
    return result.exit_code, result.json()


async def test_all_accepted_exits_0_with_the_contract_json(cli, db, areas, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "reports.csv", [row(), row(area_code="510129101202")])
    exit_code, body = import_json(cli, path)

    assert exit_code == 0
    assert list(body) == RESULT_KEYS
    uuid.UUID(body["run_id"])
    assert (body["suite"], body["rows"], body["stored"]) == ("community_monthly_report", 2, True)
    assert body["accepted"] == [
        {"row": 1, "area_code": "510129101201", "period": "2026-07", "warnings": []},
        {"row": 2, "area_code": "510129101202", "period": "2026-07", "warnings": []},
    ]
    assert body["rejected"] == []
    assert await stored(db) == {
        "validation_run": 1,
        "monthly_report": 2,
        "report_finding": 0,
        "quarantined_report": 0,
    }
    run = await db.fetchrow("SELECT id::text, source::text, rows, stored FROM validation_run")
    assert tuple(run) == (body["run_id"], "cli", 2, True)


async def test_a_rejected_row_exits_1_and_is_quarantined(cli, db, areas, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # columns in another order, a BOM, and a blank line that still counts as a row
    columns = list(reversed(COLUMNS))
    path = tmp_path / "reports.csv"
    text = "\ufeff" + ",".join(columns) + "\r\n"
    text += ",".join(row()[c] or "" for c in columns) + "\r\n\r\n"
    text += ",".join(row(area_code="510129101202", requests_open_end="9")[c] or "" for c in columns)
    path.write_text(text + "\r\n", encoding="utf-8")

    exit_code, body = import_json(cli, path)

    assert exit_code == 1
    assert body["stored"] is True
    assert [a["row"] for a in body["accepted"]] == [1]
    assert body["rejected"] == [
        {
            "row": 3,
            "area_code": "510129101202",
            "period": "2026-07",
            "errors": [
                {
                    "rule": "E7",
                    "message": "requests_open_start (4) + requests_received (12) - "
                    "requests_resolved (10) is 6, but requests_open_end is 9",
                }
            ],
            "warnings": [],
        }
    ]
    quarantined = await db.fetchrow("SELECT source_row, raw_values, status FROM quarantined_report")
    assert quarantined["source_row"] == 3 and quarantined["status"] == "open"
    assert '"requests_open_end": "9"' in quarantined["raw_values"]
    assert (await stored(db))["monthly_report"] == 1


UNUSABLE = [
    ("missing column", None, 'missing column "households" (E1)'),
    ("unknown column", None, 'unknown column "remarks"'),
    ("empty file", b"", "the file is empty"),
    ("GBK", ",".join(COLUMNS).encode() + "\n大坪村".encode("gbk"), "not UTF-8"),
    ("ragged row", ",".join(COLUMNS).encode() + b"\n1,2,3\n", "data row 1 has 3 fields"),
]


@pytest.mark.parametrize(("case", "content", "reason"), UNUSABLE, ids=[u[0] for u in UNUSABLE])
async def test_unusable_input_exits_2_with_the_reason(
    cli, db, areas, tmp_path, case, content, reason
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "reports.csv"
    if case == "missing column":
        write_csv(path, [row()], columns=[c for c in COLUMNS if c != "households"])
    elif case == "unknown column":
        write_csv(path, [row()], columns=[*COLUMNS, "remarks"])
    else:
        path.write_bytes(content)
    result = cli("reports", "import", str(path), "--format", "json")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert reason in result.stderr
    assert await stored(db) == NOTHING


def test_a_missing_file_exits_2(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = cli("reports", "import", str(tmp_path / "nope.csv"))
    assert (result.exit_code, result.stdout) == (2, "")
    assert "no such file" in result.stderr


async def test_dry_run_stores_nothing(cli, db, areas, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "reports.csv", [row(), row(period="2026-08", residents="3")])
    exit_code, body = import_json(cli, path, "--dry-run")

    assert exit_code == 1
    assert body["stored"] is False
    assert [r["row"] for r in body["rejected"]] == [2]
    assert await stored(db) == NOTHING


async def test_atomic_stores_only_the_run_and_the_quarantine(cli, db, areas, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = write_csv(tmp_path / "bad.csv", [row(), row(period="2026-08", party_members="999")])
    exit_code, body = import_json(cli, bad, "--atomic")

    assert exit_code == 1
    assert body["stored"] is False
    assert [a["row"] for a in body["accepted"]] == [1]
    assert await stored(db) == {
        "validation_run": 1,
        "monthly_report": 0,
        "report_finding": 1,
        "quarantined_report": 1,
    }

    good = write_csv(tmp_path / "good.csv", [row(), row(period="2026-08")])
    exit_code, body = import_json(cli, good, "--atomic")
    assert (exit_code, body["stored"]) == (0, True)
    assert (await stored(db))["monthly_report"] == 2


async def test_revise_keeps_every_version_and_text_summary(cli, db, areas, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_csv(tmp_path / "v1.csv", [row()])
    assert import_json(cli, tmp_path / "v1.csv")[0] == 0

    revised = write_csv(tmp_path / "v2.csv", [row(households="125", dividend_households="31")])
    result = cli("reports", "import", str(revised))  # text: a summary for people
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{revised}: 1 rows: 0 accepted, 1 rejected, 0 warnings")
    assert lines[1:] == [
        "  row 1 510129101201 2026-07: E4 a report for 510129101201 2026-07 is already "
        "stored (version 1); submit a revision to replace it"
    ]
    assert result.stderr == ""  # a small file gets no progress bar

    exit_code, body = import_json(cli, revised, "--revise")
    assert exit_code == 0 and body["stored"] is True
    versions = await db.fetch(
        "SELECT version, households, dividend_households FROM monthly_report ORDER BY version"
    )
    assert [tuple(v) for v in versions] == [(1, 120, 30), (2, 125, 31)]
