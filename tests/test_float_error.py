"""The certified float error bound: exact IEEE rounding, soundness against numpy (and
torch) float32/float64 runs at thousands of points, weakened bounds that the same test
catches, mutation, the exact gap, tightness on small targets, and the command line."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from exactformer import build
from exactformer.cli import main
from exactformer.errors import LimitExceeded
from exactformer.floats.forward import float_model_from_model, run_float
from exactformer.verify.float_sampling import sample_points
from exactformer.float_certify import certify_float_error
from exactformer.formats.model_json import dumps
from exactformer.poly.box import Box, parse_box
from exactformer.verify.float_error import forward_error_bound, rounded_model
from exactformer.verify.precision import (FLOAT32, FLOAT64, Precision, decimal_up,
                                          float_inside, next_float, round_to)

CONSTRUCTIONS = ("masked", "softmax", "relu", "logdepth")
DTYPES = {"float32": np.float32, "float64": np.float64}


# ------------------------------------------------------------------ exact IEEE rounding
def test_round_to_float32_agrees_with_numpy_including_ties_and_subnormals():
    rng = np.random.default_rng(7)
    values = list(rng.standard_normal(4000) * 10.0 ** rng.integers(-46, 39, 4000))
    spaced = np.float32(rng.standard_normal(1000)).astype(np.float64)
    values += list(spaced + np.spacing(np.float32(spaced)).astype(np.float64) / 2)  # ties
    values += [2.0 ** -149 * k / 2 for k in range(1, 12)]  # subnormal ties
    for v in values:
        with np.errstate(over="ignore"):
            want = np.float32(v)
        if np.isfinite(want):
            assert round_to(Fraction(v), FLOAT32) == Fraction(float(want)), v
        else:
            with pytest.raises(LimitExceeded, match="overflows float32"):
                round_to(Fraction(v), FLOAT32)


@given(st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**12))
@settings(max_examples=300, deadline=None)
def test_round_to_is_nearest_and_within_the_rounding_model(q):
    for p in (FLOAT32, FLOAT64):
        r = round_to(q, p)
        assert round_to(r, p) == r
        assert abs(r - q) <= p.u * abs(q) + p.eta  # the rounding model itself
        if r:  # no float lies strictly closer
            for n in (next_float(r, p, True), next_float(r, p, False)):
                assert abs(n - q) >= abs(r - q)
    assert round_to(q, FLOAT64) == Fraction(float(q))  # CPython rounds int/int correctly


def test_float_inside_and_next_float_agree_with_nextafter():
    for q in (Fraction(1, 3), Fraction(-1, 3), Fraction(1), Fraction(-2), Fraction(0),
              Fraction(1, 10**50), Fraction(7, 5)):
        for up in (True, False):
            f = float_inside(q, FLOAT32, up)
            assert (f >= q) if up else (f <= q)
            n = next_float(f, FLOAT32, not up)
            assert (n < q) if up else (n > q)
            towards = np.float32(-np.inf if up else np.inf)
            assert Fraction(float(np.nextafter(np.float32(float(f)), towards))) == n


@given(st.fractions(min_value=0, max_value=10**9, max_denominator=10**30))
def test_decimal_up_rounds_up_by_less_than_a_unit_in_the_fourth_digit(q):
    text = decimal_up(q)
    value = Fraction(text) if "e" not in text else \
        Fraction(text.split("e")[0]) * Fraction(10) ** int(text.split("e")[1])
    assert value >= q
    assert value - q <= q / 500


def test_is_float_lets_a_time_limit_through(monkeypatch):
    import exactformer.verify.precision as precision

    def alarm(*args, **kwargs):
        raise LimitExceeded("time limit of 1 s reached")
    monkeypatch.setattr(precision, "round_to", alarm)
    with pytest.raises(LimitExceeded, match="time limit"):
        precision.is_float(Fraction(2), FLOAT32)
    assert not precision.is_float(FLOAT32.largest * 2, FLOAT32)  # too large: no rounding


def test_cli_time_limit_exits_3(model_files, capsys):
    code, out, err = run_cli("float-error", str(model_files["relu"]), "--claim",
                             "x**2*y - y/3 + 1", "--domain", "[-1,1]^2", "--precision",
                             "float32", "--timeout", "0.01", "--samples", "100000",
                             capsys=capsys)
    assert code == 3 and "time limit" in err and not out


# ------------------------------------------------------------------ soundness
def exact_claim(text: str, variables):
    """p(x) by sympy with exact Rationals: an oracle independent of exactformer.poly."""
    symbols = sympy.symbols(list(variables))
    expr = sympy.sympify(text, locals=dict(zip(variables, symbols)))
    poly = sympy.Poly(expr, *symbols)
    terms = [(m, Fraction(int(c.p), int(c.q))) for m, c in poly.terms()]

    def value(point):
        total = Fraction(0)
        for m, c in terms:
            term = c
            for e, x in zip(m, point):
                term *= x ** e
            total += term
        return total
    return value


def worst_observed(fm, claim_value, points, precision, runner="numpy"):
    """max |y_float(x) - p(x)|, y from numpy's forward pass (or torch's module)."""
    dtype = DTYPES[precision.name]
    X = np.array([[float(v) for v in p] for p in points]).astype(dtype)
    if runner == "numpy":
        y = run_float(fm, X, dtype)
    else:
        import torch
        from exactformer.formats.torchscript import torch_module
        tdt = {"float32": torch.float32, "float64": torch.float64}[precision.name]
        module = torch_module(fm).to(tdt)
        with torch.no_grad():
            y = module(torch.from_numpy(X)).numpy()
    assert y.dtype == dtype
    return max(abs(Fraction(float(v)) - claim_value(p)) for v, p in zip(y, points))


def random_target(rng: random.Random, d: int, n: int) -> str:
    names = ["x", "y", "z"][:d]
    terms = []
    for _ in range(rng.randint(1, 5)):
        mon = "*".join(f"{v}**{rng.randint(0, n)}" for v in names)
        c = Fraction(rng.randint(-9, 9), rng.choice([1, 2, 3, 7, 10, 1024]))
        terms.append(f"({c})*{mon}")
    return " + ".join(terms)


def random_box(rng: random.Random, d: int) -> str:
    parts = []
    for _ in range(d):
        lo = Fraction(rng.randint(-30, 10), rng.choice([1, 3, 10]))
        hi = lo + Fraction(rng.randint(1, 30), rng.choice([1, 4, 10]))
        parts.append(f"[{lo},{hi}]")
    return "x".join(parts)


@dataclass(frozen=True)
class Case:
    target: str
    construction: str
    box: str
    precision: Precision


def random_cases(seed: int, count: int) -> list[Case]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        d = rng.randint(1, 2)
        n = rng.randint(1, 4)
        out.append(Case(random_target(rng, d, n), rng.choice(CONSTRUCTIONS),
                        random_box(rng, d), rng.choice((FLOAT32, FLOAT64))))
    return out


def bound_and_observed(case: Case, samples: int, runner: str = "numpy"):
    model = build(case.target, construction=case.construction, domain=case.box)
    box = parse_box(case.box, len(model.variables))
    result = certify_float_error(model, case.target, box, case.precision, samples=50)
    run = rounded_model(model, case.precision)
    points = sample_points(box, case.precision, samples, seed=11)
    observed = worst_observed(float_model_from_model(run),
                              exact_claim(case.target, model.variables), points,
                              case.precision, runner)
    return result, observed


@pytest.mark.parametrize("case", random_cases(2024, 24), ids=lambda c: f"{c.construction}-"
                         f"{c.precision.name}")
def test_bound_holds_for_random_targets_constructions_and_boxes(case):
    result, observed = bound_and_observed(case, 2000)
    assert result.exact.proved  # the exact model computes the target: the gap is 0
    assert result.gap == 0
    assert observed <= result.bound, (case, float(observed), float(result.bound))


@pytest.mark.parametrize("construction", CONSTRUCTIONS)
def test_bound_holds_for_torch_float32_runs_too(construction):
    pytest.importorskip("torch")
    case = Case("3*x**2*y - y/7 + 2*x - 1/3", construction, "[-1,1]^2", FLOAT32)
    result, observed = bound_and_observed(case, 2000, runner="torch")
    assert 0 < observed <= result.bound


@given(st.lists(st.fractions(min_value=-5, max_value=5, max_denominator=50),
                min_size=3, max_size=6),
       st.sampled_from(CONSTRUCTIONS), st.sampled_from(("float32", "float64")),
       st.fractions(min_value=-2, max_value=1, max_denominator=8))
@settings(max_examples=25, deadline=None)
def test_property_bound_covers_sampled_runs(coefs, construction, precision, lo):
    target = " + ".join(f"({c})*x**{i}" for i, c in enumerate(coefs))
    box = f"[{lo},{lo + 1}]"
    case = Case(target, construction, box, {"float32": FLOAT32, "float64": FLOAT64}[precision])
    result, observed = bound_and_observed(case, 300)
    assert observed <= result.bound


# ------------------------------------------------------------------ weakened bounds are caught
@dataclass(frozen=True)
class NoGamma(Precision):
    """The same format with the dot-product rounding terms dropped (gamma_k = 0)."""

    def gamma(self, k: int) -> Fraction:
        return Fraction(0)


@dataclass(frozen=True)
class HalfU(Precision):
    """The same format with gamma_k computed from u / 2."""

    def gamma(self, k: int) -> Fraction:
        ku = k * self.u / 2
        return ku / (1 - ku) if k > 0 else Fraction(0)


def weakened(p: Precision, kind) -> Precision:
    return kind(p.name, p.significand_bits, p.emin, p.emax, p.exp_error)


WEAKENING_CASES = [
    # products x*y in [2, 2.25) have a half-ulp of 2u: the observed error nears 2u while
    # the true bound is 2.25 u (1 + u): u halved gives 1.125 u, which sampling exceeds
    ("x*y", "masked", "[1,3/2]^2", HalfU),
    ("x*y", "logdepth", "[1,3/2]^2", HalfU),
    # integer weights, every weight exact: without gamma_k the bound is 0
    ("x*y + x**2 - 3*y", "softmax", "[-1,1]^2", NoGamma),
    ("x**3 - 2*x*y", "relu", "[-1,1]^2", NoGamma),
    # cancellation: (x+1)^4 expanded near x = -1, large terms, a tiny result
    ("x**4 + 4*x**3 + 6*x**2 + 4*x + 1", "masked", "[-3/2,-1/2]", NoGamma),
]


@pytest.mark.parametrize("target,construction,box,kind", WEAKENING_CASES)
@pytest.mark.parametrize("precision", (FLOAT32, FLOAT64), ids=lambda p: p.name)
def test_a_weakened_bound_is_exceeded_where_the_real_one_holds(target, construction, box,
                                                                kind, precision):
    model = build(target, construction=construction, domain=box)
    b = parse_box(box, len(model.variables))
    run = rounded_model(model, precision)
    points = sample_points(b, precision, 4000, seed=3)
    observed = worst_observed(float_model_from_model(run),
                              exact_claim(target, model.variables), points, precision)
    real = forward_error_bound(model, run, b, precision).error
    weak = forward_error_bound(model, run, b, weakened(precision, kind)).error
    assert weak < real
    assert observed <= real              # the test passes the real bound ...
    assert observed > weak               # ... and fails the weakened one


# ------------------------------------------------------------------ mutation and the gap
def test_a_perturbed_stored_weight_enters_the_bound_and_is_covered():
    model = build("x**2*y - 2*y + 1", construction="masked")
    box = Box.cube(-1, 1, 2)
    run = rounded_model(model, FLOAT32)
    base = forward_error_bound(model, run, box, FLOAT32).error
    e = run.embedding  # one embedding weight moved by 2^-12 (x enters 1 + 2^-12 times)
    (t, c, v), *_ = e.coefficients[0].entries
    moved = e.coefficients[0].with_entry(t, c, v + Fraction(1, 4096))
    from dataclasses import replace
    mutant = replace(run, embedding=replace(e, coefficients=(moved,) + e.coefficients[1:]))
    bound = forward_error_bound(model, mutant, box, FLOAT32).error
    assert bound > base + Fraction(1, 8192)
    points = sample_points(box, FLOAT32, 2000, seed=5)
    observed = worst_observed(float_model_from_model(mutant),
                              exact_claim("x**2*y - 2*y + 1", model.variables), points,
                              FLOAT32)
    assert base < observed <= bound  # the mutant's real error exceeds the unmutated bound


def test_a_refuted_model_is_certified_with_its_exact_gap_never_as_zero_error():
    model = build("x**2 + x/3", construction="masked")
    box = Box.cube(-1, 1, 1)
    result = certify_float_error(model, "x**2 + x/3 + 1/1000", box, FLOAT64, samples=200)
    assert not result.exact.proved
    assert result.gap == Fraction(1, 1000)  # sup |y_ref - p| = 1/1000 exactly here
    assert result.bound >= result.gap and result.observed.max_error >= Fraction(999, 10**6)
    s = result.summary()
    assert s["exact_model"]["equals_claim"] is False and s["verdict"] == "certified"


def test_npz_export_read_exactly_has_a_tiny_gap_in_float64(tmp_path):
    from exactformer.floats.forward import model_from_float
    from exactformer.formats.npz import read_npz, save_npz
    model = build("x*y/3 - y/7", construction="softmax")
    save_npz(model, tmp_path / "m.npz")
    fm = read_npz((tmp_path / "m.npz").read_bytes())
    stored, _ = model_from_float(fm)
    result = certify_float_error(stored, "x*y/3 - y/7", Box.cube(-1, 1, 2), FLOAT64,
                                 observed_model=fm, samples=500)
    assert not result.exact.proved and 0 < result.gap < Fraction(1, 10**15)


def test_analysis_output_is_the_engine_output_for_every_construction():
    from exactformer.engine import BoxPolynomialDomain, run
    from exactformer.verify.identity import output_polynomial
    for construction in CONSTRUCTIONS:
        model = build("x**3*y - 2*x*y + 5/3", construction=construction)
        box = Box.cube(-1, 1, 2)
        fb = forward_error_bound(model, rounded_model(model, FLOAT32), box, FLOAT32)
        trace = run(model, BoxPolynomialDomain(model.variables, box))
        _, y, _ = output_polynomial(model, trace)
        assert dict(fb.output.items()) == dict(y.items())


def test_overflow_is_refused_not_assumed_away():
    model = build("x**3", construction="masked")
    with pytest.raises(LimitExceeded, match="float32 overflow cannot be excluded"):
        forward_error_bound(model, model, Box.cube(-10**14, 10**14, 1), FLOAT32)
    fb = forward_error_bound(model, model, Box.cube(-10**14, 10**14, 1), FLOAT64)
    assert fb.error > 0


def test_a_weight_that_rounds_to_zero_is_all_error():
    model = build("x", construction="masked")
    r = model.readout
    from dataclasses import replace
    from exactformer.model import Readout
    tiny = Readout.from_dict(r.rows, r.cols, {(t, c): Fraction(1, 2**160) for t, c, _ in
                                              r.entries})
    exact = replace(model, readout=tiny)
    run = rounded_model(exact, FLOAT32)
    assert not run.readout.entries  # 2^-160 is below half the smallest float32
    fb = forward_error_bound(exact, run, Box.cube(-1, 1, 1), FLOAT32)
    assert fb.error >= Fraction(1, 2**160)


# ------------------------------------------------------------------ tightness
@pytest.mark.parametrize("construction", CONSTRUCTIONS)
@pytest.mark.parametrize("target", ["3*x**2*y - y/7 + 2*x - 1", "x*y - x + 1/3",
                                    "x**3 - 3*x*y**2"])
def test_float32_bound_is_within_100x_of_the_observed_error_on_small_targets(target,
                                                                              construction):
    model = build(target, construction=construction)
    result = certify_float_error(model, target, Box.cube(-1, 1, 2), FLOAT32, samples=3000)
    assert 0 < result.observed.max_error <= result.bound <= 100 * result.observed.max_error


def test_softmax_errors_grow_linearly_with_depth_not_doubling_per_block():
    """Through the gradient of the polarisation FFN the scratch channel's error is cleared
    with it; carried square by square it would double every block."""
    model = build("x**8 + x*y**6 - y/3", construction="softmax")
    fb = forward_error_bound(model, rounded_model(model, FLOAT32), Box.cube(-1, 1, 2),
                             FLOAT32)
    first, last = fb.layer_errors[1], fb.layer_errors[-1]
    assert 0 < first and last < 4 * 8 * first


# ------------------------------------------------------------------ command line
def run_cli(*argv, capsys):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def model_files(tmp_path):
    from exactformer.formats.npz import save_npz
    paths = {}
    for construction in CONSTRUCTIONS:
        m = build("x**2*y - y/3 + 1", construction=construction)
        paths[construction] = tmp_path / f"{construction}.json"
        paths[construction].write_text(dumps(m))
        save_npz(m, tmp_path / f"{construction}.npz")
        paths[construction + ".npz"] = tmp_path / f"{construction}.npz"
    return paths


@pytest.mark.parametrize("kind", ["", ".npz"])
@pytest.mark.parametrize("construction", CONSTRUCTIONS)
def test_cli_certifies_every_construction_from_json_and_npz(model_files, construction, kind,
                                                            capsys):
    path = model_files[construction + kind]
    code, out, err = run_cli("float-error", str(path), "--claim", "x**2*y - y/3 + 1",
                             "--domain", "[-1,1]^2", "--precision", "float32", "--json",
                             "--samples", "300", capsys=capsys)
    assert code == 0, err
    s = json.loads(out)
    assert s["verdict"] == "certified" and s["precision"] == "float32"
    for key in ("error_bound", "error_bound_exact", "sampled_max_error", "domain", "error_bound_method",
                "seconds"):
        assert key in s
    bound = Fraction(s["error_bound_exact"])
    mantissa, exponent = s["error_bound"].split("e")
    assert Fraction(mantissa) * Fraction(10) ** int(exponent) >= bound > 0
    assert s["sampled_max_error"] <= float(bound)
    # a JSON model computes 1/3 exactly; the .npz stores the float64 nearest 1/3
    assert s["exact_model"]["equals_claim"] is (kind == "")


def test_cli_text_output_labels_evidence_and_refutation(model_files, capsys):
    code, out, _ = run_cli("float-error", str(model_files["masked"]), "--claim",
                           "x**2*y - y/3 + 2", "--domain", "[-1,1]^2", "--precision",
                           "float64", "--samples", "100", capsys=capsys)
    assert code == 0
    assert "REFUTED" in out and "exact gap" in out and "evidence, not a bound" in out
    assert "zero error" not in out.lower()


@pytest.mark.parametrize("argv,code,message", [
    (["m.onnx", "--claim", "x", "--domain", "[-1,1]", "--precision", "float32"], 2,
     "ONNX graphs are not supported"),
    (["{masked}", "--claim", "x", "--domain", "[-1,1]^2", "--precision", "float16"], 2,
     "invalid choice"),
    (["{masked}", "--claim", "x", "--domain", "[1,-1]^2", "--precision", "float32"], 2,
     "needs lo < hi"),
    (["{masked}", "--claim", "x", "--domain", "[-1,1]^3", "--precision", "float32"], 2,
     "dimension"),
    (["{masked}", "--claim", "x*w", "--domain", "[-1,1]^2", "--precision", "float32"], 2,
     "w"),
    (["{masked}", "--claim", "x", "--domain", "[-1,1]^2", "--precision", "float32",
      "--samples", "-5"], 2, "negative"),
    (["{masked}", "--claim", "x", "--domain", f"[-{10**20},{10**20}]^2", "--precision", "float32"],
     3, "overflow cannot be excluded"),
    (["{masked}", "--claim", "x", "--domain", "[-1,1]^2", "--precision", "float32",
      "--vars", "x,z"], 2, "--vars"),
])
def test_cli_bad_input_is_one_line_and_the_right_exit_code(model_files, capsys, argv, code,
                                                          message):
    argv = [a.format(masked=model_files["masked"]) for a in argv]
    got, out, err = run_cli("float-error", *argv, capsys=capsys)
    assert got == code
    assert message in err and len(err.strip().splitlines()) == 1 and not out


def test_cli_vars_orders_the_box_intervals(model_files, capsys):
    args = ["float-error", str(model_files["masked"]), "--claim", "x**2*y - y/3 + 1",
            "--precision", "float32", "--json", "--samples", "50"]
    _, a, _ = run_cli(*args, "--domain", "[0,1]x[-2,2]", capsys=capsys)
    _, b, _ = run_cli(*args, "--domain", "[-2,2]x[0,1]", "--vars", "y,x", capsys=capsys)
    assert json.loads(a)["error_bound_exact"] == json.loads(b)["error_bound_exact"]


def test_cli_runs_as_a_subprocess_with_one_json_object(model_files):
    proc = subprocess.run([sys.executable, "-m", "exactformer", "float-error",
                           str(model_files["softmax.npz"]), "--claim", "x**2*y - y/3 + 1",
                           "--domain", "[-1,1]^2", "--precision", "float64", "--json",
                           "--samples", "100"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["verdict"] == "certified"


# ------------------------------------------------------------------ fused (bias-first) orders
def _fused_bias_models():
    """Two models where a kernel that starts its accumulator at the bias (torch's
    addmm(bias, A, B)) rounds differently from numpy: a 200-unit relu FFN whose W2 terms
    are tiny next to b2 = 1, and a 200-term readout whose terms are tiny next to r0 = 1."""
    from exactformer.model import ExactMatrix, Model
    from exactformer.model.ir import Attention, Block, Embedding, FeedForward, Readout
    tiny = Fraction(5, 2 ** 26)

    def m(r, c, d):
        return ExactMatrix.from_dict(r, c, {k: Fraction(v) for k, v in d.items()})
    emb1 = Embedding(("x",), m(1, 1, {}), (m(1, 1, {(0, 0): 1}),))
    quiet1 = Attention(m(1, 1, {}), m(1, 1, {}), m(1, 1, {}), m(1, 1, {}))
    ffn = FeedForward(m(1, 200, {(0, h): 1 for h in range(200)}), m(1, 200, {}),
                      m(200, 1, {(h, 0): tiny for h in range(200)}), m(1, 1, {(0, 0): 1}),
                      activation="relu")
    a = Model(emb1, (Block(quiet1, ffn),), Readout.from_dict(1, 1, {(0, 0): 1}))
    emb2 = Embedding(("x",), m(1, 200, {}), (m(1, 200, {(0, c): 1 for c in range(200)}),))
    quiet2 = Attention(m(200, 1, {}), m(200, 1, {}), m(200, 1, {}), m(1, 200, {}))
    b = Model(emb2, (Block(quiet2),), Readout.from_dict(1, 200, {(0, c): tiny
                                                                 for c in range(200)}, bias=1))
    claim = "(8388733/8388608)*x + 1"  # (1 + 200 * 5 / 2^26) x + 1 for a; 1000/2^26 x + 1 for b
    return (a, claim), (b, "(125/8388608)*x + 1")


def _bias_first(acc, terms):
    """Sequential float32 sum starting at the bias, each product rounded (a fused order)."""
    acc = np.float32(acc)
    for u, v in terms:
        acc = np.float32(acc + np.float32(np.float32(u) * np.float32(v)))
    return acc


@pytest.mark.parametrize("which", [0, 1], ids=["ffn-bias", "readout-bias"])
def test_bias_first_accumulation_is_covered(which):
    model, claim = _fused_bias_models()[which]
    box = parse_box("[1,1048577/1048576]", 1)
    result = certify_float_error(model, claim, box, FLOAT32, samples=20)
    assert result.exact.proved
    tiny = np.float32(5 / 2 ** 26)
    worst = Fraction(0)
    for x in (Fraction(1), Fraction(1048577, 1048576), Fraction(2 ** 20 + 7, 2 ** 20)):
        if x > Fraction(1048577, 1048576):
            continue
        xf = np.float32(float(x))
        if which == 0:  # H + addmm(b2, relu(x W1), W2), then the readout 1 * H
            h = np.float32(xf + _bias_first(1.0, [(xf, tiny)] * 200))
            y = _bias_first(0.0, [(h, 1.0)])
            exact = x * (1 + 200 * Fraction(5, 2 ** 26)) + 1
        else:  # addmm(r0, H, R) with 200 channels all equal to x
            y = _bias_first(1.0, [(xf, tiny)] * 200)
            exact = x * 200 * Fraction(5, 2 ** 26) + 1
        worst = max(worst, abs(Fraction(float(y)) - exact))
    assert worst > 0
    assert worst <= result.bound, (float(worst), float(result.bound))


@pytest.mark.parametrize("construction", CONSTRUCTIONS + ("dense-softmax",))
def test_bound_holds_for_onnxruntime_float32_runs_of_the_onnx_export(construction):
    """The float32 weights the bound is about, exported to ONNX and run by onnxruntime
    (another library, another summation order, its own exp): within the bound."""
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is the optional extra "
                                                    "'onnx'")
    from exactformer.formats.onnx.write import onnx_model
    target = "3*x**2*y - y/7 + 2*x - 1/3"
    box = parse_box("[-1,1]^2", 2)
    model = build(target, construction=construction, domain="[-1,1]^2")
    result = certify_float_error(model, target, box, FLOAT32, samples=20)
    run = rounded_model(model, FLOAT32)  # float32 values: exported without re-rounding
    session = ort.InferenceSession(onnx_model(run, "float32").SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    points = sample_points(box, FLOAT32, 1500, seed=5)
    X = np.array([[float(v) for v in p] for p in points], dtype=np.float32)
    (y,) = session.run(None, {"x": X})
    assert y.dtype == np.float32
    claim = exact_claim(target, model.variables)
    observed = max(abs(Fraction(float(v)) - claim(p)) for v, p in zip(y, points))
    assert observed <= result.bound, (construction, float(observed), float(result.bound))
