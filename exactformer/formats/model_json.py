"""Lossless JSON (de)serialisation of models; rationals travel as strings.

Reading is strict: duplicate keys, NaN/Infinity, floats where a rational is
required, unknown fields and mismatched shapes are refused with a ModelFormatError
that names the offending place.
"""
from __future__ import annotations

import json
import re
from fractions import Fraction
from typing import Any, NoReturn, TypedDict, cast

import sympy

from ..errors import ExactformerError, LimitExceeded, ModelFormatError, ShapeError
from ..limits import DEFAULT_LIMITS, Limits
from ..poly.target import parse_coefficient
from ..model.ir import Attention, Block, Embedding, FeedForward, Model, Readout
from ..model.matrix import ExactMatrix, Mask

MODEL_FORMAT = "exactformer-model/1"


class MatrixJSON(TypedDict):
    """A sparse exact matrix: its shape and [row, col, "p/q"] entries."""

    shape: list[int]
    entries: list[list[int | str]]


def fraction_text(value: Fraction) -> str:
    return str(value)


def coefficient_text(value: Fraction | sympy.Expr) -> str:
    if isinstance(value, Fraction):
        return str(value)
    return cast(str, sympy.sstr(value, order="lex"))


def matrix_to_json(m: ExactMatrix) -> MatrixJSON:
    return {"shape": [m.rows, m.cols],
            "entries": [[r, c, fraction_text(v)] for r, c, v in m.entries]}


def model_to_json(model: Model) -> dict[str, Any]:
    """The model as plain JSON data (deterministic: sorted, exact strings)."""
    blocks = []
    for b in model.blocks:
        att = b.attention
        item: dict[str, Any] = {"attention": {
            "wq": matrix_to_json(att.wq), "wk": matrix_to_json(att.wk),
            "wv": matrix_to_json(att.wv), "wo": matrix_to_json(att.wo),
            "activation": att.activation,
            "mask": None if att.mask is None else [list(p) for p in att.mask.pairs()],
        }, "ffn": None}
        if b.ffn is not None:
            item["ffn"] = {"w1": matrix_to_json(b.ffn.w1), "b1": matrix_to_json(b.ffn.b1),
                           "w2": matrix_to_json(b.ffn.w2), "b2": matrix_to_json(b.ffn.b2),
                           "activation": b.ffn.activation}
        blocks.append(item)
    r = model.readout
    return {
        "format": MODEL_FORMAT,
        "variables": list(model.variables),
        "tokens": model.tokens,
        "width": model.width,
        "embedding": {"base": matrix_to_json(model.embedding.base),
                      "coefficients": [matrix_to_json(a) for a in model.embedding.coefficients]},
        "blocks": blocks,
        "readout": {"shape": [r.rows, r.cols],
                    "entries": [[t, c, coefficient_text(v)] for t, c, v in r.entries],
                    "bias": coefficient_text(r.bias)},
        "meta": dict(model.meta),
    }


def dumps(model: Model) -> str:
    """Canonical JSON text of a model."""
    return json.dumps(model_to_json(model), sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------- reading

def strict_json_loads(text: str | bytes, what: str = "JSON",
                      max_bytes: int = 200_000_000) -> Any:
    """json.loads that refuses duplicate keys, NaN/Infinity and oversized input."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModelFormatError(f"{what} is not valid UTF-8: {exc.reason}") from None
    if len(text) > max_bytes:
        raise ModelFormatError(f"{what} is larger than {max_bytes} bytes")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise ModelFormatError(f"{what} has the key {k!r} twice")
            out[k] = v
        return out

    def bad_constant(name: str) -> NoReturn:
        raise ModelFormatError(f"{what} contains {name}, which is not an exact number")

    def bounded_int(digits: str) -> int:  # int() refuses > 4300 digits with a bare ValueError
        if len(digits) > MAX_NUMBER_DIGITS:
            raise ModelFormatError(f"{what} contains an integer with {len(digits)} digits, "
                                   f"more than {MAX_NUMBER_DIGITS}")
        return int(digits)

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=bad_constant,
                          parse_int=bounded_int)
    except RecursionError:
        raise ModelFormatError(f"{what} is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ModelFormatError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} "
                               f"column {exc.colno}") from None


def _want(obj: object, key: str, kind: type, where: str) -> Any:
    if not isinstance(obj, dict):
        raise ModelFormatError(f"{where} must be an object")
    if key not in obj:
        raise ModelFormatError(f"{where} is missing {key!r}")
    value = obj[key]
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ModelFormatError(f"{where}.{key} must be a non-negative integer")
    elif not isinstance(value, kind):
        raise ModelFormatError(f"{where}.{key} must be {getattr(kind, '__name__', kind)}")
    return value


def _only(obj: dict[Any, Any], keys: set[str], where: str) -> None:
    extra = sorted(set(obj) - keys)
    if extra:
        raise ModelFormatError(f"{where} has unknown field {extra[0]!r}")


#: Most decimal digits of a number in a model file (numerator, denominator, or a
#: decimal's digits plus its exponent): below Python's int <-> str conversion limit.
MAX_NUMBER_DIGITS = 4000

_FRACTION_TEXT = re.compile(r"\s*[+-]?(\d+)(?:/(\d+))?\s*", re.ASCII)
_DECIMAL_TEXT = re.compile(r"\s*[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*", re.ASCII)


def exact_number(text: str, where: str) -> Fraction | None:
    """The rational written as "p", "p/q" or a decimal ("-0.5", "1.5e3"), or None when
    ``text`` is not such a number. A number with more than MAX_NUMBER_DIGITS digits
    (``1e999999`` counts 1000000) is refused with LimitExceeded before it is built."""
    m = _FRACTION_TEXT.fullmatch(text)
    if m:
        digits = max(len(m.group(1)), len(m.group(2) or ""))
    else:
        m = _DECIMAL_TEXT.fullmatch(text)
        if not m or not (m.group(1) or m.group(2)):
            return None
        exponent = m.group(3) or "0"
        scale = int(exponent) if len(exponent) < 12 else 10**12
        digits = len(m.group(1)) + len(m.group(2) or "") + abs(scale)
    if digits > MAX_NUMBER_DIGITS:
        raise LimitExceeded(f"{where} has a number with about {digits} digits, more than "
                            f"{MAX_NUMBER_DIGITS}")
    try:
        return Fraction(text)
    except ZeroDivisionError:
        raise ModelFormatError(f"{where} = {text[:40]!r} divides by zero") from None
    except ValueError:
        return None


def _rational(text: object, where: str) -> Fraction:
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise ModelFormatError(f"{where} must be an exact rational string like \"3/7\", "
                               f"got {json.dumps(text)[:40]}")
    if isinstance(text, int):
        return Fraction(text)  # the JSON reader bounds its digits
    if len(text) > 5000 or not text.strip():
        raise ModelFormatError(f"{where} is not a rational of sane size")
    value = exact_number(text, where)
    if value is None:
        raise ModelFormatError(f"{where} = {text[:40]!r} is not an exact rational")
    return value


def matrix_from_json(obj: object, where: str,
                     shape: tuple[int, int] | None = None) -> ExactMatrix:
    _only(obj if isinstance(obj, dict) else {}, {"shape", "entries"}, where)
    dims = _want(obj, "shape", list, where)
    if len(dims) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                 for v in dims):
        raise ModelFormatError(f"{where}.shape must be two non-negative integers")
    if shape is not None and tuple(dims) != shape:
        raise ModelFormatError(f"{where} has shape {tuple(dims)}, expected {shape}")
    values: dict[tuple[int, int], Fraction] = {}
    for i, e in enumerate(_want(obj, "entries", list, where)):
        if not (isinstance(e, list) and len(e) == 3 and all(
                isinstance(v, int) and not isinstance(v, bool) for v in e[:2])):
            raise ModelFormatError(f"{where}.entries[{i}] must be [row, col, \"p/q\"]")
        r, c = e[0], e[1]
        if not (0 <= r < dims[0] and 0 <= c < dims[1]):
            raise ModelFormatError(f"{where}.entries[{i}] = ({r}, {c}) is outside shape "
                                   f"{tuple(dims)}")
        if (r, c) in values:
            raise ModelFormatError(f"{where} has entry ({r}, {c}) twice")
        values[(r, c)] = _rational(e[2], f"{where}[{r},{c}]")
    return ExactMatrix.from_dict(dims[0], dims[1], values)


def model_from_json(data: object, limits: Limits = DEFAULT_LIMITS) -> Model:
    """Rebuild a Model from :func:`model_to_json` data, validating everything."""
    try:
        return _model_from_json(data, limits)
    except ShapeError as exc:
        raise ModelFormatError(f"model shapes do not fit: {exc}") from None
    except (ModelFormatError, LimitExceeded):
        raise
    except ExactformerError as exc:
        raise ModelFormatError(f"model is malformed: {exc}") from None


def _model_from_json(data: object, limits: Limits) -> Model:
    where = "model"
    if not isinstance(data, dict):
        raise ModelFormatError("model must be a JSON object")
    fmt = data.get("format")
    if fmt != MODEL_FORMAT:
        raise ModelFormatError(f"unknown model format {fmt!r} (expected {MODEL_FORMAT!r})")
    _only(data, {"format", "variables", "tokens", "width", "embedding", "blocks", "readout",
                 "meta"}, where)
    variables = _want(data, "variables", list, where)
    if not all(isinstance(v, str) for v in variables):
        raise ModelFormatError("model.variables must be strings")
    n = _want(data, "tokens", int, where)
    w = _want(data, "width", int, where)
    if n > limits.max_tokens:
        raise LimitExceeded(f"model has {n} tokens, above the limit {limits.max_tokens}")
    _cells(n, w, "model.width", limits)
    emb = _want(data, "embedding", dict, where)
    _only(emb, {"base", "coefficients"}, "model.embedding")
    base = matrix_from_json(_want(emb, "base", dict, "model.embedding"), "embedding.base", (n, w))
    coefs = _want(emb, "coefficients", list, "model.embedding")
    if len(coefs) != len(variables):
        raise ModelFormatError(f"embedding has {len(coefs)} matrices for "
                               f"{len(variables)} variables")
    embedding = Embedding(tuple(variables), base, tuple(
        matrix_from_json(a, f"embedding.coefficients[{i}]", (n, w)) for i, a in enumerate(coefs)))
    blocks = []
    for k, b in enumerate(_want(data, "blocks", list, where), 1):
        bw = f"blocks[{k}]"
        if not isinstance(b, dict):
            raise ModelFormatError(f"{bw} must be an object")
        _only(b, {"attention", "ffn"}, bw)
        att = _want(b, "attention", dict, bw)
        _only(att, {"wq", "wk", "wv", "wo", "activation", "mask"}, f"{bw}.attention")
        mats = {key: matrix_from_json(_want(att, key, dict, f"{bw}.attention"),
                                      f"{bw}.attention.{key}") for key in ("wq", "wk", "wv", "wo")}
        for key in ("wq", "wk", "wv"):
            _cells(n, mats[key].cols, f"{bw}.attention.{key} columns", limits)
        activation = _want(att, "activation", str, f"{bw}.attention")
        mask_data = att.get("mask")
        mask = None
        if mask_data is not None:
            if not isinstance(mask_data, list) or not all(
                    isinstance(p, list) and len(p) == 2 and all(
                        isinstance(v, int) and not isinstance(v, bool) for v in p)
                    for p in mask_data):
                raise ModelFormatError(f"{bw}.attention.mask must be a list of [query, key] pairs")
            if len({tuple(p) for p in mask_data}) != len(mask_data):
                raise ModelFormatError(f"{bw}.attention.mask lists a pair twice")
            mask = Mask.from_pairs(n, [tuple(p) for p in mask_data])
        ffn = None
        if b.get("ffn") is not None:
            f = b["ffn"]
            _only(f if isinstance(f, dict) else {}, {"w1", "b1", "w2", "b2", "activation"},
                  f"{bw}.ffn")
            # the activation is checked before the matrices are read, as it always was
            ffn_activation = _want(f, "activation", str, f"{bw}.ffn")
            w1, b1, w2, b2 = (matrix_from_json(_want(f, key, dict, f"{bw}.ffn"),
                                               f"{bw}.ffn.{key}")
                              for key in ("w1", "b1", "w2", "b2"))
            ffn = FeedForward(w1, b1, w2, b2, activation=ffn_activation)
            _cells(n, ffn.w1.cols, f"{bw}.ffn hidden size", limits)
        blocks.append(Block(Attention(mats["wq"], mats["wk"], mats["wv"], mats["wo"],
                                      activation, mask), ffn))
    ro = _want(data, "readout", dict, where)
    _only(ro, {"shape", "entries", "bias"}, "model.readout")
    dims = _want(ro, "shape", list, "model.readout")
    if dims != [n, w]:
        raise ModelFormatError(f"readout shape {dims} differs from [{n}, {w}]")
    values: dict[tuple[int, int], Fraction | sympy.Expr] = {}
    for i, e in enumerate(_want(ro, "entries", list, "model.readout")):
        if not (isinstance(e, list) and len(e) == 3 and all(
                isinstance(v, int) and not isinstance(v, bool) for v in e[:2])
                and isinstance(e[2], str)):
            raise ModelFormatError(f"readout.entries[{i}] must be [token, channel, \"coefficient\"]")
        if (e[0], e[1]) in values:
            raise ModelFormatError(f"readout has entry ({e[0]}, {e[1]}) twice")
        if not (0 <= e[0] < n and 0 <= e[1] < w):
            raise ModelFormatError(f"readout.entries[{i}] is outside [{n}, {w}]")
        values[(e[0], e[1])] = _coefficient(e[2], f"readout[{e[0]},{e[1]}]", limits)
    bias = _coefficient(ro.get("bias", "0"), "readout.bias", limits)
    meta = data.get("meta", {})
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, (str, int))
                                             for k, v in meta.items()):
        raise ModelFormatError("model.meta must map names to strings")
    return Model(embedding, tuple(blocks), Readout.from_dict(n, w, values, bias),
                 tuple(sorted((k, str(v)) for k, v in meta.items())))


def _cells(tokens: int, size: int, where: str, limits: Limits) -> None:
    """Refuse a model whose residual stream (or Q/K/V) would hold too many cells."""
    if tokens * size > limits.max_cells:
        raise LimitExceeded(f"{where}: {tokens} tokens x {size} = {tokens * size} cells, above "
                            f"the limit {limits.max_cells}")


def _coefficient(text: object, where: str, limits: Limits) -> Fraction | sympy.Expr:
    if not isinstance(text, str):
        raise ModelFormatError(f"{where} must be a string")
    if len(text) <= 5000:
        value = exact_number(text, where)
        if value is not None:
            return value
    try:
        return parse_coefficient(text, limits)
    except LimitExceeded:
        raise
    except ExactformerError as exc:
        raise ModelFormatError(f"{where} = {text[:40]!r}: {exc}") from None


def loads(text: str | bytes, limits: Limits = DEFAULT_LIMITS) -> Model:
    """Read a model from JSON text."""
    return model_from_json(strict_json_loads(text, "model file"), limits)
