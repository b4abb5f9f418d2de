"""The base mutation: permission check, errors as data with the app's code enum.

"The one rule" (only verified doctors post, chat, refer...) has no mutation of its own yet, so
a small mutation built here shows how every such mutation reports it: as data, with a code.
"""

from __future__ import annotations

import json

import graphene
import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from accounts.errors import AccountErrorCode as AccountCodes
from accounts.models import VerificationStatus
from accounts.schema import AccountError
from api.mutations import BaseMutation
from api.permissions import login_required, verified_doctor_required
from api.views import TuyenGraphQLView
from common.errors import FieldError, ServiceError
from config.schema import Query
from tests import factories


class PostNote(BaseMutation):
    """Test-only: an action only verified doctors may take."""

    length = graphene.Int()

    class Arguments:
        text = graphene.String(required=True)

    class Meta:
        error_type = AccountError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(cls, root, info, user, text):
        if not text.strip():
            raise ServiceError.many(
                [
                    FieldError(AccountCodes.REQUIRED, "Write something.", "text"),
                    FieldError(AccountCodes.INVALID, "Blank notes help nobody."),
                ]
            )
        return cls(length=len(text))


class NoteMutations(graphene.ObjectType):
    post_note = PostNote.Field()


note_view = TuyenGraphQLView.as_view(schema=graphene.Schema(query=Query, mutation=NoteMutations))
POST_NOTE = "mutation ($text: String!) { postNote(text: $text) { length errors { field code message } } }"


def post_note(user, text: str = "Hội chẩn ca khó") -> dict:
    request = RequestFactory().post(
        "/graphql/",
        json.dumps({"query": POST_NOTE, "variables": {"text": text}}),
        content_type="application/json",
    )
    request.user = user or AnonymousUser()
    response = note_view(request)
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    assert "errors" not in body, body
    return body["data"]["postNote"]


def test_a_verified_doctor_passes_and_gets_an_empty_error_list(db):
    assert post_note(factories.doctor()) == {"length": 15, "errors": []}


@pytest.mark.parametrize(
    "status",
    [
        VerificationStatus.UNVERIFIED,
        VerificationStatus.PENDING,
        VerificationStatus.REJECTED,
        VerificationStatus.REVOKED,
        VerificationStatus.EXPIRED,
    ],
)
def test_a_doctor_who_is_not_verified_gets_not_verified_as_data(db, status):
    payload = post_note(factories.doctor(status=status))
    assert payload["length"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [(None, "NOT_VERIFIED")]
    assert payload["errors"][0]["message"]


def test_an_anonymous_visitor_gets_not_authenticated_as_data(db):
    payload = post_note(None)
    assert [error["code"] for error in payload["errors"]] == ["NOT_AUTHENTICATED"]


def test_a_deactivated_doctor_gets_account_inactive_as_data(db):
    payload = post_note(factories.doctor(is_active=False))
    assert [error["code"] for error in payload["errors"]] == ["ACCOUNT_INACTIVE"]


def test_every_error_of_a_refusal_is_listed_with_its_field(db):
    payload = post_note(factories.doctor(), text="   ")
    assert payload == {
        "length": None,
        "errors": [
            {"field": "text", "code": "REQUIRED", "message": "Write something."},
            {"field": None, "code": "INVALID", "message": "Blank notes help nobody."},
        ],
    }


def test_every_app_code_enum_includes_the_common_codes():
    values = set(AccountError._meta.fields["code"].type.of_type._meta.enum.__members__)
    assert {"NOT_AUTHENTICATED", "NOT_VERIFIED", "ACCOUNT_INACTIVE", "PERMISSION_DENIED"} <= values
    assert {code.name for code in AccountCodes} <= values


def test_a_mutation_must_name_its_permission_and_error_type():
    with pytest.raises(TypeError, match="permission"):

        class NoPermission(BaseMutation):
            ok = graphene.Boolean()

            class Meta:
                error_type = AccountError

            @classmethod
            def perform_mutation(cls, root, info, user):
                return cls(ok=True)

    with pytest.raises(TypeError, match="error_type"):

        class NoErrorType(BaseMutation):
            ok = graphene.Boolean()

            class Meta:
                permission = login_required

            @classmethod
            def perform_mutation(cls, root, info, user):
                return cls(ok=True)


def test_a_mutation_must_implement_perform_mutation():
    with pytest.raises(TypeError, match="perform_mutation"):

        class NoService(BaseMutation):
            ok = graphene.Boolean()

            class Meta:
                error_type = AccountError
                permission = login_required
