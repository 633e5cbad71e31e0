"""Read an ONNX file into a validated :class:`Graph`: bounded, exact, refusing early.

What is checked before anything is executed: the bytes parse as an ONNX ModelProto;
the graph has at most :data:`MAX_NODES` nodes and its tensors at most
``limits.max_cells`` elements in all; every node reads only names defined before it
(graph input, initializer, or an output of another node) and the nodes form no
cycle (they are put in topological order here); only operators of the default
domain are used; there is exactly one data input of shape ``[batch, d]`` or ``[d]``
and one output. Tensors stored outside the file (external data) are read only from
regular files inside the model's own folder.

A float tensor (float16, bfloat16, float32, float64) is decoded bit for bit and held
as float64, which represents each of those values exactly (each is a dyadic rational
whose significand fits in 53 bits); the interpreter turns each into the exact
``Fraction`` it equals. ``-inf`` is kept (``exp(-inf) = 0`` exactly, see
:mod:`.interpret`); NaN and ``+inf`` are refused, naming the tensor.
"""
from __future__ import annotations

import heapq
import os
import stat
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import LimitExceeded, ModelFormatError
from ...limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:  # onnx is imported when a graph is read (the optional extra)
    from onnx import AttributeProto, GraphProto, ModelProto, TensorProto, ValueInfoProto

#: Most nodes a graph may have (a transformer block is a few dozen nodes).
MAX_NODES = 100_000
#: Most dimensions of one tensor, and most attributes / inputs / outputs of one node.
MAX_RANK = 16
MAX_NODE_ARITY = 10_000

#: TensorProto data types accepted, by code: name, numpy dtype of the stored value.
FLOAT_TYPES = {1: "float32", 10: "float16", 11: "float64", 16: "bfloat16"}
INTEGER_TYPES: dict[int, type[np.integer[Any]]] = {
    2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32, 7: np.int64,
    12: np.uint32, 13: np.uint64}
BOOL_TYPE = 9
TYPE_NAMES = {0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16",
              6: "INT32", 7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE",
              12: "UINT32", 13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16",
              17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ",
              21: "UINT4", 22: "INT4", 23: "FLOAT4E2M1"}


def require_onnx() -> ModuleType:
    """The onnx module, or a clear error naming the extra that provides it."""
    try:
        import onnx
    except ImportError:
        raise ModelFormatError("reading ONNX needs the onnx package: pip install "
                               "'exactformer[onnx]'") from None
    return onnx


@dataclass(frozen=True)
class Node:
    """One operator application. ``attributes`` maps names to decoded values
    (int, float, bytes, lists of them, or a decoded tensor)."""

    name: str
    op: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"node {self.name[:60]!r} ({self.op})"


@dataclass(frozen=True)
class Graph:
    """A validated graph: nodes in topological order, decoded constant tensors, the one
    data input (its batch dimension an int, or None when dynamic or absent) and output."""

    nodes: tuple[Node, ...]
    initializers: dict[str, np.ndarray]
    input_name: str
    input_batch: int | None
    input_has_batch: bool
    dimension: int
    input_type: int
    output_name: str
    opset: int
    metadata: dict[str, str]
    tensor_types: dict[str, int] = field(default_factory=dict)  # initializer -> TensorProto type


def _str(value: object, what: str) -> str:
    """A protobuf string field as str (a field that is not valid UTF-8 is refused)."""
    if isinstance(value, str):
        return value
    raise ModelFormatError(f"{what} is not valid UTF-8 text")


def _text(value: str, n: int = 60) -> str:
    return repr(value if len(value) <= n else value[:n] + "...")


def _elements(dims: tuple[int, ...], what: str, limits: Limits) -> int:
    if len(dims) > MAX_RANK:
        raise ModelFormatError(f"{what} has {len(dims)} dimensions (at most {MAX_RANK})")
    count = 1
    for d in dims:
        if d < 0:
            raise ModelFormatError(f"{what} has a negative dimension {d}")
        count *= d
        if count > limits.max_cells:
            raise LimitExceeded(f"{what} has more than {limits.max_cells} elements "
                                "(--max-cells)")
    return count


def _external_bytes(tensor: TensorProto, what: str, base_dir: str | None,
                    limits: Limits) -> bytes:
    """The bytes of a tensor stored in an external file, from a regular file inside the
    model's folder only (no absolute path, no '..' escape, no symbolic link out)."""
    info = {_str(e.key, f"{what}: an external data key"):
            _str(e.value, f"{what}: an external data value")
            for e in tensor.external_data}
    location = info.get("location", "")
    if base_dir is None:
        raise ModelFormatError(f"{what} is stored in an external file, and this model was "
                               "not read from a folder")
    if not location or os.path.isabs(location) or "\x00" in location:
        raise ModelFormatError(f"{what}: external data location {_text(location)} must be a "
                               "relative path inside the model's folder")
    folder = os.path.realpath(base_dir)
    path = os.path.realpath(os.path.join(folder, location))
    if os.path.commonpath([folder, path]) != folder:
        raise ModelFormatError(f"{what}: external data location {_text(location)} points "
                               "outside the model's folder; refused")
    try:
        offset = int(info.get("offset", "0"))
        length = int(info["length"]) if "length" in info else None
    except ValueError:
        raise ModelFormatError(f"{what}: external data offset/length are not integers") \
            from None
    if offset < 0 or (length is not None and length < 0):
        raise ModelFormatError(f"{what}: negative external data offset or length")
    cap = 8 * limits.max_cells
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ModelFormatError(f"{what}: external data file {_text(location)} cannot be "
                               f"opened: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ModelFormatError(f"{what}: external data {_text(location)} is not a "
                                   "regular file")
        size = st.st_size - offset if length is None else length
        if size > cap or offset + max(size, 0) > st.st_size:
            raise ModelFormatError(f"{what}: external data range [{offset}, {offset + size}) "
                                   f"is not inside {_text(location)} ({st.st_size} bytes) or "
                                   f"exceeds {cap} bytes")
        os.lseek(fd, offset, os.SEEK_SET)
        chunks, got = [], 0
        while got < size:
            chunk = os.read(fd, min(1 << 24, size - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def decode_tensor(tensor: TensorProto, what: str, base_dir: str | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """A TensorProto as a numpy array: float64 for float types (exact), int64 for the
    integer types (uint64 above 2**63 refused), bool for BOOL. Other types refused."""
    code = int(tensor.data_type)
    dims = tuple(int(d) for d in tensor.dims)
    count = _elements(dims, what, limits)
    if code not in FLOAT_TYPES and code not in INTEGER_TYPES and code != BOOL_TYPE:
        raise ModelFormatError(f"{what} has data type {TYPE_NAMES.get(code, code)}, which "
                               "exactformer does not read (float16/bfloat16/float32/float64, "
                               "integers and bool only)")
    if tensor.HasField("segment"):
        raise ModelFormatError(f"{what} is a segmented tensor (not supported)")
    raw: bytes | None = None
    if tensor.data_location == 1:  # EXTERNAL
        raw = _external_bytes(tensor, what, base_dir, limits)
    elif tensor.HasField("raw_data"):
        raw = tensor.raw_data
    if code in FLOAT_TYPES:
        values = _float_values(tensor, code, raw, count, what)
    elif code == BOOL_TYPE:
        values = (np.frombuffer(raw, dtype=np.uint8) if raw is not None
                  else np.array(tensor.int32_data, dtype=np.int64))
        if values.size == count and np.any((values != 0) & (values != 1)):
            raise ModelFormatError(f"{what}: a BOOL tensor holds a value other than 0 and 1")
        values = values.astype(bool)
    else:
        values = _integer_values(tensor, code, raw, what)
    if values.size != count:
        raise ModelFormatError(f"{what} has shape {list(dims)} ({count} elements) but stores "
                               f"{values.size} values")
    return values.reshape(dims)


def _little(raw: bytes, dtype: type[np.generic], what: str) -> np.ndarray:
    dt = np.dtype(dtype).newbyteorder("<")
    if len(raw) % dt.itemsize:
        raise ModelFormatError(f"{what}: raw_data of {len(raw)} bytes is not a whole number "
                               f"of {dt.itemsize}-byte values")
    return np.frombuffer(raw, dtype=dt)


def _float_values(tensor: TensorProto, code: int, raw: bytes | None, count: int,
                  what: str) -> np.ndarray:
    name = FLOAT_TYPES[code]
    if name in ("float16", "bfloat16"):
        if raw is not None:
            bits = _little(raw, np.uint16, what).astype(np.uint32)
        else:
            bits = np.array(tensor.int32_data, dtype=np.int64)
            if np.any((bits < 0) | (bits > 0xFFFF)):
                raise ModelFormatError(f"{what}: a 16-bit float stored outside 0..65535")
            bits = bits.astype(np.uint32)
        if name == "float16":
            values = bits.astype(np.uint16).view(np.float16).astype(np.float64)
        else:  # bfloat16 is the top half of a float32: shifting back is exact
            values = (bits << 16).view(np.float32).astype(np.float64)
    elif name == "float32":
        values = (_little(raw, np.float32, what) if raw is not None
                  else np.array(tensor.float_data, dtype=np.float32)).astype(np.float64)
    else:
        values = (_little(raw, np.float64, what) if raw is not None
                  else np.array(tensor.double_data, dtype=np.float64)).astype(np.float64)
    if np.any(np.isnan(values)) or np.any(values == np.inf):
        raise ModelFormatError(f"{what} holds NaN or +infinity (only finite values and "
                               "-infinity are read)")
    return values


def _integer_values(tensor: TensorProto, code: int, raw: bytes | None,
                    what: str) -> np.ndarray:
    dtype = INTEGER_TYPES[code]
    if raw is not None:
        values = _little(raw, dtype, what)
    elif code in (7,):
        values = np.array(tensor.int64_data, dtype=np.int64)
    elif code in (12, 13):
        values = np.array(tensor.uint64_data, dtype=np.uint64)
    else:
        values = np.array(tensor.int32_data, dtype=np.int64)
    if values.dtype == np.uint64 and values.size and values.max() > np.iinfo(np.int64).max:
        raise ModelFormatError(f"{what}: an unsigned value above 2**63 - 1")
    return values.astype(np.int64)


def _attribute(attr: AttributeProto, where: str, base_dir: str | None,
               limits: Limits) -> object:
    kind = int(attr.type)
    if kind == 1:
        return float(attr.f)
    if kind == 2:
        return int(attr.i)
    if kind == 3:
        return bytes(attr.s)
    if kind == 4:
        return decode_tensor(attr.t, f"{where} attribute {attr.name!r}", base_dir, limits)
    if kind == 6:
        return tuple(float(v) for v in attr.floats)
    if kind == 7:
        return tuple(int(v) for v in attr.ints)
    if kind == 8:
        return tuple(bytes(v) for v in attr.strings)
    if attr.ref_attr_name:
        raise ModelFormatError(f"{where}: attribute {attr.name!r} refers to a function "
                               "attribute (functions are not supported)")
    return _Unsupported(kind)


@dataclass(frozen=True)
class _Unsupported:
    """An attribute kind the interpreter never reads (a graph, a sparse tensor, ...)."""

    kind: int


def _dims(value_info: ValueInfoProto) -> tuple[int | None, ...] | None:
    t = value_info.type
    if not t.HasField("tensor_type"):
        return None
    tt = t.tensor_type
    if not tt.HasField("shape"):
        return None
    return tuple(int(d.dim_value) if d.HasField("dim_value") else None for d in tt.shape.dim)


def parse_model(data: bytes) -> ModelProto:
    """The ModelProto of ``data`` (ModelFormatError for bytes that are not one)."""
    onnx = require_onnx()
    from google.protobuf.message import DecodeError  # type: ignore[import-untyped]  # no stubs
    model: ModelProto = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise ModelFormatError(f"not a readable ONNX file (protobuf: {str(exc)[:80]})") \
            from None
    return model


def read_graph(data: bytes, base_dir: str | None = None,
               limits: Limits = DEFAULT_LIMITS) -> Graph:
    """The validated :class:`Graph` of an ONNX file's bytes."""
    model = parse_model(data)
    if not model.HasField("graph"):
        raise ModelFormatError("not an ONNX model: it has no graph")
    g = model.graph
    if len(g.node) > MAX_NODES:
        raise LimitExceeded(f"the ONNX graph has {len(g.node)} nodes (at most {MAX_NODES})")
    opset = 0
    for imp in model.opset_import:
        if _str(imp.domain, "an opset domain") in ("", "ai.onnx"):
            opset = int(imp.version)
        elif any(n.domain == imp.domain for n in g.node):
            raise ModelFormatError(f"operators of the domain {_text(imp.domain)} are not "
                                   "standard ONNX; not supported")
    if opset < 1:
        raise ModelFormatError("the model imports no version of the default ONNX domain")
    if len(g.sparse_initializer):
        raise ModelFormatError("sparse initializers are not supported")
    initializers: dict[str, np.ndarray] = {}
    total = 0
    for t in g.initializer:
        _str(t.name, "an initializer name")
        if t.name in initializers:
            raise ModelFormatError(f"initializer {_text(t.name)} is defined twice")
        total += _elements(tuple(t.dims), f"initializer {_text(t.name)}", limits)
        if total > limits.max_cells:
            raise LimitExceeded(f"the initializers hold more than {limits.max_cells} "
                                "elements (--max-cells)")
        initializers[t.name] = decode_tensor(t, f"initializer {_text(t.name)}", base_dir,
                                             limits)
    for v in list(g.input) + list(g.output):
        _str(v.name, "a graph input or output name")
    inputs = [i for i in g.input if i.name not in initializers]
    if len(inputs) != 1:
        raise ModelFormatError(f"the graph has {len(inputs)} data inputs; exactformer reads "
                               "graphs with exactly one input x of shape [batch, d] or [d]")
    x = inputs[0]
    elem = x.type.tensor_type.elem_type if x.type.HasField("tensor_type") else 0
    if elem not in FLOAT_TYPES:
        raise ModelFormatError(f"input {_text(x.name)} has type "
                               f"{TYPE_NAMES.get(elem, elem)}; a float input is required")
    dims = _dims(x)
    if dims is None or len(dims) not in (1, 2) or dims[-1] is None:
        raise ModelFormatError(f"input {_text(x.name)} must have shape [batch, d] or [d] with "
                               f"a fixed d, got {list(dims) if dims is not None else 'none'}")
    if len(g.output) != 1:
        raise ModelFormatError(f"the graph has {len(g.output)} outputs; exactly one is "
                               "required (one value per input row)")
    nodes = _nodes(g, initializers, x.name, base_dir, limits, opset)
    metadata = {_str(p.key, "a metadata key"): _str(p.value, "a metadata value")
                for p in model.metadata_props}
    return Graph(nodes, initializers, x.name, dims[0] if len(dims) == 2 else 1,
                 len(dims) == 2, int(dims[-1]), int(elem), g.output[0].name, opset, metadata,
                 {t.name: int(t.data_type) for t in g.initializer})


def _known_attributes(where: str, op: str, names: list[str], opset: int) -> None:
    """Refuse an attribute the operator's ONNX schema (at this opset) does not define:
    a misspelt ``axis`` must not silently become the default."""
    import onnx
    try:
        schema = onnx.defs.get_schema(op, opset, "")
    except Exception:  # no such operator at this opset: the interpreter names it
        return
    unknown = sorted(set(names) - set(schema.attributes))
    if unknown:
        raise ModelFormatError(f"{where} has the attribute {_text(unknown[0])}, which "
                               f"{op} (opset {opset}) does not define")


def _nodes(g: GraphProto, initializers: dict[str, np.ndarray], input_name: str,
           base_dir: str | None, limits: Limits, opset: int) -> tuple[Node, ...]:
    """The graph's nodes, decoded and in topological order (Kahn's algorithm); a name
    read but never defined, defined twice, or a cycle is refused, naming the node."""
    producer: dict[str, int] = {}
    nodes: list[Node] = []
    for k, n in enumerate(g.node):
        name = _str(n.name, f"the name of node #{k}") or f"#{k}"
        op = _str(n.op_type, f"the operator of node {_text(name)}")
        where = f"node {_text(name)} ({op})"
        inputs = tuple(_str(v, f"an input name of {where}") for v in n.input)
        outputs = tuple(_str(v, f"an output name of {where}") for v in n.output)
        for a in n.attribute:
            _str(a.name, f"an attribute name of {where}")
        if _str(n.domain, f"the domain of {where}") not in ("", "ai.onnx"):
            raise ModelFormatError(f"{where} is in the domain {_text(n.domain)}, not standard "
                                   "ONNX; not supported")
        if len(n.input) > MAX_NODE_ARITY or len(n.output) > MAX_NODE_ARITY \
                or len(n.attribute) > MAX_NODE_ARITY:
            raise LimitExceeded(f"{where} has more than {MAX_NODE_ARITY} inputs, outputs or "
                                "attributes")
        for out in outputs:
            if out and (out in producer or out in initializers or out == input_name):
                raise ModelFormatError(f"{where} defines {_text(out)}, which is already "
                                       "defined")
            if out:
                producer[out] = k
        _known_attributes(where, op, [a.name for a in n.attribute], opset)
        attrs = {a.name: _attribute(a, where, base_dir, limits) for a in n.attribute}
        attrs.update({a.name + ".type": int(a.t.data_type) for a in n.attribute
                      if int(a.type) == 4})  # the stored type of a tensor attribute
        nodes.append(Node(name, op, inputs, outputs, attrs))
    known = set(initializers) | {input_name}
    waiting = [0] * len(nodes)
    readers: dict[int, list[int]] = {}
    for k, node in enumerate(nodes):
        for name in node.inputs:
            if not name or name in known:
                continue
            if name not in producer:
                raise ModelFormatError(f"{node.label} reads {_text(name)}, which no "
                                       "initializer, input or node defines")
            waiting[k] += 1
            readers.setdefault(producer[name], []).append(k)
    ready = [k for k in range(len(nodes)) if waiting[k] == 0]
    heapq.heapify(ready)  # smallest index first: file order whenever it is valid
    order: list[int] = []
    while ready:
        k = heapq.heappop(ready)
        order.append(k)
        for r in readers.get(k, ()):
            waiting[r] -= 1
            if waiting[r] == 0:
                heapq.heappush(ready, r)
    if len(order) != len(nodes):
        stuck = next(k for k in range(len(nodes)) if waiting[k])
        raise ModelFormatError(f"the graph has a cycle through {nodes[stuck].label}")
    return tuple(nodes[k] for k in order)
