"""GraphQL for the discussion on cases: the Comment type, the thread query, comment mutations.

Every read goes through ``network.selectors.comments`` (a comment is seen only by those who may
see its case); every write through ``network.services.comments``. A deleted or hidden comment
is a tombstone: ``isDeleted`` true, ``body`` and ``author`` null.
"""

from __future__ import annotations

from typing import Any, ClassVar

import graphene
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from graphql import GraphQLResolveInfo

from accounts.models import User
from accounts.schema import Doctor
from api.mutations import BaseMutation
from api.permissions import verified_doctor_required, viewer
from api.relay import ModelNode, PaginatedConnectionField, key_from_global_id
from common.errors import ServiceError
from network import models
from network.errors import NetworkErrorCode
from network.schema.errors import NetworkError
from network.selectors import comments as selectors
from network.services import comments as services


def pk_of(global_id: str, node_type: type[ModelNode], field: str) -> int:
    """The primary key of the row ``global_id`` names (services take keys, global IDs carry
    public ids). INVALID for a malformed ID, NOT_FOUND for none: whether the viewer may see the
    row is the service's rule, which answers NOT_FOUND as well."""
    key = key_from_global_id(global_id, node_type, field)
    if node_type.lookup_field == "pk":
        return int(key)
    model: type[Model] = node_type._meta.model
    pk = model._default_manager.filter(**{node_type.lookup_field: key}).values_list("pk", flat=True).first()
    if pk is None:
        raise ServiceError(NetworkErrorCode.NOT_FOUND, _("Not found."), field)
    return int(pk)


def public_ids_of(global_ids: list[str] | None, field: str) -> list[Any]:
    """Doctors' public ids from their global IDs (INVALID on ``field`` for a malformed one)."""
    return [key_from_global_id(value, Doctor, field) for value in global_ids or []]


def _is_removed(comment: models.Comment) -> bool:
    return comment.deleted_at is not None or comment.hidden_at is not None


class Comment(ModelNode):
    """A comment on a case, or a reply to one (one level). A removed comment is a tombstone."""

    body = graphene.String(description="The text; null for a deleted or hidden comment.")
    is_deleted = graphene.Boolean(
        required=True, description="Deleted by its author or hidden by a moderator: show “comment deleted”."
    )
    author = graphene.Field(Doctor, description="Null for a deleted or hidden comment.")
    is_reply = graphene.Boolean(required=True)
    replies = graphene.List(
        graphene.NonNull(lambda: Comment), required=True, description="Live replies, oldest first."
    )
    helpful_count = graphene.Int(required=True)
    viewer_found_helpful = graphene.Boolean(required=True)
    viewer_can_edit = graphene.Boolean(required=True)

    class Meta:
        model = models.Comment
        fields = ("created_at", "edited_at")

    lookup_field = "public_id"

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return queryset & selectors.comments_visible_to(viewer(info))

    @classmethod
    def get_node(cls, info: GraphQLResolveInfo, id: str) -> models.Comment | None:
        key = cls.clean_key(id)
        if key is None:
            return None
        comments = cls.get_queryset(models.Comment.objects.filter(public_id=key), info)
        return selectors.with_thread_data(comments, viewer(info)).first()

    @staticmethod
    def resolve_id(root: models.Comment, info: GraphQLResolveInfo) -> str:
        return str(root.public_id)

    @staticmethod
    def resolve_body(root: models.Comment, info: GraphQLResolveInfo) -> str | None:
        return None if _is_removed(root) else root.body

    @staticmethod
    def resolve_is_deleted(root: models.Comment, info: GraphQLResolveInfo) -> bool:
        return _is_removed(root)

    @staticmethod
    def resolve_author(root: models.Comment, info: GraphQLResolveInfo) -> User | None:
        return None if _is_removed(root) else root.author

    @staticmethod
    def resolve_is_reply(root: models.Comment, info: GraphQLResolveInfo) -> bool:
        return root.parent_id is not None

    @staticmethod
    def resolve_replies(root: models.Comment, info: GraphQLResolveInfo) -> list[models.Comment]:
        return selectors.replies_of(root, viewer(info))

    @staticmethod
    def resolve_helpful_count(root: models.Comment, info: GraphQLResolveInfo) -> int:
        annotated: int | None = getattr(root, "helpful_count", None)
        return annotated if annotated is not None else root.helpful_reactions.count()

    @staticmethod
    def resolve_viewer_found_helpful(root: models.Comment, info: GraphQLResolveInfo) -> bool:
        annotated: bool | None = getattr(root, "viewer_found_helpful", None)
        if annotated is not None:
            return annotated
        user = viewer(info)
        return user is not None and root.helpful_reactions.filter(doctor_id=user.pk).exists()

    @staticmethod
    def resolve_viewer_can_edit(root: models.Comment, info: GraphQLResolveInfo) -> bool:
        user = viewer(info)
        return user is not None and user.pk == root.author_id and not _is_removed(root)


class CommentsQuery(graphene.ObjectType):
    comments = PaginatedConnectionField(
        Comment,
        case_id=graphene.ID(required=True),
        description=(
            "The discussion of a case: top-level comments oldest first, each with its replies. "
            "Empty when the case does not exist or you may not see it."
        ),
    )

    @staticmethod
    def resolve_comments(
        root: Any, info: GraphQLResolveInfo, case_id: str, **_pagination: Any
    ) -> QuerySet[Any]:
        from network.schema.cases import Case  # the Case type shows comments: it imports this module

        try:
            pk = pk_of(case_id, Case, "caseId")
        except ServiceError as error:
            if error.code != NetworkErrorCode.NOT_FOUND:
                raise
            return models.Comment.objects.none()
        return selectors.comments_of_case(viewer(info), pk)


# --- Mutations -------------------------------------------------------------------------------


def _comment_payload(user: User, comment_id: int) -> models.Comment | None:
    return selectors.visible_comment(user, comment_id)


class AddCommentInput(graphene.InputObjectType):
    case_id = graphene.ID(required=True)
    body = graphene.String(required=True)
    parent_id = graphene.ID(description="Reply to this comment (a reply to a reply joins its thread).")
    mention_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        description="Doctors mentioned in the body; each must be able to see the case.",
    )


class AddComment(BaseMutation):
    """Comment on a case you can see (open or answered), or reply to a comment."""

    comment = graphene.Field(Comment)

    class Arguments:
        input = AddCommentInput(required=True)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> AddComment:
        from network.schema.cases import Case

        assert user is not None
        values = data["input"]
        comment = services.add_comment(
            user,
            pk_of(values["case_id"], Case, "caseId"),
            values["body"],
            parent_id=pk_of(values["parent_id"], Comment, "parentId") if values.get("parent_id") else None,
            mention_ids=public_ids_of(values.get("mention_ids"), "mentionIds"),
        )
        return cls(comment=_comment_payload(user, comment.pk))


class EditComment(BaseMutation):
    """Change your comment's text (the previous text is kept)."""

    comment = graphene.Field(Comment)

    class Arguments:
        comment_id = graphene.ID(required=True)
        body = graphene.String(required=True)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> EditComment:
        assert user is not None
        comment = services.edit_comment(user, pk_of(data["comment_id"], Comment, "commentId"), data["body"])
        return cls(comment=_comment_payload(user, comment.pk))


class CommentAction(BaseMutation):
    """A change to one comment, named by ``commentId``; the payload returns the comment. Each
    subclass names the service that makes it (``service(user, comment_pk)``)."""

    comment = graphene.Field(Comment)
    service: ClassVar[staticmethod[[User, int], models.Comment]]

    class Arguments:
        comment_id = graphene.ID(required=True)

    class Meta:
        abstract = True

    @classmethod
    def perform_mutation(cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any) -> Any:
        assert user is not None
        comment = cls.service(user, pk_of(data["comment_id"], Comment, "commentId"))
        return cls(comment=_comment_payload(user, comment.pk))


class DeleteComment(CommentAction):
    """Delete your comment; others see “comment deleted” where replies need it."""

    comment = graphene.Field(Comment, description="The tombstone.")
    service = staticmethod(services.delete_comment)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class MarkHelpful(CommentAction):
    """Mark another doctor's comment helpful (once; again changes nothing)."""

    service = staticmethod(services.mark_helpful)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class UnmarkHelpful(CommentAction):
    """Withdraw your “helpful” mark."""

    service = staticmethod(services.unmark_helpful)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class CommentsMutation(graphene.ObjectType):
    add_comment = AddComment.Field()
    edit_comment = EditComment.Field()
    delete_comment = DeleteComment.Field()
    mark_helpful = MarkHelpful.Field()
    unmark_helpful = UnmarkHelpful.Field()
