"""The rules of the float error analysis: one quantity of the forward pass
(:class:`Enclosed`) and what each operation of numpy's forward pass
(:func:`exactformer.floats.forward.run_float`) does to it (:class:`FloatOps`).
:mod:`.float_error` walks a model's layers with these rules.

Two models with the same structure are compared: ``ref``, the exact model (rational
weights), and ``run``, the weights the float model really holds (dyadic rationals: the
floats, read exactly). x ranges over the floats of the precision inside the box; both
models are evaluated at that same x (no input rounding).

Every intermediate quantity v of the forward pass is carried as an :class:`Enclosed`:
its exact reference value, a polynomial v(x) computed in QQ[x] by the engine's box
domain (relu by a sign certificate on the box, softmax only where the exact weights
are rational), and two rationals

    size  >= sup_box |v(x)|            (exact enclosure: |sum c_a x^a| <= sum |c_a| max |x^a|)
    error >= |v_float(x) - v(x)|       for every float x in the box.

The rules (u = 2^-p, eta = 2^(emin-p), gamma_k = k u / (1 - k u)):

* Rounding model: fl(a op b) = (a op b)(1 + delta) + eta', |delta| <= u, |eta'| <= eta
  (eta' only for a product or FMA landing in the subnormal range; a sum that underflows
  is exact). Multiplying by +-2^j, j >= 0, is exact; by +-2^j, j < 0, has no relative
  error (only eta). Adding an exact zero is exact.
* Dot product of k non-zero terms, ANY summation order, with or without FMA (and also
  with a wider accumulator):  |fl(sum a_i b_i) - sum a_i b_i| <= gamma_k sum |a_i b_i|
  + k eta (1 + gamma_{k-1}); gamma_{k-1} when every product is exact. Matrix products,
  einsum and every addition of the pass are such dot products (a + b is a.1 + b.1).
  Every bias or residual a kernel could fuse into a product is a term of that one sum:
  B + sum x_i A_i, H + head Wo, H W1 + b1, H + Z W2 + b2 and sum R H + r0 are each ONE
  dot product, so numpy's order (product first, then the adds) and a fused
  addmm(bias, A, B) that starts its accumulator at the bias are both covered.
  Gradual underflow is assumed (IEEE default): flush-to-zero / denormals-are-zero
  modes are NOT covered (eta would have to be the smallest normal number).
* A dot product of at most 2 non-zero terms is monotone in each product (rounding is
  monotone), so its float value lies in [fl(lo_1 + lo_2), fl(hi_1 + hi_2)] over the
  ranges of the (rounded or fused) products: this float range, kept beside the error,
  lets relu of a float argument that is certainly <= 0 be exactly 0.
  Not covered: fast matrix multiplication (Strassen-like), which numpy does not use.
* Errors carried through products: |a'b' - ab| <= |a'| |b' - b| + |b| |a' - a|,
  a' = float operand, so the weights' differences from the exact model (part (a)) and
  the input errors of every layer enter the same way.
* relu is 1-Lipschitz and exact in floating point: error out = error in.
* softmax: the exact model's weights are rational only when the allowed scores of a row
  are the same polynomial s (weight 1/k each). numpy computes top = max s~_j (exact),
  d_j = fl(s~_j - top) in [-2 E (1 + u), 0] (E the largest score error), e_j = exp~(d_j)
  with the ASSUMED accuracy |exp~(t) - exp(t)| <= c u exp(t) (c = ``exp_error``, 8 by
  default, i.e. 4 ulp: the documented accuracy of numpy's and onnxruntime's exp is
  within it), total = fl(sum e_j) (gamma_{k-1}), w_j = fl(e_j / total), or
  e_j * fl(1 / total) as torch may do (two roundings). With L = (1 - 2E(1 + u))(1 - c u)
  <= e_j <= U = 1 + c u (exp t >= 1 + t, exp t <= 1 for t <= 0):
  L(1 - u)^2 / (k U (1 + gamma_{k-1})) <= w_j <= U(1 + u)^2 / (k L (1 - gamma_{k-1})),
  and always w_j <= (1 + u)^2 / (1 - gamma_{k-1}).
  A row with one allowed key has d = 0, e = exp~(0) > 0 and w = fl(e / e) = 1 exactly,
  whatever exp does. Masked entries become exactly 0, as in numpy.
* Overflow is excluded, not assumed away: every computed quantity, every product and
  every partial sum is checked to stay below the largest finite float (LimitExceeded
  otherwise); masked scores too, since numpy computes them.

Bounds are rounded UP to dyadic rationals with 64-bit numerators as they go (sound for
upper bounds), so the numbers stay short.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Sequence, TypeAlias, cast

from sympy.polys.rings import PolyElement

from ..engine import BoxPolynomialDomain
from ..engine.domains import polynomial_interval
from ..errors import InternalContradiction, LimitExceeded, ShapeError
from ..model import ExactMatrix
from ..poly.box import Box
from .precision import Precision, float_inside, is_power_of_two, round_to, round_up_dyadic


@dataclass(frozen=True)
class Enclosed:
    """A quantity of the forward pass: its exact reference polynomial, size >=
    sup_box |poly|, error >= |float value - poly(x)|, and low <= float value <= high
    for every float x in the box (low == high: the float value is that constant)."""

    poly: PolyElement
    size: Fraction
    error: Fraction
    low: Fraction
    high: Fraction

    @property
    def known(self) -> Fraction | None:
        """The float value, when it is the same at every x of the box."""
        return self.low if self.low == self.high else None

    @property
    def float_size(self) -> Fraction:
        """An upper bound on |float value| over the box."""
        return max(-self.low, self.high)


#: One column of a weight matrix: (row, weight) over the entries non-zero in either model.
Column: TypeAlias = "list[tuple[int, Enclosed]]"


def _fraction(c: Any) -> Fraction:  # a QQ element (gmpy2 or Python mpq)
    return Fraction(int(c.numerator), int(c.denominator))


def _hull(*values: Fraction) -> tuple[Fraction, Fraction]:
    return min(values), max(values)


class FloatOps:
    """The rounding rules of the module docstring, over one box and precision."""

    def __init__(self, variables: Sequence[str], box: Box, precision: Precision,
                 deadline: float | None):
        self.domain = BoxPolynomialDomain(variables, box)
        self.intervals = self.domain.intervals
        self.p = precision
        self.deadline = deadline
        self.dots = 0
        self.longest = 0
        self.softmax_rows = 0
        z = Fraction(0)
        self.zero = Enclosed(self.domain.zero, z, z, z, z)
        self.one = self.constant(Fraction(1), Fraction(1))

    # ---------------------------------------------------------------- values
    def fl(self, q: Fraction, where: str) -> Fraction:
        self.check_finite(abs(q), where)
        return round_to(q, self.p, where)

    def interval_of(self, poly: PolyElement) -> tuple[Fraction, Fraction]:
        if poly.is_ground:
            c = _fraction(poly.LC) if poly else Fraction(0)
            return c, c
        return polynomial_interval(poly, self.intervals)

    def value(self, poly: PolyElement, error: Fraction, where: str,
              low: Fraction | None = None, high: Fraction | None = None) -> Enclosed:
        """An intermediate: its float value lies within ``error`` of poly(x), so in
        [lo - error, hi + error] (lo, hi: the enclosure of poly), and in [low, high]
        when a monotone rounding argument gave that; as the value is a float, both ends
        move inwards to the nearest float."""
        lo, hi = self.interval_of(poly)
        error = round_up_dyadic(error)
        f_lo, f_hi = lo - error, hi + error
        if low is not None:
            f_lo, f_hi = max(f_lo, low), min(f_hi, cast(Fraction, high))  # given together
        self.check_finite(max(-f_lo, f_hi), where)
        f_lo, f_hi = float_inside(f_lo, self.p, True), float_inside(f_hi, self.p, False)
        if f_lo > f_hi:
            raise InternalContradiction(f"{where}: empty float range [{f_lo}, {f_hi}]")
        return Enclosed(poly, round_up_dyadic(max(-lo, hi)), error, f_lo, f_hi)

    def constant(self, ref: Fraction, run: Fraction) -> Enclosed:
        """A weight: exact value ``ref``, the float the model holds ``run``."""
        return Enclosed(self.domain.const(ref), abs(ref), abs(run - ref), run, run)

    def check_finite(self, bound: Fraction, where: str) -> None:
        if bound > self.p.largest:
            raise LimitExceeded(f"{self.p.name} overflow cannot be excluded: {where} may "
                                f"reach {float(bound):.4g}, above the largest finite "
                                f"{self.p.name} {float(self.p.largest):.4g}; no bound is "
                                "certified")

    # ---------------------------------------------------------------- operations
    def _product_range(self, a: Enclosed, b: Enclosed) -> tuple[Fraction, Fraction]:
        """The exact range of a' b' over the float ranges of a and b."""
        if a is b:
            lo, hi = _hull(a.low * a.low, a.high * a.high)
            return (Fraction(0) if a.low <= 0 <= a.high else lo), hi
        return _hull(a.low * b.low, a.low * b.high, a.high * b.low, a.high * b.high)

    def dot(self, pairs: Iterable[tuple[Enclosed, Enclosed]],
            where: str = "a dot product") -> Enclosed:
        """fl(sum a_i b_i) in any order, with or without FMA (module docstring)."""
        poly = self.domain.zero
        carried = Fraction(0)
        total = Fraction(0)
        k, relative, tiny = 0, False, 0
        ranges: list[tuple[Fraction, Fraction]] = []
        for a, b in pairs:
            if (a.known == 0 and not a.poly) or (b.known == 0 and not b.poly):
                continue  # both the float and the exact product are 0
            poly = poly + a.poly * b.poly
            # |a'b' - ab| <= |a'| |b' - b| + |b| |a' - a| (or with the roles swapped); a
            # weight that rounded to 0 has a' = 0 and |a' - a| = |a|: its term is all error
            carried += min(a.float_size * b.error + b.size * a.error,
                           b.float_size * a.error + a.size * b.error)
            if a.known == 0 or b.known == 0:
                continue  # the float product is exactly 0: no rounding, not a term
            k += 1
            total += a.float_size * b.float_size
            lo, hi = self._product_range(a, b)
            scale = next((f.known for f in (a, b) if f.known is not None
                          and is_power_of_two(f.known)), None)
            if scale is None:
                relative, tiny = True, tiny + 1
            elif abs(scale) < 1:
                tiny += 1
            if scale is None or abs(scale) < 1:  # rounded (or, fused into an FMA, not)
                lo, hi = min(lo, self.fl(lo, where)), max(hi, self.fl(hi, where))
            ranges.append((lo, hi))
        if k == 0:  # the float result is exactly 0; the exact one may not be
            if not poly and carried == 0:
                return self.zero
            return self.value(poly, carried, where, Fraction(0), Fraction(0))
        self.dots += 1
        self.longest = max(self.longest, k)
        g = self.p.gamma(k if relative else k - 1)
        low = tiny * self.p.eta * (1 + self.p.gamma(k - 1))
        self.check_finite(total * (1 + g) + low, where)
        if k <= 2:  # one rounding at most after the products: monotone in each of them
            return self.value(poly, carried + g * total + low, where,
                              self.fl(sum((r[0] for r in ranges), Fraction(0)), where),
                              self.fl(sum((r[1] for r in ranges), Fraction(0)), where))
        return self.value(poly, carried + g * total + low, where)

    def add(self, a: Enclosed, b: Enclosed, where: str = "a sum") -> Enclosed:
        """fl(a + b): a dot product with weights 1."""
        return self.dot(((a, self.one), (b, self.one)), where)

    def relu(self, a: Enclosed) -> Enclosed:
        """relu is exact in floating point and 1-Lipschitz: the error passes unchanged
        (and is 0 when the float argument is certainly <= 0 where the exact one is). The
        reference needs the sign of a on the box (the box domain certifies it)."""
        if a.known is not None and a.error == 0:
            return a if a.known >= 0 else self.zero
        ref = self.domain.relu(a.poly)
        if a.high <= 0:  # relu of the float value is exactly 0
            return self.value(ref, self.interval_of(ref)[1], "relu", Fraction(0),
                              Fraction(0))
        return self.value(ref, a.error, "relu", max(a.low, Fraction(0)), a.high)

    def softmax(self, scores: list[Enclosed]) -> list[Enclosed]:
        """Weights of one masked softmax row (its allowed keys), as numpy computes them."""
        exact = self.domain.softmax([s.poly for s in scores])  # NotExact unless rational
        k = len(scores)
        if k == 1:
            return [self.one]  # fl(s - s) = 0, e = exp~(0) > 0, fl(e / e) = 1
        self.softmax_rows += 1
        p, u = self.p, self.p.u
        spread = 2 * max(s.error for s in scores) * (1 + u)
        c = p.exp_error * u
        lo_e = max(Fraction(0), 1 - spread) * (1 - c)
        hi_e = 1 + c
        g = p.gamma(k - 1)
        # w_j = fl(e_j / total), or e_j * fl(1 / total) (two roundings, as some libraries
        # do): within the factors (1 -+ u)^2 of e_j / total
        up, down = (1 + u) ** 2, (1 - u) ** 2
        upper = up / (1 - g)  # e_j <= total / (1 - g): true for any exp values
        if lo_e > 0:
            upper = min(upper, hi_e * up / (k * lo_e * (1 - g)))
        lower = lo_e * down / (k * hi_e * (1 + g))
        w = Fraction(1, k)
        err = max(upper - w, w - lower)
        return [self.value(e, err, "softmax", lower, upper) for e in exact]

    # ---------------------------------------------------------------- matrices
    def weights(self, ref: ExactMatrix, run: ExactMatrix, name: str) -> list[Column]:
        """Column c -> [(row, weight)] over the entries non-zero in either model."""
        if ref.shape != run.shape:
            raise ShapeError(f"{name}: the run model has shape {run.shape}, the exact model "
                             f"{ref.shape}")
        cells = {(r, c) for r, c, _ in ref.entries} | {(r, c) for r, c, _ in run.entries}
        cols: list[Column] = [[] for _ in range(ref.cols)]
        for r, c in sorted(cells):
            cols[c].append((r, self.constant(ref.get(r, c), run.get(r, c))))
        return cols

    def times(self, rows: list[list[Enclosed]], cols: list[Column],
              where: str) -> list[list[Enclosed]]:
        """rows @ W, each entry one dot product."""
        return [[self.dot(((row[r], w) for r, w in col), where) for col in cols]
                for row in rows]

    def tick(self, k: int) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise LimitExceeded(f"time limit reached in block {k} of the float analysis (use "
                                "--timeout to change it)")


def square_ffn_refined(an: FloatOps, row: list[Enclosed], zrow: list[Enclosed],
                       hrow: list[Enclosed], w1: list[Column], b1v: list[Enclosed],
                       w2: list[Column], b2v: list[Enclosed]) -> list[Enclosed]:
    """A second sound bound for H + (H W1 + b1)^2 W2 + b2, kept where it is smaller.

    Carrying errors through each square separately loses the cancellation of
    polarisation ((a + u)^2 - (a - u)^2)/4 = a u: each square doubles an input error
    that their difference does not. With delta_r = H'_r - H_r (|delta_r| <= E_r), z_h
    the exact hidden values, z'_h = z_h + L_h + rho_h (L_h = sum_r w1_rh delta_r, rho_h
    the hidden rounding and weight error, |rho_h| <= R_h), squares fl(z'^2) = z'^2 + eps_h:

        out_c' - out_c = sum_r P_cr delta_r                      (P_cr = [r = c] + dY_c/dH_r)
                       + sum_h w2_hc (2 z_h rho_h + (L_h + rho_h)^2 + eps_h)
                       + (weight errors of W2, b2) + (roundings of the one sum
                         H + sum_h w2_h fl(z'_h^2) + b2, in any order)

    where P_cr = [r = c] + sum_h 2 w2_hc w1_rh z_h is an exact polynomial: the gradient
    keeps the cancellation (for the u channel of the softmax construction P = 0: the
    scratch is cleared together with its error)."""
    p = an.p
    errs = [(r, v.error) for r, v in enumerate(row) if v.error]
    hidden = []
    for h, z in enumerate(zrow):
        col = w1[h]
        terms = [(row[r], w) for r, w in col if w.known != 0 and row[r].known != 0]
        bias = b1v[h]
        k = len(terms) + (1 if bias.known else 0)
        exact = all(w.known is not None and is_power_of_two(w.known) and abs(w.known) >= 1
                    for _, w in terms)
        # a weight is a constant: its float value w.known is set
        total = sum((v.float_size * abs(cast(Fraction, w.known)) for v, w in terms),
                    Fraction(0)) + abs(bias.known or Fraction(0))
        rho = (p.gamma(k - 1 if exact else k) * total
               + sum((row[r].float_size * w.error for r, w in col), Fraction(0)) + bias.error
               + (0 if exact else k * p.eta * (1 + p.gamma(k))))
        lam = sum((abs(w.known) * row[r].error for r, w in col if w.known), Fraction(0))
        lam += sum((w.error * row[r].error for r, w in col), Fraction(0))
        hidden.append((z, rho, lam))
    out = []
    for c, (a, b, current) in enumerate(zip(row, b2v, hrow)):
        col2 = [(h, w) for h, w in w2[c]]
        grad = {r: an.domain.const(Fraction(int(r == c))) for r, _ in errs}
        rest = Fraction(0)
        sq_total, k2, exact2 = Fraction(0), 0, True
        for h, w in col2:
            z, rho, lam = hidden[h]
            ref_w = _fraction(w.poly.LC) if w.poly else Fraction(0)
            for r, wr in w1[h]:
                if r in grad:
                    ref_r = _fraction(wr.poly.LC) if wr.poly else Fraction(0)
                    grad[r] = grad[r] + z.poly * an.domain.const(2 * ref_w * ref_r)
            f_sq = z.float_size ** 2 * (1 + p.u) + p.eta
            rest += abs(ref_w) * (2 * z.size * rho + (lam + rho) ** 2 + p.u * z.float_size ** 2
                                  + p.eta)
            rest += w.error * f_sq
            if w.known:
                k2 += 1
                sq_total += abs(w.known) * f_sq
                exact2 = exact2 and is_power_of_two(w.known)
        # H + sum_h w2_h sq_h + b2 is one sum of k2 + 2 terms, rounded in any order
        rest += (p.gamma(k2 + 2) * (a.float_size + sq_total + abs(b.known or Fraction(0)))
                 + 2 * k2 * p.eta + b.error)
        linear = sum((an.value(g, Fraction(0), "an FFN gradient").size * e
                      for (r, e), g in zip(errs, (grad[r] for r, _ in errs))), Fraction(0))
        bound = linear + rest
        out.append(current if bound >= current.error else
                   an.value(current.poly, bound, "the FFN residual", current.low, current.high))
    return out


__all__ = ["Enclosed", "FloatOps", "square_ffn_refined"]
