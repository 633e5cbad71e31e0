"""A dynamic batch is decided for EVERY batch size only when the graph treats every row
alike whatever the batch size (exactformer/formats/onnx/batch.py); graphs whose rows
depend on the batch size, or that act along the batch axis, are refused, never proved."""
from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="onnx is the optional extra 'onnx'")
from onnx import helper  # noqa: E402

from exactformer.cli import main  # noqa: E402
from onnx_support import save  # noqa: E402
from test_onnx import _arr, _graph  # noqa: E402


def _check(tmp_path, nodes, inits, claim="x1", **kw) -> tuple[int, str]:
    path = save(tmp_path, _graph(nodes, inits, **kw))
    return main(["check-model", path, "--claim", claim]), path


def _first_column():
    return [helper.make_node("Gather", ["x", "zero_i"], ["c0"], axis=1, name="col0")]


BASE = [_arr("zero_i", 0, np.int64)]


def test_a_value_from_the_batch_size_is_refused(tmp_path, capsys):
    """y = x1 + (B - 1)(B - 2): x1 at batch sizes 1 and 2, x1 + 2 at 3."""
    nodes = _first_column() + [
        helper.make_node("Shape", ["x"], ["sh"], name="shape"),
        helper.make_node("Gather", ["sh", "zero_i"], ["b"], axis=0, name="B"),
        helper.make_node("Sub", ["b", "one_i"], ["b1"], name="b1"),
        helper.make_node("Sub", ["b", "two_i"], ["b2"], name="b2"),
        helper.make_node("Mul", ["b1", "b2"], ["p"], name="p"),
        helper.make_node("Cast", ["p"], ["pf"], to=onnx.TensorProto.DOUBLE, name="cast"),
        helper.make_node("Add", ["c0", "pf"], ["y"], name="y")]
    code, _ = _check(tmp_path, nodes, BASE + [_arr("one_i", 1, np.int64),
                                             _arr("two_i", 2, np.int64)])
    err = capsys.readouterr().err
    assert code == 2 and "every batch size" in err


@pytest.mark.parametrize("start, end", [(2, 100), (0, 3)])
def test_slicing_along_the_batch_is_refused(tmp_path, capsys, start, end):
    """rows 2: are empty at batch sizes 1 and 2; rows 0:3 are all of them there."""
    nodes = _first_column() + [
        helper.make_node("Slice", ["c0", "st", "en", "ax"], ["part"], name="rows"),
        helper.make_node("ReduceSum", ["part", "ax"], ["s"], keepdims=0, name="s"),
        helper.make_node("Add", ["c0", "s"], ["y"], name="y")]
    inits = BASE + [_arr("st", [start], np.int64), _arr("en", [end], np.int64),
                    _arr("ax", [0], np.int64)]
    code, _ = _check(tmp_path, nodes, inits)
    assert code in (1, 2) and code != 0
    nodes = _first_column() + [
        helper.make_node("Slice", ["c0", "st", "en", "ax"], ["y"], name="rows")]
    code, _ = _check(tmp_path, nodes, inits)
    assert code in (1, 2)


def test_a_row_position_mask_is_refused(tmp_path, capsys):
    """Trilu on [B, 2] keeps a different part of each row (by its position)."""
    nodes = [helper.make_node("Trilu", ["x", "k"], ["t"], upper=0, name="tril"),
             helper.make_node("ReduceSum", ["t", "ax"], ["y"], keepdims=0, name="y")]
    code, _ = _check(tmp_path, nodes, [_arr("k", -2, np.int64), _arr("ax", [1], np.int64)],
                     claim="0")
    assert code == 2 and "position" in capsys.readouterr().err


def test_a_uniform_graph_is_still_proved(tmp_path):
    """Rows treated alike (a projection, a product, a sum over columns): proved."""
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"], name="proj"),
             helper.make_node("Mul", ["h", "h"], ["sq"], name="sq"),
             helper.make_node("ReduceSum", ["sq", "ax"], ["y"], keepdims=0, name="y")]
    code, _ = _check(tmp_path, nodes, [_arr("W", [[1.0, 0.0], [0.0, 2.0]]),
                                      _arr("ax", [1], np.int64)], claim="x1**2 + 4*x2**2")
    assert code == 0
