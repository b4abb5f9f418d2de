"""GraphQL for mentorship, one module per topic, merged here for config/schema.py."""

from __future__ import annotations

import graphene

from mentorship.schema.compliance import ComplianceQuery
from mentorship.schema.matching import MatchingQuery
from mentorship.schema.mentorships import MentorshipsMutation, MentorshipsQuery
from mentorship.schema.planner import PlannerMutation, PlannerQuery
from mentorship.schema.policy import PolicyMutation, PolicyQuery

MENTORSHIP_QUERY_ROOTS: tuple[type[graphene.ObjectType], ...] = (
    MentorshipsQuery,
    PolicyQuery,
    ComplianceQuery,
    MatchingQuery,
    PlannerQuery,
)
MENTORSHIP_MUTATION_ROOTS: tuple[type[graphene.ObjectType], ...] = (
    MentorshipsMutation,
    PolicyMutation,
    PlannerMutation,
)
