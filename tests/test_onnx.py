"""ONNX in and out: export of every construction, exact decisions on graphs that no
exactformer code made (torch.onnx.export, onnx.helper), refusals that name the node,
bad files, a property test and a differential test against onnxruntime."""
from __future__ import annotations

import os
import random
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from exactformer.cli import main

ONNX_REASON = "onnx is an optional extra (pip install 'exactformer[onnx]'); not installed"
ORT_REASON = "onnxruntime is an optional extra (pip install 'exactformer[onnx]'); not installed"
TORCH_REASON = "torch is an optional extra (pip install 'exactformer[torch]'); not installed"

onnx = pytest.importorskip("onnx", reason=ONNX_REASON)
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from exactformer.formats.onnx.check import check_graph  # noqa: E402
from exactformer.formats.onnx.interpret import make_context, run_graph  # noqa: E402
from exactformer.formats.onnx.read import read_graph  # noqa: E402
from exactformer.formats.onnx.write import onnx_model  # noqa: E402
from onnx_support import one_line_error, poly_at, save  # noqa: E402
from onnx_clients import (HELPER_POLY, POLY, export_torch, helper_graph,  # noqa: E402
                          torch_transformer)

CONSTRUCTIONS = ("masked", "softmax", "relu", "logdepth")
DYADIC = "3*x**2*y - y/8 + 2"


def run_cli(capsys, argv):
    code = main(argv)
    got = capsys.readouterr()
    return code, got.out, got.err


def ort_run(path_or_model, X):
    ort = pytest.importorskip("onnxruntime", reason=ORT_REASON)
    data = path_or_model if isinstance(path_or_model, str) else \
        path_or_model.SerializeToString()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    dtype = session.get_inputs()[0].type
    X = np.asarray(X, dtype=np.float32 if "float)" in dtype else np.float64)
    return session.run(None, {session.get_inputs()[0].name: X})[0]


def exact_outputs(model, names):
    graph = read_graph(model.SerializeToString())
    return run_graph(graph, make_context(tuple(names)), 1)[0]


# ------------------------------------------------------------------ export round trip
@pytest.mark.parametrize("construction", CONSTRUCTIONS)
def test_export_round_trip_is_proved_and_runs_in_onnxruntime(tmp_path, capsys, construction):
    path = str(tmp_path / "m.onnx")
    assert main(["export-model", DYADIC, "--construction", construction, "--onnx", path]) == 0
    capsys.readouterr()
    onnx.checker.check_model(onnx.load(path), full_check=True)
    assert main(["check-model", path, "--claim", DYADIC, "--vars", "x,y"]) == 0
    assert "PROVED" in capsys.readouterr().out
    assert main(["check-model", path, "--claim", DYADIC + " + x*y/1024", "--vars", "x,y"]) == 1
    X = np.random.default_rng(1).uniform(-1, 1, (64, 2))
    y = ort_run(path, X)
    want = 3 * X[:, 0] ** 2 * X[:, 1] - X[:, 1] / 8 + 2
    assert np.all(np.abs(y - want) <= 1e-9 * np.maximum(1, np.abs(want)))


@pytest.mark.parametrize("construction", CONSTRUCTIONS)
def test_float32_export_agrees_to_float32_precision(tmp_path, capsys, construction):
    path = str(tmp_path / "m.onnx")
    assert main(["export-model", DYADIC, "--construction", construction, "--onnx", path,
                 "--dtype", "float32", "--json"]) == 0
    assert '"dtype": "float32"' in capsys.readouterr().out
    X = np.random.default_rng(2).uniform(-1, 1, (64, 2)).astype(np.float32)
    y = ort_run(path, X)
    assert y.dtype == np.float32
    want = 3 * X[:, 0].astype(float) ** 2 * X[:, 1] - X[:, 1] / 8 + 2
    assert np.all(np.abs(y - want) <= 1e-5 * np.maximum(1, np.abs(want)))
    # the weights of these constructions are dyadic: the float32 file is proved too
    assert main(["check-model", path, "--claim", DYADIC, "--vars", "x,y"]) == 0


def test_non_dyadic_weights_are_read_exactly_and_rounding_is_labelled(tmp_path, capsys):
    path = str(tmp_path / "m.onnx")
    text = "3*x**2*y - y/7 + 2"
    assert main(["export-model", text, "--onnx", path]) == 0
    capsys.readouterr()
    code, out, _ = run_cli(capsys, ["check-model", path, "--claim", text, "--vars", "x,y"])
    assert code == 1 and "claim has -1/7" in out
    code, out, _ = run_cli(capsys, ["check-model", path, "--claim", text, "--vars", "x,y",
                                    "--max-denominator", "1000", "--json"])
    assert code == 0 and "ROUNDED weights" in out and "denominators <= 1000" in out


def test_relu_export_is_decided_on_its_recorded_box(tmp_path, capsys):
    path = str(tmp_path / "m.onnx")
    assert main(["export-model", DYADIC, "--construction", "relu", "--onnx", path]) == 0
    capsys.readouterr()
    code, out, _ = run_cli(capsys, ["check-model", path, "--claim", DYADIC, "--vars", "x,y"])
    assert code == 0 and "exact on a box" in out and "sign certificates" in out


def test_torchscript_export_loads_with_torch_jit_and_is_checked(tmp_path, capsys):
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    path = str(tmp_path / "m.pt")
    assert main(["export-model", DYADIC, "--construction", "softmax", "--torch", path]) == 0
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = torch.jit.load(path)
    x = torch.tensor([[0.5, -0.25], [1.0, 2.0], [-1.0, 0.75]], dtype=torch.float64)
    got = module(x).detach().numpy()
    want = [3 * a * a * b - b / 8 + 2 for a, b in x.tolist()]
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12)
    assert main(["check-model", path, "--claim", DYADIC]) == 0
    assert main(["check-model", path, "--claim", DYADIC + " + 1/1024"]) == 1


# ------------------------------------------------------------------ real clients
@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript-exporter", "dynamo"])
def test_hand_built_torch_transformer_is_proved_and_a_mutation_refuted(tmp_path, capsys,
                                                                       dynamo):
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    if dynamo:
        pytest.importorskip("onnxscript", reason="torch's dynamo ONNX exporter needs "
                                                 "onnxscript, which is not installed")
    module = torch_transformer()
    path = str(tmp_path / "hand.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            export_torch(module, path, dynamo=dynamo)
        except Exception as exc:  # pragma: no cover - an exporter this torch lacks
            pytest.skip(f"torch.onnx.export(dynamo={dynamo}) is unavailable: {exc}")
    code, out, err = run_cli(capsys, ["check-model", path, "--claim", POLY, "--vars", "x,y"])
    assert code == 0, err
    assert "softmax" in out and "keys at -inf" in out
    with torch.no_grad():
        module.block1.o.weight[2, 0] += 2.0 ** -20  # one weight
    mutated = str(tmp_path / "mutated.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_torch(module, mutated, dynamo=dynamo)
    code, out, _ = run_cli(capsys, ["check-model", mutated, "--claim", POLY, "--vars", "x,y"])
    assert code == 1 and "REFUTED" in out


def test_additive_minus_1e9_mask_is_not_proved(tmp_path, capsys):
    pytest.importorskip("torch", reason=TORCH_REASON)
    path = str(tmp_path / "additive.onnx")
    module = torch_transformer("additive")
    X = np.random.default_rng(3).uniform(-1, 1, (16, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_torch(module, path)
    want = [1 + 2 * a - 3 * b + a * a / 2 + 5 * a * b - b * b / 4 for a, b in X]
    assert np.allclose(ort_run(path, X), want, atol=1e-9)  # numerically it is the poly
    err = one_line_error(*run_cli(capsys, ["check-model", path, "--claim", POLY,
                                           "--vars", "x,y"]))
    assert "(Softmax)" in err and "not exactly derivable" in err and "-1e9" in err


def test_onnx_helper_graph_is_proved_and_mutation_refuted(tmp_path, capsys):
    path = save(tmp_path, helper_graph())
    assert main(["check-model", path, "--claim", HELPER_POLY, "--vars", "a,b"]) == 0
    capsys.readouterr()
    mutated = save(tmp_path, helper_graph(weight=0.5 + 2.0 ** -40), "mut.onnx")
    code, out, _ = run_cli(capsys, ["check-model", mutated, "--claim", HELPER_POLY,
                                    "--vars", "a,b"])
    assert code == 1 and "coefficient of" in out
    # default column names x1..xd
    assert main(["check-model", path, "--claim", "x1**2 + x1*x2 + x2**2/2 + 1"]) == 0


@pytest.mark.parametrize("op", ["LayerNormalization", "Gelu", "Erf", "Tanh", "Sigmoid",
                                "Exp"])
def test_non_polynomial_operators_are_refused_naming_the_node(tmp_path, capsys, op):
    model = helper_graph(extra_node=op, opset=20 if op == "Gelu" else 17)
    err = one_line_error(*run_cli(capsys, ["check-model", save(tmp_path, model),
                                           "--claim", "a", "--vars", "a,b"]))
    assert f"({op})" in err and ("ln_1" in err or "act_1" in err)


def test_relu_needs_a_box_and_is_decided_on_one(tmp_path, capsys):
    # Relu(a^2 + ...) of the helper graph: squares are >= 0, certified on the box
    model = helper_graph(extra_node="Relu")
    path = save(tmp_path, model)
    err = one_line_error(*run_cli(capsys, ["check-model", path, "--claim", HELPER_POLY,
                                           "--vars", "a,b"]))
    assert "(Relu)" in err and "--domain" in err
    # h = x W: (a, a + b); on [0,1]^2 both squares' arguments have a certified sign
    code, out, _ = run_cli(capsys, ["check-model", path, "--claim", HELPER_POLY,
                                    "--vars", "a,b", "--domain", "[0,1]^2"])
    assert code == 0 and "exact on a box" in out


def _graph(nodes, inits, in_shape=("batch", 2), out_shape=("batch",), opset=17,
           inputs=None):
    graph = helper.make_graph(
        nodes, "g", inputs or [helper.make_tensor_value_info("x", TensorProto.DOUBLE,
                                                             list(in_shape))],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, list(out_shape))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _arr(name, value, dtype=np.float64):
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def test_a_graph_that_mixes_rows_is_refuted_at_batch_two(tmp_path, capsys):
    # y = sum over the batch of x[:, 0]: at batch 1 it is x1, at batch 2 it is not
    nodes = [helper.make_node("Gather", ["x", "i0"], ["c"], axis=1, name="col"),
             helper.make_node("ReduceSum", ["c", "ax0"], ["s"], keepdims=1, name="batch_sum"),
             helper.make_node("Expand", ["s", "shape"], ["y"], name="spread")]
    shape = helper.make_node("Shape", ["x"], ["xs"], name="shape_of_x", end=1)
    model = _graph([shape] + nodes[:2] + [helper.make_node("Expand", ["s", "xs"], ["y"],
                                                           name="spread")],
                   [_arr("i0", 0, np.int64), _arr("ax0", [0], np.int64)])
    code, out, _ = run_cli(capsys, ["check-model", save(tmp_path, model), "--claim", "x1"])
    assert code == 1 and "batch of 2" in out


def test_gemm_slice_concat_split_where_and_shape_constants(tmp_path, capsys):
    """A graph of the other supported operators: y = 2*(a + 3b/4) + 1/2 + a*b."""
    nodes = [
        helper.make_node("Gemm", ["x", "W", "bias"], ["g"], alpha=2.0, beta=1.0, name="gemm"),
        helper.make_node("Split", ["x", "sizes"], ["a", "b"], axis=1, name="split"),
        helper.make_node("Mul", ["a", "b"], ["ab"], name="ab"),
        helper.make_node("Concat", ["g", "ab"], ["cat"], axis=1, name="cat"),
        helper.make_node("Slice", ["cat", "st", "en", "axs"], ["sl"], name="slice"),
        helper.make_node("Where", ["cond", "sl", "zero"], ["w"], name="where"),
        helper.make_node("Shape", ["x"], ["sh"], name="shape"),
        helper.make_node("ReduceSum", ["w", "one"], ["r"], keepdims=0, name="sum"),
        helper.make_node("Div", ["r", "den"], ["y"], name="div"),
    ]
    model = _graph(nodes, [_arr("W", [[1.0], [0.75]]), _arr("bias", [0.5]),
                           _arr("sizes", [1, 1], np.int64), _arr("st", [0], np.int64),
                           _arr("en", [2], np.int64), _arr("axs", [1], np.int64),
                           _arr("cond", [[True, True]], np.bool_), _arr("zero", 0.0),
                           _arr("one", [1], np.int64), _arr("den", 1.0)])
    path = save(tmp_path, model)
    claim = "2*a + 3*b/2 + 1/2 + a*b"
    assert main(["check-model", path, "--claim", claim, "--vars", "a,b"]) == 0
    X = np.random.default_rng(4).uniform(-1, 1, (8, 2))
    want = 2 * X[:, 0] + 1.5 * X[:, 1] + 0.5 + X[:, 0] * X[:, 1]
    assert np.allclose(ort_run(path, X), want)


# ------------------------------------------------------------------ bad input
def _base_nodes():
    return [helper.make_node("MatMul", ["x", "W"], ["h"], name="proj"),
            helper.make_node("ReduceSum", ["h", "ax"], ["y"], keepdims=0, name="sum")]


def _base_inits(w=((1.0, 0.0), (0.0, 1.0))):
    return [_arr("W", w), _arr("ax", [1], np.int64)]


BAD = {
    "malformed protobuf": lambda: b"\x08\x07\x12\xff\xff\xff\xff\x0f garbage",
    "random bytes": lambda: bytes(random.Random(5).randrange(256) for _ in range(4000)),
    "empty file": lambda: b"",
    "missing initializer": lambda: _graph(_base_nodes(), [_arr("ax", [1], np.int64)]),
    "cycle": lambda: _graph([helper.make_node("Add", ["x", "z"], ["h"], name="a"),
                             helper.make_node("Identity", ["h"], ["z"], name="b"),
                             helper.make_node("ReduceSum", ["h", "ax"], ["y"], keepdims=0,
                                              name="sum")], [_arr("ax", [1], np.int64)]),
    "disagreeing shapes": lambda: _graph(_base_nodes(), _base_inits(((1.0, 0.0),) * 3)),
    "two inputs": lambda: _graph(_base_nodes(), _base_inits(), inputs=[
        helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["batch", 2]),
        helper.make_tensor_value_info("x2", TensorProto.DOUBLE, ["batch", 2])]),
    "output of two values per row": lambda: _graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="proj")], _base_inits()),
    "NaN weight": lambda: _graph(_base_nodes(), _base_inits(((np.nan, 0.0), (0.0, 1.0)))),
    "string tensor": lambda: _graph(_base_nodes(), [helper.make_tensor(
        "W", TensorProto.STRING, [1], [b"a"]), _arr("ax", [1], np.int64)]),
    "custom domain": lambda: _custom_domain(),
    "input cast to integers": lambda: _graph(
        [helper.make_node("Cast", ["x"], ["xi"], to=TensorProto.INT64, name="to_int"),
         helper.make_node("Reshape", ["x", "xi"], ["r"], name="reshape"),
         helper.make_node("ReduceSum", ["r", "ax"], ["y"], keepdims=0, name="sum")],
        [_arr("ax", [1], np.int64)]),
    "data-dependent shape": lambda: _graph(
        [helper.make_node("Reshape", ["x", "x"], ["r"], name="reshape"),
         helper.make_node("ReduceSum", ["r", "ax"], ["y"], keepdims=0, name="sum")],
        [_arr("ax", [1], np.int64)]),
    "input-dependent where": lambda: _graph(
        [helper.make_node("Less", ["x", "zero"], ["c"], name="less"),
         helper.make_node("Where", ["c", "x", "zero"], ["w"], name="where"),
         helper.make_node("ReduceSum", ["w", "ax"], ["y"], keepdims=0, name="sum")],
        [_arr("zero", 0.0), _arr("ax", [1], np.int64)]),
    "division by the input": lambda: _graph(
        [helper.make_node("Div", ["x", "x"], ["q"], name="div"),
         helper.make_node("ReduceSum", ["q", "ax"], ["y"], keepdims=0, name="sum")],
        [_arr("ax", [1], np.int64)]),
    "narrowing cast of the input": lambda: _graph(
        [helper.make_node("Cast", ["x"], ["h"], to=TensorProto.FLOAT16, name="half"),
         helper.make_node("Cast", ["h"], ["x64"], to=TensorProto.DOUBLE, name="back"),
         helper.make_node("ReduceSum", ["x64", "ax"], ["y"], keepdims=0, name="sum")],
        [_arr("ax", [1], np.int64)]),
}


def _custom_domain():
    m = _graph([helper.make_node("Fancy", ["x"], ["h"], domain="com.example", name="f"),
                helper.make_node("ReduceSum", ["h", "ax"], ["y"], keepdims=0, name="sum")],
               [_arr("ax", [1], np.int64)])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    return m


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_graphs_exit_2_with_one_line(tmp_path, capsys, case):
    path = save(tmp_path, BAD[case]())
    err = one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "x1 + x2"]))
    assert "Traceback" not in err


def test_errors_name_the_node_and_the_defect(tmp_path, capsys):
    cases = {"missing initializer": "'W', which no initializer",
             "cycle": "cycle", "disagreeing shapes": "node 'proj' (MatMul)",
             "data-dependent shape": "depends on the input",
             "input-dependent where": "(Less): compares values that depend on the input", "narrowing cast of the input": "rounds"}
    for case, text in cases.items():
        err = one_line_error(*run_cli(capsys, ["check-model", save(tmp_path, BAD[case]()),
                                               "--claim", "x1 + x2"]))
        assert text in err, (case, err)


def _external(tmp_path, location: str):
    model = _graph(_base_nodes(), [_arr("ax", [1], np.int64)])
    t = model.graph.initializer.add()
    t.name, t.data_type = "W", TensorProto.DOUBLE
    t.dims.extend([2, 2])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "32")):
        e = t.external_data.add()
        e.key, e.value = k, v
    return save(tmp_path, model)


@pytest.mark.parametrize("location", ["../outside.bin", "/etc/passwd", "sub/../../out.bin"])
def test_external_data_outside_the_folder_is_refused(tmp_path, capsys, location):
    (tmp_path / "model").mkdir()
    (tmp_path / "outside.bin").write_bytes(np.eye(2).tobytes())
    path = _external(tmp_path / "model", location)
    err = one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "x1 + x2"]))
    assert "external data" in err


def test_external_data_inside_the_folder_is_read_exactly(tmp_path, capsys):
    (tmp_path / "w.bin").write_bytes(np.array([[1.0, 0.0], [0.0, 0.5]]).tobytes())
    path = _external(tmp_path, "w.bin")
    assert main(["check-model", path, "--claim", "x1 + x2/2"]) == 0
    capsys.readouterr()
    os.symlink("/etc/hostname", tmp_path / "link.bin")
    path = _external(tmp_path, "link.bin")
    one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "x1 + x2/2"]))


def _many_nodes(count: int) -> bytes:
    """A ModelProto with ``count`` Identity nodes, assembled from protobuf bytes."""
    base = _graph([helper.make_node("Identity", ["x"], ["y"], name="i")], [],
                  out_shape=("batch", 2))
    node = helper.make_node("Identity", ["x"], ["y"]).SerializeToString()
    one = b"\x0a" + _varint(len(node)) + node  # GraphProto.node = field 1
    graph = base.graph.SerializeToString() + one * count
    rest = base.SerializeToString().replace(b"\x3a" + _varint(len(base.graph.SerializeToString()))
                                            + base.graph.SerializeToString(), b"")
    return rest + b"\x3a" + _varint(len(graph)) + graph  # ModelProto.graph = field 7


def _varint(n: int) -> bytes:
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def test_a_million_node_graph_hits_the_limit(tmp_path, capsys):
    path = save(tmp_path, _many_nodes(10**6))
    err = one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "x1"]), codes=(3,))
    assert "nodes" in err


def test_huge_tensors_and_timeouts_are_limits(tmp_path, capsys):
    model = _graph([helper.make_node("ConstantOfShape", ["shape"], ["big"], name="big"),
                    helper.make_node("Add", ["x", "big"], ["y"], name="add")],
                   [_arr("shape", [10**6, 10**6], np.int64)])
    err = one_line_error(*run_cli(capsys, ["check-model", save(tmp_path, model), "--claim",
                                           "x1"]), codes=(3,))
    assert "(ConstantOfShape)" in err
    code, out, err = run_cli(capsys, ["check-model", save(tmp_path, helper_graph(), "h.onnx"),
                                      "--claim", HELPER_POLY, "--vars", "a,b",
                                      "--max-cells", "2"])
    one_line_error(code, out, err, codes=(3,))
    path = str(tmp_path / "big.onnx")
    assert main(["export-model", "(x + y + z + 1)**6", "--onnx", path]) == 0
    capsys.readouterr()
    one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "x", "--vars", "x,y,z",
                                     "--timeout", "0.05"]), codes=(3,))


def test_vars_go_through_the_one_name_rule(tmp_path, capsys):
    path = save(tmp_path, helper_graph())
    for argv in (["--vars", "a"], ["--vars", "a,pi"], ["--vars", "a,a"],
                 ["--vars", "a,b", "--params", "a"], ["--vars", "a,\u0445"]):
        one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "a", *argv]))
    one_line_error(*run_cli(capsys, ["check-model", path, "--claim", "a", "--vars", "a,b",
                                     "--rung", "schwartz-zippel"]))


# ------------------------------------------------------------------ property and oracle
TERMS = st.dictionaries(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                        st.integers(-64, 64).map(lambda k: Fraction(k, 16)), min_size=1,
                        max_size=5)


def _text(terms) -> str:
    return " + ".join(f"({c})*x**{i}*y**{j}" for (i, j), c in sorted(terms.items())) or "0"


@settings(max_examples=12)
@given(terms=TERMS, construction=st.sampled_from(CONSTRUCTIONS),
       bump=st.tuples(st.integers(0, 2), st.integers(0, 2)))
def test_random_targets_round_trip_through_onnx(terms, construction, bump):
    from exactformer import api
    text = _text(terms)
    result = api.prove(text, variables="x,y", construction=construction, degree=4)
    assert result.proved
    graph = read_graph(onnx_model(result.model).SerializeToString())
    assert check_graph(graph, text, variables="x,y").proved
    other = dict(terms)
    other[bump] = other.get(bump, Fraction(0)) + Fraction(1, 32)
    assert not check_graph(graph, _text(other), variables="x,y").proved


def _random_graph(rng: random.Random, d: int):
    """A random graph of supported operators with dyadic weights, input [1, d]."""
    inits, nodes = [], []
    k = rng.randint(1, 3)
    W = np.array([[rng.randint(-8, 8) / 4 for _ in range(k)] for _ in range(d)])
    inits.append(_arr("W0", W))
    nodes.append(helper.make_node("MatMul", ["x", "W0"], ["h0"], name="n0"))
    cur = "h0"
    for i in range(1, rng.randint(2, 6)):
        op = rng.choice(["Add", "Mul", "Sub", "MulSelf", "Neg", "Transpose2", "Pow", "Relu0"])
        out = f"h{i}"
        if op in ("Add", "Mul", "Sub"):
            inits.append(_arr(f"c{i}", [rng.randint(-8, 8) / 8 for _ in range(k)]))
            nodes.append(helper.make_node(op, [cur, f"c{i}"], [out], name=f"n{i}"))
        elif op == "MulSelf":
            nodes.append(helper.make_node("Mul", [cur, cur], [out], name=f"n{i}"))
        elif op == "Neg":
            nodes.append(helper.make_node("Neg", [cur], [out], name=f"n{i}"))
        elif op == "Pow":
            inits.append(_arr(f"e{i}", 2.0))
            nodes.append(helper.make_node("Pow", [cur, f"e{i}"], [out], name=f"n{i}"))
        elif op == "Relu0":  # relu of constants of both signs, then masked by Where
            inits.append(_arr(f"c{i}", [rng.randint(-8, 8) / 8 for _ in range(k)]))
            inits.append(_arr(f"m{i}", [rng.random() < 0.5 for _ in range(k)], np.bool_))
            nodes.append(helper.make_node("Relu", [f"c{i}"], [out + "r"], name=f"n{i}r"))
            nodes.append(helper.make_node("Where", [f"m{i}", cur, out + "r"], [out + "w"],
                                          name=f"n{i}w"))
            nodes.append(helper.make_node("Add", [out + "w", cur], [out], name=f"n{i}"))
        else:  # [1, k] -> [k, 1] -> [1, k]
            nodes.append(helper.make_node("Transpose", [cur], [out + "t"], name=f"n{i}t"))
            nodes.append(helper.make_node("Transpose", [out + "t"], [out], name=f"n{i}"))
        cur = out
    inits.append(_arr("axes", [1], np.int64))
    nodes.append(helper.make_node("ReduceMean", [cur, "axes"], ["y"], keepdims=0,
                                  name="mean"))
    return _graph(nodes, inits, in_shape=("batch", d), opset=18)


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 3))
def test_interpreter_agrees_with_onnxruntime_on_random_graphs(seed, d):
    """Differential: the exact output polynomial at float points vs onnxruntime."""
    pytest.importorskip("onnxruntime", reason=ORT_REASON)
    rng = random.Random(seed)
    model = _random_graph(rng, d)
    onnx.checker.check_model(model)
    graph = read_graph(model.SerializeToString())
    names = tuple(f"x{i + 1}" for i in range(d))
    p = run_graph(graph, make_context(names), 1)[0]
    X = np.array([[rng.randint(-64, 64) / 64 for _ in range(d)] for _ in range(6)])
    got = ort_run(model, X)
    for row, y in zip(X, got):
        exact = float(poly_at(p, [Fraction(v) for v in row]))
        assert abs(y - exact) <= 1e-9 * max(1.0, abs(exact)), (seed, exact, y)


def test_torch_transformer_agrees_with_onnxruntime(tmp_path):
    pytest.importorskip("torch", reason=TORCH_REASON)
    path = str(tmp_path / "hand.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_torch(torch_transformer(), path)
    model = onnx.load(path)
    p = exact_outputs(model, ("x", "y"))
    X = np.random.default_rng(6).uniform(-1, 1, (20, 2))
    for row, y in zip(X, ort_run(path, X)):
        assert abs(float(poly_at(p, [Fraction(v) for v in row])) - y) <= 1e-9


def test_mutated_bytes_never_crash_and_never_prove_what_onnxruntime_contradicts(tmp_path,
                                                                                 capsys):
    """Random byte edits of an export: exit 0/1/2/3 only, one line on errors; a mutant
    that is still proved computes the claim in onnxruntime too (an independent oracle)."""
    ort = pytest.importorskip("onnxruntime", reason=ORT_REASON)
    path = str(tmp_path / "m.onnx")
    assert main(["export-model", DYADIC, "--construction", "softmax", "--onnx", path]) == 0
    capsys.readouterr()
    data = open(path, "rb").read()
    rng = random.Random(11)
    X = np.random.default_rng(12).uniform(-1, 1, (16, 2))
    want = 3 * X[:, 0] ** 2 * X[:, 1] - X[:, 1] / 8 + 2
    proved = 0
    for _ in range(120):
        b = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        mutant = save(tmp_path, bytes(b), "mutant.onnx")
        code, out, err = run_cli(capsys, ["check-model", mutant, "--claim", DYADIC,
                                          "--vars", "x,y", "--timeout", "60"])
        assert code in (0, 1, 2, 3), err
        if code in (2, 3):
            one_line_error(code, out, err, codes=(2, 3))
        if code == 0:
            proved += 1
            try:
                session = ort.InferenceSession(bytes(b), providers=["CPUExecutionProvider"])
            except Exception:  # onnxruntime refuses it (e.g. an IR version it lacks)
                continue
            y = session.run(None, {session.get_inputs()[0].name: X})[0]
            assert np.allclose(y.reshape(-1), want, atol=1e-9)
    assert proved < 120  # the edits did change verdicts


def test_torchscript_with_other_code_is_refused(tmp_path, capsys):
    """Same tensors and config, but a forward that adds 1: the code is checked too."""
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    import json
    from exactformer import api
    from exactformer.floats import float_model_from_model
    from exactformer.formats.torchscript import (TORCH_FORMAT, TORCHSCRIPT_CONFIG, _shapes,
                                                 torch_module)
    fm = float_model_from_model(api.prove(DYADIC).model)
    module = torch_module(fm).eval()
    plain = module.forward
    module.forward = lambda x: plain(x) + 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(module, torch.zeros(2, 2, dtype=torch.float64),
                                 check_trace=False)
    extra = json.dumps({"format": TORCH_FORMAT, "config": fm.config(), "shapes": _shapes(fm)})
    path = str(tmp_path / "other.pt")
    torch.jit.save(traced, path, _extra_files={TORCHSCRIPT_CONFIG: extra})
    err = one_line_error(*run_cli(capsys, ["check-model", path, "--claim", DYADIC]))
    assert "code is not exactformer's" in err


def test_documented_transformerlens_and_tracr_style_refusals(tmp_path, capsys):
    """docs/onnx.md quotes these messages: LayerNorm, then the causal softmax, then
    GELU (Erf at opset 17, Gelu at 20); tracr-style hard attention at the softmax."""
    import runpy
    import sys
    docs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                        "onnx_examples")
    argv = sys.argv
    try:
        sys.argv = ["tracr_style.py", str(tmp_path)]
        runpy.run_path(os.path.join(docs, "tracr_style.py"), run_name="__main__")
        expected = {"tracr_style": "node 'attn_softmax' (Softmax)"}
        try:
            import torch  # noqa: F401
        except ImportError:
            torch = None
        if torch is not None:
            sys.argv = ["tl_style.py", str(tmp_path)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                runpy.run_path(os.path.join(docs, "tl_style.py"), run_name="__main__")
            expected.update({"tl_block": "node '/ln1/LayerNormalization' (LayerNormalization)",
                             "tl_no_layernorm": "node '/Softmax' (Softmax)",
                             "tl_one_key": "node '/mlp/mlp.1/Erf' (Erf)",
                             "tl_one_key_opset20": "node '/mlp/mlp.1/Gelu' (Gelu)"})
    finally:
        sys.argv = argv
    for name, text in expected.items():
        err = one_line_error(*run_cli(capsys, ["check-model", str(tmp_path / f"{name}.onnx"),
                                               "--claim", "x1 + x2"]))
        assert text in err, (name, err)


def _opset_graph(opset: int):
    """Unsqueeze, Squeeze, ReduceSum, Split, Softmax and Flatten, written the way the
    given opset wants them (axes and sizes as attributes before 13, inputs from 13)."""
    as_input = opset >= 13
    inits = [_arr("W", [[1.0, 0.5], [0.25, -1.0]]), _arr("half", 0.5)]
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"], name="proj")]  # [b, 2]

    def axes_node(op, inputs, out, axes, **kw):
        if as_input:
            name = f"{out}_axes"
            inits.append(_arr(name, axes, np.int64))
            return helper.make_node(op, inputs + [name], [out], name=out, **kw)
        return helper.make_node(op, inputs, [out], name=out, axes=axes, **kw)

    nodes.append(axes_node("Unsqueeze", ["h"], "u", [1]))                    # [b, 1, 2]
    nodes.append(helper.make_node("Flatten", ["u"], ["f"], axis=1, name="f"))  # [b, 2]
    if as_input:
        inits.append(_arr("sizes", [1, 1], np.int64))
        nodes.append(helper.make_node("Split", ["f", "sizes"], ["p", "q"], axis=1, name="sp"))
    else:
        nodes.append(helper.make_node("Split", ["f"], ["p", "q"], axis=1, split=[1, 1],
                                      name="sp"))
    nodes.append(helper.make_node("Mul", ["p", "q"], ["pq"], name="pq"))     # [b, 1]
    # softmax over a row of two equal scores: weights 1/2 exactly, at every opset
    nodes.append(helper.make_node("Concat", ["pq", "pq"], ["pp"], axis=1, name="pp"))
    nodes.append(helper.make_node("Softmax", ["pp"], ["w"], axis=1, name="sm"))
    nodes.append(helper.make_node("Mul", ["w", "pp"], ["wp"], name="wp"))    # [b, 2]
    nodes.append(axes_node("ReduceSum", ["wp"], "r", [1], keepdims=1))        # [b, 1]
    nodes.append(axes_node("Squeeze", ["r"], "sq", [1]))                      # [b]
    nodes.append(helper.make_node("Add", ["sq", "half"], ["y"], name="y"))
    return _graph(nodes, inits, opset=opset)


@pytest.mark.parametrize("opset", [11, 13, 17])
def test_opset_dependent_forms_agree_with_onnxruntime(opset):
    model = _opset_graph(opset)
    onnx.checker.check_model(model)
    # p = a + b/4, q = a/2 - b; y = p*q + 1/2
    claim = "(a + b/4)*(a/2 - b) + 1/2"
    assert check_graph(read_graph(model.SerializeToString()), claim, variables="a,b").proved
    p = exact_outputs(model, ("a", "b"))
    X = np.random.default_rng(opset).uniform(-1, 1, (10, 2))
    for row, y in zip(X, ort_run(model, X)):
        assert abs(float(poly_at(p, [Fraction(v) for v in row])) - y) <= 1e-12
