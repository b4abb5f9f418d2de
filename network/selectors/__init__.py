"""Reads of the network that depend on who is looking. Submodules by topic:
``connections`` (connections, blocks), ``cases`` (the visibility rule, feed, comments),
``notifications``."""
