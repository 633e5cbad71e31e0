"""Exact polynomial backends: run in the fastest available QQ[x], report in sympy's.

The interpreter is generic over domains; two domains compute in QQ[x]:
:class:`~exactformer.engine.domains.PolynomialDomain` (sympy, always available) and
:class:`~exactformer.engine.domains.FlintPolynomialDomain` (FLINT, the ``fast``
extra). Both keep every element in canonical sparse form, so converting a FLINT
trace term by term gives exactly the trace the sympy backend computes; the
verifiers then decide on sympy ring elements whatever the backend was.

>>> from exactformer import build
>>> m = build("x**2 - 1")
>>> a = run_exact(m, backend="sympy").final
>>> b = run_exact(m, backend="auto").final
>>> a == b
True
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from itertools import compress, islice
from typing import Callable, Iterator, cast

from ..model import Mask, Model
from .domains import (FlintPolynomialDomain, PolynomialDomain, Scalar, flint_available,
                      polynomial_domain)
from .environment import BACKENDS, BackendError, environment_backend
from .interpreter import BlockTrace, Trace, run
from .progress import current as current_progress


_CHOSEN: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "exactformer_backend", default=None)


@contextmanager
def using_backend(backend: str | None) -> Iterator[None]:
    """Make ``backend`` the default of exact runs inside the ``with`` block."""
    if backend is not None and backend not in BACKENDS:
        raise BackendError(f"unknown polynomial backend {backend!r} (use {', '.join(BACKENDS)})")
    token = _CHOSEN.set(backend)
    try:
        yield
    finally:
        _CHOSEN.reset(token)


def default_backend() -> str:
    """The backend chosen by :func:`using_backend`, else $EXACTFORMER_BACKEND, else "auto"."""
    chosen = _CHOSEN.get()
    if chosen is not None:
        return chosen
    return environment_backend()


def dense_products(model: Model) -> bool:
    """True when the model can multiply two sums: an FFN (square of a sum), attention
    without a mask, or a mask row with several keys (sampled: the first 64 used rows
    of up to 16 masks). Without these every score is a product of single values (one
    key per row), as in the masked construction, where polynomials stay small and
    converting them would cost more than FLINT saves."""
    blocks = model.blocks
    if any(b.ffn is not None or b.attention.mask is None for b in blocks):
        return True
    # The choice only affects speed (both backends are exact), so look at the first
    # few non-empty rows of at most 16 masks spread over the depth, not at all N * L.
    for b in blocks[::max(1, len(blocks) // 16)]:
        allowed = cast(Mask, b.attention.mask).allowed  # every block has a mask here
        rows = islice(compress(range(len(allowed)), allowed), 64)
        if any(len(allowed[t]) > 1 for t in rows):
            return True
    return False


def backend_name(backend: str | None = None, model: Model | None = None) -> str:
    """The backend that ``backend`` (None = the default) resolves to: "sympy" or "flint".

    "auto" picks FLINT when it is installed and the model multiplies sums
    (:func:`dense_products`), sympy otherwise; both give identical polynomials."""
    backend = backend or default_backend()
    if backend not in BACKENDS:
        raise BackendError(f"unknown polynomial backend {backend!r} (use {', '.join(BACKENDS)})")
    if backend == "flint" and not flint_available():
        raise BackendError("the flint backend needs python-flint (>= 0.8): "
                           "pip install -e '.[fast]'")
    if backend == "auto":
        if not flint_available():
            return "sympy"
        return "flint" if model is None or dense_products(model) else "sympy"
    return backend


def to_sympy_trace(trace: Trace, target: PolynomialDomain | None = None) -> Trace:
    """The same trace with every value converted into the sympy ring (shared rows and
    values are converted once, so the rows stay shared)."""
    if not hasattr(trace.domain, "to_ring"):
        return trace
    domain = cast(FlintPolynomialDomain, trace.domain)  # the one domain with to_ring
    target = target or PolynomialDomain(domain.variables)
    seen_rows: dict[int, list[Scalar]] = {}
    seen_values: dict[int, Scalar] = {}

    def value(v: Scalar) -> Scalar:
        key = id(v)
        out = seen_values.get(key)
        if out is None:
            out = seen_values[key] = domain.to_ring(v)
        return out

    def row(r: list[Scalar]) -> list[Scalar]:
        key = id(r)
        out = seen_rows.get(key)
        if out is None:
            out = seen_rows[key] = [value(v) for v in r]
        return out

    residuals = [[row(r) for r in H] for H in trace.residuals]
    blocks = [BlockTrace(b.index, {k: value(v) for k, v in b.scores.items()},
                         {t: [value(v) for v in a] for t, a in b.attention.items()},
                         residuals[i + 1])
              for i, b in enumerate(trace.blocks)]
    return Trace(target, residuals, blocks)


def run_exact(model: Model, backend: str | None = None, record: bool = True,
              deadline: float | None = None,
              progress: Callable[[int, int], None] | None = None) -> Trace:
    """Forward pass in QQ[x] with the chosen backend; the trace is over sympy's QQ[x].

    ``progress`` defaults to the hook installed by :func:`.progress.reporting`."""
    domain = polynomial_domain(model.variables, backend_name(backend, model))
    if progress is None:
        progress = current_progress()
    trace = run(model, domain, record=record, deadline=deadline, progress=progress)
    return to_sympy_trace(trace)
