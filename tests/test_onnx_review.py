"""ONNX interpreter review: floats never reach the polynomial ring as numpy scalars,
integer casts wrap as ONNX says, integer overflow and out-of-range float-to-integer
casts are refused, float tensors keep their real type (a narrowing Cast is checked),
negative-step Slice clamps as the spec says, and the interpreter's own bugs are
internal errors (exit 4), never "inputs do not fit". onnxruntime is the oracle."""
from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from exactformer.cli import main

onnx = pytest.importorskip("onnx", reason="onnx is an optional extra; not installed")
from onnx import TensorProto as T, helper, numpy_helper  # noqa: E402

from exactformer.formats.onnx import interpret  # noqa: E402
from exactformer.formats.onnx.interpret import make_context, run_graph  # noqa: E402
from exactformer.formats.onnx.read import read_graph  # noqa: E402
from onnx_support import poly_at  # noqa: E402

DOUBLE = T.DOUBLE


def _model(nodes, inits, d=2, opset=17, out_type=DOUBLE, out_shape=("batch",)):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", DOUBLE, ["batch", d])],
        [helper.make_tensor_value_info("y", out_type, list(out_shape))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _arr(name, value, dtype=np.int64):
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def _x1():
    return helper.make_node("Gather", ["x", "zero"], ["x1"], axis=1)


def _check(tmp_path, capsys, model, claim, name="m.onnx"):
    path = str(tmp_path / name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    code = main(["check-model", path, "--claim", claim])
    got = capsys.readouterr()
    return code, got.err


def _ort(model, X):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, {"x": np.asarray(X, dtype=np.float64)})[0]


def _exact_row(model, d=2):
    graph = read_graph(model.SerializeToString())
    return run_graph(graph, make_context(tuple(f"x{i + 1}" for i in range(d))), 1)[0]


# ------------------------------------------------------------------ C2 numpy scalars
def _gather_const(w):
    # y = Gather(w, 0-d index 0) + x1: np.take with a 0-d index returns a numpy scalar
    return _model([helper.make_node("Gather", ["w", "zero"], ["c"], axis=0), _x1(),
                   helper.make_node("Add", ["c", "x1"], ["y"])],
                  [_arr("zero", 0), _arr("w", w, np.float64)])


def test_gathered_float_scalar_is_read_exactly_not_reconstructed(tmp_path, capsys):
    model = _gather_const([0.1, 0.3])
    code, err = _check(tmp_path, capsys, model, "x1 + 1/10")
    assert code == 1, err  # 0.1 is not 1/10
    f = Fraction(0.1)
    code, err = _check(tmp_path, capsys, model, f"x1 + {f.numerator}/{f.denominator}")
    assert code == 0, err
    # differential: onnxruntime's double result at x1 = 0.5 is the exact value rounded
    p = _exact_row(model)
    assert float(poly_at(p, (0.5, 0.75))) == _ort(model, [[0.5, 0.75]])[0]


@settings(max_examples=40, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_any_gathered_double_is_its_dyadic_value(w):
    p = _exact_row(_gather_const([w, 1.0]))
    assert poly_at(p, (0, 0)) == Fraction(w)


def test_a_rule_output_is_always_an_array_of_exact_elements():
    ctx = make_context(("x1",))
    a = interpret._as_array(ctx, np.float64(0.1))
    assert isinstance(a, np.ndarray) and a.dtype == np.float64
    obj = np.empty(2, dtype=object)
    obj[0], obj[1] = np.float64(0.1), ctx.domain.variable(0)
    out = interpret._as_array(ctx, obj)
    assert out[0] == ctx.const(Fraction(0.1)) and out[0] != ctx.const(Fraction(1, 10))
    assert out[1] == ctx.domain.variable(0)


# ------------------------------------------------------------------ C3 integer casts
INT_TARGETS = {T.INT8: np.int8, T.UINT8: np.uint8, T.INT16: np.int16, T.UINT16: np.uint16,
               T.INT32: np.int32, T.UINT32: np.uint32, T.INT64: np.int64,
               T.UINT64: np.uint64}
VALUES = (300, -1, 127, 128, -129, 65541, -32769, 2 ** 31, -2 ** 31 - 1, 2 ** 32 + 7, -5)


def _ort_int_cast(value, to):
    """onnxruntime's Cast(int64 value -> to), the oracle for the wrap."""
    model = _model([helper.make_node("Cast", ["c"], ["y"], to=to),
                    helper.make_node("Identity", ["x"], ["unused"])],
                   [_arr("c", value)], out_type=to, out_shape=())
    return int(_ort(model, [[0.0, 0.0]]))


@pytest.mark.parametrize("to", sorted(INT_TARGETS))
def test_integer_cast_wraps_like_onnxruntime(tmp_path, capsys, to):
    for value in VALUES:
        want = _ort_int_cast(value, to)
        assert want == int(np.array(value).astype(INT_TARGETS[to]))  # two's complement
        model = _model([helper.make_node("Cast", ["c"], ["c8"], to=to),
                        helper.make_node("Cast", ["c8"], ["cf"], to=DOUBLE), _x1(),
                        helper.make_node("Add", ["x1", "cf"], ["y"])],
                       [_arr("zero", 0), _arr("c", value)])
        code, err = _check(tmp_path, capsys, model, f"x1 + ({want})")
        if want >= 2 ** 63:  # a UINT64 beyond int64: refused, never a wrong value
            assert code == 2 and "Cast" in err, (value, to, err)
            continue
        assert code == 0, (value, to, err)
        if want != value:
            code, err = _check(tmp_path, capsys, model, f"x1 + ({value})")
            assert code == 1, (value, to, err)


def test_cast_to_bool_is_nonzero(tmp_path, capsys):
    model = _model([helper.make_node("Cast", ["c"], ["b"], to=T.BOOL),
                    helper.make_node("Cast", ["b"], ["cf"], to=DOUBLE), _x1(),
                    helper.make_node("Add", ["x1", "cf"], ["y"])],
                   [_arr("zero", 0), _arr("c", 256)])
    assert float(_ort(model, [[0.5, 0.0]])[0]) == 1.5
    assert _check(tmp_path, capsys, model, "x1 + 1")[0] == 0
    assert _check(tmp_path, capsys, model, "x1")[0] == 1


# ------------------------------------------------------------------ H1 out of range
@pytest.mark.parametrize("value,to", [(300.0, T.INT8), (-1.0, T.UINT8), (2.0 ** 31, T.INT32),
                                      (1e30, T.INT64)])
def test_float_to_integer_cast_out_of_range_is_refused(tmp_path, capsys, value, to):
    model = _model([helper.make_node("Cast", ["w"], ["c8"], to=to),
                    helper.make_node("Cast", ["c8"], ["cf"], to=DOUBLE), _x1(),
                    helper.make_node("Add", ["x1", "cf"], ["y"])],
                   [_arr("zero", 0), _arr("w", value, np.float64)])
    code, err = _check(tmp_path, capsys, model, f"x1 + {int(value)}")
    assert code == 2 and "Cast" in err and "range" in err, err


def test_float_to_integer_cast_in_range_is_exact(tmp_path, capsys):
    model = _model([helper.make_node("Cast", ["w"], ["c8"], to=T.INT8),
                    helper.make_node("Cast", ["c8"], ["cf"], to=DOUBLE), _x1(),
                    helper.make_node("Add", ["x1", "cf"], ["y"])],
                   [_arr("zero", 0), _arr("w", -128.0, np.float64)])
    assert _check(tmp_path, capsys, model, "x1 - 128")[0] == 0
    assert _check(tmp_path, capsys, model, "x1 + 128")[0] == 1


@pytest.mark.parametrize("op,a,b,dtype", [
    ("Add", 2 ** 31 - 1, 1, np.int32), ("Mul", 100, 2, np.int8), ("Sub", 0, 1, np.uint8),
    ("Mul", 2 ** 62, 4, np.int64), ("Add", 2 ** 63 - 1, 1, np.int64)])
def test_integer_overflow_is_refused(tmp_path, capsys, op, a, b, dtype):
    model = _model([helper.make_node(op, ["a", "b"], ["s"]),
                    helper.make_node("Cast", ["s"], ["cf"], to=DOUBLE), _x1(),
                    helper.make_node("Add", ["x1", "cf"], ["y"])],
                   [_arr("zero", 0), _arr("a", a, dtype), _arr("b", b, dtype)])
    exact = {"Add": a + b, "Sub": a - b, "Mul": a * b}[op]
    wrapped = int(np.array(exact, dtype=object).astype(np.int64).astype(dtype)) \
        if abs(exact) < 2 ** 63 else 0
    for claim in (f"x1 + ({exact})", f"x1 + ({wrapped})"):
        code, err = _check(tmp_path, capsys, model, claim)
        assert code == 2 and op in err and "range" in err, (claim, err)


def test_integer_arithmetic_in_range_is_exact(tmp_path, capsys):
    model = _model([helper.make_node("Mul", ["a", "b"], ["s"]),
                    helper.make_node("Cast", ["s"], ["cf"], to=DOUBLE), _x1(),
                    helper.make_node("Add", ["x1", "cf"], ["y"])],
                   [_arr("zero", 0), _arr("a", 10, np.int8), _arr("b", -12, np.int8)])
    assert float(_ort(model, [[0.0, 0.0]])[0]) == -120
    assert _check(tmp_path, capsys, model, "x1 - 120")[0] == 0
    assert _check(tmp_path, capsys, model, "x1 - 121")[0] == 1


# ------------------------------------------------------------------ C4 float types
def _cos(value, cast_to, shape_in=DOUBLE):
    return _model([helper.make_node("ConstantOfShape", ["shp"], ["c"],
                                    value=numpy_helper.from_array(np.array([value]), "v")),
                   helper.make_node("Cast", ["c"], ["cf"], to=cast_to),
                   helper.make_node("Cast", ["cf"], ["cd"], to=shape_in), _x1(),
                   helper.make_node("Mul", ["x1", "cd"], ["y"])],
                  [_arr("zero", 0), _arr("shp", [1])], out_shape=("batch", 1))


def test_constant_of_shape_double_then_float_cast_is_refused(tmp_path, capsys):
    model = _cos(0.1, T.FLOAT)
    ort_value = float(_ort(model, [[1.0, 0.0]]).reshape(-1)[0])
    assert ort_value == float(np.float32(0.1)) != 0.1  # onnxruntime rounds
    f = Fraction(0.1)
    code, err = _check(tmp_path, capsys, model, f"x1 * {f.numerator}/{f.denominator}")
    assert code == 2 and "Cast" in err and "narrower" in err, err


def test_constant_of_shape_double_keeps_exact_values(tmp_path, capsys):
    model = _cos(0.5, T.FLOAT)  # 0.5 is a float32: the narrowing cast does not round
    assert _check(tmp_path, capsys, model, "x1 / 2")[0] == 0
    assert _check(tmp_path, capsys, model, "x1 / 3")[0] == 1
    model = _cos(0.1, DOUBLE)  # no narrowing: the double 0.1 exactly
    f = Fraction(0.1)
    assert _check(tmp_path, capsys, model, f"x1 * {f.numerator}/{f.denominator}")[0] == 0


# ------------------------------------------------------------------ C5 Slice
STARTS = (-100, -6, -5, -2, -1, 0, 2, 4, 100)
ENDS = (-100, -6, -5, -1, 0, 3, 100)


def _slice_sum(d, start, end, step):
    return _model([helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["s"]),
                   helper.make_node("ReduceSum", ["s", "ax"], ["y"], keepdims=0)],
                  [_arr("st", [start]), _arr("en", [end]), _arr("ax", [1]),
                   _arr("sp", [step])], d=d)


def test_negative_step_slice_agrees_with_onnxruntime():
    seen = set()
    for d in range(1, 6):
        point = [2 ** i for i in range(d)]  # the sum names the selected columns
        for start, end, step in itertools.product(STARTS, ENDS, (-1, -2, 1, 2)):
            model = _slice_sum(d, start, end, step)
            want = int(_ort(model, [point])[0])
            got = poly_at(_exact_row(model, d), point)
            assert got == want, (d, start, end, step, got, want)
            seen.add(want)
    assert len(seen) > 10


def test_slice_far_below_minus_dim_with_negative_step_keeps_column_zero(tmp_path, capsys):
    model = _slice_sum(2, -100, -100, -1)  # start clamps to 0, end to -1: column 0
    assert float(_ort(model, [[0.5, 0.75]])[0]) == 0.5
    assert _check(tmp_path, capsys, model, "x1")[0] == 0
    assert _check(tmp_path, capsys, model, "0")[0] == 1


# ------------------------------------------------------------------ H2 errors
def _batch_size_where():
    # torch's x.shape[0]: Shape -> Gather(0-d) -> Equal; y = Where(B == B, x1, 2 x1)
    return _model([helper.make_node("Shape", ["x"], ["s"]),
                   helper.make_node("Gather", ["s", "zero"], ["B"], axis=0),
                   helper.make_node("Equal", ["B", "B"], ["eq"]), _x1(),
                   helper.make_node("Add", ["x1", "x1"], ["x2"]),
                   helper.make_node("Where", ["eq", "x1", "x2"], ["y"])],
                  [_arr("zero", 0)])


def test_batch_size_scalar_from_shape_runs(tmp_path, capsys):
    """Shape -> Gather(0-d) -> Equal now runs (no internal error). Its value comes from
    the batch size, so the batch rule refuses to decide it for every batch size; a
    wrong claim is still refuted at batch size 1."""
    model = _batch_size_where()
    assert float(_ort(model, [[0.5, 0.75]])[0]) == 0.5
    code, err = _check(tmp_path, capsys, model, "x1")
    assert code == 2 and "every batch size" in err, err
    assert _check(tmp_path, capsys, model, "2*x1")[0] == 1


def test_a_bug_in_a_rule_is_an_internal_error(tmp_path, capsys, monkeypatch):
    def broken(it, node, args):
        return np.int64(1).is_ground  # AttributeError: the interpreter's own fault
    monkeypatch.setitem(interpret.OPS, "Equal", broken)
    code, err = _check(tmp_path, capsys, _batch_size_where(), "x1")
    assert code == 4 and "Equal" in err and "AttributeError" in err, err


def test_shape_mismatch_and_wrong_attribute_kind_stay_bad_input(tmp_path, capsys):
    model = _model([helper.make_node("Add", ["x", "w"], ["s"]),
                    helper.make_node("ReduceSum", ["s", "ax"], ["y"], keepdims=0)],
                   [_arr("w", [1.0, 2.0, 3.0], np.float64), _arr("ax", [1])])
    code, err = _check(tmp_path, capsys, model, "x1")
    assert code == 2 and "Add" in err, err
    model = _model([helper.make_node("Gather", ["x", "zero"], ["y"], axis=1.0)],
                   [_arr("zero", 0)])
    code, err = _check(tmp_path, capsys, model, "x1")
    assert code == 2 and "axis" in err, err


def test_a_format_error_names_the_node_once(tmp_path, capsys):
    model = _model([helper.make_node("Reshape", ["x", "shp"], ["r"]),
                    helper.make_node("ReduceSum", ["r", "ax"], ["y"], keepdims=0)],
                   [_arr("shp", [1, 2, 0]), _arr("ax", [1])])
    code, err = _check(tmp_path, capsys, model, "x1")
    assert code == 2 and err.count("Reshape") == 1 and "do not fit" not in err, err


@pytest.mark.parametrize("op", ["MatMul", "Sum", "Relu"])
def test_integer_tensors_through_float_only_rules_are_refused(tmp_path, capsys, op):
    # int64 2**25 + 1 computed exactly, then Cast to FLOAT: onnxruntime rounds to 2**25;
    # the integer result carries no float type, so the Cast must not pass as widening
    ins = {"MatMul": ["a", "b"], "Sum": ["a", "z"], "Relu": ["a"]}[op]
    model = _model([helper.make_node(op, ins, ["s"]),
                    helper.make_node("Cast", ["s"], ["f"], to=T.FLOAT),
                    helper.make_node("Cast", ["f"], ["cf"], to=DOUBLE), _x1(),
                    helper.make_node("Add", ["x1", "cf"], ["y"])],
                   [_arr("zero", 0), _arr("a", [2 ** 25 + 1] if op == "MatMul" else 2 ** 25 + 1),
                    _arr("b", [1]), _arr("z", 0)])
    if op == "MatMul":  # onnxruntime has no integer Sum or Relu
        assert float(_ort(model, [[0.0, 0.0]])[0]) == 2 ** 25
    code, err = _check(tmp_path, capsys, model, f"x1 + {2 ** 25 + 1}")
    assert code == 2 and op in err, err


def test_an_uneven_split_without_sizes_is_refused_before_opset_18(tmp_path, capsys):
    """Opsets 13-17 split into equal parts only; opset 18's num_outputs rounds up."""
    from onnx import helper as h
    nodes = [h.make_node("Split", ["x"], ["a", "b"], axis=1, name="split"),
             h.make_node("ReduceSum", ["a", "ax"], ["y"], keepdims=0, name="y")]
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", onnx.TensorProto.DOUBLE,
                                                               [1, 3])],
                         [h.make_tensor_value_info("y", onnx.TensorProto.DOUBLE, [1])],
                         [_arr("ax", [1])])
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    model.ir_version = 8
    code, err = _check(tmp_path, capsys, model, "x1 + x2")
    assert code == 2 and "equal" in err, err
