"""Rung 4: high-precision interval evaluation with mpmath -- numerical evidence, never a proof.

Where the exact rungs cannot decide (softmax of unequal scores, a relu whose sign
changes on the box in a way no split decides, a claim with exp/log/...), the model
and the claim are evaluated at K exact rational points of the box with
``mpmath.iv`` interval arithmetic at ``dps`` digits. Every enclosure contains the
exact real value (mpmath.iv rounds every endpoint outward), so:

- enclosures that are disjoint at some point are a **rigorous refutation**: the model
  and the claim differ at that (exact, rational) point;
- enclosures that meet at every point are **numerical agreement**: evidence, not a
  proof (two different functions can agree at K points and to any number of digits).

The two outcomes are kept apart everywhere: the result's ``verdict`` is "refuted" or
"numerical-agreement" (never "proved"), its JSON carries ``exact_proof: false``, and
the command exits 1 or 5 (never 0). The points are the corners of the box (when
there are at most K/2 of them), its centre, and points derived from SHAKE-256 of
(model, claim, seed) as in the Schwartz-Zippel rung, so that a claim cannot be
chosen to agree only at points fixed in advance.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterable, Iterator, Sequence
from typing import TypeAlias, TypedDict, cast

from ..engine import IntervalDomain, MpmathDomain, run
from ..engine.intervals import (interval_erf, interval_exp, interval_sigmoid, interval_tanh,
                                interval_trig)
from ..errors import LimitExceeded, NotExact, ParseError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..model.ir import Coefficient
from ..poly import Target
from ..poly.box import Box, parse_box
from ..poly.evaluate import exponent_of, names_in, root_of
from ..poly.syntax import NON_POLYNOMIAL_FUNCTIONS, Node, describe, parse
from ..poly.target import coefficient_target, lift
from .schwartz_zippel import DeclaredNames, Terms, claim_name_spaces, derive_points
from .verdict import NUMERICAL

if TYPE_CHECKING:
    from mpmath.ctx_iv import MPIntervalContext, ivmpf

#: A sample point: exact rational coordinates, in the order of the rung's names.
Point: TypeAlias = "tuple[Fraction, ...]"
#: A symbolic readout entry: (its symbol names, which of them are constants, its terms).
SymbolicEntry: TypeAlias = "tuple[tuple[str, ...], tuple[str, ...], Terms]"
#: A readout entry (token, channel; both None for the bias) and its value.
ReadoutTerm: TypeAlias = "tuple[int | None, int | None, Fraction | SymbolicEntry]"


class NumericalWitness(TypedDict):
    """Where the enclosures are disjoint: the point (name -> exact value as text), both
    enclosures, and display-only values of model and claim there."""

    point: dict[str, str]
    model_enclosure: str
    claim_enclosure: str
    model_value: str
    claim_value: str

DEFAULT_DPS = 50
DEFAULT_POINTS = 64
MIN_DPS, MAX_DPS = 10, 10_000
MAX_POINTS = 10_000
#: Corners are sampled only for boxes of at most this dimension (2^16 corners).
MAX_CORNER_DIMENSION = 16

#: Domain-separation tag of the point derivation of this rung.
POINT_DERIVATION = "exactformer/mpmath-points/v1"
ASSUMPTION = ("mpmath.iv encloses every operation and exp/log/sqrt/sin/cos rigorously "
              "(outward rounding)")
NOT_A_PROOF = "numerical evidence only, not a proof"

#: Functions a claim may use on this rung: each has a rigorous interval enclosure
#: (see :mod:`exactformer.engine.intervals`).
ANALYTIC_FUNCTIONS = ("exp", "log", "ln", "sqrt", "sin", "cos", "tanh", "sigmoid", "erf")


def _check_tree(node: Node, limits: Limits) -> None:
    """Refuse what this rung cannot enclose: unknown functions, non-integer powers."""
    stack = [node]
    while stack:
        n = stack.pop()
        kind = n[0]
        if kind == "call":
            if n[1] not in ANALYTIC_FUNCTIONS:
                known = "is not supported" if n[1] in NON_POLYNOMIAL_FUNCTIONS else \
                    "is an unknown function"
                raise ParseError(f"{n[1]}() in {describe(n)} {known} on the mpmath rung "
                                 f"(it encloses {', '.join(ANALYTIC_FUNCTIONS)})")
            stack.append(n[2])
        elif kind == "pow":
            try:
                e = exponent_of(n, limits)
            except LimitExceeded:
                raise
            except Exception:
                raise ParseError(f"{describe(n)}: the exponent must be an integer "
                                 "constant") from None
            if abs(e) > limits.max_exponent:
                raise LimitExceeded(f"{describe(n)}: exponent {e} exceeds the limit "
                                    f"{limits.max_exponent} (--max-degree)")
            stack.append(n[1])
        elif kind == "neg":
            stack.append(n[1])
        elif kind in ("add", "mul"):
            stack.extend(n[1])
        elif kind == "div":
            stack.extend((n[1], n[2]))


class _Undefined(Exception):
    """The claim is not defined (or not enclosable) at a sample point."""


def constant_value(ctx: MPIntervalContext, name: str) -> ivmpf:
    """The enclosure of a named constant: pi, E, sqrt(p)."""
    if name == "pi":
        return ctx.pi
    if name == "E":
        return ctx.e
    p = root_of(name)
    if p is not None:
        return ctx.sqrt(ctx.mpf(p))
    raise ParseError(f"unknown constant {name!r}")


def _rational(ctx: MPIntervalContext, value: Fraction) -> ivmpf:
    return ctx.mpf(value.numerator) / ctx.mpf(value.denominator)


def evaluate_interval(node: Node, ctx: MPIntervalContext, values: dict[str, ivmpf],
                      limits: Limits) -> ivmpf:
    """An enclosure of the tree's value (``values``: name -> enclosure)."""
    kind = node[0]
    if kind == "num":
        return _rational(ctx, node[1])
    if kind == "sym":
        return values[node[1]]
    if kind == "const":
        return constant_value(ctx, node[1])
    if kind == "neg":
        return -evaluate_interval(node[1], ctx, values, limits)
    if kind == "add":
        parts = [evaluate_interval(c, ctx, values, limits) for c in node[1]]
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total
    if kind == "mul":
        parts = [evaluate_interval(c, ctx, values, limits) for c in node[1]]
        total = parts[0]
        for p in parts[1:]:
            total = total * p
        return total
    if kind == "div":
        den = evaluate_interval(node[2], ctx, values, limits)
        if den.a <= 0 <= den.b:
            raise _Undefined(f"the denominator of {describe(node)} may be 0 there")
        return evaluate_interval(node[1], ctx, values, limits) / den
    if kind == "pow":
        base = evaluate_interval(node[1], ctx, values, limits)
        e = exponent_of(node, limits)
        if e < 0:
            if base.a <= 0 <= base.b:
                raise _Undefined(f"{describe(node)} divides by a value that may be 0 there")
            return 1 / interval_power(ctx, base, -e)
        return interval_power(ctx, base, e)
    if kind == "call":
        name, arg = node[1], evaluate_interval(node[2], ctx, values, limits)
        if name == "exp":
            return interval_exp(ctx, arg)
        if name in ("log", "ln"):
            if arg.a <= 0:
                raise _Undefined(f"{describe(node)}: log of a value that may be <= 0")
            return ctx.log(arg)
        if name == "sqrt":
            if arg.a < 0:
                raise _Undefined(f"{describe(node)}: square root of a value that may be < 0")
            return ctx.sqrt(arg)
        if name in ("sin", "cos"):
            return interval_trig(ctx, name, arg)
        if name == "tanh":
            return interval_tanh(ctx, arg)
        if name == "sigmoid":
            return interval_sigmoid(ctx, arg)
        if name == "erf":
            return interval_erf(ctx, arg)
    raise ParseError(f"unexpected syntax node {kind!r}")


def interval_power(ctx: MPIntervalContext, base: ivmpf, e: int) -> ivmpf:
    """base**e for an integer e >= 0, from the powers of the ends' absolute values
    (t -> t^e is increasing on [0, inf); even e: |t|^e; odd e: increasing on R)."""
    if e == 0:
        return ctx.mpf(1)

    def up(end: Any) -> ivmpf:  # |end|^e, an enclosure (end: an mpf endpoint)
        return abs(ctx.mpf(end)) ** e
    lo, hi = base.a, base.b
    if e % 2:
        low = up(lo) if lo >= 0 else -up(lo)
        high = up(hi) if hi >= 0 else -up(hi)
        return ctx.mpf([low.a, high.b])
    if lo >= 0:
        return ctx.mpf([up(lo).a, up(hi).b])
    if hi <= 0:
        return ctx.mpf([up(hi).a, up(lo).b])
    return ctx.mpf([0, max(up(lo).b, up(hi).b)])


class Claim:
    """A claim this rung evaluates: a text (any expression of ANALYTIC_FUNCTIONS) or a
    Target; ``names`` are its symbols (sorted) then its constants (sorted)."""

    def __init__(self, claim: Target | str, limits: Limits):
        self.limits = limits
        self.tree: Node | None
        self.gens: tuple[str, ...]
        self.terms: Terms
        self.constants: tuple[str, ...]
        self.names: tuple[str, ...]
        self.canonical: str
        syms: Collection[str]
        if isinstance(claim, Target):
            self.tree = None
            self.gens = tuple(claim.variables) + tuple(claim.params)
            self.terms = lift(claim, self.gens)
            self.constants = tuple(claim.constants)
            syms = [g for g in self.gens if g not in self.constants]
            self.names = tuple(syms) + self.constants
            self.canonical = repr(sorted((m, str(c)) for m, c in self.terms.items()))
        elif isinstance(claim, str):
            self.tree = parse(claim, limits)
            _check_tree(self.tree, limits)
            syms, consts = names_in(self.tree)
            self.constants = tuple(sorted(consts))
            self.names = tuple(sorted(syms)) + self.constants
            self.canonical = repr(self.tree)
        else:
            raise ParseError(f"the mpmath rung takes a claim as text or Target, not "
                             f"{type(claim).__name__}")

    def enclosure(self, ctx: MPIntervalContext, values: dict[str, ivmpf]) -> ivmpf:
        """An enclosure of the claim at ``values`` (name -> enclosure)."""
        if self.tree is not None:
            return evaluate_interval(self.tree, ctx, values, self.limits)
        full = {**values, **{c: constant_value(ctx, c) for c in self.constants}}
        total = ctx.mpf(0)
        for mon, c in self.terms.items():
            term = _rational(ctx, Fraction(int(c.numerator), int(c.denominator)))
            for g, e in zip(self.gens, mon):
                if e:
                    term = term * interval_power(ctx, full[g], e)
            total = total + term
        return total


def _readout(model: Model, limits: Limits) -> list[ReadoutTerm]:
    """Readout entries as (token, channel, Fraction or (names, constants, terms))."""
    out: list[ReadoutTerm] = []
    entries: tuple[tuple[int | None, int | None, Coefficient], ...] = \
        model.readout.entries + ((None, None, model.readout.bias),)
    for t, c, v in entries:
        if isinstance(v, Fraction):
            out.append((t, c, v))
            continue
        target = coefficient_target(v, limits)
        out.append((t, c, (tuple(target.params), tuple(target.constants),
                           lift(target, target.params))))
    return out


def _readout_value(entry: Fraction | SymbolicEntry, ctx: MPIntervalContext,
                   values: dict[str, ivmpf]) -> ivmpf:
    if isinstance(entry, Fraction):
        return _rational(ctx, entry)
    names, constants, terms = entry
    full = {n: (constant_value(ctx, n) if n in constants else values[n]) for n in names}
    total = ctx.mpf(0)
    for mon, c in terms.items():
        term = _rational(ctx, Fraction(int(c.numerator), int(c.denominator)))
        for n, e in zip(names, mon):
            if e:
                term = term * interval_power(ctx, full[n], e)
        total = total + term
    return total


def _finite(iv: ivmpf) -> bool:
    """Both ends of the enclosure are finite numbers."""
    from mpmath.libmp import finf, fnan, fninf
    return all(end not in (finf, fninf, fnan) for end in iv._mpi_)


def _upper_text(ctx: MPIntervalContext, value: ivmpf) -> str:
    """A short decimal >= the upper end of ``value`` (reported bounds round up; 'inf'
    when unbounded, never a non-JSON float)."""
    if not _finite(value):
        return "inf"
    import mpmath
    bumped = ctx.mpf(value.b) * (1 + ctx.mpf(10) ** -3)  # covers the rounding to 3 digits
    text: str = mpmath.nstr(mpmath.mpf(bumped.b._mpi_[1]), 3)
    return text


def _agreement_digits(ctx: MPIntervalContext, relative: ivmpf, dps: int) -> int:
    """floor(-log10(relative)) from an upper bound of log10 (a little lowered for the
    float that carries it), within [0, dps]."""
    if not _finite(relative):
        return 0
    if relative.b <= 0:
        return dps
    upper = float((ctx.log(ctx.mpf(relative.b)) / ctx.log(ctx.mpf(10))).b)
    return max(0, min(dps, math.floor(-upper - 1e-9)))


@dataclass(frozen=True)
class NumericalResult:
    """The outcome of rung 4. ``verdict`` is "refuted" (rigorous: disjoint enclosures at
    ``witness``) or "numerical-agreement" (not a proof); there is no "proved"."""

    verdict: str
    names: tuple[str, ...]
    points: tuple[tuple[Fraction, ...], ...]
    dps: int
    seed: int
    max_width: str
    max_difference: str
    agreement_digits: int
    witness: NumericalWitness | None = None
    detail: str = ""

    @property
    def refuted(self) -> bool:
        return self.verdict == "refuted"

    @property
    def holds(self) -> bool:
        """Never True: numerical agreement is not a proof (a guard for callers that
        ask the exact rungs' question)."""
        return False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"verdict": self.verdict, "rung": NUMERICAL, "exact_proof": False,
               "numerical": True, "dps": self.dps, "point_count": len(self.points),
               "seed": str(self.seed),
               "point_derivation": POINT_DERIVATION, "assumption": ASSUMPTION,
               "max_enclosure_width": self.max_width,
               "max_difference_bound": self.max_difference,
               "agreement_digits": self.agreement_digits, "detail": self.detail,
               "points": [dict(zip(self.names, (str(v) for v in p))) for p in self.points]}
        if self.verdict != "refuted":
            out["not_a_proof"] = NOT_A_PROOF
        if self.witness is not None:
            out["witness"] = self.witness
        return out

    def line(self) -> str:
        """One human line; agreement always says it is not a proof."""
        if self.refuted:
            return ("REFUTED (mpmath interval evaluation: disjoint enclosures, rigorous): "
                    f"{self.detail}")
        return ("NUMERICAL AGREEMENT -- not a proof, numerical evidence only (mpmath "
                f"interval evaluation): {self.detail}")


def _text(iv: ivmpf) -> str:
    return str(iv)  # "[a, b]", ends rounded outward


#: Most coordinates (points x dimension) one run may sample: each is an exact rational
#: kept as evidence.
MAX_COORDINATES = 2_000_000


def sample_points(intervals: Sequence[tuple[Fraction, Fraction]], extra: int, count: int,
                  model_bytes: bytes, claim_bytes: bytes, seed: int) -> Iterator[Point]:
    """``count`` exact rational points, one at a time: box corners (at most count/2 of
    them, small boxes only), the centre, then hash-derived points of the box; ``extra``
    further coordinates (parameters, claim variables the model lacks) range over
    [-1, 1] and are hash-derived in every point."""
    box = list(intervals) + [(Fraction(-1), Fraction(1))] * extra
    bits = 64
    scale = Fraction(1, 2 ** bits - 1)
    d = len(intervals)
    corners = d <= MAX_CORNER_DIMENSION and 2 ** d <= count // 2
    fixed = (2 ** d if corners else 0) + 1
    tagged = POINT_DERIVATION.encode() + b"|" + claim_bytes
    for i in range(count):
        row = derive_points(model_bytes, tagged, seed, 1, len(box), bits, first=i)[0]
        point = tuple(lo + (hi - lo) * c * scale for c, (lo, hi) in zip(row, box))
        if i < fixed:  # corners and centre, the other coordinates hash-derived
            if i < fixed - 1:
                head = tuple(hi if i >> j & 1 else lo for j, (lo, hi) in enumerate(intervals))
            else:
                head = tuple((lo + hi) / 2 for lo, hi in intervals)
            point = head + point[d:]
        yield point


def check_options(points: int, dps: int, seed: int | None) -> int:
    """Check --points, --dps and --seed; the seed (a fresh random one if None)."""
    for name, value, lo, hi in (("points", points, 1, MAX_POINTS), ("dps", dps, MIN_DPS, MAX_DPS)):
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise ParseError(f"--{name} must be an integer >= {lo}, got {value!r}")
        if value > hi:
            raise LimitExceeded(f"--{name} {value} exceeds the limit {hi}")
    if seed is None:
        import secrets
        return secrets.randbits(128)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 256:
        raise ParseError(f"--seed must be an integer in [0, 2^256), got {seed!r}")
    return seed


def sampling_box(box: Box | str | None, d: int, points: int, coordinates: int) -> Box:
    """The box to sample (default [-1, 1]^d), checked against d and the sampling limit."""
    if box is None:
        box = Box(((Fraction(-1), Fraction(1)),) * d)
    elif isinstance(box, str):
        box = parse_box(box, d)
    if box.dimension != d:
        raise ParseError(f"box {box} has dimension {box.dimension}, the model has {d} inputs")
    if points * max(coordinates, 1) > MAX_COORDINATES:
        raise LimitExceeded(f"{points} points of {coordinates} coordinates exceed the limit "
                            f"of {MAX_COORDINATES} sampled coordinates (lower --points)")
    return box


def verify_numerically(model: Model, claim: Target | str, box: Box | str | None = None,
                       points: int = DEFAULT_POINTS, dps: int = DEFAULT_DPS,
                       seed: int | None = None, variables: DeclaredNames = None,
                       params: DeclaredNames = None,
                       limits: Limits = DEFAULT_LIMITS, deadline: float | None = None,
                       progress: Callable[[int, int], None] | None = None) -> NumericalResult:
    """Compare model and claim with interval enclosures at ``points`` points of ``box``
    (default [-1, 1]^d). See the module docstring for what each outcome means.

    >>> from exactformer import build
    >>> m = build("x**2 + y/3")
    >>> verify_numerically(m, "x**2 + y/3", seed=1, points=8).verdict
    'numerical-agreement'
    >>> verify_numerically(m, "x**2 + y/3 + 10**-40", seed=1, points=8).verdict
    'refuted'
    """
    seed = check_options(points, dps, seed)
    target = Claim(claim, limits)
    readout = _readout(model, limits)
    spaces = claim_name_spaces(model, target, claim, variables, params, limits)
    names = spaces.inputs + spaces.parameters
    d = len(model.variables)
    box = sampling_box(box, d, points, len(names))
    from ..formats.model_json import dumps
    stream = sample_points(box.intervals, len(names) - d, points, dumps(model).encode(),
                           target.canonical.encode("ascii", "backslashreplace"), seed)
    ctx = IntervalDomain((), dps).ctx

    def evaluate(batch: Sequence[Point]) -> list[ivmpf]:
        point = batch[0]
        domain = IntervalDomain(point[:d], dps)
        final = run(model, domain, record=False).final
        values = dict(zip(names, (domain.const(v) for v in point)))
        y = ctx.mpf(0)
        for t, c, entry in readout:
            coef = _readout_value(entry, ctx, values)
            y = y + (coef if t is None else coef * final[t][cast(int, c)])  # None: the bias
        return [y]

    def plain(point: Point) -> dict[str, str]:
        return _plain_values(model, target, readout, point, names, d, dps)
    return compare_at_points(evaluate, plain, target, names, box, stream, points, dps, seed,
                             deadline=deadline, progress=progress)


def compare_at_points(evaluate: Callable[[list[Point]], Sequence[ivmpf]],
                      plain: Callable[[Point], dict[str, str]], target: Claim,
                      names: tuple[str, ...], box: Box, stream: Iterable[Point], points: int,
                      dps: int, seed: int, batch: int | tuple[int, ...] = 1,
                      deadline: float | None = None,
                      progress: Callable[[int, int], None] | None = None) -> NumericalResult:
    """The comparison of this rung, for any model: ``evaluate(points)`` gives the
    model's enclosures at a group of points at once, groups of ``batch`` points (a
    tuple: its sizes in turn; the last group padded with repeats, whose values are not
    compared), ``plain(point)`` display values for a witness. Disjoint enclosures at
    some point refute; otherwise agreement."""
    import itertools
    chosen: list[tuple[Fraction, ...]] = []
    ctx = IntervalDomain((), dps).ctx
    max_width = max_diff = worst_rel = ctx.mpf(0)
    stream = iter(stream)
    sizes = itertools.cycle(batch if isinstance(batch, tuple) else (batch,))
    k = 0
    while k < points:
        if deadline is not None and time.monotonic() > deadline:
            raise LimitExceeded("time limit reached during interval evaluation (use --timeout "
                                "to change it)")
        size = next(sizes)
        group = [p for _, p in zip(range(min(size, points - k)), stream)]
        padded = group + [group[0]] * (size - len(group))
        ys = evaluate(padded)
        for point, y in zip(group, ys):
            k += 1
            chosen.append(point)
            values = dict(zip(names, (ctx.mpf(v.numerator) / ctx.mpf(v.denominator)
                                      for v in point)))
            where = ", ".join(f"{n} = {v}" for n, v in zip(names, point))
            try:
                expected = target.enclosure(ctx, values)
            except _Undefined as exc:
                raise NotExact(f"the claim cannot be evaluated at {where}: {exc}") from None
            if not (_finite(y) and _finite(expected)):
                raise NotExact(f"an enclosure is unbounded at {where} (model {_text(y)}, "
                               f"claim {_text(expected)}): not decided; raise --dps or "
                               "narrow --domain")
            if y.b < expected.a or expected.b < y.a:
                # plain(point) gives the display values model_value and claim_value
                witness = cast(NumericalWitness, {
                    "point": dict(zip(names, (str(v) for v in point))),
                    "model_enclosure": _text(y), "claim_enclosure": _text(expected),
                    **plain(point)})
                detail = (f"at {where} the model lies in {_text(y)} and the claim in "
                          f"{_text(expected)}: the enclosures are disjoint, so the values "
                          "differ")
                return NumericalResult("refuted", names, tuple(chosen), dps, seed,
                                       _upper_text(ctx, max(y.delta, expected.delta)), "0",
                                       0, witness, detail)
            width = ctx.mpf(max(y.delta, expected.delta).b)
            diff = ctx.mpf(max(abs(y.b - expected.a), abs(expected.b - y.a)).b)
            scale = ctx.mpf(max(ctx.mpf(1), ctx.mpf(abs(expected).a)).a)
            relative = ctx.mpf((diff / scale).b) if _finite(diff) else diff
            max_width = width if not _finite(width) or width.b > max_width.b else max_width
            max_diff = diff if not _finite(diff) or diff.b > max_diff.b else max_diff
            if not _finite(relative) or relative.b > worst_rel.b:
                worst_rel = relative
            if progress is not None:
                progress(k, points)
    digits = _agreement_digits(ctx, worst_rel, dps)
    width_text, diff_text = _upper_text(ctx, max_width), _upper_text(ctx, max_diff)
    detail = (f"at {len(chosen)} points of {box} the enclosures of model and claim meet; "
              f"they agree to {digits} significant digits (|model - claim| <= "
              f"{diff_text}, widest enclosure {width_text}) at {dps} digits")
    return NumericalResult("numerical-agreement", names, tuple(chosen), dps, seed, width_text,
                           diff_text, digits, None, detail)


def _plain_values(model: Model, target: Claim, readout: list[ReadoutTerm], point: Point,
                  names: Sequence[str], d: int, dps: int) -> dict[str, str]:
    """Model and claim at the point at plain mpmath precision, for display only (the
    enclosures decide): the forward pass in mpmath, the claim's enclosure midpoint."""
    domain = MpmathDomain(point[:d], dps)
    final = run(model, domain, record=False).final
    ictx = IntervalDomain((), dps).ctx
    values = {n: _rational(ictx, v) for n, v in zip(names, point)}
    y = domain.ctx.mpf(0)
    for t, c, entry in readout:
        coef = domain.ctx.mpf(_readout_value(entry, ictx, values).mid.a)
        y += coef if t is None else coef * final[t][cast(int, c)]  # None: the bias
    claim = domain.ctx.mpf(target.enclosure(ictx, values).mid.a)
    return {"model_value": domain.ctx.nstr(y, dps), "claim_value": domain.ctx.nstr(claim, dps)}
