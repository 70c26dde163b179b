"""Compile a validated GraphQL query into ONE SQL statement that builds the response JSON.

The compiler reads the same mapping as the resolver path (db/mapping.py) and the
graphql-core schema Strawberry built. It either returns a `Compiled` statement or raises
`NotCompilable`, and the caller runs the query through Strawberry instead. A compiled
statement is cached per (document, operation, variables' shape); `Compiled.bind` turns a
request's variables into parameters and raises `Fallback` when an argument is invalid, so
that the resolver path reports the error exactly as it always does.

Output must equal Strawberry's: response keys in GraphQL's collect-fields order, enum
names, global ids, ISO dates, cursors built as db.query builds them, lists in the same
order. json (not jsonb) keeps key order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values, get_directive_values

from db.mapping import REGISTRY, Entity, Relation
from db.query import FilterItems, PageRequest, cursor_sql, decode_cursor

MAX_OBJECT_KEYS = 50  # json_build_object takes at most 100 arguments


class NotCompilable(Exception):
    """The query uses something the compiler does not handle; run it through Strawberry."""


class Fallback(Exception):
    """A request's arguments are invalid; the resolver path will report the error."""


class Policy(Protocol):
    """How arguments are checked: the same rules as the resolver path (resolvers/)."""

    def page_request(self, entity: Entity, args: dict[str, Any]) -> PageRequest: ...

    def filter_items(self, filter_arg: dict[str, Any] | None) -> FilterItems: ...

    def node_id(self, global_id: str) -> tuple[str, int]: ...


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


@dataclass
class BindState:
    """Arguments of one request, evaluated at most once per field.

    Memos are keyed by the ArgSite objects themselves (identity; they hash by id but the
    dict holds them alive): keyed by ``id()`` a site freed during compilation could hand
    its address, and so its arguments, to a later one.
    """

    variables: Any
    policy: Policy
    memo: dict[ArgSite, dict[str, Any]] = field(default_factory=dict)
    pages: dict[ArgSite, PageRequest] = field(default_factory=dict)
    derived: dict[tuple[ArgSite, str], Any] = field(default_factory=dict)

    def once(self, site: ArgSite, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` for this request, once, however many parameters need it."""
        key = (site, name)
        if key not in self.derived:
            self.derived[key] = compute()
        return self.derived[key]

    def args(self, site: ArgSite) -> dict[str, Any]:
        if site not in self.memo:
            try:
                self.memo[site] = get_argument_values(site.field_def, site.node, self.variables)
            except Exception as exc:
                raise Fallback(str(exc)) from None
        return self.memo[site]

    def page(self, site: ArgSite) -> PageRequest:
        if site not in self.pages:
            assert site.entity is not None
            try:
                self.pages[site] = self.policy.page_request(site.entity, self.args(site))
            except Fallback:
                raise
            except Exception as exc:
                raise Fallback(str(exc)) from None
        return self.pages[site]


@dataclass(frozen=True, eq=False)
class ArgSite:
    field_def: GraphQLField
    node: FieldNode
    entity: Entity | None = None


Binder = Callable[[BindState], Any]


@dataclass
class Compiled:
    sql: str
    binders: list[Binder]

    def bind(self, variables: Any, policy: Policy) -> list[Any]:
        state = BindState(variables, policy)
        return [binder(state) for binder in self.binders]


def compile_operation(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: Any,
    policy: Policy,
    root_fields: dict[str, Callable[[Compiler, GraphQLField, list[FieldNode]], str]],
) -> Compiled:
    if operation.operation is not OperationType.QUERY:
        raise NotCompilable("only queries are compiled")
    compiler = Compiler(schema, fragments, variables, policy)
    query_type = schema.query_type
    assert query_type is not None
    parts = []
    for key, nodes in compiler.collect(query_type, [operation.selection_set]).items():
        name = nodes[0].name.value
        if name == "__typename":
            expr = compiler.literal(query_type.name)
        elif name in root_fields:
            expr = root_fields[name](compiler, query_type.fields[name], nodes)
        else:
            raise NotCompilable(f"Query.{name}")
        parts.append((key, expr))
    return Compiled(f"SELECT {json_object(parts)}::text", compiler.binders)


def json_object(parts: list[tuple[str, str]]) -> str:
    if len(parts) > MAX_OBJECT_KEYS:
        raise NotCompilable("too many keys for json_build_object")
    if not parts:
        return "json_build_object()"
    return "json_build_object(" + ", ".join(f"'{k}', {v}" for k, v in parts) + ")"


class Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Any,
        policy: Policy,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.binders: list[Binder] = []
        self.state = BindState(variables, policy)
        self._aliases = 0

    # -- bookkeeping ---------------------------------------------------------------
    def alias(self) -> str:
        self._aliases += 1
        return f"t{self._aliases}"

    def param(self, binder: Binder, sql_type: str) -> str:
        self.binders.append(binder)
        return f"${len(self.binders)}::{sql_type}"

    @staticmethod
    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    # -- GraphQL's collect-fields, for one runtime object type ---------------------
    def collect(
        self, runtime: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def include(node: Any) -> bool:
            skip = get_directive_values(GraphQLSkipDirective, node, self.state.variables)
            if skip and skip.get("if") is True:
                return False
            keep = get_directive_values(GraphQLIncludeDirective, node, self.state.variables)
            return not (keep and keep.get("if") is False)

        def applies(type_name: str | None) -> bool:
            if type_name is None or type_name == runtime.name:
                return True
            condition = self.schema.get_type(type_name)
            return isinstance(condition, GraphQLInterfaceType) and self.schema.is_sub_type(
                condition, runtime
            )

        def walk(selection_set: SelectionSetNode) -> None:
            for sel in selection_set.selections:
                if not include(sel):
                    continue
                if isinstance(sel, FieldNode):
                    key = sel.alias.value if sel.alias else sel.name.value
                    fields.setdefault(key, []).append(sel)
                elif isinstance(sel, InlineFragmentNode):
                    cond = sel.type_condition.name.value if sel.type_condition else None
                    if applies(cond):
                        walk(sel.selection_set)
                elif isinstance(sel, FragmentSpreadNode):
                    name = sel.name.value
                    if name in visited:
                        continue
                    visited.add(name)
                    frag = self.fragments[name]
                    if applies(frag.type_condition.name.value):
                        walk(frag.selection_set)

        for selection_set in selection_sets:
            walk(selection_set)
        return fields

    @staticmethod
    def subselections(nodes: list[FieldNode]) -> list[SelectionSetNode]:
        return [n.selection_set for n in nodes if n.selection_set is not None]

    # -- objects -------------------------------------------------------------------
    def object_json(
        self, gtype: GraphQLObjectType, ent: Entity, alias: str, nodes: list[FieldNode]
    ) -> str:
        parts = []
        for key, subnodes in self.collect(gtype, self.subselections(nodes)).items():
            name = subnodes[0].name.value
            if name == "__typename":
                parts.append((key, self.literal(gtype.name)))
                continue
            field_def = gtype.fields[name]
            parts.append((key, self.field_sql(gtype, ent, alias, field_def, subnodes)))
        return json_object(parts)

    def field_sql(
        self,
        gtype: GraphQLObjectType,
        ent: Entity,
        alias: str,
        field_def: GraphQLField,
        nodes: list[FieldNode],
    ) -> str:
        name = nodes[0].name.value
        if name == "id" and "Node" in {i.name for i in gtype.interfaces}:
            return global_id_sql(gtype.name, f"{alias}.{ent.key}")
        python = snake(name)
        if python in ent.columns:
            if nodes[0].arguments:
                raise NotCompilable(f"{gtype.name}.{name} with arguments")
            return output_sql(field_def.type, ent.columns[python].sql.format(t=alias))
        if python in ent.relations:
            return self.relation_sql(ent, alias, ent.relations[python], field_def, nodes)
        special = SPECIAL_FIELDS.get((gtype.name, name))
        if special is not None:
            return special(self, alias, field_def, nodes)
        raise NotCompilable(f"{gtype.name}.{name}")

    def relation_sql(
        self,
        parent: Entity,
        alias: str,
        rel: Relation,
        field_def: GraphQLField,
        nodes: list[FieldNode],
    ) -> str:
        target = REGISTRY[rel.target]
        named = get_named_type(field_def.type)
        t = self.alias()
        if rel.kind == "one" or rel.as_list:
            if nodes[0].arguments:
                raise NotCompilable(f"{parent.name} relation with arguments")
            obj = self.object_json(named, target, t, nodes)  # type: ignore[arg-type]
            join = rel.join.format(t=t, p=alias)
            if rel.kind == "one":
                # by the target's key (``via``) the row is unique: no LIMIT node to run per
                # parent row; any other join keeps a deterministic first row
                pick = "" if rel.via else f" ORDER BY {t}.{target.key} LIMIT 1"
                return f"(SELECT {obj} FROM {target.table} {t} WHERE {join}{pick})"
            order = (rel.order or "{t}.id").format(t=t)
            return (
                f"(SELECT coalesce(json_agg({obj} ORDER BY {order}), '[]'::json) "
                f"FROM {target.table} {t} WHERE {join})"
            )
        return self.connection_sql(
            named,
            target,
            ArgSite(field_def, nodes[0], target),
            nodes,  # type: ignore[arg-type]
            join=lambda a: rel.join.format(t=a, p=alias),
            small=rel.small_when.format(p=alias) if rel.small_when else None,
        )

    # -- connections ---------------------------------------------------------------
    def filter_clauses(
        self, ent: Entity, alias: str, site: ArgSite, request: Callable[[BindState], FilterItems]
    ) -> list[str]:
        clauses = []
        for name, _ in request(self.state):
            spec = ent.filters[name]

            def bind(state: BindState, name: str = name) -> Any:
                return dict(request(state))[name]

            clauses.append(spec.sql.format(t=alias, v=self.param(bind, spec.sql_type)))
        return clauses

    def connection_sql(
        self,
        conn_type: GraphQLObjectType,
        ent: Entity,
        site: ArgSite,
        nodes: list[FieldNode],
        join: Callable[[str], str] | None,
        small: str | None = None,
    ) -> str:
        """The connection's JSON; ``small``, a predicate on the parent, says when its rows
        are few enough to read all and sort rather than walk an index in order (the page
        is then read from a subquery PostgreSQL cannot flatten: ``OFFSET 0``)."""
        page = self.state.page(site)
        if len(nodes) > 1 and any(n.arguments != nodes[0].arguments for n in nodes[1:]):
            raise NotCompilable("merged connection fields with different arguments")
        t, c = self.alias(), self.alias()
        key_order = ent.orders[page.order]
        sort = key_order.sql.format(t=t)
        backward = page.backward
        descending = page.descending != backward
        direction = "DESC" if descending else "ASC"
        order_by = f"{sort} {direction}, {t}.{ent.key} {direction}"
        if page_size_is_literal(site.node):
            # written in the document, so the same for every request of this statement: as
            # a constant, PostgreSQL can plan the statement once (a LIMIT parameter makes
            # it re-plan on every execution, which cost more than running the plan)
            limit = str(int(page.limit))
        else:
            limit = self.param(lambda s: s.page(site).limit, "int")
        filters = self.filter_clauses(ent, t, site, lambda s: s.page(site).filters)
        where = ([join(t)] if join else []) + filters
        for cursor_name in ("after", "before"):
            if getattr(page, cursor_name) is None:
                continue
            is_after = cursor_name == "after"

            def cursor_part(s: BindState, i: int, name: str = cursor_name) -> str:
                req = s.page(site)
                try:
                    return decode_cursor(getattr(req, name), req.order)[i]
                except ValueError:
                    raise Fallback("invalid cursor") from None

            value = self.param(lambda s, f=cursor_part: f(s, 0), "text")
            key = self.param(lambda s, f=cursor_part: f(s, 1), "text")
            cmp = ">" if is_after != page.descending else "<"
            where.append(
                f"({sort}, {t}.{ent.key}) {cmp} ({value}::{key_order.sql_type}, {key}::bigint)"
            )
        # output order of edges: reversed back when the page was walked backwards
        out = "DESC" if backward else "ASC"
        rev = "ASC" if backward else "DESC"
        row_exprs: list[str] = []

        def row(expr: str) -> str:
            row_exprs.append(expr)
            return f"p._e{len(row_exprs) - 1}"

        aggregates: list[tuple[str, str]] = []

        def agg(expr: str) -> str:
            aggregates.append((f"_a{len(aggregates)}", expr))
            return f"a._a{len(aggregates) - 1}"

        node_type = get_named_type(conn_type.fields["nodes"].type)
        fields = self.collect(conn_type, self.subselections(nodes))
        # Cursors and hasNextPage need the page numbered (a window) and one row more than
        # asked for; a selection of nodes alone (what lists in a frontend mostly are)
        # takes the page as it comes, sorted once more by its keys inside json_agg.
        windowed = any(sub[0].name.value in ("edges", "pageInfo") for sub in fields.values())
        natural = "DESC" if page.descending else "ASC"
        more = agg(f"count(*) > {limit}") if windowed else ""
        parts = []
        for key, subnodes in fields.items():
            name = subnodes[0].name.value
            if name == "__typename":
                parts.append((key, self.literal(conn_type.name)))
            elif name == "totalCount":
                count_filters = self.filter_clauses(ent, c, site, lambda s: s.page(site).filters)
                count_where = ([join(c)] if join else []) + count_filters
                parts.append(
                    (key, f"(SELECT count(*) FROM {ent.table} {c} WHERE {and_all(count_where)})")
                )
            elif name == "nodes":
                node = row(self.object_json(node_type, ent, t, subnodes))  # type: ignore[arg-type]
                listed = list_agg(node, limit, out) if windowed else sorted_agg(node, natural)
                parts.append((key, agg(listed)))
            elif name == "edges":
                edge_type = get_named_type(conn_type.fields["edges"].type)
                edge_parts = []
                for ekey, enodes in self.collect(edge_type, self.subselections(subnodes)).items():  # type: ignore[arg-type]
                    ename = enodes[0].name.value
                    if ename == "__typename":
                        edge_parts.append((ekey, self.literal(edge_type.name)))
                    elif ename == "cursor":
                        edge_parts.append((ekey, "p._c"))
                    elif ename == "node":
                        edge_parts.append(
                            (ekey, row(self.object_json(node_type, ent, t, enodes)))  # type: ignore[arg-type]
                        )
                    else:
                        raise NotCompilable(f"{edge_type.name}.{ename}")
                parts.append((key, agg(list_agg(json_object(edge_parts), limit, out))))
            elif name == "pageInfo":
                info_type = get_named_type(conn_type.fields["pageInfo"].type)
                info_parts = []
                for ikey, inodes in self.collect(info_type, self.subselections(subnodes)).items():  # type: ignore[arg-type]
                    iname = inodes[0].name.value
                    if iname == "__typename":
                        expr = self.literal(info_type.name)
                    elif iname == "hasNextPage":
                        expr = more if not backward else bool_sql(page.before is not None)
                    elif iname == "hasPreviousPage":
                        expr = more if backward else bool_sql(page.after is not None)
                    elif iname == "startCursor":
                        expr = agg(first_cursor(limit, out))
                    elif iname == "endCursor":
                        expr = agg(first_cursor(limit, rev))
                    else:
                        raise NotCompilable(f"PageInfo.{iname}")
                    info_parts.append((ikey, expr))
                parts.append((key, json_object(info_parts)))
            else:
                raise NotCompilable(f"{conn_type.name}.{name}")
        rows = ", ".join(f"{e} AS _e{i}" for i, e in enumerate(row_exprs))
        rows = (rows + ", ") if rows else ""
        if not windowed and not aggregates:
            # totalCount or __typename alone: the page is read all the same, as its
            # filters and cursors are parameters PostgreSQL requires to be used
            agg("count(*)")

        def page_sql(source: str) -> str:
            if windowed:
                cursor = cursor_sql(page.order, f"{t}.{ent.key}", sort)
                return (
                    f"SELECT {rows}{cursor} AS _c, row_number() OVER (ORDER BY {order_by}) "
                    f"AS _rn FROM {source} ORDER BY {order_by} LIMIT {limit} + 1"
                )
            return (
                f"SELECT {rows}{sort} AS _s, {t}.{ent.key} AS _k "
                f"FROM {source} ORDER BY {order_by} LIMIT {limit}"
            )

        def connection(source: str) -> str:
            agg_sql = ", ".join(f"{expr} AS {name}" for name, expr in aggregates)
            return (
                f"(SELECT {json_object(parts)} "
                f"FROM (SELECT {agg_sql} FROM ({page_sql(source)}) p) a)"
            )

        walked = connection(f"{ent.table} {t} WHERE {and_all(where)}")
        if small is None:
            return walked
        read_whole = connection(
            f"(SELECT * FROM {ent.table} {t} WHERE {and_all(where)} OFFSET 0) {t}"
        )
        return f"(CASE WHEN {small} THEN {read_whole} ELSE {walked} END)"


def page_size_is_literal(node: FieldNode) -> bool:
    """Whether a connection's page size (``first``/``last``) is not a variable."""
    return not any(
        isinstance(arg.value, VariableNode)
        for arg in node.arguments or ()
        if arg.name.value in ("first", "last")
    )


def and_all(clauses: list[str]) -> str:
    return " AND ".join(clauses) if clauses else "true"


def bool_sql(value: bool) -> str:
    return "true" if value else "false"


def list_agg(expr: str, limit: str, direction: str) -> str:
    return (
        f"coalesce(json_agg({expr} ORDER BY p._rn {direction}) "
        f"FILTER (WHERE p._rn <= {limit}), '[]'::json)"
    )


def sorted_agg(expr: str, direction: str) -> str:
    """The page's rows in order: by the sort value, then the key (see connection_sql)."""
    return f"coalesce(json_agg({expr} ORDER BY p._s {direction}, p._k {direction}), '[]'::json)"


def first_cursor(limit: str, direction: str) -> str:
    return f"(array_agg(p._c ORDER BY p._rn {direction}) FILTER (WHERE p._rn <= {limit}))[1]"


def global_id_sql(type_name: str, key_sql: str) -> str:
    # Strawberry's GlobalID: standard base64 of "Type:key" (short enough for no line breaks)
    return f"encode(convert_to('{type_name}:' || ({key_sql})::text, 'UTF8'), 'base64')"


def output_sql(gql_type: Any, expr: str) -> str:
    """A column as GraphQL serialises it: enums by name, everything else as json does."""
    inner = gql_type.of_type if isinstance(gql_type, GraphQLNonNull) else gql_type
    if isinstance(inner, GraphQLList):
        item = get_named_type(inner)
        if isinstance(item, GraphQLEnumType):
            return (
                f"(SELECT coalesce(json_agg({enum_sql(item, 'u.x')} ORDER BY u.o), '[]'::json) "
                f"FROM unnest({expr}) WITH ORDINALITY AS u(x, o))"
            )
        return expr
    if isinstance(inner, GraphQLEnumType):
        return enum_sql(inner, expr)
    if getattr(inner, "name", None) == "DateTime":
        return datetime_sql(expr)
    return expr


def datetime_sql(expr: str) -> str:
    """Python's isoformat() of a UTC datetime: microseconds only when not zero, six digits."""
    utc = f"(({expr}) AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"date_part('microseconds', {utc})::int % 1000000 <> 0 "
        f"THEN to_char({utc}, '.US') ELSE '' END || '+00:00')"
    )


def enum_sql(enum: GraphQLEnumType, expr: str) -> str:
    cases = " ".join(
        f"WHEN {Compiler.literal(str(v.value))} THEN {Compiler.literal(name)}"
        for name, v in enum.values.items()
    )
    return f"(CASE ({expr})::text {cases} END)"


SpecialField = Callable[[Compiler, str, GraphQLField, list[FieldNode]], str]

# (type, field) -> compiler of a field that is neither a column nor a relation
SPECIAL_FIELDS: dict[tuple[str, str], SpecialField] = {}
