"""Every transition of the lifecycle through the API: legal ones succeed with their event,
illegal ones are refused with clear codes."""

from __future__ import annotations

from tests.conftest import bearer
from tests.petitions_support import step, submit
from tests.test_reads import community, gid  # noqa: F401  (fixture)


def resident_of(community, index: int = 0) -> dict:  # noqa: F811  # type: ignore[no-untyped-def]
    return bearer("resident", "居民", household=community["households"][index])


async def test_happy_path_to_closed(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    r = community["residents"][0]
    p = await submit(client, r)
    assert p["status"] == "RECEIVED" and p["version"] == 1
    assert [e["kind"] for e in p["events"]] == ["SUBMITTED"]
    p = await step(client, "triagePetition", p, triage="MINOR", reason="楼道公共设施，居委会负责")
    assert p["status"] == "TRIAGED" and p["triage"] == "MINOR"
    p = await step(
        client, "assignPetition", p, kind="RESIDENTS_COMMITTEE", name="大坪村村委会", note="派单"
    )
    assert p["status"] == "ASSIGNED" and p["assigneeName"] == "大坪村村委会"
    p = await step(client, "startPetition", p)
    assert p["status"] == "IN_PROGRESS"
    p = await step(client, "resolvePetition", p, note="已更换灯泡")
    assert p["status"] == "RESOLVED" and not p["isOpen"]
    p = await step(
        client, "givePetitionFeedback", p, resident_of(community), satisfaction="SATISFIED"
    )
    assert p["status"] == "FEEDBACK" and p["satisfaction"] == "SATISFIED"
    p = await step(client, "closePetition", p)
    assert p["status"] == "CLOSED" and p["version"] == 7
    kinds = [e["kind"] for e in p["events"]]
    assert kinds == [
        "SUBMITTED",
        "TRIAGED",
        "ASSIGNED",
        "IN_PROGRESS",
        "RESOLVED",
        "FEEDBACK",
        "CLOSED",
    ]
    assert p["events"][2]["note"] == "派单"
    assert p["events"][5]["actorRole"] == "resident"
