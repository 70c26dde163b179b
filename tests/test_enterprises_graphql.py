"""Collective enterprises through GraphQL over HTTP: mutations with their identities,
reads on the compiled path (and the same answer on the resolver path), and what
residents may see."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import httpx
import pytest

from db.enterprises_writes import CONSTRAINTS
from resolvers.enterprises_mutations import CODES
from tests.conftest import bearer
from tests.enterprises_support import COOP_CODE, coop, credit_code

FAILED = "fragment F on EnterpriseMutationFailed { errors { code message field } }"


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


@pytest.fixture
async def data(db):  # type: ignore[no-untyped-def]
    return await coop(db)


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict | None = None,
    headers: dict | None = None,
) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )


async def read_both(
    client: httpx.AsyncClient, query: str, variables: dict | None = None, **headers: str
) -> Any:
    """The query on the compiled path (asserted), and the same body from the resolvers."""
    compiled = await post(client, query, variables, headers)
    assert compiled.headers["x-gongzhi-execution"] == "compiled", compiled.text
    resolver = await post(client, query, variables, {**headers, "x-gongzhi-execution": "resolver"})
    assert resolver.headers["x-gongzhi-execution"] == "resolver"
    assert json.dumps(compiled.json()) == json.dumps(resolver.json()), (
        f"paths differ\ncompiled: {compiled.text}\nresolver: {resolver.text}"
    )
    body = compiled.json()
    assert "errors" not in body, body
    return body["data"]


async def mutate(client: httpx.AsyncClient, query: str, variables: dict, **headers: str) -> Any:
    body = (await post(client, query + "\n" + FAILED, variables, headers)).json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


RECORD = """mutation($input: RecordAccountInput!) { recordAnnualAccount(input: $input) {
  __typename ... on AccountPayload { account { id year revenue income distributable
    openingUndistributed closingUndistributed dividendPool
    distribution { basis pool units perUnit evenlyDivisible lines { units amount } } } }
  ...F } }"""


def account_input(data: dict, year: int = 2024, **amounts: Any) -> dict:
    values = {"revenue": "100000.00", "expenses": "90000.00", "dividendPool": "1000.00"}
    values.update(amounts)
    return {"enterpriseId": gid("CollectiveEnterprise", data["enterprise"]), "year": year, **values}


def codes(result: dict) -> list[str]:
    assert result["__typename"] == "EnterpriseMutationFailed", result
    return [e["code"] for e in result["errors"]]


def test_every_constraint_maps_to_a_listed_code() -> None:
    assert {code for code, _, _ in CONSTRAINTS.values()} <= set(CODES)


async def test_account_with_computed_distribution(client, data) -> None:  # type: ignore[no-untyped-def]
    distribution = {"basis": "PER_SHARE", "recordDate": "2025-01-15"}
    result = await mutate(
        client, RECORD, {"input": {**account_input(data), "distribution": distribution}}
    )
    account = result["account"]
    assert account["income"] == "10000.00"
    assert account["distributable"] == "10000.00"
    assert account["closingUndistributed"] == "9000.00"
    dist = account["distribution"]
    assert dist["units"] == 7 and dist["perUnit"] == "142.857143"
    assert not dist["evenlyDivisible"]
    assert [line["amount"] for line in dist["lines"]] == ["428.57", "285.72", "285.71"]
    # next year opens with this year's closing, derived when left out
    result = await mutate(client, RECORD, {"input": account_input(data, 2025, dividendPool="0")})
    assert result["account"]["openingUndistributed"] == "9000.00"


async def test_broken_identities_are_refused_with_their_codes(client, db, data) -> None:  # type: ignore[no-untyped-def]
    result = await mutate(
        client,
        RECORD,
        {
            "input": account_input(
                data,
                income="10000.01",
                distributable="1.00",
                closingUndistributed="0",
                reserveFund="9500.00",
            )
        },
    )
    assert codes(result) == [
        "INCOME_IDENTITY",
        "DISTRIBUTABLE_IDENTITY",
        "POOL_LIMIT",
        "CLOSING_IDENTITY",
    ]
    assert all(e["field"] for e in result["errors"])
    await mutate(client, RECORD, {"input": account_input(data, dividendPool="0")})
    result = await mutate(
        client, RECORD, {"input": account_input(data, 2025, openingUndistributed="1.00")}
    )
    assert codes(result) == ["OPENING_CARRY_OVER"]
    result = await mutate(client, RECORD, {"input": account_input(data, 2027)})
    assert codes(result) == ["YEARS_NOT_CONTIGUOUS"]
    result = await mutate(client, RECORD, {"input": account_input(data, 2025, revenue="1.001")})
    assert codes(result) == ["INVALID_INPUT"]
    assert await db.fetchval("SELECT count(*) FROM annual_account") == 1


async def test_given_lines_are_checked_all_at_once(client, db, data) -> None:  # type: ignore[no-untyped-def]
    hh = data["households"]
    lines = [
        {"householdId": gid("Household", hh[0]), "amount": "428.58"},
        {"householdId": gid("Household", hh[1]), "amount": "285.71", "units": 3},
        {"householdId": gid("Household", hh[3]), "amount": "100.00"},
    ]
    distribution = {"basis": "PER_SHARE", "recordDate": "2025-01-15", "lines": lines}
    result = await mutate(
        client, RECORD, {"input": {**account_input(data), "distribution": distribution}}
    )
    assert codes(result) == [
        "ALLOCATION",
        "LINE_UNITS",
        "NOT_A_MEMBER",
        "MISSING_LINE",
        "LINES_SUM",
    ]
    assert result["errors"][0]["field"] == "distribution.lines.0.amount"
    assert await db.fetchval("SELECT count(*) FROM annual_account") == 0
    # exact lines are accepted
    lines = [
        {"householdId": gid("Household", h), "amount": a}
        for h, a in zip(hh[:3], ("428.57", "285.72", "285.71"), strict=True)
    ]
    distribution["lines"] = lines
    result = await mutate(
        client, RECORD, {"input": {**account_input(data), "distribution": distribution}}
    )
    assert result["account"]["distribution"]["pool"] == "1000.00"
    lines[0]["amount"], lines[1]["amount"] = "428.56", "285.73"
    result = await mutate(
        client,
        """mutation($input: RecordDistributionInput!) { recordDividendDistribution(input: $input) {
           __typename ...F } }""",
        {"input": {"accountId": gid("AnnualAccount", 1), "distribution": distribution}},
    )
    assert codes(result) == ["ALLOCATION", "ALLOCATION"]


async def test_backstop_names_the_constraint(client, db, data) -> None:  # type: ignore[no-untyped-def]
    """A distribution that the API's checks pass but the stored shares no longer allow
    (shares changed in the same instant) is refused by the database, naming the rule."""
    import asyncpg

    from db.enterprises_writes import from_postgres

    with pytest.raises(asyncpg.PostgresError) as caught:
        async with db.transaction():
            await db.execute(
                "INSERT INTO annual_account (enterprise_id, year, revenue_fen, expenses_fen,"
                " income_fen, opening_undistributed_fen, distributable_fen, reserve_fund_fen,"
                " welfare_fund_fen, investor_returns_fen, dividend_pool_fen,"
                " other_distributions_fen, closing_undistributed_fen)"
                " VALUES ($1, 2024, 100, 50, 50, 0, 50, 0, 0, 0, 10, 0, 41)",
                data["enterprise"],
            )
    mapped = from_postgres(caught.value)
    assert mapped is not None and mapped.code == "CLOSING_IDENTITY"
    assert "[account_closing_identity]" in mapped.message


async def test_enterprise_registration(client, data) -> None:  # type: ignore[no-untyped-def]
    create = """mutation($input: CreateEnterpriseInput!) {
      createCollectiveEnterprise(input: $input) {
      __typename ... on EnterprisePayload { enterprise { name kind creditCode area { code }
      legalRepresentative { name } disclosureOverdue lastDisclosedOn } } ...F } }"""
    rep = gid("Resident", data["residents"][1][0])
    good = {
        "name": "大坪村花卉专业合作社",
        "kind": "SPECIALISED_COOPERATIVE",
        "creditCode": credit_code("93510129MA62X1234").lower(),
        "areaCode": "510129101201",
        "foundedOn": "2019-03-01",
        "legalRepresentativeId": rep,
    }
    result = await mutate(client, create, {"input": good})
    assert result["enterprise"]["kind"] == "SPECIALISED_COOPERATIVE"
    assert result["enterprise"]["creditCode"] == credit_code("93510129MA62X1234")
    assert result["enterprise"]["disclosureOverdue"] is True
    bad = {
        **good,
        "creditCode": COOP_CODE[:-1] + ("0" if COOP_CODE[-1] != "0" else "1"),
        "areaCode": "510129",
        "legalRepresentativeId": gid("Resident", 999999),
    }
    assert codes(await mutate(client, create, {"input": bad})) == [
        "INVALID_CREDIT_CODE",
        "WRONG_AREA_LEVEL",
    ]
    bad = {**good, "kind": "VILLAGE_COLLECTIVE", "creditCode": credit_code("93510129MA62X1235")}
    assert codes(await mutate(client, create, {"input": bad})) == ["CREDIT_CODE_KIND_MISMATCH"]
    bad = {**good, "creditCode": COOP_CODE, "kind": "SHAREHOLDING_COOPERATIVE"}
    bad["legalRepresentativeId"] = gid("Resident", 999999)
    assert codes(await mutate(client, create, {"input": bad})) == [
        "DUPLICATE_CREDIT_CODE",
        "NOT_IN_AREA",
    ]


async def test_membership_and_shares(client, db, data) -> None:  # type: ignore[no-untyped-def]
    e = gid("CollectiveEnterprise", data["enterprise"])
    h4 = gid("Household", data["households"][3])
    shares = """mutation($input: SetShareholdingsInput!) { setShareholdings(input: $input) {
      __typename ... on EnterprisePayload { enterprise {
        shareholdings(filter: {activeOn: "2025-06-01"}) { totalCount } } } ...F } }"""
    holdings = [{"shareClass": "CASH", "quantity": 10}]
    first = {"enterpriseId": e, "householdId": h4, "validFrom": "2025-01-01", "holdings": holdings}
    assert codes(await mutate(client, shares, {"input": first})) == ["NOT_A_MEMBER"]
    add = """mutation($input: AddMembershipInput!) { addEnterpriseMember(input: $input) {
      __typename ... on MembershipPayload { membership { id active household { room } } }
      ...F } }"""
    result = await mutate(
        client, add, {"input": {"enterpriseId": e, "householdId": h4, "joinedOn": "2024-12-01"}}
    )
    assert result["membership"]["active"] is True
    membership = result["membership"]["id"]
    again = {"enterpriseId": e, "householdId": h4, "joinedOn": "2025-02-01"}
    assert codes(await mutate(client, add, {"input": again})) == ["MEMBERSHIP_OVERLAP"]
    outsider = {
        "enterpriseId": e,
        "householdId": gid("Household", data["outsider"]),
        "joinedOn": "2025-02-01",
    }
    assert codes(await mutate(client, add, {"input": outsider})) == ["NOT_IN_AREA"]
    result = await mutate(client, shares, {"input": first})
    assert result["enterprise"]["shareholdings"]["totalCount"] == 4
    end = """mutation($input: EndMembershipInput!) { endEnterpriseMembership(input: $input) {
      __typename ... on MembershipPayload { membership { leftOn active } } ...F } }"""
    result = await mutate(client, end, {"input": {"id": membership, "leftOn": "2025-03-31"}})
    assert result["membership"] == {"leftOn": "2025-03-31", "active": False}
    # the open cash shares ended with the membership, in the same transaction
    assert await db.fetchval(
        "SELECT valid_to FROM shareholding WHERE household_id = $1", data["households"][3]
    ) == dt.date(2025, 3, 31)


async def test_only_writers_in_scope_change_enterprises(anonymous_client, data) -> None:  # type: ignore[no-untyped-def]
    for headers in (
        bearer("grid_worker", area="510129101201-01"),
        bearer("resident", household=data["households"][0]),
        bearer("community_worker", area="510129101202"),
    ):
        anonymous_client.headers.clear()
        anonymous_client.headers.update(headers)
        result = await mutate(anonymous_client, RECORD, {"input": account_input(data)})
        assert codes(result) in (["FORBIDDEN"], ["NOT_FOUND"]), result
    anonymous_client.headers.update(bearer("community_worker", area="510129101201"))
    result = await mutate(anonymous_client, RECORD, {"input": account_input(data)})
    assert result["account"]["year"] == 2024


# -- reads ------------------------------------------------------------------------------


@pytest.fixture
async def published(client, data):  # type: ignore[no-untyped-def]
    """2023 (dividends, disclosed with lines) and 2024 (dividends, not disclosed)."""
    distribution = {"basis": "PER_SHARE", "recordDate": "2024-01-15"}
    first = await mutate(
        client,
        RECORD,
        {
            "input": {
                **account_input(data, 2023, dividendPool="700.00"),
                "distribution": distribution,
            }
        },
    )
    distribution = {"basis": "PER_HOUSEHOLD", "recordDate": "2025-01-15"}
    await mutate(
        client,
        RECORD,
        {
            "input": {
                **account_input(data, 2024, dividendPool="1000.00"),
                "distribution": distribution,
            }
        },
    )
    publish = """mutation($input: PublishDisclosureInput!) { publishDisclosure(input: $input) {
      __typename ... on DisclosurePayload { disclosure { publishedOn publishesLines
      account { year published } distribution { published } } } ...F } }"""
    result = await mutate(
        client,
        publish,
        {
            "input": {
                "accountId": first["account"]["id"],
                "publishesLines": True,
                "note": "2023年度",
            }
        },
    )
    assert result["disclosure"]["account"] == {"year": 2023, "published": True}
    assert result["disclosure"]["distribution"] == {"published": True}
    # disclosed means locked
    result = await mutate(
        client, RECORD, {"input": account_input(data, 2023, dividendPool="700.00")}
    )
    assert codes(result) == ["PUBLISHED"]
    return data


ENTERPRISE_READ = """query($id: ID!) { collectiveEnterprise(id: $id) { id name kind creditCode
  foundedOn lastDisclosedOn disclosureOverdue area { code }
  members(first: 10) { totalCount nodes { joinedOn active household { room } } }
  shareholdings(filter: {shareClass: POPULATION}) { nodes { shareClass quantity validFrom } }
  accounts { year revenue expenses income openingUndistributed distributable reserveFund
    welfareFund investorReturns dividendPool otherDistributions closingUndistributed published
    distribution { year basis recordDate paidOn pool units perUnit evenlyDivisible published
      lines { units amount household { room } } } }
  disclosures { publishedOn publishesLines note account { year } } } }"""


async def test_reads_agree_on_both_paths(client, published) -> None:  # type: ignore[no-untyped-def]
    e = gid("CollectiveEnterprise", published["enterprise"])
    found = (await read_both(client, ENTERPRISE_READ, {"id": e}))["collectiveEnterprise"]
    assert found["lastDisclosedOn"] == dt.date.today().isoformat()
    assert found["disclosureOverdue"] is False
    assert [a["year"] for a in found["accounts"]] == [2023, 2024]
    assert found["accounts"][0]["distribution"]["perUnit"] == "100.000000"
    assert found["accounts"][0]["distribution"]["evenlyDivisible"] is True
    assert [line["amount"] for line in found["accounts"][1]["distribution"]["lines"]] == [
        "333.34",
        "333.33",
        "333.33",
    ]
    area = (
        await read_both(
            client,
            """{ area(code: "510129101") { enterprises(filter: {kind: SHAREHOLDING_COOPERATIVE,
             disclosureOverdue: false}) { totalCount nodes { name } }
           enterpriseFinances(yearFrom: 2023) { year enterprises revenue expenses income
             reserveFund welfareFund dividendPool dividendsPaid householdsPaid }
           children { nodes { code
             enterpriseFinances(yearTo: 2023) { year dividendsPaid } } } } }""",
        )
    )["area"]
    assert area["enterprises"]["totalCount"] == 1
    assert area["enterpriseFinances"] == [
        {
            "year": 2023,
            "enterprises": 1,
            "revenue": "100000.00",
            "expenses": "90000.00",
            "income": "10000.00",
            "reserveFund": "0.00",
            "welfareFund": "0.00",
            "dividendPool": "700.00",
            "dividendsPaid": "700.00",
            "householdsPaid": 3,
        },
        {
            "year": 2024,
            "enterprises": 1,
            "revenue": "100000.00",
            "expenses": "90000.00",
            "income": "10000.00",
            "reserveFund": "0.00",
            "welfareFund": "0.00",
            "dividendPool": "1000.00",
            "dividendsPaid": "1000.00",
            "householdsPaid": 3,
        },
    ]
    household = (
        await read_both(
            client,
            """query($id: ID!) { household(id: $id) {
             shareholdings { totalCount nodes { quantity enterprise { name } } }
             dividends(filter: {year: 2024}) { nodes { amount units
               distribution { year basis } } } } }""",
            {"id": gid("Household", published["households"][0])},
        )
    )["household"]
    assert household["shareholdings"]["nodes"][0]["quantity"] == 3
    assert household["dividends"]["nodes"] == [
        {"amount": "333.34", "units": 1, "distribution": {"year": 2024, "basis": "PER_HOUSEHOLD"}}
    ]
    listed = await read_both(
        client, "{ collectiveEnterprises(orderBy: {field: FOUNDED_ON}) { nodes { name } } }"
    )
    assert listed["collectiveEnterprises"]["nodes"] == [{"name": "大坪村股份经济合作社"}]


async def test_residents_see_what_is_published(anonymous_client, published) -> None:  # type: ignore[no-untyped-def]
    hh = published["households"]
    e = gid("CollectiveEnterprise", published["enterprise"])
    # a member household: published 2023 in full, and only its own 2024 line
    headers = bearer("resident", household=hh[0])
    anonymous_client.headers.update(headers)
    found = (await read_both(anonymous_client, ENTERPRISE_READ, {"id": e}))["collectiveEnterprise"]
    assert [a["year"] for a in found["accounts"]] == [2023]
    assert len(found["accounts"][0]["distribution"]["lines"]) == 3
    assert found["members"]["totalCount"] == 1  # only its own membership
    mine = await read_both(
        anonymous_client,
        """query($id: ID!) { household(id: $id) { dividends { nodes { amount
             distribution { year account { year } lines { amount } } } } } }""",
        {"id": gid("Household", hh[0])},
    )
    lines = mine["household"]["dividends"]["nodes"]
    assert [(n["distribution"]["year"], n["amount"]) for n in lines] == [
        (2023, "300.00"),
        (2024, "333.34"),
    ]
    # the undisclosed 2024: its account hidden, its lines only the household's own
    assert lines[1]["distribution"]["account"] is None
    assert lines[1]["distribution"]["lines"] == [{"amount": "333.34"}]
    # a resident of another village sees nothing of the enterprise
    anonymous_client.headers.update(bearer("resident", household=published["outsider"]))
    found = await read_both(anonymous_client, ENTERPRISE_READ, {"id": e})
    assert found["collectiveEnterprise"] is None
