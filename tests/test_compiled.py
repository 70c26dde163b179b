"""The compiled read path answers exactly as the resolver path does."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator

import asyncpg
import pytest

from db.connect import create_pool
from tests.paths import both, via_compiled
from tests.test_reads import community, gid  # noqa: F401  (fixture)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(database_url, min_size=1, max_size=4, app_role=True)
    try:
        yield p
    finally:
        await p.close()


QUERIES = [
    '{ area(code: "510129101") { id code name level parent { code name } ancestors { code } } }',
    """{ area(code: "510129") { children { totalCount pageInfo { hasNextPage hasPreviousPage
        startCursor endCursor } edges { cursor node { code name } } nodes { name } } } }""",
    """{ areas(filter: {level: VILLAGE}, orderBy: {field: NAME, direction: DESC}, first: 2) {
        totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }""",
    """{ a: area(code: "510129101") { households { totalCount nodes { id room unit
        createdAt updatedAt area { code } head { name } members { name relation age gender
        birthDate idNumber phone careTags roles isPartyMember registeredHere livesHere } } } } }""",
    """{ residents(filter: {careTagsAny: [ELDERLY_ALONE, LEFT_BEHIND_CHILD]}) { totalCount
        nodes { name careTags household { room area { name } } } } }""",
    """{ residents(orderBy: {field: BIRTH_DATE, direction: DESC}, last: 2) { pageInfo {
        hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } } } }""",
    """{ area(code: "510129") { residentStats { count households partyMembers
        byCareTag { tag count } byGender { gender count } byAgeBand { band count } }
        children { nodes { code residentStats(filter: {ageMin: 60}) { count } } } } }""",
    "{ residentStats(filter: {isPartyMember: true}) { __typename count byGender { count } } }",
    # households counted by their heads when unfiltered, by distinct ids when filtered
    """{ residentStats { households } area(code: "510129101") { all: residentStats {
        households } old: residentStats(filter: {ageMin: 60}) { households count } } }""",
    """query Q { __typename area(code: "510129101201-01") { ...A ... on Area { name } } }
       fragment A on Area { code level __typename households { __typename
       edges { __typename node { __typename room } } pageInfo { __typename endCursor } } }""",
    '{ area(code: "nope") { code } }',
    """{ x: areas(first: 1) { nodes { code } } y: areas(first: 1, orderBy: {field: NAME}) {
       nodes { name } } }""",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_both_paths_agree(pool, community, query: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    await both(pool, query)


async def test_variables_fragments_and_directives(pool, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    query = """query($code: String!, $f: ResidentFilter, $n: Int, $deep: Boolean!,
                     $o: ResidentOrderField = NAME) {
      area(code: $code) { name residents(filter: $f, first: $n, orderBy: {field: $o}) {
        totalCount nodes { name household @include(if: $deep) { room }
                           age @skip(if: $deep) } } } }"""
    for variables in (
        {"code": "510129", "f": {"gender": "FEMALE"}, "n": 2, "deep": True},
        {"code": "510129", "f": {"ageMin": 30, "nameContains": "王"}, "n": 5, "deep": False},
        {"code": "510129101", "f": None, "n": None, "deep": True, "o": "BIRTH_DATE"},
    ):
        await both(pool, query, variables)


async def test_pages_walk_the_same_way(pool, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    query = """query($after: String) { residents(first: 2, after: $after, orderBy: {field: NAME}) {
        pageInfo { hasNextPage endCursor } nodes { name } } }"""
    after = None
    names = []
    while True:
        page = (await both(pool, query, {"after": after}))["data"]["residents"]
        names += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(names) == 6


async def test_node_lookups(pool, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    query = """query($id: ID!) { node(id: $id) { __typename id ... on Resident { name
        household { room } } ... on Household { room } ... on Area { code } } }"""
    for type_name, key in (
        ("Resident", community["residents"][0]),
        ("Household", community["households"][1]),
        ("Area", community["areas"]["510129"]),
        ("Resident", 999999),
    ):
        await both(pool, query, {"id": gid(type_name, key)})
    await both(
        pool,
        "query($id: ID!) { resident(id: $id) { name } }",
        {"id": gid("Resident", community["residents"][2])},
    )


async def test_invalid_arguments_fall_back(pool, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    for query, variables in (
        ("{ residents(first: 100000) { totalCount } }", None),
        ("{ residents(filter: {ageMin: 9, ageMax: 1}) { totalCount } }", None),
        ("query($a: String) { residents(after: $a) { totalCount } }", {"a": "garbage"}),
        ("query($id: ID!) { resident(id: $id) { name } }", {"id": gid("Household", 1)}),
        ("{ area(code: ", None),
        ("mutation { __typename }", None),
        ("{ _service { sdl } }", None),
    ):
        assert await via_compiled(pool, query, variables) is None, query


async def test_stats_item_subselection(pool, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    await both(pool, "{ residentStats { f0: byAgeBand { f0: band } } }")


async def test_sites_never_share_arguments(pool, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    # Found by the property test: a stats field without a filter kept no reference to its
    # argument site; a later connection's site could reuse its address and its arguments.
    fields = " ".join(
        f"s{i}: residentStats {{ count }} "
        f"d{i}: descendants(last: {i % 3}) {{ totalCount edges {{ cursor }} }}"
        for i in range(12)
    )
    await both(pool, f'{{ area(code: "510129") {{ {fields} }} }}')


async def test_nodes_only_pages_and_literal_page_sizes(pool, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Lists of nodes alone skip the numbering cursors need, and page sizes written in the
    document become constants of the statement: both must change nothing in the answer,
    forwards and backwards, with filters, cursors and a totalCount-only selection."""
    first = await both(pool, "{ residents(first: 2, orderBy: {field: NAME}) { edges { cursor } } }")
    after = first["data"]["residents"]["edges"][-1]["cursor"]
    names = "{ nodes { name } }"
    for head, args, selection, variables in (
        ("", "first: 4, orderBy: {field: BIRTH_DATE, direction: DESC}", names, None),
        ("($n: Int)", "first: $n, orderBy: {field: NAME}", names, {"n": 3}),
        ("", "last: 2, orderBy: {field: NAME}", names, None),
        ("($a: String)", "first: 2, after: $a, orderBy: {field: NAME}", names, {"a": after}),
        ("($b: String)", "last: 5, before: $b, orderBy: {field: NAME}", names, {"b": after}),
        ("", 'filter: {nameContains: "王"}, first: 1', "{ totalCount }", None),
        ("($a: String)", "filter: {gender: FEMALE}, after: $a, orderBy: {field: NAME}",
         "{ totalCount __typename }", {"a": after}),
    ):  # fmt: skip
        query = f"query{head} {{ residents({args}) {selection} }}"
        answer = await both(pool, query, variables)
        assert "errors" not in answer, answer
    three = await both(pool, "{ residents(first: 3, orderBy: {field: NAME}) { nodes { name } } }")
    assert len(three["data"]["residents"]["nodes"]) == 3


async def test_subtree_pages_read_whole_or_walked(pool, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """An area's residents and households are read in two ways by the compiled statement:
    a village or smaller subtree whole and sorted, a larger one by walking the order's
    index (db.mapping.subtree). Both must page exactly as the resolver path does, forwards
    and backwards, in either direction, and see the same rows."""
    query = """query($code: String!, $first: Int, $after: String, $last: Int, $before: String,
                     $dir: OrderDirection!) {
      area(code: $code) { residents(first: $first, after: $after, last: $last, before: $before,
                                    orderBy: {field: BIRTH_DATE, direction: $dir}) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { name } } }
        households(first: 1) { nodes { room members { name } } } } }"""
    seen = {}
    for code in ("510129", "510129101", "510129101201", "510129101201-01"):
        for direction in ("ASC", "DESC"):
            forwards: list[str] = []
            cursor = None
            while True:
                variables = {"code": code, "first": 2, "after": cursor, "dir": direction}
                area = (await both(pool, query, variables))["data"]["area"]
                page = area["residents"]
                forwards += [e["node"]["name"] for e in page["edges"]]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                cursor = page["pageInfo"]["endCursor"]
            backwards: list[str] = []
            cursor = None
            while True:
                variables = {"code": code, "last": 2, "before": cursor, "dir": direction}
                page = (await both(pool, query, variables))["data"]["area"]["residents"]
                backwards = [e["node"]["name"] for e in page["edges"]] + backwards
                if not page["pageInfo"]["hasPreviousPage"]:
                    break
                cursor = page["pageInfo"]["startCursor"]
            assert forwards == backwards
            assert len(forwards) == page["totalCount"]
            seen[code, direction] = forwards
    # the county holds the fixture's six residents, the compound three of them, in the
    # county's order
    county, compound = seen["510129", "ASC"], seen["510129101201-01", "ASC"]
    assert len(county) == 6 and len(compound) == 3
    assert [name for name in county if name in compound] == compound
    assert seen["510129", "DESC"] == county[::-1]


def test_the_service_compiles_every_domain() -> None:
    """A process holding only the service, as `gongzhi serve` does, compiles the grid's
    and the needs' fields too. Their compile rules register on import, and for a while
    nothing in the service imported them: there they went to the resolver path, while the
    tests (importing more) compiled them."""
    program = textwrap.dedent(
        """
        from starlette.routing import Route
        from gongzhi.app import create_app
        from gongzhi.settings import Settings
        app = create_app(Settings(database_url="postgresql://unused/x", jwt_secret="k" * 40))
        endpoint = next(r.endpoint for r in app.routes
                        if isinstance(r, Route) and r.path == "/graphql")
        query = '''{ area(code: "51") { grid { totalCount } needs { totalCount }
                     microProjectStats { budgetFen } } }'''
        print(endpoint.compiled.prepare(query, None, None) is not None)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "True", out.stderr
