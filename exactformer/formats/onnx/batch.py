"""Batch uniformity: when one run of a graph speaks for every batch size.

A graph with a dynamic batch dimension is a different function for each batch size
B. The claim "row r of the output is p(x_r)" is decided exactly by running the graph
at B = 1 (and B = 2); it holds for EVERY B when the graph is batch-uniform: every
row is computed from that row alone, by the same function, whatever B is. This
module establishes that, conservatively, from the runs at B = 1 and B = 2:

* a tensor is *batch-carrying* when its shape differs between the two runs; then
  only axis 0 may differ, and it must have extent B (1, then 2);
* a tensor that is not batch-carrying must be the same in both runs (so no value
  depends on B: ``Shape`` of the input, a reduction over the batch ... are refused),
  and must not depend on the input;
* a node with a batch-carrying input must be an operation that treats axis 0 as a
  batch, uniformly: elementwise operations (broadcasting against tensors without the
  batch axis), matrix products in which axis 0 is a leading (not contracted) axis,
  and structural operations (Slice, Gather, Split, Concat, Softmax, reductions,
  LayerNormalization, Trilu) whose axes provably exclude axis 0. Anything else is
  refused, naming the node.

Under these rules each operation applied at batch size B is the same operation on
each row, for every B (the axes and parameters are constants of the graph), so the
output row r is the B = 1 output at x_r, which the exact check compares with p.
"""
from __future__ import annotations

from typing import Callable, NoReturn

import numpy as np

from ...errors import NotExact
from .read import Graph, Node

#: The tensors of one run, by name.
Values = dict[str, np.ndarray]

#: Operations acting entry by entry (with multidirectional broadcasting).
ELEMENTWISE = frozenset(
    "Add Sub Mul Div Neg Pow Relu Identity Dropout Cast Where Sum Erf Tanh Sigmoid Exp Log "
    "Sqrt Reciprocal Gelu Abs Equal Less Greater LessOrEqual GreaterOrEqual Not And Or "
    "CastLike".split())
#: Operations whose batch handling the shape rules alone settle (see the module
#: docstring): a moved, merged or dropped batch axis changes the shapes.
SHAPE_CHECKED = frozenset("Transpose Reshape Flatten Squeeze Unsqueeze Expand".split())
#: Reductions: a reduced batch axis disappears or gets extent 1 (caught by the shapes).
REDUCTIONS = frozenset("ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd".split())


def _refuse(node: Node, why: str) -> NoReturn:
    raise NotExact(f"{node.label}: {why}; the graph is not decided for every batch size "
                   "(only graphs that treat every row alike, whatever the batch size, are)")


def _axis(value: int, rank: int) -> int:
    value = int(value)
    return value + rank if value < 0 else value


def _const(values: Values, name: str) -> np.ndarray | None:
    return None if not name else values.get(name)


def _ints(a: object) -> list[int] | None:
    if a is None:
        return None
    try:
        return [int(v) for v in np.asarray(a).reshape(-1).tolist()]
    except (TypeError, ValueError):
        return None


def check_batch_uniform(graph: Graph, one: Values, two: Values,
                        batch_free: Callable[[object], bool]) -> None:
    """Raise NotExact unless the runs ``one`` (B = 1) and ``two`` (B = 2) of ``graph``
    (tensor name -> value) show a batch-uniform graph (module docstring).
    ``batch_free(value)`` says whether a value does not depend on the input."""
    carrying = {graph.input_name}
    needed = {graph.output_name}  # only what the output depends on matters
    for node in reversed(graph.nodes):
        if any(o in needed for o in node.outputs if o):
            needed.update(n for n in node.inputs if n)
    for node in graph.nodes:
        if not any(o in needed for o in node.outputs if o):
            continue
        ins = [n for n in node.inputs if n]
        batched = [n for n in ins if n in carrying]
        for out in (o for o in node.outputs if o):
            if out not in one or out not in two:
                continue
            a, b = np.asarray(one[out]), np.asarray(two[out])
            if a.shape != b.shape:
                if (a.ndim != b.ndim or a.ndim == 0 or a.shape[1:] != b.shape[1:]
                        or (a.shape[0], b.shape[0]) != (1, 2)):
                    _refuse(node, f"its output has shape {list(a.shape)} for one row and "
                                  f"{list(b.shape)} for two: the batch axis is not kept as "
                                  "axis 0")
                if not batched:
                    _refuse(node, "it makes a batch axis out of values without one")
                carrying.add(out)
            else:
                if batched:
                    _refuse(node, "it removes the batch axis (its output does not grow with "
                                  "the batch)")
                if not (batch_free(one[out]) and _same(one[out], two[out])):
                    _refuse(node, "its output depends on the batch size")
        if batched:
            _check_node(graph, node, batched, one)


def _same(a: object, b: object) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype == object or b.dtype == object:
        return all(str(u) == str(v) for u, v in zip(a.reshape(-1), b.reshape(-1)))
    return bool(np.array_equal(a, b))


def _check_node(graph: Graph, node: Node, batched: list[str], values: Values) -> None:
    """The operation, applied to a batch-carrying input, treats axis 0 as a batch."""
    op, attrs, opset = node.op, node.attributes, graph.opset
    first = node.inputs[0] if node.inputs else ""
    rank = np.asarray(values[batched[0]]).ndim

    def axes_input(index: int, attr: str) -> list[int] | None:
        if attr in attrs:
            return _ints(attrs[attr])
        if len(node.inputs) > index and node.inputs[index]:
            return _ints(_const(values, node.inputs[index]))
        return None

    if op in ELEMENTWISE:
        out_rank = max(np.asarray(values[n]).ndim for n in node.inputs if n and n in values)
        if any(np.asarray(values[n]).ndim != out_rank for n in batched):
            _refuse(node, "an operand of higher rank would move the batch axis")
        if op == "Where" and node.inputs[0] in batched:
            _refuse(node, "its condition depends on the input")
        return
    if op in SHAPE_CHECKED:
        if op in ("Reshape", "Expand") and any(n in batched for n in node.inputs[1:]):
            _refuse(node, "its shape depends on the input")
        return
    if op in ("MatMul", "Gemm"):
        a, b = node.inputs[0], node.inputs[1]
        ra, rb = (np.asarray(values[n]).ndim for n in (a, b))
        if op == "Gemm":
            if b in batched or int(attrs.get("transA", 0)) or (
                    len(node.inputs) > 2 and node.inputs[2] in batched):
                _refuse(node, "Gemm with a batch in B, C or a transposed A")
            return
        if a in batched and ra < 2:
            _refuse(node, "it contracts the batch axis")
        if b in batched and rb < 3:
            _refuse(node, "it contracts the batch axis")
        if a in batched and b in batched and ra != rb:
            _refuse(node, "batched operands of different ranks")
        return
    if op in REDUCTIONS:
        return  # a reduced batch axis changes the shapes (caught above)
    if op in ("Softmax", "LogSoftmax", "Hardmax"):
        default = -1 if opset >= 13 else 1
        axis = _axis(attrs.get("axis", default), rank)
        if axis == 0:
            _refuse(node, "it normalises over the batch axis")
        return
    if op == "LayerNormalization":
        if _axis(attrs.get("axis", -1), rank) == 0:
            _refuse(node, "it normalises over the batch axis")
        return
    if op == "Trilu":
        if first in batched and rank < 3:
            _refuse(node, "its mask depends on the row's position in the batch")
        return
    if op in ("Gather", "Split", "Concat"):
        if op == "Gather" and len(node.inputs) > 1 and node.inputs[1] in batched:
            _refuse(node, "its indices depend on the input")
        axis = _axis(attrs.get("axis", 0), rank)
        if axis == 0:
            _refuse(node, "it acts along the batch axis")
        return
    if op == "Slice":
        if opset < 10:
            axes = _ints(attrs.get("axes"))
            count = len(_ints(attrs.get("starts")) or [])
        else:
            axes = axes_input(3, "_none_")
            count = len(_ints(_const(values, node.inputs[1])) or [])
        axes = list(range(count)) if axes is None else axes
        if any(_axis(v, rank) == 0 for v in axes):
            _refuse(node, "it slices along the batch axis")
        return
    _refuse(node, f"the operator {op} is not known to treat the batch axis uniformly")


__all__ = ["check_batch_uniform"]
