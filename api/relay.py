"""Relay plumbing: the Node interface, model-backed node types, connections, global IDs.

* :class:`ModelNode` is the base of every ``DjangoObjectType`` that is a Relay node. Each
  subclass declares an explicit ``fields`` tuple and filters rows in ``get_queryset`` through
  its app's permission selectors; ``get_node`` (``node(id:)``, ``doctor(id:)``...) goes through
  that same ``get_queryset``.
* :class:`PaginatedConnectionField` is the only connection field: ``first`` or ``last`` is
  required and capped (validated before execution by ``api.validation``, enforced here again).
* Mutations turn global IDs into rows or keys with :func:`instance_from_global_id` and
  :func:`key_from_global_id`; a malformed or wrong-type ID is refused as data (INVALID), an ID
  the viewer may not see is NOT_FOUND.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import graphene
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from graphene import relay
from graphene_django import DjangoConnectionField, DjangoObjectType
from graphene_django import settings as graphene_django_settings
from graphql import GraphQLError, GraphQLResolveInfo
from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from graphql_relay import cursor_to_offset, from_global_id, offset_to_cursor

from common.errors import CommonErrorCode, ServiceError


class Node(relay.Node):
    """An object with a global ID."""

    class Meta:
        name = "Node"

    @classmethod
    def get_node_from_global_id(cls, info: GraphQLResolveInfo, global_id: str, only_type: Any = None) -> Any:
        """The object, or None when the ID names no node the viewer may see.

        graphene's version raises plain exceptions on bad IDs (a 500 for a client's typo).
        """
        type_name, key = from_global_id(global_id)
        if not type_name or not key:
            raise GraphQLError(_("Malformed ID."), extensions={"code": str(CommonErrorCode.INVALID)})
        graphql_type = info.schema.get_type(type_name)
        graphene_type = getattr(graphql_type, "graphene_type", None)
        if graphene_type is None or (only_type and graphene_type is not only_type):
            return None
        if cls not in getattr(graphene_type._meta, "interfaces", ()):
            return None
        return graphene_type.get_node(info, key)


class CountableConnection(relay.Connection):
    class Meta:
        abstract = True

    total_count = graphene.Int(required=True, description="How many items all pages hold together.")

    @staticmethod
    def resolve_total_count(root: Any, info: GraphQLResolveInfo) -> int:
        return root.length


class ModelNode(DjangoObjectType):
    """A Relay node backed by a model; ``lookup_field`` is the key inside its global ID."""

    class Meta:
        abstract = True

    lookup_field: ClassVar[str] = "pk"

    @classmethod
    def __init_subclass_with_meta__(cls, **options: Any) -> None:
        options.setdefault("interfaces", (Node,))
        options.setdefault("connection_class", CountableConnection)
        if "fields" not in options:
            raise TypeError(f"{cls.__name__}.Meta.fields must list the exposed model fields explicitly.")
        super().__init_subclass_with_meta__(**options)

    @classmethod
    def clean_key(cls, key: str) -> Any:
        """The lookup value for ``key``, or None when it cannot be one (e.g. "abc" for an int pk)."""
        opts = cls._meta.model._meta
        field = opts.pk if cls.lookup_field == "pk" else opts.get_field(cls.lookup_field)
        try:
            return field.to_python(key)
        except ValidationError:
            return None

    @classmethod
    def get_node(cls, info: GraphQLResolveInfo, id: str) -> models.Model | None:
        key = cls.clean_key(id)
        if key is None:
            return None
        queryset = cls.get_queryset(cls._meta.model._default_manager.all(), info)
        return queryset.filter(**{cls.lookup_field: key}).first()

    @classmethod
    def global_id(cls, instance: models.Model) -> str:
        return Node.to_global_id(cls._meta.name, getattr(instance, cls.lookup_field))


def key_from_global_id(global_id: str, node_type: type[ModelNode], field: str) -> Any:
    """The lookup key inside ``global_id``, which must name a ``node_type``; else INVALID on ``field``."""
    type_name, key = from_global_id(global_id)
    cleaned = node_type.clean_key(key) if type_name == node_type._meta.name and key else None
    if cleaned is None:
        raise ServiceError(
            CommonErrorCode.INVALID, _("Not a valid %(type)s ID.") % {"type": node_type._meta.name}, field
        )
    return cleaned


def instance_from_global_id(
    info: GraphQLResolveInfo, global_id: str, node_type: type[ModelNode], field: str
) -> Any:
    """The row ``global_id`` names, if the viewer may see it; else INVALID or NOT_FOUND on ``field``."""
    key = key_from_global_id(global_id, node_type, field)
    queryset = node_type.get_queryset(node_type._meta.model._default_manager.all(), info)
    instance = queryset.filter(**{node_type.lookup_field: key}).first()
    if instance is None:
        raise ServiceError(CommonErrorCode.NOT_FOUND, _("Not found."), field)
    return instance


class PaginatedConnectionField(DjangoConnectionField):
    """A connection that needs ``first`` or ``last`` (1 to RELAY_CONNECTION_MAX_LIMIT).

    No ``offset`` argument: clients page with cursors.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.args.pop("offset", None)

    @classmethod
    def connection_resolver(
        cls,
        resolver: Any,
        connection: Any,
        default_manager: Any,
        queryset_resolver: Any,
        max_limit: int | None,
        enforce_first_or_last: bool,
        root: Any,
        info: GraphQLResolveInfo,
        **args: Any,
    ) -> Any:
        # api.validation refuses these before execution; this catches documents validated
        # without their variables. graphene-django's own checks are bare asserts.
        problem = page_size_problem(info.field_name, args.get("first"), args.get("last"))
        if problem is not None:
            message, code = problem
            raise GraphQLError(message, extensions={"code": code})
        for name in ("after", "before"):
            cursor = args.get(name)
            offset = cursor_to_offset(cursor) if isinstance(cursor, str) else None
            if cursor is not None and (offset is None or offset < 0):
                raise GraphQLError(
                    _("Invalid `%(name)s` cursor.") % {"name": name}, extensions={"code": "INVALID_CURSOR"}
                )
        return super().connection_resolver(
            resolver,
            connection,
            default_manager,
            queryset_resolver,
            max_limit,
            enforce_first_or_last,
            root,
            info,
            **args,
        )


PAGE_SIZE_REQUIRED = "PAGE_SIZE_REQUIRED"
PAGE_SIZE_OUT_OF_RANGE = "PAGE_SIZE_OUT_OF_RANGE"


def page_size_problem(field_name: str, first: Any, last: Any) -> tuple[str, str] | None:
    """Why ``first``/``last`` cannot page ``field_name``, as (message, code); None when they can."""
    # Looked up through the module: graphene-django replaces the object when settings change.
    graphene_settings = graphene_django_settings.graphene_settings
    limit = graphene_settings.RELAY_CONNECTION_MAX_LIMIT
    if first is None and last is None:
        if graphene_settings.RELAY_CONNECTION_ENFORCE_FIRST_OR_LAST:
            return (
                _("Give `first` or `last` to page the `%(field)s` connection.") % {"field": field_name},
                PAGE_SIZE_REQUIRED,
            )
        return None
    for name, value in (("first", first), ("last", last)):
        if isinstance(value, int) and not 1 <= value <= limit:
            return (
                _("`%(name)s` on the `%(field)s` connection must be between 1 and %(limit)d.")
                % {"name": name, "field": field_name, "limit": limit},
                PAGE_SIZE_OUT_OF_RANGE,
            )
    return None


def selected_fields(info: GraphQLResolveInfo, *path: str) -> set[str]:
    """Names of the fields the operation selects below the resolving field, at ``path``
    (e.g. ``"edges", "node"``), through fragments; aliases resolved to field names.

    For selectors that load only what is asked for. It errs on the side of loading: a field
    under ``@skip``/``@include`` counts as selected.
    """
    level: list[SelectionSetNode] = [node.selection_set for node in info.field_nodes if node.selection_set]
    for name in path:
        level = [
            field.selection_set
            for field in _fields_of(info, level)
            if field.name.value == name and field.selection_set is not None
        ]
    return {field.name.value for field in _fields_of(info, level)}


def _fields_of(info: GraphQLResolveInfo, selection_sets: list[SelectionSetNode]) -> list[FieldNode]:
    fields: list[FieldNode] = []
    pending = list(selection_sets)
    seen_fragments: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                fields.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen_fragments:
                seen_fragments.add(selection.name.value)
                fragment = info.fragments.get(selection.name.value)
                if fragment is not None:
                    pending.append(fragment.selection_set)
    return fields


# --- Lists paged by offset cursors (ranked lists computed by selectors, not querysets) ---------


def offset_page_bounds(info: GraphQLResolveInfo, first: int | None, after: str | None) -> tuple[int, int]:
    """(start, size) of the page asked for: ``first`` is required and capped as for
    :class:`PaginatedConnectionField`; ``after`` is an offset cursor (INVALID when malformed)."""
    problem = page_size_problem(info.field_name, first, None)
    if problem is not None:
        message, code = problem
        raise GraphQLError(message, extensions={"code": code})
    assert first is not None
    if not after:
        return 0, first
    offset = cursor_to_offset(after)
    if offset is None or offset < 0:
        raise GraphQLError(_("Malformed cursor."), extensions={"code": str(CommonErrorCode.INVALID)})
    return offset + 1, first


def offset_connection(
    connection: type[relay.Connection], rows: Sequence[Any], start: int, *, has_next: bool, **fields: Any
) -> Any:
    """A ``connection`` of ``rows`` (one page, starting at rank ``start``), cursors being ranks."""
    edges = [
        connection.Edge(node=row, cursor=offset_to_cursor(start + index)) for index, row in enumerate(rows)
    ]
    return connection(
        edges=edges,
        page_info=relay.PageInfo(
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=start > 0,
            has_next_page=has_next,
        ),
        **fields,
    )
