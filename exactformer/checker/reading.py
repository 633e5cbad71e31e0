"""Reading and validating certificate JSON: strict parsing, the hash, exact numbers,
sparse matrices, the model, polynomial terms and the trace (standard library only).

Nothing here decides a claim: it turns JSON into the validated values the kernel
computes with, and refuses (Malformed, or TooLarge for a size limit) anything else.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
from fractions import Fraction
from typing import AbstractSet, Any, Iterator, NoReturn

from . import limits
from .errors import Malformed, TooLarge
from .forms import parse_form
from .kernel import Ring
from .limits import check_deadline
from .names import is_identifier
from .values import (Block, Form, Mask, Monomial, Poly, Rational, ReadoutEntry, Sparse,
                     SparseMonomial, Trace, TraceLayer)

CERTIFICATE_FORMAT = "exactformer-certificate/1"
MODEL_FORMAT = "exactformer-model/1"
SCORE_ACTIVATIONS = ("identity", "relu", "softmax")
FFN_ACTIVATIONS = ("relu", "square")
HASH_FIELD = "sha256"

def strict_loads(data: bytes | str) -> object:
    """json.loads refusing duplicate keys, NaN/Infinity, bad UTF-8 and huge input."""
    if isinstance(data, bytes):
        if len(data) > limits.MAX_BYTES:
            raise TooLarge(f"certificate is larger than {limits.MAX_BYTES} bytes")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Malformed(f"certificate is not valid UTF-8: {exc.reason}") from None
    check_deadline()

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = {}
        for k, v in items:
            if k in out:
                raise Malformed(f"certificate has the key {k!r} twice")
            out[k] = v
        check_deadline()
        return out

    def bad_constant(name: str) -> NoReturn:
        raise Malformed(f"certificate contains {name}, which is not an exact number")

    count = [0]

    def bounded_int(digits: str) -> int:  # int() refuses > 4300 digits with a bare ValueError
        count[0] += 1
        if count[0] & 4095 == 0:
            check_deadline()
        if len(digits) > limits.MAX_NUMBER_CHARS // 2:
            raise Malformed(f"certificate contains an integer with {len(digits)} digits, "
                            f"more than {limits.MAX_NUMBER_CHARS // 2}")
        return int(digits)

    try:
        value = json.loads(data, object_pairs_hook=pairs, parse_constant=bad_constant,
                           parse_int=bounded_int)
    except RecursionError:
        raise Malformed("certificate is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise Malformed(f"certificate is not valid JSON: {exc.msg} at line {exc.lineno} "
                        f"column {exc.colno}") from None
    check_deadline()
    return value


def canonical_bytes(obj: object) -> bytes:
    """The canonical serialisation: sorted keys, compact separators, ASCII."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def content_hash(cert: dict[str, Any]) -> str:
    """sha256 of the canonical certificate content (everything but the hash field),
    fed piece by piece: the same bytes as canonical_bytes, never all held at once."""
    body = {k: v for k, v in cert.items() if k != HASH_FIELD}
    h = hashlib.sha256()
    batch: list[str] = []
    for piece in _canonical_pieces(body, 3):
        batch.append(piece)
        if len(batch) >= 4096:
            h.update("".join(batch).encode())
            batch.clear()
            check_deadline()
    h.update("".join(batch).encode())
    return h.hexdigest()


def _canonical_pieces(obj: object, depth: int) -> Iterator[str]:
    """canonical_bytes(obj) as text pieces: JSON is compositional, so a dict (string
    keys, sorted) or a list is its members' text joined by "," in {...} or [...]."""
    if depth and isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        yield "{"
        for i, k in enumerate(sorted(obj)):
            yield ("," if i else "") + json.dumps(k, ensure_ascii=True) + ":"
            yield from _canonical_pieces(obj[k], depth - 1)
        yield "}"
    elif depth and isinstance(obj, list):
        yield "["
        for i, v in enumerate(obj):
            if i:
                yield ","
            yield from _canonical_pieces(v, depth - 1)
        yield "]"
    else:
        yield json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


_RATIONAL = re.compile(r"-?\d+(/\d+)?\Z", re.ASCII)


def rational(value: object, where: str) -> Rational:
    """An exact rational string "p" or "p/q" (an int when integral, else a Fraction)."""
    if not isinstance(value, str) or len(value) > limits.MAX_NUMBER_CHARS or not _RATIONAL.match(value):
        raise Malformed(f"{where} must be an exact rational string like \"-3/7\", "
                        f"got {json.dumps(value)[:40]}")
    p, _, q = value.partition("/")
    try:
        if not q:
            return int(p)
        v = Fraction(int(p), int(q))
    except ZeroDivisionError:
        raise Malformed(f"{where} = {value!r} divides by zero") from None
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        raise Malformed(f"{where} has a number with too many digits") from None
    return v.numerator if v.denominator == 1 else v


def obj(value: object, where: str, keys: AbstractSet[str],
        optional: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """A JSON object with exactly these keys (and maybe the optional ones)."""
    if not isinstance(value, dict):
        raise Malformed(f"{where} must be a JSON object")
    missing = sorted(keys - set(value))
    if missing:
        raise Malformed(f"{where} is missing the field {missing[0]!r}")
    extra = sorted(set(value) - keys - set(optional))
    if extra:
        raise Malformed(f"{where} has the unknown field {extra[0]!r}")
    return value


def nonneg_int(value: object, where: str, limit: int | None = None) -> int:
    """A JSON integer >= 0 (not a bool), at most limit (TooLarge above)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Malformed(f"{where} must be a non-negative integer")
    if limit is not None and value > limit:
        raise TooLarge(f"{where} = {value} is above the limit {limit}")
    return value


def as_list(value: object, where: str) -> list[Any]:
    """A JSON list."""
    if not isinstance(value, list):
        raise Malformed(f"{where} must be a JSON list")
    return value


def matrix(value: object, where: str,
           shape: tuple[int, int] | None = None) -> tuple[int, int, Sparse]:
    """(rows, cols, {row: [(col, rational), ...]}) of a sparse matrix."""
    m = obj(value, where, {"shape", "entries"})
    dims = as_list(m["shape"], f"{where}.shape")
    if len(dims) != 2:
        raise Malformed(f"{where}.shape must be [rows, cols]")
    rows, cols = (nonneg_int(v, f"{where}.shape", limits.MAX_TOKENS) for v in dims)
    if shape is not None and (rows, cols) != shape:
        raise Malformed(f"{where} has shape ({rows}, {cols}), expected {shape}")
    seen: set[tuple[int, int]] = set()
    by_row: Sparse = {}
    for i, e in enumerate(as_list(m["entries"], f"{where}.entries")):
        if not (isinstance(e, list) and len(e) == 3):
            raise Malformed(f"{where}.entries[{i}] must be [row, col, \"p/q\"]")
        r, c = nonneg_int(e[0], f"{where}.entries[{i}]"), nonneg_int(e[1], f"{where}.entries[{i}]")
        if r >= rows or c >= cols:
            raise Malformed(f"{where}.entries[{i}] = ({r}, {c}) is outside shape ({rows}, {cols})")
        if (r, c) in seen:
            raise Malformed(f"{where} has entry ({r}, {c}) twice")
        seen.add((r, c))
        v = rational(e[2], f"{where}[{r},{c}]")
        if v:
            by_row.setdefault(r, []).append((c, v))
    return rows, cols, by_row


def _exponents(exps: list[Any], nvars: int, where: str) -> SparseMonomial:
    """One term's exponents, dense [e_1, ..., e_k] (k = nvars) or sparse
    [[index, e], ...] (indices increasing, every e >= 1), as the sparse tuple
    ((index, e), ...) of its non-zero exponents: one spelling per monomial (the
    constant monomial is [] sparse, or nvars zeros dense)."""
    if isinstance(exps, list) and not exps:
        return ()  # no non-zero exponent: the constant monomial, in either spelling
    if exps and all(isinstance(p, list) for p in exps):
        out: list[tuple[int, int]] = []
        last = -1
        for pair in exps:
            if len(pair) != 2:
                raise Malformed(f"{where} sparse exponents must be [index, exponent] pairs")
            i = nonneg_int(pair[0], f"{where} index")
            e = nonneg_int(pair[1], f"{where} exponent", limits.MAX_EXPONENT)
            if i >= nvars or i <= last or not e:
                raise Malformed(f"{where} sparse exponents need increasing indices below "
                                f"{nvars} and exponents >= 1, got {pair}")
            out.append((i, e))
            last = i
        return tuple(out)
    if not (set(map(type, exps)) <= {int} and (not exps or
                                              (min(exps) >= 0 and max(exps) <= limits.MAX_EXPONENT))):
        for e in exps:  # bools are not int: this raises at the first bad entry
            nonneg_int(e, f"{where} exponent", limits.MAX_EXPONENT)
    if len(exps) != nvars:
        raise Malformed(f"{where} has {len(exps)} exponents, expected {nvars}")
    return tuple((i, exps[i]) for i in itertools.compress(range(nvars), exps))


def terms(value: object, nvars: int, where: str) -> list[tuple[SparseMonomial, Rational]]:
    """[[exponents, "p/q"], ...] -> [(sparse exponents, rational)] in file order;
    repeated monomials and zero coefficients are refused."""
    out: list[tuple[SparseMonomial, Rational]] = []
    seen: set[SparseMonomial] = set()
    for i, term in enumerate(as_list(value, where)):
        if i & 1023 == 1023:
            check_deadline()
        if not (isinstance(term, list) and len(term) == 2 and isinstance(term[0], list)):
            raise Malformed(f"{where}[{i}] must be [[exponents], \"p/q\"]")
        m = _exponents(term[0], nvars, f"{where}[{i}]")
        if m in seen:
            raise Malformed(f"{where} lists the monomial {term[0]} twice")
        seen.add(m)
        c = rational(term[1], f"{where}[{i}] coefficient")
        if not c:
            raise Malformed(f"{where}[{i}] stores a zero coefficient")
        out.append((m, c))
    return out


def dense(m: SparseMonomial, nvars: int) -> Monomial:
    """The dense exponent tuple of a sparse one."""
    out = [0] * nvars
    for i, e in m:
        out[i] = e
    return tuple(out)


def packed_poly(value: object, ring: Ring, where: str) -> Poly:
    """Terms over the ring's d variables as a packed polynomial."""
    return {ring.pack(dense(m, ring.d)): c for m, c in terms(value, ring.d, where)}


def cells(tokens: int, size: int, where: str) -> None:
    """tokens x size polynomial cells at most limits.MAX_CELLS (TooLarge above)."""
    if tokens * size > limits.MAX_CELLS:
        raise TooLarge(f"{where}: {tokens} tokens x {size} = {tokens * size} polynomial cells, "
                       f"above the limit {limits.MAX_CELLS}")


class Model:
    """The parts of a model JSON the forward pass needs, validated."""

    def __init__(self, data: object) -> None:
        where = "model"
        m = obj(data, where, {"format", "variables", "tokens", "width", "embedding",
                              "blocks", "readout", "meta"})
        if m["format"] != MODEL_FORMAT:
            raise Malformed(f"model.format is {m['format']!r}, expected {MODEL_FORMAT!r}")
        self.variables: tuple[str, ...] = tuple(as_list(m["variables"], "model.variables"))
        bad = [v for v in self.variables if not is_identifier(v)]
        if bad:
            raise Malformed(f"model.variables: {str(bad[0])[:40]!r} is not an ASCII identifier "
                            "(or names a constant)")
        if len(set(self.variables)) != len(self.variables):
            raise Malformed("model.variables must be distinct")
        n = self.tokens = nonneg_int(m["tokens"], "model.tokens", limits.MAX_TOKENS)
        w = self.width = nonneg_int(m["width"], "model.width", limits.MAX_TOKENS)
        cells(n, w, "model.width")
        emb = obj(m["embedding"], "model.embedding", {"base", "coefficients"})
        self.base = matrix(emb["base"], "model.embedding.base", (n, w))[2]
        coefs = as_list(emb["coefficients"], "model.embedding.coefficients")
        if len(coefs) != len(self.variables):
            raise Malformed(f"model.embedding has {len(coefs)} coefficient matrices for "
                            f"{len(self.variables)} variables")
        self.coefficients = [matrix(a, f"model.embedding.coefficients[{i}]", (n, w))[2]
                             for i, a in enumerate(coefs)]
        self.blocks = [self._block(b, k) for k, b in
                       enumerate(as_list(m["blocks"], "model.blocks"), 1)]
        ro = obj(m["readout"], "model.readout", {"shape", "entries", "bias"})
        if ro["shape"] != [n, w]:
            raise Malformed(f"model.readout.shape is {ro['shape']!r}, expected [{n}, {w}]")
        self.readout: list[ReadoutEntry] = []
        seen: set[tuple[int, int]] = set()
        for i, e in enumerate(as_list(ro["entries"], "model.readout.entries")):
            if not (isinstance(e, list) and len(e) == 3):
                raise Malformed(f"model.readout.entries[{i}] must be [token, channel, \"coefficient\"]")
            t, c = (nonneg_int(v, f"model.readout.entries[{i}]") for v in e[:2])
            if t >= n or c >= w:
                raise Malformed(f"model.readout.entries[{i}] = ({t}, {c}) is outside [{n}, {w}]")
            if (t, c) in seen:
                raise Malformed(f"model.readout has entry ({t}, {c}) twice")
            seen.add((t, c))
            self.readout.append((t, c, parse_form(e[2], f"model.readout[{t},{c}]")))
        self.bias: Form = parse_form(ro["bias"], "model.readout.bias")
        meta = m["meta"]
        if not isinstance(meta, dict) or not all(isinstance(v, (str, int)) and
                                                 not isinstance(v, bool) for v in meta.values()):
            raise Malformed("model.meta must map names to strings")
        self.meta: dict[str, str] = {k: str(v) for k, v in meta.items()}

    def _block(self, b: object, k: int) -> Block:
        where = f"model.blocks[{k}]"
        b = obj(b, where, {"attention", "ffn"})
        a = obj(b["attention"], f"{where}.attention",
                {"wq", "wk", "wv", "wo", "activation", "mask"})
        w = self.width
        wq_r, h, wq = matrix(a["wq"], f"{where}.attention.wq")
        wk_r, hk, wk = matrix(a["wk"], f"{where}.attention.wk")
        wv_r, hv, wv = matrix(a["wv"], f"{where}.attention.wv")
        cells(self.tokens, max(h, hv), f"{where}.attention head size")
        wo_r, wo_c, wo = matrix(a["wo"], f"{where}.attention.wo")
        if (wq_r, wk_r, wv_r, wo_c) != (w, w, w, w) or hk != h or wo_r != hv:
            raise Malformed(f"{where}.attention weight shapes do not fit width {w}: "
                            f"Wq ({wq_r}, {h}), Wk ({wk_r}, {hk}), Wv ({wv_r}, {hv}), "
                            f"Wo ({wo_r}, {wo_c})")
        act = a["activation"]
        if act not in SCORE_ACTIVATIONS:
            raise Malformed(f"{where}.attention.activation {act!r} is not one of "
                            f"{', '.join(SCORE_ACTIVATIONS)}")
        mask: Mask | None = None
        if a["mask"] is not None:
            rows: dict[int, list[int]] = {}
            seen: set[tuple[int, int]] = set()
            for i, p in enumerate(as_list(a["mask"], f"{where}.attention.mask")):
                if not (isinstance(p, list) and len(p) == 2):
                    raise Malformed(f"{where}.attention.mask[{i}] must be [query, key]")
                t, j = (nonneg_int(v, f"{where}.attention.mask[{i}]") for v in p)
                if t >= self.tokens or j >= self.tokens:
                    raise Malformed(f"{where}.attention.mask[{i}] = ({t}, {j}) is outside "
                                    f"{self.tokens} tokens")
                if (t, j) in seen:
                    raise Malformed(f"{where}.attention.mask lists ({t}, {j}) twice")
                seen.add((t, j))
                rows.setdefault(t, []).append(j)
            mask = [(t, sorted(rows[t])) for t in sorted(rows)]  # the rows with a key
        block: Block = {"wq": wq, "wk": wk, "wv": wv, "wo": wo, "h": h, "hv": hv,
                        "activation": act, "mask": mask, "ffn": None}
        if b["ffn"] is not None:
            f = obj(b["ffn"], f"{where}.ffn", {"w1", "b1", "w2", "b2", "activation"})
            r1, hid, w1 = matrix(f["w1"], f"{where}.ffn.w1")
            cells(self.tokens, hid, f"{where}.ffn hidden size")
            b1 = matrix(f["b1"], f"{where}.ffn.b1", (1, hid))[2]
            r2, c2, w2 = matrix(f["w2"], f"{where}.ffn.w2")
            b2 = matrix(f["b2"], f"{where}.ffn.b2", (1, w))[2]
            if r1 != w or r2 != hid or c2 != w:
                raise Malformed(f"{where}.ffn shapes do not fit width {w}")
            if f["activation"] not in FFN_ACTIVATIONS:
                raise Malformed(f"{where}.ffn.activation {f['activation']!r} is not one of "
                                f"{', '.join(FFN_ACTIVATIONS)}")
            block["ffn"] = {"w1": w1, "b1": dict(b1.get(0, [])), "w2": w2,
                            "b2": dict(b2.get(0, [])), "hidden": hid,
                            "activation": f["activation"]}
        return block


def trace_data(value: object, ring: Ring, nblocks: int, n: int, w: int) -> Trace:
    """The optional trace: [{"block": k, "entries": [[t, c, terms], ...]}] for
    k = 0..L; block k lists every entry of H_k that differs from H_{k-1} (all
    non-zero entries for k = 0)."""
    layers = as_list(value, "trace")
    if len(layers) != nblocks + 1:
        raise Malformed(f"trace has {len(layers)} layers, expected {nblocks + 1} "
                        "(the embedding and one per block)")
    out: Trace = []
    for k, layer in enumerate(layers):
        lw = f"trace[{k}]"
        layer = obj(layer, lw, {"block", "entries"})
        if layer["block"] != k:
            raise Malformed(f"{lw}.block is {layer['block']!r}, expected {k}")
        entries: TraceLayer = {}
        for i, e in enumerate(as_list(layer["entries"], f"{lw}.entries")):
            if not (isinstance(e, list) and len(e) == 3):
                raise Malformed(f"{lw}.entries[{i}] must be [token, channel, terms]")
            t, c = (nonneg_int(v, f"{lw}.entries[{i}]") for v in e[:2])
            if t >= n or c >= w or (t, c) in entries:
                raise Malformed(f"{lw}.entries[{i}] = ({t}, {c}) is outside the model or repeated")
            entries[(t, c)] = packed_poly(e[2], ring, f"{lw}[{t},{c}]")
        out.append(entries)
    return out
