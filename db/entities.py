"""Every mapped entity, registered on import (see db/mapping.py)."""

from db import audit, audit_runs_mapping, community  # noqa: F401
