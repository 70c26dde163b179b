"""What goes into the monthly report intake and what comes out (validation.reports_intake)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg

from validation.report_rows import ReportRows
from validation.report_verdicts import RowVerdict


class Database(Protocol):
    """Where a submission is checked and stored: a pool, and (for the service) the
    principal whose row-level security applies to what is stored. A principal's session
    (db.session.Session) is one; ``PoolDatabase`` is a pool used as its login role (the
    operator's CLI)."""

    pool: asyncpg.Pool


class PoolDatabase:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.principal = None


class IntakeRefused(Exception):
    """The database refused to store the submission for its principal (row-level
    security: an area outside the principal's scope). Nothing of it was stored."""


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    atomic: bool = False
    revise: bool = False


@dataclass
class Submission:
    rows: ReportRows
    options: Options
    source: str  # "cli" or "graphql"
    submitted_by: str
    database: Database
    # an open quarantined row this submission corrects or resubmits: (id, status)
    resolves: tuple[int, str] | None = None
    # told (stage, rows) as the rows pass each stage: "validated", then "stored"
    progress: Callable[[str, int], None] | None = None
    run_id: uuid.UUID = field(default_factory=uuid.uuid4)
    # filled by the intake: each column's parsed values (None where missing or breaking
    # its format), and each row's figures (None where one is)
    parsed: dict[str, list[Any]] = field(default_factory=dict)
    figures: list[Any] = field(default_factory=list)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass
class IntakeResult:
    run_id: uuid.UUID
    suite: str
    suite_version: str
    stored: bool
    verdicts: list[RowVerdict]
    run_stored: bool  # False for a dry run: nothing at all was written

    @property
    def accepted(self) -> list[RowVerdict]:
        return [v for v in self.verdicts if v.accepted]

    @property
    def rejected(self) -> list[RowVerdict]:
        return [v for v in self.verdicts if not v.accepted]

    def contract_json(self) -> dict[str, Any]:
        """The result object of contract section 2, exactly."""

        def findings(items: Sequence[Any]) -> list[dict[str, str]]:
            return [{"rule": f.rule, "message": f.message} for f in items]

        return {
            "run_id": str(self.run_id),
            "suite": self.suite,
            "rows": len(self.verdicts),
            "stored": self.stored,
            "accepted": [
                {
                    "row": v.row,
                    "area_code": v.area_code,
                    "period": v.period,
                    "warnings": findings(v.warnings),
                }
                for v in self.accepted
            ],
            "rejected": [
                {
                    "row": v.row,
                    "area_code": v.area_code,
                    "period": v.period,
                    "errors": findings(v.errors),
                    "warnings": findings(v.warnings),
                }
                for v in self.rejected
            ],
        }
