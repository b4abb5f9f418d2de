"""GraphQL for mentorship, one module per topic, merged here for config/schema.py."""

from __future__ import annotations

import graphene

from mentorship.schema.mentorships import MentorshipsMutation, MentorshipsQuery
from mentorship.schema.policy import PolicyMutation, PolicyQuery

MENTORSHIP_QUERY_ROOTS: tuple[type[graphene.ObjectType], ...] = (
    MentorshipsQuery,
    PolicyQuery,
)
MENTORSHIP_MUTATION_ROOTS: tuple[type[graphene.ObjectType], ...] = (
    MentorshipsMutation,
    PolicyMutation,
)
