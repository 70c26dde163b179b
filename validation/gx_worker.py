"""What runs inside a Great Expectations worker process.

Great Expectations is synchronous, holds the GIL and spends ~0.1-0.2 s per run building
its metric graph, so it never runs on the event loop: ``validation.gx_pool`` runs these
functions in worker processes. Each worker builds its context, batch definition and
suite once (``init_worker``) and then validates one DataFrame per call. A worker is one
process running one call at a time, so the batch definition is never shared between
threads (Great Expectations 1.24 returned another thread's results when it was).

Input crosses the process boundary as plain column lists; output as plain tuples:
``(position, expectation index, message)`` for every failing row.
"""

from __future__ import annotations

import calendar
import functools
import logging
import math
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from validation.suite import COLUMN_TYPES, INPUTS, Suite, build_gx_suite, load_suite

POSITION = "_pos"
NAN = float("nan")

Finding = tuple[int, int, str]


class BrokenCheck(RuntimeError):
    """An expectation raised instead of judging the data: a bug in the suite or the runner,
    never bad data. The submission fails; nothing is stored."""


class Runner:
    def __init__(self, suite: Suite) -> None:
        # No usage statistics leave the machine; set before Great Expectations reads it.
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        _memoize_type_names()
        self.suite = suite
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.gx_suites = build_gx_suite(suite, context)
        source = context.data_sources.add_pandas("intake")
        self.batch_definitions = {
            frame: source.add_dataframe_asset(frame).add_batch_definition_whole_dataframe(frame)
            for frame in INPUTS
        }
        self.context = context
        self.by_index = {e.index: e for e in suite.expectations}
        self.patterns = {t: re.compile(r) for t, r in suite.formats.items()}

    def frames(self, columns: Mapping[str, Sequence[str | None]]) -> dict[str, Any]:
        """The frames the suite runs on: one row per report with parsed values and derived
        columns, and one row per cell with its text as submitted.

        Built from plain lists and numpy arrays: pandas' string methods cost ten times more
        per cell here, and a 10,000-row file has 180,000 cells."""
        import numpy as np
        import pandas as pd

        n = len(next(iter(columns.values()))) if columns else 0
        positions = np.arange(n, dtype=np.int64)
        rows: dict[str, Any] = {POSITION: positions}
        for column, ctype in self.suite.columns.items():
            if ctype == "text":
                continue
            match = self.patterns[ctype].fullmatch
            if ctype == "month":
                months = np.array(_parsed(columns[column], match, _month_number), dtype=np.float64)
                valid = ~np.isnan(months)
                # a whole month number when every row has one, as pandas would type it
                rows[column] = months.astype(np.int64) if valid.all() else months
                rows["days_in_month"] = _days_in_month(months)
            else:
                rows[column] = np.array(_parsed(columns[column], match, float), dtype=np.float64)
        row_frame = pd.DataFrame(rows)
        for name, expression in self.suite.derived.items():
            row_frame[name] = row_frame.eval(expression)
        return {"rows": row_frame, "cells": self._cells(columns, positions)}

    def _cells(self, columns: Mapping[str, Sequence[str | None]], positions: Any) -> Any:
        """One row per cell: its row, its column, its text, and the text again under its
        column's type (empty under the other types)."""
        import numpy as np
        import pandas as pd

        names = list(self.suite.columns)
        n = len(positions)
        text = np.empty(n * len(names), dtype=object)
        typed = {ctype: np.full(n * len(names), None, dtype=object) for ctype in COLUMN_TYPES}
        for k, column in enumerate(names):
            values = columns[column]
            text[k * n : (k + 1) * n] = values
            typed[self.suite.columns[column]][k * n : (k + 1) * n] = values
        cells = {
            POSITION: np.tile(positions, len(names)),
            "column": pd.Categorical.from_codes(
                np.repeat(np.arange(len(names)), n), categories=names
            ),
        }
        # categorical: Great Expectations hashes every frame it is given (twice per run)
        # and looks for nulls in each column several times per expectation, both much
        # cheaper on codes than on 180,000 Python strings
        cells["text"] = _categorical(text)
        for ctype in COLUMN_TYPES:
            if ctype != "text":
                cells[ctype] = _categorical(typed[ctype])
        return pd.DataFrame(cells)

    def run(
        self, columns: Mapping[str, Sequence[str | None]], parameters: Mapping[str, Any]
    ) -> list[Finding]:
        frames = self.frames(columns)
        findings: list[Finding] = []
        values = _Rows(columns, frames["rows"], self.suite)
        for frame, df in frames.items():
            if df.empty:
                continue
            batch = self.batch_definitions[frame].get_batch(batch_parameters={"dataframe": df})
            index_columns = [POSITION, "column"] if frame == "cells" else [POSITION]
            result = batch.validate(
                self.gx_suites[frame],
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": index_columns,
                    "partial_unexpected_count": 0,
                },
                expectation_parameters=dict(parameters),
            )
            for r in result.results:
                findings.extend(self._findings(r, values))
        return findings

    def _findings(self, r: Any, values: _Rows) -> list[Finding]:
        expectation = self.by_index[(r.expectation_config.meta or {})["index"]]
        if _raised(r.exception_info):
            raise BrokenCheck(
                f"{expectation.rule} ({expectation.type} {dict(expectation.kwargs)}) raised: "
                f"{_exception_message(r.exception_info)}"
            )
        if r.success:
            return []
        unexpected = r.result.get("unexpected_index_list")
        if unexpected is None:
            raise BrokenCheck(f"{expectation.rule}: no failing rows reported")
        found = []
        for item in unexpected:
            position = int(item[POSITION])
            column = item.get("column", expectation.column)
            message = values.message(position, expectation.message, column)
            found.append((position, expectation.index, message))
        return found


def _memoize_type_names() -> None:
    """Great Expectations 1.24 derives an expectation's type name from its class name with
    two regex substitutions every time it builds the expectation's configuration: some
    2,000 times a run, a sixth of a run's fixed cost. The name is a pure function of the
    class name, so the worker remembers it."""
    from great_expectations import util
    from great_expectations.expectations import expectation

    expectation.camel_to_snake = functools.cache(util.camel_to_snake)  # type: ignore[attr-defined]


def _parsed(
    texts: Sequence[str | None], match: Callable[[str], Any], convert: Callable[[str], float]
) -> list[float]:
    """Each text's value, NaN where it is empty or breaks its format; a value seen before in
    the column is looked up (figures repeat: a regex per cell costs more than the rest)."""
    seen: dict[str | None, float] = {None: NAN}
    out = []
    for t in texts:
        value = seen.get(t)
        if value is None:
            value = seen[t] = convert(t) if match(t) else NAN  # type: ignore[arg-type]
        out.append(value)
    return out


def _categorical(values: Any) -> Any:
    import pandas as pd

    codes, uniques = pd.factorize(values)
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))


def _month_number(text: str) -> float:
    return int(text[:4]) * 12 + int(text[5:7]) - 1


def _days_in_month(months: Any) -> Any:
    """Days of each month number (year * 12 + month - 1); NaN where there is none."""
    import numpy as np

    days = np.full(len(months), NAN)
    for number in np.unique(months[~np.isnan(months)]):
        year, month = divmod(int(number), 12)
        days[months == number] = calendar.monthrange(year, month + 1)[1]
    return days


def _raised(info: Any) -> bool:
    """Whether a result's exception_info says the check raised (its shape varies: one
    dict, or one dict per metric)."""
    if not isinstance(info, dict):
        return False
    if info.get("raised_exception"):
        return True
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _exception_message(info: dict[str, Any]) -> str:
    if info.get("exception_message"):
        return str(info["exception_message"])
    for value in info.values():
        if isinstance(value, dict) and value.get("exception_message"):
            return str(value["exception_message"])
    return "unknown error"


class _Rows:
    """Message values of a row: each column's text as submitted, and the derived values."""

    def __init__(self, columns: Mapping[str, Sequence[Any]], rows: Any, suite: Suite) -> None:
        self.columns: dict[str, Sequence[Any]] = dict(columns)
        self.rows = rows
        self.derived = (*suite.derived, "days_in_month")

    def message(self, position: int, template: str, column: str | None) -> str:
        for name in self.derived:  # converted on first use: most runs need none
            if name not in self.columns:
                self.columns[name] = self.rows[name].tolist()
        values = _Values(self.columns, position)
        if column is not None:
            values.extra = {"column": column, "value": values[column]}
        return template.format_map(values)


class _Values(dict[str, Any]):
    def __init__(self, columns: Mapping[str, list[Any]], position: int) -> None:
        super().__init__()
        self.columns = columns
        self.position = position
        self.extra: dict[str, Any] = {}

    def __missing__(self, key: str) -> str:
        if key in self.extra:
            return str(self.extra[key])
        return _show(self.columns[key][self.position])


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(empty)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- the worker process's entry points ---------------------------------------------------

_runner: Runner | None = None


def init_worker(suite_file: str, parent_pid: int) -> None:
    """Process-pool initializer: build the context and suite once per worker."""
    global _runner
    _exit_with(parent_pid)
    # Great Expectations' own chatter (deprecations, dropped expectations, which the suite
    # length check turns into an error) must not reach a CLI user's stderr.
    warnings.filterwarnings("ignore", module="great_expectations")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    _runner = Runner(load_suite(Path(suite_file)))


def _exit_with(parent_pid: int) -> None:
    """End this worker when the process that started it is gone, however it ended: a
    worker waiting for work never learns otherwise (it holds its queue's write end too),
    and it keeps its forkserver alive with it."""

    def watch() -> None:
        while True:
            time.sleep(1)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # alive, someone else's: cannot happen for a parent
                pass

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def describe() -> tuple[str, int]:
    """(suite version, expectation count) of this worker: proves it is up."""
    assert _runner is not None
    return _runner.suite.version, sum(len(s.expectations) for s in _runner.gx_suites.values())


def validate(
    columns: Mapping[str, Sequence[str | None]], parameters: Mapping[str, Any]
) -> list[Finding]:
    assert _runner is not None, "init_worker did not run"
    return _runner.run(columns, parameters)
