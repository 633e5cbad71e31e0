"""The one name rule, as the checker applies it.

The prover's exactformer/poly/names.py states the same pattern; a test keeps the two
equal (the checker keeps its own copy so that it imports nothing from the prover).
Identifiers are ASCII, so look-alike letters from other scripts can never be two
different names. Inputs, parameters (target parameters and readout symbols, one
space) and the constants pi, E, sqrt(q) are disjoint.
"""
from __future__ import annotations

import re

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z", re.ASCII)
CONSTANT_NAMES = ("pi", "E")
_SQRT_NAME = re.compile(r"sqrt\(\d+\)\Z", re.ASCII)


def is_identifier(name: object) -> bool:
    """An ASCII identifier that is not a constant's name."""
    return isinstance(name, str) and bool(IDENTIFIER.match(name)) and \
        name not in CONSTANT_NAMES


def is_constant_name(name: object) -> bool:
    """pi, E or sqrt(q)."""
    return isinstance(name, str) and (name in CONSTANT_NAMES or bool(_SQRT_NAME.match(name)))
