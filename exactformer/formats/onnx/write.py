"""Export a model as a standard ONNX graph (opset 17, standard operators only).

The graph is built from the one float-file description (:class:`FloatModel`), so it
is the same computation as the numpy forward pass and the torch module:

    x [batch, d] --MatMul A (d, N*D)--> Reshape [batch, N, D] --Add B--> H0
    block:  S = MatMul(MatMul(H, Wq), Transpose(MatMul(H, Wk)))        [batch, N, N]
            identity: W = S * M     relu: W = Relu(S) * M
            softmax:  W = Softmax(Where(M, S, F)) * E   (F = -inf on masked keys of rows
                      that have a key, 0 on rows without one; E zeroes those rows)
            H = H + MatMul(MatMul(W, MatMul(H, Wv)), Wo)
            FFN: Z = MatMul(H, W1) + b1, relu or Z * Z, H = H + MatMul(Z, W2) + b2
    y = ReduceSum(H * R, axes [1, 2]) + r0                                  [batch]

Numerical: each exact weight is rounded to the nearest float64 (or float32). A row
masked with -inf has softmax weight exactly 0 on those keys in IEEE arithmetic, which
is also how :mod:`.interpret` reads it, so the export of a proved model is proved.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ...errors import ParseError
from ...model import Model
from .check import DOMAIN_KEY
from .read import require_onnx

if TYPE_CHECKING:  # onnx is imported when a graph is written (the optional extra)
    from onnx import ModelProto, NodeProto, TensorProto

    from ...floats.schema import FloatBlock

OPSET = 17
DTYPES: dict[str, tuple[type[np.floating[Any]], int]] = {"float64": (np.float64, 11),
                                                         "float32": (np.float32, 1)}


class _Builder:
    def __init__(self, dtype: str) -> None:
        self.onnx = require_onnx()
        self.np_type, self.code = DTYPES[dtype]
        self.nodes: list[NodeProto] = []
        self.inits: list[TensorProto] = []
        self.count = 0

    def const(self, name: str, array: ArrayLike, dtype: DTypeLike | None = None) -> str:
        from onnx import numpy_helper
        arr = np.asarray(array, dtype=dtype or self.np_type)
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def op(self, op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        self.count += 1
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [name], name=name, **attrs))
        return name


def onnx_model(model: Model, dtype: str = "float64") -> ModelProto:
    """The ModelProto of ``model`` (numeric readout required)."""
    from ...floats.forward import float_model_from_model
    if dtype not in DTYPES:
        raise ParseError(f"--dtype must be float32 or float64, got {dtype!r}")
    fm = float_model_from_model(model)
    b = _Builder(dtype)
    helper = b.onnx.helper
    N, D, d = fm.tokens, fm.width, len(fm.variables)
    coeffs = fm.coefficients.reshape(d, N * D)  # x @ coeffs = sum_i x_i A_i, flattened
    flat = b.op("MatMul", ["x", b.const("embedding.coefficients", coeffs)], "embed_linear")
    shaped = b.op("Reshape", [flat, b.const("embed_shape", [-1, N, D], np.int64)],
                  "embed_tokens")
    H = b.op("Add", [shaped, b.const("embedding.base", fm.base)], "H0")
    for k, blk in enumerate(fm.blocks):
        p = f"block{k}."
        q = b.op("MatMul", [H, b.const(p + "wq", blk.wq)], p + "Q")
        kk = b.op("MatMul", [H, b.const(p + "wk", blk.wk)], p + "K")
        v = b.op("MatMul", [H, b.const(p + "wv", blk.wv)], p + "V")
        kt = b.op("Transpose", [kk], p + "Kt", perm=[0, 2, 1])
        S = b.op("MatMul", [q, kt], p + "S")
        W = _scores(b, p, blk, S, N)
        A = b.op("MatMul", [W, v], p + "AV")
        O = b.op("MatMul", [A, b.const(p + "wo", blk.wo)], p + "out")
        H = b.op("Add", [H, O], p + "H_att")
        if blk.ffn is not None:
            f = blk.ffn
            Z = b.op("Add", [b.op("MatMul", [H, b.const(p + "ffn.w1", f.w1)], p + "ffn.lin1"),
                             b.const(p + "ffn.b1", f.b1)], p + "ffn.Z")
            Z = (b.op("Relu", [Z], p + "ffn.act") if f.activation == "relu"
                 else b.op("Mul", [Z, Z], p + "ffn.act"))
            F = b.op("Add", [b.op("MatMul", [Z, b.const(p + "ffn.w2", f.w2)], p + "ffn.lin2"),
                             b.const(p + "ffn.b2", f.b2)], p + "ffn.out")
            H = b.op("Add", [H, F], p + "H")
    weighted = b.op("Mul", [H, b.const("readout.weight", fm.readout)], "readout_terms")
    total = b.op("ReduceSum", [weighted, b.const("readout_axes", [1, 2], np.int64)],
                 "readout_sum", keepdims=0)
    b.nodes.append(helper.make_node("Add", [total, b.const("readout.bias", fm.bias)], ["y"],
                                    name="y"))
    x = helper.make_tensor_value_info("x", b.code, ["batch", d])
    y = helper.make_tensor_value_info("y", b.code, ["batch"])
    graph = helper.make_graph(b.nodes, "exactformer", [x], [y], b.inits)
    proto: ModelProto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="exactformer")
    proto.ir_version = 8  # readable by onnxruntime releases since 1.10
    meta = {"exactformer.variables": ",".join(fm.variables),
            "exactformer.construction": model.info.get("construction", "custom"),
            "exactformer.dtype": dtype}
    if "box" in model.info:
        meta[DOMAIN_KEY] = model.info["box"]
    helper.set_model_props(proto, meta)
    return proto


def _scores(b: _Builder, p: str, blk: FloatBlock, S: str, N: int) -> str:
    """The attention weights W from the scores S (mask, activation) as ONNX nodes."""
    mask = blk.mask
    if blk.activation == "softmax":
        if mask is None:
            return b.op("Softmax", [S], p + "W", axis=-1)
        has_key = cast(np.ndarray, mask.any(axis=1))  # one flag a row (numpy's stub: bool)
        fill = np.where(has_key[:, None], -np.inf, 0.0)
        masked = b.op("Where", [b.const(p + "mask", mask, np.bool_), S,
                                b.const(p + "fill", fill)], p + "S_masked")
        W = b.op("Softmax", [masked], p + "W_rows", axis=-1)
        if has_key.all():
            return W
        return b.op("Mul", [W, b.const(p + "rows", has_key[:, None].astype(float))], p + "W")
    W = b.op("Relu", [S], p + "relu") if blk.activation == "relu" else S
    if mask is None:
        return W
    return b.op("Mul", [W, b.const(p + "mask", mask.astype(float))], p + "W")


def save_onnx(model: Model, path: str, dtype: str = "float64") -> None:
    """Write the ONNX graph of ``model`` to ``path`` (checked by onnx.checker first)."""
    onnx = require_onnx()
    proto = onnx_model(model, dtype)
    onnx.checker.check_model(proto)
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())
