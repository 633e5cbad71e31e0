"""A tracr-style graph built with onnx.helper: categorical attention made 'hard' by a
large softmax coldness (tracr compiles to JAX/Haiku; jax2onnx gives graphs of this shape).
Run: python docs/onnx_examples/tracr_style.py OUTDIR"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

d, n = 2, 3
E = np.zeros((d, n * 2)); E[0, 0] = E[1, 2] = E[0, 4] = 1.0      # token t reads one column
nodes = [helper.make_node("MatMul", ["x", "E"], ["e"], name="embed"),
         helper.make_node("Reshape", ["e", "shape"], ["h"], name="tokens"),
         helper.make_node("MatMul", ["h", "Wq"], ["q"], name="query"),
         helper.make_node("MatMul", ["h", "Wk"], ["k"], name="key"),
         helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1], name="keyT"),
         helper.make_node("MatMul", ["q", "kt"], ["s"], name="scores"),
         helper.make_node("Mul", ["s", "coldness"], ["sc"], name="soft_to_hard"),
         helper.make_node("Softmax", ["sc"], ["w"], axis=-1, name="attn_softmax"),
         helper.make_node("MatMul", ["w", "h"], ["a"], name="mix"),
         helper.make_node("ReduceSum", ["a", "axes"], ["y"], keepdims=0, name="readout")]
inits = [numpy_helper.from_array(a, name) for name, a in (
    ("E", E), ("shape", np.array([-1, n, 2], dtype=np.int64)), ("Wq", np.eye(2)),
    ("Wk", np.eye(2)), ("coldness", np.array(100.0)), ("axes", np.array([1, 2], dtype=np.int64)))]
g = helper.make_graph(nodes, "tracr_style",
                      [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["batch", d])],
                      [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["batch"])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]); m.ir_version = 8
onnx.checker.check_model(m)
onnx.save(m, f"{sys.argv[1] if len(sys.argv) > 1 else '.'}/tracr_style.onnx")
