"""`gongzhi areas import` end to end: the console command against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pytest

HEADER = ("code", "name", "level", "parent_code")
CHAIN = [
    ("51", "四川省", "province", ""),
    ("5101", "成都市", "city", "51"),
    ("510129", "大邑县", "county", "5101"),
    ("510129101", "鹤鸣镇", "town", "510129"),
    ("510129101201", "大坪村", "village", "510129101"),
    ("510129101201-03", "福康花园小区", "compound", "510129101201"),
    ("510129101201-03-05", "5栋", "building", "510129101201-03"),
]
RESULT_KEYS = {"run_id", "suite", "rows", "stored", "accepted", "rejected"}
EXTRA_KEYS = {"counts"}

Cli = Callable[..., Any]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    header: Sequence[str] = HEADER,
    *,
    bom: bool = False,
) -> Path:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    path.write_text(("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


async def snapshot(db: asyncpg.Connection) -> list[tuple[Any, ...]]:
    """Every area as stored, with its row version (xmin): equal snapshots mean no row
    was written at all, not merely that the values came out the same."""
    records = await db.fetch(
        "SELECT a.code, a.name, a.level::text, p.code, a.path::text, a.updated_at, "
        "a.xmin::text FROM area a LEFT JOIN area p ON p.id = a.parent_id ORDER BY a.code"
    )
    return [tuple(r) for r in records]


async def area_count(db: asyncpg.Connection) -> int:
    return await db.fetchval("SELECT count(*) FROM area")


def import_json(cli: Cli, path: Path) -> tuple[int, dict[str, Any]]:
    result = cli("areas", "import", str(path), "--format", "json")
    assert result.stderr == "", result.stderr
    return result.exit_code, result.json()


# Accepting and storing -----------------------------------------------------------------


async def test_imports_the_whole_chain_with_the_contract_json(
    cli: Cli, db: asyncpg.Connection, tmp_path: Path
) -> None:
    exit_code, body = import_json(cli, write_csv(tmp_path / "areas.csv", CHAIN))

    assert exit_code == 0
    assert set(body) - EXTRA_KEYS == RESULT_KEYS
    uuid.UUID(body["run_id"])
    assert body["suite"] == "area_registry"
    assert body["rows"] == 7
    assert body["stored"] is True
    assert body["accepted"] == [
        {"row": i, "code": code, "warnings": []} for i, (code, *_) in enumerate(CHAIN, start=1)
    ]
    assert body["rejected"] == []
    assert body["counts"] == {"created": 7, "updated": 0, "unchanged": 0, "rejected": 0}

    stored = {r[0]: r for r in await snapshot(db)}
    assert set(stored) == {code for code, *_ in CHAIN}
    for code, name, level, parent in CHAIN:
        assert stored[code][1:4] == (name, level, parent or None)
    # the tree's paths nest: the building's path extends the village's
    assert stored["510129101201-03-05"][4].startswith(stored["510129101201"][4] + ".")


async def test_text_summary_counts_and_lists_rejections(
    cli: Cli, db: asyncpg.Connection, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "areas.csv", [*CHAIN[:4], ("51012910120", "大坪村", "village", "510129101")]
    )
    result = cli("areas", "import", str(path))

    assert result.exit_code == 1
    assert result.stderr == ""  # small file: no progress bar
    first, *rest = result.stdout.splitlines()
    assert first.endswith("5 rows: 4 created, 0 updated (renamed), 0 unchanged, 1 rejected")
    assert rest == [
        '  row 5 51012910120: A1 code "51012910120" has 11 digits; a village code has 12'
    ]
    assert await area_count(db) == 4


async def test_some_rows_rejected_exits_1_and_stores_the_rest(
    cli: Cli, db: asyncpg.Connection, tmp_path: Path
) -> None:
    rows = [*CHAIN[:5], ("510129101202", "放牛村", "hamlet", "510129101"), *CHAIN[5:]]
    exit_code, body = import_json(cli, write_csv(tmp_path / "areas.csv", rows))

    assert exit_code == 1
    assert body["stored"] is True
    assert body["rows"] == 8
    assert body["rejected"] == [
        {
            "row": 6,
            "code": "510129101202",
            "errors": [
                {
                    "rule": "A3",
                    "message": 'level "hamlet" is not one of province, city, county, town, '
                    "village, compound, building",
                }
            ],
            "warnings": [],
        }
    ]
    assert [a["row"] for a in body["accepted"]] == [1, 2, 3, 4, 5, 7, 8]
    assert await area_count(db) == 7


async def test_bom_columns_in_any_order_and_parents_after_children(
    cli: Cli, db: asyncpg.Connection, tmp_path: Path
) -> None:
    header = ("parent_code", "level", "code", "name")
    rows = [(p, lv, c, n) for c, n, lv, p in reversed(CHAIN)]
    path = write_csv(tmp_path / "areas.csv", rows, header, bom=True)

    exit_code, body = import_json(cli, path)

    assert exit_code == 0, body["rejected"]
    assert [a["code"] for a in body["accepted"]] == [c for c, *_ in reversed(CHAIN)]
    assert await area_count(db) == 7


# The rules, through the command --------------------------------------------------------

# Each case: a row added after the chain and the rule it breaks (None: it passes).
RULE_CASES = {
    "A1 fails": (("5101291012021", "放牛村", "village", "510129101"), "A1"),
    "A1 passes": (("510129101202", "放牛村", "village", "510129101"), None),
    "A2 fails": (("510116001", "西航港街道", "town", "510116"), "A2"),
    "A2 passes": (("510129102", "金马镇", "town", "510129"), None),
    "A3 fails": (("510129102", "金马镇", "subdistrict", "510129"), "A3"),
    "A3 passes": (("510129101201-04", "蓉西新城", "compound", "510129101201"), None),
    "A4 fails": (("5101", "成都市", "city", "51"), "A4"),
    "A4 passes": (("5107", "绵阳市", "city", "51"), None),
}


@pytest.mark.parametrize("case", RULE_CASES.values(), ids=RULE_CASES.keys())
async def test_rule(
    case: tuple[tuple[str, str, str, str], str | None],
    cli: Cli,
    db: asyncpg.Connection,
    tmp_path: Path,
) -> None:
    row, rule = case
    exit_code, body = import_json(cli, write_csv(tmp_path / "areas.csv", [*CHAIN, row]))

    if rule is None:
        assert (exit_code, body["rejected"]) == (0, [])
        assert await area_count(db) == 8
    else:
        assert exit_code == 1
        [rejected] = body["rejected"]
        assert rejected["row"] == 8 and rejected["code"] == row[0]
        assert [e["rule"] for e in rejected["errors"]] == [rule]
        assert rejected["errors"][0]["message"]
        assert await area_count(db) == 7


async def test_parent_already_stored_and_inconsistent_stored_areas(
    cli: Cli, db: asyncpg.Connection, tmp_path: Path
) -> None:
    assert import_json(cli, write_csv(tmp_path / "first.csv", CHAIN[:5]))[0] == 0

    rows = [
        ("510129101201-03", "福康花园小区", "compound", "510129101201"),  # parent stored
        ("510129101", "鹤鸣镇", "county", "5101"),  # stored as a town
        ("510129101201", "大坪村", "village", "510129102"),  # stored under 510129101
    ]
    exit_code, body = import_json(cli, write_csv(tmp_path / "second.csv", rows))

    assert exit_code == 1
    assert [a["code"] for a in body["accepted"]] == ["510129101201-03"]
    errors = {r["code"]: r["errors"] for r in body["rejected"]}
    assert errors["510129101"] == [
        {
            "rule": "A1",
            "message": 'code "510129101" is stored as a town, not a county; an area\'s level '
            "never changes",
        }
    ]
    assert errors["510129101201"][0]["rule"] == "A2"
    assert "is stored under" in errors["510129101201"][0]["message"]
    assert await db.fetchval("SELECT level::text FROM area WHERE code = '510129101'") == "town"


async def test_a4_conflicting_duplicates_reject_both_and_the_children(
    cli: Cli, db: asyncpg.Connection, tmp_path: Path
) -> None:
    rows = [*CHAIN[:4], CHAIN[4], ("510129101201", "大坪社区", "village", "510129101"), CHAIN[5]]
    exit_code, body = import_json(cli, write_csv(tmp_path / "areas.csv", rows))

    assert exit_code == 1
    assert {r["row"]: [e["rule"] for e in r["errors"]] for r in body["rejected"]} == {
        5: ["A4"],
        6: ["A4"],
        7: ["A2"],
    }
    assert await area_count(db) == 4


# Idempotence and renames ---------------------------------------------------------------


async def test_reimporting_the_same_file_changes_nothing(
    cli: Cli, db: asyncpg.Connection, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "areas.csv", CHAIN)
    assert import_json(cli, path)[0] == 0
    before = await snapshot(db)

    exit_code, body = import_json(cli, path)

    assert exit_code == 0
    assert body["counts"] == {"created": 0, "updated": 0, "unchanged": 7, "rejected": 0}
    assert len(body["accepted"]) == 7
    assert await snapshot(db) == before


async def test_a_changed_name_renames_the_area_only(
    cli: Cli, db: asyncpg.Connection, tmp_path: Path
) -> None:
    assert import_json(cli, write_csv(tmp_path / "areas.csv", CHAIN))[0] == 0
    before = {r[0]: r for r in await snapshot(db)}

    renamed = [(c, "大坪社区" if c == "510129101201" else n, lv, p) for c, n, lv, p in CHAIN]
    exit_code, body = import_json(cli, write_csv(tmp_path / "renamed.csv", renamed))

    assert exit_code == 0
    assert body["counts"] == {"created": 0, "updated": 1, "unchanged": 6, "rejected": 0}
    after = {r[0]: r for r in await snapshot(db)}
    village_before, village_after = before.pop("510129101201"), after.pop("510129101201")
    assert village_after[1] == "大坪社区"
    assert village_after[5] > village_before[5]  # updated_at moved
    assert village_after[4] == village_before[4]  # same place in the tree
    assert after == before


async def test_text_counts_on_reimport_with_a_rename_and_a_new_area(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("areas", "import", str(write_csv(tmp_path / "a.csv", CHAIN))).exit_code == 0
    rows = [*CHAIN[:4], ("510129101201", "大坪社区", "village", "510129101"), *CHAIN[5:]]
    rows.append(("510129101201-03-06", "6栋", "building", "510129101201-03"))

    result = cli("areas", "import", str(write_csv(tmp_path / "b.csv", rows)))

    assert result.exit_code == 0
    assert "8 rows: 1 created, 1 updated (renamed), 6 unchanged, 0 rejected" in result.stdout


# Unusable input ------------------------------------------------------------------------

UNUSABLE = {
    "missing column": (b"code,name,level\n51,x,province\n", 'missing column "parent_code"'),
    "unknown column": (
        b"code,name,level,parent_code,remark\n51,x,province,,\n",
        'unknown column "remark"',
    ),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    "not CSV": (b'code,name,level,parent_code\n51,"x"y,province,\n', "not valid CSV"),
    "not UTF-8": ("code,name,level,parent_code\n51,四川省,province,\n".encode("gbk"), "UTF-8"),
    "empty": (b"", "empty"),
}


@pytest.mark.parametrize("case", UNUSABLE.values(), ids=UNUSABLE.keys())
@pytest.mark.parametrize("output", ["text", "json"])
async def test_unusable_input_exits_2_and_stores_nothing(
    case: tuple[bytes, str], output: str, cli: Cli, db: asyncpg.Connection, tmp_path: Path
) -> None:
    data, reason = case
    path = tmp_path / "areas.csv"
    path.write_bytes(data)

    result = cli("areas", "import", str(path), "--format", output)

    assert result.exit_code == 2
    assert reason in result.stderr
    assert result.stdout == ""
    assert await area_count(db) == 0


async def test_a_bad_row_count_makes_the_whole_file_unusable(
    cli: Cli, db: asyncpg.Connection, tmp_path: Path
) -> None:
    # An unquoted comma in a name shifts every later column: nothing in the file is stored.
    path = tmp_path / "areas.csv"
    path.write_text(
        "code,name,level,parent_code\n51,四川省,province,\n5101,成都市,二环,city,51\n",
        encoding="utf-8",
    )
    result = cli("areas", "import", str(path))
    assert result.exit_code == 2
    assert "data row 2 has 5 fields but the header has 4" in result.stderr
    assert await area_count(db) == 0


async def test_missing_file_exits_2(cli: Cli, tmp_path: Path) -> None:
    result = cli("areas", "import", str(tmp_path / "nowhere.csv"), "--format", "json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "nowhere.csv: no such file" in result.stderr


async def test_a_directory_exits_2(cli: Cli, tmp_path: Path) -> None:
    result = cli("areas", "import", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_help_describes_the_command(cli: Cli) -> None:
    result = cli("areas", "import", "--help")
    assert result.exit_code == 0
    for text in ("FILE", "--format", "--data-dir", "A1 code format", "Exit status"):
        assert text in result.stdout


# Size ----------------------------------------------------------------------------------


async def test_tens_of_thousands_of_rows(cli: Cli, db: asyncpg.Connection, tmp_path: Path) -> None:
    rows = list(CHAIN[:4])
    for v in range(1, 11):
        village = f"510129101{200 + v}"
        rows.append((village, f"村{v}", "village", "510129101"))
        for c in range(1, 21):
            compound = f"{village}-{c:02d}"
            rows.append((compound, f"小区{v}-{c}", "compound", village))
            rows.extend((f"{compound}-{b}", f"{b}栋", "building", compound) for b in range(1, 101))
    path = write_csv(tmp_path / "areas.csv", rows)

    exit_code, body = import_json(cli, path)
    assert exit_code == 0, body["rejected"][:3]
    assert body["counts"]["created"] == len(rows) == 20214
    assert await area_count(db) == len(rows)

    exit_code, body = import_json(cli, path)
    assert (exit_code, body["counts"]["unchanged"]) == (0, len(rows))


def test_an_unreachable_database_exits_3(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "areas.csv", CHAIN)
    env = {**os.environ, "DATABASE_URL": "postgresql://gongzhi@127.0.0.1:9/nowhere"}
    proc = subprocess.run(
        [sys.executable, "-m", "gongzhi", "areas", "import", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert (proc.returncode, proc.stdout) == (3, "")
    assert "database error, nothing stored" in proc.stderr
