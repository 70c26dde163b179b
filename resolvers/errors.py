"""Errors a client made, reported with ``extensions.code`` so frontends can branch on them."""

from __future__ import annotations

from graphql import GraphQLError


def bad_input(message: str, field: str | None = None) -> GraphQLError:
    extensions: dict[str, object] = {"code": "BAD_USER_INPUT"}
    if field:
        extensions["field"] = field
    return GraphQLError(message, extensions=extensions)
