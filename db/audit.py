"""Mapping of the audit log (the table and its rules: migration 0003)."""

from __future__ import annotations

from db.mapping import Column, Entity, Filter, OrderKey, register

AUDIT_ENTRY = Entity(
    name="AuditEntry",
    table="audit_log",
    columns={
        "id": Column("{t}.id", "bigint"),
        "at": Column("{t}.at", "timestamptz"),
        "subject": Column("{t}.subject"),
        "role": Column("{t}.role"),
        "operation": Column("{t}.operation"),
        "target_type": Column("{t}.target_type"),
        # global ids of the targets, built in SQL so both read paths print the same
        "target_ids": Column(
            "ARRAY(SELECT encode(convert_to({t}.target_type || ':' || u.x, 'UTF8'), 'base64')"
            " FROM unnest({t}.target_ids) WITH ORDINALITY AS u(x, o) ORDER BY u.o)",
            "text[]",
        ),
        "before": Column("{t}.before", "jsonb"),
        "after": Column("{t}.after", "jsonb"),
    },
    filters={
        "operation": Filter("{t}.operation = {v}::text", "text"),
        "subject": Filter("{t}.subject = {v}::text", "text"),
        "target_type": Filter("{t}.target_type = {v}::text", "text"),
        "since": Filter("{t}.at >= {v}::timestamptz", "timestamptz"),
        "until": Filter("{t}.at < {v}::timestamptz", "timestamptz"),
    },
    orders={"AT": OrderKey("{t}.at", "timestamptz"), "ID": OrderKey("{t}.id", "bigint")},
    default_order="ID",
    default_descending=True,  # newest first, as schema.audit.AuditOrder defaults
)

register(AUDIT_ENTRY)
