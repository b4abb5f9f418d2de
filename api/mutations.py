"""The base of every mutation: a permission check, then a service call; refusals are data.

A mutation names its app's error type and its permission check, and implements
``perform_mutation``::

    class RevokeVerification(BaseMutation):
        class Arguments:
            doctor_id = graphene.ID(required=True)
            reason = graphene.String(required=True)

        submission = graphene.Field(LicenceSubmission)

        class Meta:
            error_type = AccountError
            permission = verifier_required

        @classmethod
        def perform_mutation(cls, root, info, user, **data):
            ...
            return cls(submission=submission)

Its payload gets ``errors: [AccountError!]!``: empty on success; on a
:class:`~common.errors.ServiceError` (from the permission check or the service) the payload's
other fields are null and ``errors`` lists each {field, code, message}. Services own their
transactions (``ATOMIC_MUTATIONS`` is off): a refused service call has changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import graphene
from graphene.types.mutation import MutationOptions
from graphql import GraphQLResolveInfo

from accounts.models import User
from api.errors import BaseError, errors_as_data
from common.errors import ServiceError

Permission = Callable[[GraphQLResolveInfo], User | None]


class BaseMutationOptions(MutationOptions):
    error_type: type[BaseError] | None = None
    permission: Permission | None = None


class BaseMutation(graphene.Mutation):
    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(
        cls,
        error_type: type[BaseError] | None = None,
        permission: Permission | None = None,
        _meta: BaseMutationOptions | None = None,
        **options: Any,
    ) -> None:
        if error_type is None or not issubclass(error_type, BaseError):
            raise TypeError(f"{cls.__name__}.Meta.error_type must be an app's error type (a BaseError).")
        if permission is None:
            # Explicit on purpose: a reviewer sees who may call each mutation in its Meta.
            raise TypeError(f"{cls.__name__}.Meta.permission must name a check from api.permissions.")
        if cls.perform_mutation.__func__ is BaseMutation.perform_mutation.__func__:  # type: ignore[attr-defined]
            raise TypeError(f"{cls.__name__} must implement perform_mutation.")
        options.setdefault("name", f"{cls.__name__}Payload")
        _meta = _meta or BaseMutationOptions(cls)
        _meta.error_type = error_type
        _meta.permission = permission
        cls.errors = graphene.List(
            graphene.NonNull(error_type),
            required=True,
            description="Why the mutation was refused; empty when it succeeded.",
        )
        super().__init_subclass_with_meta__(_meta=_meta, **options)

    @classmethod
    def mutate(cls, root: Any, info: GraphQLResolveInfo, **data: Any) -> BaseMutation:
        meta: BaseMutationOptions = cls._meta
        assert meta.permission is not None and meta.error_type is not None
        try:
            user = meta.permission(info)
            payload = cls.perform_mutation(root, info, user, **data)
        except ServiceError as error:
            return cls(errors=errors_as_data(error, meta.error_type))
        if getattr(payload, "errors", None) is None:
            payload.errors = []
        return payload

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> BaseMutation:
        """Call the service and return the payload; raise ServiceError to refuse. Every concrete
        mutation overrides it (checked when the class is created)."""
        return cls()
