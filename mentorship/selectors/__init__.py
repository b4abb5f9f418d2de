"""Reads: the policy in force, mentorships as each party sees them, compliance, matching."""
