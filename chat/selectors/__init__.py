"""Reads of the chat app: who may use which room (the rule, once), and what screens show."""
