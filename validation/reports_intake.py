"""The monthly report intake (contract section 2), shared by the CLI and GraphQL.

parse -> one DataFrame for every submission that arrived within the coalescing window ->
the suite in ONE Great Expectations run (worker processes) -> the checks that need stored
data in ONE SQL statement -> accepted rows stored and rejected rows quarantined, with
the validation runs, in ONE transaction per database. Each submission then gets its own
result, findings attributed to its own rows.
"""

from __future__ import annotations

import asyncio
import atexit
import bisect
import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from db import reports_intake as db
from validation.coalescer import Coalescer
from validation.gx_pool import SuitePool
from validation.intake_types import (
    Database,
    IntakeRefused,
    IntakeResult,
    Options,
    PoolDatabase,
    Submission,
)
from validation.report_verdicts import Judge, Parser, RowVerdict, current_period, thresholds
from validation.suite import Suite, SuiteError, load_suite, suite_path

log = logging.getLogger(__name__)

__all__ = [
    "Database",
    "Intake",
    "IntakeRefused",
    "IntakeResult",
    "Options",
    "PoolDatabase",
    "Submission",
    "get_intake",
    "submit",
]

SUITE = "community_monthly_report"
CONTRACT_RULES = frozenset({f"E{n}" for n in range(1, 11)} | {f"W{n}" for n in range(1, 5)})


class Intake:
    def __init__(self, suite: Suite, *, workers: int = 1, window: float = 0.01) -> None:
        missing = CONTRACT_RULES - set(suite.rules)
        extra = set(suite.rules) - CONTRACT_RULES
        if missing or extra:
            raise SuiteError(
                f"{suite.path.name}: rules differ from the contract "
                f"(missing {sorted(missing)}, unknown {sorted(extra)})"
            )
        self.suite = suite
        self.workers = SuitePool(suite, workers=workers)
        self.judge = Judge(suite)
        self.parser = Parser(suite)
        self.thresholds = thresholds(suite)
        self.coalescer: Coalescer[Submission, IntakeResult] = Coalescer(
            self._process, window=window, size=lambda s: max(len(s.rows), 1), concurrency=workers
        )

    async def ready(self) -> None:
        await self.workers.ready()

    async def submit(self, submission: Submission) -> IntakeResult:
        return await self.coalescer.submit(submission)

    def close(self) -> None:
        self.workers.close()

    # -- one batch -------------------------------------------------------------------
    async def _process(self, subs: list[Submission]) -> list[IntakeResult | BaseException]:
        columns: dict[str, list[str | None]] = {c: [] for c in self.suite.columns}
        offsets = []
        for s in subs:
            offsets.append(len(columns["area_code"]))
            for c, values in columns.items():
                values.extend(s.rows.columns[c])
        parameters = {"current_period": current_period()}

        async def validate() -> list[list[tuple[int, int, str]]]:
            found = await self.workers.validate(columns, parameters)
            per_sub: list[list[tuple[int, int, str]]] = [[] for _ in subs]
            for pos, index, message in found:
                k = _owner(offsets, pos)
                per_sub[k].append((pos - offsets[k], index, message))
            _tell(subs, "validated")
            return per_sub

        # Great Expectations (in a worker process) and the SQL checks (in PostgreSQL) run
        # at the same time; the verdicts need both.
        gx = asyncio.ensure_future(validate())
        results: list[IntakeResult | BaseException] = [RuntimeError("not processed")] * len(subs)
        by_pool: dict[int, list[int]] = {}
        for k, s in enumerate(subs):
            by_pool.setdefault(id(s.database.pool), []).append(k)
        try:
            for ks in by_pool.values():
                await self._store_all(subs, ks, gx, results)
        finally:
            if not gx.done():
                gx.cancel()
        _tell(subs, "stored")
        return results

    async def _store_all(
        self,
        subs: list[Submission],
        ks: list[int],
        gx: asyncio.Future[list[list[tuple[int, int, str]]]],
        results: list[IntakeResult | BaseException],
    ) -> None:
        try:
            await self._store(subs, ks, gx, results)
        except Exception as exc:
            if len(ks) == 1 or (gx.done() and gx.exception() is not None):
                for k in ks:
                    results[k] = exc
                return
            # one submission's failure must not fail the others: each on its own
            log.warning("intake batch failed (%s); retrying its submissions one by one", exc)
            for k in ks:
                try:
                    await self._store(subs, [k], gx, results)
                except Exception as single:
                    results[k] = single

    async def _store(
        self,
        subs: list[Submission],
        ks: list[int],
        gx: asyncio.Future[list[list[tuple[int, int, str]]]],
        results: list[IntakeResult | BaseException],
    ) -> None:
        """One transaction for the submissions ``ks`` (one database): the checks for all of
        them in one statement, then each principal's writes in a savepoint under that
        principal's settings, so row-level security judges every row stored."""
        pool = subs[ks[0]].database.pool
        async with pool.acquire() as conn, conn.transaction():
            with_principals = any(subs[k].database.principal is not None for k in ks)
            if with_principals:
                # the checks see every area and report (W4 compares sibling villages)
                await db.act_as(conn, db.CHECKER)
            if any(not subs[k].options.dry_run for k in ks):
                await db.lock(conn)
            inputs = db.CheckInput()
            for j, k in enumerate(ks):
                subs[k].parsed = self.parser.parse(subs[k].rows)
                self.parser.add_check_input(inputs, j, subs[k].parsed)
            facts = await db.check_rows(conn, inputs, self.thresholds)
            by_sub: list[dict[int, Any]] = [{} for _ in ks]
            for (j, pos), fact in facts.items():
                by_sub[j][pos] = fact
            staged = []
            for j, k in enumerate(ks):
                subs[k].figures = self.parser.all_figures(subs[k].parsed)
                if not subs[k].options.dry_run:
                    staged.extend(self._candidates(k, subs[k], by_sub[j]))
            if staged:
                await db.stage(conn, staged)
            per_sub = await asyncio.shield(gx)
            taken: dict[tuple[int, dt.date], int] = {}
            groups: dict[Any, list[int]] = {}
            for j, k in enumerate(ks):
                groups.setdefault(subs[k].database.principal, []).append(j)
            for principal, js in groups.items():
                parts = [js]
                while parts:
                    part = parts.pop(0)
                    try:
                        taken = await self._write(
                            conn, principal if with_principals else None,
                            [(ks[j], subs[ks[j]], per_sub[ks[j]], by_sub[j]) for j in part],
                            taken, results,
                        )  # fmt: skip
                    except asyncpg.InsufficientPrivilegeError as exc:
                        if len(part) > 1:  # find whose rows are refused: each on its own
                            parts[:0] = [[j] for j in part]
                            continue
                        results[ks[part[0]]] = IntakeRefused(
                            f"not allowed to store these reports: {exc}"
                        )

    @staticmethod
    def _candidates(k: int, s: Submission, facts: dict[int, Any]) -> list[db.StagedReport]:
        """The rows of submission ``k`` that may be stored, whatever Great Expectations
        says of them: valid figures and month, a village, a submitter."""
        periods, by = s.parsed["period"], s.parsed["submitted_by"]
        return [
            db.StagedReport(
                k, i, fact["area_id"], fact["area_path"], periods[i], by[i], s.figures[i]
            )
            for i, fact in facts.items()
            if s.figures[i] is not None
            and fact["area_level"] == "village"
            and periods[i] is not None
            and by[i] is not None
        ]

    async def _write(
        self,
        conn: asyncpg.Connection,
        principal: Any,
        items: list[tuple[int, Submission, list[tuple[int, int, str]], dict[int, Any]]],
        taken: dict[tuple[int, dt.date], int],
        results: list[IntakeResult | BaseException],
    ) -> dict[tuple[int, dt.date], int]:
        """Judge and store submissions of one principal in a savepoint under that
        principal's settings; returns the versions claimed so far in the batch."""
        claimed = dict(taken)
        plan = _Writes()
        done = {}
        for k, s, gx_findings, facts in items:
            verdicts = self.judge.verdicts(s.rows, gx_findings, facts, revise=s.options.revise)
            done[k] = self._settle(k, s, verdicts, facts, claimed, plan)
        if plan.runs:
            async with conn.transaction():
                if principal is not None:
                    await db.act_as(conn, principal)
                ids = await db.store(
                    conn, plan.runs, plan.reports, plan.findings, plan.quarantine, plan.resolved
                )
            for r in done.values():
                for v in r.rejected:
                    v.quarantine_id = ids.get((r.run_id, v.row))
        for k, r in done.items():
            results[k] = r
        return claimed

    def _settle(
        self,
        k: int,
        s: Submission,
        verdicts: list[RowVerdict],
        facts: dict[int, Any],
        taken: dict[tuple[int, dt.date], int],
        plan: _Writes,
    ) -> IntakeResult:
        """Decide versions and what is written for one submission of the batch."""
        for v in verdicts:
            if not v.accepted or v.area_id is None:
                continue
            key = (v.area_id, s.parsed["period"][v.index])
            if key in taken and not s.options.revise:
                v.findings.append(self.judge.taken_meanwhile(v))
        for v in verdicts:
            v.sort()
        rejected = sum(not v.accepted for v in verdicts)
        stored = not s.options.dry_run and not (s.options.atomic and rejected)
        result = IntakeResult(
            s.run_id, self.suite.name, self.suite.version, stored, verdicts, not s.options.dry_run
        )
        if s.options.dry_run:
            return result
        if stored:
            for v in result.accepted:
                period = s.parsed["period"][v.index]
                key = (v.area_id, period)
                stored_version = facts[v.index]["stored_version"] or 0
                v.version = max(stored_version, taken.get(key, 0)) + 1
                taken[key] = v.version
                plan.reports.append(db.ReportWrite(s.run_id, v.row, k, v.index, v.version))
        plan.add_run(s, result, self.suite)
        if s.resolves is not None:
            plan.resolved.append(
                db.Resolution(s.resolves[0], s.resolves[1], s.run_id, s.submitted_by)
            )
        return result


def _tell(subs: list[Submission], stage: str) -> None:
    for s in subs:
        if s.progress is not None:
            s.progress(stage, len(s.rows))


def _owner(offsets: list[int], pos: int) -> int:
    """The submission a row of the combined frame belongs to (the last one starting at or
    before it: an empty submission shares its offset with the next)."""
    return bisect.bisect_right(offsets, pos) - 1


@dataclass
class _Writes:
    runs: list[db.RunWrite] = field(default_factory=list)
    reports: list[db.ReportWrite] = field(default_factory=list)
    findings: list[db.FindingWrite] = field(default_factory=list)
    quarantine: list[db.QuarantineWrite] = field(default_factory=list)
    resolved: list[db.Resolution] = field(default_factory=list)

    def add_run(self, s: Submission, result: IntakeResult, suite: Suite) -> None:
        o = s.options
        self.runs.append(
            db.RunWrite(
                s.run_id,
                suite.name,
                suite.version,
                s.submitted_by,
                s.source,
                o.dry_run,
                o.atomic,
                o.revise,
                len(result.verdicts),
                len(result.accepted),
                len(result.rejected),
                sum(len(v.warnings) for v in result.verdicts),
                result.stored,
                s.started_at,
                dt.datetime.now(dt.UTC),
            )
        )
        previous = s.resolves[0] if s.resolves else None
        for v in result.verdicts:
            for f in v.findings:
                self.findings.append(
                    db.FindingWrite(
                        s.run_id,
                        v.row,
                        v.area_code,
                        v.period,
                        v.area_path,
                        f.rule,
                        f.severity,
                        f.message,
                    )
                )
            if not v.accepted:
                self.quarantine.append(
                    db.QuarantineWrite(
                        s.run_id,
                        v.row,
                        v.area_code,
                        v.period,
                        v.area_path,
                        s.rows.row(v.index),
                        [
                            {"rule": f.rule, "severity": f.severity, "message": f.message}
                            for f in v.findings
                        ],
                        previous,
                    )
                )


# -- one intake per process -------------------------------------------------------------

_intake: Intake | None = None
_lock = threading.Lock()


def get_intake(*, workers: int | None = None) -> Intake:
    """The process's intake: its suite loaded and checked, workers started on first use.

    ``GONGZHI_INTAKE_WORKERS`` (default 1) and ``GONGZHI_INTAKE_WINDOW_MS`` (default 10)
    size the worker pool and the coalescing window.
    """
    global _intake
    with _lock:
        if _intake is None:
            suite = load_suite(suite_path(SUITE), sql_checks=db.SQL_CHECKS)
            n = workers or int(os.environ.get("GONGZHI_INTAKE_WORKERS", "1"))
            window = float(os.environ.get("GONGZHI_INTAKE_WINDOW_MS", "10")) / 1000
            _intake = Intake(suite, workers=n, window=window)
            atexit.register(shutdown)
        return _intake


def shutdown() -> None:
    global _intake
    with _lock:
        intake, _intake = _intake, None
    if intake is not None:
        intake.close()


async def submit(submission: Submission) -> IntakeResult:
    return await get_intake().submit(submission)


async def drain() -> None:
    if _intake is not None:
        await _intake.coalescer.drain()
