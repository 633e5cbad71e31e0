"""Rung 3 (DESIGN §3): Schwartz-Zippel, exact evaluation at random points.

Lemma (Schwartz-Zippel). If P in QQ[z_1..z_m] is non-zero of total degree <= D
and r is drawn uniformly from S^m for a finite S in QQ, then Pr[P(r) = 0] <= D/|S|.
With k independent points, Pr[P(r_1) = ... = P(r_k) = 0] <= (D/|S|)^k.

Here P = (model output) - (claim), a polynomial in the variables and in every
symbol (readout symbols, claim parameters, pi, E), and D is an upper bound on its
degree computed from the IR (:class:`DegreeDomain`) and from the claim's syntax
tree, never from an expansion. Both sides are evaluated at each point with exact
rationals (:class:`~exactformer.engine.RationalDomain`), so nothing is rounded:

- a point where they differ is an exact witness: the claim is REFUTED for certain;
- agreement at all k points means "holds with error probability <= (D/|S|)^k".
  That is strong evidence, NOT an exact proof, and is always labelled so.

A softmax row with several keys has rational weights only if its scores agree;
the first such row (in evaluation order) whose scores are not identical
polynomials is caught unless a fixed non-zero score difference vanishes at every
point, which adds its degree to D. relu is not polynomial and is refused here
(the box rung decides it).

The claim may be given as text: it is parsed (safely) and evaluated as a tree, so
a claim such as ``(x+y+z+1)**1024``, far too big to expand, can be checked.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NoReturn, Protocol, Sequence, TypeAlias, cast

from ..engine import RationalDomain, run
from ..engine.domains import Domain
from ..errors import LimitExceeded, NotAPolynomial, NotExact, ParseError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..model.ir import Coefficient
from ..poly import Target, parse
from ..poly.evaluate import exponent_of, names_in, resolve_calls, root_of
from ..poly.syntax import Node, describe
from ..poly.names import NameSpaces
from ..poly.target import coefficient_target, lift
from .verdict import SCHWARTZ_ZIPPEL, Verdict

#: Terms over QQ: exponent tuple -> QQ coefficient (gmpy2 or Python mpq).
Terms: TypeAlias = "dict[tuple[int, ...], Any]"
#: A symbolic readout entry: (its symbol names, its terms over them, its degree).
SymbolicEntry: TypeAlias = "tuple[tuple[str, ...], Terms, int]"
#: A readout entry (token, channel; both None for the bias) and its rational or
#: symbolic value.
ReadoutTerm: TypeAlias = "tuple[int | None, int | None, Fraction | SymbolicEntry]"
#: --vars / --params as given: comma-separated text, a sequence of names, or None.
DeclaredNames: TypeAlias = "str | Sequence[str] | None"


class NamedClaim(Protocol):
    """A parsed claim of a sampling rung: its symbol names, constants included."""

    @property
    def names(self) -> tuple[str, ...]: ...

#: Default number of independent points and bits of the sample set S.
DEFAULT_POINTS = 4
DEFAULT_SAMPLE_BITS = 64
#: Claims whose degree bound is above this are refused (evaluating them costs
#: time in proportion to their degree).
MAX_DEGREE_BOUND = 100_000


class _Deg:
    """An upper bound on the total degree of a polynomial; ``None`` = surely zero."""

    __slots__ = ("d",)

    def __init__(self, d: int | None):
        self.d = d

    def __bool__(self) -> bool:
        return self.d is not None

    def __add__(self, other: "_Deg") -> "_Deg":
        if self.d is None:
            return other
        if other.d is None:
            return self
        return _Deg(max(self.d, other.d))

    __sub__ = __add__

    def __neg__(self) -> "_Deg":
        return self

    def __mul__(self, other: "_Deg") -> "_Deg":
        if self.d is None or other.d is None:
            return _Deg(None)
        return _Deg(self.d + other.d)

    def __repr__(self) -> str:
        return f"deg<={self.d}" if self.d is not None else "0"


class DegreeDomain(Domain):
    """Runs the interpreter on degree bounds: deg(p+q) <= max, deg(pq) <= sum.

    Softmax weights count as constants (they are 1/k when the row's scores are
    identical); ``softmax_degree`` records the largest score degree of a row with
    several keys, which bounds the degree of a non-zero score difference there.
    relu of a possibly non-constant argument raises NotExact (not a polynomial).
    """

    name = "degree bounds"

    def __init__(self, nvars: int):
        self.zero = _Deg(None)
        self.one = _Deg(0)
        self._var = _Deg(1)
        self.softmax_degree = 0

    def const(self, value: Fraction) -> _Deg:
        return _Deg(0) if value else _Deg(None)

    def variable(self, i: int) -> _Deg:
        return self._var

    def relu(self, value: _Deg) -> _Deg:
        if value.d is None or value.d == 0:
            return value
        raise NotExact("relu of a non-constant value is not a polynomial, so the "
                       "Schwartz-Zippel rung does not apply; use the box rung")

    def softmax(self, scores: Sequence[_Deg]) -> list[_Deg]:
        if len(scores) > 1:
            top = max((s.d for s in scores if s.d is not None), default=0)
            self.softmax_degree = max(self.softmax_degree, top)
        return [_Deg(0)] * len(scores)

    def to_sympy(self, value: _Deg) -> NoReturn:
        raise NotImplementedError("degree bounds have no sympy value")


def tree_degree(node: Node, limits: Limits = DEFAULT_LIMITS) -> int:
    """An upper bound on the total degree of a call-free tree, without expanding it."""
    kind = node[0]
    if kind == "num":
        return 0
    if kind in ("sym", "const"):
        return 1
    if kind == "neg":
        return tree_degree(node[1], limits)
    if kind == "add":
        return max(tree_degree(c, limits) for c in node[1])
    if kind == "mul":
        return sum(tree_degree(c, limits) for c in node[1])
    if kind == "div":
        if tree_degree(node[2], limits) > 0:
            raise NotAPolynomial(f"{describe(node)}: division by {describe(node[2])} "
                                 "is not a polynomial")
        return tree_degree(node[1], limits)
    if kind == "pow":
        base = tree_degree(node[1], limits)
        e = exponent_of(node, limits)
        if base == 0:
            return 0
        if e < 0:
            raise NotAPolynomial(f"{describe(node)}: a negative power is not a polynomial")
        if e > limits.max_exponent:
            raise LimitExceeded(f"{describe(node)}: exponent {e} exceeds the limit "
                                f"{limits.max_exponent}")
        out = base * e
        if out > MAX_DEGREE_BOUND:
            raise LimitExceeded(f"{describe(node)} has degree up to {out}, above "
                                f"{MAX_DEGREE_BOUND} for random evaluation")
        return out
    raise ParseError(f"unexpected syntax node {kind!r}")


def evaluate_tree(node: Node, values: dict[str, Fraction], limits: Limits = DEFAULT_LIMITS) -> Fraction:
    """The exact value of a call-free tree at ``values`` (name -> rational)."""
    kind = node[0]
    if kind == "num":
        return cast(Fraction, node[1])
    if kind in ("sym", "const"):
        return values[node[1]]
    if kind == "neg":
        return -evaluate_tree(node[1], values, limits)
    if kind == "add":
        return sum((evaluate_tree(c, values, limits) for c in node[1]), Fraction(0))
    if kind == "mul":
        out = Fraction(1)
        for c in node[1]:
            out *= evaluate_tree(c, values, limits)
            if not out:
                break
        return out
    if kind == "div":
        den = evaluate_tree(node[2], values, limits)
        if not den:  # the denominator is constant (checked by tree_degree)
            raise ParseError(f"division by zero in {describe(node)}")
        return evaluate_tree(node[1], values, limits) / den
    if kind == "pow":
        base = evaluate_tree(node[1], values, limits)
        e = exponent_of(node, limits)
        if base == 0 and e < 0:
            raise ParseError(f"division by zero in {describe(node)}")
        bits = max(base.numerator.bit_length(), base.denominator.bit_length()) * abs(e)
        if bits > MAX_VALUE_BITS:
            raise LimitExceeded(f"{describe(node)} would need about {bits} bits at a sample "
                                f"point, above the limit {MAX_VALUE_BITS}")
        return base ** e
    raise ParseError(f"unexpected syntax node {kind!r}")


#: Largest exact value (in bits) one power may produce while evaluating a claim at a
#: point: 64-bit coordinates and degrees up to a few thousand stay far below it.
MAX_VALUE_BITS = 8_000_000


class _Claim:
    """A claim the rung can evaluate: its symbol names, degree bound and values."""

    def __init__(self, claim: Target | str, limits: Limits):
        self.limits = limits
        self.names: tuple[str, ...]
        self.terms: Terms
        self.tree: Node | None
        self.degree: int
        if isinstance(claim, Target):
            gens = tuple(claim.variables) + tuple(claim.params)
            self.names = gens
            self.terms = lift(claim, gens)
            self.tree = None
            self.degree = max((sum(m) for m in self.terms), default=0)
            constants = claim.constants
        elif isinstance(claim, str):
            self.tree = resolve_calls(parse(claim, limits), limits)
            syms, consts = names_in(self.tree)
            self.names = tuple(sorted(syms)) + tuple(sorted(consts))
            self.degree = tree_degree(self.tree, limits)
            constants = tuple(consts)
        else:
            raise ParseError(f"the Schwartz-Zippel rung takes a claim as text or Target, "
                             f"not {type(claim).__name__}")
        roots = [c for c in constants if root_of(c) is not None]
        if roots:
            raise NotExact(f"{roots[0]} satisfies {roots[0]}**2 = {root_of(roots[0])}, so it "
                           "is not an independent symbol; use the exact rung")

    def value(self, values: dict[str, Fraction]) -> Fraction:
        if self.tree is not None:
            return evaluate_tree(self.tree, values, self.limits)
        point = [values[n] for n in self.names]
        total = Fraction(0)
        for mon, c in self.terms.items():
            term = Fraction(int(c.numerator), int(c.denominator))
            for v, e in zip(point, mon):
                if e:
                    term *= v ** e
            total += term
        return total


def _readout_terms(model: Model, limits: Limits) -> list[ReadoutTerm]:
    """Readout entries as (token, channel, rational or (names, terms, degree))."""
    out: list[ReadoutTerm] = []
    entries: tuple[tuple[int | None, int | None, Coefficient], ...] = \
        model.readout.entries + ((None, None, model.readout.bias),)
    for t, c, v in entries:
        if isinstance(v, Fraction):
            out.append((t, c, v))
            continue
        target = coefficient_target(v, limits)
        if any(root_of(n) is not None for n in target.constants):
            raise NotExact("a readout entry holds a square root; use the exact rung")
        terms = lift(target, target.params)
        out.append((t, c, (target.params, terms, max((sum(m) for m in terms), default=0))))
    return out


def _entry_value(entry: Fraction | SymbolicEntry, values: dict[str, Fraction]) -> Fraction:
    if isinstance(entry, Fraction):
        return entry
    names, terms, _ = entry
    total = Fraction(0)
    for mon, c in terms.items():
        term = Fraction(int(c.numerator), int(c.denominator))
        for n, e in zip(names, mon):
            if e:
                term *= values[n] ** e
        total += term
    return total


def model_degree_bound(model: Model, readout: list[ReadoutTerm] | None = None,
                       limits: Limits = DEFAULT_LIMITS) -> tuple[int, int]:
    """(degree bound of the output in all symbols, softmax score degree bound)."""
    readout = _readout_terms(model, limits) if readout is None else readout
    domain = DegreeDomain(len(model.variables))
    final = run(model, domain, record=False).final
    degree = 0
    for t, c, entry in readout:
        extra = 0 if isinstance(entry, Fraction) else entry[2]
        if t is None:
            degree = max(degree, extra)
            continue
        h = final[t][cast(int, c)]  # only the bias has no token and channel
        if h.d is not None:
            degree = max(degree, h.d + extra)
    return degree, domain.softmax_degree


@dataclass(frozen=True)
class SchwartzZippelResult:
    """The verdict of rung 3 with its evidence.

    ``error_probability`` is an exact upper bound (a Fraction) on the probability
    that the verdict "holds" is wrong; it is 0 for a refutation (an exact witness)."""

    verdict: Verdict
    names: tuple[str, ...]
    points: tuple[tuple[Fraction, ...], ...]
    degree_bound: int
    sample_size: int
    error_probability: Fraction
    witness: tuple[Fraction, Fraction] | None = None  # (model value, claim value)
    seed: int | None = None  # the seed the points were derived from (repeat with --seed)

    @property
    def holds(self) -> bool:
        return self.verdict.holds

    def to_json(self) -> dict[str, Any]:
        # agreement is not an exact proof: its verdict is never "proved" (exit 5)
        verdict = {**self.verdict.to_json()}
        if self.holds:
            verdict["verdict"] = PROBABILISTIC_AGREEMENT
        out = {**verdict, "probabilistic": True,
               "exact_proof": False,
               "error_probability": _upper_float(self.error_probability),
               "error_probability_formula": _bound_text(self),
               "degree_bound": self.degree_bound,
               "sample_size": self.sample_size,
               "seed": None if self.seed is None else str(self.seed),
               "point_derivation": POINT_DERIVATION,
               "assumption": ASSUMPTION,
               "points": [dict(zip(self.names, (str(v) for v in p))) for p in self.points]}
        if self.witness is not None:
            out["witness"] = {"point": dict(zip(self.names, (str(v) for v in self.points[-1]))),
                              "model": _short(self.witness[0], 4000),
                              "claim": _short(self.witness[1], 4000)}
        return out

    def line(self) -> str:
        """One human line; a positive result is never called an exact proof."""
        if not self.holds:
            return f"REFUTED ({self.verdict.rung}): {self.verdict.detail}"
        return (f"HOLDS WITH HIGH PROBABILITY ({self.verdict.rung}): error probability "
                f"<= {_bound_text(self)}; this is not an exact proof ({ASSUMPTION})")


def _short(v: Fraction, digits: int = 60) -> str:
    """v exactly when short, else its sign and size (the value itself is huge)."""
    size = max(abs(v.numerator).bit_length(), v.denominator.bit_length()) * 0.30103
    if size <= digits:
        return str(v)
    return f"{'-' if v < 0 else ''}<a rational of about {int(size)} digits>"


def _upper_float(p: Fraction) -> float:
    """A float >= p (the bound is reported rounded up, never down)."""
    if not p:
        return 0.0
    f = float(p)
    return f if Fraction(f) >= p else math.nextafter(f, math.inf)


def _bound_text(r: SchwartzZippelResult) -> str:
    if not r.error_probability:
        return "0 (exact witness)"
    k = len(r.points)
    return f"({r.degree_bound}/{r.sample_size})^{k} ~ {_upper_float(r.error_probability):.3g}"


#: The JSON verdict of agreement on this rung (exit 5): probable, not proved.
PROBABILISTIC_AGREEMENT = "probabilistic-agreement"

#: Domain-separation tag of the point derivation (changes if the derivation does).
POINT_DERIVATION = "exactformer/schwartz-zippel-points/v1"
#: What the error probability assumes, stated wherever a result is reported.
ASSUMPTION = ("points derived from SHAKE-256 of (model, claim, seed), assumed to behave "
              "as a random oracle; a party trying Q claims or seeds of its choice "
              "succeeds with probability at most Q times the bound")


def _canonical_claim(claim: "_Claim") -> bytes:
    """The claim in a canonical byte form: its expanded terms, or its parsed tree."""
    if claim.tree is not None:
        body = repr(claim.tree)
    else:
        body = repr(sorted((m, str(c)) for m, c in claim.terms.items()))
    return f"{claim.names!r}|{body}".encode("ascii", "backslashreplace")


def derive_points(model_bytes: bytes, claim_bytes: bytes, seed: int, count: int,
                  dimension: int, sample_bits: int, first: int = 0) -> list[tuple[int, ...]]:
    """``count`` points of [0, 2^b)^dimension, each coordinate b bits of
    SHAKE-256(tag, H(model), H(claim), seed, i, j): Fiat-Shamir style, so any change to
    the model, the claim or the seed changes every point, and nobody can choose a
    claim that vanishes at points fixed before the claim was."""
    import hashlib
    head = b"\x00".join([POINT_DERIVATION.encode(), hashlib.sha256(model_bytes).digest(),
                         hashlib.sha256(claim_bytes).digest(), str(seed).encode(),
                         str(sample_bits).encode()])
    nbytes = (sample_bits + 7) // 8
    mask = (1 << sample_bits) - 1
    out: list[tuple[int, ...]] = []
    for i in range(first, first + count):  # point i depends on i alone: derive any slice
        row: list[int] = []
        for j in range(dimension):
            digest = hashlib.shake_256(head + f"\x00{i}\x00{j}".encode()).digest(nbytes)
            row.append(int.from_bytes(digest, "big") & mask)
        out.append(tuple(row))
    return out


def verify_schwartz_zippel(model: Model, claim: Target | str, points: int = DEFAULT_POINTS,
                           seed: int | None = None, sample_bits: int = DEFAULT_SAMPLE_BITS,
                           limits: Limits = DEFAULT_LIMITS,
                           deadline: float | None = None, variables: DeclaredNames = None,
                           params: DeclaredNames = None) -> SchwartzZippelResult:
    """Test model(z) == claim(z) at ``points`` points of S^m, S = the integers in
    [-2^(b-1), 2^(b-1)) (b = ``sample_bits``), by exact rational evaluation.

    The points are derived from a hash of (canonical model, canonical claim, seed)
    (:func:`derive_points`); ``seed=None`` draws a fresh 128-bit seed, reported in
    the result so that the run can be repeated. ``variables``/``params`` declare the
    names of a text claim (as ``--vars``/``--params``); the names obey the one rule of
    :mod:`exactformer.poly.names` in every case.

    >>> from exactformer import build
    >>> m = build("x**2 + y/3")
    >>> r = verify_schwartz_zippel(m, "x**2 + y/3", seed=1)
    >>> r.verdict.verdict, r.verdict.rung, r.error_probability == Fraction(2, 2**64)**4
    ('proved', 'Schwartz-Zippel (probabilistic)', True)
    >>> verify_schwartz_zippel(m, "x**2 + y/3 + 1", seed=1).verdict.verdict
    'refuted'
    """
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ParseError(f"the Schwartz-Zippel rung needs at least one point, got {points!r}")
    if points > MAX_POINTS:
        raise LimitExceeded(f"{points} points exceed the limit {MAX_POINTS}")
    if sample_bits < 2:
        raise ParseError(f"the sample set needs at least 2 bits, got {sample_bits}")
    if seed is None:
        import secrets
        seed = secrets.randbits(128)
    elif isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 256:
        raise ParseError(f"--seed must be an integer in [0, 2^256), got {seed!r}")
    # S = the integers in [-2^(b-1), 2^(b-1)), |S| = 2^b (b is raised for big degree bounds)
    target = _Claim(claim, limits)
    readout = _readout_terms(model, limits)
    names = _decision_names(model, target, claim, readout, variables, params, limits)
    variables = tuple(model.variables)
    out_degree, soft_degree = model_degree_bound(model, readout, limits)
    # a wrong "holds" needs model - claim to vanish at every point, or (softmax) a
    # non-zero score difference to: the union bound adds the two degrees
    degree = max(out_degree, target.degree, 1) + soft_degree
    # The bound from the IR can be far above the true degree (a square FFN that
    # polarises, ((a+b)^2 - (a-b)^2)/4, doubles it); it only enters the error bound,
    # so the sample set grows with it to keep each point's error <= 2^-32.
    sample_bits = max(sample_bits, degree.bit_length() + 32)
    size = 2 ** sample_bits
    half = size // 2
    from ..formats.model_json import dumps
    raw = derive_points(dumps(model).encode(), _canonical_claim(target), seed, points,
                        len(names), sample_bits)
    chosen: list[tuple[Fraction, ...]] = []
    rung = SCHWARTZ_ZIPPEL
    for coords in raw:
        if deadline is not None and time.monotonic() > deadline:
            raise LimitExceeded("time limit reached during random evaluation (use --timeout to "
                                "change it)")
        point = tuple(Fraction(c - half) for c in coords)
        chosen.append(point)
        values = dict(zip(names, point))
        final = run(model, RationalDomain(point[:len(variables)]), record=False).final
        y = Fraction(0)
        for t, c, entry in readout:
            coef = _entry_value(entry, values)
            y += coef if t is None else coef * final[t][cast(int, c)]  # None: the bias
        expected = target.value(values)
        if y != expected:
            where = ", ".join(f"{n} = {v}" for n, v in values.items())
            verdict = Verdict(False, rung, f"at {where} the model outputs {_short(y)} but the "
                              f"claim is {_short(expected)} (exact rational evaluation: a certain refutation)")
            return SchwartzZippelResult(verdict, names, tuple(chosen), degree, size,
                                        Fraction(0), (y, expected), seed)
    error = Fraction(degree, size) ** points
    verdict = Verdict(True, rung, f"model and claim agree at {points} points; "
                      f"error probability <= ({degree}/2^{sample_bits})^{points} "
                      f"(probabilistic, not an exact proof; {ASSUMPTION})")
    return SchwartzZippelResult(verdict, names, tuple(chosen), degree, size, error, None, seed)


#: At most this many points (each costs a forward pass).
MAX_POINTS = 10_000


def _decision_names(model: Model, target: "_Claim", claim: Target | str,
                    readout: list[ReadoutTerm], variables: DeclaredNames,
                    params: DeclaredNames, limits: Limits) -> tuple[str, ...]:
    """The coordinates of a point: the model's inputs, the claim's other variables,
    the parameters, the constants, checked by the one name rule."""
    return claim_name_spaces(model, target, claim, variables, params, limits).symbols


def claim_name_spaces(model: Model | tuple[str, ...], target: NamedClaim, claim: Target | str,
                      variables: DeclaredNames, params: DeclaredNames,
                      limits: Limits) -> NameSpaces:
    """The checked name spaces of ``model`` against a claim given as text (whose names
    are ``target.names``, constants included) or as a Target, with ``--vars`` and
    ``--params`` read exactly as the exact rung reads them (one rule for every rung)."""
    from ..poly.names import is_constant_name
    from ..poly.target import _check_names, _split_names
    from .names import decision_names
    if isinstance(claim, Target):
        if variables is not None or params is not None:
            raise ParseError("declare variables and parameters when the claim Target is made")
        spaces = decision_names(model, claim, limits)
    else:
        declared_vars = _split_names(variables)
        declared_params = _check_names(_split_names(params) or (), "parameter")
        claim_syms = [n for n in target.names if not is_constant_name(n)]
        if declared_vars is not None:
            declared_vars = _check_names(declared_vars, "variable")
            unknown = [n for n in claim_syms if n not in declared_vars
                       and n not in declared_params]
            if unknown:
                raise ParseError(f"undeclared symbol {unknown[0]!r} (variables: "
                                 f"{', '.join(declared_vars) or 'none'}; declare symbolic "
                                 "coefficients with --params)")
            claim_vars = tuple(declared_vars)
        else:
            # as the exact rung reads a claim: every undeclared name is a variable
            claim_vars = tuple(n for n in claim_syms if n not in declared_params)
        claim_params = tuple(declared_params) + tuple(
            n for n in claim_syms if n not in claim_vars and n not in declared_params)
        spaces = decision_names(
            model, None, limits, claim_variables=claim_vars, claim_params=claim_params,
            claim_constants=[n for n in target.names if is_constant_name(n)])
    return spaces
