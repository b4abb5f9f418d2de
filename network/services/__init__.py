"""Writes of the network. Submodules by topic: ``connections``, ``cases``, ``comments``,
``moderation``, ``notifications``; each function checks the one rule
(``accounts.services.require_verified_doctor``) before acting."""
