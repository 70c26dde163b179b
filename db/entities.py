"""Every mapped entity, registered on import (see db/mapping.py)."""

from db import audit, community, enterprises_mapping, grid_mapping, needs_mapping  # noqa: F401
