"""The demo seed's volunteers: present, consistent with the ledger's rules, replaceable."""

from __future__ import annotations

import asyncpg


async def test_demo_volunteers(cli, db: asyncpg.Connection) -> None:  # type: ignore[no-untyped-def]
    result = cli("seed", "--demo", "--scale", "0.01")
    assert result.exit_code == 0, result.stderr
    counts = await db.fetchrow(
        """SELECT (SELECT count(*) FROM volunteer) AS volunteers,
                  (SELECT count(*) FROM volunteer_team) AS teams,
                  (SELECT count(*) FROM team_member WHERE role = 'leader') AS leaders,
                  (SELECT count(*) FROM activity) AS activities,
                  (SELECT count(*) FROM service_record WHERE status = 'verified') AS verified,
                  (SELECT count(*) FROM service_record WHERE status = 'completed') AS completed,
                  (SELECT count(*) FROM points_entry WHERE kind = 'earn') AS earned,
                  (SELECT count(*) FROM points_entry WHERE kind = 'redeem') AS redeemed,
                  (SELECT count(*) FROM reward) AS rewards"""
    )
    assert counts["volunteers"] > 50
    assert counts["teams"] >= 5
    assert counts["leaders"] == counts["teams"]
    assert counts["activities"] >= 12 * counts["teams"]
    assert counts["verified"] > counts["completed"] > 0
    assert counts["earned"] == counts["verified"]
    assert counts["redeemed"] > 0
    assert counts["rewards"] > 0
    # every balance is its ledger's sum, every verified minute counted once
    assert (
        await db.fetchval(
            """SELECT count(*) FROM volunteer v WHERE v.points_balance <>
             coalesce((SELECT sum(points) FROM points_entry e WHERE e.volunteer_id = v.id), 0)
           OR v.verified_minutes <> coalesce((SELECT sum(completed_minutes) FROM service_record s
             WHERE s.volunteer_id = v.id AND s.status = 'verified'), 0)"""
        )
        == 0
    )
    # the leader's own service is never verified by themselves
    assert (
        await db.fetchval(
            """SELECT count(*) FROM service_record s JOIN volunteer v ON v.id = s.volunteer_id
            WHERE s.verified_by = v.resident_id"""
        )
        == 0
    )
    first = await db.fetch(
        "SELECT resident_id, verified_minutes FROM volunteer ORDER BY resident_id"
    )
    # replacing the demo replaces its volunteers (the same seed gives the same rows)
    again = cli("seed", "--demo", "--scale", "0.01", "--replace")
    assert again.exit_code == 0, again.stderr
    second = await db.fetch(
        "SELECT resident_id, verified_minutes FROM volunteer ORDER BY resident_id"
    )
    assert [r["verified_minutes"] for r in first] == [r["verified_minutes"] for r in second]
    assert await db.fetchval("SELECT count(*) FROM volunteer") == counts["volunteers"]
