"""The collective-enterprise rules held by the database itself: direct SQL, as the owner
(no row-level security), so only constraints and triggers stand between a writer and a
broken account."""

from __future__ import annotations

import asyncpg
import pytest

from tests.enterprises_support import (
    AMOUNTS,
    COOP_CODE,
    POOL,
    account_values,
    coop,
    credit_code,
    insert_account,
    insert_distribution,
)
from validation.ids import gb32100_valid


@pytest.fixture
async def data(db):  # type: ignore[no-untyped-def]
    return await coop(db)


async def refused(conn: asyncpg.Connection, constraint: str, *statements: tuple) -> str:
    """Run the statements in one transaction; the commit (or a statement) must fail on
    ``constraint``. Returns the message."""
    with pytest.raises(asyncpg.PostgresError) as caught:
        async with conn.transaction():
            for sql, *args in statements:
                if callable(sql):
                    await sql(*args)
                else:
                    await conn.execute(sql, *args)
    assert caught.value.constraint_name == constraint, caught.value
    return str(caught.value)


# -- GB 32100 in SQL, against the Python check ------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        COOP_CODE,
        credit_code("93510129MA62X1234"),
        "91350100M000100Y44",
        "91350100M000100Y4",
        "91350100M00010OY43",
        "9135010OM000100Y43",
        "",
        "91350100m000100Y43",
    ],
)
async def test_sql_credit_code_check_agrees_with_python(db, code: str) -> None:  # type: ignore[no-untyped-def]
    assert await db.fetchval("SELECT gb32100_valid($1)", code) is gb32100_valid(code)


async def test_every_check_character_is_computed_alike(db) -> None:  # type: ignore[no-untyped-def]
    bodies = [f"91510129MA{n:07d}" for n in range(0, 3100, 7)]
    rows = await db.fetch(
        "SELECT b, gb32100_check_char(b) AS c FROM unnest($1::text[]) AS b", bodies
    )
    assert [r["b"] + r["c"] for r in rows] == [credit_code(b) for b in bodies]


async def test_enterprise_refuses_bad_codes_and_outsiders(db, data) -> None:  # type: ignore[no-untyped-def]
    insert = (
        "INSERT INTO collective_enterprise (area_id, name, kind, credit_code, founded_on,"
        " legal_representative_id) VALUES ($1, 'x', $2, $3, '2019-01-01', $4)"
    )
    village = data["areas"]["510129101201"]
    rep = data["residents"][0][0]
    await refused(
        db,
        "enterprise_credit_code_valid",
        (insert, village, "collective_company", "91350100M000100Y44", rep),
    )
    await refused(
        db, "enterprise_credit_code_key", (insert, village, "collective_company", COOP_CODE, rep)
    )
    await refused(
        db,
        "enterprise_code_matches_kind",
        (insert, village, "village_collective", "91350100M000100Y43", rep),
    )
    await refused(
        db,
        "enterprise_representative_in_area",
        (insert, data["areas"]["510129101202"], "collective_company", "91350100M000100Y43", rep),
    )
    await refused(
        db,
        "enterprise_area_level",
        (insert, data["areas"]["510129"], "collective_company", "91350100M000100Y43", rep),
    )


# -- membership and shares ---------------------------------------------------------------


async def test_only_members_hold_shares(db, data) -> None:  # type: ignore[no-untyped-def]
    e, outsider_in_village = data["enterprise"], data["households"][3]
    share = (
        "INSERT INTO shareholding (enterprise_id, household_id, share_class, quantity, valid_from)"
        " VALUES ($1, $2, 'cash', 5, $3::text::date)"
    )
    await refused(db, "shareholding_member_only", (share, e, outsider_in_village, "2021-01-01"))
    # a member's shares may not start before the membership
    await refused(db, "shareholding_member_only", (share, e, data["households"][0], "2019-01-01"))
    # ending a membership while shares are still held is refused at commit...
    member = data["members"][data["households"][0]]
    await refused(
        db,
        "shareholding_member_only",
        ("UPDATE enterprise_member SET left_on = '2024-12-31' WHERE id = $1", member),
    )
    # ...and accepted when the shares end with it, in the same transaction
    async with db.transaction():
        await db.execute(
            "UPDATE enterprise_member SET left_on = '2024-12-31' WHERE id = $1", member
        )
        await db.execute(
            "UPDATE shareholding SET valid_to = '2024-12-31' WHERE household_id = $1",
            data["households"][0],
        )
    # a household outside the enterprise's area cannot join
    await refused(
        db,
        "enterprise_member_household_area",
        (
            "INSERT INTO enterprise_member (enterprise_id, household_id, joined_on)"
            " VALUES ($1, $2, '2021-01-01')",
            e,
            data["outsider"],
        ),
    )


async def test_membership_and_share_periods_do_not_overlap(db, data) -> None:  # type: ignore[no-untyped-def]
    e, h = data["enterprise"], data["households"][1]
    await refused(
        db,
        "enterprise_member_no_overlap",
        (
            "INSERT INTO enterprise_member (enterprise_id, household_id, joined_on)"
            " VALUES ($1, $2, '2022-01-01')",
            e,
            h,
        ),
    )
    await refused(
        db,
        "shareholding_no_overlap",
        (
            "INSERT INTO shareholding (enterprise_id, household_id, share_class, quantity,"
            " valid_from) VALUES ($1, $2, 'population', 1, '2023-01-01')",
            e,
            h,
        ),
    )


# -- annual accounts -------------------------------------------------------------------


async def test_a_valid_account_chain_is_stored(db, data) -> None:  # type: ignore[no-untyped-def]
    e = data["enterprise"]
    first = account_values(568_700_000, 528_570_000, reserve=4_013_000, pool=5_408_000)
    async with db.transaction():
        await insert_account(db, e, 2023, first)
        second = account_values(
            100_000_000, 90_000_000, opening=first["closing_undistributed_fen"], pool=POOL
        )
        account = await insert_account(db, e, 2024, second)
        await insert_distribution(db, account, data["households"][:3])
    assert await db.fetchval("SELECT count(*) FROM annual_account") == 2
    assert await db.fetchval("SELECT sum(amount_fen) FROM dividend_line") == POOL


@pytest.mark.parametrize(
    ("column", "delta", "constraint"),
    [
        ("revenue_fen", 1, "account_income_identity"),
        ("opening_undistributed_fen", 1, "account_distributable_identity"),
        ("closing_undistributed_fen", -1, "account_closing_identity"),
        ("reserve_fund_fen", -10_000_000, "account_amounts_non_negative"),
    ],
)
async def test_each_broken_account_identity_is_refused(db, data, column, delta, constraint) -> None:  # type: ignore[no-untyped-def]
    values = account_values(1_000_000, 400_000, reserve=100_000, pool=200_000)
    values[column] += delta
    msg = await refused(db, constraint, (insert_account, db, data["enterprise"], 2024, values))
    assert constraint in msg


async def test_pool_above_what_is_left_after_the_funds_is_refused(db, data) -> None:  # type: ignore[no-untyped-def]
    # distributable 600,000; funds 100,000; pool 600,000 with other = -100,000 keeps the
    # closing identity but breaks the pool limit (other is refused as negative first)
    values = account_values(1_000_000, 400_000, reserve=100_000, pool=600_000)
    values["closing_undistributed_fen"] = 0
    values["other_distributions_fen"] = -100_000
    await refused(
        db, "account_amounts_non_negative", (insert_account, db, data["enterprise"], 2024, values)
    )
    values = account_values(1_000_000, 400_000, opening=0, reserve=100_000, pool=600_000)
    # closing is then -100,000: the identity holds, the limit does not
    await refused(db, "account_pool_limit", (insert_account, db, data["enterprise"], 2024, values))


async def test_opening_must_carry_last_years_closing(db, data) -> None:  # type: ignore[no-untyped-def]
    e = data["enterprise"]
    first = account_values(1_000_000, 400_000, reserve=100_000)
    await insert_account(db, e, 2023, first)
    wrong = account_values(500_000, 100_000, opening=first["closing_undistributed_fen"] + 1)
    msg = await refused(db, "account_opening_carry_over", (insert_account, db, e, 2024, wrong))
    assert "2024 opening" in msg
    # changing last year's closing after the fact breaks the chain too
    right = account_values(500_000, 100_000, opening=first["closing_undistributed_fen"])
    await insert_account(db, e, 2024, right)
    await refused(
        db,
        "account_closing_identity",
        ("UPDATE annual_account SET closing_undistributed_fen = 0 WHERE year = 2023",),
    )
    await refused(
        db,
        "account_opening_carry_over",
        (
            "UPDATE annual_account SET other_distributions_fen = other_distributions_fen + 1,"
            " closing_undistributed_fen = closing_undistributed_fen - 1 WHERE year = 2023",
        ),
    )
    await refused(
        db, "account_years_contiguous", (insert_account, db, e, 2026, account_values(1, 1))
    )


# -- distributions -----------------------------------------------------------------------


@pytest.fixture
async def account(db, data) -> int:  # type: ignore[no-untyped-def]
    return await insert_account(
        db, data["enterprise"], 2024, account_values(10_000_000, 9_000_000, pool=POOL)
    )


async def test_lines_must_sum_to_the_pool(db, data, account) -> None:  # type: ignore[no-untyped-def]
    hh = data["households"][:3]
    await refused(
        db,
        "distribution_lines_sum",
        (insert_distribution, db, account, hh, (42_857, 28_571, 28_571)),
    )


async def test_amounts_are_the_largest_remainder_shares(db, data, account) -> None:  # type: ignore[no-untyped-def]
    hh = data["households"][:3]
    # sums to the pool, but the spare fen went to the wrong household
    msg = await refused(
        db,
        "distribution_allocation",
        (insert_distribution, db, account, hh, (42_858, 28_571, 28_571)),
    )
    assert "42857" in msg


async def test_per_share_amount_times_shares_is_the_pool(db, data, account) -> None:  # type: ignore[no-untyped-def]
    await db.execute(
        "UPDATE annual_account SET dividend_pool_fen = 70_000,"
        " closing_undistributed_fen = closing_undistributed_fen + 30_000"
    )
    await insert_distribution(
        db, account, data["households"][:3], (30_000, 20_000, 20_000), pool=70_000
    )
    per_share = await db.fetchval(
        "SELECT pool_fen / units FROM dividend_distribution WHERE pool_fen % units = 0"
    )
    assert per_share == 10_000


async def test_distribution_pool_must_be_the_accounts(db, data, account) -> None:  # type: ignore[no-untyped-def]
    await refused(
        db,
        "distribution_pool_matches_account",
        (
            insert_distribution,
            db,
            account,
            data["households"][:3],
            (42_858, 28_572, 28_571),
            (3, 2, 2),
            POOL + 1,
        ),
    )
    await insert_distribution(db, account, data["households"][:3])
    # the account's pool cannot move away from its distribution afterwards
    await refused(
        db,
        "distribution_pool_matches_account",
        (
            "UPDATE annual_account SET dividend_pool_fen = dividend_pool_fen - 1,"
            " closing_undistributed_fen = closing_undistributed_fen + 1",
        ),
    )


async def test_only_member_households_get_lines(db, data, account) -> None:  # type: ignore[no-untyped-def]
    hh = data["households"]
    await refused(
        db,
        "distribution_members_only",
        (insert_distribution, db, account, [hh[0], hh[1], hh[3]]),
    )


async def test_every_shareholder_gets_a_line_with_their_shares(db, data, account) -> None:  # type: ignore[no-untyped-def]
    hh = data["households"]
    await refused(
        db,
        "distribution_covers_members",
        (insert_distribution, db, account, hh[:2], (60_000, 40_000), (3, 2)),
    )
    await refused(
        db,
        "distribution_line_units",
        (insert_distribution, db, account, hh[:3], (50_000, 25_000, 25_000), (4, 2, 2)),
    )


async def test_per_household_and_per_member_bases(db, data, account) -> None:  # type: ignore[no-untyped-def]
    hh = data["households"][:3]
    # members of 2, 1 and 2 residents: 5 units, 20,000 fen each
    await refused(
        db,
        "distribution_line_units",
        (
            insert_distribution,
            db,
            account,
            hh,
            (40_000, 30_000, 30_000),
            (2, 2, 2),
            POOL,
            "per_member",
        ),
    )
    async with db.transaction():
        await insert_distribution(
            db, account, hh, (33_334, 33_333, 33_333), (1, 1, 1), POOL, "per_household"
        )
    assert [
        r["amount_fen"]
        for r in await db.fetch("SELECT amount_fen FROM dividend_line ORDER BY household_id")
    ] == [33_334, 33_333, 33_333]


async def test_deleting_a_line_is_judged_at_commit(db, data, account) -> None:  # type: ignore[no-untyped-def]
    await insert_distribution(db, account, data["households"][:3])
    await refused(
        db,
        "distribution_covers_members",
        ("DELETE FROM dividend_line WHERE household_id = $1", data["households"][2]),
    )
    assert await db.fetchval("SELECT count(*) FROM dividend_line") == 3


async def test_disclosed_accounts_and_distributions_are_locked(db, data, account) -> None:  # type: ignore[no-untyped-def]
    await insert_distribution(db, account, data["households"][:3], AMOUNTS)
    await db.execute(
        "INSERT INTO disclosure (enterprise_id, account_id, area_path, published_on)"
        " VALUES (0, $1, '', current_date)",
        account,
    )
    assert await db.fetchval("SELECT distribution_id IS NOT NULL FROM disclosure")
    await refused(
        db,
        "account_published_locked",
        ("UPDATE annual_account SET revenue_fen = revenue_fen",),
    )
    await refused(
        db, "distribution_published_locked", ("UPDATE dividend_line SET amount_fen = amount_fen",)
    )
    await refused(db, "disclosure_append_only", ("UPDATE disclosure SET note = 'x'",))
    await refused(
        db,
        "disclosure_not_future",
        (
            "INSERT INTO disclosure (enterprise_id, account_id, area_path, published_on)"
            " VALUES (0, $1, '', current_date + 1)",
            account,
        ),
    )
