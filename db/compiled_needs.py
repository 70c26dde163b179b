"""Compiled forms of the needs, resources, projects and micro-projects root fields."""

from __future__ import annotations

from db.compiled_community import ROOT_FIELDS
from db.compiled_grid import root_fields

ROOT_FIELDS.update(
    root_fields(
        {
            "need": "Need",
            "needs": "Need*",
            "resource": "Resource",
            "resources": "Resource*",
            "needMatches": "NeedMatch*",
            "project": "Project",
            "projects": "Project*",
            "microProject": "MicroProject",
            "microProjects": "MicroProject*",
        }
    )
)
