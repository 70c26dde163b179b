"""The area registry suite: reading ``areas.csv`` and rules A1-A5 (contract section 1).

Pure logic: the caller reads the file, loads the stored areas the file refers to
(``referenced_codes``) and stores what ``check_areas`` accepts. Keeping SQL out means every
rule is testable without a database and the same checks can serve a GraphQL mutation.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from validation.csv_input import UnusableInput, columns_hint, decode, header_index

SUITE = "area_registry"
COLUMNS = ("code", "name", "level", "parent_code")
LEVELS = ("province", "city", "county", "town", "village", "compound", "building")
RANK = {level: rank for rank, level in enumerate(LEVELS)}
# The database's own limit (area.name CHECK); rejecting here keeps one long name from
# failing the transaction that stores every other row.
NAME_MAX = 100

# Division-code levels: the number of digits each level's code has.
_DIGITS = {"province": 2, "city": 4, "county": 6, "town": 9, "village": 12}
# Spellings people use for a level, for a "did you mean" hint only: the column takes
# the English word, as the contract fixes it.
_LEVEL_ALIASES = {level: level for level in RANK} | {
    "省": "province",
    "直辖市": "province",
    "市": "city",
    "县": "county",
    "区": "county",
    "district": "county",
    "镇": "town",
    "乡": "town",
    "街道": "town",
    "subdistrict": "town",
    "村": "village",
    "社区": "village",
    "community": "village",
    "小区": "compound",
    "院落": "compound",
    "楼栋": "building",
}
_LOCAL = re.compile(r"[0-9A-Za-z]+")
_ASCII_DIGITS = re.compile(r"[0-9]+")


class AreaRow(NamedTuple):
    """One data row as the file has it, values stripped of surrounding whitespace.

    A NamedTuple rather than a dataclass: a file may have 100,000 rows, and it is the
    cheapest immutable record to build.
    """

    row: int  # 1-based data row; the header is not counted
    code: str
    name: str
    level: str
    parent_code: str


class KnownArea(Protocol):
    """What the rules need to know about a stored area (db.area_registry.StoredArea)."""

    @property
    def name(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def parent_code(self) -> str | None: ...


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str


class Change(enum.Enum):
    CREATE = "create"
    RENAME = "rename"
    NONE = "none"


class Verdict(NamedTuple):
    row: AreaRow
    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    # what storing an accepted row does; None for a rejected row
    change: Change | None = None

    @property
    def accepted(self) -> bool:
        return not self.errors


@dataclass
class Outcome:
    verdicts: list[Verdict] = field(default_factory=list)  # in row order

    @property
    def accepted(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.accepted]

    @property
    def rejected(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.accepted]

    def changes(self, change: Change) -> list[AreaRow]:
        return [v.row for v in self.verdicts if v.change is change]


# Reading -----------------------------------------------------------------------------


def parse_areas_csv(data: bytes) -> list[AreaRow]:
    """Rows of an ``areas.csv``; UnusableInput when the file cannot be used at all.

    Rows whose cells are all empty (blank lines, spreadsheets' trailing ``,,,``) are
    skipped but still counted, so row numbers stay those of the file's data records.
    """
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise UnusableInput("the file is empty: expected a header row " + _columns_hint())
        index = _header_index(header)
        at = [index[column] for column in COLUMNS]
        rows: list[AreaRow] = []
        for number, record in enumerate(reader, start=1):
            if len(record) != len(header):
                if not any(cell.strip() for cell in record):
                    continue
                raise UnusableInput(
                    f"data row {number} has {len(record)} fields but the header has "
                    f"{len(header)} (a value containing a comma must be quoted)"
                )
            values = [record[i].strip() for i in at]
            if any(values):
                rows.append(AreaRow(number, *values))
    except csv.Error as exc:
        raise UnusableInput(f"not valid CSV: {exc} (line {reader.line_num})") from None
    return rows


def _columns_hint() -> str:
    return columns_hint(COLUMNS)


def _header_index(header: Sequence[str]) -> dict[str, int]:
    return header_index(header, COLUMNS, expected=f"the columns {_columns_hint()}")


def referenced_codes(rows: Iterable[AreaRow]) -> set[str]:
    """Codes whose stored areas the rules need: every code and parent code in the file."""
    codes: set[str] = set()
    for r in rows:
        codes.add(r.code)
        if r.parent_code:
            codes.add(r.parent_code)
    codes.discard("")
    return codes


# Rules -------------------------------------------------------------------------------


def code_format_error(code: str, level: str) -> str | None:
    """What is wrong with ``code`` as a code of ``level`` (A1), or None."""
    if level in _DIGITS:
        want = _DIGITS[level]
        if not code:
            return f"code is empty; a {level} code has {want} digits"
        if not _ASCII_DIGITS.fullmatch(code):
            return f'code "{code}" is not all digits 0-9; a {level} code has {want} digits'
        if len(code) != want:
            return f'code "{code}" has {len(code)} digits; a {level} code has {want}'
        return None
    parts = code.split("-")
    expected = 2 if level == "compound" else 3
    shape = (
        'its village\'s 12-digit code, "-" and a local part'
        if level == "compound"
        else 'its compound\'s code, "-" and a local part'
    )
    example = "510129101201-03" if level == "compound" else "510129101201-03-05"
    if not code:
        return f"code is empty; a {level} code is {shape} (e.g. {example})"
    if len(parts) != expected:
        return (
            f'code "{code}" has {len(parts)} part(s) separated by "-"; a {level} code is '
            f"{shape} (e.g. {example})"
        )
    village, *local = parts
    if not _ASCII_DIGITS.fullmatch(village) or len(village) != 12:
        return (
            f'code "{code}" starts with "{village}"; a {level} code starts with a 12-digit '
            f"village code (e.g. {example})"
        )
    for part in local:
        if not _LOCAL.fullmatch(part):
            what = "is empty" if not part else f'"{part}" has characters other than A-Z, a-z, 0-9'
            return f'code "{code}": the local part {what}; local parts are letters and digits'
    return None


def check_areas(rows: Sequence[AreaRow], stored: Mapping[str, KnownArea]) -> Outcome:
    """Judge every row against rules A1-A5; ``stored`` holds the stored areas the rows name.

    A4 keeps the first occurrence of a code when every later occurrence repeats it
    exactly, and rejects it too when they disagree: the file then does not say which
    version is right, and storing the first would pick one silently.
    """
    first: dict[str, AreaRow] = {}
    repeats: dict[str, list[AreaRow]] = {}
    for r in rows:
        if not r.code:
            continue  # A1 rejects it; "duplicate empty code" would only add noise
        if r.code in first:
            repeats.setdefault(r.code, []).append(r)
        else:
            first[r.code] = r

    errors = {r.row: _own_errors(r, stored, first) for r in rows}
    for code, later in repeats.items():
        original = first[code]
        conflicting = [r for r in later if _content(r) != _content(original)]
        for r in later:
            differs = " with a different name, level or parent" if r in conflicting else ""
            errors[r.row].append(
                Finding("A4", f'code "{code}" already appears in row {original.row}{differs}')
            )
        if conflicting:
            rows_text = ", ".join(str(r.row) for r in conflicting)
            errors[original.row].append(
                Finding(
                    "A4",
                    f'code "{code}" appears again in row{"s" if len(conflicting) > 1 else ""} '
                    f"{rows_text} with a different name, level or parent; the file does not "
                    "say which is right",
                )
            )

    # Parents are exactly one level up (checked in _own_errors), so judging rows level by
    # level settles every parent row before its children, whatever the file's order.
    ordered = sorted(rows, key=lambda r: RANK.get(r.level, len(LEVELS)))
    for r in ordered:
        if errors[r.row] or r.level not in RANK or not r.parent_code:
            continue
        if r.parent_code in stored:
            # A stored parent is the truth, whatever the file's row for it says.
            continue
        parent = first.get(r.parent_code)
        if parent is not None and errors[parent.row]:
            errors[r.row].append(
                Finding(
                    "A2",
                    f'parent "{r.parent_code}" (row {parent.row}) is rejected, so this '
                    "row cannot be stored either",
                )
            )

    verdicts = []
    for r in rows:
        found = tuple(errors[r.row])
        change = None if found else _change(r, stored.get(r.code))
        verdicts.append(Verdict(r, found, (), change))
    return Outcome(verdicts)


def _content(r: AreaRow) -> tuple[str, str, str]:
    return (r.name, r.level, r.parent_code)


def _change(r: AreaRow, known: KnownArea | None) -> Change:
    if known is None:
        return Change.CREATE
    return Change.NONE if known.name == r.name else Change.RENAME


def _own_errors(
    r: AreaRow, stored: Mapping[str, KnownArea], first: Mapping[str, AreaRow]
) -> list[Finding]:
    """Findings that depend on the row itself and on what its parent is (not on whether
    the parent's own row is accepted, which check_areas settles afterwards)."""
    found: list[Finding] = []
    known = stored.get(r.code)

    if r.level not in RANK:
        levels = ", ".join(LEVELS)
        if not r.level:
            found.append(Finding("A3", f"level is empty; it is one of {levels}"))
        else:
            meant = _LEVEL_ALIASES.get(r.level.lower(), _LEVEL_ALIASES.get(r.level))
            hint = f' (did you mean "{meant}"?)' if meant else ""
            found.append(Finding("A3", f'level "{r.level}" is not one of {levels}{hint}'))
    else:
        problem = code_format_error(r.code, r.level)
        if known is not None and known.level != r.level:
            # Its parent is then wrong too; saying so would only repeat this.
            found.append(
                Finding(
                    "A1",
                    f'code "{r.code}" is stored as a {known.level}, not a {r.level}; an '
                    "area's level never changes",
                )
            )
        else:
            if problem:
                found.append(Finding("A1", problem))
            found.extend(_parent_errors(r, known, stored, first, check_code=problem is None))

    if not r.name:
        found.append(Finding("A5", "name is empty"))
    elif len(r.name) > NAME_MAX:
        found.append(
            Finding("A5", f"name has {len(r.name)} characters; a name has at most {NAME_MAX}")
        )
    return found


def _parent_errors(
    r: AreaRow,
    known: KnownArea | None,
    stored: Mapping[str, KnownArea],
    first: Mapping[str, AreaRow],
    *,
    check_code: bool,
) -> list[Finding]:
    rank = RANK[r.level]
    if rank == 0:
        if r.parent_code:
            return [
                Finding("A2", f'a province has no parent, but parent_code is "{r.parent_code}"')
            ]
        return []
    want = LEVELS[rank - 1]
    if not r.parent_code:
        return [Finding("A2", f"parent_code is empty; a {r.level} belongs to a {want}")]
    if r.parent_code == r.code:
        return [Finding("A2", f'parent_code "{r.parent_code}" is the row\'s own code')]
    if known is not None and known.parent_code != r.parent_code:
        return [
            Finding(
                "A2",
                f'code "{r.code}" is stored under "{known.parent_code}"; its parent cannot '
                f'change to "{r.parent_code}"',
            )
        ]

    # A stored parent is the truth; otherwise the file's (first) row for that code.
    if r.parent_code in stored:
        parent_level = stored[r.parent_code].level
    elif r.parent_code in first:
        parent_level = first[r.parent_code].level
        if parent_level not in RANK:
            return []  # its A3 rejects it, and check_areas rejects this row with it
    else:
        return [Finding("A2", f'parent_code "{r.parent_code}" is neither in this file nor stored')]

    found: list[Finding] = []
    if parent_level != want:
        article = "an" if parent_level[0] in "aeiou" else "a"
        found.append(
            Finding(
                "A2",
                f'parent "{r.parent_code}" is {article} {parent_level}; a {r.level}\'s parent '
                f"is a {want}",
            )
        )
    if check_code:
        prefix = r.parent_code + ("-" if r.level in ("compound", "building") else "")
        if not r.code.startswith(prefix):
            found.append(
                Finding("A2", f'code "{r.code}" does not start with its parent\'s code "{prefix}"')
            )
    return found
