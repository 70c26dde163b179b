"""Helpers of the petition tests: mutations over HTTP, reads through both paths."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.conftest import bearer
from tests.test_reads import gid

ADMIN = bearer("admin", "admin")

PETITION_FIELDS = """id status version triage triageReason assigneeKind assigneeDepartment
    assigneeName satisfaction dueDate overdue isOpen rejectReason referredTo reopenCount
    anonymous isPublic duplicateOf { id } events { kind fromStatus toStatus note visibility
    actor actorRole } cosigners { name }"""

RESULT = (
    "... on PetitionPayload { petition { " + PETITION_FIELDS + " } } "
    "... on PetitionMutationFailed { errors { code message field } }"
)

# mutation name -> its input type
INPUTS = {
    "submitPetition": "SubmitPetitionInput",
    "triagePetition": "TriagePetitionInput",
    "assignPetition": "AssignPetitionInput",
    "startPetition": "PetitionStepInput",
    "resolvePetition": "PetitionStepInput",
    "givePetitionFeedback": "FeedbackInput",
    "closePetition": "PetitionStepInput",
    "reopenPetition": "PetitionStepInput",
    "markPetitionDuplicate": "MarkDuplicateInput",
    "referPetition": "ReferPetitionInput",
    "rejectPetition": "RejectPetitionInput",
    "setPetitionPublic": "SetPetitionPublicInput",
    "commentPetition": "CommentPetitionInput",
    "cosignPetition": "CosignPetitionInput",
}


async def mutate(
    client: httpx.AsyncClient, name: str, input: dict[str, Any], headers: dict | None = None
) -> dict[str, Any]:
    """The mutation's result: the petition, or {"errors": [...]}."""
    query = f"mutation($input: {INPUTS[name]}!) {{ {name}(input: $input) {{ {RESULT} }} }}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": {"input": input}}, headers=headers or ADMIN
    )
    body = response.json()
    assert "errors" not in body, json.dumps(body["errors"], ensure_ascii=False)
    result = body["data"][name]
    return result.get("petition", result)


def codes(result: dict[str, Any]) -> list[str]:
    assert "errors" in result, result
    return [e["code"] for e in result["errors"]]


async def submit(
    client: httpx.AsyncClient,
    submitter: int | None,
    *,
    headers: dict | None = None,
    category: str = "environment",
    area: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data = {
        "idempotencyKey": uuid.uuid4().hex,
        "channel": "WALK_IN",
        "categoryCode": category,
        "description": "楼道灯坏了，晚上很黑",
        **extra,
    }
    if submitter is not None:
        data["submitterId"] = gid("Resident", submitter)
    if area is not None:
        data["areaCode"] = area
    result = await mutate(client, "submitPetition", data, headers)
    assert "errors" not in result, result
    return result


async def step(
    client: httpx.AsyncClient,
    mutation: str,
    petition: dict[str, Any],
    headers: dict | None = None,
    **fields: Any,
) -> dict[str, Any]:
    return await mutate(
        client,
        mutation,
        {"id": petition["id"], "expectedVersion": petition["version"], **fields},
        headers,
    )


async def ask(
    client: httpx.AsyncClient,
    query: str,
    variables: dict | None = None,
    headers: dict | None = None,
) -> dict[str, Any]:
    """A read through both paths: identical bodies, the first one compiled."""
    payload = {"query": query, "variables": variables or {}}
    headers = headers or ADMIN
    first = await client.post("/graphql", json=payload, headers=headers)
    forced = await client.post(
        "/graphql", json=payload, headers={**headers, "x-gongzhi-execution": "resolver"}
    )
    assert first.headers.get("x-gongzhi-execution") == "compiled", first.text
    a, b = first.json(), forced.json()
    assert json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False), (a, b)
    assert "errors" not in a, a
    return a["data"]
