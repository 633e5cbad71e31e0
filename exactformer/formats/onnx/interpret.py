"""Exact symbolic execution of an ONNX graph over QQ[x] (DESIGN §3, rung 1 or 2).

Meaning given to a graph: every operator is read as the real-number function the ONNX
specification names (Add adds, MatMul multiplies matrices, Softmax is
exp(s_j) / sum_i exp(s_i), ...), applied to the weights exactly as stored (each float
the dyadic rational it is). A tensor of floats becomes a numpy object array of exact
polynomials in the input columns; integer and boolean tensors (shapes, indices, masks)
stay numpy integer arrays, so shape arithmetic is exact too. Every tensor keeps its
ONNX element type: an integer Cast wraps modulo 2**bits as ONNX specifies, integer
arithmetic whose exact result leaves its type and a float-to-integer Cast out of range
(undefined in ONNX) are refused, and a Cast to a narrower float type is checked against
the type the values really have. Broadcasting is numpy's, which is ONNX's
multidirectional broadcasting.

Nothing is approximated. An operator outside :data:`OPS` (Erf, Tanh, Gelu,
LayerNormalization, Exp, ...), a shape or index that depends on the input, a Relu
whose sign the box cannot certify, or a Softmax whose weights are not exactly
derivable raises an error naming the node and its operator (exit 2).

The same rules also run in interval mode (:mod:`.enclosures`, the mpmath rung only),
where the elements are rigorous enclosures at one exact point and the operators of
:data:`INTERVAL_OPS` are allowed; the exact interpreter never consults them.

Softmax is exact in two situations only. Scores that are equal polynomials in a row
have weights exactly 1/k (the engine's rule, :meth:`PolynomialDomain.softmax`). A
score that is exactly ``-inf`` (a stored IEEE -infinity, e.g. ``masked_fill(~mask,
-inf)``) has weight exactly 0: IEEE 754 defines exp(-inf) = +0 exactly, and the
real-number limit agrees, so the remaining keys share the row as if the masked key
were absent. A large finite negative score (an additive -1e9 mask) is NOT -inf:
exp(-1e9) > 0, the scores are unequal polynomials, and the node is refused.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeAlias, cast

import numpy as np

from ...engine import BoxPolynomialDomain, PolynomialDomain, SignChange
from ...errors import InternalContradiction, LimitExceeded, ModelFormatError, NotExact
from ...limits import DEFAULT_LIMITS, Limits
from .read import FLOAT_TYPES, INTEGER_TYPES, Graph, Node

if TYPE_CHECKING:
    from ...poly.box import Box
    from .enclosures import EnclosureDomain


#: One element of an exact tensor (a numpy object array): an exact polynomial (a sympy
#: PolyElement: untyped), NEG_INF, or in interval mode an enclosure.
Element: TypeAlias = Any
#: A rule's inputs, in node order: numpy arrays (object arrays of elements, or integer /
#: bool / float64 arrays), None for an omitted optional input.
Args: TypeAlias = "list[Any]"
#: A rule's result: an array (or a value it becomes), or a tuple of them, one an output.
Output: TypeAlias = Any
#: The rule of an ONNX operator.
Rule: TypeAlias = "Callable[[Interpreter, Node, Args], Output]"


class _NegInf:
    """The IEEE value -infinity, the one non-finite value the interpreter keeps."""

    _instance = None

    def __new__(cls) -> _NegInf:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "-inf"


NEG_INF = _NegInf()


class Refused(Exception):
    """An operation with no exact value here; the runner adds the node's name."""


#: Operators that are not polynomial: refused with this reason, never approximated.
NOT_POLYNOMIAL = {op: "is not a polynomial operation" for op in (
    "Erf", "Tanh", "Gelu", "Sigmoid", "Exp", "Log", "Sqrt", "Reciprocal", "Sin", "Cos",
    "HardSigmoid", "Softplus", "Elu", "Selu", "Celu", "Mish", "HardSwish", "LeakyRelu",
    "PRelu", "ThresholdedRelu", "Abs", "Sign", "Floor", "Ceil", "Round", "Max", "Min",
    "LogSoftmax", "Hardmax", "ArgMax", "ArgMin", "ReduceMax", "ReduceMin", "TopK")}
NOT_POLYNOMIAL.update({
    "LayerNormalization": "divides by a square root of the variance: not a polynomial",
    "BatchNormalization": "is not supported (fold it into the neighbouring weights)",
    "InstanceNormalization": "divides by a square root: not a polynomial",
    "GroupNormalization": "divides by a square root: not a polynomial",
    "RMSNormalization": "divides by a square root: not a polynomial",
    "NonZero": "has an output shape that depends on the data",
    "If": "is control flow (subgraphs are not supported)",
    "Loop": "is control flow (subgraphs are not supported)",
    "Scan": "is control flow (subgraphs are not supported)",
})


# ------------------------------------------------------------------ exact elements
@dataclass
class Context:
    """The exact domain of one run and the bookkeeping the verdict reports (in interval
    mode the enclosures' domain)."""

    domain: PolynomialDomain | EnclosureDomain
    limits: Limits = DEFAULT_LIMITS
    deadline: float | None = None
    reading: Callable[[float], Fraction] = Fraction
    softmax_rows: int = 0
    neg_inf_weights: int = 0
    max_bits: int = field(init=False)

    def __post_init__(self) -> None:
        self.max_bits = int(self.limits.max_digits * 3.33) + 8
        self.zero: Element = self.domain.zero
        self.one: Element = self.domain.one
        self._ground: dict[tuple[type, object], Element] = {}

    def const(self, value: Fraction) -> Element:
        return self.domain.const(value)

    @property
    def encloses(self) -> bool:
        """True in interval mode (the mpmath rung, :mod:`.enclosures`): elements are
        enclosures and the operators of :data:`INTERVAL_OPS` are allowed."""
        return getattr(self.domain, "encloses", False)

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise LimitExceeded("time limit reached while executing the ONNX graph "
                                "(use --timeout to change it)")

    def exact(self, a: np.ndarray) -> np.ndarray:
        """An integer/bool array or a float64 constant array as exact elements."""
        if a.dtype == object:
            return a
        out = np.empty(a.shape, dtype=object)
        flat = out.reshape(-1)
        for i, v in enumerate(a.reshape(-1).tolist()):
            if isinstance(v, float) and v == -np.inf:
                flat[i] = NEG_INF
            else:
                key = (type(v), v)
                c = self._ground.get(key)
                if c is None:
                    c = self.const(Fraction(int(v)) if not isinstance(v, float)
                                   else self.reading(v))
                    self._ground[key] = c
                flat[i] = c
        return out


def _is_ground(p: Element) -> bool:
    return p is not NEG_INF and p.is_ground


def _ground_value(p: Element) -> Fraction:
    c = p.LC if p else 0
    return Fraction(int(c.numerator), int(c.denominator)) if p else Fraction(0)


def _positive_ground(p: Element) -> bool:
    return p is not NEG_INF and p.is_ground and bool(p) and p.LC > 0


def _add(a: Element, b: Element) -> Element:
    if a is NEG_INF or b is NEG_INF:
        return NEG_INF
    return a + b


def _sub(a: Element, b: Element) -> Element:
    if b is NEG_INF:
        raise Refused("subtracts -inf (the result is +inf or NaN)")
    if a is NEG_INF:
        return NEG_INF
    return a - b


def _mul(a: Element, b: Element) -> Element:
    if a is NEG_INF or b is NEG_INF:
        other = b if a is NEG_INF else a
        if _positive_ground(other):
            return NEG_INF
        raise Refused("multiplies -inf by a value that is not a positive constant")
    if not a:
        return a
    if not b:
        return b
    return _times(a, b)


def _times(a: Element, b: Element) -> Element:
    """a * b for non-zero polynomials; a constant factor scales the other's terms."""
    if b.is_ground:
        c = next(iter(b.values()))
        return a if c == 1 else a.mul_ground(c)
    if a.is_ground:
        c = next(iter(a.values()))
        return b if c == 1 else b.mul_ground(c)
    return a * b


def _neg(a: Element) -> Element:
    if a is NEG_INF:
        raise Refused("negates -inf")
    return -a


_ADD = np.frompyfunc(_add, 2, 1)
_SUB = np.frompyfunc(_sub, 2, 1)
_MUL = np.frompyfunc(_mul, 2, 1)
_NEG = np.frompyfunc(_neg, 1, 1)


def _obj(a: np.ndarray) -> np.ndarray:
    """frompyfunc returns a bare object for 0-d results: keep arrays."""
    return a if isinstance(a, np.ndarray) else _scalar(a)


def _scalar(v: Element) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = v
    return out


def _as_array(ctx: Context, value: Output) -> np.ndarray:
    """A rule's output as an array. A numpy or Python number (``np.take`` with a 0-d
    index returns one) keeps its numeric dtype, so a float is read exactly later and is
    never handed to the polynomial ring (which would reconstruct a nearby rational); a
    number found inside an object array becomes its exact element here."""
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, (np.generic, bool, int, float)):
        arr = np.asarray(value)
    else:
        arr = _scalar(value)
    if arr.dtype != object:
        return arr
    flat = arr.reshape(-1)
    raw = [i for i, v in enumerate(flat) if isinstance(v, (np.generic, int, float, Fraction))]
    if raw:
        arr = arr.copy()
        flat = arr.reshape(-1)
        for i in raw:
            v = flat[i]
            flat[i] = (ctx.const(v) if isinstance(v, Fraction) else
                       ctx.exact(np.asarray(float(v) if isinstance(v, (float, np.floating))
                                            else int(v)))[()])
    return arr


def _nonzero(a: np.ndarray) -> np.ndarray:
    return np.frompyfunc(lambda v: v is NEG_INF or bool(v), 1, 1)(a).astype(bool) \
        if a.size else np.zeros(a.shape, bool)


# ------------------------------------------------------------------ interpreter
class Interpreter:
    """Runs a :class:`Graph` on an exact input tensor; values by name."""

    def __init__(self, graph: Graph, ctx: Context) -> None:
        self.graph = graph
        self.ctx = ctx
        self.opset = graph.opset
        self.values: dict[str, np.ndarray] = {}
        self.ftype: dict[str, int] = {}  # float type code of float tensors
        self.itype: dict[str, int] = {}  # integer type code of integer tensors
        self._cast_type: int | None = None  # the float type a Cast/Constant just produced
        self._int_type: int | None = None  # the integer type a rule just produced
        self.produced = 0  # elements of every tensor computed so far

    def run(self, x: np.ndarray, x_type: int) -> np.ndarray:
        g = self.graph
        for name, arr in g.initializers.items():
            self.values[name] = arr  # converted to exact elements when first used
            if g.tensor_types.get(name) in FLOAT_TYPES:
                self.ftype[name] = g.tensor_types[name]
            if g.tensor_types.get(name) in INTEGER_TYPES:
                self.itype[name] = g.tensor_types[name]
        self.values[g.input_name] = x
        self.ftype[g.input_name] = x_type
        for node in g.nodes:
            self.ctx.check_time()
            self._run_node(node)
        if g.output_name not in self.values:
            raise ModelFormatError(f"the graph output {g.output_name[:60]!r} is never computed")
        return self.values[g.output_name]

    def _run_node(self, node: Node) -> None:
        rule = OPS.get(node.op)
        if rule is None and self.ctx.encloses:
            rule = INTERVAL_OPS.get(node.op)
        if rule is None:
            why = NOT_POLYNOMIAL.get(node.op, "is not an operator the exact interpreter "
                                              "supports")
            hint = (NUMERICAL_HINT if node.op in INTERVAL_OPS_NAMES and not self.ctx.encloses
                    else "")
            raise NotExact(f"{node.label}: the operator {node.op} {why}; nothing is "
                           f"approximated, so the graph is not decided{hint}")
        args = [self.values[n] if n else None for n in node.inputs]
        _check_attributes(node)
        try:
            outs = rule(self, node, args)
        except Refused as exc:
            raise NotExact(f"{node.label}: {exc}") from None
        except SignChange as exc:
            raise NotExact(f"{node.label}: {exc} (not decided on this box)") from None
        except NotExact as exc:
            hint = (" (give --domain BOX to decide it on a box)" if node.op == "Relu"
                    and not isinstance(self.ctx.domain, BoxPolynomialDomain) else "")
            raise NotExact(f"{node.label}: {exc}{hint}") from None
        except ModelFormatError:  # already names the node (it is also a ValueError)
            raise
        except (ValueError, IndexError, KeyError, ZeroDivisionError, OverflowError) as exc:
            raise ModelFormatError(f"{node.label}: its inputs do not fit "
                                   f"({_short(exc)})") from None
        except (TypeError, AttributeError) as exc:  # attributes are checked: a bug here
            raise InternalContradiction(f"{node.label}: the interpreter failed "
                                        f"({type(exc).__name__}: {_short(exc)}); nothing is "
                                        "claimed") from exc
        if not isinstance(outs, tuple):
            outs = (outs,)
        want = [o for o in node.outputs]
        if len(outs) < len([o for o in want if o]):
            raise ModelFormatError(f"{node.label}: produces {len(outs)} outputs, the node "
                                   f"names {len(want)}")
        ft = next((self.ftype[n] for n in node.inputs if n in self.ftype), None)
        itp = next((self.itype[n] for n in node.inputs if n in self.itype), None)
        if ft is None and self._cast_type is None and node.inputs and any(
                isinstance(o, np.ndarray) and o.dtype == object for o in outs):
            # integer operands only, yet exact (rational) results: MatMul, Pow, Relu, ...
            # on integer tensors would ignore the integer type's overflow and rounding
            raise NotExact(f"{node.label}: computes {node.op} on integer tensors, which "
                           "exactformer models for floats only (integer overflow and "
                           "rounding are not followed)")
        for name, value in zip(want, outs):
            if not name:
                continue
            value = _as_array(self.ctx, value)
            self._check_size(node, value)
            self.values[name] = value
            if value.dtype == object or (value.dtype == np.float64):
                self.ftype[name] = self._cast_type or ft or 1
            elif value.dtype != bool:
                self.itype[name] = self._int_type or itp or 7
        self._cast_type = None
        self._int_type = None

    def _check_size(self, node: Node, value: np.ndarray) -> None:
        lim = self.ctx.limits
        if value.size > lim.max_cells:
            raise LimitExceeded(f"{node.label}: a tensor of {value.size} elements (more than "
                                f"--max-cells {lim.max_cells})")
        self.produced += value.size
        if self.produced > TOTAL_CELLS_FACTOR * lim.max_cells:
            raise LimitExceeded(f"{node.label}: the graph's tensors hold more than "
                                f"{TOTAL_CELLS_FACTOR} x --max-cells ({lim.max_cells}) "
                                "elements in all")
        if value.dtype != object or node.op not in _GROWING:
            return
        seen = set()
        for p in value.reshape(-1):
            if p is NEG_INF or not p or id(p) in seen:  # shared entries checked once
                continue
            seen.add(id(p))
            if len(p) > lim.max_terms:
                raise LimitExceeded(f"{node.label}: a polynomial of {len(p)} terms (more than "
                                    f"--max-terms {lim.max_terms})")
            for c in p.values():
                if max(int(c.numerator).bit_length(), int(c.denominator).bit_length()) \
                        > self.ctx.max_bits:
                    raise LimitExceeded(f"{node.label}: a coefficient of more than "
                                        f"{lim.max_digits} digits (--max-digits)")

    # helpers used by the rules
    def exact(self, a: np.ndarray) -> np.ndarray:
        return self.ctx.exact(a)

    def ints(self, a: np.ndarray | None, node: Node, what: str) -> np.ndarray:
        """An integer tensor known before the input is (a shape, axes, indices)."""
        if a is None:
            raise ModelFormatError(f"{node.label}: the {what} input is missing")
        if a.dtype == object or a.dtype == np.float64:
            if a.dtype == object and not all(_is_ground(v) for v in a.reshape(-1)):
                raise NotExact(f"{node.label}: its {what} depends on the input (a "
                               "data-dependent shape or index is not supported)")
            raise ModelFormatError(f"{node.label}: its {what} must be an integer tensor")
        return a.astype(np.int64)


#: Attributes the rules read, by the kind they must have (an int attribute stored as a
#: float or a string is bad input, refused before the rule runs).
_INT_ATTRIBUTES = {"axis", "keepdims", "noop_with_empty_axes", "to", "transA", "transB",
                   "allowzero", "num_outputs", "upper", "start", "end", "value_int"}
_INTS_ATTRIBUTES = {"perm", "starts", "ends", "axes", "split", "shape", "value_ints"}
_FLOAT_ATTRIBUTES = {"alpha", "beta", "value_float"}


def _check_attributes(node: Node) -> None:
    for key, v in node.attributes.items():
        if key in _INT_ATTRIBUTES:
            ok = isinstance(v, int)
        elif key in _INTS_ATTRIBUTES:
            ok = isinstance(v, tuple) and all(isinstance(e, int) for e in v)
        elif key in _FLOAT_ATTRIBUTES:
            ok = isinstance(v, float)
        elif key == "value_floats":
            ok = isinstance(v, tuple) and all(isinstance(e, float) for e in v)
        else:
            continue
        if not ok:
            raise ModelFormatError(f"{node.label}: attribute {key!r} has the wrong kind")


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:160]


#: The tensors a run computes may hold at most this many times --max-cells elements.
TOTAL_CELLS_FACTOR = 4

# ------------------------------------------------------------------ rules
OPS: dict[str, Rule] = {}
#: Non-polynomial operators, registered by :mod:`.enclosures` and used in interval mode
#: only (the mpmath rung); the exact interpreter refuses them.
INTERVAL_OPS: dict[str, Rule] = {}
INTERVAL_OPS_NAMES = ("Erf", "Tanh", "Gelu", "Sigmoid", "Exp", "Log", "Sqrt", "Reciprocal",
                      "LayerNormalization")
NUMERICAL_HINT = " (--rung mpmath or --fallback mpmath can give numerical evidence)"
#: Operators whose output may have more terms or larger coefficients than their inputs.
_GROWING = {"MatMul", "Gemm", "Mul", "Div", "Pow", "Add", "Sub", "ReduceSum", "ReduceMean",
            "Softmax", "Sum", "Mean", "Einsum"}


def rule(*names: str) -> Callable[[Rule], Rule]:
    def register(f: Rule) -> Rule:
        for n in names:
            OPS[n] = f
        return f
    return register


def _kinds(*arrays: np.ndarray) -> bool:
    """True when any operand holds exact (float) values, False for all-integer operands."""
    return any(a.dtype == object or a.dtype == np.float64 for a in arrays)


@rule("Identity")
def _identity(it: Interpreter, node: Node, args: Args) -> Output:
    return args[0]


@rule("Dropout")
def _dropout(it: Interpreter, node: Node, args: Args) -> Output:
    if len(args) > 2 and args[2] is not None:
        mode = it.ints(args[2], node, "training_mode")
        if mode.size and bool(mode.reshape(-1)[0]):
            raise Refused("runs in training mode (random), not a function of the input")
    x = args[0]
    if len(node.outputs) > 1:
        return x, np.ones(x.shape, dtype=bool)
    return x


@rule("Constant")
def _constant(it: Interpreter, node: Node, args: Args) -> Output:
    a = node.attributes
    if "value" in a and isinstance(a["value"], np.ndarray):
        if a["value"].dtype == np.float64:
            it._cast_type = a.get("value.type", 1)
        elif a["value"].dtype != bool:
            it._int_type = a.get("value.type", 7)
        return a["value"]
    if "value_float" in a:
        return np.array(a["value_float"], dtype=np.float64)
    if "value_floats" in a:
        return np.array(a["value_floats"], dtype=np.float64)
    if "value_int" in a:
        return np.array(a["value_int"], dtype=np.int64)
    if "value_ints" in a:
        return np.array(a["value_ints"], dtype=np.int64)
    raise Refused("holds a kind of constant that is not supported (sparse or string)")


@rule("ConstantOfShape")
def _constant_of_shape(it: Interpreter, node: Node, args: Args) -> Output:
    shape = tuple(int(s) for s in it.ints(args[0], node, "shape").reshape(-1))
    if any(s < 0 for s in shape):
        raise ModelFormatError(f"{node.label}: negative dimension in {list(shape)}")
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if count > it.ctx.limits.max_cells:
        raise LimitExceeded(f"{node.label}: a tensor of {count} elements (more than "
                            f"--max-cells)")
    value = node.attributes.get("value")
    if value is None:
        return np.zeros(shape, dtype=np.float64)
    if not isinstance(value, np.ndarray) or value.size != 1:
        raise ModelFormatError(f"{node.label}: 'value' must be a one-element tensor")
    if value.dtype == np.float64:
        it._cast_type = node.attributes.get("value.type", 1)  # float64 stays float64
    elif value.dtype != bool:
        it._int_type = node.attributes.get("value.type", 7)
    return np.full(shape, value.reshape(-1)[0], dtype=value.dtype)


@rule("Shape")
def _shape(it: Interpreter, node: Node, args: Args) -> Output:
    dims = np.array(args[0].shape, dtype=np.int64)
    it._int_type = 7
    r = len(dims)
    start = node.attributes.get("start", 0)
    end = node.attributes.get("end", r)
    start = min(max(start + r if start < 0 else start, 0), r)
    end = min(max(end + r if end < 0 else end, 0), r)
    return dims[start:end]


@rule("Size")
def _size(it: Interpreter, node: Node, args: Args) -> Output:
    it._int_type = 7
    return np.array(args[0].size, dtype=np.int64)


def _int_range(code: int) -> tuple[int, int]:
    info = np.iinfo(INTEGER_TYPES[code])
    return int(info.min), int(info.max)


def _int_code(it: Interpreter, node: Node) -> int:
    return next((it.itype[n] for n in node.inputs if n in it.itype), 7)


def _in_range(values: np.ndarray, code: int, what: str) -> np.ndarray:
    """Exact integers (an object array) that all lie in the integer type ``code`` as
    int64; anything else is refused (ONNX leaves integer overflow to the runtime)."""
    lo, hi = _int_range(code)
    values = np.asarray(values, dtype=object)  # a 0-d object operation returns a bare int
    flat = [int(v) for v in values.reshape(-1)]
    if any(v < lo or v > hi for v in flat):
        raise Refused(f"{what} outside the range of {_INT_NAMES[code]} "
                      f"[{lo}, {hi}] (overflow is not defined exactly here)")
    if any(v > 2 ** 63 - 1 for v in flat):
        raise Refused(f"{what} above 2**63 - 1 (not supported)")
    return np.array(flat, dtype=np.int64).reshape(values.shape)


_INT_NAMES = {2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
              12: "UINT32", 13: "UINT64"}


def _binary(op: str) -> Rule:
    def apply(it: Interpreter, node: Node, args: Args) -> Output:
        a, b = args[0], args[1]
        if not _kinds(a, b):
            return _in_range(_integer_binary(op, a, b), _int_code(it, node),
                             f"an integer {op} result")
        a, b = it.exact(a), it.exact(b)
        fn = {"Add": _ADD, "Sub": _SUB, "Mul": _MUL}[op]
        return _obj(fn(a, b))
    return apply


def _integer_binary(op: str, a: np.ndarray, b: np.ndarray) -> Any:
    """a op b over exact Python integers (never wrapping int64): an object array."""
    a, b = np.asarray(a.astype(np.int64), dtype=object), np.asarray(b.astype(np.int64),
                                                                    dtype=object)
    if op == "Add":
        return a + b
    if op == "Sub":
        return a - b
    if op == "Mul":
        return a * b
    q, r = np.divmod(a, np.where(b == 0, 1, b).astype(object))
    if np.any(b == 0) or np.any(r != 0):
        raise Refused("an integer division that is not exact (or by zero)")
    return q


for _op in ("Add", "Sub", "Mul"):
    OPS[_op] = _binary(_op)


@rule("Sum")
def _sum(it: Interpreter, node: Node, args: Args) -> Output:
    out = it.exact(args[0])
    for a in args[1:]:
        out = _obj(_ADD(out, it.exact(a)))
    return out


@rule("Div")
def _div(it: Interpreter, node: Node, args: Args) -> Output:
    a, b = args[0], args[1]
    if not _kinds(a, b):
        return _in_range(_integer_binary("Div", a, b), _int_code(it, node),
                         "an integer Div result")
    a, b = it.exact(a), it.exact(b)
    inverse = np.empty(b.shape, dtype=object)
    for i, v in np.ndenumerate(b):
        if it.ctx.encloses and v is not NEG_INF and not _is_ground(v):
            # in interval mode the domain is the enclosures' (NotExact when v may be 0)
            inverse[i] = cast("EnclosureDomain", it.ctx.domain).reciprocal(v)
            continue
        if not _is_ground(v):
            raise Refused("divides by a value that depends on the input (only division "
                          "by a constant is a polynomial operation)" + NUMERICAL_HINT)
        if not v:
            raise Refused("divides by zero")
        inverse[i] = it.ctx.const(1 / _ground_value(v))
    return _obj(_MUL(a, inverse))


@rule("Neg")
def _neg_rule(it: Interpreter, node: Node, args: Args) -> Output:
    a = args[0]
    if not _kinds(a):
        return _in_range(-np.asarray(a.astype(np.int64), dtype=object), _int_code(it, node),
                         "an integer Neg result")
    return _obj(_NEG(it.exact(a)))


@rule("Pow")
def _pow(it: Interpreter, node: Node, args: Args) -> Output:
    base, e = args[0], args[1]
    if e.dtype == object:
        if not all(_is_ground(v) for v in e.reshape(-1)):
            raise Refused("has an exponent that depends on the input")
        values = [_ground_value(v) for v in e.reshape(-1)]
    else:
        values = [Fraction(v) for v in e.reshape(-1).tolist()]
    if any(v.denominator != 1 or v < 0 for v in values):
        raise Refused("has an exponent that is not a non-negative integer constant")
    if any(v > it.ctx.limits.max_exponent for v in values):
        raise LimitExceeded(f"{node.label}: an exponent above {it.ctx.limits.max_exponent}")
    exps = np.array([int(v) for v in values], dtype=object).reshape(e.shape)
    base = it.exact(base)

    def power(p: Element, k: int) -> Element:
        if p is NEG_INF:
            raise Refused("raises -inf to a power")
        return p ** k
    return _obj(np.frompyfunc(power, 2, 1)(base, exps))


@rule("Relu")
def _relu(it: Interpreter, node: Node, args: Args) -> Output:
    x = it.exact(args[0])
    dom = it.ctx.domain
    return _obj(np.frompyfunc(lambda p: it.ctx.zero if p is NEG_INF else dom.relu(p),
                              1, 1)(x)) if x.size else x


@rule("MatMul")
def _matmul(it: Interpreter, node: Node, args: Args) -> Output:
    return matmul(it.ctx, it.exact(args[0]), it.exact(args[1]))


def matmul(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """numpy.matmul over exact elements, following only the non-zero products."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("MatMul of a scalar")
    squeeze = []
    if a.ndim == 1:
        a = a[None, :]
        squeeze.append(-2)
    if b.ndim == 1:
        b = b[:, None]
        squeeze.append(-1)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"shapes {a.shape} and {b.shape} do not multiply")
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    n, m = a.shape[-2], b.shape[-1]
    out = np.empty(batch + (n, m), dtype=object)
    for idx in np.ndindex(*batch):
        out[idx] = _matmul2(ctx, a[idx], b[idx])
    for axis in sorted(squeeze):
        out = out.squeeze(axis) if out.ndim else out
    return out


def _matmul2(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n, k = a.shape
    m = b.shape[1]
    anz, bnz = _nonzero(a), _nonzero(b)
    if any(v is NEG_INF for v in a[anz]) or any(v is NEG_INF for v in b[bnz]):
        raise Refused("multiplies matrices holding -inf")
    zero = ctx.zero
    out = np.full((n, m), zero, dtype=object)
    cols = [np.flatnonzero(bnz[r]).tolist() for r in range(k)]
    for i in range(n):
        if i % 64 == 0:
            ctx.check_time()
        acc: dict[int, object] = {}
        for r in np.flatnonzero(anz[i]).tolist():
            air = a[i, r]
            brow = b[r]
            for j in cols[r]:
                t = _times(air, brow[j])
                prev = acc.get(j)
                acc[j] = t if prev is None else prev + t
        for j, v in acc.items():
            out[i, j] = v
    return out


@rule("Gemm")
def _gemm(it: Interpreter, node: Node, args: Args) -> Output:
    at = node.attributes
    a, b = it.exact(args[0]), it.exact(args[1])
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError("Gemm needs 2-D A and B")
    if at.get("transA", 0):
        a = a.T
    if at.get("transB", 0):
        b = b.T
    y = matmul(it.ctx, a, b)
    alpha = it.ctx.reading(float(at.get("alpha", 1.0)))
    beta = it.ctx.reading(float(at.get("beta", 1.0)))
    if alpha != 1:
        y = _obj(_MUL(y, _scalar(it.ctx.const(alpha))))
    if len(args) > 2 and args[2] is not None:
        c = it.exact(args[2])
        if beta != 1:
            c = _obj(_MUL(c, _scalar(it.ctx.const(beta))))
        y = _obj(_ADD(y, c))
    return y


def _axis(axis: int, rank: int, node: Node) -> int:
    if not -rank <= axis < max(rank, 1):
        raise ModelFormatError(f"{node.label}: axis {axis} is outside a tensor of rank {rank}")
    return axis + rank if axis < 0 else axis


@rule("Transpose")
def _transpose(it: Interpreter, node: Node, args: Args) -> Output:
    x = args[0]
    perm = node.attributes.get("perm")
    if perm is None:
        perm = tuple(reversed(range(x.ndim)))
    if sorted(perm) != list(range(x.ndim)):
        raise ModelFormatError(f"{node.label}: perm {list(perm)} is not a permutation of "
                               f"the {x.ndim} axes")
    return np.transpose(x, perm)


@rule("Reshape")
def _reshape(it: Interpreter, node: Node, args: Args) -> Output:
    x = args[0]
    if len(args) > 1:
        shape = [int(s) for s in it.ints(args[1], node, "shape").reshape(-1)]
    else:  # opset < 5: an attribute
        shape = list(node.attributes.get("shape", ()))
    allowzero = node.attributes.get("allowzero", 0)
    out = []
    for i, s in enumerate(shape):
        if s == 0 and not allowzero:
            if i >= x.ndim:
                raise ModelFormatError(f"{node.label}: a 0 in the shape at axis {i} beyond "
                                       f"the input rank {x.ndim}")
            s = x.shape[i]
        out.append(s)
    if out.count(-1) > 1 or any(s < -1 for s in out):
        raise ModelFormatError(f"{node.label}: invalid target shape {shape}")
    if -1 in out:
        known = int(np.prod([s for s in out if s != -1], dtype=object))
        if known == 0 or x.size % known:
            raise ModelFormatError(f"{node.label}: cannot reshape {x.shape} to {shape}")
        out[out.index(-1)] = x.size // known
    if int(np.prod(out, dtype=object)) != x.size:
        raise ModelFormatError(f"{node.label}: cannot reshape {list(x.shape)} to {shape}")
    return x.reshape(out)


@rule("Flatten")
def _flatten(it: Interpreter, node: Node, args: Args) -> Output:
    x = args[0]
    axis = node.attributes.get("axis", 1)
    axis = axis + x.ndim if axis < 0 else axis
    if not 0 <= axis <= x.ndim:
        raise ModelFormatError(f"{node.label}: axis {axis} outside rank {x.ndim}")
    outer = int(np.prod(x.shape[:axis], dtype=object)) if axis else 1
    return x.reshape(outer, -1 if x.size else int(np.prod(x.shape[axis:], dtype=object)))


def _axes_of(it: Interpreter, node: Node, args: Args, attr_before: int,
             index: int = 1) -> Sequence[int] | None:
    """Axes from the attribute (opsets before ``attr_before``) or from input ``index``."""
    if it.opset < attr_before:
        axes = node.attributes.get("axes")
        return None if axes is None else [int(a) for a in axes]
    if len(args) > index and args[index] is not None:
        return [int(a) for a in it.ints(args[index], node, "axes").reshape(-1)]
    return None


@rule("Squeeze")
def _squeeze(it: Interpreter, node: Node, args: Args) -> Output:
    x = args[0]
    axes = _axes_of(it, node, args, 13)
    if axes is None:
        return x.reshape([s for s in x.shape if s != 1])
    axes = sorted({_axis(a, x.ndim, node) for a in axes})
    if any(x.shape[a] != 1 for a in axes):
        raise ModelFormatError(f"{node.label}: squeezes axes {axes} of shape {list(x.shape)}, "
                               "not all of size 1")
    return x.reshape([s for i, s in enumerate(x.shape) if i not in axes])


@rule("Unsqueeze")
def _unsqueeze(it: Interpreter, node: Node, args: Args) -> Output:
    x = args[0]
    axes = _axes_of(it, node, args, 13)
    if axes is None:
        raise ModelFormatError(f"{node.label}: no axes given")
    rank = x.ndim + len(axes)
    axes = sorted(_axis(a, rank, node) for a in axes)
    if len(set(axes)) != len(axes):
        raise ModelFormatError(f"{node.label}: repeated axes")
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return x.reshape(shape)


@rule("Concat")
def _concat(it: Interpreter, node: Node, args: Args) -> Output:
    parts = [a for a in args if a is not None]
    if not parts:
        raise ModelFormatError(f"{node.label}: no inputs")
    axis = _axis(node.attributes.get("axis", 0), parts[0].ndim, node)
    if _kinds(*parts):
        parts = [it.exact(p) for p in parts]
    return np.concatenate(parts, axis=axis)


@rule("Split")
def _split(it: Interpreter, node: Node, args: Args) -> Output:
    x = args[0]
    axis = _axis(node.attributes.get("axis", 0), x.ndim, node)
    count = len(node.outputs)
    if it.opset < 13:
        sizes = node.attributes.get("split")
    else:
        sizes = (None if len(args) < 2 or args[1] is None
                 else [int(s) for s in it.ints(args[1], node, "split").reshape(-1)])
    dim = x.shape[axis]
    if sizes is None and it.opset < 18 and count and dim % count:
        # before opset 18 an unspecified split is into EQUAL parts: an uneven one is
        # not defined (opset 18's num_outputs rounds up), so it is refused
        raise ModelFormatError(f"{node.label}: {dim} does not split into {count} equal "
                               f"parts (opset {it.opset} defines only equal parts)")
    if sizes is None:
        parts = node.attributes.get("num_outputs", count)
        step = -(-dim // parts) if parts else 0
        sizes = [min(step, max(dim - step * i, 0)) for i in range(parts)]
    sizes = list(sizes)
    if sum(sizes) != dim or any(s < 0 for s in sizes) or len(sizes) != count:
        raise ModelFormatError(f"{node.label}: split sizes {sizes} do not divide the "
                               f"dimension {dim} into {count} outputs")
    bounds = np.cumsum([0] + sizes).tolist()
    return tuple(np.take(x, range(bounds[i], bounds[i + 1]), axis=axis)
                 for i in range(count))


@rule("Slice")
def _slice(it: Interpreter, node: Node, args: Args) -> Output:
    x = args[0]
    if it.opset < 10:
        at = node.attributes
        starts, ends = list(at.get("starts", ())), list(at.get("ends", ()))
        axes = list(at.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    else:
        starts = [int(v) for v in it.ints(args[1], node, "starts").reshape(-1)]
        ends = [int(v) for v in it.ints(args[2], node, "ends").reshape(-1)]
        axes = ([int(v) for v in it.ints(args[3], node, "axes").reshape(-1)]
                if len(args) > 3 and args[3] is not None else list(range(len(starts))))
        steps = ([int(v) for v in it.ints(args[4], node, "steps").reshape(-1)]
                 if len(args) > 4 and args[4] is not None else [1] * len(starts))
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise ModelFormatError(f"{node.label}: starts, ends, axes and steps differ in length")
    out = x
    for s, e, a, st in zip(starts, ends, axes, steps):
        a = _axis(a, x.ndim, node)
        if st == 0:
            raise ModelFormatError(f"{node.label}: step 0")
        dim = x.shape[a]
        s = s + dim if s < 0 else s
        e = e + dim if e < 0 else e
        if st > 0:
            s, e = min(max(s, 0), dim), min(max(e, 0), dim)
        else:
            s, e = min(max(s, 0), dim - 1), min(max(e, -1), dim - 1)
        out = np.take(out, list(range(s, e, st)), axis=a)
    return out


@rule("Gather")
def _gather(it: Interpreter, node: Node, args: Args) -> Output:
    x = args[0]
    idx = it.ints(args[1], node, "indices")
    axis = _axis(node.attributes.get("axis", 0), x.ndim, node)
    dim = x.shape[axis]
    if np.any(idx < -dim) or np.any(idx >= dim):
        raise ModelFormatError(f"{node.label}: an index outside 0..{dim - 1}")
    return np.take(x, np.where(idx < 0, idx + dim, idx), axis=axis)


@rule("Expand")
def _expand(it: Interpreter, node: Node, args: Args) -> Output:
    x = args[0]
    shape = tuple(int(s) for s in it.ints(args[1], node, "shape").reshape(-1))
    target = np.broadcast_shapes(x.shape, shape)
    if int(np.prod(target, dtype=object)) > it.ctx.limits.max_cells:
        raise LimitExceeded(f"{node.label}: expands to {list(target)} (more than --max-cells)")
    return np.array(np.broadcast_to(x, target))


@rule("Where")
def _where(it: Interpreter, node: Node, args: Args) -> Output:
    cond, a, b = args
    if cond.dtype == object or cond.dtype == np.float64:
        raise Refused("its condition is not a constant boolean tensor (a condition that "
                      "depends on the input is not a polynomial operation)")
    if _kinds(a, b):
        a, b = it.exact(a), it.exact(b)
    return np.where(cond.astype(bool), a, b)


def _compare(op: str) -> Rule:
    def apply(it: Interpreter, node: Node, args: Args) -> Output:
        vals = []
        for a in args:
            if a.dtype == object:
                if not all(_is_ground(v) or v is NEG_INF for v in a.reshape(-1)):
                    raise Refused("compares values that depend on the input")
                v = np.empty(a.shape, dtype=object)
                for i, p in np.ndenumerate(a):
                    v[i] = -np.inf if p is NEG_INF else _ground_value(p)
                vals.append(v)
            elif a.dtype == np.float64:
                v = np.empty(a.shape, dtype=object)
                for i, p in np.ndenumerate(a):
                    v[i] = -np.inf if p == -np.inf else Fraction(float(p))
                vals.append(v)
            else:
                vals.append(a)
        fn = {"Equal": np.equal, "Less": np.less, "Greater": np.greater,
              "LessOrEqual": np.less_equal, "GreaterOrEqual": np.greater_equal,
              "And": np.logical_and, "Or": np.logical_or, "Xor": np.logical_xor,
              "Not": np.logical_not}[op]
        return np.asarray(fn(*vals), dtype=bool)
    return apply


for _op in ("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor",
            "Not"):
    OPS[_op] = _compare(_op)


def _representable(v: Fraction, code: int) -> bool:
    """v is exactly a value of the float type ``code`` (so casting it does not round)."""
    try:
        f = float(v)
    except OverflowError:
        return False
    if Fraction(f) != v:
        return False
    if FLOAT_TYPES[code] == "float64":
        return True
    if FLOAT_TYPES[code] == "float16":
        return np.isfinite(np.float16(f)) and float(np.float16(f)) == f
    f32 = np.float32(f)
    if not np.isfinite(f32) or float(f32) != f:
        return False
    if FLOAT_TYPES[code] == "bfloat16":
        return int(np.array(f32).view(np.uint32)) & 0xFFFF == 0
    return True


_WIDTH = {1: 32, 10: 16, 11: 64, 16: 16}


@rule("Cast", "CastLike")
def _cast(it: Interpreter, node: Node, args: Args) -> Output:
    x = args[0]
    if node.op == "CastLike":
        like = args[1]
        to = (it.ftype.get(node.inputs[1], 1) if like.dtype in (object, np.float64)
              else 9 if like.dtype == bool else it.itype.get(node.inputs[1], 7))
    else:
        to = int(node.attributes.get("to", 0))
    if to in FLOAT_TYPES:
        it._cast_type = to
        if not _kinds(x):
            ints = x.astype(np.int64)
            if not all(_representable(Fraction(int(v)), to) for v in ints.reshape(-1)):
                raise Refused("casts an integer that the float type cannot hold exactly")
            return it.exact(ints)
        x = it.exact(x)
        source = it.ftype.get(node.inputs[0], 11)
        widening = _WIDTH[to] >= _WIDTH[source] and {source, to} != {10, 16}
        if widening:
            return x
        for v in x.reshape(-1):
            if v is NEG_INF:
                continue
            if not _is_ground(v) or not _representable(_ground_value(v), to):
                raise Refused(f"casts to a narrower float type ({FLOAT_TYPES[to]}), which "
                              "rounds; exactformer does not model rounding")
        return x
    if to == 9 or to in (2, 3, 4, 5, 6, 7, 12, 13):
        if _kinds(x):
            x = it.exact(x)
            vals = []
            for v in x.reshape(-1):
                if not _is_ground(v):
                    raise Refused("casts an input-dependent value to an integer type")
                vals.append(_ground_value(v))
            if to == 9:
                return np.array([bool(v) for v in vals], dtype=bool).reshape(x.shape)
            if any(v.denominator != 1 for v in vals):
                raise Refused("casts a non-integer constant to an integer type (truncation)")
            it._int_type = to
            return _in_range(np.array([int(v) for v in vals], dtype=object).reshape(x.shape),
                             to, "casts a float (undefined in ONNX when it is out of range):"
                             " a value")
        if to == 9:
            return x.astype(bool)
        it._int_type = to
        return _in_range(np.array([_wrap(int(v), to) for v in x.astype(np.int64).reshape(-1)],
                                  dtype=object).reshape(x.shape), to, "a cast value")
    raise Refused(f"casts to an unsupported type {to}")


def _wrap(v: int, code: int) -> int:
    """v in the integer type ``code`` the way ONNX Cast converts integers: the value
    modulo 2**bits, read in two's complement for the signed types."""
    lo, hi = _int_range(code)
    span = hi - lo + 1
    return (v - lo) % span + lo


def _reduce(op: str) -> Rule:
    def apply(it: Interpreter, node: Node, args: Args) -> Output:
        x = args[0]
        before = 13 if op == "ReduceSum" else 18
        axes = _axes_of(it, node, args, before)
        keep = node.attributes.get("keepdims", 1)
        if axes is None or not axes:
            if axes is not None and node.attributes.get("noop_with_empty_axes", 0):
                return x
            if axes is None and node.attributes.get("noop_with_empty_axes", 0):
                return x
            axes = list(range(x.ndim))
        axes = tuple(sorted({_axis(a, x.ndim, node) for a in axes}))
        if not _kinds(x):
            s = np.asarray(x.astype(np.int64), dtype=object).sum(axis=axes,
                                                                 keepdims=bool(keep))
            if op == "ReduceSum":
                return _in_range(np.asarray(s, dtype=object), _int_code(it, node),
                                 "an integer ReduceSum result")
            x = it.exact(x)
        x = it.exact(x)
        count = int(np.prod([x.shape[a] for a in axes], dtype=object))
        if count == 0:
            shape = [1 if i in axes else s for i, s in enumerate(x.shape)] if keep else \
                [s for i, s in enumerate(x.shape) if i not in axes]
            return np.full(shape, it.ctx.zero, dtype=object)
        total = x
        for a in axes:  # one axis at a time (an object ufunc reduces one axis)
            total = _obj(_ADD.reduce(total, axis=a, keepdims=True))
        if not keep:
            total = total.reshape([s for i, s in enumerate(x.shape) if i not in axes])
        if op == "ReduceMean":
            total = _obj(_MUL(total, _scalar(it.ctx.const(Fraction(1, count)))))
        return total
    return apply


OPS["ReduceSum"] = _reduce("ReduceSum")
OPS["ReduceMean"] = _reduce("ReduceMean")


@rule("Softmax")
def _softmax(it: Interpreter, node: Node, args: Args) -> Output:
    x = it.exact(args[0])
    if x.ndim == 0:
        raise ModelFormatError(f"{node.label}: softmax of a scalar")
    if it.opset < 13:  # rows are the flattened trailing axes from 'axis' (default 1)
        axis = _axis(node.attributes.get("axis", 1), x.ndim, node)
        rows = x.reshape(int(np.prod(x.shape[:axis], dtype=object)), -1)
        return _softmax_rows(it, rows).reshape(x.shape)
    axis = _axis(node.attributes.get("axis", -1), x.ndim, node)
    moved = np.moveaxis(x, axis, -1)
    out = _softmax_rows(it, moved.reshape(-1, moved.shape[-1]) if moved.size else
                        moved.reshape(0, moved.shape[-1]))
    return np.moveaxis(out.reshape(moved.shape), -1, axis)


def _softmax_rows(it: Interpreter, rows: np.ndarray) -> np.ndarray:
    out = np.empty(rows.shape, dtype=object)
    dom, zero = it.ctx.domain, it.ctx.zero
    for r in range(rows.shape[0]):
        live = [j for j in range(rows.shape[1]) if rows[r, j] is not NEG_INF]
        if not live:
            raise Refused("a softmax row in which every score is -inf (NaN in IEEE)")
        try:
            weights = dom.softmax([rows[r, j] for j in live])
        except NotExact:
            raise Refused(f"softmax weights are not exactly derivable: row {r} has "
                          f"{len(live)} keys whose scores are not all the same polynomial "
                          "(the weights are then not polynomials); an additive mask such as "
                          "-1e9 is not -inf: its weight exp(-1e9) is not 0"
                          + NUMERICAL_HINT) from None
        out[r, :] = zero
        for j, w in zip(live, weights):
            out[r, j] = w
        it.ctx.softmax_rows += 1
        it.ctx.neg_inf_weights += rows.shape[1] - len(live)
    return out


@rule("Range")
def _range(it: Interpreter, node: Node, args: Args) -> Output:
    start, limit, delta = (int(it.ints(a, node, "range").reshape(-1)[0]) for a in args)
    if delta == 0:
        raise ModelFormatError(f"{node.label}: delta 0")
    count = max(-(-(limit - start) // delta), 0)
    if count > it.ctx.limits.max_cells:
        raise LimitExceeded(f"{node.label}: a range of {count} elements")
    return np.arange(start, limit, delta, dtype=np.int64)


@rule("Trilu")
def _trilu(it: Interpreter, node: Node, args: Args) -> Output:
    x = args[0]
    k = int(it.ints(args[1], node, "k").reshape(-1)[0]) if len(args) > 1 and \
        args[1] is not None else 0
    n, m = x.shape[-2:]
    rows, cols = np.indices((n, m))
    keep = (cols - rows >= k) if node.attributes.get("upper", 1) else (cols - rows <= k)
    if x.dtype == object or x.dtype == np.float64:
        x = it.exact(x)
        return np.where(keep, x, it.ctx.zero)
    return np.where(keep, x, np.zeros((), dtype=x.dtype))


# ------------------------------------------------------------------ running a graph
def input_tensor(ctx: Context, dimension: int, rows: int, has_batch: bool) -> np.ndarray:
    """x as exact elements: row r holds the domain's variables r*d .. r*d + d - 1."""
    out = np.empty((rows, dimension), dtype=object)
    for r in range(rows):
        for i in range(dimension):
            out[r, i] = ctx.domain.variable(r * dimension + i)
    return out if has_batch else out[0]


def run_graph(graph: Graph, ctx: Context, rows: int,
              keep: dict[str, np.ndarray] | None = None) -> list[Element]:
    """The graph's output for a batch of ``rows`` rows of independent variables: one
    exact polynomial per row (each in that row's variables only, or refused).
    ``keep``, a dict, receives every tensor of the run by name."""
    x = input_tensor(ctx, graph.dimension, rows, graph.input_has_batch)
    it = Interpreter(graph, ctx)
    y = it.run(x, graph.input_type)
    if keep is not None:
        keep.update(it.values)
    if y.dtype == np.float64:  # a constant output (an initializer or constant node)
        y = ctx.exact(y)
    if y.dtype != object:
        raise ModelFormatError("the graph output is not a float tensor")
    want = [(rows,), (rows, 1)] if graph.input_has_batch else [(), (1,)]
    if tuple(y.shape) not in want:
        raise ModelFormatError(f"the graph output has shape {list(y.shape)} for an input of "
                               f"{rows} row(s); one value per row is required "
                               f"({' or '.join(str(list(w)) for w in want)})")
    values = list(y.reshape(-1))
    if any(v is NEG_INF for v in values):
        raise NotExact("the graph output is -inf")
    return values


def make_context(names: Sequence[str], box: Box | None = None,
                 limits: Limits = DEFAULT_LIMITS, deadline: float | None = None,
                 reading: Callable[[float], Fraction] = Fraction) -> Context:
    """A context over QQ[names] (or QQ[names] on ``box``, whose relu signs it certifies)."""
    domain = PolynomialDomain(names) if box is None else BoxPolynomialDomain(names, box)
    return Context(domain, limits, deadline, reading)
