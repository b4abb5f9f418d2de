"""No N+1 on case screens: the case page (case, comments, replies, authors) and case lists cost
the same number of queries at 1 and 50 rows; ``with_card_data`` loads what a card shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from network.models import Case, CaseAttachment, Comment, HelpfulReaction
from network.selectors.cases import cases_visible_to, with_card_data
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of
from tests.network.test_cases_builders import case_gid, comment_on, published_case

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

DOCTOR = "id fullName title avatarUrl facility { name tier province { name } } specialties { code name }"
CASE_PAGE = f"""query ($id: ID!, $first: Int!) {{
    case(id: $id) {{
        id title specialty {{ code name }} icd10Codes ageBand sex presentingProblem history findings
        investigations question tags visibility status consentBy consentMethod publishedAt updatedAt
        viewerCanEdit commentCount
        author {{ {DOCTOR} }}
        attachments {{ id url contentType isImage }}
        acceptedAnswer {{ id body author {{ {DOCTOR} }} }}
        firstComments {{ id body author {{ {DOCTOR} }} helpfulCount viewerFoundHelpful }}
    }}
    comments(caseId: $id, first: $first) {{
        totalCount pageInfo {{ hasNextPage endCursor }}
        edges {{ node {{
            id body isDeleted editedAt helpfulCount viewerFoundHelpful viewerCanEdit
            author {{ {DOCTOR} }}
            replies {{ id body helpfulCount viewerFoundHelpful author {{ {DOCTOR} }} }}
        }} }}
    }}
}}"""
MY_CASES = f"""query ($first: Int!) {{ cases(first: $first) {{
    totalCount
    edges {{ node {{
        id title status commentCount specialty {{ name }} author {{ {DOCTOR} }} attachments {{ id url }}
        firstComments {{ id body author {{ {DOCTOR} }} helpfulCount viewerFoundHelpful }}
        acceptedAnswer {{ id author {{ fullName }} }}
    }} }}
}} }}"""


def doctor_with_specialties():
    doctor = factories.doctor()
    doctor.specialties.add(
        factories.specialty(), factories.specialty("paediatrics", "Nhi khoa", "Paediatrics")
    )
    return doctor


@pytest.fixture
def commenters(db):
    """Doctors who take turns commenting (each row's author is loaded, whoever it is)."""
    return [doctor_with_specialties() for _ in range(12)]


def discuss(case: Case, comments: int, reader, commenters) -> None:
    """``comments`` top-level comments, each with two replies and "helpful" marks."""
    for n in range(comments):
        top = comment_on(case, commenters[n % len(commenters)], f"Ý kiến {n}")
        HelpfulReaction.objects.create(comment=top, doctor=reader)
        for m in range(2):
            reply = comment_on(
                case, commenters[(n + m + 1) % len(commenters)], f"Trả lời {n}.{m}", parent=top
            )
            HelpfulReaction.objects.create(comment=reply, doctor=case.author)


def test_the_case_page_costs_the_same_with_1_and_50_comments(
    graphql, commenters, django_assert_max_num_queries
):
    reader = factories.doctor()
    small_case = published_case(doctor_with_specialties(), status=Case.Status.ANSWERED)
    large_case = published_case(doctor_with_specialties(), status=Case.Status.ANSWERED)
    for case, count in ((small_case, 1), (large_case, 50)):
        discuss(case, count, reader, commenters)
        answer = Comment.objects.filter(case=case, parent__isnull=True).first()
        Case.objects.filter(pk=case.pk).update(accepted_answer=answer)
        CaseAttachment.objects.create(case=case, file="cases/a.pdf", content_type="application/pdf", size=3)
        CaseAttachment.objects.create(case=case, file="cases/b.jpg", content_type="image/jpeg", size=3)
    graphql.login(reader)

    with CaptureQueriesContext(connection) as small:
        data = data_of(graphql(CASE_PAGE, {"id": case_gid(small_case), "first": 50}))
    assert data["case"]["commentCount"] == 3
    assert len(data["comments"]["edges"]) == 1

    with django_assert_max_num_queries(len(small)):
        data = data_of(graphql(CASE_PAGE, {"id": case_gid(large_case), "first": 50}))
    assert data["case"]["commentCount"] == 150
    assert len(data["case"]["firstComments"]) == 3
    assert data["case"]["acceptedAnswer"]["author"]["specialties"]
    edges = data["comments"]["edges"]
    assert len(edges) == 50
    assert all(len(edge["node"]["replies"]) == 2 for edge in edges)
    assert all(edge["node"]["viewerFoundHelpful"] and edge["node"]["helpfulCount"] == 1 for edge in edges)
    assert all(len(edge["node"]["author"]["specialties"]) == 2 for edge in edges)


def test_my_cases_cost_the_same_for_1_and_50(graphql, commenters, django_assert_max_num_queries):
    author = doctor_with_specialties()
    reader = factories.doctor()
    for n in range(50):
        case = published_case(author, title=f"Ca {n}")
        discuss(case, 4, reader, commenters)
        CaseAttachment.objects.create(case=case, file="cases/a.pdf", content_type="application/pdf", size=3)
    graphql.login(author)
    with CaptureQueriesContext(connection) as small:
        data = data_of(graphql(MY_CASES, {"first": 1}))
    assert len(data["cases"]["edges"]) == 1
    with django_assert_max_num_queries(len(small)):
        data = data_of(graphql(MY_CASES, {"first": 50}))
    edges = data["cases"]["edges"]
    assert len(edges) == 50
    assert all(edge["node"]["commentCount"] == 12 for edge in edges)
    assert all(len(edge["node"]["firstComments"]) == 3 for edge in edges)


def test_cards_show_the_first_three_live_top_level_comments_and_count_live_comments():
    reader = factories.doctor()
    author = factories.doctor()
    case = published_case(author)
    quiet = published_case(author)
    start = timezone.now()
    comments = []
    for n in range(6):
        comment = comment_on(case, factories.doctor(), f"Ý kiến {n}")
        Comment.objects.filter(pk=comment.pk).update(created_at=start + timedelta(minutes=n))
        comments.append(comment)
    comment_on(case, author, "Trả lời", parent=comments[1])
    Comment.objects.filter(pk=comments[0].pk).update(deleted_at=start)
    Comment.objects.filter(pk=comments[2].pk).update(hidden_at=start)
    HelpfulReaction.objects.create(comment=comments[3], doctor=reader)

    first, second = with_card_data(cases_visible_to(reader).order_by("pk"), reader)
    assert (first.pk, second.pk) == (case.pk, quiet.pk)
    assert first.comment_count == 5  # comments 1, 3, 4, 5 and the reply
    assert [c.body for c in first.first_comments] == ["Ý kiến 1", "Ý kiến 3", "Ý kiến 4"]
    assert [(c.helpful_count, c.viewer_found_helpful) for c in first.first_comments] == [
        (0, False),
        (1, True),
        (0, False),
    ]
    assert (second.comment_count, second.first_comments) == (0, [])


def test_card_data_costs_the_same_for_1_and_50_cases(commenters, django_assert_max_num_queries):
    reader = factories.doctor()
    for n in range(50):
        case = published_case(commenters[n % len(commenters)], title=f"Ca {n}")
        discuss(case, 4, reader, commenters)
        CaseAttachment.objects.create(case=case, file="cases/a.pdf", content_type="application/pdf", size=3)

    def read(cases: list[Case]) -> None:
        for case in cases:
            assert case.author.facility.province.name and case.specialty.name_vi
            assert len(case.author.specialties.all()) == 2 and len(case.attachments.all()) == 1
            for comment in case.first_comments:
                assert comment.author.facility.province.name and len(comment.author.specialties.all()) == 2

    visible = cases_visible_to(reader).order_by("-published_at", "-id")
    with CaptureQueriesContext(connection) as small:
        read(list(with_card_data(visible, reader)[:1]))
    with django_assert_max_num_queries(len(small)):
        read(list(with_card_data(visible, reader)[:50]))
