"""Reads of audit runs and findings that the mapping does not cover: a run by UUID, a run's
checks grouped by suite, the comparison of two runs. Everything else (runs, findings,
their relations) is read through the mapping (resolvers/community.py's helpers), so the
compiled path answers the same.

Every statement runs in the principal's session: row-level security (``gongzhi_audits``,
migration 0009) shows runs and findings to auditors and admins only, and to an auditor
whose token names an area only what lies inside it.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import asyncpg
from strawberry import Info, relay
from strawberry.dataloader import DataLoader

from db import audit_runs as db
from db import audit_runs_mapping  # noqa: F401  (registers the entities, compiled fields)
from resolvers import community as read

Record = asyncpg.Record


@dataclass(frozen=True)
class SuiteChecks:
    suite: str
    version: str
    checks: list[Record]


def _loader(info: Info, key: Hashable, batch: Any) -> DataLoader[Any, Any]:
    loaders = info.context.__dict__.setdefault("_audit_run_loaders", {})
    if key not in loaders:
        loaders[key] = DataLoader(load_fn=batch)
    return loaders[key]


def forget(info: Info) -> None:
    """Loaded rows are stale after a write in the same request."""
    info.context.__dict__.pop("_audit_run_loaders", None)
    info.context.reset_loaders()


def run_key(value: str) -> int | uuid.UUID | None:
    """A run named by its global id (an int key) or its UUID (as the CLI prints it);
    None for anything else (no such run)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        pass
    try:
        gid = relay.GlobalID.from_id(str(value))
        return int(gid.node_id) if gid.type_name == "AuditRun" else None
    except Exception:
        return None


def finding_key(value: str) -> int | None:
    try:
        gid = relay.GlobalID.from_id(str(value))
        return int(gid.node_id) if gid.type_name == "AuditFinding" else None
    except Exception:
        return None


async def run_seq(info: Info, value: str) -> int | None:
    key = run_key(value)
    if isinstance(key, uuid.UUID):
        return await db.run_seq(info.context.db, key)  # type: ignore[arg-type]
    return key


async def run(info: Info, value: str) -> Record | None:
    seq = await run_seq(info, value)
    return None if seq is None else await read.by_key(info, "AuditRun", seq)


async def suites(info: Info, run_id: str) -> list[SuiteChecks]:
    """The run's checks grouped by suite, suites in the order they ran."""

    async def batch(keys: list[uuid.UUID]) -> list[list[Record]]:
        found = await db.checks_of_runs(info.context.db, keys)  # type: ignore[arg-type]
        return [found[k] for k in keys]

    checks = await _loader(info, "checks", batch).load(uuid.UUID(run_id))
    grouped: dict[tuple[str, str], list[Record]] = {}
    for check in checks:
        grouped.setdefault((check["suite"], check["suite_version"]), []).append(check)
    return [SuiteChecks(s, v, c) for (s, v), c in grouped.items()]


@dataclass(frozen=True)
class Comparison:
    before: Record
    after: Record
    changes: dict[str, list[Record]]


async def comparison(info: Info, before: str, after: str) -> Comparison | None:
    """Findings new (only in ``after``), resolved (only in ``before``) and persisting (in
    both: ``after``'s rows); None when either run is unknown or not visible."""
    earlier, later = await run(info, before), await run(info, after)
    if earlier is None or later is None:
        return None
    pairs = await db.compare_ids(
        info.context.db,  # type: ignore[arg-type]
        uuid.UUID(earlier["run_id"]),
        uuid.UUID(later["run_id"]),
    )
    rows = await read.many_by_key(info, "AuditFinding", [i for _, i in pairs])
    changes: dict[str, list[Record]] = {"new": [], "resolved": [], "persisting": []}
    for (change, _), row in zip(pairs, rows, strict=True):
        if row is not None:
            changes[change].append(row)
    return Comparison(earlier, later, changes)
