"""Constructions: target polynomial -> model. Each is proved by the engine."""
from __future__ import annotations

from ..errors import ParseError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..poly import Target
from .masked import build_masked

CONSTRUCTIONS = {"masked": build_masked}


def build_model(target: Target, construction: str = "masked", degree: int | None = None,
                limits: Limits = DEFAULT_LIMITS) -> Model:
    """Build the named construction for ``target``."""
    try:
        builder = CONSTRUCTIONS[construction]
    except KeyError:
        raise ParseError(f"unknown construction {construction!r} (choose from "
                         f"{', '.join(sorted(CONSTRUCTIONS))})") from None
    return builder(target, degree=degree, limits=limits)


__all__ = ["CONSTRUCTIONS", "build_model", "build_masked"]
