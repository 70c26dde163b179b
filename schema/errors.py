"""Every error leaves with ``extensions.code``; unexpected ones leave without their internals.

Codes follow Apollo's conventions, which frontends and gateways already understand:
GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT (raised by resolvers),
INTERNAL_SERVER_ERROR (anything unexpected: logged here, masked for the client).
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger("gongzhi.errors")


def _is_expected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


def _code_for(error: GraphQLError) -> str:
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


class Schema(strawberry.federation.Schema):
    """Strawberry's federated schema, with errors coded before anything else sees them."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Parse and validation errors never reach extensions' result hooks, but they pass
        # here. Strawberry's default logs every error, client mistakes included; we log
        # only unexpected ones (ErrorCodes does).
        for error in errors:
            if error.original_error is None and "code" not in (error.extensions or {}):
                error.extensions = {**(error.extensions or {}), "code": _code_for(error)}


class ErrorCodes(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not _is_expected(e))

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in errors:
            if not _is_expected(error):
                log.error("unexpected error at %s", error.path, exc_info=error.original_error)
                masked = self.anonymise_error(error)
                masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
                processed.append(masked)
                continue
            extensions = dict(error.extensions or {})
            if isinstance(error.original_error, GraphQLError):
                extensions = {**(error.original_error.extensions or {}), **extensions}
            if "code" not in extensions:
                extensions["code"] = _code_for(error)
            error.extensions = extensions
            processed.append(error)
        return processed
