"""Reads of the referrals app: who sees which referral, queues, targets, metrics."""
