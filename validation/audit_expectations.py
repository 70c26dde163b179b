"""The audit's one Great Expectations expectation: a SQL query that returns the failing rows.

Great Expectations' own ``UnexpectedRowsExpectation`` runs its query twice (a count and a
fetch) and keeps at most 200 rows; an audit needs every failing row's id and must not
scan a million-row table twice. ``expect_no_audit_findings`` runs its query once, in
the database, and reports every row it returned (only failing rows: the query's WHERE
says what fails). Importing this module imports Great Expectations and registers both
the metric and the expectation.

A sharded check (validation/audit_suite.py) comes with ``audit_shards``: the same query
over disjoint ranges of its key that together cover every key. The metric then runs the
shards instead, concurrently, each on its own connection from the data source's engine
(PostgreSQL runs one query on one core; a window function is never parallelised), and
returns their rows in shard order.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.query_metrics.query_table.query_table import (
    QueryTable,
)
from great_expectations.render import LegacyRendererType
from great_expectations.render.components import RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer

METRIC = "audit_query.failing_rows"


class AuditQueryFailingRows(QueryTable):
    """Every row the audit query returns (no 200-row cap)."""

    metric_name = METRIC
    value_keys = ("audit_query", "audit_shards")
    query_param_name: ClassVar[str] = "audit_query"

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> list[dict]:
        batch_selectable, _, _ = execution_engine.get_compute_domain(
            metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE
        )
        shards = list(metric_value_kwargs.get("audit_shards") or ())
        if not shards:
            query = cls._get_query_from_metric_value_kwargs(metric_value_kwargs)
            substituted = cls._get_substituted_batch_subquery_from_query_and_batch_selectable(
                query=query, batch_selectable=batch_selectable, execution_engine=execution_engine
            )
            return cls._get_sqlalchemy_records_from_substituted_batch_subquery(
                substituted_batch_subquery=substituted,
                execution_engine=execution_engine,
                fetch_all=True,
            )
        queries = [
            cls._get_substituted_batch_subquery_from_query_and_batch_selectable(
                query=shard, batch_selectable=batch_selectable, execution_engine=execution_engine
            )
            for shard in shards
        ]
        engine = execution_engine.engine

        def fetch(query: str) -> list[dict]:
            # psycopg releases the GIL while PostgreSQL works: the shards overlap
            with engine.connect() as connection:
                return [row._asdict() for row in connection.execute(sa.text(query)).fetchall()]

        with ThreadPoolExecutor(max_workers=len(queries)) as threads:
            return [row for rows in threads.map(fetch, queries) for row in rows]


class ExpectNoAuditFindings(BatchExpectation):
    """The audit query (SQL over the batch's table, ``{batch}``) returns no row."""

    audit_query: str
    # the same query over ranges of its shard key, run instead of it when given
    audit_shards: tuple[str, ...] = ()

    metric_dependencies: ClassVar[tuple[str, ...]] = (METRIC,)
    success_keys: ClassVar[tuple[str, ...]] = ("audit_query", "audit_shards")
    domain_keys: ClassVar[tuple[str, ...]] = ("batch_id", "row_condition", "condition_parser")

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: Any = None,
    ) -> dict[str, Any]:
        rows = metrics[METRIC]
        return {
            "success": not rows,
            "result": {"observed_value": len(rows), "details": {"failing_rows": rows}},
        }

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(
        cls,
        configuration: Any = None,
        result: Any = None,
        runtime_configuration: dict | None = None,
        **kwargs: Any,
    ) -> list[RenderedStringTemplateContent]:
        """Data Docs name the rule and say what it checks (the query is in the suite file)."""
        meta = (configuration.meta if configuration is not None else None) or {}
        return [
            RenderedStringTemplateContent(
                content_block_type="string_template",
                string_template={
                    "template": "$rule ($severity): $text",
                    "params": {
                        "rule": meta.get("rule", "?"),
                        "severity": meta.get("severity", "?"),
                        "text": meta.get("text", ""),
                    },
                },
            )
        ]
