"""The target polynomial: variables, symbolic coefficients and canonical terms.

A target lives in K[x_1..x_d] where K = QQ, or K = QQ[params] when coefficients
are symbolic. Irrational constants (pi, E, sqrt(q)) are independent parameters:
an identity proved for every value of such a symbol holds in particular at its
true value, and nothing is ever rounded.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence, Union

import sympy
from sympy import QQ
from sympy.polys.domains import Domain
from sympy.polys.rings import PolyElement, PolyRing

from ..errors import LimitExceeded, NotAPolynomial, ParseError
from ..limits import DEFAULT_LIMITS, Limits
from .evaluate import bound, expand, names_in, reduce_roots, resolve_calls
from .from_sympy import check_symbol_names, sympy_to_tree
from .monomials import Monomial
from .names import IDENTIFIER as _NAME
from .names import check_identifier, name_spaces
from .syntax import Node, parse


def constant_to_sympy(name: str) -> sympy.Expr:
    """The true value of a constant symbol's name: 'pi', 'E' or 'sqrt(q)'."""
    if name == "pi":
        return sympy.pi
    if name == "E":
        return sympy.E
    match = re.fullmatch(r"sqrt\((\d+)\)", name)
    if match:
        return sympy.sqrt(sympy.Integer(match.group(1)))
    raise ValueError(f"unknown constant {name!r}")


#: What :func:`make_target` reads: text, a sympy Expr or Poly, a sympy ring element, an
#: exact number, an {exponent tuple (or int): coefficient} dict, a parsed tree, a Target.
#: (sympy has no type information, so its classes are Any to a type checker.)
TargetSource = Union[str, int, Fraction, sympy.Basic, sympy.Poly, PolyElement,
                     Mapping[Any, Any], "tree_source", "Target"]
#: Names as text ("x, y") or as a sequence of names; None for the default.
Names = Union[str, Iterable[str], None]


def coefficient_domain(params: Sequence[str]) -> Domain:
    """QQ, or the polynomial ring QQ[params] (sympy domain)."""
    if not params:
        return QQ
    return QQ[tuple(sympy.Symbol(p) for p in params)]


@dataclass(frozen=True, eq=False)
class Target:
    """A polynomial in ``variables`` with coefficients in QQ[params].

    ``poly`` is a sympy ``PolyElement`` of ``ring`` = K[variables]; it is canonical,
    so two targets are equal iff their ``poly`` are equal.
    """

    variables: tuple[str, ...]
    params: tuple[str, ...]
    constants: tuple[str, ...]
    ring: PolyRing
    poly: PolyElement

    @property
    def dimension(self) -> int:
        return len(self.variables)

    @property
    def degree(self) -> int:
        """Total degree in the variables (0 for the zero polynomial)."""
        return max((sum(m) for m in self.poly.keys()), default=0)

    @property
    def domain(self) -> Domain:
        return self.ring.domain

    def coefficient(self, monomial: Monomial) -> Any:
        """Coefficient of x**monomial as an element of K (zero if absent)."""
        return self.poly.get(tuple(monomial), self.ring.domain.zero)

    def as_expr(self) -> sympy.Expr:
        """The target as a sympy expression; constant symbols shown as their values."""
        expr = self.poly.as_expr()
        if self.constants:
            expr = expr.subs({sympy.Symbol(c): constant_to_sympy(c) for c in self.constants})
        return expr

    @classmethod
    def from_terms(cls, variables: Sequence[str],
                   terms: Mapping[Monomial, int | Fraction]) -> Target:
        """A rational target straight from {exponent tuple: rational} (no parsing)."""
        ring = PolyRing(tuple(sympy.Symbol(v) for v in variables), QQ)
        poly = ring.from_dict({tuple(m): QQ(Fraction(c).numerator, Fraction(c).denominator)
                               for m, c in terms.items() if c})
        return cls(tuple(variables), (), (), ring, poly)

    def __repr__(self) -> str:
        return f"Target({self.as_expr()}, variables={list(self.variables)})"

    def _repr_latex_(self) -> str:
        """``$p(x, y) = x^{2} y - \\frac{1}{3}$`` (long targets cut with a term count)."""
        from .display import latex_cut, name_latex
        args = ", ".join(name_latex(v) for v in self.variables)
        return f"$p({args}) = {latex_cut(self.as_expr())}$"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Target) and self.variables == other.variables
                and self.params == other.params and self.poly == other.poly)

    def __hash__(self) -> int:
        return hash((self.variables, self.params))


def _check_names(names: Sequence[str], what: str) -> tuple[str, ...]:
    out: list[str] = []
    for n in names:
        n = check_identifier(n.strip(), what)
        if n in out:
            raise ParseError(f"{what} {n!r} is declared twice")
        out.append(n)
    return tuple(out)


def _split_names(value: Names) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(v for v in (s.strip() for s in value.split(",")) if v)
    return tuple(str(v) for v in value)


def _tree_of(source: TargetSource, limits: Limits,
             declared: tuple[str, ...] | None = None) -> tuple[Node, tuple[str, ...] | None]:
    """Syntax tree of any accepted source and the variables it implies (if any)."""
    if isinstance(source, str):
        return parse(source, limits), None
    if isinstance(source, tree_source):
        return source.tree, None
    if isinstance(source, sympy.Poly):
        check_symbol_names(source.as_expr())
        return sympy_to_tree(source.as_expr()), tuple(str(g) for g in source.gens)
    if isinstance(source, (sympy.Basic, int, Fraction)):
        check_symbol_names(source)
        return sympy_to_tree(source), None
    if isinstance(source, PolyElement):
        check_symbol_names(source.as_expr())
        return sympy_to_tree(source.as_expr()), tuple(str(g) for g in source.ring.gens)
    if isinstance(source, Mapping):
        return _tree_of_dict(source, limits, declared)
    raise ParseError(f"cannot read a {type(source).__name__} as a polynomial")


def _tree_of_dict(source: Mapping[Any, Any], limits: Limits,
                  declared: tuple[str, ...] | None = None) -> tuple[Node, tuple[str, ...] | None]:
    if not source:
        return ("num", Fraction(0)), None
    lengths: set[int] = set()
    terms: list[tuple[Monomial, Node]] = []
    for key, coef in source.items():
        key = (key,) if isinstance(key, int) else tuple(key)
        if not all(isinstance(e, int) and not isinstance(e, bool) and e >= 0 for e in key):
            raise ParseError(f"exponent tuple {key!r} must hold non-negative integers")
        if sum(key) > limits.max_degree:
            raise LimitExceeded(f"monomial {key!r} has degree above {limits.max_degree}")
        lengths.add(len(key))
        coef_tree, _ = _tree_of(coef, limits)
        terms.append((key, coef_tree))
    if len(lengths) != 1:
        raise ParseError("exponent tuples of different lengths in the dict")
    d = lengths.pop()
    if declared is not None:
        if len(declared) != d:
            raise ParseError(f"exponent tuples have length {d} but {len(declared)} "
                             "variables are declared")
        names = tuple(declared)
    else:
        names = ("x",) if d == 1 else tuple(f"x{i + 1}" for i in range(d))
    parts: list[Node] = []
    for key, coef_tree in terms:
        factors = [coef_tree] + [("pow", ("sym", names[i]), ("num", Fraction(e)))
                                 for i, e in enumerate(key) if e]
        parts.append(("mul", factors))
    return ("add", parts), names


def make_target(source: TargetSource, variables: Names = None, params: Names = None,
                limits: Limits = DEFAULT_LIMITS) -> Target:
    """Read a target polynomial from a string, sympy Expr/Poly, or exponent dict.

    ``variables`` fixes the variable order (default: sorted free symbols other than
    ``params``); any other symbol is then an error. ``params`` are symbolic
    coefficients. Raises ParseError, NotAPolynomial or LimitExceeded.

    >>> make_target("3*x**2*y - y/7 + 2").degree
    3
    """
    if isinstance(source, Target):
        return source
    try:
        return _make_target(source, variables, params, limits)
    except RecursionError:
        raise LimitExceeded("expression nested too deeply") from None


def _regroup(flat: PolyElement, gens: tuple[str, ...], variables: tuple[str, ...],
             params: tuple[str, ...]) -> tuple[PolyRing, PolyElement]:
    """Flat QQ[gens] polynomial -> (K[variables] ring, element), K = QQ[params]."""
    keep = [gens.index(g) for g in variables + params]
    d = len(variables)
    domain = coefficient_domain(params)
    ring = PolyRing(tuple(sympy.Symbol(v) for v in variables), domain)
    if not params:
        return ring, ring.from_dict({tuple(m[i] for i in keep): c for m, c in flat.items()})
    grouped: dict[Monomial, dict[Monomial, Any]] = {}  # x monomial -> {params monomial: c}
    for mon, coef in flat.items():
        sub = tuple(mon[i] for i in keep)
        grouped.setdefault(sub[:d], {})[sub[d:]] = coef
    return ring, ring.from_dict({m: domain.ring.from_dict(c) for m, c in grouped.items()})


def _make_target(source: TargetSource, variables: Names, params: Names,
                 limits: Limits) -> Target:
    declared = _split_names(variables)
    tree, implied = _tree_of(source, limits, declared)
    tree = resolve_calls(tree, limits)
    syms, consts = names_in(tree)
    params_t = _check_names(_split_names(params) or (), "parameter")
    for name in sorted(syms):  # names from sympy objects never met the parser's rule
        check_identifier(name, "symbol")
    if declared is None:
        declared = implied
    if declared is not None:
        variables_t = _check_names(declared, "variable")
        name_spaces((), variables_t, params_t)
        unknown = sorted(syms - set(variables_t) - set(params_t))
        if unknown:
            raise ParseError(
                f"undeclared symbol {unknown[0]!r} (variables: {', '.join(variables_t) or 'none'};"
                " declare symbolic coefficients with --params)"
            )
    else:
        variables_t = tuple(sorted(syms - set(params_t)))
    if len(variables_t) > limits.max_variables:
        raise LimitExceeded(f"{len(variables_t)} variables exceed the limit {limits.max_variables}")
    name_spaces((), variables_t, params_t, (), consts)
    constants_t = tuple(sorted(consts))
    all_params = params_t + constants_t
    gens = variables_t + all_params
    bound(tree, len(gens), limits)
    big_ring = PolyRing(tuple(sympy.Symbol(g) for g in gens), QQ)
    names = dict(zip(gens, big_ring.gens))
    flat = reduce_roots(expand(tree, big_ring, names, limits), gens)
    # a root may reduce away (sqrt(2)**2 = 2): keep only constants still present
    used = {i for mon in flat.keys() for i, e in enumerate(mon) if e}
    constants_t = tuple(c for c in constants_t if gens.index(c) in used)
    all_params = params_t + constants_t
    ring, poly = _regroup(flat, gens, variables_t, all_params)
    target = Target(variables_t, all_params, constants_t, ring, poly)
    if target.degree > limits.max_degree:
        raise LimitExceeded(f"degree {target.degree} exceeds the limit {limits.max_degree}")
    return target


def monomial_to_expr(variables: Sequence[str], monomial: Sequence[int]) -> sympy.Expr:
    """x**alpha as a sympy expression."""
    return sympy.Mul(*[sympy.Symbol(v) ** e for v, e in zip(variables, monomial)])


def n_monomials(d: int, n: int) -> int:
    """Number of monomials of degree <= n in d variables: C(n+d, d)."""
    return math.comb(n + d, d)


def parse_coefficient(text: str, limits: Limits = DEFAULT_LIMITS) -> sympy.Expr:
    """A constant expression (rationals, symbols, pi, E, sqrt) as a sympy Expr.

    Every name is read as a parameter; the result is canonical (expanded), and
    constants stay the independent symbols ``pi``, ``E``, ``sqrt(p)`` (never
    evaluated by sympy, which would e.g. merge sqrt(2)*sqrt(3) into sqrt(6)).

    >>> parse_coefficient("2*a + 1/3")
    2*a + 1/3
    """
    tree = resolve_calls(parse(text, limits), limits)
    syms, _ = names_in(tree)
    target = make_target(tree_source(tree), variables=(), params=sorted(syms), limits=limits)
    return target.poly.as_expr()


class tree_source:  # noqa: N801 - a tiny wrapper marking an already-parsed tree
    """A parsed syntax tree passed to :func:`make_target` in place of text."""

    def __init__(self, tree: Node) -> None:
        self.tree = tree


def lift(target: Target, gens: Sequence[str]) -> dict[tuple[int, ...], object]:
    """The target's terms over QQ with monomials written over the named ``gens``.

    Variables and parameters are matched by name, so polynomials from different
    rings can be compared term by term. Raises KeyError for a missing name.
    """
    pos = {g: i for i, g in enumerate(gens)}
    var_pos = [pos[v] for v in target.variables]
    par_pos = [pos[p] for p in target.params]
    out: dict[tuple[int, ...], object] = {}
    for mon, coef in target.poly.items():
        base = [0] * len(gens)
        for i, e in zip(var_pos, mon):
            base[i] += e
        if target.params:
            for pmon, c in coef.items():
                full = list(base)
                for i, e in zip(par_pos, pmon):
                    full[i] += e
                out[tuple(full)] = c
        else:
            out[tuple(base)] = coef
    return out


def coefficient_target(expr: object, limits: Limits = DEFAULT_LIMITS) -> Target:
    """A constant (in x) coefficient expression as a Target with no variables."""
    syms = sorted(str(s) for s in getattr(expr, "free_symbols", ())
                  if _NAME.match(str(s)) and str(s) not in ("pi", "E"))
    if isinstance(expr, sympy.Basic):  # a readout: Symbol('pi'), Symbol('sqrt(2)') are ours
        check_symbol_names(expr)
        expr = tree_source(sympy_to_tree(expr, constant_symbols=True))
    return make_target(expr, variables=(), params=syms, limits=limits)
