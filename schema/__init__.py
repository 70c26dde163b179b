"""The GraphQL schema, composed from one module per domain."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from schema.community import Area, Household, Resident
from schema.community_mutations import Mutation
from schema.errors import ErrorCodes, Schema
from schema.query import Query

TYPES = [Area, Household, Resident]


def build_schema(settings: Any | None = None) -> Schema:
    """The federated schema with the limits in settings (defaults when None)."""
    depth = getattr(settings, "max_query_depth", 12)
    aliases = getattr(settings, "max_aliases", 30)
    tokens = getattr(settings, "max_tokens", 5000)
    return Schema(
        query=Query,
        mutation=Mutation,
        types=TYPES,
        federation_version="2.7",
        extensions=[
            # factories: Strawberry builds extensions per request; the caches live at
            # module level, shared by every request
            lambda: QueryDepthLimiter(max_depth=depth),
            lambda: MaxAliasesLimiter(max_alias_count=aliases),
            lambda: MaxTokensLimiter(max_token_count=tokens),
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            ErrorCodes,
        ],
    )
