"""Geography of the 34 provinces: which provinces share a land border.

The table lives in ``facilities/data/province_adjacency.json`` (its ``_about`` says how it was
compiled); it is read once per process and checked when read, so a typo fails loudly.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

PROVINCE_ADJACENCY = Path(__file__).resolve().parent / "data" / "province_adjacency.json"


def read_province_adjacency(path: Path = PROVINCE_ADJACENCY) -> dict[int, frozenset[int]]:
    """Each province code with the codes of its land neighbours; a malformed or asymmetric table
    is a programming error."""
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["neighbours"]
    table = {int(code): frozenset(int(other) for other in others) for code, others in raw.items()}
    for code, others in table.items():
        if code in others:
            raise ValueError(f"{path}: province {code} lists itself as a neighbour")
        for other in others:
            if other not in table:
                raise ValueError(f"{path}: province {code} names unknown neighbour {other}")
            if code not in table[other]:
                raise ValueError(f"{path}: {code} borders {other} but not the other way round")
    return table


@cache
def _adjacency() -> MappingProxyType[int, frozenset[int]]:
    return MappingProxyType(read_province_adjacency())


def neighbouring_provinces(province_code: int) -> frozenset[int]:
    """Codes of the provinces sharing a land border with ``province_code`` (empty if unknown)."""
    return _adjacency().get(province_code, frozenset())
