"""Every mapped entity, registered on import (see db/mapping.py)."""

from db import audit, community, petitions_mapping  # noqa: F401
