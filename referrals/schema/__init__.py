"""GraphQL of the referrals app, one module per topic, merged by config/schema.py."""

from __future__ import annotations

import graphene

from referrals.schema.metrics import ReferralMetricsQuery
from referrals.schema.referrals import ReferralsMutation, ReferralsQuery

REFERRALS_QUERY_ROOTS: tuple[type[graphene.ObjectType], ...] = (ReferralsQuery, ReferralMetricsQuery)
REFERRALS_MUTATION_ROOTS: tuple[type[graphene.ObjectType], ...] = (ReferralsMutation,)
REFERRALS_SUBSCRIPTION_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
