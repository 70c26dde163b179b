"""What every uploaded CSV goes through: decoding and the header check.

Shared by the area registry and the monthly reports (contracts/statistics-intake.md):
both tolerate a UTF-8 BOM, take columns in any order and refuse unknown, repeated or
missing columns, making the file unusable (exit status 2).
"""

from __future__ import annotations

from collections.abc import Sequence


class UnusableInput(ValueError):
    """The file as a whole cannot be used (exit 2); the message is the reason."""


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnusableInput("the file is UTF-16; save it as CSV UTF-8")
    if b"\x00" in data:
        raise UnusableInput("the file is binary, not CSV text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableInput(
            f"the file is not UTF-8 (invalid byte at offset {exc.start}); spreadsheets "
            "often save CSV as GBK: save it as CSV UTF-8"
        ) from None


def columns_hint(columns: Sequence[str]) -> str:
    return "(" + ",".join(columns) + ")"


def header_index(
    header: Sequence[str], columns: Sequence[str], *, missing_note: str = "", expected: str
) -> dict[str, int]:
    """Position of each column in the header; UnusableInput naming every problem.

    ``expected`` says in the message which columns the header must name;
    ``missing_note`` is appended to the missing-columns problem (a rule id, say).
    """
    names = [cell.strip().lower() for cell in header]
    problems: list[str] = []
    unknown = [n for n in names if n not in columns]
    if unknown:
        shown = ", ".join(f'"{n}"' if n else "(an empty column name)" for n in unknown)
        problems.append(f"unknown column{'s' if len(unknown) > 1 else ''} {shown}")
    repeated = sorted({n for n in names if n in columns and names.count(n) > 1})
    if repeated:
        problems.append("column " + ", ".join(f'"{n}"' for n in repeated) + " appears twice")
    missing = [c for c in columns if c not in names]
    if missing:
        problems.append(
            f"missing column{'s' if len(missing) > 1 else ''} "
            + ", ".join(f'"{c}"' for c in missing)
            + missing_note
        )
    if problems:
        hint = f"; the header must name exactly {expected}, in any order"
        if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
            hint += ", separated by commas"
        raise UnusableInput("; ".join(problems) + hint)
    return {name: i for i, name in enumerate(names)}
