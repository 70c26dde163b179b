"""The GraphQL schema, composed from one module per domain."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.tools import merge_types

from schema.audit import AuditEntry, AuditQuery
from schema.community import Area, Household, Resident
from schema.community_mutations import Mutation as CommunityMutation
from schema.errors import ErrorCodes, Schema
from schema.petitions import Petition, PetitionCase, PetitionEvent, PetitionQuery
from schema.petitions_mutations import PetitionMutation
from schema.query import Query as CommunityQuery
from schema.reports import MonthlyReport
from schema.reports_root import ReportMutation, ReportQuery

# Each domain contributes its root fields here; merge_types keeps the field order.
QUERIES: tuple[type, ...] = (CommunityQuery, AuditQuery, ReportQuery, PetitionQuery)
MUTATIONS: tuple[type, ...] = (CommunityMutation, ReportMutation, PetitionMutation)
# Entities (federation @key types) must be listed so _entities can resolve them.
TYPES = [Area, Household, Resident, AuditEntry, MonthlyReport]
TYPES += [Petition, PetitionEvent, PetitionCase]

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)


def build_schema(settings: Any | None = None) -> Schema:
    """The federated schema with the limits in settings (defaults when None)."""
    depth = getattr(settings, "max_query_depth", 12)
    aliases = getattr(settings, "max_aliases", 30)
    tokens = getattr(settings, "max_tokens", 5000)
    production = getattr(settings, "production", False)
    # The limit rules are built once: ValidationCache keys on the rule classes, and the
    # limiter extensions (QueryDepthLimiter, MaxAliasesLimiter) build new ones on every
    # request, so with them no validation was ever served from the cache.
    limits = (depth_rule(depth, None, None), alias_rule(aliases))
    return Schema(
        query=Query,
        mutation=Mutation,
        types=TYPES,
        federation_version="2.7",
        extensions=[
            # factories: Strawberry builds extensions per request; the caches live at
            # module level, shared by every request
            lambda: AddValidationRules(list(limits)),
            lambda: MaxTokensLimiter(max_token_count=tokens),
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            ErrorCodes,
            *([DisableIntrospection] if production else []),
        ],
    )
