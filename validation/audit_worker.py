"""What runs inside an audit worker process: one audit suite through Great Expectations
against PostgreSQL, and its Data Docs page.

Like the intake's workers (validation/gx_worker.py) a worker is a single-threaded process
that builds its Great Expectations context once; it keeps one SQL data source per
database URL, with a table asset per suite table. Every check is one query run in the
database by ``expect_no_audit_findings``; only failing rows come back. The connection is
read-only (``default_transaction_read_only``): an audit never writes through it
(``CONNECTION_OPTIONS``).

A sharded check (``shard:`` in its suite) is given to Great Expectations as ``shards``
copies of its query over ranges of the key, split evenly between the key's lowest and
highest value as read when the suite starts (validation/audit_suite.py ``shard_ranges``);
the expectation runs them concurrently.

Output crosses the process boundary as plain data (``SuiteOutcome``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from validation.audit_suite import (
    SHARD_KEYS,
    AuditSuite,
    Scope,
    bind,
    load_audit_suite,
    shard_ranges,
)
from validation.gx_worker import _exception_message, _exit_with, _raised

# Rows per check shown on a Data Docs page (every row is stored and queryable).
DOCS_ROWS = 20
# The audit's sessions: read-only, UTC, no parallel plans, and 64 MB of work_mem (the
# server's default is 4 MB). The audit brings its own concurrency (suites in several
# workers, sharded checks as concurrent queries), and a parallel plan of P2 computed its
# inner aggregate once in each of its three processes (three times the CPU, which the
# shards and the other suites then lack). With 64 MB, K4 groups a million petitions in a
# hash table instead of sorting them on disk (1.3 s of CPU instead of 1.7). A node
# rarely needs it all: the checks return failing rows only.
CONNECTION_OPTIONS = (
    "-c default_transaction_read_only=on -c timezone=UTC -c max_parallel_workers_per_gather=0"
    " -c work_mem=64MB"
)


@dataclass(frozen=True)
class CheckOutcome:
    rule: str
    status: str  # passed | failed | broken
    rows: list[dict[str, Any]]
    error: str | None
    seconds: float


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    version: str
    checks: list[CheckOutcome] = field(default_factory=list)
    html: str = ""


def sqlalchemy_url(url: str) -> str:
    """An asyncpg-style URL (postgresql://...) as SQLAlchemy's psycopg URL."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql+psycopg"))


class AuditRunner:
    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        import validation.audit_expectations  # noqa: F401  (registers the expectation)

        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self._sources: dict[str, Any] = {}
        self._batches: dict[tuple[str, str], Any] = {}

    def _source(self, url: str) -> Any:
        source = self._sources.get(url)
        if source is None:
            source = self.context.data_sources.add_sql(
                f"db{len(self._sources)}",
                connection_string=sqlalchemy_url(url),
                kwargs={"connect_args": {"options": CONNECTION_OPTIONS}},
            )
            self._sources[url] = source
        return source

    def _batch_definition(self, url: str, table: str) -> Any:
        key = (url, table)
        if key not in self._batches:
            asset = self._source(url).add_table_asset(table, table_name=table)
            self._batches[key] = asset.add_batch_definition_whole_table(table)
        return self._batches[key]

    def _key_ranges(self, url: str, key: str, shards: int) -> list[tuple[int, int]]:
        if shards <= 1:
            return shard_ranges(None, None, 1)
        from sqlalchemy import text

        table, column = SHARD_KEYS[key]
        with self._source(url).get_engine().connect() as connection:
            lowest, highest = connection.execute(
                text(f"SELECT min({column}), max({column}) FROM {table}")
            ).one()
        return shard_ranges(lowest, highest, shards)

    def run(self, url: str, suite: AuditSuite, scope: Scope, shards: int = 1) -> SuiteOutcome:
        from validation.audit_expectations import ExpectNoAuditFindings

        ranges = {
            key: self._key_ranges(url, key, shards)
            for key in sorted({c.shard for c in suite.checks if c.shard is not None})
        }
        gx_suite = self.gx.ExpectationSuite(name=f"audit.{suite.name}")
        for n, check in enumerate(suite.checks):
            keys = ranges[check.shard] if check.shard is not None else []
            gx_suite.add_expectation(
                ExpectNoAuditFindings(
                    audit_query=bind(check, scope),
                    # one range: the whole query, no shards
                    audit_shards=tuple(bind(check, scope, k) for k in keys if len(keys) > 1),
                    meta={
                        "rule": check.rule,
                        "index": n,
                        "severity": check.severity,
                        "text": check.text,
                    },
                    notes=f"{check.rule} ({check.severity}): {check.text}",
                )
            )
        if len(gx_suite.expectations) != len(suite.checks):
            raise RuntimeError(
                f"{suite.name}: Great Expectations kept {len(gx_suite.expectations)} of "
                f"{len(suite.checks)} checks"
            )
        batch = self._batch_definition(url, suite.table).get_batch()
        started = time.perf_counter()
        result = batch.validate(gx_suite, result_format={"result_format": "COMPLETE"})
        # Great Expectations runs the checks' queries in one pass; time is shared out evenly
        seconds = (time.perf_counter() - started) / max(len(suite.checks), 1)
        outcomes: dict[int, CheckOutcome] = {}
        for r in result.results:
            index = int((r.expectation_config.meta or {})["index"])
            rule = suite.checks[index].rule
            if _raised(r.exception_info):
                outcomes[index] = CheckOutcome(
                    rule, "broken", [], _exception_message(r.exception_info), seconds
                )
                continue
            rows = [_plain(row) for row in r.result["details"]["failing_rows"]]
            outcomes[index] = CheckOutcome(
                rule, "passed" if r.success else "failed", rows, None, seconds
            )
            # the page shows a sample; the run stores every row
            r.result["details"]["failing_rows"] = rows[:DOCS_ROWS]
        missing = [c.rule for n, c in enumerate(suite.checks) if n not in outcomes]
        if missing:
            raise RuntimeError(f"{suite.name}: no result for {', '.join(missing)}")
        return SuiteOutcome(
            suite.name,
            suite.version,
            [outcomes[n] for n in range(len(suite.checks))],
            _render(result),
        )


# values JSON takes as they are (checked by exact type first: a run may return 20,000 rows)
_JSON_TYPES = frozenset({str, int, float, bool, type(None)})


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A result row as JSON-ready values (stored in the finding's details)."""
    return {
        key: value if type(value) in _JSON_TYPES else _plain_value(value)
        for key, value in row.items()
    }


def _plain_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str | int | float | bool):  # subclasses (an enum's str, ...)
        return value
    return str(value)  # UUID and anything else


def _render(result: Any) -> str:
    """Great Expectations' own Data Docs page for one validation result."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer

    from validation.audit_preload import page_view

    document = ValidationResultsPageRenderer().render(result)
    return str(page_view().render(document))


# -- the worker process's entry points ---------------------------------------------------

_runner: AuditRunner | None = None


def init_worker(parent_pid: int) -> None:
    global _runner
    _exit_with(parent_pid)
    warnings.filterwarnings("ignore", module="great_expectations")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    _runner = AuditRunner()


def ping() -> bool:
    return _runner is not None


def run_suite(
    url: str, suite_file: str, scope_path: str, period: str | None, shards: int = 1
) -> SuiteOutcome:
    assert _runner is not None, "init_worker did not run"
    suite = load_audit_suite(Path(suite_file))
    scope = Scope(scope_path, dt.date.fromisoformat(period) if period else None)
    return _runner.run(url, suite, scope, shards)
