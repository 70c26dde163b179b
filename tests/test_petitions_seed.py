"""The demo seed's petitions: realistic volume and histories that obey the same rules as
the API (final status = last event, versions, due dates, monthly figures consistent)."""

from __future__ import annotations

import asyncpg
import pytest

SCALE = "0.01"


# each test gets a copy of one `seed --demo --scale SCALE` run; `seeded` is its output
pytestmark = pytest.mark.demo(SCALE)


async def test_volume_and_spread(seeded, db: asyncpg.Connection) -> None:
    households = await db.fetchval("SELECT count(*) FROM household")
    row = await db.fetchrow(
        """SELECT count(*) AS n, min(received_at) AS first, max(received_at) AS last,
                  count(DISTINCT category_id) AS categories, count(DISTINCT channel) AS channels,
                  count(*) FILTER (WHERE submitter_id IS NULL) AS anonymous,
                  count(*) FILTER (WHERE petition_is_open(status)) AS open,
                  count(*) FILTER (WHERE status IN ('closed', 'feedback')) AS rated
             FROM petition"""
    )
    assert row["n"] == round(households * 0.3)
    assert (row["last"] - row["first"]).days > 500
    assert row["categories"] >= 15 and row["channels"] == 7
    assert 0 < row["anonymous"] < row["n"] * 0.15
    assert 0 < row["open"] < row["n"] * 0.2  # recent ones are still being handled
    assert row["rated"] > row["n"] * 0.5


async def test_histories_agree_with_petitions(seeded, db: asyncpg.Connection) -> None:
    # the last status event of every petition is its status; its version counts its changes
    wrong = await db.fetchval(
        """SELECT count(*) FROM petition p
            WHERE p.status <> (SELECT e.to_status FROM petition_event e WHERE e.petition_id = p.id
                                ORDER BY e.at DESC, e.id DESC LIMIT 1)
               OR p.version <> (SELECT count(*) FROM petition_event e
                                 WHERE e.petition_id = p.id AND e.kind <> 'comment')"""
    )
    assert wrong == 0
    # every event's from-status is the previous event's to-status, and transitions are legal
    illegal = await db.fetchval(
        """SELECT count(*) FROM (
             SELECT e.kind, e.from_status, e.to_status,
                    lag(e.to_status) OVER (PARTITION BY e.petition_id ORDER BY e.at, e.id) AS prev
               FROM petition_event e) x
            WHERE x.kind NOT IN ('submitted', 'comment')
              AND (x.from_status IS DISTINCT FROM x.prev
                   OR NOT EXISTS (SELECT 1 FROM petition_transition t
                                   WHERE t.from_status = x.from_status
                                     AND t.to_status = x.to_status))"""
    )
    assert illegal == 0
    # due dates are the database's own calendar's
    due = await db.fetchval(
        """SELECT count(*) FROM petition p JOIN petition_category c ON c.id = p.category_id
            WHERE p.due_date <> add_working_days(petition_local_date(p.received_at), c.sla_days)"""
    )
    assert due == 0
    assert await db.fetchval("SELECT count(*) FROM petition_case") >= 0
    paths = await db.fetchval(
        """SELECT count(*) FROM petition_event e JOIN petition p ON p.id = e.petition_id
            WHERE e.area_path <> p.area_path"""
    )
    assert paths == 0


async def test_monthly_figures_hold_together(seeded, client) -> None:  # type: ignore[no-untyped-def]
    from tests.petitions_support import ask

    data = await ask(
        client,
        """{ area(code: "510129") { petitionMonths(from: "2025-07", to: "2026-10") {
             month received resolved openStart openEnd completionRate satisfactionRate } } }""",
    )
    months = data["area"]["petitionMonths"]
    assert len(months) == 16
    for m in months:
        assert m["openStart"] + m["received"] - m["resolved"] == m["openEnd"], m
    assert sum(m["received"] for m in months) > 0


def test_replace_deletes_petitions_first(seeded, cli) -> None:  # type: ignore[no-untyped-def]
    again = cli("seed", "--demo", "--scale", SCALE, "--seed", "7", "--replace")
    assert again.exit_code == 0, again.stderr


def _doc_queries() -> list[str]:
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parent.parent / "docs" / "petitions.md"
    blocks = re.findall(r"```graphql\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    return [b for b in blocks if b.lstrip().startswith("{")]


@pytest.mark.parametrize("query", _doc_queries())
async def test_doc_examples_run_compiled(seeded, client, query: str) -> None:  # type: ignore[no-untyped-def]
    from tests.petitions_support import ask

    data = await ask(client, query)
    assert data and all(v is not None for v in data.values())
