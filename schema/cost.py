"""Query cost: a bound on the objects one request can make the server build, checked before execution.

Depth, alias and token limits do not bound work: a depth-10 query over lists multiplies their sizes
(one scanner query built 328,000 objects and held the server for 13–49 s). So every field of the
chosen operation counts once per object it will be resolved for, and a list multiplies what is
below it by its size:

* a connection's ``edges``/``nodes`` by its ``first`` argument (default ``DEFAULT_PAGE_SIZE``, at most
  the page-size limit), a list with a ``first``/``limit``/``top``/``bottom`` argument by that, ``nodes(ids:)``
  by the number of ids;
* any other list by ``UNPAGED_LIST_BOUND`` (document lines, report rows …; the lists that can be
  long — a stock operation's moves, a warehouse's locations — are connections).

Aliases and fragments count wherever they are used; introspection fields cost 1. A request whose
cost exceeds ``JXC_MAX_QUERY_COST`` is refused with ``QUERY_TOO_COMPLEX`` (cost and limit in the
message) before any resolver runs.
"""

from __future__ import annotations

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from schema.relay import DEFAULT_PAGE_SIZE
from server.core.errors import ApiError

DEFAULT_MAX_COST = 50_000
UNPAGED_LIST_BOUND = 50
SIZE_ARGUMENTS = ("first", "limit", "top", "bottom")


def _is_list(gql_type) -> bool:
    while isinstance(gql_type, GraphQLNonNull):
        gql_type = gql_type.of_type
    return isinstance(gql_type, GraphQLList)


class _Costing:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict,
        max_page: int,
        limit: int,
    ):
        self.schema, self.fragments, self.variables = schema, fragments, variables
        self.max_page, self.limit = max_page, limit

    def _value(self, node):
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, ListValueNode):
            return list(node.values)
        return None

    def _size(self, field: FieldNode, name: str, page: int | None) -> int:
        args = {a.name.value: self._value(a.value) for a in field.arguments or ()}
        for arg in SIZE_ARGUMENTS:
            if isinstance(args.get(arg), int):
                return max(0, min(args[arg], self.max_page if arg == "first" else args[arg]))
        if name == "nodes" and isinstance(args.get("ids"), list):
            return len(args["ids"])
        if name in ("edges", "nodes") and page is not None:
            return page
        return UNPAGED_LIST_BOUND

    def cost(self, selections: SelectionSetNode | None, parent, multiplier: int, page: int | None = None) -> int:
        if selections is None:
            return 0
        total = 0
        for sel in selections.selections:
            if isinstance(sel, FieldNode):
                name = sel.name.value
                if name.startswith("__") or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
                    total += multiplier
                    continue
                definition = parent.fields.get(name)
                if definition is None:  # validation has refused it already
                    continue
                size = self._size(sel, name, page) if _is_list(definition.type) else 1
                child = get_named_type(definition.type)
                child_page = None
                if child.name.endswith("Connection"):
                    args = {a.name.value: self._value(a.value) for a in sel.arguments or ()}
                    first = args.get("first")
                    child_page = min(first, self.max_page) if isinstance(first, int) else DEFAULT_PAGE_SIZE
                    child_page = max(child_page, 0)
                here = multiplier * size
                total += here + self.cost(sel.selection_set, child, here, child_page)
            elif isinstance(sel, InlineFragmentNode):
                target = self.schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                total += self.cost(sel.selection_set, target, multiplier, page)
            elif isinstance(sel, FragmentSpreadNode):
                fragment = self.fragments.get(sel.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.cost(fragment.selection_set, target, multiplier, page)
            if total > self.limit:  # no need to count further
                return total
        return total


def query_cost(
    schema: GraphQLSchema,
    document,
    variables: dict | None,
    operation_name: str | None,
    *,
    max_page: int,
    limit: int = DEFAULT_MAX_COST,
) -> int:
    """The cost of the operation of ``document`` that will run (stops counting once over ``limit``)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [d for d in operations if d.name and d.name.value == operation_name]
    if not operations:
        return 0
    op = operations[0]
    root = {"query": schema.query_type, "mutation": schema.mutation_type, "subscription": schema.subscription_type}[
        op.operation.value
    ]
    values = dict(variables or {})
    for definition in op.variable_definitions or ():  # defaults of variables not sent
        name = definition.variable.name.value
        if name not in values and isinstance(definition.default_value, IntValueNode):
            values[name] = int(definition.default_value.value)
    return _Costing(schema, fragments, values, max_page, limit).cost(op.selection_set, root, 1)


class QueryCostLimit(SchemaExtension):
    """Refuses over-cost requests after validation, before execution (see the module docstring)."""

    def on_execute(self):
        ctx = self.execution_context
        settings = getattr(ctx.context, "settings", None)
        limit = getattr(settings, "max_query_cost", DEFAULT_MAX_COST)
        max_page = getattr(settings, "max_page_size", 100)
        if ctx.graphql_document is not None:
            cost = query_cost(
                ctx.schema._schema,
                ctx.graphql_document,
                ctx.variables,
                ctx.operation_name,
                max_page=max_page,
                limit=limit,
            )
            if cost > limit:  # answered instead of executing; the error policy renders it
                refused = ApiError("QUERY_TOO_COMPLEX", cost=cost, max=limit)
                ctx.result = ExecutionResult(data=None, errors=[GraphQLError(str(refused), original_error=refused)])
        yield


__all__ = ["QueryCostLimit", "query_cost"]
