"""Demo grid, needs lists and micro-projects over the stored demo county.

Built from what ``demo`` stored, in set-based statements (INSERT ... SELECT), so it scales
with ``--scale`` at the cost of a few statements. Choices are deterministic: a household,
resident or area is picked by a hash of its id salted from ``random.Random(seed)``. Visit
dates are relative to the day of seeding (visiting every household monthly is about *this*
month), everything else is fixed.

Gaps are planted on purpose, so dashboards have something to show: about 2% of
households have no building head, about 12% were not visited this month, and one
compound in 20 has a recorded branch type that disagrees with its party members.
"""

from __future__ import annotations

import random

import asyncpg

NEEDS = (
    ("elderly_care", "独居老人每周上门陪护"),
    ("child_care", "放学后托管孩子"),
    ("health", "行动不便，需要上门体检"),
    ("employment", "寻找附近的工作"),
    ("housing", "屋顶漏水需要维修"),
    ("legal", "咨询赡养纠纷"),
    ("education", "孩子功课辅导"),
    ("daily_life", "代买生活用品"),
)
RESOURCES = (
    ("elderly_companionship", "陪老人聊天、散步"),
    ("child_minding", "周末照看孩子"),
    ("idle_goods", "闲置轮椅、助行器"),
    ("skills", "水电维修"),
    ("skills", "理发"),
)
ORGANISATIONS = ("社区社工站", "志愿服务队", "大邑县人民医院", "蜀望物业公司", "邻里互助会")
WORKPLACES = ("大邑县税务局", "大邑县人民医院", "晋原街道办事处", "大邑县教育局", "县供电公司")
MICRO = ("楼道美化", "院坝花园", "邻里书屋", "老年食堂", "儿童游乐角", "垃圾分类宣传")


def _pick(salt: int, column: str, modulus: int) -> str:
    """A deterministic pseudo-random number in [0, modulus) from a row's id."""
    return f"((hashint8({column} # {salt}::bigint) & 2147483647) % {modulus})"


async def seed_grid(conn: asyncpg.Connection, county_code: str, seed: int) -> None:
    rng = random.Random(seed ^ 0x6121D)
    salt = rng.randrange(1, 2**31)
    under = "(SELECT path FROM area WHERE code = $1)"

    async def run(sql: str, *args: object) -> None:
        await conn.execute(sql, county_code, *args)

    # committees, party groups (one per compound), building heads (per building, or the
    # compound itself where it has none)
    await run(f"""
        INSERT INTO grid_node (level, area_id, name, leader_id)
        SELECT 'committee', v.id, v.name || '党总支',
               (SELECT r.id FROM resident r WHERE r.area_path <@ v.path AND r.is_party_member
                 ORDER BY r.id + 0 LIMIT 1)  -- + 0: by the area index, not the key
          FROM area v WHERE v.level = 'village' AND v.path <@ {under}""")
    await run(f"""
        INSERT INTO grid_node (level, parent_id, area_id, name, leader_id)
        SELECT 'party_group', n.id, c.id, c.name || '党小组',
               (SELECT r.id FROM resident r WHERE r.area_path <@ c.path AND r.is_party_member
                 ORDER BY r.id + 0 LIMIT 1)  -- + 0: by the area index, not the key
          FROM area c JOIN grid_node n ON n.area_id = c.parent_id AND n.level = 'committee'
         WHERE c.level = 'compound' AND c.path <@ {under}""")
    await run(f"""
        INSERT INTO grid_node (level, parent_id, area_id, name, leader_id)
        SELECT 'building_head', g.id, a.id,
               CASE WHEN a.level = 'building' THEN p.name || a.name ELSE a.name END || '楼栋长',
               (SELECT r.id FROM resident r WHERE r.area_path <@ a.path
                 ORDER BY ('building_head' = ANY(r.roles) OR 'courtyard_head' = ANY(r.roles)) DESC,
                          r.id LIMIT 1)
          FROM area a JOIN area p ON p.id = a.parent_id
          JOIN grid_node g ON g.level = 'party_group'
               AND g.area_id = CASE WHEN a.level = 'building' THEN p.id ELSE a.id END
         WHERE a.path <@ {under}
           AND (a.level = 'building' OR (a.level = 'compound'
                AND NOT EXISTS (SELECT 1 FROM area b WHERE b.parent_id = a.id)))""")
    # households to their building head, 2% left without (planted gaps)
    await run(f"""
        INSERT INTO grid_household (household_id, node_id)
        SELECT h.id, n.id FROM household h
          JOIN grid_node n ON n.level = 'building_head' AND n.area_id = h.area_id
         WHERE h.area_path <@ {under} AND {_pick(salt, "h.id", 100)} >= 2""")
    # visits: last month for most, this month for 88% (by a grid worker of the community)
    for month, share in ("last", 80), ("this", 88):
        day = (
            "date_trunc('month', current_date)::date - 1 - {pick}"
            if month == "last"
            else "date_trunc('month', current_date)::date "
            "+ least({pick}, current_date - date_trunc('month', current_date)::date)"
        ).format(pick=_pick(salt + 7, "h.id", 25))
        # one worker per community, found once (not per household)
        await run(f"""
            WITH w AS (
                SELECT DISTINCT ON (community_of(r.area_path)) community_of(r.area_path) AS c,
                       r.id
                  FROM resident r
                 WHERE r.area_path <@ {under} AND 'grid_worker' = ANY(r.roles)
                 ORDER BY community_of(r.area_path), r.id)
            INSERT INTO grid_visit (household_id, worker_id, visited_on, notes)
            SELECT h.id, w.id, {day}, '入户走访，了解近况'
              FROM household h JOIN w ON w.c = community_of(h.area_path)
             WHERE h.area_path <@ {under} AND {_pick(salt + len(month), "h.id", 100)} < {share}""")
    # recorded branch types, one compound in 20 disagreeing with its party members
    await run(f"""
        INSERT INTO party_branch (area_id, branch_type, name)
        SELECT b.id, CASE WHEN {_pick(salt, "b.id", 20)} = 0
                          THEN CASE b.derived_type WHEN 'formal' THEN 'functional'
                                    ELSE 'formal' END::branch_type
                          ELSE b.derived_type END,
               a.name || '党支部'
          FROM compound_branch b JOIN area a ON a.id = b.id WHERE b.area_path <@ {under}""")
    # in-service party members reporting to their community (双报到), a quarter of members
    await run(
        f"""
        INSERT INTO party_member_report (resident_id, area_id, workplace_org, reported_on)
        SELECT r.id, v.id, ($2::text[])[1 + {_pick(salt, "r.id", len(WORKPLACES))}],
               DATE '2025-01-01' + {_pick(salt + 1, "r.id", 365)}::int
          FROM resident r JOIN area v ON v.level = 'village' AND v.path = community_of(r.area_path)
         WHERE r.area_path <@ {under} AND r.is_party_member AND {_pick(salt, "r.id", 4)} = 0""",
        list(WORKPLACES),
    )
    # needs of one household in 20; resources offered by residents and organisations
    await run(
        f"""
        INSERT INTO need (household_id, area_id, category, title, created_at)
        SELECT h.id, h.area_id, ($2::text[])[1 + k]::need_category, ($3::text[])[1 + k],
               TIMESTAMPTZ '2025-06-01' + make_interval(days => {_pick(salt, "h.id", 200)}::int)
          FROM household h CROSS JOIN LATERAL (SELECT {_pick(salt + 3, "h.id", len(NEEDS))} AS k) x
         WHERE h.area_path <@ {under} AND {_pick(salt + 2, "h.id", 20)} = 0""",
        [c for c, _ in NEEDS],
        [t for _, t in NEEDS],
    )
    await run(
        f"""
        INSERT INTO resource (provider_kind, provider_resident_id, provider_name, area_id,
                              category, title)
        SELECT 'resident'::provider_kind, r.id, r.name, h.area_id,
               ($2::text[])[1 + k]::resource_category, ($3::text[])[1 + k]
          FROM resident r JOIN household h ON h.id = r.household_id
         CROSS JOIN LATERAL (SELECT {_pick(salt + 4, "r.id", len(RESOURCES))} AS k) x
         WHERE r.area_path <@ {under} AND r.birth_date < DATE '2006-01-01'
           AND {_pick(salt + 5, "r.id", 150)} = 0
        UNION ALL
        SELECT 'organisation', NULL, ($4::text[])[1 + {_pick(salt, "v.id", len(ORGANISATIONS))}],
               v.id, 'skills'::resource_category, '便民服务'
          FROM area v WHERE v.level = 'village' AND v.path <@ {under}""",
        [c for c, _ in RESOURCES],
        [t for _, t in RESOURCES],
        list(ORGANISATIONS),
    )
    # a third of needs matched with a resource of their community, moved along its states
    await run(f"""
        INSERT INTO need_match (need_id, resource_id, note)
        SELECT n.id, s.id, '网格员撮合'
          FROM need n
          JOIN LATERAL (SELECT r.id FROM resource r
                         WHERE r.area_path <@ community_of(n.area_path)
                         ORDER BY hashint8(r.id # n.id) LIMIT 1) s ON true
         WHERE n.area_path <@ {under} AND {_pick(salt, "n.id", 3)} = 0""")
    for status, share in ("accepted", 70), ("in_progress", 50), ("completed", 30):
        await run(f"""
            UPDATE need_match m SET status = '{status}'
             WHERE m.area_path <@ {under} AND {_pick(salt + 6, "m.id", 100)} < {share}""")
    # one project per community bundling up to five of its open needs
    await run(f"""
        WITH p AS (
            INSERT INTO project (area_id, name, budget_fen, status)
            SELECT v.id, v.name || '民生微实事', 100000 * (1 + {_pick(salt, "v.id", 20)}), 'active'
              FROM area v WHERE v.level = 'village' AND v.path <@ {under}
            RETURNING id, area_path)
        INSERT INTO project_need (project_id, need_id)
        SELECT p.id, n.id FROM p
          CROSS JOIN LATERAL (SELECT n.id FROM need n WHERE n.area_path <@ p.area_path
                                AND n.status = 'open' ORDER BY n.id LIMIT 5) n""")
    # micro-projects: about one per community, sponsored by a resident, with participants
    await run(
        f"""
        INSERT INTO micro_project (title, sponsor_id, area_id, budget_fen, proposed_on)
        SELECT ($2::text[])[1 + {_pick(salt, "c.id", len(MICRO))}], s.id, c.id,
               50000 + 10000 * {_pick(salt + 1, "c.id", 10)},
               DATE '2025-03-01' + {_pick(salt + 2, "c.id", 300)}::int
          FROM area c
          JOIN LATERAL (SELECT r.id FROM resident r WHERE r.area_path <@ c.path
                         ORDER BY r.id + 0 LIMIT 1) s ON true
         WHERE c.level = 'compound' AND c.path <@ {under} AND {_pick(salt, "c.id", 4)} = 0""",
        list(MICRO),
    )
    await run(f"""
        INSERT INTO micro_project_participant (micro_project_id, resident_id, joined_on)
        SELECT m.id, r.id, m.proposed_on + {_pick(salt, "r.id", 30)}::int
          FROM micro_project m
          JOIN resident r ON r.area_path <@ community_of(m.area_path)
               AND {_pick(salt + 3, "r.id # m.id", 40)} = 0
         WHERE m.area_path <@ {under}""")
    await run(f"""
        UPDATE micro_project SET status = 'completed', outcome = '按期完成，居民满意',
               completed_on = proposed_on + 45
         WHERE area_path <@ {under} AND {_pick(salt, "id", 3)} = 0""")


# Children before parents (foreign keys), all before residents and households.
_TABLES = (
    "micro_project_participant",
    "micro_project",
    "project_need",
    "project",
    "need_match",
    "need",
    "resource",
    "party_member_report",
    "party_branch",
    "grid_visit",
    "grid_household",
)


async def delete_grid(conn: asyncpg.Connection, county_code: str) -> None:
    under = "(SELECT path FROM area WHERE code = $1)"
    for table in _TABLES:
        await conn.execute(f"DELETE FROM {table} WHERE area_path <@ {under}", county_code)
    for level in ("building_head", "party_group", "committee"):
        await conn.execute(
            f"DELETE FROM grid_node WHERE area_path <@ {under} AND level = $2::grid_level",
            county_code,
            level,
        )
