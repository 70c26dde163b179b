"""Demo volunteers: teams, members, a year of activities, service records, points, rewards.

Drawn from the residents the demo just stored (so it scales with ``--scale``), with
``random.Random(seed)``: the same seed and scale give the same rows. Rows go in with COPY;
the database's triggers still run on every row (area paths, the window and leader checks,
the minutes and points credited on verification), so the demo obeys the same rules as
the service. Ids are drawn from each table's sequence first, so related rows can name
each other without reading anything back.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import asyncpg

from db.seed.people import AS_OF

_DEMO = "(SELECT path FROM area WHERE code = $1)"

# What teams a village has (Daping: community building, civility, mediation, help for
# those in difficulty), with a name suffix each.
_VILLAGE_TEAMS = [
    ("community_building", "社区建设志愿服务队"),
    ("civility", "新时代文明实践志愿服务队"),
    ("mediation", "矛盾纠纷调解队"),
    ("help_in_difficulty", "帮困解难志愿服务队"),
    ("elderly_care", "敬老助老志愿服务队"),
    ("environment", "环境卫生志愿服务队"),
]
_ACTIVITIES = {
    "community_building": [("cleanup", "院落环境整治"), ("event", "坝坝会服务")],
    "civility": [("publicity", "文明新风宣传"), ("event", "新时代文明实践活动")],
    "mediation": [("mediation", "邻里纠纷调解"), ("visit", "矛盾排查走访")],
    "help_in_difficulty": [("visit", "困难群众走访"), ("care", "留守儿童陪伴")],
    "elderly_care": [("care", "独居老人探访"), ("visit", "高龄老人助餐")],
    "environment": [("cleanup", "河道垃圾清理"), ("patrol", "垃圾分类督导")],
    "party_member": [("patrol", "党员平安巡逻"), ("publicity", "政策宣讲")],
}
_PLACES = ["村委会", "党群服务中心", "院坝", "文化广场", "新时代文明实践站", "小区门口"]
_REWARDS = [("洗衣液", 50), ("大米5斤", 120), ("食用油", 150), ("毛巾", 30), ("表扬信", 10)]
_TEAM_COLUMNS = ("id", "area_id", "name", "kind", "created_at")
_MEMBER_COLUMNS = ("team_id", "volunteer_id", "role", "joined_at")
_ACTIVITY_COLUMNS = ("id", "team_id", "area_id", "title", "kind", "place", "starts_at", "ends_at")
_RECORD_COLUMNS = (
    "activity_id",
    "volunteer_id",
    "status",
    "scheduled_minutes",
    "completed_minutes",
    "travel_minutes",
    "recorded_at",
    "verified_by",
    "verified_at",
)


@dataclass
class _Team:
    id: int
    area_id: int
    kind: str
    members: list[tuple[int, int]] = field(default_factory=list)  # (volunteer, resident)


async def _ids(conn: asyncpg.Connection, table: str, n: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2)",
        table,
        n,
    )
    return [r["id"] for r in rows]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


async def store(conn: asyncpg.Connection, county: str, seed: int) -> None:
    """Volunteers of the demo county stored under ``county`` (an area code)."""
    rng = random.Random(seed ^ 0x5E1F)
    villages = await conn.fetch(
        f"SELECT id, name, path::text AS path FROM area WHERE level = 'village'"
        f" AND path <@ {_DEMO} ORDER BY id",
        county,
    )
    towns = await conn.fetch(
        f"SELECT id, name, path::text AS path FROM area WHERE level = 'town'"
        f" AND path <@ {_DEMO} ORDER BY id",
        county,
    )
    adults = await conn.fetch(
        f"""SELECT r.id, subpath(r.area_path, 0, 5)::text AS village, r.is_party_member
              FROM resident r
             WHERE r.area_path <@ {_DEMO} AND r.lives_here
               AND r.birth_date BETWEEN $2::date - interval '70 years'
                                    AND $2::date - interval '18 years'
             ORDER BY r.id""",
        county,
        AS_OF,
    )
    # about 6% of adults volunteer, a quarter of party members
    chosen = [a for a in adults if rng.random() < (0.25 if a["is_party_member"] else 0.06)]
    volunteer_ids = await _ids(conn, "volunteer", len(chosen))
    registered = [_at(AS_OF - dt.timedelta(days=rng.randint(400, 1500)), 9) for _ in chosen]
    await conn.copy_records_to_table(
        "volunteer",
        records=list(zip(volunteer_ids, [a["id"] for a in chosen], registered, strict=True)),
        columns=("id", "resident_id", "registered_at"),
    )
    by_village: dict[str, list[tuple[int, int, bool]]] = {}
    by_town: dict[str, list[tuple[int, int, bool]]] = {}
    for vid, a in zip(volunteer_ids, chosen, strict=True):
        entry = (vid, a["id"], a["is_party_member"])
        by_village.setdefault(a["village"], []).append(entry)
        by_town.setdefault(a["village"].rsplit(".", 1)[0], []).append(entry)

    teams: list[_Team] = []
    team_rows = []
    plans = []
    for village in villages:
        pool = by_village.get(village["path"], [])
        n_teams = min(len(pool) // 3, rng.randint(2, 5))
        plans += [
            (village, kind, suffix, pool) for kind, suffix in rng.sample(_VILLAGE_TEAMS, n_teams)
        ]
    for town in towns:
        party = [v for v in by_town.get(town["path"], []) if v[2]]
        if len(party) >= 3:
            plans.append((town, "party_member", "党员志愿服务队", party))
    team_ids = await _ids(conn, "volunteer_team", len(plans))
    members = []
    for tid, (area, kind, suffix, pool) in zip(team_ids, plans, strict=True):
        team = _Team(tid, area["id"], kind)
        team_rows.append(
            (
                tid,
                area["id"],
                f"{area['name']}{suffix}",
                kind,
                _at(AS_OF, 8) - dt.timedelta(days=500),
            )
        )
        size = min(len(pool), rng.randint(5, 30))
        for i, (vid, rid, _) in enumerate(rng.sample(pool, size)):
            team.members.append((vid, rid))
            joined = _at(AS_OF - dt.timedelta(days=rng.randint(370, 480)), 10)
            members.append((tid, vid, "leader" if i == 0 else "member", joined))
        teams.append(team)
    await conn.copy_records_to_table("volunteer_team", records=team_rows, columns=_TEAM_COLUMNS)
    await conn.copy_records_to_table("team_member", records=members, columns=_MEMBER_COLUMNS)

    # one or two activities a month per team over the year before AS_OF
    activities = []
    attendance = []
    for team in teams:
        leader = team.members[0][1]
        for month in range(12):
            for _ in range(rng.choice((1, 1, 2))):
                day = AS_OF - dt.timedelta(days=365 - month * 30 - rng.randint(0, 27))
                starts = _at(day, rng.choice((8, 9, 14, 15, 19)))
                window = rng.choice((60, 90, 120, 180, 240))
                kind, title = rng.choice(_ACTIVITIES[team.kind])
                activities.append(
                    [
                        team.id,
                        team.area_id,
                        title,
                        kind,
                        rng.choice(_PLACES),
                        starts,
                        starts + dt.timedelta(minutes=window),
                    ]
                )
                served = rng.sample(team.members, min(len(team.members), rng.randint(3, 8)))
                attendance.append((leader, window, starts, served))
    activity_ids = await _ids(conn, "activity", len(activities))
    await conn.copy_records_to_table(
        "activity",
        records=[(aid, *row) for aid, row in zip(activity_ids, activities, strict=True)],
        columns=_ACTIVITY_COLUMNS,
    )
    records = []
    for aid, (leader, window, starts, served) in zip(activity_ids, attendance, strict=True):
        ends = starts + dt.timedelta(minutes=window)
        for vid, rid in served:
            minutes = window - rng.choice((0, 0, 0, 10, 15, 30)) if window > 30 else window
            # "whoever organises records, whoever records certifies": the leader verifies
            # the others' service; the leader's own stays unverified, as do a few others
            verified = rid != leader and rng.random() < 0.9
            records.append(
                (
                    aid,
                    vid,
                    "verified" if verified else "completed",
                    window,
                    minutes,
                    rng.choice((0, 10, 20)),
                    ends,
                    leader if verified else None,
                    ends + dt.timedelta(days=rng.randint(0, 6)) if verified else None,
                )
            )
    await conn.copy_records_to_table("service_record", records=records, columns=_RECORD_COLUMNS)

    # a catalogue per village, and redemptions by about a fifth of those with points
    rewards = [
        (v["id"], name, cost, 500)
        for v in villages
        for name, cost in _REWARDS
        if rng.random() < 0.8
    ]
    await conn.copy_records_to_table(
        "reward", records=rewards, columns=("area_id", "name", "points_cost", "stock")
    )
    await conn.execute(
        f"""
        WITH pick AS (
            SELECT v.id AS volunteer_id, r.id AS reward_id, r.points_cost
              FROM volunteer v
              JOIN LATERAL (SELECT r.* FROM reward r
                             WHERE r.area_path @> subpath(v.area_path, 0, 5)
                               AND r.points_cost <= v.points_balance
                             ORDER BY r.points_cost DESC, r.id LIMIT 1) r ON true
             WHERE v.area_path <@ {_DEMO} AND v.id % 5 = $2
        ), taken AS (
            UPDATE reward r SET stock = r.stock - n.n
              FROM (SELECT reward_id, count(*)::int AS n FROM pick GROUP BY reward_id) n
             WHERE r.id = n.reward_id
        )
        INSERT INTO points_entry (volunteer_id, kind, points, reward_id, quantity, created_by,
                                  created_at)
        SELECT volunteer_id, 'redeem', -points_cost, reward_id, 1, 'seed', $3::timestamptz
          FROM pick ORDER BY volunteer_id
        """,
        county,
        seed % 5,
        _at(AS_OF, 10) - dt.timedelta(days=10),
    )


async def delete(conn: asyncpg.Connection, county: str) -> None:
    """Remove the demo's volunteer rows, before its residents go. The ledger is append-only
    and verified records are final for every writer; the owner replacing demo data lifts
    those two triggers inside this transaction only."""
    await conn.execute(
        "ALTER TABLE points_entry DISABLE TRIGGER points_entry_append_only;"
        " ALTER TABLE service_record DISABLE TRIGGER service_record_before_write"
    )
    for statement in (
        "DELETE FROM points_entry WHERE area_path <@ {d} OR service_record_id IN"
        " (SELECT id FROM service_record WHERE area_path <@ {d})",
        "DELETE FROM service_record WHERE area_path <@ {d}"
        " OR volunteer_id IN (SELECT id FROM volunteer WHERE area_path <@ {d})",
        "DELETE FROM activity WHERE area_path <@ {d}",
        "DELETE FROM team_member WHERE area_path <@ {d}"
        " OR volunteer_id IN (SELECT id FROM volunteer WHERE area_path <@ {d})",
        "DELETE FROM reward WHERE area_path <@ {d}",
        "DELETE FROM points_rate WHERE area_path <@ {d}",
        "DELETE FROM volunteer_team WHERE area_path <@ {d}",
        "DELETE FROM volunteer WHERE area_path <@ {d}",
    ):
        await conn.execute(statement.format(d=_DEMO), county)
    await conn.execute(
        "ALTER TABLE points_entry ENABLE TRIGGER points_entry_append_only;"
        " ALTER TABLE service_record ENABLE TRIGGER service_record_before_write"
    )
