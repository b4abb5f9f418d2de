"""What mentoring actually happened: a case shared by name with the mentor, a comment on the
mentee's case, an accepted answer. Each is recorded once against the pair's active mentorship
and moves ``lastActivityAt``; between doctors who are not a mentorship pair nothing is recorded."""

from __future__ import annotations

import pytest

from facilities.models import Tier
from mentorship.models import ActivityKind, Mentorship, MentorshipActivity
from mentorship.services import mentorships
from mentorship.services.activity import record_activity
from network.models import Case
from network.services import cases, comments
from tests import factories
from tests.network.test_cases_builders import COMMENT_BODY, case_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair() -> tuple:
    mentor, mentee = factories.doctor(tier=Tier.CENTRAL), factories.doctor(tier=Tier.PROVINCIAL)
    return mentor, mentee, factories.mentorship(mentor, mentee)


def named_case(author, *audience) -> Case:
    draft = cases.create_case(
        author,
        **case_fields(
            visibility=Case.Visibility.NAMED, audience_ids=[doctor.public_id for doctor in audience]
        ),
    )
    return cases.publish_case(author, draft.pk)


def recorded(mentorship: Mentorship) -> list[tuple[str, str]]:
    return sorted(mentorship.activities.values_list("kind", "subject_id"))


def test_a_case_named_to_the_mentor_a_comment_and_an_accepted_answer_each_count_once(pair):
    mentor, mentee, mentorship = pair
    assert mentorship.last_activity_at is None

    case = named_case(mentee, mentor)
    mentorship.refresh_from_db()
    assert recorded(mentorship) == [(ActivityKind.CASE_SHARED, str(case.pk))]
    shared_at = mentorship.last_activity_at
    assert shared_at == case.published_at

    comment = comments.add_comment(mentor, case.pk, COMMENT_BODY)
    mentorship.refresh_from_db()
    assert (ActivityKind.COMMENT, str(comment.pk)) in recorded(mentorship)
    assert mentorship.last_activity_at == comment.created_at > shared_at

    accepted = cases.accept_answer(mentee, case.pk, comment.pk)
    cases.accept_answer(mentee, case.pk, comment.pk)  # again: already the answer
    mentorship.refresh_from_db()
    assert recorded(mentorship) == sorted(
        [
            (ActivityKind.CASE_SHARED, str(case.pk)),
            (ActivityKind.COMMENT, str(comment.pk)),
            (ActivityKind.ANSWER_ACCEPTED, str(comment.pk)),
        ]
    )
    assert mentorship.last_activity_at == accepted.updated_at


def test_the_same_thing_is_recorded_once(pair):
    mentor, mentee, mentorship = pair
    case = named_case(mentee, mentor)
    assert record_activity(mentee.pk, mentor.pk, ActivityKind.CASE_SHARED, case.pk) is False
    assert MentorshipActivity.objects.filter(mentorship=mentorship).count() == 1


def test_a_reply_by_the_mentee_to_the_mentors_comment_counts_either_way(pair):
    mentor, mentee, mentorship = pair
    case = named_case(mentor, mentee)  # the mentor shares a case with the mentee
    comment = comments.add_comment(mentee, case.pk, COMMENT_BODY)
    assert (ActivityKind.COMMENT, str(comment.pk)) in recorded(mentorship)


def test_doctors_outside_a_mentorship_record_nothing(pair):
    mentor, mentee, mentorship = pair
    stranger = factories.doctor(tier=Tier.PROVINCIAL)
    case = named_case(stranger, mentor)
    comment = comments.add_comment(mentor, case.pk, COMMENT_BODY)
    cases.accept_answer(stranger, case.pk, comment.pk)
    # A case shared with the whole network names nobody.
    open_case = cases.publish_case(mentee, cases.create_case(mentee, **case_fields()).pk)
    assert open_case.status == Case.Status.OPEN

    assert not MentorshipActivity.objects.exists()
    mentorship.refresh_from_db()
    assert mentorship.last_activity_at is None


def test_only_an_active_mentorship_counts(pair):
    mentor, mentee, mentorship = pair
    mentorships.end_mentorship(mentor, mentorship.public_id, reason="Hoàn thành")
    proposal = mentorships.propose_mentorship(
        mentor, mentor_id=mentor.pk, mentee_id=factories.doctor(tier=Tier.DISTRICT).pk
    )
    named_case(mentee, mentor)
    named_case(proposal.mentee, mentor)
    assert not MentorshipActivity.objects.exists()
