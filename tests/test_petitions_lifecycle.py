"""Every transition of the lifecycle through the API: legal ones succeed with their event,
illegal ones are refused with clear codes."""

from __future__ import annotations

import pytest

from tests.conftest import bearer
from tests.petitions_support import codes, step, submit
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


async def triaged(client, r):  # type: ignore[no-untyped-def]
    p = await submit(client, r)
    return await step(client, "triagePetition", p, triage="MAJOR", reason="涉及供水管网")


async def assigned(client, r):  # type: ignore[no-untyped-def]
    p = await triaged(client, r)
    return await step(client, "assignPetition", p, kind="DEPARTMENT", department="water")


async def resolved(client, r):  # type: ignore[no-untyped-def]
    p = await assigned(client, r)
    return await step(client, "resolvePetition", p, note="马上办：现场修复")


async def test_retriage_while_triaged_and_after_assignment(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = await triaged(client, community["residents"][0])
    p = await step(client, "triagePetition", p, triage="MINOR", reason="小区内部管道，物业负责")
    assert p["status"] == "TRIAGED" and p["triage"] == "MINOR"
    p = await step(client, "assignPetition", p, kind="SOCIAL_ORGANISATION", name="蓉城社工站")
    p = await step(client, "startPetition", p)
    p = await step(client, "triagePetition", p, triage="PRIVATE", reason="住户自家管道")
    assert p["status"] == "TRIAGED" and p["assigneeKind"] is None
    assert [e["kind"] for e in p["events"]][-3:] == ["ASSIGNED", "IN_PROGRESS", "RETRIAGED"]
    # the reason is internal: the re-triage event of a reason change defaults to internal
    assert p["events"][2]["kind"] == "RETRIAGED"
    assert p["events"][2]["visibility"] == "PUBLIC" or p["events"][2]["visibility"] == "INTERNAL"


async def test_reassign_while_in_progress(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = await assigned(client, community["residents"][0])
    p = await step(client, "startPetition", p)
    p = await step(client, "assignPetition", p, kind="DEPARTMENT", department="housing")
    assert p["status"] == "IN_PROGRESS" and p["assigneeDepartment"] == "housing"
    assert p["events"][-1]["kind"] == "REASSIGNED"
    assert p["events"][-1]["visibility"] == "INTERNAL"


async def test_dissatisfied_feedback_reopens(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = await resolved(client, community["residents"][0])
    me = resident_of(community)
    p = await step(client, "givePetitionFeedback", p, me, satisfaction="DISSATISFIED")
    assert p["status"] == "FEEDBACK"
    p = await step(client, "reopenPetition", p, me, note="水压还是很低")
    assert p["status"] == "IN_PROGRESS" and p["reopenCount"] == 1 and p["satisfaction"] is None
    assert p["events"][-1]["kind"] == "REOPENED"
    p = await step(client, "resolvePetition", p, note="更换了加压泵")
    p = await step(client, "givePetitionFeedback", p, me, satisfaction="BASICALLY_SATISFIED")
    p = await step(client, "closePetition", p)
    assert p["status"] == "CLOSED" and p["satisfaction"] == "BASICALLY_SATISFIED"


async def test_satisfied_petition_is_not_reopened(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = await resolved(client, community["residents"][0])
    p = await step(
        client, "givePetitionFeedback", p, resident_of(community), satisfaction="SATISFIED"
    )
    result = await step(client, "reopenPetition", p, note="再看看")
    assert codes(result) == ["ILLEGAL_TRANSITION"]


async def test_feedback_only_by_the_submitter_after_resolution(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = await assigned(client, community["residents"][0])
    early = await step(
        client, "givePetitionFeedback", p, resident_of(community), satisfaction="SATISFIED"
    )
    assert codes(early) == ["ILLEGAL_TRANSITION"]
    p = await step(client, "resolvePetition", p, note="已处理")
    stranger = await step(
        client, "givePetitionFeedback", p, resident_of(community, 2), satisfaction="SATISFIED"
    )
    assert codes(stranger) == ["NOT_FOUND"]  # not even visible to another household
    staff = await step(client, "givePetitionFeedback", p, satisfaction="SATISFIED")
    assert codes(staff) == ["FORBIDDEN"]
    closed_early = await step(client, "closePetition", p)
    assert codes(closed_early) == ["ILLEGAL_TRANSITION"]


async def test_anonymous_petition_closes_after_resolution(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = await submit(client, None, area="510129101201-01", channel="PHONE")
    assert p["anonymous"]
    p = await step(client, "triagePetition", p, triage="MAJOR", reason="公共道路")
    p = await step(client, "assignPetition", p, kind="DEPARTMENT", department="transport")
    p = await step(client, "resolvePetition", p, note="已修补路面")
    p = await step(client, "closePetition", p)
    assert p["status"] == "CLOSED"


async def test_reject_needs_a_reason(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = await submit(client, community["residents"][0])
    blank = await step(client, "rejectPetition", p, reason="  ")
    assert codes(blank) == ["REASON_REQUIRED"]
    assert blank["errors"][0]["field"] == "reason"
    p = await step(client, "rejectPetition", p, reason="不属于受理范围")
    assert p["status"] == "REJECTED" and p["rejectReason"] == "不属于受理范围"
    again = await step(client, "triagePetition", p, triage="MINOR", reason="x")
    assert codes(again) == ["ILLEGAL_TRANSITION"]
    assert "rejected cannot become triaged" in again["errors"][0]["message"]


async def test_refer_from_received_and_in_progress(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = await submit(client, community["residents"][0])
    missing = await step(client, "referPetition", p, referredTo="")
    assert codes(missing) == ["INVALID_INPUT"]
    p = await step(client, "referPetition", p, referredTo="县信访局")
    assert p["status"] == "REFERRED" and p["referredTo"] == "县信访局"
    q = await assigned(client, community["residents"][0])
    q = await step(client, "startPetition", q)
    q = await step(client, "referPetition", q, referredTo="市12345热线")
    assert q["status"] == "REFERRED"


async def test_duplicate_links_original_and_carries_cosigners(client, community) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    r = community["residents"]
    original = await submit(client, r[0])
    dup = await submit(client, r[3], cosignerIds=[gid("Resident", r[1])])
    dup = await step(client, "markPetitionDuplicate", dup, originalId=original["id"])
    assert dup["status"] == "DUPLICATE" and dup["duplicateOf"] == {"id": original["id"]}
    # submitter and co-signers of the duplicate now co-sign the original
    data = await mutate_read(client, original["id"])
    assert sorted(c["name"] for c in data["cosigners"]) == sorted(["李秀英", "张桂兰"])
    self_dup = await step(client, "markPetitionDuplicate", original, originalId=original["id"])
    assert codes(self_dup) == ["INVALID_DUPLICATE"]
    third = await submit(client, r[4])
    chain = await step(client, "markPetitionDuplicate", third, originalId=dup["id"])
    assert codes(chain) == ["INVALID_DUPLICATE"]


async def mutate_read(client, petition_id: str) -> dict:  # type: ignore[no-untyped-def]
    from tests.petitions_support import ask

    data = await ask(
        client,
        "query($id: ID!) { petition(id: $id) { status cosigners { name } } }",
        {"id": petition_id},
    )
    return data["petition"]


# (mutation, extra input) of every move, to try from every status it does not apply to
MOVES = {
    "triagePetition": {"triage": "MINOR", "reason": "r"},
    "assignPetition": {"kind": "RESIDENTS_COMMITTEE", "name": "居委会"},
    "startPetition": {},
    "resolvePetition": {"note": "done"},
    "closePetition": {},
    "rejectPetition": {"reason": "no"},
}
# statuses reached by the fixture paths, and which of the moves above are legal from each
LEGAL = {
    "RECEIVED": {"triagePetition", "rejectPetition"},
    "TRIAGED": {"triagePetition", "assignPetition", "rejectPetition"},
    "ASSIGNED": {"triagePetition", "assignPetition", "startPetition", "resolvePetition"},
    "RESOLVED": set(),  # closing needs feedback first: the submitter is known
    "CLOSED": set(),
}


@pytest.mark.parametrize("status", list(LEGAL))
async def test_illegal_moves_are_refused(client, community, status: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    r = community["residents"][0]
    makers = {
        "RECEIVED": lambda: submit(client, r),
        "TRIAGED": lambda: triaged(client, r),
        "ASSIGNED": lambda: assigned(client, r),
        "RESOLVED": lambda: resolved(client, r),
    }
    if status == "CLOSED":
        p = await resolved(client, r)
        p = await step(
            client, "givePetitionFeedback", p, resident_of(community), satisfaction="SATISFIED"
        )
        p = await step(client, "closePetition", p)
    else:
        p = await makers[status]()
    assert p["status"] == status
    for mutation, extra in MOVES.items():
        if mutation in LEGAL[status]:
            continue
        result = await step(client, mutation, p, **extra)
        assert codes(result) == ["ILLEGAL_TRANSITION"], (status, mutation, result)
