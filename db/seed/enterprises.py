"""Demo collective enterprises: one collective economic organisation per demo village,
and a specialised cooperative in every fourth, with members, shares, four years of
accounts, dividend distributions and disclosures, drawn from the stored demo households.

Figures follow domain.md's real ones: revenue in the millions for a large village
(Qinfeng: 5.687 M yuan, profit 401,300), a few hundred yuan per household or share in
dividends (Qinfeng: 676 per household), reserve and welfare funds set aside first. The
database's identities judge every row at COMMIT like any writer's; the lines come from
``allocate``, the rule the database checks.

Everything goes in with a handful of set-based statements and COPY, whatever the scale.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from db.enterprises_writes import allocate
from validation.ids import gb32100_check_char

_DEMO_PATH = "(SELECT path FROM area WHERE code = $1)"
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_TABLES = (
    "disclosure",
    "dividend_line",
    "dividend_distribution",
    "annual_account",
    "shareholding",
    "enterprise_member",
    "collective_enterprise",
)


@dataclass
class _Enterprise:
    village_id: int
    name: str
    kind: str
    code: str
    founded: dt.date
    representative: int
    basis: str
    members: list[tuple[int, int]] = field(default_factory=list)  # (household, residents)
    id: int = 0


def _code(rng: random.Random, prefix: str, county: str) -> str:
    body = prefix + county + "".join(rng.choice(_ALPHABET) for _ in range(17 - 8))
    return body + gb32100_check_char(body)


async def delete(conn: asyncpg.Connection, county: str) -> None:
    """The demo's enterprise rows (before its households go)."""
    for table in _TABLES:
        await conn.execute(f"DELETE FROM {table} WHERE area_path <@ {_DEMO_PATH}", county)


async def seed(conn: asyncpg.Connection, county: str, rng: random.Random) -> int:
    """Store the demo enterprises under ``county``; returns how many."""
    villages = await conn.fetch(
        f"""
        SELECT v.id, v.name,
               array_agg(h.id ORDER BY h.id) AS households,
               array_agg((SELECT count(*) FROM resident r WHERE r.household_id = h.id)
                         ORDER BY h.id) AS sizes,
               (SELECT r.id FROM resident r WHERE r.area_path <@ v.path
                 AND r.relation = 'self' AND r.birth_date < DATE '1990-01-01'
                 ORDER BY r.id LIMIT 1) AS representative
          FROM area v JOIN household h ON h.area_path <@ v.path
         WHERE v.path <@ {_DEMO_PATH} AND v.level = 'village'
         GROUP BY v.id, v.name, v.path ORDER BY v.id
        """,
        county,
    )
    enterprises: list[_Enterprise] = []
    for i, v in enumerate(villages):
        if v["representative"] is None:
            continue
        pairs = list(zip(v["households"], v["sizes"], strict=True))
        if i % 2 == 0:  # half the villages run a shareholding economic cooperative
            e = _Enterprise(
                v["id"],
                f"{v['name']}股份经济合作社",
                "shareholding_cooperative",
                _code(rng, "N2", county),
                dt.date(2016 + rng.randrange(4), rng.randrange(1, 13), 1),
                v["representative"],
                "per_share",
            )
            e.members = [p for p in pairs if rng.random() < 0.85]
            enterprises.append(e)
        if i % 4 == 1:  # and some a farmers' specialised cooperative (flowers, tea, kiwi)
            crop = rng.choice(("花卉", "茶叶", "猕猴桃", "食用菌"))
            e = _Enterprise(
                v["id"],
                f"{v['name']}{crop}专业合作社",
                "specialised_cooperative",
                _code(rng, "93", county),
                dt.date(2017 + rng.randrange(3), rng.randrange(1, 13), 1),
                v["representative"],
                "per_household",
            )
            e.members = [p for p in pairs if rng.random() < 0.12][:80] or pairs[:1]
            enterprises.append(e)
    if not enterprises:
        return 0
    rows = await conn.fetch(
        """
        INSERT INTO collective_enterprise (area_id, name, kind, credit_code, founded_on,
                                           legal_representative_id)
        SELECT a, n, k::enterprise_kind, c, f, r
          FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::date[],
                      $6::bigint[]) AS u(a, n, k, c, f, r)
        RETURNING id, credit_code
        """,
        [e.village_id for e in enterprises],
        [e.name for e in enterprises],
        [e.kind for e in enterprises],
        [e.code for e in enterprises],
        [e.founded for e in enterprises],
        [e.representative for e in enterprises],
    )
    ids = {r["credit_code"]: r["id"] for r in rows}
    for e in enterprises:
        e.id = ids[e.code]
    await conn.copy_records_to_table(
        "enterprise_member",
        records=[(e.id, h, e.founded) for e in enterprises for h, _ in e.members],
        columns=("enterprise_id", "household_id", "joined_on"),
    )
    shares: list[tuple[Any, ...]] = []
    units: dict[int, list[tuple[int, int]]] = {}
    for e in enterprises:
        held = []
        for h, size in e.members:
            if e.basis == "per_share":
                # population shares per registered person, farm-age shares for some
                population = max(1, size)
                shares.append((e.id, h, "population", population, e.founded))
                farm_age = rng.choice((0, 0, 1, 2))
                if farm_age:
                    shares.append((e.id, h, "farm_age", farm_age, e.founded))
                held.append((h, population + farm_age))
            else:
                held.append((h, 1))
        units[e.id] = held
    await conn.copy_records_to_table(
        "shareholding",
        records=shares,
        columns=("enterprise_id", "household_id", "share_class", "quantity", "valid_from"),
    )
    await _accounts(conn, enterprises, units, rng)
    return len(enterprises)


async def _accounts(
    conn: asyncpg.Connection,
    enterprises: list[_Enterprise],
    units: dict[int, list[tuple[int, int]]],
    rng: random.Random,
) -> None:
    today = dt.date.today()
    last = today.year - 1
    accounts: list[tuple[Any, ...]] = []
    plans: list[tuple[int, int, int, str]] = []  # (enterprise, year, pool, basis)
    for e in enterprises:
        households = len(e.members)
        opening = 0
        for year in range(max(e.founded.year, last - 3), last + 1):
            scale = households * rng.uniform(20_000, 70_000) * 100  # fen
            revenue = int(scale)
            expenses = int(revenue * rng.uniform(0.88, 0.97))
            income = revenue - expenses
            distributable = income + opening
            spare = max(distributable, 0)
            reserve = spare * 10 // 100
            welfare = spare * 5 // 100
            investors = spare * rng.choice((0, 0, 3)) // 100
            left = distributable - reserve - welfare - investors
            pool = 0
            if left > 0 and rng.random() < 0.8:
                if e.basis == "per_household":
                    # whole yuan per household, as Qinfeng's 676
                    each = int(left * rng.uniform(0.3, 0.6)) // households // 100 * 100
                    pool = each * households
                else:
                    pool = int(left * rng.uniform(0.3, 0.6)) // 100 * 100
            other = 0
            closing = distributable - reserve - welfare - investors - pool - other
            accounts.append(
                (e.id, year, revenue, expenses, income, opening, distributable, reserve,
                 welfare, investors, pool, other, closing)
            )  # fmt: skip
            if pool > 0:
                plans.append((e.id, year, pool, e.basis))
            opening = closing
    rows = await conn.fetch(
        """
        INSERT INTO annual_account (enterprise_id, year, revenue_fen, expenses_fen, income_fen,
            opening_undistributed_fen, distributable_fen, reserve_fund_fen, welfare_fund_fen,
            investor_returns_fen, dividend_pool_fen, other_distributions_fen,
            closing_undistributed_fen)
        SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[],
            $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
            $12::bigint[], $13::bigint[])
        RETURNING id, enterprise_id, year
        """,
        *[list(column) for column in zip(*accounts, strict=True)],
    )
    account_ids = {(r["enterprise_id"], r["year"]): r["id"] for r in rows}
    dist_rows = await conn.fetch(
        """
        INSERT INTO dividend_distribution (enterprise_id, account_id, area_path, year, basis,
                                           record_date, paid_on, pool_fen, units)
        SELECT e, a, '', y, b::dividend_basis, make_date(y + 1, 1, 15), make_date(y + 1, 2, 1),
               p, n
          FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::text[], $5::bigint[],
                      $6::bigint[]) AS u(e, a, y, b, p, n)
        RETURNING id, account_id
        """,
        [p[0] for p in plans],
        [account_ids[(p[0], p[1])] for p in plans],
        [p[1] for p in plans],
        [p[3] for p in plans],
        [p[2] for p in plans],
        [sum(u for _, u in units[p[0]]) for p in plans],
    )
    dist_ids = {r["account_id"]: r["id"] for r in dist_rows}
    lines: list[tuple[Any, ...]] = []
    for enterprise, year, pool, _ in plans:
        held = units[enterprise]
        amounts = allocate(pool, held)
        dist = dist_ids[account_ids[(enterprise, year)]]
        lines.extend((dist, h, u, amounts[h]) for h, u in held)
    await conn.copy_records_to_table(
        "dividend_line",
        records=lines,
        columns=("distribution_id", "household_id", "units", "amount_fen"),
    )
    # disclosed each spring; the latest year by most, some late (disclosureOverdue)
    disclosures = []
    for (enterprise, year), account in account_ids.items():
        published = dt.date(year + 1, 3, 31)
        if year == last:
            if rng.random() < 0.3:
                continue
            published = today - dt.timedelta(days=rng.randrange(5, 80))
        if published <= today:
            disclosures.append((enterprise, account, published, year < last, "年度财务公开"))
    await conn.copy_records_to_table(
        "disclosure",
        records=disclosures,
        columns=(
            "enterprise_id",
            "account_id",
            "published_on",
            "publishes_lines",
            "note",
        ),
    )
