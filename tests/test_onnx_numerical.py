"""The mpmath rung on ONNX graphs: a transformer-like graph with LayerNormalization,
Gelu/Erf and a softmax of unequal scores (built with onnx.helper and exported by
torch.onnx.export), its claim agreed numerically (exit 5, never 0), a claim 10^-30 off
and a one-weight mutation refuted rigorously (exit 1), --fallback, enclosures of every
new operator checked against mpmath at 80 digits, undecidable points (exit 2), bad
input, and a property test against the exact rung."""
from __future__ import annotations

import json
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from exactformer.cli import main

ONNX_REASON = "onnx is an optional extra (pip install 'exactformer[onnx]'); not installed"
TORCH_REASON = "torch is an optional extra (pip install 'exactformer[torch]'); not installed"
onnx = pytest.importorskip("onnx", reason=ONNX_REASON)
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from exactformer.formats.onnx.enclosures import EnclosureDomain  # noqa: E402
from exactformer.formats.onnx.interpret import Context, run_graph  # noqa: E402
from exactformer.formats.onnx.read import read_graph  # noqa: E402
from onnx_clients import HELPER_POLY, helper_graph  # noqa: E402
from onnx_support import one_line_error, save  # noqa: E402

mpmath = pytest.importorskip("mpmath")

W1 = [[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]]
B1 = [0.125, -0.25, 0.5]
GAMMA = [1.0, 0.5, -0.75]
BETA = [0.0, 0.25, 0.125]
WQ = [[1.0, -0.5], [0.25, 0.5], [-1.0, 0.75]]
WV = [[0.5, 1.0], [-0.25, 0.5], [0.75, -1.5]]
#: LayerNormalization's epsilon as stored (a float32 attribute)
EPS = float(np.float32(1e-5))
FAST = ["--points", "5", "--dps", "30", "--seed", "7"]


def tiny_transformer(w1=W1, act="Gelu", opset=20):
    """h = x W1 + b1 (3 features), n = LayerNorm(h), g = Gelu(n) (or the erf form
    n/2 (1 + erf(n/2)) with act="erf"), p = softmax(g WQ) over 2 unequal scores,
    y = sum_k p_k (g WV)_k: one value per row of x [batch, 2] (float32 weights)."""
    f = lambda a: np.array(a, dtype=np.float32)  # noqa: E731
    inits = [numpy_helper.from_array(f(w1), "W1"), numpy_helper.from_array(f(B1), "B1"),
             numpy_helper.from_array(f(GAMMA), "gamma"),
             numpy_helper.from_array(f(BETA), "beta"),
             numpy_helper.from_array(f(WQ), "WQ"), numpy_helper.from_array(f(WV), "WV"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")]
    nodes = [helper.make_node("MatMul", ["x", "W1"], ["h0"], name="proj"),
             helper.make_node("Add", ["h0", "B1"], ["h"], name="proj_bias"),
             helper.make_node("LayerNormalization", ["h", "gamma", "beta"], ["n"],
                              name="ln", axis=-1, epsilon=1e-5)]
    if act == "Gelu":
        nodes.append(helper.make_node("Gelu", ["n"], ["g"], name="gelu"))
    else:
        inits += [numpy_helper.from_array(f(0.5), "half"),
                  numpy_helper.from_array(f(1.0), "one")]
        nodes += [helper.make_node("Mul", ["n", "half"], ["nh"], name="scale_in"),
                  helper.make_node("Erf", ["nh"], ["e"], name="erf"),
                  helper.make_node("Add", ["e", "one"], ["e1"], name="erf_plus_1"),
                  helper.make_node("Mul", ["nh", "e1"], ["g"], name="erf_gate")]
    nodes += [helper.make_node("MatMul", ["g", "WQ"], ["s"], name="scores"),
              helper.make_node("Softmax", ["s"], ["p"], name="attn_softmax", axis=-1),
              helper.make_node("MatMul", ["g", "WV"], ["v"], name="values"),
              helper.make_node("Mul", ["p", "v"], ["pv"], name="mix"),
              helper.make_node("ReduceSum", ["pv", "axes"], ["y"], name="readout",
                               keepdims=0)]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, ["batch", 2])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, ["batch"])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _q(v) -> str:
    v = Fraction(float(np.float32(v)))
    return f"({v.numerator}/{v.denominator})"


def transformer_claim(act="Gelu", sqrt2="sqrt(2)", offset="") -> str:
    """The function of :func:`tiny_transformer` written out as a claim in a, b."""
    h = [f"({_q(W1[0][j])}*a + {_q(W1[1][j])}*b + {_q(B1[j])})" for j in range(3)]
    m = "((" + " + ".join(h) + ")/3)"
    dev = [f"({hj} - {m})" for hj in h]
    var = "((" + " + ".join(f"{d}**2" for d in dev) + f")/3 + {_q(EPS)})"
    n = [f"({d}/sqrt({var})*{_q(GAMMA[j])} + {_q(BETA[j])})" for j, d in enumerate(dev)]
    if act == "Gelu":
        g = [f"({nj}*(1 + erf({nj}/{sqrt2}))/2)" for nj in n]
    else:
        g = [f"({nj}/2*(1 + erf({nj}/2)))" for nj in n]
    s = ["(" + " + ".join(f"{g[i]}*{_q(WQ[i][k])}" for i in range(3)) + ")" for k in range(2)]
    v = ["(" + " + ".join(f"{g[i]}*{_q(WV[i][k])}" for i in range(3)) + ")" for k in range(2)]
    return (f"(exp({s[0]})*{v[0]} + exp({s[1]})*{v[1]})/(exp({s[0]}) + exp({s[1]}))"
            f"{offset}")


def run_cli(capsys, argv):
    code = main(argv)
    got = capsys.readouterr()
    return code, got.out, got.err


def run_json(capsys, argv):
    code, out, err = run_cli(capsys, argv + ["--json"])
    assert len(out.strip().splitlines()) == 1, (out, err)
    return code, json.loads(out)


def _disjoint(witness) -> bool:
    """The two printed enclosures (decimal ends, read exactly) do not meet."""
    (ma, mb), (ca, cb) = ([Fraction(e) for e in witness[k].strip("[]").split(", ")]
                          for k in ("model_enclosure", "claim_enclosure"))
    return mb < ca or cb < ma


# ------------------------------------------------------------------ the transformer
@pytest.mark.parametrize("act", ["Gelu", "erf"])
def test_transformer_graph_agrees_numerically_never_proved(tmp_path, capsys, act):
    path = save(tmp_path, tiny_transformer(act=act))
    claim = transformer_claim(act)
    code, out, _ = run_cli(capsys, ["check-model", path, "--claim", claim, "--vars", "a,b",
                                    "--rung", "mpmath"] + FAST)
    assert code == 5 and "NUMERICAL AGREEMENT -- not a proof" in out
    code, data = run_json(capsys, ["check-model", path, "--claim", claim, "--vars", "a,b",
                                   "--rung", "mpmath"] + FAST)
    assert code == 5 and data["verdict"] == "numerical-agreement"
    assert data["exact_proof"] is False and data["not_a_proof"] and data["decided_by"] == "mpmath"
    assert data["format"] == "onnx" and data["point_count"] == 5
    assert data["agreement_digits"] >= 25 and all(set(p) == {"a", "b"} for p in data["points"])
    # the centre of [-1,1]^2 is among the exact points
    assert {"a": "0", "b": "0"} in data["points"]


def test_claim_off_by_10_to_minus_30_is_refuted_at_an_exact_point(tmp_path, capsys):
    path = save(tmp_path, tiny_transformer())
    claim = transformer_claim(offset=" + 10**-30")
    code, data = run_json(capsys, ["check-model", path, "--claim", claim, "--vars", "a,b",
                                   "--rung", "mpmath", "--points", "3", "--dps", "50"])
    assert code == 1 and data["verdict"] == "refuted" and data["exact_proof"] is False
    w = data["witness"]
    assert all(Fraction(v) == Fraction(v) for v in w["point"].values())  # exact rationals
    assert _disjoint(w)
    code, out, _ = run_cli(capsys, ["check-model", path, "--claim", claim, "--vars", "a,b",
                                    "--rung", "mpmath", "--points", "3", "--dps", "50"])
    assert code == 1 and "disjoint enclosures, rigorous" in out and "point: a = " in out
    # at 20 digits the offset is below the enclosures' width: agreement, not refutation
    code, _, _ = run_cli(capsys, ["check-model", path, "--claim", claim, "--vars", "a,b",
                                  "--rung", "mpmath", "--points", "3", "--dps", "20"])
    assert code == 5


def test_one_weight_mutation_is_refuted(tmp_path, capsys):
    w1 = [row[:] for row in W1]
    w1[0][1] += 2.0 ** -20
    path = save(tmp_path, tiny_transformer(w1=w1))
    code, data = run_json(capsys, ["check-model", path, "--claim", transformer_claim(),
                                   "--vars", "a,b", "--rung", "mpmath"] + FAST)
    assert code == 1 and data["verdict"] == "refuted" and _disjoint(data["witness"])


def test_torch_exported_transformer(tmp_path, capsys):
    torch = pytest.importorskip("torch", reason=TORCH_REASON)

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(2, 3)
            self.ln = torch.nn.LayerNorm(3, eps=1e-5)
            self.act = torch.nn.GELU()
            self.q = torch.nn.Linear(3, 2, bias=False)
            self.v = torch.nn.Linear(3, 2, bias=False)
            with torch.no_grad():
                self.proj.weight.copy_(torch.tensor(W1).T)
                self.proj.bias.copy_(torch.tensor(B1))
                self.ln.weight.copy_(torch.tensor(GAMMA))
                self.ln.bias.copy_(torch.tensor(BETA))
                self.q.weight.copy_(torch.tensor(WQ).T)
                self.v.weight.copy_(torch.tensor(WV).T)

        def forward(self, x):
            g = self.act(self.ln(self.proj(x)))
            return (torch.softmax(self.q(g), dim=-1) * self.v(g)).sum(dim=-1)

    path = str(tmp_path / "torch.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Tiny().double().eval(), (torch.zeros(1, 2, dtype=torch.float64),),
                          path, dynamo=False, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                          opset_version=17)
    ops = {n.op_type for n in onnx.load(path).graph.node}
    assert {"LayerNormalization", "Erf", "Softmax"} <= ops
    # torch's GELU divides by the float64 nearest sqrt(2), a stored constant read exactly
    c = Fraction(2 ** 0.5)
    claim = transformer_claim(sqrt2=f"({c.numerator}/{c.denominator})")
    code, data = run_json(capsys, ["check-model", path, "--claim", claim, "--vars", "a,b",
                                   "--rung", "mpmath"] + FAST)
    assert code == 5 and data["verdict"] == "numerical-agreement"
    # with the real sqrt(2) the claim is a different function (by ~1e-17): refuted
    code, data = run_json(capsys, ["check-model", path, "--claim", transformer_claim(),
                                   "--vars", "a,b", "--rung", "mpmath"] + FAST)
    assert code == 1 and _disjoint(data["witness"])


def test_rows_of_a_batch_are_different_points(tmp_path, capsys):
    # y = sum over the batch of x[:, 0]: each row at a different point exposes the mixing
    nodes = [helper.make_node("Shape", ["x"], ["xs"], name="shape_of_x", end=1),
             helper.make_node("Gather", ["x", "i0"], ["c"], axis=1, name="col"),
             helper.make_node("ReduceSum", ["c", "ax0"], ["s"], keepdims=1, name="batch_sum"),
             helper.make_node("Expand", ["s", "xs"], ["y"], name="spread")]
    model = _graph(nodes, [_arr("i0", 0, np.int64), _arr("ax0", [0], np.int64)])
    code, data = run_json(capsys, ["check-model", save(tmp_path, model), "--claim", "x1",
                                   "--rung", "mpmath"] + FAST)
    assert code == 1 and data["verdict"] == "refuted" and data["batch_sizes"] == [1, 2]
    # y = x1 + (batch size - 2): right at batch 2 only, so batch 1 refutes it
    nodes = [helper.make_node("Shape", ["x"], ["xs"], name="shape_of_x", end=1),
             helper.make_node("Cast", ["xs"], ["n"], name="rows", to=TensorProto.DOUBLE),
             helper.make_node("Sub", ["n", "two"], ["off"], name="minus_two"),
             helper.make_node("Gather", ["x", "i0"], ["c"], axis=1, name="col"),
             helper.make_node("Add", ["c", "off"], ["y"], name="shifted")]
    model = _graph(nodes, [_arr("i0", 0, np.int64), _arr("two", [2.0])])
    code, data = run_json(capsys, ["check-model", save(tmp_path, model, "b.onnx"), "--claim",
                                   "x1", "--rung", "mpmath"] + FAST)
    assert code == 1 and data["verdict"] == "refuted"
    code, _ = run_json(capsys, ["check-model", save(tmp_path, model, "b.onnx"), "--claim",
                                "x1"])
    assert code == 1  # the exact rung agrees


# ------------------------------------------------------------------ --fallback
def _graph(nodes, inits, opset=17):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["batch", 2])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["batch"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _arr(name, value, dtype=np.float64):
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def sigmoid_pair_graph():
    """y = sigmoid(x1) + sigmoid(-x1) + x2, which is 1 + x2 (a polynomial) although no
    node of the graph is polynomial."""
    nodes = [helper.make_node("Gather", ["x", "i0"], ["a"], axis=1, name="col0"),
             helper.make_node("Gather", ["x", "i1"], ["b"], axis=1, name="col1"),
             helper.make_node("Sigmoid", ["a"], ["sa"], name="sig_pos"),
             helper.make_node("Neg", ["a"], ["na"], name="neg"),
             helper.make_node("Sigmoid", ["na"], ["sn"], name="sig_neg"),
             helper.make_node("Sum", ["sa", "sn", "b"], ["y"], name="total")]
    return _graph(nodes, [_arr("i0", 0, np.int64), _arr("i1", 1, np.int64)])


def test_fallback_decides_where_the_exact_interpreter_refuses_a_node(tmp_path, capsys):
    path = save(tmp_path, sigmoid_pair_graph())
    err = one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "1 + x2"]))
    assert "'sig_pos' (Sigmoid)" in err and "--fallback mpmath" in err
    code, out, _ = run_cli(capsys, ["check-model", path, "--claim", "1 + x2",
                                    "--fallback", "mpmath"] + FAST)
    assert code == 5 and "exact rungs  could not decide" in out and "sig_pos" in out
    assert "fallback     mpmath" in out
    code, data = run_json(capsys, ["check-model", path, "--claim", "1 + x2",
                                   "--fallback", "mpmath"] + FAST)
    assert code == 5 and data["decided_by"] == "mpmath (fallback)"
    assert "sig_pos" in data["fallback_reason"] and data["exact_proof"] is False
    code, data = run_json(capsys, ["check-model", path, "--claim", "1 + x2 + x1/2**60",
                                   "--fallback", "mpmath"] + FAST)
    assert code == 1 and data["decided_by"] == "mpmath (fallback)"
    # the transformer with a polynomial (wrong) claim: refused at 'ln', refuted by mpmath
    path = save(tmp_path, tiny_transformer(), "t.onnx")
    code, data = run_json(capsys, ["check-model", path, "--claim", "a*b", "--vars", "a,b",
                                   "--fallback", "mpmath"] + FAST)
    assert code == 1 and "'ln' (LayerNormalization)" in data["fallback_reason"]


def test_relu_of_unknown_sign_and_an_additive_mask_fall_back(tmp_path, capsys):
    # Relu without a box: the exact rung cannot certify its sign; mpmath encloses it
    path = save(tmp_path, helper_graph(extra_node="Relu"))
    code, data = run_json(capsys, ["check-model", path, "--claim", HELPER_POLY, "--vars",
                                   "a,b", "--fallback", "mpmath"] + FAST)
    assert code == 5 and "(Relu)" in data["fallback_reason"]
    torch = pytest.importorskip("torch", reason=TORCH_REASON)  # noqa: F841
    from onnx_clients import POLY, export_torch, torch_transformer
    path = str(tmp_path / "additive.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_torch(torch_transformer("additive"), path)
    # exp(-1e9) > 0: not exactly the polynomial, but equal to it far beyond 30 digits --
    # which is exactly why agreement is evidence and never a proof
    code, data = run_json(capsys, ["check-model", path, "--claim", POLY, "--vars", "x,y",
                                   "--fallback", "mpmath"] + FAST)
    assert code == 5 and "(Softmax)" in data["fallback_reason"]
    assert data["verdict"] == "numerical-agreement" and data["exact_proof"] is False


def test_polynomial_graph_with_fallback_is_still_decided_exactly(tmp_path, capsys):
    path = save(tmp_path, helper_graph())
    code, data = run_json(capsys, ["check-model", path, "--claim", HELPER_POLY, "--vars",
                                   "a,b", "--fallback", "mpmath"])
    assert code == 0 and data["verdict"] == "proved" and "fallback_reason" not in data
    assert data["decided_by"] == "exact (no fallback needed)"
    assert data["rung"] == "exact polynomial identity"
    code, data = run_json(capsys, ["check-model", path, "--claim", HELPER_POLY + " + 1",
                                   "--vars", "a,b", "--fallback", "mpmath"])
    assert code == 1 and "difference" in data and "fallback_reason" not in data
    # and the mpmath rung on it agrees: exit 5, not 0
    code, data = run_json(capsys, ["check-model", path, "--claim", HELPER_POLY, "--vars",
                                   "a,b", "--rung", "mpmath"] + FAST)
    assert code == 5 and data["verdict"] == "numerical-agreement"


# ------------------------------------------------------------------ enclosures vs mpmath
def _unary_graph(op, opset=20, **attrs):
    nodes = [helper.make_node(op, ["x"], ["t"], name="op", **attrs),
             helper.make_node("ReduceSum", ["t", "axes"], ["y"], name="sum", keepdims=0)]
    return _graph(nodes, [_arr("axes", [1], np.int64)], opset)


def _enclose(model, point, dps=30):
    graph = read_graph(model.SerializeToString())
    ctx = Context(EnclosureDomain(tuple(Fraction(v) for v in point), dps))
    return run_graph(graph, ctx, 1)[0].iv


def _mp(f, point):
    with mpmath.workdps(80):
        return f(*[mpmath.mpf(v.numerator) / v.denominator for v in point])


def _gelu_tanh(t):
    return t * (1 + mpmath.tanh(mpmath.sqrt(2 / mpmath.pi) *
                                (t + mpmath.mpf(44715) / 10**6 * t ** 3))) / 2


UNARY = {
    "Erf": mpmath.erf, "Tanh": mpmath.tanh, "Exp": mpmath.exp, "Log": mpmath.log,
    "Sqrt": mpmath.sqrt, "Reciprocal": lambda t: 1 / t,
    "Sigmoid": lambda t: 1 / (1 + mpmath.exp(-t)),
    "Relu": lambda t: max(t, 0),
}


@pytest.mark.parametrize("op", sorted(UNARY) + ["Gelu-none", "Gelu-tanh"])
@pytest.mark.parametrize("point", [(Fraction(3, 7), Fraction(5, 3)),
                                   (Fraction(-11, 13), Fraction(1, 1024))])
def test_operator_enclosures_contain_the_80_digit_value(op, point):
    if op in ("Log", "Sqrt"):
        point = tuple(abs(v) for v in point)
    if op.startswith("Gelu"):
        mode = op.split("-")[1]
        model = _unary_graph("Gelu", approximate=mode)
        f = (lambda t: t * (1 + mpmath.erf(t / mpmath.sqrt(2))) / 2) if mode == "none" \
            else _gelu_tanh
    else:
        model, f = _unary_graph(op), UNARY[op]
    got = _enclose(model, point)
    want = _mp(lambda a, b: f(a) + f(b), point)
    assert got.a <= want <= got.b, (op, got, want)
    assert got.delta < mpmath.mpf(10) ** -25  # and it is tight at 30 digits


def test_layer_norm_softmax_mean_and_division_enclosures():
    # LayerNorm over 2 features (gamma, beta, the stored float32 epsilon), Softmax of
    # unequal scores, ReduceMean and a division by an input-dependent value
    nodes = [helper.make_node("LayerNormalization", ["x", "gamma", "beta"], ["n"],
                              name="ln", epsilon=1e-5),
             helper.make_node("Softmax", ["x"], ["p"], name="sm", axis=-1),
             helper.make_node("Mul", ["n", "p"], ["np_"], name="mix"),
             helper.make_node("Add", ["x", "two"], ["x2"], name="shift"),
             helper.make_node("Div", ["np_", "x2"], ["q"], name="div"),
             helper.make_node("ReduceMean", ["q", "axes"], ["y"], name="mean", keepdims=0)]
    model = _graph(nodes, [_arr("gamma", [1.0, 0.5], np.float32),
                           _arr("beta", [0.25, -0.125], np.float32),
                           _arr("two", 2.0), _arr("axes", [1], np.int64)], 18)
    eps = mpmath.mpf(Fraction(EPS).numerator) / Fraction(EPS).denominator

    def f(a, b):
        m = (a + b) / 2
        s = mpmath.sqrt(((a - m) ** 2 + (b - m) ** 2) / 2 + eps)
        n = [(a - m) / s + mpmath.mpf(1) / 4, (b - m) / s / 2 - mpmath.mpf(1) / 8]
        e = [mpmath.exp(a), mpmath.exp(b)]
        return sum(n[i] * e[i] / (e[0] + e[1]) / ([a, b][i] + 2) for i in range(2)) / 2
    for point in [(Fraction(1, 3), Fraction(-3, 4)), (Fraction(7, 8), Fraction(7, 8)),
                  (Fraction(-1), Fraction(1, 10**12))]:
        got = _enclose(model, point)
        want = _mp(f, point)
        assert got.a <= want <= got.b and got.delta < mpmath.mpf(10) ** -20, (point, got)


# ------------------------------------------------------------------ not decided
@pytest.mark.parametrize("op,words", [("Reciprocal", "contains 0"), ("Log", "<= 0"),
                                      ("Sqrt", "may be negative")])
def test_undecidable_points_are_not_a_verdict(tmp_path, capsys, op, words):
    # the centre (0, 0) of [-1, 1]^2 is always sampled: 1/0, log 0 and sqrt(-1) corners
    path = save(tmp_path, _unary_graph(op))
    err = one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "x1",
                                           "--rung", "mpmath"] + FAST))
    assert "'op'" in err and words in err and "not decided" in err


def test_unbounded_enclosure_is_not_a_verdict(tmp_path, capsys):
    nodes = [helper.make_node("Mul", ["x", "big"], ["t"], name="scale"),
             helper.make_node("Exp", ["t"], ["e"], name="exp"),
             helper.make_node("ReduceSum", ["e", "axes"], ["y"], name="sum", keepdims=0)]
    path = save(tmp_path, _graph(nodes, [_arr("big", 1e300), _arr("axes", [1], np.int64)]))
    err = one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "x1",
                                           "--rung", "mpmath", "--domain", "[1/2,1]^2"]
                                  + FAST))
    assert "'exp' (Exp)" in err


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("extra", [
    ["--rung", "mpmath", "--dps", "5"],
    ["--rung", "mpmath", "--points", "0"],
    ["--rung", "mpmath", "--fallback", "mpmath"],
    ["--rung", "schwartz-zippel"],
    ["--rung", "mpmath", "--vars", "a"],
    ["--rung", "mpmath", "--domain", "[0,1]^3"],
    ["--rung", "mpmath", "--certificate", "c.json"],
    ["--points", "5"],
])
def test_bad_options_one_line_exit_2(tmp_path, capsys, extra):
    path = save(tmp_path, sigmoid_pair_graph())
    code, out, err = run_cli(capsys, ["check-model", path, "--claim", "1 + x2"] + extra)
    assert code == 2 and out == "" and len(err.strip().splitlines()) <= 3, (code, out, err)


def test_bad_files_and_claims_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage" * 10)
    one_line_error(*run_cli(capsys, ["check-model", str(bad), "--claim", "x1",
                                     "--rung", "mpmath"]))
    path = save(tmp_path, sigmoid_pair_graph())
    err = one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "gamma(x1)",
                                           "--rung", "mpmath"]))
    assert "gamma" in err
    one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "x1**(10**9)",
                                     "--rung", "mpmath"]), codes=(2, 3))


# ------------------------------------------------------------------ property
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.tuples(st.integers(0, 2), st.integers(0, 1)),
                       st.builds(lambda n, k: Fraction(n, 2 ** k), st.integers(-32, 32),
                                 st.integers(0, 3)),
                       min_size=1, max_size=3))
def test_exactly_proved_exports_agree_numerically(tmp_path_factory, terms):
    """Random small polynomials with dyadic coefficients (stored exactly in float64),
    exported by exactformer: proved exactly, and the mpmath rung agrees (exit 5)."""
    from exactformer import build
    from exactformer.formats.onnx.write import onnx_model
    text = " + ".join(f"({c})*x**{i}*y**{j}" for (i, j), c in terms.items()) + " + 1"
    path = save(tmp_path_factory.mktemp("p"), onnx_model(build(text, variables="x,y"),
                                                          "float64"))
    assert main(["check-model", path, "--claim", text, "--vars", "x,y"]) == 0
    code = main(["check-model", path, "--claim", text, "--vars", "x,y", "--rung", "mpmath",
                 "--points", "3", "--dps", "20", "--json"])
    assert code == 5  # agreement, never a refutation and never 0


# ------------------------------------------------------------------ differential
@pytest.mark.parametrize("act", ["Gelu", "erf"])
def test_enclosures_agree_with_onnxruntime_to_float32_precision(act):
    """An independent implementation (onnxruntime, float32 arithmetic) lands within
    float32 rounding of every interval-mode enclosure of the transformer graph."""
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is an optional extra "
                              "(pip install 'exactformer[onnx]'); not installed")
    model = tiny_transformer(act=act)
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(5)
    for a, b in rng.uniform(-1, 1, (6, 2)).astype(np.float32).tolist():
        got = float(session.run(None, {"x": np.array([[a, b]], dtype=np.float32)})[0][0])
        iv = _enclose(model, (Fraction(a), Fraction(b)))
        assert abs(got - float(iv.mid)) < 1e-5 and iv.delta < 1e-25, (a, b, got, iv)
