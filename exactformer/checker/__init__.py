"""The independent certificate checker: Python standard library only.

It imports nothing from the rest of exactformer (nor sympy, nor mpmath): it reads a
certificate (format ``exactformer-certificate/1``), checks its sha256, and re-derives
the claimed identity from scratch with its own exact polynomial arithmetic and its
own forward pass of the IR. The certificate's "verdict" and "rung" are not trusted.

The trusted core is split by what it does:

* :mod:`.kernel`   exact polynomials, the forward pass, the claim comparison: all
  that decides (read it to know what VALID means);
* :mod:`.reading`  strict JSON, the hash, validation of the model, terms and trace;
* :mod:`.forms`    the readout forms ("2*a + 1/3", "pi*a", "sqrt(2)");
* :mod:`.check`    one check from file to Report; :mod:`.cli` ``python -m``;
* :mod:`.names`, :mod:`.messages`, :mod:`.errors`: the name rule, text, outcomes.

Usage: ``python -m exactformer.checker CERT.json [--json] [--timeout SECONDS]`` exits 0
when the certificate is valid, 1 when it is well formed but wrong, 2 when it is
malformed (or on a usage error, or for anything but a regular file), 3 when a size or
time limit stops the check (no verdict; see SECURITY.md).

Below, the polynomial helpers on exponent-tuple dicts ({(1, 0): Fraction(2)} is 2x)
are thin adaptors over the kernel's packed polynomials, for callers and tests.

>>> p = {(1,): Fraction(1), (0,): Fraction(1)}      # x + 1
>>> format_poly(poly_mul(p, p), ("x",))
'x**2 + 2*x + 1'
"""
from __future__ import annotations

import sys
import types
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

from . import kernel, limits
from .check import (EXACT_IDENTITY, EXACT_ON_BOX, KINDS, Report, check_bytes,
                    check_certificate, check_file, claim_text, split_target)
from .cli import DEFAULT_TIMEOUT, MAX_TIMEOUT, USAGE, main
from .errors import INVALID, LIMIT, MALFORMED, VALID, Invalid, Malformed, TimeLimit, TooLarge
from .forms import parse_form
from .kernel import FIELD_BITS, MAX_DEGREE, Ring
from .limits import (MAX_BYTES, MAX_CELLS, MAX_EXPONENT, MAX_FORM_BITS, MAX_FORM_TERMS,
                     MAX_NUMBER_CHARS, MAX_PRODUCT_WORK, MAX_TOKENS)
from .messages import box_text, format_monomial, format_poly, graded_key
from .names import CONSTANT_NAMES, IDENTIFIER, is_constant_name, is_identifier
from .reading import (CERTIFICATE_FORMAT, FFN_ACTIVATIONS, HASH_FIELD, MODEL_FORMAT,
                      SCORE_ACTIVATIONS, canonical_bytes, content_hash, strict_loads)
from .reading import Model as _Model
from .values import Box, Monomial, Rational, TuplePoly


class _Package(types.ModuleType):
    """This package as a module: setting a limit (MAX_...) on it sets it in .limits,
    where every module reads it."""

    def __setattr__(self, name: str, value: object) -> None:
        if name.startswith("MAX_") and hasattr(limits, name):
            setattr(limits, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> float | None:
    if name == "_deadline":  # the deadline of the check under way (None: none)
        return limits._deadline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _ring_of(*polys: Mapping[Monomial, Rational]) -> kernel.Ring:
    return kernel.Ring(next((len(m) for p in polys for m in p), 0))


def poly_add(p: Mapping[Monomial, Rational], q: Mapping[Monomial, Rational]) -> TuplePoly:
    """p + q on exponent-tuple polynomials."""
    r = _ring_of(p, q)
    out = {r.pack(m): c for m, c in p.items()}
    kernel.add_into(out, {r.pack(m): c for m, c in q.items()})
    return r.tuples(out)


def poly_scale(p: Mapping[Monomial, Rational], s: Rational) -> TuplePoly:
    """s * p on exponent-tuple polynomials."""
    return kernel.scale(p, s)


def poly_mul(p: Mapping[Monomial, Rational], q: Mapping[Monomial, Rational]) -> TuplePoly:
    """p * q on exponent-tuple polynomials (the kernel's Ring.mul)."""
    r = _ring_of(p, q)
    return r.tuples(r.mul({r.pack(m): c for m, c in p.items()},
                          {r.pack(m): c for m, c in q.items()}))


def poly_const(c: Rational, n: int) -> TuplePoly:
    """The constant polynomial c in n variables."""
    return {(0,) * n: Fraction(c)} if c else {}


def enclosure(p: Mapping[Monomial, Rational], box: Box) -> tuple[Fraction, Fraction]:
    """Rational bounds lo <= p(x) <= hi for every x in the box (the kernel's).

    >>> enclosure({(1, 0): Fraction(2), (0, 1): Fraction(-1)}, [(0, 1), (-1, 3)])
    (Fraction(-3, 1), Fraction(3, 1))
    """
    r = kernel.Ring(len(box))
    return kernel.enclosure(r, {r.pack(m): c for m, c in p.items()}, box)


def _shifted_power(alpha: Sequence[int], shift: Iterable[Rational]) -> TuplePoly:
    """(x - shift)^alpha expanded, with exponent tuples (the kernel's)."""
    r = kernel.Ring(len(alpha))
    return r.tuples(kernel.shifted_power(r, tuple(alpha), list(shift)))


def _poly_terms(value: object, nvars: int, where: str) -> TuplePoly:
    """[[exponents], "p/q"] list -> {exponent tuple: rational} (dense or sparse terms)."""
    from .reading import dense, terms
    return {dense(m, nvars): c for m, c in terms(value, nvars, where)}


def _check_theorem_target(target: Mapping[str, Any], d: int, n: int, variables: Iterable[str],
                          shift: Iterable[Rational]) -> None:
    """The kernel's theorem-target check on {"params": [...], "poly": {tuple: c}}."""
    r = kernel.Ring(d)
    sparse = [(tuple((i, e) for i, e in enumerate(m) if e), c)
              for m, c in target["poly"].items()]
    kernel.check_theorem_target(split_target(sparse, r), list(target["params"]), n,
                                list(variables), list(shift), r)
