"""The @mention picker: ``/network/cases/<id>/mentionable/?q=`` suggests exactly the doctors the
comment service accepts as mentions (verified, not blocked either way, able to see the case),
names matched without diacritics (đ as d) at the start of a word, at most eight, in a constant
number of queries; the comment form submits the chosen doctors as ``mentions`` (the service's
``mention_ids``) and shows the service's refusals on the form."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User, VerificationStatus
from common.errors import ServiceError
from network.errors import NetworkErrorCode
from network.models import Case, Comment, Mention, Notification, NotificationKind
from network.selectors.mentions import MENTION_SUGGESTIONS, fold_name, mentionable_doctors
from network.services.comments import add_comment
from tests import factories
from tests.network.test_cases_builders import block, connect, published_case

pytestmark = pytest.mark.django_db


def mentionable_url(case: Case, query: str | None = None) -> str:
    url = f"/network/cases/{case.public_id}/mentionable/"
    return url if query is None else f"{url}?q={query}"


def names(client: Client, case: Case, query: str) -> list[str]:
    response = client.get(mentionable_url(case), {"q": query})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture
def author(db) -> User:
    return factories.doctor(full_name="Trần Thị Hồng")


@pytest.fixture
def commenter(db) -> User:
    return factories.doctor(full_name="Lê Văn Minh")


def test_fold_name_drops_diacritics_folds_d_stroke_and_collapses_spaces():
    assert fold_name("  Đặng   Thị Ánh ") == "dang thi anh"
    assert fold_name("ĐỨC") == "duc"
    assert fold_name("Nguye\u0302\u0303n") == "nguyen"  # decomposed (NFD) input


def test_names_match_without_diacritics_at_the_start_of_a_word(signed_in, author, commenter):
    case = published_case(author)
    factories.doctor(full_name="Đỗ Đức Anh")
    factories.doctor(full_name="Nguyễn Văn Đông")
    client = signed_in(commenter)

    assert names(client, case, "duc") == ["Đỗ Đức Anh"]
    assert names(client, case, "Đức") == ["Đỗ Đức Anh"]
    assert names(client, case, "do duc") == ["Đỗ Đức Anh"]
    assert names(client, case, "NGUYEN") == ["Nguyễn Văn Đông"]
    assert names(client, case, "guyen") == []  # not at the start of a word
    assert names(client, case, "tran") == ["Trần Thị Hồng"]  # the case's author
    assert names(client, case, "") == []
    assert names(client, case, "   ") == []
    assert names(client, case, "%") == []


def test_each_suggestion_carries_what_the_form_submits(signed_in, author, commenter):
    case = published_case(author)
    client = signed_in(commenter)

    (row,) = client.get(mentionable_url(case), {"q": "hong"}).json()["results"]

    assert row == {
        "id": str(author.public_id),
        "name": "Trần Thị Hồng",
        "title": author.title,
        "facility": author.facility.name,
        "mention": "@Hồng",  # the given name: a full name would trip the identifier guard
    }


def test_only_doctors_the_service_accepts_are_suggested(signed_in, author, commenter):
    """Whatever the visibility, the suggestions are exactly the doctors ``add_comment`` takes as
    mentions: never unverified ones, blocked ones (either way, with the commenter or the author),
    the commenter, or anyone who cannot see the case."""
    connection_of_author = factories.doctor(full_name="Bùi Kết Nối")
    named = factories.doctor(full_name="Bùi Được Mời")
    stranger = factories.doctor(full_name="Bùi Người Lạ")
    factories.doctor(full_name="Bùi Chưa Xác Minh", status=VerificationStatus.PENDING)
    blocked_by_commenter = factories.doctor(full_name="Bùi Bị Chặn")
    blocks_author = factories.doctor(full_name="Bùi Chặn Tác Giả")
    lapsed = factories.doctor(full_name="Bùi Hết Hạn")
    lapsed.licence_expires_on = lapsed.licence_expires_on.replace(year=2000)
    lapsed.save(update_fields=["licence_expires_on"])
    deactivated = factories.doctor(full_name="Bùi Nghỉ Việc", is_active=False)
    connect(author, commenter)
    connect(author, connection_of_author)
    block(commenter, blocked_by_commenter)
    block(blocks_author, author)
    for person in (named, blocked_by_commenter, blocks_author, lapsed, deactivated):
        connect(author, person)
    everyone = User.objects.filter(full_name__startswith="Bùi")
    client = signed_in(commenter)

    for visibility, audience in (
        (Case.Visibility.NETWORK, ()),
        (Case.Visibility.CONNECTIONS, ()),
        (Case.Visibility.NAMED, (commenter, named, blocked_by_commenter)),
    ):
        case = published_case(author, visibility=visibility, audience=audience)
        suggested = set(names(client, case, "bui"))
        accepted = set()
        for person in everyone:
            try:
                add_comment(commenter, case.pk, "Xin ý kiến", mention_ids=[person.public_id])
            except ServiceError:
                continue
            accepted.add(person.full_name)
        assert suggested == accepted, visibility
        assert "Bùi Chưa Xác Minh" not in suggested
        assert "Bùi Bị Chặn" not in suggested
        assert "Bùi Chặn Tác Giả" not in suggested
        assert "Bùi Hết Hạn" not in suggested
        assert "Bùi Nghỉ Việc" not in suggested
        assert (stranger.full_name in suggested) == (visibility == Case.Visibility.NETWORK)
        assert (connection_of_author.full_name in suggested) == (visibility != Case.Visibility.NAMED)
    assert suggested == {"Bùi Được Mời"}  # the named case


def test_the_commenter_is_never_suggested(signed_in, author, commenter):
    case = published_case(author)
    assert names(signed_in(commenter), case, "minh") == []
    assert names(signed_in(author), case, "hong") == []


def test_at_most_eight_doctors_are_suggested_by_name(signed_in, author, commenter):
    case = published_case(author)
    for n in range(MENTION_SUGGESTIONS + 3):
        factories.doctor(full_name=f"Phan Văn {chr(ord('A') + n)}")

    suggested = names(signed_in(commenter), case, "phan")

    assert len(suggested) == MENTION_SUGGESTIONS
    assert suggested == sorted(suggested)


def test_a_common_family_name_does_not_crowd_out_the_connections_of_a_connections_only_case(
    author, commenter
):
    case = published_case(author, visibility=Case.Visibility.CONNECTIONS)
    connect(author, commenter)
    for n in range(40):
        factories.doctor(full_name=f"Nguyễn An {n:02d}")
    colleague = factories.doctor(full_name="Nguyễn Văn Zung")
    connect(author, colleague)

    assert [person.pk for person in mentionable_doctors(commenter, case, "nguyen")] == [colleague.pk]


def test_a_case_the_doctor_may_not_see_is_a_404_and_only_verified_doctors_may_ask(
    signed_in, author, commenter
):
    hidden = published_case(author, visibility=Case.Visibility.CONNECTIONS)
    assert signed_in(commenter).get(mentionable_url(hidden, "a")).status_code == 404
    assert signed_in(commenter).get(f"/network/cases/{uuid.uuid4()}/mentionable/?q=a").status_code == 404
    case = published_case(author)
    assert (
        signed_in(factories.doctor(status=VerificationStatus.PENDING))
        .get(mentionable_url(case, "a"))
        .status_code
        == 403
    )


def test_signed_out_visitors_are_sent_to_sign_in(client, author):
    response = client.get(mentionable_url(published_case(author), "a"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _queries(client: Client, case: Case, expected: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(mentionable_url(case), {"q": "vo"})
    assert len(response.json()["results"]) == expected
    return len(queries)


@pytest.mark.parametrize("visibility", [Case.Visibility.NETWORK, Case.Visibility.CONNECTIONS])
def test_the_suggestions_cost_the_same_queries_for_1_and_many_doctors(
    signed_in, author, commenter, visibility, django_assert_max_num_queries
):
    case = published_case(author, visibility=visibility)
    connect(author, commenter)
    client = signed_in(commenter)
    connect(author, factories.doctor(full_name="Võ Thị Một"))
    one = _queries(client, case, 1)

    for n in range(40):
        person = factories.doctor(full_name=f"Võ Văn {n:02d}")
        connect(author, person)
    many = _queries(client, case, MENTION_SUGGESTIONS)

    assert one == many
    with django_assert_max_num_queries(many):
        client.get(mentionable_url(case), {"q": "vo van"})


# --- The comment form submits mentions ------------------------------------------------------------


def test_a_comment_with_mentions_notifies_the_doctors_chosen(signed_in, author, commenter):
    case = published_case(author)
    colleague = factories.doctor(full_name="Đinh Công Sơn")
    client = signed_in(commenter)

    response = client.post(
        f"/network/cases/{case.public_id}/comments/",
        {"body": "@Sơn anh xem giúp ca này", "mentions": [str(colleague.public_id)]},
    )

    assert response.status_code == 302
    comment = Comment.objects.get(case=case)
    assert list(Mention.objects.filter(comment=comment).values_list("doctor_id", flat=True)) == [colleague.pk]
    assert Notification.objects.filter(recipient=colleague, kind=NotificationKind.MENTIONED).count() == 1


def test_what_the_picker_writes_passes_the_identifier_guard_where_a_full_name_would_not(
    signed_in, author, commenter
):
    case = published_case(author)
    colleague = factories.doctor(full_name="Đinh Công Sơn")
    client = signed_in(commenter)
    (row,) = client.get(mentionable_url(case), {"q": "dinh"}).json()["results"]
    url = f"/network/cases/{case.public_id}/comments/"

    refused = client.post(url, {"body": f"@{colleague.full_name} xem giúp", "mentions": [row["id"]]})
    assert refused.status_code == 200
    assert not Comment.objects.filter(case=case).exists()

    posted = client.post(url, {"body": f"{row['mention']} xem giúp", "mentions": [row["id"]]})
    assert posted.status_code == 302
    assert Mention.objects.get().doctor == colleague


def test_a_reply_submits_mentions_too(signed_in, author, commenter):
    case = published_case(author)
    parent = add_comment(author, case.pk, "Cần thêm ý kiến")
    colleague = factories.doctor(full_name="Đinh Công Sơn")

    signed_in(commenter).post(
        f"/network/cases/{case.public_id}/comments/",
        {"body": "@Sơn", "parent": str(parent.public_id), "mentions": [str(colleague.public_id)]},
    )

    reply = Comment.objects.get(parent=parent)
    assert Mention.objects.filter(comment=reply, doctor=colleague).exists()


def test_a_mention_the_service_refuses_is_shown_on_the_form_and_nothing_is_stored(
    signed_in, author, commenter
):
    case = published_case(author, visibility=Case.Visibility.CONNECTIONS)
    connect(author, commenter)
    outsider = factories.doctor(full_name="Tô Ngoại Lai")
    client = signed_in(commenter)

    response = client.post(
        f"/network/cases/{case.public_id}/comments/",
        {"body": "@Lai xem giúp", "mentions": [str(outsider.public_id)]},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Tô Ngoại Lai cannot see this case, so cannot be mentioned." in body
    # The refused doctor is shown again, ticked, so the doctor can untick and post.
    assert (
        f'name="mentions" value="{outsider.public_id}" checked data-mention-text="@Lai"> Tô Ngoại Lai' in body
    )
    assert "@Lai xem giúp" in body
    assert not Comment.objects.filter(case=case).exists()


def test_an_unknown_or_malformed_mention_is_a_form_error_not_a_404(signed_in, author, commenter):
    case = published_case(author)
    client = signed_in(commenter)
    url = f"/network/cases/{case.public_id}/comments/"

    unknown = client.post(url, {"body": "Ý kiến", "mentions": [str(uuid.uuid4())]})
    assert unknown.status_code == 200
    assert "Unknown doctor." in unknown.content.decode()

    malformed = client.post(url, {"body": "Ý kiến", "mentions": ["not-an-id"]})
    assert malformed.status_code == 200
    assert "Unknown doctor." in malformed.content.decode()
    assert not Comment.objects.filter(case=case).exists()


def test_the_case_page_loads_the_picker_where_doctors_can_comment(signed_in, author, commenter):
    case = published_case(author)
    client = signed_in(commenter)

    body = client.get(f"/network/cases/{case.public_id}/").content.decode()
    assert f'data-mention-source="{mentionable_url(case)}"' in body
    assert "js/mentions.js" in body
    assert 'id="comment-form" class="comment-form" novalidate data-mention-picker' in body

    closed = published_case(author, status=Case.Status.CLOSED)
    body = client.get(f"/network/cases/{closed.public_id}/").content.decode()
    assert "js/mentions.js" not in body
    assert "data-mention-source" not in body


def test_the_service_refuses_what_the_picker_never_suggests(author, commenter):
    """The picker's rule and the service's are one: a doctor missing from the suggestions for a
    named case is refused with MENTION_NOT_VISIBLE."""
    outsider = factories.doctor(full_name="Hà Ngoài Cuộc")
    case = published_case(author, visibility=Case.Visibility.NAMED, audience=(commenter,))

    assert mentionable_doctors(commenter, case, "ha") == []
    with pytest.raises(ServiceError) as refusal:
        add_comment(commenter, case.pk, "Ý kiến", mention_ids=[outsider.public_id])
    assert [problem.code for problem in refusal.value.errors] == [NetworkErrorCode.MENTION_NOT_VISIBLE]
