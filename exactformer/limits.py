"""Resource limits applied before any expensive work starts.

Defaults are generous for real use and small enough that a hostile input such as
``x**(10**10)`` or ``(x+1)**100000`` is rejected instantly, before expansion.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Upper bounds checked by the parser and the builders."""

    max_input_chars: int = 5_000_000
    max_degree: int = 1000
    max_exponent: int = 1000
    max_terms: int = 200_000
    max_tokens: int = 200_000
    max_digits: int = 2_000
    max_nesting: int = 100
    max_variables: int = 64
    max_cells: int = 10_000_000  # tokens x (width, head or hidden size) of a loaded model


DEFAULT_LIMITS = Limits()
