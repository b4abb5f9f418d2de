"""Validation rules for every GraphQL document, over HTTP and WebSocket alike.

Our rules are added to graphql-core's ``specified_rules``, never instead of them (graphene-
django replaces the standard rules with whatever it is given). They run before any resolver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from inspect import isclass
from typing import Any

from django.conf import settings
from graphene import relay
from graphene_django import settings as graphene_django_settings
from graphql import (
    GraphQLError,
    GraphQLSchema,
    get_named_type,
    specified_rules,
    validate,
    value_from_ast_untyped,
)
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from graphql.validation import (
    ASTValidationRule,
    NoSchemaIntrospectionCustomRule,
    ValidationContext,
    ValidationRule,
)

from api.relay import page_size_problem


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visiting: frozenset[str],
    known: dict[str, int],
) -> int:
    """Depth of the deepest field below ``selection_set``; introspection fields don't count.

    Each fragment's depth is computed once (``known``): a document spreading fragments that
    spread others twice over would otherwise cost exponential time. Undefined and cyclic
    fragments count as depth 0: the standard rules report them.
    """
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, visiting, known))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, visiting, known))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visiting:
                continue
            if name not in known:
                known[name] = _depth(fragment.selection_set, fragments, visiting | {name}, known)
            deepest = max(deepest, known[name])
    return deepest


class MaxDepthRule(ASTValidationRule):
    """Refuses operations nested deeper than GRAPHQL_MAX_DEPTH fields."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.fragments = {
            definition.name.value: definition
            for definition in context.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.fragment_depths: dict[str, int] = {}

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        limit = settings.GRAPHQL_MAX_DEPTH
        depth = _depth(node.selection_set, self.fragments, frozenset(), self.fragment_depths)
        if depth > limit:
            name = node.name.value if node.name else "anonymous"
            self.report_error(
                GraphQLError(
                    f"Operation '{name}' is {depth} levels deep; the maximum is {limit}.",
                    node,
                    extensions={"code": "QUERY_TOO_DEEP"},
                )
            )


class MaxAliasesRule(ASTValidationRule):
    """Refuses documents with more than GRAPHQL_MAX_ALIASES aliased fields (alias batching)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.aliases = 0
        self.reported = False

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.alias is None:
            return
        self.aliases += 1
        limit = settings.GRAPHQL_MAX_ALIASES
        if self.aliases > limit and not self.reported:
            self.reported = True
            self.report_error(
                GraphQLError(
                    f"Too many aliases; the maximum is {limit}.",
                    node,
                    extensions={"code": "TOO_MANY_ALIASES"},
                )
            )


class NoNulCharactersRule(ValidationRule):
    """Refuses text containing NUL (U+0000): PostgreSQL cannot store it, and no client needs it.

    Checks string literals in the document and, when bound, the request's variables."""

    variables: Mapping[str, Any] | None = None

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        if self.variables is not None and _has_nul(self.variables):
            self.report_error(self._error(None))

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if "\x00" in node.value:
            self.report_error(self._error(node))

    @staticmethod
    def _error(node: StringValueNode | None) -> GraphQLError:
        return GraphQLError(
            "Text may not contain NUL characters.", node, extensions={"code": "INVALID_CHARACTERS"}
        )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


_UNKNOWN = object()


def _argument_value(node: ValueNode, variables: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> Any:
    """The value of a ``first``/``last`` argument: a literal, or a variable's value (bound), or its
    default; ``_UNKNOWN`` when it cannot be known before execution."""
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, NullValueNode):
        return None
    if isinstance(node, VariableNode):
        name = node.name.value
        if variables is not None and name in variables:
            return variables[name]
        default = defaults.get(name)
        if default is not None:
            return value_from_ast_untyped(default)
        return None if variables is not None else _UNKNOWN
    return _UNKNOWN  # a wrong literal type: the standard rules report it


@dataclass(frozen=True)
class PageSizeCheck:
    """The page-size check of one connection field, as the document writes it: its ``first`` and
    ``last`` arguments and the defaults of the variables in scope there."""

    node: FieldNode
    arguments: tuple[tuple[str, ValueNode], ...]
    defaults: Mapping[str, ValueNode | None]

    @property
    def uses_variables(self) -> bool:
        return any(isinstance(value, VariableNode) for _, value in self.arguments)

    def error(self, variables: Mapping[str, Any] | None) -> GraphQLError | None:
        values = {"first": None, "last": None}
        for name, node in self.arguments:
            value = _argument_value(node, variables, self.defaults)
            if value is _UNKNOWN:
                return None
            values[name] = value
        problem = page_size_problem(self.node.name.value, values["first"], values["last"])
        if problem is None:
            return None
        message, code = problem
        return GraphQLError(message, self.node, extensions={"code": code})


class PageSizeRule(ValidationRule):
    """Every Relay connection field needs ``first`` or ``last``, from 1 to the page limit.

    Literal values are checked always; variables only when the caller bound the request's
    ``variables`` (see :func:`validation_rules`). Unbound ones are left to the connection
    field, which checks again before resolving. Checks that read variables are also appended
    to ``variable_checks`` when it is bound (a list), so a cached document can run them again
    for another request's variables (:class:`VariableChecks`).
    """

    variables: Mapping[str, Any] | None = None
    variable_checks: list[PageSizeCheck] | None = None

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        # Fragments may come before the operation whose variables they use: start from all.
        self.defaults: dict[str, ValueNode | None] = {}
        for definition in context.document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                self.defaults.update(self._defaults_of(definition))

    @staticmethod
    def _defaults_of(operation: OperationDefinitionNode) -> dict[str, ValueNode | None]:
        return {
            definition.variable.name.value: definition.default_value
            for definition in operation.variable_definitions or ()
        }

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        self.defaults.update(self._defaults_of(node))

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        field = self.context.get_field_def()
        if field is None:
            return
        graphene_type = getattr(get_named_type(field.type), "graphene_type", None)
        if not (isclass(graphene_type) and issubclass(graphene_type, relay.Connection)):
            return
        arguments = tuple(
            (argument.name.value, argument.value)
            for argument in node.arguments or ()
            if argument.name.value in ("first", "last")
        )
        # The defaults as they stand at this field (a later operation may change them).
        check = PageSizeCheck(node, arguments, dict(self.defaults))
        if self.variable_checks is not None and check.uses_variables:
            self.variable_checks.append(check)
        error = check.error(self.variables)
        if error is not None:
            self.report_error(error)


@dataclass(frozen=True)
class VariableChecks:
    """The part of validation that depends on a request's variables rather than on its document:
    NUL characters in the variables, and the page sizes given as variables.

    A document that passed :func:`validate_document` passes every other rule for any variables,
    so running these for the next request's variables gives the errors full validation would
    give, in the same order (the NUL check reports before the document is walked; page sizes in
    document order)."""

    page_sizes: tuple[PageSizeCheck, ...]

    def errors(self, variables: Any, max_errors: int | None = None) -> list[GraphQLError]:
        bound = variables if isinstance(variables, Mapping) else None
        found: list[GraphQLError] = []
        if bound is not None and _has_nul(bound):
            found.append(NoNulCharactersRule._error(None))
        for check in self.page_sizes:
            error = check.error(bound)
            if error is not None:
                found.append(error)
        # graphql-core's validate() stops at max_errors (100 unless given) with this error.
        limit = 100 if max_errors is None else max_errors
        if len(found) > limit:
            found = [
                *found[:limit],
                GraphQLError("Too many validation errors, error limit reached. Validation aborted."),
            ]
        return found


def validation_rules(
    variables: Mapping[str, Any] | None = None, *, variable_checks: list[PageSizeCheck] | None = None
) -> list[type[ASTValidationRule]]:
    """graphql-core's standard rules plus ours, read from settings at call time.

    Pass the operation's ``variables`` so connection page sizes given as variables are checked
    before execution too; pass ``variable_checks`` (a list) to collect the checks that read them.
    """
    page_size_rule: type[ASTValidationRule] = PageSizeRule
    nul_rule: type[ASTValidationRule] = NoNulCharactersRule
    if isinstance(variables, Mapping) or variable_checks is not None:
        # Rules are instantiated by graphql-core: bind the variables through subclasses.
        bound = variables if isinstance(variables, Mapping) else None
        page_size_rule = type(
            "PageSizeRule", (PageSizeRule,), {"variables": bound, "variable_checks": variable_checks}
        )
        nul_rule = type("NoNulCharactersRule", (NoNulCharactersRule,), {"variables": bound})
    rules: list[type[ASTValidationRule]] = [
        *specified_rules,
        MaxDepthRule,
        MaxAliasesRule,
        page_size_rule,
        nul_rule,
    ]
    if not settings.GRAPHQL_INTROSPECTION:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


def validation_settings() -> tuple[Any, ...]:
    """Every setting the rules read. With the schema and the document text it decides whether a
    document is valid apart from its variables: part of a cached document's key (a rule that
    reads another setting must add it here)."""
    graphene_settings = graphene_django_settings.graphene_settings
    return (
        settings.GRAPHQL_MAX_DEPTH,
        settings.GRAPHQL_MAX_ALIASES,
        settings.GRAPHQL_INTROSPECTION,
        graphene_settings.RELAY_CONNECTION_MAX_LIMIT,
        graphene_settings.RELAY_CONNECTION_ENFORCE_FIRST_OR_LAST,
    )


def validate_document(
    schema: GraphQLSchema, document: DocumentNode, variables: Any, max_errors: int | None = None
) -> tuple[list[GraphQLError], VariableChecks]:
    """Validate ``document`` for a request's ``variables`` with :func:`validation_rules`.

    Also returns the checks that read the variables: when there are no errors, running those
    for another request's variables is the whole validation of the same document (same schema,
    same :func:`validation_settings`)."""
    collected: list[PageSizeCheck] = []
    rules = validation_rules(variables, variable_checks=collected)
    errors = validate(schema, document, rules, max_errors)
    return errors, VariableChecks(tuple(collected))
