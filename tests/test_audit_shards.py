"""Sharded checks (P1 and P2 run as ranges of petition ids, concurrently): the shards
together return exactly what the whole query returns, whatever the shard count, with
defects on the shards' boundaries and a petition whose events interleave with
another's; and suite files declare sharding consistently."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import asyncpg
import pytest

from tests.audit_support import found, run
from tests.test_audit_petitions import (
    DAPING_COMPOUND,
    LIFE,
    NOW,
    _clean_petitions,
    _village,
    add_petition,
)
from validation import audit
from validation.audit_suite import (
    BIGINT_MAX,
    BIGINT_MIN,
    EVERY_KEY,
    Scope,
    bind,
    load_audit_suite,
    load_audit_suites,
    shard_ranges,
)
from validation.suite import SuiteError

LONG_AGO = NOW - dt.timedelta(days=60)


@pytest.mark.parametrize(
    ("lowest", "highest", "shards"),
    [(1, 10, 3), (1, 10, 10), (1, 10, 64), (7, 1_000_003, 4), (-5, 5, 2), (1, 2, 2)],
)
def test_shard_ranges_cover_every_key_once(lowest: int, highest: int, shards: int) -> None:
    ranges = shard_ranges(lowest, highest, shards)
    assert len(ranges) == min(shards, highest - lowest + 1)
    assert ranges[0][0] == BIGINT_MIN and ranges[-1][1] == BIGINT_MAX
    for (_, end), (start, _) in itertools.pairwise(ranges):
        assert start == end + 1  # contiguous, no overlap
    for first, last in ranges:
        assert first <= last
    sizes = [min(last, highest) - max(first, lowest) + 1 for first, last in ranges]
    assert max(sizes) - min(sizes) <= 1  # even


@pytest.mark.parametrize(
    ("lowest", "highest", "shards"), [(None, None, 4), (3, 3, 4), (1, 10, 1), (1, 10, 0)]
)
def test_one_range_when_nothing_to_split(
    lowest: int | None, highest: int | None, shards: int
) -> None:
    assert shard_ranges(lowest, highest, shards) == [EVERY_KEY]


async def _plant(db: asyncpg.Connection) -> dict[str, set[str]]:
    """Clean petitions and defective ones, alternating, so that shard boundaries fall on
    and between defects; one defective history recorded interleaved with a clean one's."""
    area = (await _village(db))[DAPING_COMPOUND]
    month = f"{LONG_AGO.astimezone(dt.timezone(dt.timedelta(hours=8))):%Y-%m}"
    expected: dict[str, set[str]] = {"P1": set(), "P2": set()}
    await _clean_petitions(db, area)
    for n in range(6):
        early = await add_petition(
            db, area, "closed", LONG_AGO, [*LIFE[:2], (1, "assigned", "triaged", "assigned")]
        )
        expected["P1"].add(f"{early} {month}")
        await add_petition(db, area, "closed", LONG_AGO, LIFE)
        unresolved = await add_petition(
            db, area, "feedback", LONG_AGO, [(70, "feedback", "resolved", "feedback")]
        )
        expected["P2"].add(f"{unresolved} {month}")
        if n % 2:
            rated_early = await add_petition(
                db, area, "closed", LONG_AGO, [], feedback_at=LONG_AGO + dt.timedelta(hours=20)
            )
            expected["P2"].add(f"{rated_early} {month}")
    # two petitions whose events are recorded alternately: the first's history is sound
    # (its neighbours in id belong to the other), the second's has a gap
    sound = await add_petition(db, area, "closed", LONG_AGO, [])
    gapped = await add_petition(db, area, "resolved", LONG_AGO, [])
    for (hours, kind, from_status, to_status), gapped_event in zip(
        LIFE, [*LIFE[:2], *LIFE[5:7], None, None, None, None, None], strict=True
    ):
        for pid, event in ((sound, (hours, kind, from_status, to_status)), (gapped, gapped_event)):
            if event is None:
                continue
            await db.execute(
                """INSERT INTO petition_event (petition_id, at, kind, from_status, to_status,
                       visibility, actor, actor_role)
                   VALUES ($1, $2, $3, $4, $5, 'public', 'import', 'operator')""",
                pid,
                LONG_AGO + dt.timedelta(hours=event[0]),
                event[1],
                event[2],
                event[3],
            )
    expected["P1"].add(f"{gapped} {month}")
    return expected


async def _messages(db: asyncpg.Connection, run_id: object) -> dict[tuple[str, str], str]:
    return {
        (r["rule"], r["target_id"]): r["message"]
        for r in await db.fetch(
            "SELECT rule, target_id, message FROM audit_finding WHERE run_id = $1", run_id
        )
    }


async def test_sharded_checks_find_what_the_whole_query_finds(db, database_url, monkeypatch):
    expected = await _plant(db)
    lowest, highest = await db.fetchrow("SELECT min(id), max(id) FROM petition")
    pool = audit.get_pool()
    monkeypatch.setattr(pool, "shards", 1)
    whole = await run(database_url, suites=["petitions"])
    result = await found(db, whole)
    assert {rule: result[rule] for rule in ("P1", "P2")} == expected
    messages = await _messages(db, whole)
    # 2 and 3 shards; one petition per shard (every petition starts a range)
    for shards in (2, 3, highest - lowest + 1):
        monkeypatch.setattr(pool, "shards", shards)
        sharded = await run(database_url, suites=["petitions"])
        assert await found(db, sharded) == result, shards
        assert await _messages(db, sharded) == messages, shards


async def test_shard_queries_together_return_the_whole_querys_rows(db):
    """At the SQL level, over asyncpg: each sharded check's query bound to each range."""
    await _plant(db)
    lowest, highest = await db.fetchrow("SELECT min(id), max(id) FROM petition")
    sharded = [
        (suite, check)
        for suite in load_audit_suites()
        for check in suite.checks
        if check.shard is not None
    ]
    assert {check.rule for _, check in sharded} == {"P1", "P2"}
    for suite, check in sharded:
        whole = await db.fetch(bind(check, Scope()).format(batch=suite.table))
        assert whole, check.rule
        for shards in (2, 5, highest - lowest + 1):
            rows = [
                row
                for keys in shard_ranges(lowest, highest, shards)
                for row in await db.fetch(bind(check, Scope(), keys).format(batch=suite.table))
            ]
            assert sorted(map(tuple, rows)) == sorted(map(tuple, whole)), (check.rule, shards)


def _suite_file(tmp_path: Path, check: str) -> Path:
    path = tmp_path / "petitions.yaml"
    path.write_text(
        "suite: petitions\ntable: petition\nchecks:\n"
        "  - rule: P9\n    severity: error\n    text: t\n    target: petition\n"
        f"    message: m\n{check}"
    )
    return path


@pytest.mark.parametrize(
    ("check", "error"),
    [
        (
            "    shard: petition\n    sql: SELECT id AS target_id FROM {batch}\n",
            "reads :shard_from and :shard_to",
        ),
        (
            "    sql: SELECT id AS target_id FROM {batch}"
            " WHERE id BETWEEN :shard_from AND :shard_to\n",
            "reads :shard_from and :shard_to",
        ),
        (
            "    shard: resident\n    sql: SELECT id AS target_id FROM {batch}"
            " WHERE id BETWEEN :shard_from AND :shard_to\n",
            "shard is one of petition",
        ),
    ],
)
def test_sharding_is_declared_consistently(tmp_path: Path, check: str, error: str) -> None:
    with pytest.raises(SuiteError, match=error):
        load_audit_suite(_suite_file(tmp_path, check))


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_bad_shard_setting_is_refused(monkeypatch, value: str) -> None:
    monkeypatch.setenv("GONGZHI_AUDIT_SHARDS", value)
    with pytest.raises(ValueError, match="GONGZHI_AUDIT_SHARDS"):
        audit.settings()


def test_cli_refuses_a_bad_setting(cli, monkeypatch) -> None:
    monkeypatch.setenv("GONGZHI_AUDIT_WORKERS", "0")
    result = cli("audit", "run", "--suite", "reports")
    assert result.exit_code == 2, result.stderr
    assert "GONGZHI_AUDIT_WORKERS must be at least 1" in result.stderr
