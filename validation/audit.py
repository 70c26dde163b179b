"""Running an audit: the chosen suites through Great Expectations (in worker processes)
against PostgreSQL, then the run stored in one transaction (db/audit_runs.py).

Shared by ``gongzhi audit run`` and the ``runAudit`` mutation. Great Expectations is
imported only in the workers (seconds of import, and it holds the GIL): the workers are
started from a forkserver that preloads it, as the intake's are (validation/gx_pool.py).

The suites of a run go to the workers at once (``GONGZHI_AUDIT_WORKERS``, default 2: the
cheap suites run while the petitions suite does), and a sharded check runs as
``GONGZHI_AUDIT_SHARDS`` concurrent queries (default: the machine's cores). Each suite
reads its own snapshot, as when they ran one after another.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import logging
import multiprocessing
import os
import threading
import uuid
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import asyncpg

from db import audit_runs as db
from validation import audit_worker
from validation.audit_suite import AuditSuite, Scope, fingerprint, load_audit_suites

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuditRequest:
    suites: Sequence[str] | None = None  # None: every suite
    area_code: str | None = None
    period: dt.date | None = None
    started_by: str = "unknown"
    source: str = "cli"  # cli | graphql


class ScopeError(ValueError):
    """The request names an area that does not exist (or the principal cannot see)."""


DEFAULT_WORKERS = 2


def default_shards() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def settings() -> tuple[int, int]:
    """(workers, shards) from ``GONGZHI_AUDIT_WORKERS`` and ``GONGZHI_AUDIT_SHARDS``;
    ValueError names a bad one."""
    return (
        _setting("GONGZHI_AUDIT_WORKERS", DEFAULT_WORKERS),
        _setting("GONGZHI_AUDIT_SHARDS", default_shards()),
    )


def _setting(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    return value


class AuditPool:
    """Worker processes running audit suites; started on first use."""

    def __init__(self, workers: int = DEFAULT_WORKERS, shards: int = 1) -> None:
        self.workers = workers
        self.shards = shards
        self._executor: ProcessPoolExecutor | None = None
        self._started = False
        self._lock = threading.Lock()
        self._starting = threading.Lock()

    def _start(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(
                    ["validation.audit_preload", "validation.audit_worker"]
                )
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=context,
                    initializer=audit_worker.init_worker,
                    initargs=(os.getpid(),),
                )
            return self._executor

    @property
    def started(self) -> bool:
        """Every worker is up."""
        return self._started

    async def ready(self) -> None:
        """Start every worker, in a thread: submitting to a pool whose forkserver is not
        up waits for it to import Great Expectations (seconds), which must not stall the
        caller's event loop."""
        if not self._started:
            await asyncio.to_thread(self._start_workers)

    def _start_workers(self) -> None:
        with self._starting:  # concurrent callers wait for the first one's workers
            if self._started:
                return
            executor = self._start()
            # one submission per worker at once: the executor starts a process for each
            # submission that finds none idle
            for future in [executor.submit(audit_worker.ping) for _ in range(self.workers)]:
                future.result()
            self._started = True

    async def run_suite(
        self, url: str, suite: AuditSuite, scope: Scope
    ) -> audit_worker.SuiteOutcome:
        loop = asyncio.get_running_loop()
        period = scope.period.isoformat() if scope.period else None
        try:
            await self.ready()
            return await loop.run_in_executor(
                self._start(),
                audit_worker.run_suite,
                url,
                str(suite.path),
                scope.path,
                period,
                self.shards,
            )
        except BrokenProcessPool:
            log.error("audit worker died; restarting the pool")
            self.close()
            raise

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
            self._started = False
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


_pool: AuditPool | None = None


def get_pool() -> AuditPool:
    global _pool
    if _pool is None:
        workers, shards = settings()
        _pool = AuditPool(workers=workers, shards=shards)
        atexit.register(_pool.close)
    return _pool


def shutdown() -> None:
    if _pool is not None:
        _pool.close()


Transaction = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]


async def run_audit(
    request: AuditRequest,
    url: str,
    transaction: Transaction,
    *,
    progress: Callable[[str, int], None] | None = None,
    on_stored: Callable[[asyncpg.Connection, uuid.UUID], Awaitable[None]] | None = None,
) -> uuid.UUID:
    """Run the request's suites and store the run; returns its id.

    ``url``: the database the workers read; ``transaction``: opens the transaction the
    scope is resolved in and the run is stored in (the owner's for the CLI, the
    principal's session in the service, where row-level security judges the writes).
    ``progress(suite, checks_done)`` is called as each suite finishes; ``on_stored(conn,
    run_id)`` in the storing transaction, after the run is stored (the mutation writes its
    audit-log row there).
    """
    suites = load_audit_suites(list(request.suites) if request.suites else None)
    path = ""
    if request.area_code:
        async with transaction() as conn:
            found = await db.scope_path(conn, request.area_code)
        if found is None:
            raise ScopeError(f"no area has code {request.area_code}")
        path = found
    scope = Scope(path, request.period)
    started = dt.datetime.now(dt.UTC)
    pool = get_pool()
    checks: list[db.CheckRow] = []
    findings: list[db.FindingRow] = []
    docs: dict[str, str] = {}

    async def one(suite: AuditSuite) -> audit_worker.SuiteOutcome:
        outcome = await pool.run_suite(url, suite, scope)
        if progress is not None:
            progress(suite.name, len(suite.checks))
        return outcome

    # every suite submitted at once: the pool's workers take them in this order
    outcomes = await asyncio.gather(*(one(suite) for suite in suites))
    for suite, outcome in zip(suites, outcomes, strict=True):
        docs[suite.name] = outcome.html
        for check, result in zip(suite.checks, outcome.checks, strict=True):
            checks.append(
                db.CheckRow(
                    position=len(checks),
                    suite=suite.name,
                    suite_version=suite.version,
                    rule=check.rule,
                    severity=check.severity,
                    description=check.text,
                    status=result.status,
                    failing=len(result.rows),
                    error=result.error,
                    seconds=result.seconds,
                )
            )
            findings.extend(_findings(suite.name, check, result.rows))
    run = db.RunRow(
        id=uuid.uuid4(),
        suites={s.name: s.version for s in suites},
        scope_code=request.area_code,
        area_path=path,
        period=request.period,
        started_by=request.started_by,
        source=request.source,
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
    )
    async with transaction() as conn:
        await db.store_run(conn, run, checks, findings, docs)
        if on_stored is not None:
            await on_stored(conn, run.id)
    return run.id


def _findings(suite: str, check: Any, rows: list[dict[str, Any]]) -> list[db.FindingRow]:
    out = []
    for row in rows:
        target_id = str(row["target_id"])
        period = row.get("period")
        period_date = dt.date.fromisoformat(period[:10]) if isinstance(period, str) else None
        details = {k: v for k, v in row.items() if k not in ("target_id", "area_path", "period")}
        out.append(
            db.FindingRow(
                suite=suite,
                rule=check.rule,
                severity=check.severity,
                target_type=check.target,
                target_id=target_id,
                period=period_date,
                fingerprint=fingerprint(suite, check.rule, check.target, target_id, period),
                area_path=row.get("area_path"),
                message=_message(check.message, row),
                details=details,
            )
        )
    return out


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return f"{{{key}}}"


def _message(template: str, row: dict[str, Any]) -> str:
    return template.format_map(_Values({k: "-" if v is None else v for k, v in row.items()}))
