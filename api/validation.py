"""Validation rules for every GraphQL document, over HTTP and WebSocket alike.

Our rules are added to graphql-core's ``specified_rules``, never instead of them (graphene-
django replaces the standard rules with whatever it is given). They run before any resolver.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from graphql import GraphQLError, specified_rules
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule, ValidationContext


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visiting: frozenset[str],
) -> int:
    """Depth of the deepest field below ``selection_set``; introspection fields don't count.

    Undefined and cyclic fragments count as depth 0: the standard rules report them.
    """
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, visiting))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, visiting))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in visiting:
                deepest = max(deepest, _depth(fragment.selection_set, fragments, visiting | {name}))
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

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        limit = settings.GRAPHQL_MAX_DEPTH
        depth = _depth(node.selection_set, self.fragments, frozenset())
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


def validation_rules() -> list[type[ASTValidationRule]]:
    """graphql-core's standard rules plus ours, read from settings at call time."""
    rules: list[type[ASTValidationRule]] = [*specified_rules, MaxDepthRule, MaxAliasesRule]
    if not settings.GRAPHQL_INTROSPECTION:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules
