"""Writes: the quota policy, the mentorship lifecycle, activity, reminders, plans."""
