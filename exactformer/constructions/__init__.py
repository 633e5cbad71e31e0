"""Constructions: target polynomial -> model. Each is proved by the engine."""
from __future__ import annotations

import inspect

from ..errors import ParseError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..poly import Target
from .logdepth import build_logdepth
from .masked import build_masked
from .relu import build_relu
from .softmax import build_softmax

CONSTRUCTIONS = {"masked": build_masked, "softmax": build_softmax, "relu": build_relu,
                 "logdepth": build_logdepth}


def build_model(target: Target, construction: str = "masked", degree: int | None = None,
                limits: Limits = DEFAULT_LIMITS, box=None) -> Model:
    """Build the named construction for ``target``; ``box`` (a poly.box.Box) goes to the
    constructions that take one (relu: the box it is exact on), the others ignore it."""
    try:
        builder = CONSTRUCTIONS[construction]
    except KeyError:
        raise ParseError(f"unknown construction {construction!r} (choose from "
                         f"{', '.join(sorted(CONSTRUCTIONS))})") from None
    if box is not None and "box" in inspect.signature(builder).parameters:
        return builder(target, degree=degree, limits=limits, box=box)
    return builder(target, degree=degree, limits=limits)


__all__ = ["CONSTRUCTIONS", "build_model", "build_masked", "build_softmax", "build_relu",
           "build_logdepth"]
