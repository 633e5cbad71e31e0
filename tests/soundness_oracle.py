"""The third decider of the soundness harness: an oracle written from DESIGN §1 alone.

Nothing here imports exactformer. A model is a plain *spec* (dense lists of
Fractions, readout entries as :class:`Poly` forms in parameter names):

    spec = {"variables": [...], "tokens": N, "width": D,
            "base": N x D, "coefficients": [N x D per variable],
            "blocks": [{"wq", "wk", "wv", "wo": dense matrices,
                        "activation": "identity" | "relu" | "softmax",
                        "mask": None | [allowed keys of token t, for each t],
                        "ffn": None | {"w1", "b1", "w2", "b2", "activation"}}],
            "readout": N x D Poly forms, "bias": Poly form}

and one literal dense forward pass (:func:`forward`) runs it over three kinds of
scalars:

* exact rationals at a point (``fractions.Fraction``): relu is max(s, 0); a softmax
  row whose scores are equal AT THE POINT has weights exactly 1/k (exp(s)/(k exp(s)));
* mpmath at high precision, used for a point where some softmax row has unequal
  scores (its weights are irrational in general), compared with a tolerance;
* the oracle's own sparse polynomials (:class:`Poly`, monomials keyed by names), to
  write true claims and to decide a model exactly when that is possible: a softmax
  row of identical score polynomials has weights 1/k, relu of a constant is read off,
  and relu of a polynomial whose naive interval enclosure over the box keeps a sign
  is that polynomial or 0 on the box. Anything else is taken as the polynomial piece
  at a reference point and marked *not exact*, so the oracle then only samples.

:func:`judge` compares a model with a claim (a Poly in variables and parameters):
exactly as polynomials when the model's function is known exactly, and always at
random rational points (inside the box when there is one).

>>> x = Poly.var("x")
>>> ((x + 1) * (x - 1)).text()
'x**2 - 1'
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath

# ------------------------------------------------------------------ polynomials


class Poly:
    """A polynomial with Fraction coefficients; a monomial is a sorted tuple of
    (name, exponent) pairs, so polynomials in different names mix freely."""

    __slots__ = ("terms",)

    def __init__(self, terms=None):
        self.terms = {m: Fraction(c) for m, c in (terms or {}).items() if c}

    @classmethod
    def const(cls, c) -> "Poly":
        return cls({(): Fraction(c)})

    @classmethod
    def var(cls, name: str) -> "Poly":
        return cls({((name, 1),): Fraction(1)})

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __eq__(self, other) -> bool:
        other = _as_poly(other)
        return isinstance(other, Poly) and self.terms == other.terms

    def __hash__(self):
        return hash(frozenset(self.terms.items()))

    def __add__(self, other) -> "Poly":
        other = _as_poly(other)
        out = dict(self.terms)
        for m, c in other.terms.items():
            v = out.get(m, 0) + c
            if v:
                out[m] = v
            else:
                out.pop(m, None)
        return Poly(out)

    __radd__ = __add__

    def __neg__(self) -> "Poly":
        return Poly({m: -c for m, c in self.terms.items()})

    def __sub__(self, other) -> "Poly":
        return self + (-_as_poly(other))

    def __rsub__(self, other) -> "Poly":
        return _as_poly(other) - self

    def __mul__(self, other) -> "Poly":
        other = _as_poly(other)
        out: dict = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                m, f = _mono_mul(m1, m2)
                v = out.get(m, 0) + c1 * c2 * f
                if v:
                    out[m] = v
                else:
                    out.pop(m, None)
        return Poly(out)

    __rmul__ = __mul__

    def names(self) -> set:
        return {n for m in self.terms for n, _ in m}

    def degree(self) -> int:
        return max((sum(e for _, e in m) for m in self.terms), default=0)

    def is_constant(self) -> bool:
        return all(m == () for m in self.terms)

    def constant(self) -> Fraction:
        return self.terms.get((), Fraction(0))

    def value(self, values: dict) -> Fraction:
        """The exact value at ``values`` (name -> Fraction)."""
        total = Fraction(0)
        for m, c in self.terms.items():
            term = c
            for n, e in m:
                term *= values[n] ** e
            total += term
        return total

    def rename(self, mapping: dict) -> "Poly":
        out = Poly()
        for m, c in self.terms.items():
            mono, f = _mono_mul((), tuple((mapping.get(n, n), e) for n, e in m))
            out = out + Poly({mono: c * f})
        return out

    def text(self) -> str:
        """Source text (``(p/q)*x**2*a + ...``) in a plain polynomial grammar."""
        if not self.terms:
            return "0"
        parts = []
        for m, c in sorted(self.terms.items(), key=lambda mc: (-_deg(mc[0]), mc[0])):
            mono = "*".join(n if e == 1 else f"{n}**{e}" for n, e in m)
            mag = abs(c)
            if not mono:
                body = str(mag)
            elif mag == 1:
                body = mono
            else:
                body = f"{mag}*{mono}" if mag.denominator == 1 else f"({mag})*{mono}"
            parts.append(("-" if c < 0 else "+", body))
        first = ("-" if parts[0][0] == "-" else "") + parts[0][1]
        return first + "".join(f" {s} {b}" for s, b in parts[1:])

    def __repr__(self) -> str:
        return f"Poly({self.text()})"


def _deg(m) -> int:
    return sum(e for _, e in m)


def root_of(name: str) -> int | None:
    """q for the constant named "sqrt(q)", else None."""
    if name.startswith("sqrt(") and name.endswith(")") and name[5:-1].isdecimal():
        return int(name[5:-1])
    return None


def _mono_mul(m1: tuple, m2: tuple) -> tuple[tuple, Fraction]:
    """(monomial, factor): the product, with sqrt(q)**2 = q reduced out (so every
    polynomial is at most linear in each square root; for square roots of distinct
    primes, two such reduced forms are equal as numbers iff equal as polynomials)."""
    d = dict(m1)
    for n, e in m2:
        d[n] = d.get(n, 0) + e
    factor = Fraction(1)
    for n, e in list(d.items()):
        q = root_of(n)
        if q is not None and e >= 2:
            factor *= Fraction(q) ** (e // 2)
            d[n] = e % 2
    return tuple(sorted((n, e) for n, e in d.items() if e)), factor


def _as_poly(v):
    if isinstance(v, Poly):
        return v
    if isinstance(v, (int, Fraction)):
        return Poly.const(v)
    return v


# ------------------------------------------------------------------ intervals

def _power_range(lo: Fraction, hi: Fraction, e: int) -> tuple[Fraction, Fraction]:
    a, b = lo ** e, hi ** e
    if e % 2 == 0 and lo < 0 < hi:
        return Fraction(0), max(a, b)
    return min(a, b), max(a, b)


def enclosure(p: Poly, box: dict) -> tuple[Fraction, Fraction]:
    """A rational interval holding p(x) for every x in ``box`` (name -> (lo, hi)):
    the sum over terms of c times the product of the exact power ranges."""
    lo_t = hi_t = Fraction(0)
    for m, c in p.terms.items():
        lo, hi = Fraction(1), Fraction(1)
        for n, e in m:
            a, b = _power_range(*box[n], e)
            cands = (lo * a, lo * b, hi * a, hi * b)
            lo, hi = min(cands), max(cands)
        lo, hi = (c * lo, c * hi) if c > 0 else (c * hi, c * lo)
        lo_t += lo
        hi_t += hi
    return lo_t, hi_t


# ------------------------------------------------------------------ arithmetics

class UnequalScores(Exception):
    """A softmax row with different scores at a point: not rational there."""


class ExactAt:
    """Exact rationals at one point."""

    def __init__(self, point):
        self.point = [Fraction(v) for v in point]

    def const(self, c):
        return Fraction(c)

    def var(self, i: int):
        return self.point[i]

    def relu(self, s):
        return s if s > 0 else Fraction(0)

    def softmax(self, scores):
        if any(s != scores[0] for s in scores):
            raise UnequalScores()
        return [Fraction(1, len(scores))] * len(scores)

    def form(self, f: Poly, values: dict):
        return f.value(values)


class NumericAt:
    """mpmath at ``dps`` digits at one point (weights of unequal softmax rows)."""

    def __init__(self, point, dps: int = 60):
        self.ctx = mpmath.mp.clone()
        self.ctx.dps = dps
        self.point = [self._f(Fraction(v)) for v in point]

    def _f(self, c: Fraction):
        return self.ctx.mpf(c.numerator) / c.denominator

    def const(self, c):
        return self._f(Fraction(c))

    def var(self, i: int):
        return self.point[i]

    def relu(self, s):
        return s if s > 0 else self.ctx.mpf(0)

    def softmax(self, scores):
        top = max(scores)
        e = [self.ctx.exp(s - top) for s in scores]
        total = sum(e)
        return [v / total for v in e]

    def form(self, f: Poly, values: dict):
        return self._f(f.value(values))


class Symbolic:
    """The oracle's polynomials in the variables; records where it had to guess.

    ``exact`` stays True while every step was exactly decided (on ``box``, when given);
    relu steps that were not are resolved by the sign at ``reference`` (a point), and
    unequal softmax rows by the weight 1/k; both clear ``exact``."""

    def __init__(self, variables, box=None, reference=None):
        self.variables = list(variables)
        self.box = None if box is None else dict(zip(self.variables, box))
        self.reference = (None if reference is None
                          else dict(zip(self.variables, (Fraction(v) for v in reference))))
        self.exact = True
        self.used_box = False
        self.irrational_softmax = 0
        self.uncertified_relu = 0

    def const(self, c):
        return Poly.const(c)

    def var(self, i: int):
        return Poly.var(self.variables[i])

    def relu(self, s: Poly):
        if s.is_constant():
            return s if s.constant() > 0 else Poly()
        if self.box is not None:
            lo, hi = enclosure(s, self.box)
            if lo >= 0:
                self.used_box = True
                return s
            if hi <= 0:
                self.used_box = True
                return Poly()
        self.exact = False
        self.uncertified_relu += 1
        if self.reference is not None and s.value(self.reference) > 0:
            return s
        return Poly()

    def softmax(self, scores):
        if any(s != scores[0] for s in scores):
            self.exact = False
            self.irrational_softmax += 1
        return [Poly.const(Fraction(1, len(scores)))] * len(scores)

    def form(self, f: Poly, values: dict):
        return f


# ------------------------------------------------------------------ the forward pass

def _matmul(a, b, zero):
    """Dense a @ b (a: rows of scalars, b: rows of Fractions)."""
    inner = len(b)
    cols = len(b[0]) if inner else 0
    out = []
    for row in a:
        r = []
        for j in range(cols):
            acc = zero
            for k in range(inner):
                w = b[k][j]
                if w and row[k]:
                    acc = acc + row[k] * w
            r.append(acc)
        out.append(r)
    return out


def forward(spec: dict, ar, values: dict | None = None):
    """y = the model's output, straight from DESIGN §1, in the arithmetic ``ar``.

    ``values`` gives parameter values for the readout forms (unused by Symbolic)."""
    N, D = spec["tokens"], spec["width"]
    zero = ar.const(0)
    H = [[ar.const(spec["base"][t][c]) for c in range(D)] for t in range(N)]
    for i, A in enumerate(spec["coefficients"]):
        xi = ar.var(i)
        for t in range(N):
            for c in range(D):
                if A[t][c]:
                    H[t][c] = H[t][c] + xi * A[t][c]
    for blk in spec["blocks"]:
        Q = _matmul(H, blk["wq"], zero)
        K = _matmul(H, blk["wk"], zero)
        V = _matmul(H, blk["wv"], zero)
        hv = len(blk["wo"])
        mask = blk["mask"]
        A = []
        for t in range(N):
            keys = list(range(N)) if mask is None else list(mask[t])
            scores = []
            for j in keys:
                s = zero
                for q, k in zip(Q[t], K[j]):
                    s = s + q * k
                scores.append(s)
            if not keys:
                weights = []
            elif blk["activation"] == "softmax":
                weights = ar.softmax(scores)
            elif blk["activation"] == "relu":
                weights = [ar.relu(s) for s in scores]
            else:
                weights = scores
            row = [zero] * hv
            for j, w in zip(keys, weights):
                for c in range(hv):
                    row[c] = row[c] + w * V[j][c]
            A.append(row)
        AO = _matmul(A, blk["wo"], zero)
        H = [[H[t][c] + AO[t][c] for c in range(D)] for t in range(N)]
        f = blk["ffn"]
        if f is not None:
            Z = _matmul(H, f["w1"], zero)
            Z = [[z + b for z, b in zip(row, f["b1"])] for row in Z]
            if f["activation"] == "square":
                Z = [[z * z for z in row] for row in Z]
            else:
                Z = [[ar.relu(z) for z in row] for row in Z]
            Y = _matmul(Z, f["w2"], zero)
            H = [[H[t][c] + Y[t][c] + f["b2"][c] for c in range(D)] for t in range(N)]
    y = ar.form(spec["bias"], values or {})
    for t in range(N):
        for c in range(D):
            r = spec["readout"][t][c]
            if r:
                y = y + ar.form(r, values or {}) * H[t][c]
    return y


def readout_names(spec: dict) -> set:
    out = set(spec["bias"].names())
    for row in spec["readout"]:
        for f in row:
            out |= f.names()
    return out


def value_at(spec: dict, point, values: dict):
    """(value, how): exact Fraction when every softmax row is rational at the point,
    else an mpmath number."""
    try:
        return forward(spec, ExactAt(point), values), "exact"
    except UnequalScores:
        return forward(spec, NumericAt(point), values), "numeric"


def symbolic_output(spec: dict, box=None, reference=None) -> tuple[Poly, Symbolic]:
    """The model's output as a Poly in variables and readout symbols, with the
    arithmetic that says whether it is exact (everywhere, or on ``box``)."""
    ar = Symbolic(spec["variables"], box, reference)
    return forward(spec, ar), ar


# ------------------------------------------------------------------ the verdict

@dataclass
class Judgement:
    """``status``: "equal" (decided exactly), "differs" (a point, or the polynomials,
    prove model != claim), or "agrees" (no difference at any sampled point, not
    decided). ``numeric`` marks a difference seen only with mpmath (far above the
    tolerance)."""

    status: str
    detail: str = ""
    witness: dict | None = None
    numeric: bool = False
    exact_model: bool = False
    info: dict = field(default_factory=dict)

    @property
    def differs(self) -> bool:
        return self.status == "differs"

    @property
    def equal(self) -> bool:
        return self.status == "equal"


def random_rational(rng: random.Random, lo: Fraction | None = None, hi: Fraction | None = None):
    """A random rational (small denominators), in [lo, hi] when given."""
    if lo is None:
        return Fraction(rng.randint(-60, 60), rng.choice((1, 2, 3, 5, 7, 11, 13)))
    k = rng.choice((7, 11, 13, 17, 97))
    return lo + (hi - lo) * Fraction(rng.randint(0, k), k)


def sample_points(spec, box, rng: random.Random, count: int) -> list:
    d = len(spec["variables"])
    pts = []
    if box is not None:
        pts.append([(lo + hi) / 2 for lo, hi in box])
        if d <= 3:
            for m in range(1 << d):
                pts.append([hi if m >> i & 1 else lo for i, (lo, hi) in enumerate(box)])
    while len(pts) < count:
        if box is None:
            pts.append([random_rational(rng) for _ in range(d)])
        else:
            pts.append([random_rational(rng, lo, hi) for lo, hi in box])
    return pts


TOLERANCE = mpmath.mpf(10) ** -30


def judge(spec: dict, claim: Poly, box=None, rng: random.Random | None = None,
          points: int = 20, params=()) -> Judgement:
    """Does the model compute ``claim`` (for all x, or for all x in ``box``: a list of
    (lo, hi) per variable), for all values of the parameters?

    Parameters are the claim's non-variable names, the readout symbols and ``params``;
    each gets a random rational value at each point."""
    rng = rng or random.Random(0)
    variables = list(spec["variables"])
    names = sorted((claim.names() | readout_names(spec) | set(params)) - set(variables))
    reference = None if box is None else [random_rational(rng, lo, hi) for lo, hi in box]
    poly, ar = symbolic_output(spec, box, reference)
    info = {"irrational_softmax": ar.irrational_softmax, "uncertified_relu": ar.uncertified_relu,
            "used_box": ar.used_box}
    pts = sample_points(spec, box, rng, points)
    witness = None
    for p in pts:
        values = {n: random_rational(rng) for n in names}
        values.update(zip(variables, p))
        y, how = value_at(spec, p, values)
        c = claim.value(values)
        if how == "exact":
            if ar.exact and poly.value(values) != y:
                raise AssertionError(f"oracle self-check: its polynomial {poly} and its "
                                     f"forward pass disagree at {values}")
            if y != c:
                witness = {"point": values, "model": y, "claim": c}
                return Judgement("differs", "exact difference at a point", witness,
                                 exact_model=ar.exact, info=info)
        else:
            gap = abs(y - NumericAt(p).const(c))
            if gap > TOLERANCE * (1 + abs(y)):
                witness = {"point": values, "model": y, "claim": c}
                return Judgement("differs", f"mpmath difference {mpmath.nstr(gap, 5)}",
                                 witness, numeric=True, exact_model=ar.exact, info=info)
    if ar.exact:
        if poly == claim:
            return Judgement("equal", "identical polynomials", exact_model=True, info=info)
        return Judgement("differs", "different polynomials (exact model; the sampled points "
                         "missed the difference)", exact_model=True, info=info)
    return Judgement("agrees", f"no difference at {len(pts)} points", info=info)
