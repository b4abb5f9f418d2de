"""Writes of the referrals app: requests and their lifecycle, escalation, consultation records."""
