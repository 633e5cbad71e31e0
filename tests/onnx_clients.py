"""Graphs that no exactformer code made, for the ONNX tests: a small transformer built by
hand in PyTorch and exported with torch.onnx.export, and graphs built with onnx.helper.

The torch model (2 inputs x, y; 6 tokens for the monomials 1, x, y, x^2, xy, y^2; width
3 with channels [xin, one, m]):

- embedding: an nn.Linear(2, 18) reshaped to tokens: xin_t = the variable token t
  multiplies by, one_t = 1, m_t = the monomial for degree <= 1 (1, x, y), 0 otherwise;
- block 1, one head, masked scores: q_t = xin_t, k_j = one_j, v_j = m_j, scores
  S = (q k^T) * M with M[t, parent(t)] = 1 for the degree-2 tokens, so head output
  a_t = xin_t m_parent(t) = x^alpha_t; written into m by the output projection (residual);
- block 2, one head, softmax with a -inf mask (each token sees only itself): weight
  exactly 1, copies m_t into the one channel (residual): one_t = 1 + m_t;
- readout: an nn.Linear(18, 1) reading the one channel with c_t, bias -sum c_t:
  y = sum_t c_t m_t = POLY below.
"""
from __future__ import annotations

import numpy as np

#: the polynomial of the hand-built torch model, coefficients by token (dyadic)
COEFFICIENTS = (1, 2, -3, 0.5, 5, -0.25)  # 1, x, y, x^2, xy, y^2
POLY = "1 + 2*x - 3*y + x**2/2 + 5*x*y - y**2/4"
PARENT = {3: 1, 4: 1, 5: 2}          # x^2 = x * x, xy = y * x, y^2 = y * y


def torch_transformer(mask_style: str = "-inf"):
    """The hand-built nn.Module (float64). ``mask_style`` of the softmax block: "-inf"
    (masked_fill with -inf: exact weight 1) or "additive" (scores - 1e9 off the diagonal:
    numerically one key, exactly not)."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, q, k, v, o, mask, softmax: bool):
            super().__init__()
            self.q = nn.Linear(3, 1, bias=False, dtype=torch.float64)
            self.k = nn.Linear(3, 1, bias=False, dtype=torch.float64)
            self.v = nn.Linear(3, 1, bias=False, dtype=torch.float64)
            self.o = nn.Linear(1, 3, bias=False, dtype=torch.float64)
            with torch.no_grad():
                for lin, w in ((self.q, q), (self.k, k), (self.v, v), (self.o, o)):
                    lin.weight.copy_(torch.tensor(w, dtype=torch.float64))
            self.register_buffer("mask", torch.tensor(mask, dtype=torch.bool))
            self.softmax = softmax

        def forward(self, h):
            scores = self.q(h) @ self.k(h).transpose(-1, -2)
            if not self.softmax:
                weights = scores * self.mask.to(scores.dtype)
            elif mask_style == "-inf":
                weights = torch.softmax(scores.masked_fill(~self.mask, float("-inf")), -1)
            else:
                weights = torch.softmax(scores - 1e9 * (~self.mask).to(scores.dtype), -1)
            return h + self.o(weights @ self.v(h))

    class Hand(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(2, 18, dtype=torch.float64)
            W = np.zeros((6, 3, 2))
            b = np.zeros((6, 3))
            b[:, 1] = 1.0                  # one channel
            b[0, 0] = 1.0                  # token 0: xin = 1
            b[0, 2] = 1.0                  # token 0: m = 1
            W[1, 0, 0] = W[1, 2, 0] = 1.0  # token 1: xin = m = x
            W[2, 0, 1] = W[2, 2, 1] = 1.0  # token 2: xin = m = y
            W[3, 0, 0] = 1.0               # token 3: xin = x
            W[4, 0, 1] = W[5, 0, 1] = 1.0  # tokens 4, 5: xin = y
            with torch.no_grad():
                self.embed.weight.copy_(torch.tensor(W.reshape(18, 2)))
                self.embed.bias.copy_(torch.tensor(b.reshape(18)))
            mask1 = np.zeros((6, 6), bool)
            for t, p in PARENT.items():
                mask1[t, p] = True
            self.block1 = Block([[1, 0, 0]], [[0, 1, 0]], [[0, 0, 1]], [[0], [0], [1]],
                                mask1, softmax=False)
            self.block2 = Block([[1, 1, 0]], [[0, 0, 1]], [[0, 0, 1]], [[0], [1], [0]],
                                np.eye(6, dtype=bool), softmax=True)
            self.readout = nn.Linear(18, 1, dtype=torch.float64)
            R = np.zeros((6, 3))
            R[:, 1] = COEFFICIENTS
            with torch.no_grad():
                self.readout.weight.copy_(torch.tensor(R.reshape(1, 18)))
                self.readout.bias.fill_(-float(sum(COEFFICIENTS)))

        def forward(self, x):
            h = self.embed(x).reshape(-1, 6, 3)
            h = self.block2(self.block1(h))
            return self.readout(h.reshape(-1, 18)).squeeze(-1)

    return Hand().eval()


def export_torch(module, path: str, dynamo: bool = False) -> None:
    """torch.onnx.export with input x [batch, 2] (dynamic batch) and output y [batch]."""
    import torch
    example = (torch.zeros(1, 2, dtype=torch.float64),)
    if dynamo:
        torch.onnx.export(module, example, path, dynamo=True, input_names=["x"],
                          output_names=["y"], dynamic_shapes=({0: torch.export.Dim("batch")},))
    else:
        torch.onnx.export(module, example, path, dynamo=False, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                          opset_version=17)


def poly_value(x: float, y: float) -> float:
    c = COEFFICIENTS
    return c[0] + c[1] * x + c[2] * y + c[3] * x * x + c[4] * x * y + c[5] * y * y


def helper_graph(weight=0.5, bias=1.0, extra_node=None, opset: int = 17):
    """y = ReduceSum((x W) * (x W), axis 1) * weight + bias for W = [[1, 1], [0, 1]]:
    with x = (a, b): weight * (a^2 + (a + b)^2) + bias; built with onnx.helper.
    ``extra_node`` (op_type) inserts that operator on the squared term."""
    from onnx import TensorProto, helper, numpy_helper
    inits = [numpy_helper.from_array(np.array([[1.0, 1.0], [0.0, 1.0]]), "W"),
             numpy_helper.from_array(np.array(weight, dtype=np.float64), "c"),
             numpy_helper.from_array(np.array(bias, dtype=np.float64), "b"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")]
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"], name="proj"),
             helper.make_node("Mul", ["h", "h"], ["sq"], name="square")]
    last = "sq"
    if extra_node == "LayerNormalization":
        inits += [numpy_helper.from_array(np.ones(2), "gamma"),
                  numpy_helper.from_array(np.zeros(2), "beta")]
        nodes.append(helper.make_node("LayerNormalization", [last, "gamma", "beta"], ["ln"],
                                      name="ln_1", axis=-1))
        last = "ln"
    elif extra_node is not None:
        nodes.append(helper.make_node(extra_node, [last], ["act"], name="act_1"))
        last = "act"
    nodes += [helper.make_node("ReduceSum", [last, "axes"], ["s"], name="sum", keepdims=0),
              helper.make_node("Mul", ["s", "c"], ["sc"], name="scale"),
              helper.make_node("Add", ["sc", "b"], ["y"], name="bias")]
    graph = helper.make_graph(nodes, "hand", [helper.make_tensor_value_info(
        "x", TensorProto.DOUBLE, ["batch", 2])], [helper.make_tensor_value_info(
            "y", TensorProto.DOUBLE, ["batch"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


HELPER_POLY = "a**2/2 + (a + b)**2/2 + 1"
