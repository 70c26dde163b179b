"""Every mapped entity, registered on import (see db/mapping.py)."""

from db import (  # noqa: F401
    audit,
    audit_runs_mapping,
    community,
    enterprises_mapping,
    grid_mapping,
    needs_mapping,
    petitions_mapping,
    volunteers_mapping,
)
