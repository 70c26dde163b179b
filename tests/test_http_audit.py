"""GraphQL over HTTP conformance: the graphql-http audit suite against the served endpoint
(every audit must pass, SHOULDs and MAYs included), and the negotiation rules in
gongzhi/http.py checked one by one in process.

The audit needs `npm ci --prefix tests/federation` first; without it the test fails and says so.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from gongzhi.http import GRAPHQL_RESPONSE_JSON, JSON, negotiate
from tests import servers

GRAPHQL_RESPONSE = {"accept": GRAPHQL_RESPONSE_JSON}


@pytest.fixture
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    servers.node_harness()
    with servers.gongzhi(database_url, tmp_path_factory.mktemp("audit-logs")) as server:
        yield server.url


def test_graphql_http_audit_passes_completely(served: str) -> None:
    node = servers.node_harness()
    run = subprocess.run(
        [node, str(servers.FEDERATION_DIR / "audit.mjs"), served],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=servers.ROOT,
    )
    assert run.stdout, f"audit.mjs printed nothing (exit {run.returncode}):\n{run.stderr}"
    report = json.loads(run.stdout)
    failing = [r for r in report["results"] if r["status"] != "ok"]
    assert not failing, "audits not passing:\n" + "\n".join(
        f"  {r['status']} {r['id']} {r['name']}: {r['reason']}" for r in failing
    )
    assert run.returncode == 0, run.stderr
    assert report["total"] >= 61 and report["counts"]["ok"] == report["total"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.9, application/json", JSON),
        ("application/json;q=0.9, */*", JSON),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        ("text/html, application/xhtml+xml, */*;q=0.8", JSON),
        ("application/graphql-response+json;q=0, application/json;q=0.1", JSON),
        ("text/plain", None),
        ("application/xml, text/html", None),
        ("application/json;q=0", None),
    ],
)
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


async def test_unacceptable_accept_is_406(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/plain"}
    )
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


async def test_graphql_response_json_status_follows_execution(client: httpx.AsyncClient) -> None:
    ok = await client.post("/graphql", json={"query": "{ __typename }"}, headers=GRAPHQL_RESPONSE)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    assert ok.headers["vary"] == "Accept"
    assert ok.json() == {"data": {"__typename": "Query"}}

    for query, code in [
        ("{", "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
    ]:
        failed = await client.post("/graphql", json={"query": query}, headers=GRAPHQL_RESPONSE)
        assert failed.status_code == 400, query
        body = failed.json()
        assert "data" not in body and body["errors"][0]["extensions"]["code"] == code

    coercion = await client.post(
        "/graphql",
        json={"query": "query($id: ID!) { resident(id: $id) { name } }"},
        headers=GRAPHQL_RESPONSE,
    )
    assert coercion.status_code == 400 and "data" not in coercion.json()

    # executed, failed in a resolver: data present (null here), so 200
    executed = await client.post(
        "/graphql", json={"query": "{ areas(first: -1) { totalCount } }"}, headers=GRAPHQL_RESPONSE
    )
    assert executed.status_code == 200
    body = executed.json()
    assert body["data"] is None and body["errors"][0]["path"] == ["areas"]


async def test_application_json_stays_legacy(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"accept": "application/json"}, {"accept": "*/*"}):
        response = await client.post("/graphql", json={"query": "{ noSuchField }"}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["data"] is None and response.json()["errors"]


async def test_malformed_requests_get_json_errors(client: httpx.AsyncClient) -> None:
    for headers in ({"accept": "application/json"}, GRAPHQL_RESPONSE):
        response = await client.post(
            "/graphql",
            content=b"{not json",
            headers={"content-type": "application/json", **headers},
        )
        assert response.status_code == 400
        assert response.headers["content-type"].startswith(headers["accept"])
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_unknown_operation_and_missing_query_are_400(client: httpx.AsyncClient) -> None:
    for body in ({"query": "query A { __typename }", "operationName": "B"}, {"variables": {}}):
        for headers in ({"accept": "application/json"}, GRAPHQL_RESPONSE):
            response = await client.post("/graphql", json=body, headers=headers)
            assert response.status_code == 400, body
            assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_mutation_over_get_is_405(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers=GRAPHQL_RESPONSE
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)


async def test_graphiql_still_served_to_browsers(client: httpx.AsyncClient) -> None:
    for accept in ("text/html", "text/html,application/xhtml+xml,*/*;q=0.8"):
        response = await client.get("/graphql", headers={"accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "graphiql" in response.text.lower()


async def test_get_queries_negotiate_too(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "{ __typename }"}, headers=GRAPHQL_RESPONSE
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert response.json() == {"data": {"__typename": "Query"}}
