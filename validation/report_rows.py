"""Monthly report rows as submitted: read from ``reports.csv`` or given through GraphQL.

Rows are kept column-wise, as text (surrounding spaces removed, an empty cell None): the
suite judges the text as submitted (E1, E2), and columns are what both the Great
Expectations workers and the SQL checks take.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# The decoding rules (UTF-8, BOM tolerated, helpful errors for GBK and UTF-16) are the
# area registry's: the contract asks the same of both files.
from validation.csv_input import UnusableInput, columns_hint, decode, header_index

__all__ = ["ReportRows", "UnusableInput", "parse_reports_csv", "rows_from_values"]


@dataclass
class ReportRows:
    numbers: list[int]  # 1-based data row of each row (the header is not counted)
    columns: dict[str, list[str | None]]

    def __len__(self) -> int:
        return len(self.numbers)

    def value(self, column: str, index: int) -> str | None:
        return self.columns[column][index]

    def row(self, index: int) -> dict[str, str | None]:
        return {column: values[index] for column, values in self.columns.items()}


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_reports_csv(data: bytes, columns: Sequence[str]) -> ReportRows:
    """Rows of a ``reports.csv`` with exactly ``columns`` (in any order).

    UnusableInput when the file cannot be used at all (contract: exit status 2).
    Rows whose cells are all empty are skipped but counted, so row numbers stay those
    of the file's data records.
    """
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    numbers: list[int] = []
    values: dict[str, list[str | None]] = {c: [] for c in columns}
    try:
        header = next(reader, None)
        if header is None:
            raise UnusableInput("the file is empty: expected a header row " + _hint(columns))
        index = _header_index(header, columns)
        at = [(column, values[column], index[column]) for column in columns]
        for number, record in enumerate(reader, start=1):
            if len(record) != len(header):
                if not any(cell.strip() for cell in record):
                    continue
                raise UnusableInput(
                    f"data row {number} has {len(record)} fields but the header has "
                    f"{len(header)} (a value containing a comma must be quoted)"
                )
            if not any(cell.strip() for cell in record):
                continue
            numbers.append(number)
            for _, column_values, i in at:
                column_values.append(_clean(record[i]))
    except csv.Error as exc:
        raise UnusableInput(f"not valid CSV: {exc} (line {reader.line_num})") from None
    return ReportRows(numbers, values)


def rows_from_values(
    rows: Iterable[Mapping[str, str | None]], columns: Sequence[str]
) -> ReportRows:
    """Rows given as mappings (GraphQL input); a column left out is an empty cell."""
    numbers: list[int] = []
    values: dict[str, list[str | None]] = {c: [] for c in columns}
    for number, row in enumerate(rows, start=1):
        numbers.append(number)
        for column in columns:
            values[column].append(_clean(row.get(column)))
    return ReportRows(numbers, values)


def _hint(columns: Sequence[str]) -> str:
    return columns_hint(columns)


def _header_index(header: Sequence[str], columns: Sequence[str]) -> dict[str, int]:
    return header_index(
        header, columns, missing_note=" (E1)", expected="the columns of the contract"
    )
