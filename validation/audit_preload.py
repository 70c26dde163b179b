"""What the audit workers' forkserver loads once, before it forks any worker
(validation/audit.py ``AuditPool``): Great Expectations with the audit's expectation
registered, the PostgreSQL driver the workers connect with, and the Data Docs page view
with its templates compiled. Workers inherit all of it; without it each worker would
import the driver and compile the page's templates again (about a second per worker,
in every ``gongzhi audit run``).

Imported only by the forkserver and the workers, never by the service or the CLI.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import psycopg  # noqa: F401  (the driver the data source's engine loads)
import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401
from great_expectations.render.view import DefaultJinjaPageView

import validation.audit_expectations  # noqa: F401  (registers the expectation)

_view: Any = None


def page_view() -> Any:
    """One page view per process: its jinja environment keeps the compiled templates
    (a new view compiles them again, half a second per page)."""
    global _view
    if _view is None:
        _view = DefaultJinjaPageView()
        for name in _view.env.list_templates():
            if name.endswith(".j2"):
                _view.env.get_template(name)
    return _view


page_view()
