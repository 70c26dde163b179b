"""The compiled read path: a whole query answered by one SQL statement.

`CompiledReads.execute` returns the response body, or None when the query must go
through Strawberry's execution instead (mutations, introspection, federation fields,
anything the compiler does not know, and every request whose arguments are invalid, so
that errors are always reported by one path, the same way).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import asyncpg
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    parse,
    specified_rules,
    type_from_ast,
    validate,
)
from graphql.execution.values import get_variable_values
from strawberry import relay
from strawberry.extensions.max_aliases import create_validator as alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

# every mapped entity and its compile rules, registered on import: without db.entities the
# grid's and the needs' fields were never compiled in the service (nothing else imports them)
import db.entities  # noqa: F401
from db import compiled_community
from db.compiler import Compiled, Fallback, NotCompilable, compile_operation
from db.mapping import Entity
from db.query import FilterItems, PageRequest
from db.session import Session
from resolvers.pagination import filter_items, page_request

log = logging.getLogger(__name__)


class ReadFailed(Exception):
    """The compiled statement failed in the database; the resolvers are to answer."""


_MISSING = object()
_NOT_COMPILABLE = object()


class _LRU(OrderedDict[Hashable, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_item(self, key: Hashable) -> Any:
        if key not in self:
            return _MISSING
        self.move_to_end(key)
        return self[key]

    def put(self, key: Hashable, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class ArgumentPolicy:
    """The resolver path's argument rules, for the compiler's bind step."""

    def __init__(self, max_page_size: int) -> None:
        self.max_page_size = max_page_size

    def page_request(self, entity: Entity, args: dict[str, Any]) -> PageRequest:
        order = args.get("orderBy")
        if order is None:
            # the schema's order inputs default to these (tests/test_mapping.py)
            field, descending = entity.default_order, entity.default_descending
        else:
            field = order["field"].value
            descending = order["direction"].value == "desc"
        try:
            return page_request(
                order=field,
                descending=descending,
                first=args.get("first"),
                after=args.get("after"),
                last=args.get("last"),
                before=args.get("before"),
                filters=filter_items(args.get("filter")),
                max_page_size=self.max_page_size,
            )
        except GraphQLError as exc:
            raise Fallback(exc.message) from None

    def filter_items(self, filter_arg: dict[str, Any] | None) -> FilterItems:
        try:
            return filter_items(filter_arg)
        except GraphQLError as exc:
            raise Fallback(exc.message) from None

    def node_id(self, global_id: Any) -> tuple[str, int]:
        try:
            if not isinstance(global_id, relay.GlobalID):
                global_id = relay.GlobalID.from_id(global_id)
            return global_id.type_name, int(global_id.node_id)
        except Exception:
            raise Fallback("not a global id of ours") from None


def variables_shape(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict[str, Any]
) -> Hashable:
    """What in the variables changes the SQL: presence, booleans (@skip/@include) and enums
    (orderBy). Strings, numbers and lists are bound as parameters and do not."""
    shape = []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        gql_type = type_from_ast(schema, definition.type)  # type: ignore[arg-type]
        shape.append((name, _shape(gql_type, variables.get(name, _MISSING))))
    return tuple(shape)


def _shape(gql_type: Any, value: Any) -> Hashable:
    if value is _MISSING:
        return "-"
    if value is None:
        return None
    if isinstance(gql_type, GraphQLNonNull):
        gql_type = gql_type.of_type
    if isinstance(gql_type, GraphQLList):
        return "L"
    if isinstance(gql_type, GraphQLEnumType) or gql_type is GraphQLBoolean:
        return value if isinstance(value, str | bool) else repr(value)
    if isinstance(gql_type, GraphQLInputObjectType):
        if not isinstance(value, dict):
            return repr(value)
        return tuple(
            (k, _shape(gql_type.fields[k].type, value[k]) if k in gql_type.fields else "?")
            for k in sorted(value)
        )
    return "*"


class CompiledReads:
    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        max_depth: int,
        max_aliases: int,
        max_tokens: int,
        max_page_size: int,
        cache_size: int = 2048,
    ) -> None:
        self.schema = schema
        self.rules = (
            *specified_rules,
            depth_validator(max_depth, None, None),
            alias_validator(max_aliases),
        )
        self.max_tokens = max_tokens
        self.policy = ArgumentPolicy(max_page_size)
        self._documents = _LRU(cache_size)
        self._compiled = _LRU(cache_size)

    def document(self, query: str) -> DocumentNode | None:
        """The parsed document if it is valid (cached either way)."""
        found = self._documents.get_item(query)
        if found is _MISSING:
            try:
                doc = parse(query, max_tokens=self.max_tokens)
                found = None if validate(self.schema, doc, self.rules) else doc
            except GraphQLError:
                found = None
            self._documents.put(query, found)
        return found

    def prepare(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> tuple[Compiled, list[Any]] | None:
        """The statement and its parameters, or None to use the resolver path."""
        doc = self.document(query)
        if doc is None:
            return None
        operation = get_operation_ast(doc, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            # before coercing the variables: a mutation's input can be large, and coercing
            # it here would be thrown away
            return None
        raw = variables or {}
        coerced = get_variable_values(self.schema, operation.variable_definitions or [], raw)
        if isinstance(coerced, list):
            return None
        key = (query, operation_name, variables_shape(self.schema, operation, raw))
        compiled = self._compiled.get_item(key)
        try:
            if compiled is _MISSING:
                compiled = self._compile(doc, operation, coerced)
                self._compiled.put(key, compiled)
            if compiled is _NOT_COMPILABLE:
                return None
            return compiled, compiled.bind(coerced, self.policy)
        except Fallback:
            return None

    def _compile(
        self, doc: DocumentNode, operation: OperationDefinitionNode, variables: Any
    ) -> Compiled | object:
        fragments = {
            d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
        }
        try:
            return compile_operation(
                self.schema,
                operation,
                fragments,
                variables,
                self.policy,
                compiled_community.ROOT_FIELDS,
            )
        except NotCompilable as exc:
            log.debug("not compiled: %s", exc)
            return _NOT_COMPILABLE

    async def execute(
        self,
        reader: Session | asyncpg.Pool,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> str | None:
        """The JSON text of the response's ``data``, or None for the resolver path.

        A statement that fails in the database (cancelled, timed out, a lock not granted,
        a deadlock, the connection lost) raises ``ReadFailed``: the caller leaves the
        request to the resolver path, and Strawberry answers as it always does, with the
        data it can read and coded, masked errors (HTTP 200), where this path alone could
        only fail the whole request (HTTP 500).
        """
        prepared = self.prepare(query, variables, operation_name)
        if prepared is None:
            return None
        compiled, params = prepared
        try:
            return await reader.fetchval(compiled.sql, *params)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            state = getattr(exc, "sqlstate", None) or type(exc).__name__
            # a statement PostgreSQL refuses to run (42: syntax, undefined names; XX:
            # internal) is the compiler's bug, not the moment's
            level = logging.ERROR if state[:2] in ("42", "XX") else logging.WARNING
            log.log(level, "compiled read failed (%s: %s); answering by resolvers", state, exc)
            raise ReadFailed(state) from exc
