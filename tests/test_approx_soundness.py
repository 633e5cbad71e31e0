"""A certified bound must bound: option validation, the self-check, and a property test.

The property test draws functions from the whole grammar of ``approx`` (exp, log, sin,
cos, sqrt, abs, + - * /, integer powers, pi, compositions), boxes from tiny to wide
([-50, 50]) and degrees 0..8, and checks the certified bound against |f - p| sampled
with mpmath at 50 digits (p exact) at the box corners, the grid ends and random
rational points.
"""
from __future__ import annotations

import json
import random
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import exactformer.approx as approx_module
from exactformer.approx import approximate, parse_function
from exactformer.approx.certify import (certified_bound, confirm_bound, error_lower_bound,
                                        grid_errors)
from exactformer.approx.chebyshev import exact_approximant
from exactformer.approx.functions import MpfAlgebra, NotBounded
from exactformer.cli import main
from exactformer.errors import InternalContradiction, LimitExceeded, ParseError

ALG = MpfAlgebra(50)
#: mpmath's own rounding of f at 50 digits, relative to max(1, |f|, |p|): the only
#: slack the property test allows.
REL_TOL = ALG.ctx.mpf(10) ** -40


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# -- the reproducer and the root cause of order -1 -------------------------------------

def test_order_minus_one_is_refused_everywhere(capsys):
    code, out, err = run_cli(capsys, "approx", "sin(x)", "--degree", "0", "--domain",
                             "-50,50", "--order", "-1")
    assert code == 2 and "certified" not in out
    assert "order" in err and "-1" in err and len(err.strip().splitlines()) == 1
    fn = parse_function("sin(x)")
    box = ((Fraction(-50), Fraction(50)),)
    a = exact_approximant(fn, box, 0)
    # the bound code itself refuses K < 0 (it used to drop f and bound sup |p| only)
    with pytest.raises(ParseError, match="order"):
        certified_bound(fn, a, order=-1)
    with pytest.raises(ParseError, match="order"):
        approximate("sin(x)", 0, "-50,50", order=-1)


@pytest.mark.parametrize("order", [0, 1, 2, 5])
def test_low_orders_still_bound_the_error(order):
    result = approximate("sin(x)", 0, "-50,50", order=order, samples=200)
    worst = max(err for _, err in grid_errors(result.function, result.approximant, 200, 50))
    assert worst > 0.9        # sin reaches +-1 on [-50, 50], p is about 0
    assert ALG.num(result.bound.value) >= worst


# -- every numeric option is validated ---------------------------------------------------

BAD_APPROX = [
    (["--order", "-1"], 2, "order"),
    (["--order", "-1000000000000"], 2, "order"),
    (["--order", "1000000000000"], 3, "order"),
    (["--degree", "1000000"], 3, "degree"),
    (["--degree", "1000000000000"], (2, 3), "degree"),
    (["--degree", "-3"], 2, "degree"),
    (["--samples", "-1"], 2, "samples"),
    (["--samples", "0"], 2, "samples"),
    (["--samples", "1000000000000"], 3, "samples"),
    (["--samples", "nan"], 2, "samples"),
    (["--budget", "-5"], 2, "budget"),
    (["--budget", "0"], 2, "budget"),
    (["--budget", "1000000000000"], 3, "budget"),
    (["--bits", "7"], 2, "bits"),
    (["--bits", "100000"], 2, "bits"),
    (["--bound-seconds", "nan"], 2, "bound-seconds"),
    (["--bound-seconds", "inf"], 2, "bound-seconds"),
    (["--bound-seconds", "1e9999"], 2, "bound-seconds"),
    (["--bound-seconds", "-1"], 2, "bound-seconds"),
    (["--bound-seconds", "0"], 2, "bound-seconds"),
    (["--bound-seconds", "1e12"], 2, "bound-seconds"),
    (["--timeout", "1e10"], 2, "timeout"),
    (["--timeout", "nan"], 2, "timeout"),
    (["--timeout", "inf"], 2, "timeout"),
    (["--timeout", "-1"], 2, "timeout"),
    (["--domain", "0,1e9999"], 2, "1e9999"),
    (["--domain", "0,1e-9999"], 2, "1e-9999"),
    (["--domain", "-1e9999,0"], 2, "1e9999"),
    (["--domain", "0,1e13"], 2, "1e13"),
    (["--domain", "nan,1"], 2, "nan"),
    (["--domain", "0,inf"], 2, "inf"),
    (["--domain", "1,0"], 2, "empty"),
    (["--domain", "1,1"], 2, "empty"),
    (["--domain", "0,1e-13"], 2, "narrower"),
    (["--domain", "0,1/" + "7" * 60], 2, "digits"),
    (["--domain", "0," + "9" * 199], 2, "range"),
]


@pytest.mark.parametrize("extra, code, word", BAD_APPROX)
def test_bad_approx_options_exit_cleanly_with_one_line(capsys, extra, code, word):
    argv = ["approx", "sin(x)", "--degree", "2", "--samples", "50"]
    # later options win in argparse, so the bad value replaces the default one
    got, out, err = run_cli(capsys, *argv, *extra)
    assert got in (code if isinstance(code, tuple) else (code,)), err
    assert "certified" not in out and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and word in err


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(order=-1), ParseError, "order"),
    (dict(order=2.5), ParseError, "order"),
    (dict(order=True), ParseError, "order"),
    (dict(samples=-1), ParseError, "samples"),
    (dict(samples=10**12), LimitExceeded, "samples"),
    (dict(samples=1.5), ParseError, "samples"),
    (dict(budget=-1), ParseError, "budget"),
    (dict(bound_seconds=float("nan")), ParseError, "seconds"),
    (dict(bound_seconds=float("inf")), ParseError, "seconds"),
    (dict(bound_seconds=10**400), ParseError, "seconds"),
    (dict(bits=3), ParseError, "bits"),
    (dict(domain=[(0, float("inf"))]), ParseError, "finite"),
    (dict(domain=[(float("nan"), 1)]), ParseError, "finite"),
    (dict(domain=[(0, 10**9999)]), ParseError, "range"),
    (dict(domain=[(0, Fraction(1, 10**9999))]), ParseError, "digits"),
    (dict(domain=[(1, 0)]), ParseError, "empty"),
    (dict(domain=[(0, 1), (0, 1)]), ParseError, "2 intervals"),
    (dict(domain=5), ParseError, "domain"),
])
def test_api_refuses_bad_values(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        approximate("sin(x)", 2, **{"samples": 50, **kwargs})


@pytest.mark.parametrize("degree", [-1, True, 2.0, 10**12])
def test_api_refuses_bad_degrees(degree):
    with pytest.raises((ParseError, LimitExceeded), match="degree"):
        approximate("sin(x)", degree, samples=50)


def test_many_variables_at_degree_0_are_a_limit_not_a_hang(capsys):
    names = ",".join(f"x{i}" for i in range(20))
    expr = "+".join(f"x{i}" for i in range(20))
    code, out, err = run_cli(capsys, "approx", expr, "--degree", "0", "--vars", names)
    assert code == 3 and "sub-boxes" in err and len(err.strip().splitlines()) == 1


def test_a_far_off_narrow_box_at_high_degree_is_a_limit(capsys):
    # p's coefficients in x grow like (|mid| / width)^n: here beyond 4000 digits, which
    # could not even be printed (Python's 4300-digit limit)
    code, out, err = run_cli(capsys, "approx", "abs(x - 999999999999 - 1/2000000000000)",
                             "--degree", "200", "--bits", "4096", "--domain",
                             "999999999999,999999999999.000000000001", "--samples", "20")
    assert code == 3 and "digits" in err and "Traceback" not in err


# -- the self-check: a sampled error above the bound is an internal contradiction -------

def _shrunk_bound(factor):
    real = certified_bound

    def fake(*args, **kwargs):
        bound = real(*args, **kwargs)
        return replace(bound, value=bound.value * factor)
    return fake


@pytest.mark.parametrize("factor", [Fraction(0), Fraction(1, 1000)])
def test_a_too_small_bound_is_caught_and_not_certified(monkeypatch, capsys, factor):
    monkeypatch.setattr(approx_module, "certified_bound", _shrunk_bound(factor))
    code, out, err = run_cli(capsys, "approx", "sin(x)", "--degree", "3", "--domain",
                             "-3,3", "--samples", "100")
    assert code == 4
    assert "certified" not in out and "PROVED" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "exceeds the certified bound" in lines[0]
    assert "no bound is claimed" in lines[0] and "Traceback" not in err


def test_a_too_small_bound_with_json_prints_one_error_object(monkeypatch, capsys):
    monkeypatch.setattr(approx_module, "certified_bound", _shrunk_bound(Fraction(1, 2)))
    code, out, err = run_cli(capsys, "approx", "exp(x)*cos(3*y)", "--degree", "3",
                             "--samples", "100", "--json")
    assert code == 4
    data = json.loads(out)
    assert data["verdict"] == "error" and data["exit_code"] == 4
    assert "exceeds the certified bound" in data["error"]
    assert "certified" not in out.replace("the certified bound", "")


def test_a_too_small_bound_is_caught_in_plot_mode_too(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(approx_module, "certified_bound", _shrunk_bound(Fraction(0)))
    code, out, err = run_cli(capsys, "approx", "exp(x)", "--degree", "4", "--plot",
                             str(tmp_path / "p.png"), "--plot-degrees", "2,4",
                             "--samples", "50")
    assert code == 4 and "certified" not in out


def test_the_api_raises_internal_contradiction(monkeypatch):
    monkeypatch.setattr(approx_module, "certified_bound", _shrunk_bound(Fraction(0)))
    with pytest.raises(InternalContradiction, match="exceeds the certified bound"):
        approximate("cos(x)", 2, "-2,2", samples=30)


def test_the_self_check_compares_exactly_and_raises_no_false_alarm():
    # polynomial targets: bound exactly 0, mpmath's sampled error about 1e-41, which is
    # rounding only; the point enclosure proves the true error below the bound there
    result = approximate("x**3 - 2*x*y + 1/4", 3, "-1,1", samples=100)
    assert result.bound.value == 0 and result.sampled > 0
    errors = grid_errors(result.function, result.approximant, 100)
    confirm_bound(result.function, result.approximant, Fraction(0), errors)
    for x, _ in errors:
        assert error_lower_bound(result.function, result.approximant, x) == 0
    # and a genuine excess, even a tiny one, is caught: the error of the rounded
    # coefficients of 1/3 is about 2^-66, below every float-level slack
    result = approximate("x**3 - 2*x*y + 1/3", 3, "-1,1", samples=100)
    true = abs(result.approximant.value((0, 0)) - Fraction(1, 3))
    assert 0 < true < Fraction(1, 2**60)
    errors = grid_errors(result.function, result.approximant, 100)
    with pytest.raises(InternalContradiction):
        confirm_bound(result.function, result.approximant, true / 2, errors)
    confirm_bound(result.function, result.approximant, result.bound.value, errors)


# -- property: the certified bound dominates |f - p| sampled with mpmath ----------------

LEAVES = st.sampled_from(["x", "x", "x", "2*x", "x/3", "pi", "1", "1/2", "3", "-2", "E"])
UNARY = ["sin({})", "cos({})", "exp({})", "log({})", "sqrt({})", "abs({})", "-({})",
         "({})**2", "({})**3", "({})**-1", "log(1 + ({})**2)", "sqrt(1 + ({})**2)",
         "1/(2 + sin({}))", "exp(-({})**2)", "abs({} - 1/3)", "sqrt(abs({}))"]
BINARY = ["({}) + ({})", "({}) - ({})", "({})*({})", "({})/({})", "({})/(3 + cos({}))"]


def _unary(inner):
    return st.tuples(st.sampled_from(UNARY), inner).map(lambda t: t[0].format(t[1]))


def _binary(inner):
    return st.tuples(st.sampled_from(BINARY), inner, inner).map(
        lambda t: t[0].format(t[1], t[2]))


FUNCTIONS_1D = st.recursive(LEAVES, lambda inner: st.one_of(_unary(inner), _binary(inner)),
                            max_leaves=5)

ENDS = st.sampled_from([Fraction(-50), Fraction(-7, 2), Fraction(-1), Fraction(-1, 3),
                        Fraction(0), Fraction(1, 10**6), Fraction(1, 7), Fraction(1),
                        Fraction(5, 2), Fraction(50)])


@st.composite
def boxes(draw):
    a, b = sorted(draw(st.lists(ENDS, min_size=2, max_size=2, unique=True)))
    if draw(st.booleans()):   # a small box inside [a, b]
        w = (b - a) * Fraction(1, draw(st.sampled_from([3, 100, 10**5])))
        return a, a + w
    return a, b


def true_error_checks(result, seed: int, count: int = 120):
    """Assert bound >= |f - p| at the corners, the grid ends and random rational points:
    mpmath at 50 digits (slack REL_TOL) and a rigorous point enclosure (no slack)."""
    bound = result.bound.value
    mp_bound = ALG.num(bound)
    rng = random.Random(seed)
    box = result.approximant.box
    points = [tuple(rng.choice(ends) for ends in box) for _ in range(2 ** len(box) * 2)]
    for _ in range(count):
        points.append(tuple(a + (b - a) * Fraction(rng.randint(0, 10**6), 10**6)
                            for a, b in box))
    checked = 0
    for x in points:
        p = result.approximant.value(x)
        try:
            f = result.function.value_at(ALG, x)
        except NotBounded:    # a point where f itself is undefined was not claimed
            continue
        err = abs(f - ALG.num(p))
        slack = REL_TOL * max(1, abs(f), abs(ALG.num(p)))
        assert err <= mp_bound + slack, (result.function.text, box, x, float(err), float(bound))
        lower = error_lower_bound(result.function, result.approximant, x)
        assert lower is None or lower <= bound, (result.function.text, box, x)
        checked += 1
    return checked


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.filter_too_much])
@given(FUNCTIONS_1D, boxes(), st.integers(0, 8), st.integers(0, 10**6),
       st.sampled_from([None, 0, 1, 3]))
def test_certified_bound_dominates_the_sampled_error_1d(text, box, degree, seed, order):
    try:
        result = approximate(text, degree, [box], variables=["x"], budget=24,
                             bound_seconds=2, samples=40, order=order)
    except (NotBounded, LimitExceeded):
        return          # refused: nothing was claimed
    true_error_checks(result, seed)


FUNCTIONS_2D = st.recursive(
    st.sampled_from(["x", "y", "x*y", "x - y", "1/2", "pi"]),
    lambda inner: st.one_of(_unary(inner), _binary(inner)), max_leaves=4)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FUNCTIONS_2D, boxes(), boxes(), st.integers(0, 4), st.integers(0, 10**6))
def test_certified_bound_dominates_the_sampled_error_2d(text, bx, by, degree, seed):
    try:
        result = approximate(text, degree, [bx, by], variables=["x", "y"], budget=30,
                             bound_seconds=2, samples=36)
    except (NotBounded, LimitExceeded):
        return
    true_error_checks(result, seed, count=60)


# -- enclosures with tiny end points stay enclosures, and stay cheap --------------------

@given(st.booleans(), st.integers(1, 2**80), st.integers(-13_000, -11_000))
def test_exact_ends_round_tiny_end_points_outward(negative, man, exp):
    from mpmath.libmp import from_man_exp, mpf_neg
    from mpmath import iv
    from exactformer.approx.functions import ENDS_BITS, exact_ends
    end = from_man_exp(man, exp)
    if negative:
        end = mpf_neg(end)
    value = Fraction(-man if negative else man) * Fraction(2) ** exp
    lo, hi = exact_ends(iv.make_mpf((end, end)))
    assert lo <= value <= hi
    assert hi - lo <= Fraction(1, 2**ENDS_BITS)
    assert lo.denominator <= max(2**ENDS_BITS, value.denominator)


def test_functions_with_tiny_values_are_bounded_quickly():
    import time
    start = time.perf_counter()
    result = approximate("exp(-(x*y)**2)", 2, [(-50, Fraction(1, 7))] * 2,
                         variables=["x", "y"], budget=40, bound_seconds=2, samples=64)
    assert time.perf_counter() - start < 10
    true_error_checks(result, seed=1, count=60)
