"""Expectation suites as data: load a suite file, check it, and build it for Great Expectations.

A suite file (validation/suites/*.yaml) lists every rule with its severity, and for each
rule the expectations (run by Great Expectations) or SQL checks (computed in the database)
that implement it. ``load_suite`` checks the file's structure without importing Great
Expectations; ``build_gx_suite`` (run in the worker processes, and by ``check_suite``)
builds the expectations and fails when Great Expectations would drop one, which it
otherwise does with only a log line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUITES_DIR = Path(__file__).resolve().parent / "suites"
SEVERITIES = {"E": "error", "W": "warning"}
COLUMN_TYPES = ("text", "integer", "decimal1", "decimal2", "month")
INPUTS = ("rows", "cells")
# Columns of the cells frame: one row per submitted cell (``input: cells``).
CELL_COLUMNS = ("column", "text", *COLUMN_TYPES)
_RULE_ID = re.compile(r"^[EW][0-9]+$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class SuiteError(ValueError):
    """The suite file is not usable; the service refuses to start with it."""


@dataclass(frozen=True)
class Expectation:
    """One Great Expectations expectation, tied to its rule (one per column of an entry)."""

    index: int  # position in the suite file's order, carried in the expectation's meta
    input: str  # "rows" or "cells": which frame it runs on
    rule: str
    severity: str
    type: str  # snake_case expectation type, e.g. expect_column_values_to_not_be_null
    kwargs: Mapping[str, Any]
    column: str | None  # the contract column concerned, for per-column entries
    message: str


@dataclass(frozen=True)
class SqlCheck:
    rule: str
    severity: str
    check: str
    kwargs: Mapping[str, Any]
    messages: Mapping[str, str]


@dataclass(frozen=True)
class Suite:
    name: str
    version: str  # hash of the file's bytes
    path: Path
    rules: Mapping[str, str]  # id -> contract text
    columns: Mapping[str, str]  # column -> type
    formats: Mapping[str, str]  # type -> regex
    derived: Mapping[str, str]
    parameters: tuple[str, ...]
    expectations: tuple[Expectation, ...]
    sql_checks: tuple[SqlCheck, ...] = field(default=())

    def severity(self, rule: str) -> str:
        return SEVERITIES[rule[0]]

    def sql_check(self, check: str) -> SqlCheck:
        for c in self.sql_checks:
            if c.check == check:
                return c
        raise KeyError(check)


def suite_path(name: str) -> Path:
    return SUITES_DIR / f"{name}.yaml"


def load_suite(path: Path, *, sql_checks: frozenset[str] | None = None) -> Suite:
    """Read and check a suite file. ``sql_checks``: the SQL checks the caller implements."""
    try:
        data = path.read_bytes()
        doc = yaml.safe_load(data)
    except (OSError, yaml.YAMLError) as exc:
        raise SuiteError(f"{path}: cannot be read: {exc}") from None
    if not isinstance(doc, dict):
        raise SuiteError(f"{path}: not a mapping")
    version = hashlib.sha256(data).hexdigest()[:16]
    where = path.name
    try:
        return _parse(doc, version, path, sql_checks)
    except SuiteError as exc:
        raise SuiteError(f"{where}: {exc}") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise SuiteError(f"{where}: malformed ({type(exc).__name__}: {exc})") from None


def _parse(
    doc: dict[str, Any], version: str, path: Path, implemented: frozenset[str] | None
) -> Suite:
    rules: dict[str, str] = {}
    for rule, spec in doc["rules"].items():
        if not _RULE_ID.match(str(rule)):
            raise SuiteError(f"rule id {rule!r} is not E<n> or W<n>")
        if spec.get("severity") != SEVERITIES[rule[0]]:
            raise SuiteError(f"rule {rule}: severity must be {SEVERITIES[rule[0]]}")
        rules[rule] = str(spec["text"])
    columns = {str(k): str(v) for k, v in doc["columns"].items()}
    for column, ctype in columns.items():
        if ctype not in COLUMN_TYPES:
            raise SuiteError(f"column {column}: unknown type {ctype!r}")
    formats = {str(k): str(v["regex"]) for k, v in doc.get("formats", {}).items()}
    for ctype in set(columns.values()) - {"text"}:
        if ctype not in formats:
            raise SuiteError(f"type {ctype} has no format")
    derived = {str(k): str(v) for k, v in (doc.get("derived") or {}).items()}
    parameters = tuple(doc.get("parameters") or ())
    known_columns = set(columns) | set(derived) | {"days_in_month"}

    expectations: list[Expectation] = []
    for n, entry in enumerate(doc["expectations"], start=1):
        rule = entry["rule"]
        if rule not in rules:
            raise SuiteError(f"expectation {n}: rule {rule} is not declared under rules")
        kwargs = dict(entry.get("kwargs") or {})
        if "format" in entry:
            kwargs["regex"] = formats[entry["format"]]
        if "when" in entry:
            kwargs["row_condition"] = _condition(entry["when"], known_columns)
        frame = entry.get("input", "rows")
        if frame not in INPUTS:
            raise SuiteError(f"expectation {n}: input is one of {', '.join(INPUTS)}")
        allowed = set(CELL_COLUMNS) if frame == "cells" else known_columns
        for column in entry.get("columns") or [None]:
            kw = dict(kwargs)
            if column is not None:
                kw["column"] = column
            for key in ("column", "column_A", "column_B"):
                if key in kw and kw[key] not in allowed:
                    raise SuiteError(f"expectation {n}: no column {kw[key]} in its input")
            expectations.append(
                Expectation(
                    index=len(expectations),
                    input=frame,
                    rule=rule,
                    severity=SEVERITIES[rule[0]],
                    type=str(entry["expectation"]),
                    kwargs=kw,
                    column=column,
                    message=" ".join(str(entry["message"]).split()),
                )
            )

    checks: list[SqlCheck] = []
    for entry in doc.get("sql_checks") or ():
        rule = entry["rule"]
        if rule not in rules:
            raise SuiteError(f"SQL check {entry['check']}: rule {rule} is not declared")
        if implemented is not None and entry["check"] not in implemented:
            raise SuiteError(f"SQL check {entry['check']} ({rule}) is not implemented")
        messages = dict(entry.get("messages") or {"": entry["message"]})
        checks.append(
            SqlCheck(
                rule=rule,
                severity=SEVERITIES[rule[0]],
                check=str(entry["check"]),
                kwargs=dict(entry.get("kwargs") or {}),
                messages={k: " ".join(str(v).split()) for k, v in messages.items()},
            )
        )
    covered = {e.rule for e in expectations} | {c.rule for c in checks}
    uncovered = sorted(set(rules) - covered, key=_rule_order)
    if uncovered:
        raise SuiteError(f"rule(s) {', '.join(uncovered)} have no expectation or SQL check")
    return Suite(
        name=str(doc["suite"]),
        version=version,
        path=path,
        rules=rules,
        columns=columns,
        formats=formats,
        derived=derived,
        parameters=parameters,
        expectations=tuple(expectations),
        sql_checks=tuple(checks),
    )


_OPERATORS = ("==", "!=", "<", "<=", ">", ">=")


def _condition(when: Any, columns: set[str]) -> dict[str, Any]:
    """``[column, operator, value]`` as Great Expectations' structured row condition (its
    string conditions with a condition parser are deprecated)."""
    column, operator, value = when
    if column not in columns or operator not in _OPERATORS:
        raise SuiteError(f"when: {when!r} is not [column, one of {' '.join(_OPERATORS)}, value]")
    return {
        "type": "comparison",
        "column": {"name": column},
        "operator": operator,
        "parameter": value,
    }


def _rule_order(rule: str) -> tuple[str, int]:
    return rule[0], int(rule[1:])


def build_gx_suite(suite: Suite, context: Any = None) -> dict[str, Any]:
    """The suite as Great Expectations ExpectationSuites, one per input frame (imports
    Great Expectations).

    Raises SuiteError for an expectation Great Expectations does not know or rejects,
    and when the built suite holds fewer expectations than the file declares (it drops
    an expectation equal to one it already has, logging only).
    """
    import great_expectations as gx
    from great_expectations.expectations.registry import get_expectation_impl

    if context is None:
        # a suite needs an active context, even one that is never saved to
        context = gx.get_context(mode="ephemeral")
    built: dict[str, Any] = {}
    for frame in INPUTS:
        declared = [e for e in suite.expectations if e.input == frame]
        built[frame] = _build(gx, get_expectation_impl, f"{suite.name}.{frame}", declared)
    return built


def _build(gx: Any, get_expectation_impl: Any, name: str, declared: list[Expectation]) -> Any:
    gx_suite = gx.ExpectationSuite(name=name)
    for e in declared:
        try:
            impl = get_expectation_impl(e.type)
        except Exception:
            raise SuiteError(f"{e.rule}: unknown expectation {e.type}") from None
        try:
            expectation = impl(**e.kwargs, meta={"rule": e.rule, "index": e.index})
        except Exception as exc:
            raise SuiteError(f"{e.rule}: {e.type} rejects its arguments: {exc}") from None
        gx_suite.add_expectation(expectation)
    if len(gx_suite.expectations) != len(declared):
        raise SuiteError(
            f"Great Expectations kept {len(gx_suite.expectations)} of {len(declared)} "
            f"expectations of {name} (a duplicate or invalid one was dropped)"
        )
    return gx_suite


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise SuiteError(f"{name!r} is not a suite name")
    return name
