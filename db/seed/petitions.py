"""Demo petitions: about 0.3 per household over the 18 months before ``UNTIL``, with
their histories, drawn from the stored demo households.

Each petition's life is drawn forward from its receipt (triage, assignment, handling,
resolution within or past the category's SLA, feedback, reopening when dissatisfied,
closing) and cut at ``UNTIL``, so recent petitions are still open. Rows go in with COPY
as an operator's import does (migration 0005): the petition in its final state and its
history as events. The database still checks every row (areas, submitters, the state's
required fields); due dates are computed here from the same holiday table the
database's ``add_working_days`` reads, and the tests compare the two.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg

BEIJING = dt.timezone(dt.timedelta(hours=8))
UNTIL = dt.datetime(2026, 11, 20, 18, 0, tzinfo=BEIJING)
SPAN_DAYS = 548  # 18 months
PER_HOUSEHOLD = 0.3

CHANNELS = {
    "walk_in": 24,
    "phone": 14,
    "wechat": 26,
    "service_day": 10,
    "grid_visit": 16,
    "open_air_meeting": 5,
    "online": 5,
}
# category -> (weight, descriptions)
CATEGORIES: dict[str, tuple[int, tuple[str, ...]]] = {
    "environment": (
        14,
        ("小区垃圾清运不及时，夏天气味很大", "楼道堆放杂物无人清理", "沟渠淤塞，下雨积水"),
    ),
    "property_management": (
        10,
        ("物业收费不公开，要求公示账目", "电梯经常停运，物业维修拖延", "小区门禁损坏多日"),
    ),
    "water_power_gas": (
        9,
        ("停水两天，没有提前通知", "水压太低，高层用水困难", "电压不稳，电器经常跳闸"),
    ),
    "neighbour_dispute": (
        8,
        ("邻居占用公共通道堆放柴草", "楼上漏水到我家，协商未果", "宅基地界址有争议"),
    ),
    "noise": (7, ("广场舞音响声音太大影响休息", "夜间施工噪音扰民", "商铺外放音乐声音过大")),
    "elderly_care": (6, ("独居老人需要定期上门探访", "希望开设老年食堂", "申请居家养老服务")),
    "roads": (6, ("村道破损坑洼，出行不便", "路灯不亮，夜间出行不安全", "桥梁护栏损坏")),
    "building_leak": (5, ("屋顶渗漏，雨天室内漏水", "外墙渗水，墙体发霉", "楼顶防水层老化漏雨")),
    "public_security": (
        4,
        ("小区监控损坏，担心治安", "有人在院坝聚众赌博", "电动车充电存在火灾隐患"),
    ),
    "social_assistance": (5, ("申请低保，家庭困难", "特困供养待遇咨询", "临时救助申请")),
    "greening": (4, ("绿化带树木遮挡采光", "公共绿地被占用种菜", "树枝折断有安全隐患")),
    "home_repair": (4, ("自家房屋墙体开裂，想找人维修", "老房子门窗损坏", "自家化粪池堵塞")),
    "pets": (3, ("邻居家狗夜间吠叫", "流浪猫狗较多", "宠物粪便无人清理")),
    "employment": (3, ("希望提供技能培训", "返乡就业信息咨询", "灵活就业社保补贴申请")),
    "healthcare": (3, ("家庭医生签约服务咨询", "慢性病药品报销问题", "希望社区卫生站延长开放时间")),
    "education": (2, ("孩子入学报名咨询", "留守儿童课后托管需求", "校车接送安全问题")),
    "family_matters": (3, ("家庭赡养纠纷需要调解", "子女教育问题求助", "婚姻家庭矛盾调解")),
    "illegal_construction": (3, ("邻居违章搭建遮挡道路", "楼顶私自加建", "占用河道建房")),
    "pollution": (3, ("附近工厂排放异味", "河水发黑有异味", "焚烧秸秆烟雾大")),
    "other": (3, ("对社区工作提建议", "咨询政策办理流程", "其他事项求助")),
}
REASONS = {
    "major": "涉及政府部门职责，按大事转职能部门办理",
    "minor": "属社区公共事务，由居委会组织自治解决",
    "private": "属居民个人事务，引导自行或互助解决并跟踪",
}
RESOLUTIONS = (
    "已现场处理完毕",
    "已协调相关单位整改到位",
    "已组织双方调解，达成一致",
    "已维修恢复正常",
    "已按政策办理",
    "已答复并落实",
)
DEPARTMENTS = ("civil_affairs", "housing", "urban_management", "water", "power_supply")
STAFF = (("grid_worker", "网格员"), ("community_worker", "社区干部"), ("officer", "镇干部"))

PETITION_COLUMNS = (
    "id",
    "area_id",
    "category_id",
    "channel",
    "status",
    "triage",
    "triage_reason",
    "triaged_by",
    "triaged_at",
    "submitter_id",
    "household_id",
    "description",
    "is_public",
    "assignee_kind",
    "assignee_department",
    "assignee_name",
    "assigned_at",
    "due_date",
    "duplicate_of",
    "case_id",
    "referred_to",
    "reject_reason",
    "satisfaction",
    "received_at",
    "resolved_at",
    "ended_at",
    "feedback_at",
    "closed_at",
    "reopened",
    "version",
    "submitted_by",
    "created_at",
    "updated_at",
)
EVENT_COLUMNS = (
    "petition_id",
    "area_path",
    "at",
    "kind",
    "from_status",
    "to_status",
    "note",
    "visibility",
    "actor",
    "actor_role",
)
COSIGNER_COLUMNS = ("petition_id", "resident_id", "added_at")


@dataclass
class Draft:
    """One petition's life as drawn: its row and its events."""

    row: dict[str, Any]
    events: list[tuple[Any, ...]] = field(default_factory=list)
    status: str = "received"

    def event(
        self,
        at: dt.datetime,
        kind: str,
        to: str,
        note: str | None,
        actor: tuple[str, str],
        visibility: str = "public",
    ) -> None:
        self.events.append((at, kind, self.status, to, note, visibility, actor[1], actor[0]))
        self.status = to

    def comment(self, at: dt.datetime, note: str, actor: tuple[str, str]) -> None:
        self.events.append(
            (at, "comment", self.status, self.status, note, "internal", *actor[::-1])
        )


class Calendar:
    def __init__(self, holidays: dict[dt.date, str]) -> None:
        self.holidays = holidays

    def working(self, day: dt.date) -> bool:
        kind = self.holidays.get(day)
        if kind is not None:
            return kind == "workday"
        return day.isoweekday() < 6

    def add(self, start: dt.date, days: int) -> dt.date:
        day, left = start, max(days, 1)
        while left:
            day += dt.timedelta(days=1)
            if self.working(day):
                left -= 1
        return day


async def seed_petitions(conn: asyncpg.Connection, county_code: str, seed: int) -> int:
    """Draw and store the demo county's petitions; returns how many."""
    rng = random.Random(seed ^ 0x9E7171)
    households = await conn.fetch(
        """
        SELECT h.id, h.area_id, h.area_path::text AS path,
               subpath(h.area_path, 0, 5)::text AS village,
               (SELECT r.id FROM resident r WHERE r.household_id = h.id AND r.relation = 'self'
                 LIMIT 1) AS head
          FROM household h
         WHERE h.area_path <@ (SELECT path FROM area WHERE code = $1)
         ORDER BY h.id
        """,
        county_code,
    )
    if not households:
        return 0
    categories = {
        r["code"]: r
        for r in await conn.fetch(
            "SELECT id, code, default_triage::text AS triage, sla_days, default_department "
            "FROM petition_category"
        )
    }
    calendar = Calendar(
        {r["day"]: r["kind"] for r in await conn.fetch("SELECT day, kind FROM holiday")}
    )
    villages = {
        r["path"]: r
        for r in await conn.fetch(
            "SELECT path::text AS path, id, name FROM area WHERE level = 'village' "
            "AND path <@ (SELECT path FROM area WHERE code = $1)",
            county_code,
        )
    }
    heads_by_village: dict[str, list[int]] = defaultdict(list)
    for h in households:
        heads_by_village[h["village"]].append(h["head"])

    count = round(len(households) * PER_HOUSEHOLD)
    ids = [
        r["id"]
        for r in await conn.fetch(
            "SELECT nextval(pg_get_serial_sequence('petition', 'id')) AS id "
            "FROM generate_series(1, $1)",
            count,
        )
    ]
    # receipts in time order, so a duplicate's original is always an earlier petition
    start = UNTIL - dt.timedelta(days=SPAN_DAYS)
    receipts = sorted(_receipt(rng, start) for _ in range(count))
    names = list(CATEGORIES)
    weights = [CATEGORIES[c][0] for c in names]
    channels, channel_weights = list(CHANNELS), list(CHANNELS.values())
    drafts: list[Draft] = []
    originals: dict[str, list[int]] = defaultdict(list)
    leaks: dict[str, list[Draft]] = defaultdict(list)
    for pid, received in zip(ids, receipts, strict=True):
        h = rng.choice(households)
        code = rng.choices(names, weights)[0]
        draft = _draw(
            rng,
            calendar,
            pid,
            h,
            categories[code],
            rng.choices(channels, channel_weights)[0],
            rng.choice(CATEGORIES[code][1]),
            received,
            villages[h["village"]]["name"],
            originals[h["village"]],
        )
        drafts.append(draft)
        if draft.status != "duplicate":
            originals[h["village"]].append(pid)
        if code == "building_leak" and draft.status != "duplicate":
            leaks[h["village"]].append(draft)
        signers = heads_by_village[h["village"]]
        if draft.row["submitter_id"] and rng.random() < 0.12 and len(signers) > 1:
            draft.row["cosigners"] = [
                s
                for s in rng.sample(signers, min(len(signers), rng.randint(1, 5)))
                if s != draft.row["submitter_id"]
            ]

    await _cases(conn, leaks, villages)
    petition_rows, event_rows, cosigner_rows = [], [], []
    for d in drafts:
        row = d.row
        petition_rows.append(tuple(row.get(c) for c in PETITION_COLUMNS))
        event_rows.extend((row["id"], row["path"], *e) for e in d.events)
        for s in row.get("cosigners", ()):
            cosigner_rows.append((row["id"], s, row["received_at"]))
    # ltree's binary form is a version byte and the text: events carry their petition's path
    await conn.set_type_codec(
        "ltree",
        schema="public",
        format="binary",
        encoder=lambda path: b"\x01" + path.encode(),
        decoder=lambda data: data[1:].decode(),
    )
    await conn.copy_records_to_table("petition", records=petition_rows, columns=PETITION_COLUMNS)
    await conn.copy_records_to_table("petition_event", records=event_rows, columns=EVENT_COLUMNS)
    await conn.copy_records_to_table(
        "petition_cosigner", records=cosigner_rows, columns=COSIGNER_COLUMNS
    )
    await conn.reset_type_codec("ltree", schema="public")
    return len(petition_rows)


def _receipt(rng: random.Random, start: dt.datetime) -> dt.datetime:
    day = start + dt.timedelta(days=rng.random() * SPAN_DAYS)
    if day.isoweekday() > 5 and rng.random() < 0.7:  # fewer on weekends
        day -= dt.timedelta(days=2)
    local = day.astimezone(BEIJING).replace(
        hour=rng.randint(8, 18),
        minute=rng.randint(0, 59),
        second=rng.randint(0, 59),
        microsecond=0,
    )
    return min(local, UNTIL - dt.timedelta(hours=1))


def _after(rng: random.Random, t: dt.datetime, low_hours: float, high_hours: float) -> dt.datetime:
    return t + dt.timedelta(hours=rng.uniform(low_hours, high_hours))


def _draw(
    rng: random.Random,
    calendar: Calendar,
    pid: int,
    household: asyncpg.Record,
    category: asyncpg.Record,
    channel: str,
    description: str,
    received: dt.datetime,
    village_name: str,
    earlier: list[int],
) -> Draft:
    anonymous = rng.random() < 0.05
    due = calendar.add(received.date(), category["sla_days"])
    row: dict[str, Any] = {
        "id": pid,
        "area_id": household["area_id"],
        "path": household["path"],  # the petition's area_path (its area is the household's)
        "category_id": category["id"],
        "channel": channel,
        "submitter_id": None if anonymous else household["head"],
        "household_id": None if anonymous else household["id"],
        "description": description,
        "is_public": rng.random() < (0.5 if anonymous else 0.2),
        "due_date": due,
        "received_at": received,
        "created_at": received,
        "reopened": 0,
        "submitted_by": "demo-seed",
    }
    d = Draft(row)
    clerk = rng.choice(STAFF)
    d.events.append((received, "submitted", None, "received", None, "public", clerk[1], clerk[0]))

    def at_most(t: dt.datetime) -> bool:
        return t <= UNTIL

    # early endings: rejected, duplicate, referred
    fate = rng.random()
    t = _after(rng, received, 1, 40)
    if fate < 0.03 and at_most(t):
        row["reject_reason"] = "不属于受理范围，已向居民解释"
        d.event(t, "rejected", "rejected", row["reject_reason"], clerk)
        row["ended_at"] = t
        return _finish(d)
    if fate < 0.06 and earlier and at_most(t):
        row["duplicate_of"] = rng.choice(earlier[-20:])
        d.event(t, "duplicate", "duplicate", "与已受理诉求重复，合并办理", clerk)
        row["ended_at"] = t
        return _finish(d)
    if fate < 0.08 and at_most(t):
        row["referred_to"] = rng.choice(("县信访局", "12345热线", "县法院诉讼服务中心"))
        d.event(t, "referred", "referred", f"转{row['referred_to']}", clerk)
        row["ended_at"] = t
        return _finish(d)
    if not at_most(t):
        return _finish(d)
    triage = category["triage"] if rng.random() < 0.9 else rng.choice(("major", "minor", "private"))
    row.update(triage=triage, triage_reason=REASONS[triage], triaged_by=clerk[1], triaged_at=t)
    d.event(t, "triaged", "triaged", None, clerk)
    t = _after(rng, t, 0.5, 30)
    if not at_most(t):
        return _finish(d)
    if triage == "major":
        dept = category["default_department"] or rng.choice(DEPARTMENTS)
        row.update(assignee_kind="department", assignee_department=dept, assignee_name=None)
        handler = ("department_officer", f"{dept}办事员")
    elif triage == "minor":
        kind = "residents_committee" if rng.random() < 0.8 else "social_organisation"
        name = f"{village_name}居委会" if kind == "residents_committee" else "大邑县社工服务站"
        row.update(assignee_kind=kind, assignee_name=name)
        handler = clerk
    else:
        row.update(assignee_kind="resident", assignee_name=None)
        handler = clerk
    row["assigned_at"] = t
    d.event(t, "assigned", "assigned", "已派单", clerk)
    t = _after(rng, t, 1, 60)
    if not at_most(t):
        return _finish(d)
    d.event(t, "in_progress", "in_progress", None, handler)
    for round_ in range(3):
        if rng.random() < 0.2 and at_most(t + dt.timedelta(hours=2)):
            note = "已电话联系居民了解情况"
            d.comment(t + dt.timedelta(hours=2), note, handler)
        # most within the SLA, some late
        sla_hours = max(category["sla_days"] * 24 * 1.4, 24)
        late = rng.random() >= 0.87
        hours = rng.uniform(sla_hours, sla_hours * 3) if late else rng.uniform(4, sla_hours)
        t = _after(rng, t, hours, hours)
        if not at_most(t):
            return _finish(d)
        d.event(t, "resolved", "resolved", rng.choice(RESOLUTIONS), handler)
        row.update(resolved_at=t, ended_at=t)
        t = _after(rng, t, 6, 24 * 7)
        if not at_most(t):
            return _finish(d)
        if anonymous:
            d.event(t, "closed", "closed", "匿名诉求，办结归档", clerk)
            row["closed_at"] = t
            return _finish(d)
        if rng.random() < 0.12:
            return _finish(d)  # no feedback yet
        draw = rng.random()
        if round_:
            satisfaction = "satisfied" if draw < 0.6 else "basically_satisfied"
        else:
            satisfaction = (
                "satisfied"
                if draw < 0.72
                else "basically_satisfied"
                if draw < 0.93
                else "dissatisfied"
            )
        row.update(satisfaction=satisfaction, feedback_at=t)
        d.event(t, "feedback", "feedback", None, ("resident", "居民"))
        t = _after(rng, t, 2, 24 * 4)
        if not at_most(t):
            return _finish(d)
        if satisfaction == "dissatisfied" and rng.random() < 0.7:
            row.update(satisfaction=None, feedback_at=None, resolved_at=None, ended_at=None)
            row["reopened"] += 1
            d.event(t, "reopened", "in_progress", "居民不满意，重新办理", ("resident", "居民"))
            continue
        d.event(t, "closed", "closed", "回访完毕，办结", clerk)
        row["closed_at"] = t
        return _finish(d)
    return _finish(d)


def _finish(d: Draft) -> Draft:
    d.row["status"] = d.status
    # every event but the submission and comments was an update
    d.row["version"] = sum(1 for e in d.events if e[1] != "comment")
    d.row["updated_at"] = max(e[0] for e in d.events if e[1] != "comment")
    return d


async def _cases(
    conn: asyncpg.Connection, leaks: dict[str, list[Draft]], villages: dict[str, Any]
) -> int:
    """One case per village with three or more leak petitions: the shared problem."""
    made = 0
    for village, drafts in leaks.items():
        if len(drafts) < 3:
            continue
        case_id = await conn.fetchval(
            "INSERT INTO petition_case (area_id, title, description, created_by) "
            "VALUES ($1, $2, $3, 'demo-seed') RETURNING id",
            villages[village]["id"],
            f"{villages[village]['name']}房屋渗漏集中整治",
            "多户反映屋顶和外墙渗漏，统一排查、统一维修",
        )
        for d in drafts:
            d.row["case_id"] = case_id
        made += 1
    return made
