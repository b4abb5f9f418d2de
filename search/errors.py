from __future__ import annotations

from enum import StrEnum


class SearchErrorCode(StrEnum):
    QUERY_TOO_LONG = "QUERY_TOO_LONG"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    PAGE_TOO_DEEP = "PAGE_TOO_DEEP"
