"""Judging report rows: the suite's findings (Great Expectations and SQL) become verdicts.

Which findings reject a row is decided here from each finding's rule and severity, not
from Great Expectations' ``success`` (which ignores severity).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from db.reports_intake import DECIMAL_FIGURES, FIGURES, CheckInput, Thresholds
from validation.report_rows import ReportRows
from validation.suite import Suite

# Monthly reports are Chinese community statistics: "the current month" is China's
# (UTC+8 all year, no daylight saving time).
CHINA = dt.timezone(dt.timedelta(hours=8), "CST")


def current_period(now: dt.datetime | None = None) -> int:
    """The current month as the suite's month number (year * 12 + month - 1)."""
    today = (now or dt.datetime.now(CHINA)).astimezone(CHINA)
    return today.year * 12 + today.month - 1


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str


def rule_key(rule: str) -> tuple[int, int]:
    return (0 if rule[0] == "E" else 1, int(rule[1:]))


@dataclass
class RowVerdict:
    index: int  # position in the submission
    row: int  # 1-based data row
    area_code: str | None
    period: str | None
    findings: list[Finding] = field(default_factory=list)
    area_id: int | None = None
    area_path: str | None = None
    version: int | None = None  # the version stored, if it was
    quarantine_id: int | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def accepted(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def sort(self) -> None:
        self.findings.sort(key=lambda f: rule_key(f.rule))


class Parser:
    """Values of cells that pass their format (E2), for the SQL checks and for storing."""

    def __init__(self, suite: Suite) -> None:
        self.types = dict(suite.columns)
        self.patterns = {t: re.compile(r) for t, r in suite.formats.items()}

    def value(self, column: str, text: str | None) -> Any:
        ctype = self.types[column]
        if text is None or ctype == "text":
            return text
        if not self.patterns[ctype].fullmatch(text):
            return None
        if ctype == "month":
            return dt.date(int(text[:4]), int(text[5:7]), 1)
        if column in DECIMAL_FIGURES:
            return Decimal(text)
        return int(text)

    def parse(self, rows: ReportRows) -> dict[str, list[Any]]:
        """Every column's values (text columns as they are), None where a value is missing
        or breaks its format. Figures repeat across rows: each distinct text is parsed once
        per column, the rest looked up."""
        parsed: dict[str, list[Any]] = {}
        for column, texts in rows.columns.items():
            if self.types[column] == "text":
                parsed[column] = texts
                continue
            seen: dict[str | None, Any] = {None: None}
            values = []
            for text in texts:
                if text in seen:
                    values.append(seen[text])
                else:
                    values.append(seen.setdefault(text, self.value(column, text)))
            parsed[column] = values
        return parsed

    @staticmethod
    def add_check_input(inputs: CheckInput, sub: int, parsed: Mapping[str, list[Any]]) -> None:
        """Add a submission's rows to what the SQL checks read."""
        n = len(parsed["area_code"])
        inputs.sub.extend([sub] * n)
        inputs.pos.extend(range(n))
        inputs.area_code.extend(parsed["area_code"])
        inputs.period.extend(parsed["period"])
        inputs.households.extend(parsed["households"])
        inputs.residents.extend(parsed["residents"])
        inputs.open_start.extend(parsed["requests_open_start"])
        inputs.received.extend(parsed["requests_received"])

    @staticmethod
    def all_figures(parsed: Mapping[str, list[Any]]) -> list[tuple[int | Decimal, ...] | None]:
        """Each row's figures in table order, None for a row with a figure that is missing
        or breaks its format."""
        return [
            None if any(v is None for v in figures) else figures
            for figures in zip(*(parsed[c] for c in FIGURES), strict=True)
        ]


def thresholds(suite: Suite) -> Thresholds:
    return Thresholds(
        max_change=float(suite.sql_check("stable_population").kwargs["max_change"]),
        max_difference=float(suite.sql_check("matches_registry").kwargs["max_difference"]),
        max_modified_z=float(suite.sql_check("requests_rate_outlier").kwargs["max_modified_z"]),
        min_villages=int(suite.sql_check("requests_rate_outlier").kwargs["min_villages"]),
    )


def _percent(x: float) -> str:
    return f"{x:.0%}"


def _number(x: Any) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:.1f}"


class Judge:
    """Turns Great Expectations findings and the SQL facts of a submission into verdicts."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self.by_index = {e.index: e for e in suite.expectations}
        self.sql = {c.check: c for c in suite.sql_checks}

    def _sql(self, check: str, key: str = "", **values: Any) -> Finding:
        spec = self.sql[check]
        return Finding(spec.rule, spec.severity, spec.messages[key].format(**values))

    def verdicts(
        self,
        rows: ReportRows,
        gx_findings: Sequence[tuple[int, int, str]],
        facts: Mapping[int, Any],
        *,
        revise: bool,
    ) -> list[RowVerdict]:
        """Verdicts before storing (the caller adds E4's "stored meanwhile" findings)."""
        area_codes, periods = rows.columns["area_code"], rows.columns["period"]
        verdicts = [
            RowVerdict(i, number, area_codes[i], periods[i])
            for i, number in enumerate(rows.numbers)
        ]
        for pos, index, message in gx_findings:
            e = self.by_index[index]
            verdicts[pos].findings.append(Finding(e.rule, e.severity, message))
        seen: dict[tuple[str, str], list[int]] = {}
        for v in verdicts:
            if v.area_code and v.period:
                seen.setdefault((v.area_code, v.period), []).append(v.row)
        for v in verdicts:
            fact = facts.get(v.index)
            if fact is not None:
                v.area_id, v.area_path = fact["area_id"], fact["area_path"]
            if v.area_code is None:
                continue  # E1 said so
            values = {"area_code": v.area_code, "period": v.period}
            if fact is None or fact["area_id"] is None:
                v.findings.append(self._sql("area_is_village", "unknown", **values))
                continue
            if fact["area_level"] != "village":
                v.findings.append(
                    self._sql(
                        "area_is_village",
                        "level",
                        area_name=fact["area_name"],
                        area_level=fact["area_level"],
                        **values,
                    )
                )
                continue
            same = seen.get((v.area_code, v.period or ""), [])
            if len(same) > 1:
                rows_text = ", ".join(str(r) for r in same)
                v.findings.append(
                    self._sql("once_per_area_and_month", "in_file", rows=rows_text, **values)
                )
            if fact["stored_version"] is not None and not revise:
                v.findings.append(
                    self._sql(
                        "once_per_area_and_month",
                        "stored",
                        stored_version=fact["stored_version"],
                        **values,
                    )
                )
            v.findings.extend(self._warnings(rows, v, fact))
        return verdicts

    def _warnings(self, rows: ReportRows, v: RowVerdict, fact: Any) -> list[Finding]:
        found = []
        previous = fact["previous_period"]
        if fact["w1"]:
            found.append(
                self._sql(
                    "continues_previous_month",
                    requests_open_start=rows.columns["requests_open_start"][v.index],
                    previous_open_end=fact["previous_open_end"],
                    previous_period=previous,
                )
            )
        max_change = float(self.sql["stable_population"].kwargs["max_change"])
        for what in ("households", "residents"):
            if fact[f"w2_{what}"]:
                before = fact[f"previous_{what}"]
                now = int(rows.columns[what][v.index] or 0)
                change = (now - before) / before if before else float("inf")
                found.append(
                    self._sql(
                        "stable_population",
                        what=what,
                        previous=before,
                        previous_period=previous,
                        current=now,
                        change=f"{change:+.0%}" if before else "from none",
                        max_change=_percent(max_change),
                    )
                )
        if fact["w3"]:
            registered = fact["registered"]
            households = int(rows.columns["households"][v.index] or 0)
            found.append(
                self._sql(
                    "matches_registry",
                    households=households,
                    registered=registered,
                    area_code=v.area_code,
                    difference=_percent(abs(households - registered) / registered),
                    max_difference=_percent(
                        float(self.sql["matches_registry"].kwargs["max_difference"])
                    ),
                )
            )
        if fact["w4"]:
            found.append(
                self._sql(
                    "requests_rate_outlier",
                    rate=_number(fact["rate"]),
                    villages=fact["villages"],
                    period=v.period,
                    median=_number(fact["median"]),
                    z=f"{fact['z']:.1f}",
                )
            )
        return found

    def taken_meanwhile(self, v: RowVerdict) -> Finding:
        return self._sql(
            "once_per_area_and_month", "concurrent", area_code=v.area_code, period=v.period
        )
