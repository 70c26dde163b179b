"""SQL of the area registry import: what is stored for a file's codes, and storing its rows.

The caller runs ``lock``, ``load_stored`` and ``store`` in one transaction, so the rows are
judged against exactly the areas they are written next to.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import NamedTuple, TypeVar

import asyncpg

# Rows per statement: large enough that 50,000 areas take a handful of round trips,
# small enough for a progress bar to move.
BATCH = 5000

# Imports serialise against each other and against any other writer of areas, so two
# imports of overlapping files cannot both decide to create the same code. Readers
# (the GraphQL service) are not blocked: SHARE ROW EXCLUSIVE conflicts only with writes.
LOCK_AREAS = "LOCK TABLE area IN SHARE ROW EXCLUSIVE MODE"

LOAD_STORED = """
SELECT a.id, a.code, a.name, a.level::text AS level, p.code AS parent_code
  FROM area a
  LEFT JOIN area p ON p.id = a.parent_id
 WHERE a.code = ANY($1::text[])
"""

# Parents are passed by id (stored ones from LOAD_STORED, new ones from the RETURNING of
# the level above), so no statement joins against the whole area table. One level per
# statement keeps every parent ahead of its children for the trigger on area.
INSERT_AREAS = """
INSERT INTO area (code, name, level, parent_id)
SELECT r.code, r.name, r.level::area_level, r.parent_id
  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS r(code, name, level, parent_id)
RETURNING id, code
"""

# The IS DISTINCT FROM keeps an unchanged name from touching the row at all: no new row
# version, updated_at kept.
RENAME_AREAS = """
UPDATE area a
   SET name = r.name
  FROM unnest($1::text[], $2::text[]) AS r(code, name)
 WHERE a.code = r.code AND a.name IS DISTINCT FROM r.name
"""

T = TypeVar("T")

_LEVELS = ("province", "city", "county", "town", "village", "compound", "building")


class StoredArea(NamedTuple):
    # a NamedTuple, not a dataclass: an import loads one per row, and it is 3x cheaper
    id: int
    code: str
    name: str
    level: str
    parent_code: str | None


class AreaWrite(NamedTuple):
    code: str
    name: str
    level: str
    parent_code: str | None


async def lock(conn: asyncpg.Connection) -> None:
    """Take the import lock; call inside the transaction that stores."""
    await conn.execute(LOCK_AREAS)


async def load_stored(conn: asyncpg.Connection, codes: Collection[str]) -> dict[str, StoredArea]:
    """The stored areas among ``codes``, by code, in one statement."""
    if not codes:
        return {}
    records = await conn.fetch(LOAD_STORED, list(codes))
    return {r["code"]: StoredArea(*r) for r in records}


async def store(
    conn: asyncpg.Connection,
    creates: Sequence[AreaWrite],
    renames: Sequence[tuple[str, str]],
    stored: Mapping[str, StoredArea],
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Insert new areas (parents first) and rename existing ones; return (created, renamed).

    ``stored`` holds (at least) the stored parents of ``creates``. Run it in a transaction:
    a failure part way must leave nothing behind. ``progress`` is called with the number
    of rows each statement handled.
    """
    ids = {code: area.id for code, area in stored.items()}
    created = renamed = 0
    for level in _LEVELS:
        rows = [a for a in creates if a.level == level]
        for batch in _batches(rows):
            parent_ids = [_parent_id(a, ids) for a in batch]
            records = await conn.fetch(
                INSERT_AREAS,
                [a.code for a in batch],
                [a.name for a in batch],
                [a.level for a in batch],
                parent_ids,
            )
            ids.update((r["code"], r["id"]) for r in records)
            created += len(records)
            if progress:
                progress(len(batch))
    for batch in _batches(list(renames)):
        status = await conn.execute(
            RENAME_AREAS, [code for code, _ in batch], [name for _, name in batch]
        )
        renamed += _row_count(status)
        if progress:
            progress(len(batch))
    return created, renamed


def _parent_id(area: AreaWrite, ids: Mapping[str, int]) -> int | None:
    if area.parent_code is None:
        return None
    try:
        return ids[area.parent_code]
    except KeyError:
        # The rules accept a row only when its parent is stored or accepted: a miss here
        # is a bug, and storing the row without its parent would corrupt the tree.
        raise LookupError(
            f"parent {area.parent_code} of area {area.code} is neither stored nor created"
        ) from None


def _batches(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _row_count(status: str) -> int:
    # asyncpg returns the command tag: "INSERT 0 5", "UPDATE 3"
    return int(status.rsplit(" ", 1)[-1])
