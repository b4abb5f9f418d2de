"""CSV lines safe to open in a spreadsheet (the exports of compliance and referral figures).

A spreadsheet runs a cell starting with one of :data:`FORMULA_STARTS` as a formula (CSV
injection): names of doctors, facilities, provinces and specialties are data, so such a cell
gets a leading apostrophe. Numbers stay numbers (a negative figure is not text).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """``value`` safe to open in a spreadsheet: text never starts a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_line(values: Iterable[object]) -> str:
    """One CSV line (with its line end) of ``values``, each :func:`neutralised`."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([neutralised(value) for value in values])
    return buffer.getvalue()
