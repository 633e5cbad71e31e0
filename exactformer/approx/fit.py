"""Regression with the blocks fixed: only the readout is fitted, by least squares.

The fixed blocks of construction A (degree n, d variables) leave m_t = x^alpha_t on
token t for every x (proved by ``exactformer theorem``), so the output is linear in
the readout c: y(x) = sum_t c_t x^alpha_t. Fitting the readout to samples (x_i, y_i)
is therefore linear least squares with the design matrix Phi[i, t] = x_i^alpha_t:

* exact: the normal equations Phi^T Phi c = Phi^T y solved over QQ (sympy
  DomainMatrix), so noiseless samples of a polynomial of degree <= n at enough points
  in general position give back its coefficients exactly;
* float: numpy.linalg.lstsq in float64 for large data, labelled as such; its
  coefficients are read exactly as the binary fractions they are.

Either way the model with the fitted readout is then built and PROVED equal to the
fitted polynomial (rung 1), so the residuals reported are the model's own.
"""
from __future__ import annotations

import csv
import io
import math
import re
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from ..constructions import build_model
from ..errors import InternalContradiction, LimitExceeded, ParseError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..poly import Target, graded_monomials
from ..poly.names import check_identifier
from ..verify import Verdict, verify_identity
from .chebyshev import Monomial, format_polynomial

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?(?:/\d+)?\Z", re.ASCII)
#: Largest number of data rows read.
MAX_ROWS = 1_000_000
#: Exact least squares when rows * tokens^2 * (average bits of a data value / 64)
#: stays below this (else float): the cost of the exact normal equations grows with
#: the size of the rationals as well as with their number.
EXACT_WORK = 1_000_000
#: Largest number of digits of the numerator or denominator of a data value.
MAX_CELL_DIGITS = DEFAULT_LIMITS.max_digits
#: Largest number of digits of a fitted coefficient or residual (below Python's
#: 4300-digit limit on int -> str, so every result can be printed).
MAX_RESULT_DIGITS = 4000


def _too_many_digits(q: Fraction, limit: int) -> bool:
    """Whether q's numerator or denominator has more than ``limit`` digits (decided
    without converting it to text, which Python refuses beyond 4300 digits)."""
    for n in (abs(q.numerator), q.denominator):
        if n.bit_length() > limit * 3.33 or (n.bit_length() > limit * 3.32 and n >= 10**limit):
            return True
    return False


@dataclass(frozen=True)
class Dataset:
    """Samples read from a CSV file: inputs (exact rationals) and responses."""

    variables: tuple[str, ...]
    response: str
    inputs: tuple[tuple[Fraction, ...], ...]
    outputs: tuple[Fraction, ...]


def _cell(text: str, line: int, column: str, max_digits: int = MAX_CELL_DIGITS) -> Fraction:
    value = text.strip()
    if not _NUMBER.match(value):
        raise ParseError(f"line {line}, column {column!r}: {value[:40]!r} is not a finite "
                         "rational number (use 3, -0.25, 1e-3 or 3/7)")
    try:
        # Fraction() reads "1e3" and "3/7" but not "1e3/7", which the pattern allows
        num, _, den = value.partition("/")
        q = Fraction(num) / Fraction(int(den)) if den else Fraction(num)
    except ZeroDivisionError:
        raise ParseError(f"line {line}, column {column!r}: {value[:40]!r} divides by "
                         "zero") from None
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        raise LimitExceeded(f"line {line}, column {column!r}: a number with {len(value)} "
                            "characters has too many digits") from None
    if _too_many_digits(q, max_digits):  # e.g. 1e9999: short text, 10000 digits
        raise LimitExceeded(f"line {line}, column {column!r}: {value[:40]!r} has more than "
                            f"{max_digits} digits in its numerator or denominator")
    return q


def load_csv(data: bytes | str, max_rows: int = MAX_ROWS,
             max_digits: int = MAX_CELL_DIGITS) -> Dataset:
    """Read a CSV file strictly: a header of variable names and a last response column,
    then one row of exact rationals per sample. Any malformed row is an error that
    names its line.

    >>> load_csv("x,y\\n1/2,3\\n0.25,-1\\n").inputs
    ((Fraction(1, 2),), (Fraction(1, 4),))
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(f"the CSV file is not UTF-8 text (byte {exc.start})") from None
    if "\x00" in data:
        raise ParseError("the CSV file contains a NUL byte")
    reader = csv.reader(io.StringIO(data))
    try:
        header = next(reader)
    except StopIteration:
        raise ParseError("the CSV file is empty (expected a header such as x,y)") from None
    except csv.Error as exc:
        raise ParseError(f"line 1: {exc}") from None
    names = [h.strip() for h in header]
    if len(names) < 2:
        raise ParseError("line 1: the header needs at least one variable and a response "
                         "column, e.g. x,y")
    for name in names:
        try:
            check_identifier(name, "column")  # the one name rule of every decision path
        except ParseError as exc:
            raise ParseError(f"line 1: {str(exc)[:200]}") from None
    if len(set(names)) != len(names):
        raise ParseError("line 1: a column name appears twice")
    inputs, outputs = [], []
    width = len(names)
    blank = None  # first blank line: allowed only at the end of the file
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() for c in row):
                blank = blank or line
                continue
            if blank is not None:
                raise ParseError(f"line {blank}: empty row")
            if len(row) != width:
                raise ParseError(f"line {line}: {len(row)} fields, the header has {width}")
            values = [_cell(c, line, n, max_digits) for c, n in zip(row, names)]
            inputs.append(tuple(values[:-1]))
            outputs.append(values[-1])
            if len(outputs) > max_rows:
                raise LimitExceeded(f"more than {max_rows} data rows")
    except csv.Error as exc:
        raise ParseError(f"line {reader.line_num}: {exc}") from None
    if not outputs:
        raise ParseError("the CSV file has a header but no data rows")
    return Dataset(tuple(names[:-1]), names[-1], tuple(inputs), tuple(outputs))


@dataclass
class FitResult:
    """A fitted readout, the model that carries it, and the proof model == fit."""

    dataset: Dataset
    degree: int
    method: str
    exact: bool
    coefficients: dict[Monomial, Fraction]     # alpha -> fitted coefficient
    target: Target
    model: Model
    verdict: Verdict
    rank: int
    residual_sum_of_squares: Fraction | float
    max_abs_residual: Fraction | float
    seconds: float

    def summary(self) -> dict[str, Any]:
        m = self.model
        rss = self.residual_sum_of_squares
        return {
            **self.verdict.to_json(),
            "variables": list(self.dataset.variables),
            "response": self.dataset.response,
            "rows": len(self.dataset.outputs),
            "degree": self.degree,
            "tokens": m.tokens,
            "width": m.width,
            "blocks": m.depth,
            "free_parameters": m.free_parameters,
            "method": self.method,
            "exact": self.exact,
            "rank": self.rank,
            "polynomial": format_polynomial(self.dataset.variables, self.coefficients),
            "residual_sum_of_squares": str(rss if self.exact else float(rss)),
            "max_abs_residual": str(self.max_abs_residual if self.exact
                                    else float(self.max_abs_residual)),
            "interpolates": bool(self.exact and rss == 0),
            "seconds": round(self.seconds, 3),
        }


def design_row(point: Sequence[Fraction], monomials: Sequence[Monomial]) -> list[Fraction]:
    """[x^alpha for alpha in monomials] at one point (exact)."""
    out = []
    for alpha in monomials:
        v = Fraction(1)
        for xi, e in zip(point, alpha):
            if e:
                v *= xi**e
        out.append(v)
    return out


def _exact_lstsq(rows: Sequence[Sequence[Fraction]], ys: Sequence[Fraction],
                 monomials: Sequence[Monomial]) -> tuple[list[Fraction], int]:
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix
    N = len(monomials)
    A = DomainMatrix([[QQ(v.numerator, v.denominator) for v in design_row(r, monomials)]
                      for r in rows], (len(rows), N), QQ)
    b = DomainMatrix([[QQ(v.numerator, v.denominator)] for v in ys], (len(ys), 1), QQ)
    At = A.transpose()
    G = At * A
    rank = G.rank()
    if rank < N:
        return [], rank
    sol = G.lu_solve(At * b).to_Matrix()
    return [Fraction(int(sol[i, 0].p), int(sol[i, 0].q)) for i in range(N)], rank


def _float_lstsq(rows: Sequence[Sequence[Fraction]], ys: Sequence[Fraction],
                 monomials: Sequence[Monomial]) -> tuple[list[Fraction], int, float, float]:
    import numpy as np
    try:
        [float(v) for r in rows for v in r] + [float(v) for v in ys]
    except OverflowError:
        raise ParseError("a value is too large for float64; use --exact") from None
    X = np.array([[float(v) for v in r] for r in rows], dtype=float).reshape(len(rows), -1)
    A = np.ones((len(rows), len(monomials)))
    for t, alpha in enumerate(monomials):
        for i, e in enumerate(alpha):
            if e:
                A[:, t] *= X[:, i] ** e
    y = np.array([float(v) for v in ys])
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(y))):
        raise ParseError("the data overflow float64; use --exact")
    sol, _, rank, _ = np.linalg.lstsq(A, y, rcond=None)
    res = y - A @ sol
    return ([Fraction(float(c)) for c in sol], int(rank), float(np.sum(res**2)),
            float(np.max(np.abs(res))))


def fit(dataset: Dataset, degree: int, method: str = "auto",
        limits: Limits = DEFAULT_LIMITS) -> FitResult:
    """Fit the readout of the fixed degree-``degree`` blocks to the data, build the
    model and prove it equals the fitted polynomial."""
    start = time.perf_counter()
    d = len(dataset.variables)
    if isinstance(degree, bool) or not isinstance(degree, int) or degree < 0:
        raise ParseError(f"degree must be a non-negative integer, got {str(degree)[:40]!r}")
    if degree > limits.max_degree:
        raise LimitExceeded(f"degree {degree} exceeds the limit {limits.max_degree}")
    N = math.comb(degree + d, d)
    if N > min(limits.max_tokens, 5000):
        raise LimitExceeded(f"{N} free parameters exceed the fitting limit 5000")
    monomials = graded_monomials(d, degree)
    rows = len(dataset.outputs)
    if method == "auto":
        bits = sum(v.numerator.bit_length() + v.denominator.bit_length()
                   for row in dataset.inputs for v in row) / max(1, rows * max(d, 1))
        method = "exact" if rows * N * N * max(1.0, bits / 64) <= EXACT_WORK else "float"
    if method not in ("exact", "float"):
        raise ParseError(f"unknown method {method!r} (auto, exact or float)")
    if rows < N:
        raise ParseError(f"{rows} data rows cannot determine {N} readout weights "
                         f"(degree {degree} in {d} variables): give at least {N} rows")
    rss: Fraction | float     # exact for the exact method, float64 for the float one
    worst: Fraction | float
    if method == "exact":
        coeffs, rank = _exact_lstsq(dataset.inputs, dataset.outputs, monomials)
        label = "exact rational least squares (normal equations solved over QQ)"
    else:
        coeffs, rank, rss, worst = _float_lstsq(dataset.inputs, dataset.outputs, monomials)
        label = ("floating-point least squares (numpy.linalg.lstsq, float64): the readout "
                 "is the rounded float solution, read exactly; not the exact optimum")
    if rank < N:
        raise ParseError(f"the {N} monomial features are linearly dependent on these "
                         f"points (rank {rank} < {N}): give more distinct points or a "
                         "lower --degree")
    terms = {alpha: c for alpha, c in zip(monomials, coeffs) if c}
    target = Target.from_terms(dataset.variables, terms)
    model = build_model(target, "masked", degree=degree, limits=limits)
    verdict, _, _ = verify_identity(model, target, limits=limits)
    _check_result_size(coeffs, "a fitted coefficient")
    if method == "exact":
        residuals = [y - sum((c * v for c, v in zip(coeffs, design_row(point, monomials))),
                             Fraction(0))
                     for point, y in zip(dataset.inputs, dataset.outputs)]
        rss = sum((r * r for r in residuals), Fraction(0))
        worst = max(abs(r) for r in residuals)
        _check_result_size([rss, worst], "the residual")
        confirm_optimum(dataset.inputs, residuals, monomials)
    return FitResult(dataset, degree, label, method == "exact", terms, target, model,
                     verdict, rank, rss, worst, time.perf_counter() - start)


def _check_result_size(values: Sequence[Fraction | float], what: str) -> None:
    for v in values:
        if _too_many_digits(Fraction(v), MAX_RESULT_DIGITS):
            raise LimitExceeded(f"{what} has more than {MAX_RESULT_DIGITS} digits (data "
                                "values with many digits): round the data or use --float")


def confirm_optimum(rows: Sequence[Sequence[Fraction]], residuals: Sequence[Fraction],
                    monomials: Sequence[Monomial]) -> None:
    """Raise InternalContradiction unless the exact residuals r = y - Phi c satisfy the
    normal equations Phi^T r = 0 exactly: that is what makes c THE least-squares
    optimum that the output claims (and, with r = 0, an exact interpolation)."""
    for t, alpha in enumerate(monomials):
        g = Fraction(0)
        for point, r in zip(rows, residuals):
            if r:
                g += design_row(point, (alpha,))[0] * r
        if g:
            raise InternalContradiction(
                f"the exact least-squares solution violates its normal equation for the "
                f"monomial {alpha} (gradient {float(g):.6e}); no fit is claimed (this is "
                "a bug; please report it)")


__all__ = ["Dataset", "FitResult", "load_csv", "fit", "design_row", "confirm_optimum"]
