"""Audit suites as data: load and check validation/audit_suites/*.yaml (no Great
Expectations import here).

An audit suite names the table its checks run against (Great Expectations' batch) and
lists checks: a rule id, a severity, what the rule says, the type of row a failure names,
a message template and ONE SQL query returning only the failing rows. ``bind`` turns a
check's query into the text Great Expectations runs for one audit's scope and months.

A check may be sharded (``shard: petition``): its query reads only the key values
between ``:shard_from`` and ``:shard_to`` (inclusive bigints), and every failing row's
verdict depends only on rows with the same key (a petition's events). Run once per range
of ``shard_ranges``, which together cover every bigint, its shards return exactly the
rows of the whole query, in shards that run concurrently on separate connections.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from validation.suite import SEVERITIES, SuiteError

AUDIT_SUITES_DIR = Path(__file__).resolve().parent / "audit_suites"
_RULE = re.compile(r"^[A-Z]+[0-9]+$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# ":name" placeholders, but not the second colon of a "::type" cast
_PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)\b")
_SCOPE = re.compile(r"^([0-9]+(\.[0-9]+)*)?$")
SHARD_PLACEHOLDERS = ("shard_from", "shard_to")
# What a check may be sharded by: the key's table and column (the key is a bigint id).
SHARD_KEYS = {"petition": ("petition", "id")}
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
EVERY_KEY = (BIGINT_MIN, BIGINT_MAX)
# what every query's rows carry besides the message's values
REQUIRED_COLUMNS = ("target_id", "area_path", "period")
RUN_PLACEHOLDERS = ("scope", "period_from", "period_to", "period_given", *SHARD_PLACEHOLDERS)
TARGETS = ("resident", "household", "area", "monthly_report", "petition")
# Months audited when none is given.
ALL_MONTHS = (dt.date(1900, 1, 1), dt.date(2999, 12, 1))


@dataclass(frozen=True)
class AuditCheck:
    rule: str
    severity: str  # error | warning
    text: str
    target: str
    message: str
    sql: str
    params: Mapping[str, float | int]
    shard: str | None = None  # a key of SHARD_KEYS: the query reads :shard_from..:shard_to


@dataclass(frozen=True)
class AuditSuite:
    name: str
    version: str  # hash of the file's bytes
    path: Path
    table: str
    checks: tuple[AuditCheck, ...]


@dataclass(frozen=True)
class Scope:
    """What one audit covers: an area subtree ('' for everything) and a month (or all)."""

    path: str = ""
    period: dt.date | None = None

    def __post_init__(self) -> None:
        if not _SCOPE.match(self.path):
            raise ValueError(f"not an area path: {self.path!r}")
        if self.period is not None and self.period.day != 1:
            raise ValueError("a period is the first day of a month")


def suite_names() -> list[str]:
    return sorted(p.stem for p in AUDIT_SUITES_DIR.glob("*.yaml"))


def load_audit_suites(names: list[str] | None = None) -> list[AuditSuite]:
    """The named suites (every suite when None), checked; SuiteError names what is wrong."""
    available = suite_names()
    chosen = names or available
    unknown = [n for n in chosen if n not in available]
    if unknown:
        raise SuiteError(
            f"no audit suite {', '.join(unknown)} (suites: {', '.join(available) or 'none'})"
        )
    return [load_audit_suite(AUDIT_SUITES_DIR / f"{n}.yaml") for n in chosen]


def load_audit_suite(path: Path) -> AuditSuite:
    try:
        data = path.read_bytes()
        doc = yaml.safe_load(data)
    except (OSError, yaml.YAMLError) as exc:
        raise SuiteError(f"{path}: cannot be read: {exc}") from None
    try:
        return _parse(doc, hashlib.sha256(data).hexdigest()[:16], path)
    except SuiteError as exc:
        raise SuiteError(f"{path.name}: {exc}") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise SuiteError(f"{path.name}: malformed ({type(exc).__name__}: {exc})") from None


def _parse(doc: Any, version: str, path: Path) -> AuditSuite:
    if not isinstance(doc, dict):
        raise SuiteError("not a mapping")
    name = str(doc["suite"])
    if not _NAME.match(name) or name != path.stem:
        raise SuiteError(f"suite {name!r} must be a lower-case name equal to the file's stem")
    table = str(doc["table"])
    if not _NAME.match(table):
        raise SuiteError(f"table {table!r} is not a table name")
    checks: list[AuditCheck] = []
    seen: set[str] = set()
    for entry in doc["checks"]:
        rule = str(entry["rule"])
        if not _RULE.match(rule) or rule in seen:
            raise SuiteError(f"rule {rule!r} is not LETTERS+digits, or is repeated")
        seen.add(rule)
        severity = str(entry["severity"])
        if severity not in SEVERITIES.values():
            raise SuiteError(f"{rule}: severity is error or warning")
        target = str(entry["target"])
        if target not in TARGETS:
            raise SuiteError(f"{rule}: target is one of {', '.join(TARGETS)}")
        params = dict(entry.get("params") or {})
        for key, value in params.items():
            if key in RUN_PLACEHOLDERS or not isinstance(value, int | float):
                raise SuiteError(f"{rule}: parameter {key} must be a number, not a run's own")
        sql = str(entry["sql"]).strip().rstrip(";")
        shard = entry.get("shard")
        if shard is not None and shard not in SHARD_KEYS:
            raise SuiteError(f"{rule}: shard is one of {', '.join(SHARD_KEYS)}")
        named = set(_PLACEHOLDER.findall(sql))
        for placeholder in SHARD_PLACEHOLDERS:
            if (placeholder in named) != (shard is not None):
                raise SuiteError(
                    f"{rule}: a sharded check (shard: KEY) reads :shard_from and :shard_to, "
                    "and only a sharded check does"
                )
        check = AuditCheck(
            rule=rule,
            severity=severity,
            text=" ".join(str(entry["text"]).split()),
            target=target,
            message=" ".join(str(entry["message"]).split()),
            sql=sql,
            params=params,
            shard=shard,
        )
        if "{batch}" not in sql:
            raise SuiteError(f"{rule}: the query must read {{batch}} (the suite's table)")
        # binding proves every placeholder is known and the braces survive formatting
        bind(check, Scope()).format(batch=table)
        checks.append(check)
    if not checks:
        raise SuiteError("no checks")
    return AuditSuite(name=name, version=version, path=path, table=table, checks=tuple(checks))


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    raise TypeError(value)


def bind(check: AuditCheck, scope: Scope, keys: tuple[int, int] = EVERY_KEY) -> str:
    """The check's query for one audit, as Great Expectations takes it: placeholders as
    literals (checked values only: a path matching its pattern, dates, numbers), SQL's own
    braces doubled so that ``str.format(batch=...)`` leaves them alone. ``keys``: the
    shard's key values (a sharded check; every value by default)."""
    period_from, period_to = (scope.period, scope.period) if scope.period else ALL_MONTHS
    values: dict[str, str] = {
        "scope": f"'{scope.path}'::ltree",
        "period_from": _literal(period_from),
        "period_to": _literal(period_to),
        "period_given": _literal(scope.period is not None),
        # quoted: -9223372036854775808 unquoted is a numeric, and a numeric bound would
        # keep PostgreSQL off the bigint index
        "shard_from": f"'{int(keys[0])}'::bigint",
        "shard_to": f"'{int(keys[1])}'::bigint",
        **{k: _literal(v) for k, v in check.params.items()},
    }

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise SuiteError(f"{check.rule}: unknown placeholder :{name}")
        return values[name]

    sql = _PLACEHOLDER.sub(replace, check.sql)
    sql = sql.replace("{", "{{").replace("}", "}}")
    # Great Expectations puts "(SELECT * FROM table WHERE true)" for {batch}, with
    # "AS subselect" after it unless the query has a JOIN; wrapped once more, "{batch} r"
    # reads the same either way (PostgreSQL 16+ needs no alias on a subquery, and it
    # flattens both).
    return sql.replace("{{batch}}", "(SELECT * FROM {batch})")


def shard_ranges(lowest: int | None, highest: int | None, shards: int) -> list[tuple[int, int]]:
    """``shards`` inclusive ranges splitting the keys ``lowest..highest`` evenly, the first
    starting at the smallest bigint and the last ending at the largest, so that together
    they cover every key (rows added after the bounds were read included)."""
    if lowest is None or highest is None or shards <= 1 or highest <= lowest:
        return [EVERY_KEY]
    shards = min(shards, highest - lowest + 1)
    cuts = [lowest + (highest - lowest + 1) * n // shards for n in range(1, shards)]
    starts = [BIGINT_MIN, *cuts]
    ends = [cut - 1 for cut in cuts] + [BIGINT_MAX]
    return list(zip(starts, ends, strict=True))


def fingerprint(suite: str, rule: str, target: str, target_id: str, period: Any) -> str:
    """The same problem in every run (follow-up and run comparison key on it)."""
    key = f"{suite}/{rule}/{target}/{target_id}"
    return f"{key}/{str(period)[:7]}" if period else key
