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

from resolvers.context import FreshLoaders
from schema.audit import AuditEntry, AuditQuery
from schema.audit_runs import AuditFinding, AuditRun, AuditRunQuery
from schema.audit_runs_mutations import AuditRunMutation
from schema.community import Area, Household, Resident
from schema.community_mutations import Mutation as CommunityMutation
from schema.enterprises import (
    AnnualAccount,
    CollectiveEnterprise,
    Disclosure,
    DividendDistribution,
    DividendLine,
    EnterpriseMembership,
    EnterpriseQuery,
    Shareholding,
)
from schema.enterprises_mutations import EnterpriseMutation
from schema.errors import ErrorCodes, Schema
from schema.grid import CompoundBranch, GridNode, GridQuery, GridVisit, PartyMemberReport
from schema.grid_mutations import GridMutation
from schema.needs import MicroProject, Need, NeedMatch, NeedsQuery, Project, Resource
from schema.needs_mutations import NeedsMutation
from schema.petitions import Petition, PetitionCase, PetitionEvent, PetitionQuery
from schema.petitions_mutations import PetitionMutation
from schema.petitions_subscriptions import PetitionSubscription
from schema.query import Query as CommunityQuery
from schema.reports import MonthlyReport
from schema.reports_root import ReportMutation, ReportQuery
from schema.volunteers import VOLUNTEER_TYPES, VolunteerQuery
from schema.volunteers_mutations import VolunteerMutation

# Each domain contributes its root fields here; merge_types keeps the field order.
QUERIES: tuple[type, ...] = (
    CommunityQuery,
    AuditQuery,
    ReportQuery,
    PetitionQuery,
    GridQuery,
    NeedsQuery,
    EnterpriseQuery,
    AuditRunQuery,
    VolunteerQuery,
)
MUTATIONS: tuple[type, ...] = (
    CommunityMutation,
    ReportMutation,
    PetitionMutation,
    GridMutation,
    NeedsMutation,
    EnterpriseMutation,
    AuditRunMutation,
    VolunteerMutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (PetitionSubscription,)
# Entities (federation @key types) must be listed so _entities can resolve them.
TYPES = [Area, Household, Resident, AuditEntry, MonthlyReport, AuditRun, AuditFinding]
TYPES += [GridNode, GridVisit, CompoundBranch, PartyMemberReport]
TYPES += [Need, Resource, NeedMatch, Project, MicroProject]
TYPES += [CollectiveEnterprise, EnterpriseMembership, Shareholding, AnnualAccount]
TYPES += [DividendDistribution, DividendLine, Disclosure]
TYPES += VOLUNTEER_TYPES
TYPES += [Petition, PetitionEvent, PetitionCase]

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)
Subscription = merge_types("Subscription", SUBSCRIPTIONS)


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
        subscription=Subscription,
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
            FreshLoaders,
            *([DisableIntrospection] if production else []),
        ],
    )
