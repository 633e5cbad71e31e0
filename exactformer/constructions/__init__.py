"""Constructions: target polynomial -> model. Each is proved by the engine."""
from __future__ import annotations

import inspect
from typing import Protocol, cast

from ..errors import LimitExceeded, ParseError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..poly import Target, n_monomials
from ..poly.box import Box
from .dense_softmax import build_dense_softmax
from .logdepth import build_logdepth
from .masked import build_masked
from .relu import build_relu
from .softmax import build_softmax


class Builder(Protocol):
    """A construction: target -> model (degree defaults to the target's degree)."""

    def __call__(self, target: Target, degree: int | None = None,
                 limits: Limits = DEFAULT_LIMITS) -> Model: ...


class BoxBuilder(Protocol):
    """A construction that is exact on a given box (relu)."""

    def __call__(self, target: Target, degree: int | None = None,
                 limits: Limits = DEFAULT_LIMITS, box: Box | None = None) -> Model: ...


CONSTRUCTIONS: dict[str, Builder] = {
    "masked": build_masked, "softmax": build_softmax, "relu": build_relu,
    "logdepth": build_logdepth, "dense-softmax": build_dense_softmax}


def build_model(target: Target, construction: str = "masked", degree: int | None = None,
                limits: Limits = DEFAULT_LIMITS, box: Box | None = None) -> Model:
    """Build the named construction for ``target``; ``box`` (a poly.box.Box) goes to the
    constructions that take one (relu: the box it is exact on), the others ignore it."""
    try:
        builder = CONSTRUCTIONS[construction]
    except KeyError:
        raise ParseError(f"unknown construction {construction!r} (choose from "
                         f"{', '.join(sorted(CONSTRUCTIONS))})") from None
    _check_size(target, degree, limits)
    if box is not None and "box" in inspect.signature(builder).parameters:
        # the signature check above makes this builder a BoxBuilder
        return cast(BoxBuilder, builder)(target, degree=degree, limits=limits, box=box)
    return builder(target, degree=degree, limits=limits)


def _check_size(target: Target, degree: int | None, limits: Limits) -> None:
    """Refuse, before anything is built, a degree above ``limits.max_degree`` or a
    (d, n) whose C(n+d, d) monomial tokens exceed ``limits.max_tokens``: every
    monomial construction has one token per monomial of degree <= n."""
    if degree is not None and (isinstance(degree, bool) or not isinstance(degree, int)
                               or degree < 0):
        raise ParseError(f"degree must be a non-negative integer, got {degree!r}")
    n = target.degree if degree is None else degree
    if n < target.degree:
        raise ParseError(f"degree {n} is below the target's degree {target.degree}")
    if n > limits.max_degree:
        raise LimitExceeded(f"degree {n} exceeds the limit {limits.max_degree} "
                            "(--max-degree)")
    d = target.dimension
    if d > limits.max_variables:
        raise LimitExceeded(f"{d} variables exceed the limit {limits.max_variables}")
    count = n_monomials(d, n)
    if count > limits.max_tokens:
        raise LimitExceeded(f"(d, n) = ({d}, {n}) needs {count} tokens, above the limit "
                            f"{limits.max_tokens} (--max-tokens)")


__all__ = ["CONSTRUCTIONS", "build_model", "build_masked", "build_softmax", "build_relu",
           "build_logdepth", "build_dense_softmax"]
