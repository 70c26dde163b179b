"""Mapping of audit runs, their findings and the findings' follow-up (migration 0009), the
facts both read paths use.

An audit run's primary key is a UUID (what the CLI prints and the Data Docs URL names);
the GraphQL key is its ``seq`` (a bigint, creation order), because the read paths key
rows, cursors and global ids by bigint. ``AuditRun.runId`` carries the UUID.
"""

from __future__ import annotations

from db.mapping import Column, Entity, Filter, OrderKey, Relation, register


def _target(kind: str) -> str:
    """The target's key when the finding names a row of ``kind`` (target ids are text)."""
    return f"(CASE WHEN {{t}}.target_type = '{kind}' THEN {{t}}.target_id::bigint END)"


def _target_join(kind: str) -> str:
    return "{t}.id = " + _target(kind).replace("{t}", "{p}")


AUDIT_RUN = Entity(
    name="AuditRun",
    table="audit_run",
    key="seq",
    columns={
        "id": Column("{t}.seq", "bigint"),  # the Node id (see the module's docstring)
        "seq": Column("{t}.seq", "bigint"),
        "run_id": Column("{t}.id::text"),
        "area_code": Column("{t}.scope_code"),
        "period": Column("to_char({t}.period, 'YYYY-MM')"),
        "started_by": Column("{t}.started_by"),
        "source": Column("{t}.source::text"),
        "check_count": Column("{t}.checks", "int"),
        "failed_check_count": Column("{t}.failed_checks", "int"),
        "broken_check_count": Column("{t}.broken_checks", "int"),
        "finding_count": Column("{t}.findings", "int"),
        "started_at": Column("{t}.started_at", "timestamptz"),
        "finished_at": Column("{t}.finished_at", "timestamptz"),
        # relative to the service, served by gongzhi/audit_docs.py
        "docs_url": Column("'/audit/runs/' || {t}.id::text || '/docs/'"),
    },
    relations={
        "area": Relation("Area", "one", "{t}.code = {p}.scope_code"),
        "findings": Relation("AuditFinding", "many", "{t}.run_id = {p}.id"),
    },
    filters={
        "suite": Filter("{t}.suites ? {v}::text", "text"),
        "area_code": Filter(
            "{t}.area_path <@ (SELECT a.path FROM area a WHERE a.code = {v}::text)", "text"
        ),
        "period": Filter("{t}.period = {v}::date", "date"),
        "started_from": Filter("{t}.started_at >= {v}::timestamptz", "timestamptz"),
        "started_before": Filter("{t}.started_at < {v}::timestamptz", "timestamptz"),
    },
    orders={
        "ID": OrderKey("{t}.seq", "bigint"),
        "STARTED_AT": OrderKey("{t}.started_at", "timestamptz"),
    },
    default_order="ID",
    default_descending=True,  # the latest run first, as AuditRunOrder defaults
)

AUDIT_FINDING = Entity(
    name="AuditFinding",
    table="audit_finding",
    columns={
        "id": Column("{t}.id", "bigint"),
        "suite": Column("{t}.suite"),
        "rule": Column("{t}.rule"),
        "severity": Column("{t}.severity::text"),
        "target_type": Column("{t}.target_type"),
        "target_id": Column("{t}.target_id"),
        "period": Column("to_char({t}.period, 'YYYY-MM')"),
        "fingerprint": Column("{t}.fingerprint"),
        "message": Column("{t}.message"),
        "details": Column("{t}.details", "jsonb"),
        # the latest follow-up event of the fingerprint (migration 0009)
        "status": Column("audit_finding_status_of({t}.fingerprint)::text"),
        "resident_id": Column(_target("resident"), "bigint"),
        "household_id": Column(_target("household"), "bigint"),
        "monthly_report_id": Column(_target("monthly_report"), "bigint"),
        "petition_id": Column(_target("petition"), "bigint"),
    },
    relations={
        "run": Relation("AuditRun", "one", "{t}.id = {p}.run_id"),
        "area": Relation("Area", "one", "{t}.path = {p}.area_path"),
        "resident": Relation("Resident", "one", _target_join("resident"), via="resident_id"),
        "household": Relation("Household", "one", _target_join("household"), via="household_id"),
        "monthly_report": Relation(
            "MonthlyReport", "one", _target_join("monthly_report"), via="monthly_report_id"
        ),
        "petition": Relation("Petition", "one", _target_join("petition"), via="petition_id"),
        # every run's finding of the same problem shares the history
        "history": Relation(
            "AuditFindingEvent",
            "many",
            "{t}.fingerprint = {p}.fingerprint",
            as_list=True,
            order="{t}.id",
        ),
    },
    filters={
        "suite": Filter("{t}.suite = {v}::text", "text"),
        "rule": Filter("{t}.rule = {v}::text", "text"),
        "severity": Filter("{t}.severity = {v}::finding_severity", "text"),
        "status": Filter(
            "audit_finding_status_of({t}.fingerprint) = {v}::audit_finding_status", "text"
        ),
        "target_type": Filter("{t}.target_type = {v}::text", "text"),
    },
    orders={
        "ID": OrderKey("{t}.id", "bigint"),
        "RULE": OrderKey("{t}.rule", "text"),
        "SEVERITY": OrderKey("{t}.severity::text", "text"),
    },
)

AUDIT_FINDING_EVENT = Entity(
    name="AuditFindingEvent",
    table="audit_finding_event",
    columns={
        "id": Column("{t}.id", "bigint"),
        "finding_id": Column("{t}.finding_id", "bigint"),
        "status": Column("{t}.status::text"),
        "note": Column("{t}.note"),
        "subject": Column("{t}.by_subject"),
        "at": Column("{t}.at", "timestamptz"),
    },
    orders={"ID": OrderKey("{t}.id", "bigint")},
)

register(AUDIT_RUN, AUDIT_FINDING, AUDIT_FINDING_EVENT)

# AuditRun.suites and the root fields on the compiled read path
import db.compiled_audit_runs  # noqa: E402, F401
