"""Domain errors raised at the db boundary, mapped from PostgreSQL's SQLSTATE and constraint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg


class DomainError(Exception):
    """A write the database refused for a reason the caller can act on."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    def __init__(self, what: str, key: object, field: str | None = None) -> None:
        super().__init__("NOT_FOUND", f"no {what} {key!s}", field)


# constraint name -> (error code, input field it concerns)
CONSTRAINTS: dict[str, tuple[str, str | None]] = {
    "resident_id_number_valid": ("INVALID_ID_NUMBER", "idNumber"),
    "resident_id_number_key": ("DUPLICATE_ID_NUMBER", "idNumber"),
    "resident_matches_id_number": ("ID_NUMBER_MISMATCH", "idNumber"),
    "resident_phone_format": ("INVALID_PHONE", "phone"),
    "resident_birth_date_past": ("INVALID_INPUT", "birthDate"),
    "resident_birth_date_check": ("INVALID_INPUT", "birthDate"),
    "resident_name_check": ("INVALID_INPUT", "name"),
    "resident_one_head": ("SECOND_HEAD", "relation"),
    "household_one_head": ("NO_HEAD", "relation"),
    "household_area_level": ("WRONG_AREA_LEVEL", "areaCode"),
    "household_address": ("ADDRESS_TAKEN", "room"),
    "household_room_check": ("INVALID_INPUT", "room"),
    "household_unit_check": ("INVALID_INPUT", "unit"),
    "resident_lives_or_registered": ("INVALID_INPUT", "livesHere"),
    # a referenced row deleted by a concurrent transaction
    "household_area_id_fkey": ("UNKNOWN_AREA", "areaCode"),
    "resident_household_id_fkey": ("NOT_FOUND", "householdId"),
}


def from_postgres(exc: asyncpg.PostgresError) -> DomainError | None:
    constraint = getattr(exc, "constraint_name", None)
    if constraint in CONSTRAINTS:
        code, field = CONSTRAINTS[constraint]
        return DomainError(code, str(getattr(exc, "message", exc)), field)
    return None


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn constraint violations we know into DomainError; anything else propagates."""
    try:
        yield
    except asyncpg.InsufficientPrivilegeError as exc:
        # row-level security refused a row (a write outside the principal's area), or the
        # role lacks the privilege altogether
        raise DomainError("FORBIDDEN", "outside what your role and area may change") from exc
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.RaiseError) as exc:
        mapped = from_postgres(exc)
        if mapped is None:
            raise
        raise mapped from exc
