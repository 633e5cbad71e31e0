"""The mpmath rung (rung 4): rigorous refutations by disjoint interval enclosures,
numerical agreement (exit 5, never a proof) otherwise; --fallback after the exact
rungs; exact box splitting at the roots of relu arguments affine in one variable."""
from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from exactformer import build, checker, prove
from exactformer.formats.certificate import certificate_from_proof
from exactformer.cli import EXIT_NUMERICAL, main
from exactformer.errors import LimitExceeded, NotExact, ParseError
from exactformer.model import ExactMatrix, Model
from exactformer.formats.model_json import dumps
from exactformer.model.ir import Attention, Block, Embedding, FeedForward, Readout
from exactformer.verify import NUMERICAL
from exactformer.verify.numerical import verify_numerically


def _m(rows: int, cols: int, entries: dict) -> ExactMatrix:
    return ExactMatrix.from_dict(rows, cols, {k: Fraction(v) for k, v in entries.items()})


def softmax_model(k1: int = 1, k2: int = 2) -> Model:
    """Real softmax attention: token 0 attends to tokens 0 and 1 with the unequal scores
    k1*x and k2*x and reads their values 0 and 1, so y = e^(k2 x) / (e^(k1 x) + e^(k2 x));
    for (1, 2) that is sigmoid(x)."""
    emb = Embedding(("x",), _m(2, 3, {(0, 1): k1, (1, 1): k2, (1, 2): 1}),
                    (_m(2, 3, {(0, 0): 1}),))
    att = Attention(_m(3, 1, {(0, 0): 1}), _m(3, 1, {(1, 0): 1}), _m(3, 1, {(2, 0): 1}),
                    _m(1, 3, {(0, 2): 1}), activation="softmax")
    return Model(emb, (Block(att),), Readout.from_dict(2, 3, {(0, 2): 1}))


def relu_model(variables, columns, out, width) -> Model:
    """One token holding the inputs; an FFN sum_c out[c] * relu(column_c . x)."""
    d = len(variables)
    emb = Embedding(tuple(variables), _m(1, width, {}),
                    tuple(_m(1, width, {(0, i): 1}) for i in range(d)))
    att = Attention(_m(width, 1, {}), _m(width, 1, {}), _m(width, 1, {}), _m(1, width, {}))
    h = len(columns)
    w1 = _m(width, h, {(r, c): v for c, col in enumerate(columns) for r, v in col.items()})
    ffn = FeedForward(w1, _m(1, h, {}), _m(h, width, {(c, width - 1): v
                                                      for c, v in enumerate(out)}),
                      _m(1, width, {}), activation="relu")
    return Model(emb, (Block(att, ffn),), Readout.from_dict(1, width, {(0, width - 1): 1}))


ODD = relu_model(["x"], [{0: 1}, {0: -1}], [1, -1], 2)              # relu(x) - relu(-x) = x
HALF = relu_model(["x"], [{0: 1}], [1], 2)                          # relu(x)
SHIFTED = relu_model(["x"], [{0: 3}, {0: -3}], [1, -1], 2)          # 3x, split at 0
DIAGONAL = relu_model(["x", "y"], [{0: 1, 1: 1}, {0: -1, 1: -1}], [1, -1], 3)  # x + y


def run_cli(tmp_path, model: Model, *args: str):
    path = tmp_path / "m.json"
    path.write_text(dumps(model) + "\n")
    return main(["check-model", str(path), *args])


def run_json(tmp_path, capsys, model: Model, *args: str):
    code = run_cli(tmp_path, model, *args, "--json")
    out = capsys.readouterr().out
    return code, json.loads(out)


# --------------------------------------------------------------- softmax, unequal scores

def test_real_softmax_agrees_numerically_and_says_it_is_not_a_proof(tmp_path, capsys):
    code, out = run_json(tmp_path, capsys, softmax_model(), "--claim", "sigmoid(x)",
                         "--rung", "mpmath", "--seed", "5")
    assert code == EXIT_NUMERICAL == 5
    assert out["verdict"] == "numerical-agreement" and out["exact_proof"] is False
    assert out["rung"] == NUMERICAL and "not a proof" in out["not_a_proof"]
    assert out["point_count"] == 64 and out["agreement_digits"] >= 45
    assert float(out["max_enclosure_width"]) < 1e-45
    code = run_cli(tmp_path, softmax_model(), "--claim", "1/(1+exp(-x))", "--rung", "mpmath")
    text = capsys.readouterr().out
    assert code == 5 and "NUMERICAL AGREEMENT" in text and "not a proof" in text
    assert "PROVED" not in text


def test_off_by_1e_minus_30_is_refuted_with_disjoint_enclosures(tmp_path, capsys):
    code, out = run_json(tmp_path, capsys, softmax_model(), "--claim",
                         "sigmoid(x) + 10**-30", "--rung", "mpmath", "--seed", "5")
    assert code == 1 and out["verdict"] == "refuted" and out["exact_proof"] is False
    w = out["witness"]
    x = Fraction(w["point"]["x"])  # an exact rational point
    assert -1 <= x <= 1
    import mpmath
    from mpmath.ctx_iv import MPIntervalContext
    ctx = MPIntervalContext()
    ctx.dps = 60
    model_iv = ctx.mpf(w["model_enclosure"].strip("[]").split(", "))
    claim_iv = ctx.mpf(w["claim_enclosure"].strip("[]").split(", "))
    assert model_iv.b < claim_iv.a or claim_iv.b < model_iv.a
    # the true values (recomputed independently at 80 digits) lie in the enclosures
    with mpmath.workdps(80):
        true_y = 1 / (1 + mpmath.exp(-mpmath.mpf(x.numerator) / x.denominator))
        shifted = true_y + mpmath.mpf(10) ** -30
        assert model_iv.a <= true_y <= model_iv.b
        assert claim_iv.a <= shifted <= claim_iv.b


def test_one_weight_mutation_is_refuted():
    assert verify_numerically(softmax_model(), "sigmoid(x)", seed=1).verdict == \
        "numerical-agreement"
    mutated = softmax_model(1, 3)  # one key weight changed: y = sigmoid(2x)
    result = verify_numerically(mutated, "sigmoid(x)", seed=1)
    assert result.refuted and result.witness is not None
    assert verify_numerically(mutated, "sigmoid(2*x)", seed=1).verdict == \
        "numerical-agreement"


def test_the_exact_rung_refuses_and_the_fallback_decides(tmp_path, capsys):
    assert run_cli(tmp_path, softmax_model(), "--claim", "x") == 2
    assert "softmax of unequal scores" in capsys.readouterr().err
    code, out = run_json(tmp_path, capsys, softmax_model(), "--claim", "x",
                         "--fallback", "mpmath", "--points", "8")
    assert code == 1 and out["decided_by"] == "mpmath (fallback)"
    assert "softmax of unequal scores" in out["fallback_reason"]
    code, out = run_json(tmp_path, capsys, softmax_model(), "--claim", "sigmoid(x)",
                         "--fallback", "mpmath", "--points", "8")
    assert code == 5 and out["verdict"] == "numerical-agreement"


def test_fallback_is_not_used_when_an_exact_rung_decides(tmp_path, capsys):
    model = build("x**2 - y/3")
    code, out = run_json(tmp_path, capsys, model, "--claim", "x**2 - y/3",
                         "--fallback", "mpmath")
    assert code == 0 and out["verdict"] == "proved" and "decided_by" not in out
    code, out = run_json(tmp_path, capsys, model, "--claim", "x**2 - y/3 + 10**-60",
                         "--fallback", "mpmath")
    assert code == 1 and out["rung"] != NUMERICAL


def test_prove_with_the_mpmath_rung_exits_5_never_0(capsys):
    assert main(["prove", "3*x**2*y - y/7 + 2", "--rung", "mpmath", "--points", "16"]) == 5
    assert "not a proof" in capsys.readouterr().out
    assert main(["prove", "x*y", "--rung", "mpmath", "--certificate", "/tmp/never.json"]) == 2
    assert "exact proofs only" in capsys.readouterr().err


# --------------------------------------------------------------- relu: split, else fall back

def test_relu_sign_change_is_decided_exactly_by_splitting_the_box(tmp_path, capsys):
    code, out = run_json(tmp_path, capsys, ODD, "--claim", "x", "--domain", "[-1,1]")
    assert code == 0 and out["verdict"] == "proved"
    assert out["evidence"]["pieces"] == "[-1,0]; [0,1]"
    code, out = run_json(tmp_path, capsys, SHIFTED, "--claim", "3*x", "--domain", "[-1/2,2]")
    assert code == 0 and out["evidence"]["pieces"] == "[-1/2,0]; [0,2]"


def test_a_wrong_piece_refutes_the_box(tmp_path, capsys):
    code, out = run_json(tmp_path, capsys, HALF, "--claim", "x", "--domain", "[-1,1]")
    assert code == 1 and out["verdict"] == "refuted" and "[-1,0]" in out["detail"]
    assert out["evidence"]["box"] == "[-1,1]" and out["evidence"]["refuted piece"] == "[-1,0]"
    # on [0,1] relu(x) = x: no split needed
    code, out = run_json(tmp_path, capsys, HALF, "--claim", "x", "--domain", "[0,1]")
    assert code == 0 and "pieces" not in out["evidence"]


def test_split_proofs_write_no_certificate(tmp_path, capsys):
    path = tmp_path / "m.json"
    path.write_text(dumps(ODD) + "\n")
    cert = tmp_path / "c.json"
    from exactformer import check_model
    result = check_model(ODD, "x", domain="[-1,1]")
    assert result.proved and "pieces" in dict(result.verdict.evidence)
    from exactformer.cli.common import write_certificate_option

    class Args:
        certificate = str(cert)
        trace = False
        json = True
    summary: dict = {}
    write_certificate_option(Args, result, summary)
    assert not cert.exists() and summary["certificate"] is None
    assert "single-box proof" in capsys.readouterr().err


def test_unsplittable_sign_change_falls_back(tmp_path, capsys):
    assert run_cli(tmp_path, DIAGONAL, "--claim", "x + y", "--domain", "[-1,1]^2") == 2
    assert "cannot be split" in capsys.readouterr().err
    code, out = run_json(tmp_path, capsys, DIAGONAL, "--claim", "x + y", "--domain",
                         "[-1,1]^2", "--fallback", "mpmath", "--points", "16")
    assert code == 5 and out["exact_proof"] is False
    mutated = relu_model(["x", "y"], [{0: 1, 1: 1}, {0: -1, 1: -1}], [1, -2], 3)
    code, out = run_json(tmp_path, capsys, mutated, "--claim", "x + y", "--domain",
                         "[-1,1]^2", "--rung", "mpmath", "--points", "16")
    assert code == 1


# --------------------------------------------------------------- differential, property

_coef = st.fractions(min_value=-5, max_value=5, max_denominator=7)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), _coef), min_size=1,
                max_size=4),
       st.sampled_from(["masked", "softmax", "logdepth"]), st.integers(0, 2**64),
       st.integers(-40, 0))
def test_agrees_with_the_exact_oracle(terms, construction, seed, shift):
    """Exact "proved" => numerical agreement; numerical "refuted" => exact "refuted"."""
    expr = " + ".join(f"({c})*x**{a}*y**{b}" for a, b, c in terms) + " + x*y"
    model = build(expr, construction=construction)
    truth = verify_numerically(model, expr, points=6, seed=seed, dps=30)
    assert truth.verdict == "numerical-agreement" and not truth.holds
    claim = f"{expr} + 10**({shift})*x"
    exact = prove(expr, construction=construction)  # the model proved exact
    assert exact.proved
    numeric = verify_numerically(model, claim, points=6, seed=seed, dps=30)
    # the claim differs from the model by 10^shift * x: refuted at 30 digits
    # unless |10^shift * x| is below the enclosure widths at every point
    from exactformer import check_model
    assert not check_model(model, claim).proved
    if shift > -25:
        assert numeric.refuted
    assert numeric.verdict in ("refuted", "numerical-agreement")


def test_a_certificate_cannot_claim_the_numerical_rung():
    cert = certificate_from_proof(prove("x**2 - y/3"))
    tampered = copy.deepcopy(cert)
    tampered["rung"] = NUMERICAL
    tampered[checker.HASH_FIELD] = checker.content_hash(tampered)
    report = checker.check_certificate(tampered)
    assert report.status != checker.VALID and "rung" in report.message


def test_the_result_never_holds():
    r = verify_numerically(build("x"), "x", points=2, seed=0)
    assert r.verdict == "numerical-agreement" and r.holds is False
    assert "verdict" in r.to_json() and r.to_json()["verdict"] != "proved"


# --------------------------------------------------------------- bad input

@pytest.mark.parametrize("claim, message", [
    ("gamma(x)", "not supported on the mpmath rung"),
    ("foo(x)", "unknown function"),
    ("x**(1/2)", "integer constant"),
    ("1/(x - x)", "cannot be evaluated"),
    ("log(x - 2)", "cannot be evaluated"),
    ("exp(10**9 * (x + 2))", "too large"),
    ("x +", "unexpected"),
])
def test_bad_claims_are_one_line_exit_2(tmp_path, capsys, claim, message):
    code = run_cli(tmp_path, softmax_model(), "--claim", claim, "--rung", "mpmath",
                   "--points", "4")
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


@pytest.mark.parametrize("args, code", [
    (["--dps", "5"], 2), (["--dps", "100000"], 2), (["--points", "0"], 2),
    (["--points", "20000"], 2), (["--seed", "-1"], 2),
    (["--fallback", "mpmath", "--rung", "schwartz-zippel"], 2),
    (["--domain", "[0,1]^3"], 2),
])
def test_bad_options(tmp_path, capsys, args, code):
    assert run_cli(tmp_path, softmax_model(), "--claim", "sigmoid(x)", "--rung", "mpmath",
                   *args) == code if "--rung" not in args else \
        run_cli(tmp_path, softmax_model(), "--claim", "sigmoid(x)", *args) == code
    assert "Traceback" not in capsys.readouterr().err


def test_api_validation():
    with pytest.raises(ParseError):
        verify_numerically(build("x"), "x", points=0)
    with pytest.raises(LimitExceeded):
        verify_numerically(build("x"), "x", dps=10**6)
    with pytest.raises(NotExact):
        verify_numerically(build("x"), "1/x", points=4, seed=0, box="[0,1]")


def test_transcendental_readout_constants_take_their_true_values():
    model = build("pi*x**2 + E*y")
    assert verify_numerically(model, "pi*x**2 + E*y", points=8, seed=2).verdict == \
        "numerical-agreement"
    assert verify_numerically(model, "3.14159265358979*x**2 + E*y", points=8,
                              seed=2).refuted
    # sqrt(2) in the readout is the real square root
    model = build("sqrt(2)*x")
    assert verify_numerically(model, "sqrt(2)*x", points=4, seed=2).verdict == \
        "numerical-agreement"
    assert verify_numerically(model, "1.4142135623730950488*x", points=4, seed=2).refuted


def test_symbolic_parameters_are_sampled_like_inputs():
    model = build("a*x + b", params="a,b")
    r = verify_numerically(model, "a*x + b", params="a,b", points=8, seed=4)
    assert r.verdict == "numerical-agreement" and r.names == ("x", "a", "b")
    assert verify_numerically(model, "a*x + b + a*b/10**40", params="a,b", points=8,
                              seed=4).refuted
    # the one name rule: an input declared a parameter is refused, as on every rung
    from exactformer.errors import NameClash
    with pytest.raises(NameClash):
        verify_numerically(model, "a*x + b", params="a,b,x", points=2, seed=4)


def test_points_are_corners_centre_then_hash_derived():
    model = build("x*y")
    r = verify_numerically(model, "x*y", box="[0,1]x[-2,3]", points=8, seed=9)
    corners = {(Fraction(a), Fraction(b)) for a in (0, 1) for b in (-2, 3)}
    assert set(r.points[:4]) == corners and r.points[4] == (Fraction(1, 2), Fraction(1, 2))
    assert all(0 <= p[0] <= 1 and -2 <= p[1] <= 3 for p in r.points)
    again = verify_numerically(model, "x*y", box="[0,1]x[-2,3]", points=8, seed=9)
    other = verify_numerically(model, "x*y", box="[0,1]x[-2,3]", points=8, seed=10)
    assert again.points == r.points and other.points[5:] != r.points[5:]


def test_erf_and_gelu_style_claims_are_enclosed_rigorously():
    """erf by its Taylor series with the alternating remainder: checked against
    mpmath.erf at 80 digits, and the identity erf(x) = 2*sigmoid-free forms agree."""
    import mpmath
    from mpmath.ctx_iv import MPIntervalContext
    from exactformer.engine.intervals import interval_erf
    ctx = MPIntervalContext()
    ctx.dps = 50
    for t in ("0", "0.5", "-0.5", "3", "-7.25", "9.9", "10.5", "30", "1e-30"):
        e = interval_erf(ctx, ctx.mpf(t))
        with mpmath.workdps(80):
            true = mpmath.erf(mpmath.mpf(t))
            assert e.a <= true <= e.b
        assert e.delta.b < 1e-45
    # a model computing x (exactly) against the claim x*erf(1)/erf(1): agreement;
    # against x*erf(1): refuted
    model = build("x")
    assert verify_numerically(model, "x*erf(1)/erf(1)", points=4, seed=0).verdict == \
        "numerical-agreement"
    assert verify_numerically(model, "x*erf(1)", points=4, seed=0).refuted


def test_red_team_cases_huge_powers_overflowing_bounds_and_saturation(tmp_path, capsys):
    # an odd power of a negative base with an exponent near the limit stays real
    r = verify_numerically(ODD, "x*(-1)**999 + 2*x", points=8, seed=1)
    assert r.verdict == "numerical-agreement"
    code = run_cli(tmp_path, ODD, "--claim", "x**(10**100)", "--rung", "mpmath")
    assert code == 3 and "exponent" in capsys.readouterr().err
    # values beyond float range: no inf, no NaN, honest digits, valid JSON
    code, out = run_json(tmp_path, capsys, ODD, "--claim", "x + 10**400 - 10**400",
                         "--rung", "mpmath", "--points", "8")
    assert code == 5 and out["agreement_digits"] == 0  # 10**400 at 50 digits cancels
    big = relu_model(["x"], [{0: 1}, {0: -1}], [10**400, -10**400], 2)
    code, out = run_json(tmp_path, capsys, big, "--claim",
                         "10**400*x + (x + 10**15 - 10**15 - x + 1/10)*10**400",
                         "--rung", "mpmath", "--dps", "10", "--domain", "[1,2]")
    assert code == 5 and out["agreement_digits"] == 0  # 10% apart: no digit agrees
    assert "Infinity" not in json.dumps(out)
    # tanh and sigmoid saturate instead of refusing
    assert verify_numerically(build("x"), "tanh(10**9*(x+2))*x", points=4,
                              seed=0).verdict == "numerical-agreement"
    assert verify_numerically(build("x"), "x + sigmoid(-10**9*(x+2))", points=4,
                              seed=0).verdict == "numerical-agreement"


def test_sampling_options_are_refused_on_the_exact_rung(tmp_path, capsys):
    assert run_cli(tmp_path, ODD, "--claim", "x", "--domain", "[-1,1]", "--points", "5") == 2
    assert "not to the exact rung" in capsys.readouterr().err
    assert main(["prove", "x", "--dps", "30"]) == 2
    assert main(["prove", "x", "--rung", "schwartz-zippel", "--dps", "30"]) == 2
    assert main(["prove", "x", "--fallback", "mpmath", "--dps", "30"]) == 0


def test_the_schwartz_zippel_rung_never_exits_0(tmp_path, capsys):
    code, out = run_json(tmp_path, capsys, build("x**2 - y"), "--claim", "x**2 - y",
                         "--rung", "schwartz-zippel")
    assert code == 5 and out["verdict"] == "probabilistic-agreement"
    assert out["exact_proof"] is False


def test_sampled_coordinates_are_bounded(monkeypatch):
    import exactformer.verify.numerical as numerical
    monkeypatch.setattr(numerical, "MAX_COORDINATES", 100)
    with pytest.raises(LimitExceeded, match="sampled coordinates"):
        verify_numerically(build("x*y"), "x*y", points=51, seed=0)
    assert verify_numerically(build("x*y"), "x*y", points=50, seed=0).verdict == \
        "numerical-agreement"
