"""GraphQL for case posts: the Case type and its attachments and revisions, reports and the
moderation queue, the case queries and mutations.

A case the viewer may not see is null on every path (``case(id:)``, ``node(id:)``, payloads)
and NOT_FOUND to every mutation: ``Case.get_queryset`` filters through ``cases_visible_to``.
The comment roots (``network.schema.comments``) are merged into the case roots here.
"""

from __future__ import annotations

from typing import Any, ClassVar

import graphene
from django.db.models import QuerySet
from django.urls import reverse
from graphql import GraphQLResolveInfo
from graphql_relay import to_global_id

from accounts.models import User
from accounts.schema import Doctor
from api.mutations import BaseMutation
from api.permissions import verified_doctor_required, viewer
from api.relay import ModelNode, PaginatedConnectionField, key_from_global_id
from api.scalars import Upload
from common.errors import input_name
from facilities.schema import Specialty
from network import models
from network.schema.comments import Comment, CommentsMutation, CommentsQuery, pk_of, public_ids_of
from network.schema.errors import NetworkError
from network.selectors import cases as selectors
from network.selectors import moderation as moderation_selectors
from network.services import cases as services
from network.services import moderation

CaseVisibilityEnum = graphene.Enum.from_enum(
    models.Case.Visibility,
    name="CaseVisibility",
    description="Who sees a case: the whole verified NETWORK, the author's CONNECTIONS, or NAMED doctors.",
)
CaseStatusEnum = graphene.Enum.from_enum(
    models.Case.Status,
    name="CaseStatus",
    description="DRAFT (author only) → OPEN → ANSWERED (an answer accepted) → CLOSED (no new comments).",
)
AgeBandEnum = graphene.Enum.from_enum(
    models.AgeBand, name="AgeBand", description="The patient's age band (never an exact age or birth date)."
)
SexEnum = graphene.Enum.from_enum(models.Sex, name="PatientSex")
ConsentByEnum = graphene.Enum.from_enum(
    models.Case.ConsentBy, name="ConsentBy", description="Who consented to the case being shared."
)
ConsentMethodEnum = graphene.Enum.from_enum(
    models.Case.ConsentMethod, name="ConsentMethod", description="How consent was given."
)
ReportReasonEnum = graphene.Enum.from_enum(models.ContentReport.Reason, name="ReportReason")
ReportStatusEnum = graphene.Enum.from_enum(models.ContentReport.Status, name="ReportStatus")


def _value(member: Any) -> Any:
    """The Python value of a GraphQL enum argument (graphene passes the enum member)."""
    return getattr(member, "value", member)


def _absolute(info: GraphQLResolveInfo, path: str) -> str:
    build = getattr(info.context, "build_absolute_uri", None)
    return build(path) if build is not None else path


class CaseAttachment(ModelNode):
    """An image (re-encoded, without metadata) or a PDF. ``url`` downloads it for those who may
    see the case (sign-in cookie or ``X-Session-Token``)."""

    url = graphene.String(required=True)
    is_image = graphene.Boolean(required=True)

    class Meta:
        model = models.CaseAttachment
        fields = ("content_type", "size", "width", "height", "caption", "position", "created_at")

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return queryset.filter(case__in=selectors.cases_visible_to(viewer(info)))

    @staticmethod
    def resolve_url(root: models.CaseAttachment, info: GraphQLResolveInfo) -> str:
        return _absolute(info, reverse("network:case_attachment", args=[root.pk]))

    @staticmethod
    def resolve_is_image(root: models.CaseAttachment, info: GraphQLResolveInfo) -> bool:
        return root.is_image


class CaseRevision(graphene.ObjectType):
    """What the case said before one edit: the changed fields' previous values (others null)."""

    edited_at = graphene.DateTime(required=True)
    changed_fields = graphene.List(graphene.NonNull(graphene.String), required=True)
    title = graphene.String()
    presenting_problem = graphene.String()
    history = graphene.String()
    findings = graphene.String()
    investigations = graphene.String()
    question = graphene.String()
    icd10_codes = graphene.List(graphene.NonNull(graphene.String))
    tags = graphene.List(graphene.NonNull(graphene.String))
    age_band = graphene.Field(AgeBandEnum)
    sex = graphene.Field(SexEnum)
    visibility = graphene.Field(CaseVisibilityEnum)
    consent_by = graphene.String()
    consent_method = graphene.String()
    consent_note = graphene.String()
    specialty_id = graphene.ID()
    audience_ids = graphene.List(graphene.NonNull(graphene.ID))

    @staticmethod
    def of(revision: models.CaseRevision) -> CaseRevision:
        previous = dict(revision.previous)
        if "specialty_id" in previous:
            previous["specialty_id"] = to_global_id("Specialty", str(previous["specialty_id"]))
        if "audience_ids" in previous:
            previous["audience_ids"] = [to_global_id("Doctor", value) for value in previous["audience_ids"]]
        return CaseRevision(
            edited_at=revision.edited_at,
            changed_fields=[input_name(name) for name in revision.previous],
            **{name: value for name, value in previous.items() if name in CaseRevision._meta.fields},
        )


class Case(ModelNode):
    """A de-identified clinical case posted for advice."""

    specialty = graphene.Field(Specialty, required=True)
    icd10_codes = graphene.List(graphene.NonNull(graphene.String), required=True)
    tags = graphene.List(graphene.NonNull(graphene.String), required=True)
    age_band = graphene.Field(AgeBandEnum, required=True)
    sex = graphene.Field(SexEnum, required=True)
    visibility = graphene.Field(CaseVisibilityEnum, required=True)
    status = graphene.Field(CaseStatusEnum, required=True)
    consent_by = graphene.Field(ConsentByEnum)
    consent_method = graphene.Field(ConsentMethodEnum)
    author = graphene.Field(Doctor, required=True)
    attachments = graphene.List(graphene.NonNull(CaseAttachment), required=True)
    comment_count = graphene.Int(required=True, description="Live comments and replies.")
    first_comments = graphene.List(
        graphene.NonNull(Comment),
        required=True,
        description="The first three top-level comments (for cards).",
    )
    accepted_answer = graphene.Field(Comment)
    audience = graphene.List(
        graphene.NonNull(Doctor),
        description="The named doctors (NAMED visibility); null unless you wrote it.",
    )
    revisions = graphene.List(
        graphene.NonNull(CaseRevision), description="Edit history, newest first; null unless you wrote it."
    )
    viewer_can_edit = graphene.Boolean(required=True)

    class Meta:
        model = models.Case
        fields = (
            "title",
            "presenting_problem",
            "history",
            "findings",
            "investigations",
            "question",
            "consent_note",
            "created_at",
            "published_at",
            "updated_at",
        )

    lookup_field = "public_id"

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return queryset & selectors.cases_visible_to(viewer(info))

    @classmethod
    def get_node(cls, info: GraphQLResolveInfo, id: str) -> models.Case | None:
        key = cls.clean_key(id)
        if key is None:
            return None
        cases = cls.get_queryset(models.Case.objects.filter(public_id=key), info)
        return selectors.with_card_data(cases, viewer(info)).first()

    @staticmethod
    def resolve_id(root: models.Case, info: GraphQLResolveInfo) -> str:
        return str(root.public_id)

    @staticmethod
    def resolve_specialty(root: models.Case, info: GraphQLResolveInfo) -> Any:
        return root.specialty

    @staticmethod
    def resolve_consent_by(root: models.Case, info: GraphQLResolveInfo) -> str | None:
        return root.consent_by or None

    @staticmethod
    def resolve_consent_method(root: models.Case, info: GraphQLResolveInfo) -> str | None:
        return root.consent_method or None

    @staticmethod
    def resolve_author(root: models.Case, info: GraphQLResolveInfo) -> User:
        return root.author

    @staticmethod
    def resolve_attachments(root: models.Case, info: GraphQLResolveInfo) -> Any:
        return root.attachments.all()

    @staticmethod
    def resolve_comment_count(root: models.Case, info: GraphQLResolveInfo) -> int:
        return selectors.comment_count_of(root)

    @staticmethod
    def resolve_first_comments(root: models.Case, info: GraphQLResolveInfo) -> list[models.Comment]:
        return selectors.first_comments_of(root, viewer(info))

    @staticmethod
    def resolve_accepted_answer(root: models.Case, info: GraphQLResolveInfo) -> models.Comment | None:
        return root.accepted_answer

    @staticmethod
    def resolve_audience(root: models.Case, info: GraphQLResolveInfo) -> Any:
        if not _is_author(root, info):
            return None
        return User.objects.filter(pk__in=root.audience.values("doctor_id")).order_by("full_name", "id")

    @staticmethod
    def resolve_revisions(root: models.Case, info: GraphQLResolveInfo) -> list[CaseRevision] | None:
        if not _is_author(root, info):
            return None
        return [CaseRevision.of(revision) for revision in root.revisions.all()]

    @staticmethod
    def resolve_viewer_can_edit(root: models.Case, info: GraphQLResolveInfo) -> bool:
        return _is_author(root, info)


def _is_author(case: models.Case, info: GraphQLResolveInfo) -> bool:
    user = viewer(info)
    return user is not None and user.pk == case.author_id


class ContentReport(ModelNode):
    """A doctor's report of a case or comment. Moderators see all; a doctor sees their own."""

    reason = graphene.Field(ReportReasonEnum, required=True)
    status = graphene.Field(ReportStatusEnum, required=True)
    reporter = graphene.Field(Doctor, description="Shown to moderators only.")
    case = graphene.Field(Case, description="The reported case, or the case the reported comment is on.")
    comment = graphene.Field(Comment, description="The reported comment, if a comment was reported.")

    class Meta:
        model = models.ContentReport
        fields = ("details", "created_at", "resolved_at", "resolution_note")

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return moderation_selectors.reports_visible_to(viewer(info), queryset)

    @staticmethod
    def resolve_reporter(root: models.ContentReport, info: GraphQLResolveInfo) -> User | None:
        return root.reporter if moderation.is_moderator(viewer(info)) else None

    @staticmethod
    def resolve_case(root: models.ContentReport, info: GraphQLResolveInfo) -> models.Case | None:
        # Moderators review what was reported whatever its visibility; a reporter sees what they
        # may still see.
        case = root.comment.case if root.comment is not None else root.case
        if case is None or moderation.is_moderator(viewer(info)):
            return case
        return Case.get_node(info, str(case.public_id))

    @staticmethod
    def resolve_comment(root: models.ContentReport, info: GraphQLResolveInfo) -> models.Comment | None:
        comment = root.comment
        if comment is None or moderation.is_moderator(viewer(info)):
            return comment
        return Comment.get_node(info, str(comment.public_id))


class CasesQuery(CommentsQuery):
    case = graphene.Field(
        Case, id=graphene.ID(required=True), description="A case you may see; null otherwise (or if missing)."
    )
    cases = PaginatedConnectionField(
        Case, description="Your own cases (drafts included), last changed first."
    )
    moderation_queue = PaginatedConnectionField(
        ContentReport, description="Open reports, oldest first (moderators only)."
    )

    @staticmethod
    def resolve_case(root: Any, info: GraphQLResolveInfo, id: str) -> models.Case | None:
        return Case.get_node(info, key_from_global_id(id, Case, "id"))

    @staticmethod
    def resolve_cases(root: Any, info: GraphQLResolveInfo, **_pagination: Any) -> QuerySet[models.Case]:
        return selectors.cases_of_author(verified_doctor_required(info))

    @staticmethod
    def resolve_moderation_queue(
        root: Any, info: GraphQLResolveInfo, **_pagination: Any
    ) -> QuerySet[models.ContentReport]:
        return moderation_selectors.moderation_queue(viewer(info))


# --- Mutations -------------------------------------------------------------------------------


def moderator_required(info: GraphQLResolveInfo) -> User:
    """Reviewing reports and hiding content: see ``network.services.moderation.require_moderator``."""
    return moderation.require_moderator(viewer(info))


def _case_payload(user: User, case_id: int) -> models.Case | None:
    return selectors.visible_case(user, case_id)


class CaseFields:
    """The fields of CreateCaseInput and UpdateCaseInput (required ones differ)."""

    specialty_id = graphene.ID(description="A Specialty ID.")
    title = graphene.String()
    icd10_codes = graphene.List(graphene.NonNull(graphene.String), description="e.g. I21.0; at most 10.")
    age_band = AgeBandEnum()
    sex = SexEnum()
    presenting_problem = graphene.String()
    history = graphene.String()
    findings = graphene.String()
    investigations = graphene.String()
    question = graphene.String()
    tags = graphene.List(graphene.NonNull(graphene.String), description="At most 15, 40 characters each.")
    consent_by = ConsentByEnum()
    consent_method = ConsentMethodEnum()
    consent_note = graphene.String()
    visibility = CaseVisibilityEnum()
    audience_ids = graphene.List(
        graphene.NonNull(graphene.ID), description="Doctor IDs who may see a NAMED case (you always can)."
    )


class CreateCaseInput(CaseFields, graphene.InputObjectType):
    specialty_id = graphene.ID(required=True, description="A Specialty ID.")
    title = graphene.String(required=True)
    age_band = AgeBandEnum(required=True)
    sex = SexEnum(required=True)
    presenting_problem = graphene.String(required=True)
    question = graphene.String(required=True)


class UpdateCaseInput(CaseFields, graphene.InputObjectType):
    """Only the fields given change; send "" or [] to clear one. Consent fields are cleared
    with ``clearConsent``."""

    clear_consent = graphene.Boolean()


def _case_values(values: dict[str, Any]) -> dict[str, Any]:
    """Service keywords from a case input: IDs to keys, enums to values, absent fields out."""
    given = {name: value for name, value in values.items() if value is not None}
    if given.pop("clear_consent", False):
        given.update(consent_by="", consent_method="", consent_note="")
    if "specialty_id" in given:
        given["specialty_id"] = key_from_global_id(given["specialty_id"], Specialty, "specialtyId")
    if "audience_ids" in given:
        given["audience_ids"] = public_ids_of(given["audience_ids"], "audienceIds")
    for name in ("age_band", "sex", "visibility", "consent_by", "consent_method"):
        if name in given:
            given[name] = _value(given[name])
    return given


class CreateCase(BaseMutation):
    """Write a case as a DRAFT. Refused with spans if any text identifies the patient."""

    case = graphene.Field(Case)

    class Arguments:
        input = CreateCaseInput(required=True)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> CreateCase:
        assert user is not None
        case = services.create_case(user, **_case_values(dict(data["input"])))
        return cls(case=_case_payload(user, case.pk))


class UpdateCase(BaseMutation):
    """Edit your case (the previous version is kept in its history)."""

    case = graphene.Field(Case)

    class Arguments:
        case_id = graphene.ID(required=True)
        input = UpdateCaseInput(required=True)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> UpdateCase:
        assert user is not None
        case_id = pk_of(data["case_id"], Case, "caseId")
        services.update_case(user, case_id, **_case_values(dict(data["input"])))
        return cls(case=_case_payload(user, case_id))


def _case_action(name: str, action: Any, description: str) -> type[BaseMutation]:
    """A mutation taking ``caseId`` and returning the case: publish, close, reopen."""

    def perform_mutation(
        cls: Any, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> Any:
        assert user is not None
        case_id = pk_of(data["case_id"], Case, "caseId")
        action(user, case_id)
        return cls(case=_case_payload(user, case_id))

    arguments = type("Arguments", (), {"case_id": graphene.ID(required=True)})
    meta = type("Meta", (), {"error_type": NetworkError, "permission": verified_doctor_required})
    return type(
        name,
        (BaseMutation,),
        {
            "__doc__": description,
            "case": graphene.Field(Case),
            "Arguments": arguments,
            "Meta": meta,
            "perform_mutation": classmethod(perform_mutation),
        },
    )


PublishCase = _case_action(
    "PublishCase",
    services.publish_case,
    "Publish your draft (a case with images needs its consent statement).",
)
CloseCase = _case_action("CloseCase", services.close_case, "Close your case to new comments.")
ReopenCase = _case_action(
    "ReopenCase",
    services.reopen_case,
    "Reopen your closed case (answered again if it has an accepted answer).",
)


class DeleteCase(BaseMutation):
    """Delete your case: it disappears everywhere."""

    deleted_case_id = graphene.ID()

    class Arguments:
        case_id = graphene.ID(required=True)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> DeleteCase:
        assert user is not None
        services.delete_case(user, pk_of(data["case_id"], Case, "caseId"))
        return cls(deleted_case_id=data["case_id"])


class AddCaseAttachment(BaseMutation):
    """Attach an image (JPEG, PNG, WebP: stored re-encoded, without metadata) or a PDF to your
    case; at most 10. Send the file as a multipart request."""

    attachment = graphene.Field(CaseAttachment)
    case = graphene.Field(Case)

    class Arguments:
        case_id = graphene.ID(required=True)
        file = Upload(required=True)
        caption = graphene.String()

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> AddCaseAttachment:
        assert user is not None
        case_id = pk_of(data["case_id"], Case, "caseId")
        attachment = services.add_attachment(user, case_id, data["file"], caption=data.get("caption") or "")
        return cls(attachment=attachment, case=_case_payload(user, case_id))


class RemoveCaseAttachment(BaseMutation):
    """Remove an attachment from your case."""

    case = graphene.Field(Case)

    class Arguments:
        attachment_id = graphene.ID(required=True)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> RemoveCaseAttachment:
        assert user is not None
        case = services.remove_attachment(user, pk_of(data["attachment_id"], CaseAttachment, "attachmentId"))
        return cls(case=_case_payload(user, case.pk))


class AcceptAnswer(BaseMutation):
    """Mark another doctor's top-level comment on your case as the answer."""

    case = graphene.Field(Case)

    class Arguments:
        case_id = graphene.ID(required=True)
        comment_id = graphene.ID(required=True)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> AcceptAnswer:
        assert user is not None
        case_id = pk_of(data["case_id"], Case, "caseId")
        services.accept_answer(user, case_id, pk_of(data["comment_id"], Comment, "commentId"))
        return cls(case=_case_payload(user, case_id))


# --- Reporting and moderation ------------------------------------------------------------------


class ReportContent(BaseMutation):
    """A report of content the viewer can see; the payload returns it. Each subclass names the
    service that files it (``service(user, pk, reason, details)``) and the argument naming the
    content (``target``: its model and the argument)."""

    report = graphene.Field(ContentReport)
    service: ClassVar[staticmethod[[User, int, str, str], models.ContentReport]]
    target: ClassVar[tuple[type[ModelNode], str]]

    class Meta:
        abstract = True

    @classmethod
    def perform_mutation(cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any) -> Any:
        assert user is not None
        model, argument = cls.target
        content_id = pk_of(data[argument], model, input_name(argument))
        return cls(report=cls.service(user, content_id, _value(data["reason"]), data.get("details") or ""))


class ReportCase(ReportContent):
    """Report a case you can see to the moderators."""

    service = staticmethod(moderation.report_case)
    target = (Case, "case_id")

    class Arguments:
        case_id = graphene.ID(required=True)
        reason = ReportReasonEnum(required=True)
        details = graphene.String()

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class ReportComment(ReportContent):
    """Report a comment you can see to the moderators."""

    service = staticmethod(moderation.report_comment)
    target = (Comment, "comment_id")

    class Arguments:
        comment_id = graphene.ID(required=True)
        reason = ReportReasonEnum(required=True)
        details = graphene.String()

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


def _resolved_reports(report_ids: list[int]) -> QuerySet[models.ContentReport]:
    return models.ContentReport.objects.filter(pk__in=report_ids).order_by("created_at", "id")


class HideCase(BaseMutation):
    """Hide a case everywhere with a reason (moderators); resolves its open reports."""

    hidden_case_id = graphene.ID()
    resolved_reports = graphene.List(graphene.NonNull(ContentReport))

    class Arguments:
        case_id = graphene.ID(required=True)
        reason = graphene.String(required=True)

    class Meta:
        error_type = NetworkError
        permission = moderator_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> HideCase:
        assert user is not None
        resolved = moderation.hide_case(user, pk_of(data["case_id"], Case, "caseId"), data["reason"])
        return cls(hidden_case_id=data["case_id"], resolved_reports=_resolved_reports(resolved))


class HideComment(BaseMutation):
    """Hide a comment with a reason (moderators); resolves its open reports."""

    hidden_comment_id = graphene.ID()
    resolved_reports = graphene.List(graphene.NonNull(ContentReport))

    class Arguments:
        comment_id = graphene.ID(required=True)
        reason = graphene.String(required=True)

    class Meta:
        error_type = NetworkError
        permission = moderator_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> HideComment:
        assert user is not None
        resolved = moderation.hide_comment(
            user, pk_of(data["comment_id"], Comment, "commentId"), data["reason"]
        )
        return cls(hidden_comment_id=data["comment_id"], resolved_reports=_resolved_reports(resolved))


class DismissReport(BaseMutation):
    """Close a report without action (moderators)."""

    report = graphene.Field(ContentReport)

    class Arguments:
        report_id = graphene.ID(required=True)
        note = graphene.String()

    class Meta:
        error_type = NetworkError
        permission = moderator_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> DismissReport:
        assert user is not None
        report = moderation.dismiss_report(
            user, pk_of(data["report_id"], ContentReport, "reportId"), data.get("note") or ""
        )
        return cls(report=report)


class CasesMutation(CommentsMutation):
    create_case = CreateCase.Field()
    update_case = UpdateCase.Field()
    publish_case = PublishCase.Field()
    close_case = CloseCase.Field()
    reopen_case = ReopenCase.Field()
    delete_case = DeleteCase.Field()
    add_case_attachment = AddCaseAttachment.Field()
    remove_case_attachment = RemoveCaseAttachment.Field()
    accept_answer = AcceptAnswer.Field()
    report_case = ReportCase.Field()
    report_comment = ReportComment.Field()
    hide_case = HideCase.Field()
    hide_comment = HideComment.Field()
    dismiss_report = DismissReport.Field()
