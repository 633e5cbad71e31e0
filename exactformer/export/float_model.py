"""The float64 form of a model: named dense arrays of the standard shapes, a numpy
forward pass, the .npz file, and rational reconstruction back to the exact IR.

Shapes (N tokens, width D, d inputs): ``embedding.base`` (N, D),
``embedding.coefficients`` (d, N, D); per block k: ``blocks.k.wq``/``wk`` (D, h),
``wv`` (D, h_v), ``wo`` (h_v, D), optional boolean ``blocks.k.mask`` (N, N), optional
``blocks.k.ffn.w1`` (D, H), ``b1`` (H,), ``w2`` (H, D), ``b2`` (D,);
``readout.weight`` (N, D) and ``readout.bias`` (). The forward pass is DESIGN §1:
S = (H Wq)(H Wk)^T, A = phi_M(S) (H Wv), H += A Wo, H += sigma(H W1 + b1) W2 + b2,
y = <R, H_L> + r0; a masked softmax row with no allowed key outputs 0.

Everything here is numeric: float64 values are rounded images of the exact weights.
"""
from __future__ import annotations

import io
import json
import zipfile
from fractions import Fraction

import numpy as np

from ..errors import LimitExceeded, ModelFormatError, ParseError
from ..model import Attention, Block, Embedding, ExactMatrix, FeedForward, Mask, Model, Readout
from ..model.ir import FFN_ACTIVATIONS, SCORE_ACTIVATIONS, make_meta

FLOAT_FORMAT = "exactformer-float/1"
MAX_FLOAT_ENTRIES = 50_000_000


def _dense(m: ExactMatrix) -> np.ndarray:
    out = np.zeros(m.shape, dtype=np.float64)
    for r, c, v in m.entries:
        out[r, c] = float(v)  # correctly rounded: the nearest float64
    return out


def arrays_from_model(model: Model) -> tuple[dict, dict[str, np.ndarray]]:
    """(config, arrays): the model as float64 arrays of the standard shapes.

    The readout must be numeric (no symbolic coefficients)."""
    N, D = model.tokens, model.width
    size = N * D * (1 + len(model.variables)) + sum(
        (N * N if b.attention.mask is not None else 0) + 4 * D * max(b.attention.wq.cols, 1)
        for b in model.blocks)
    if size > MAX_FLOAT_ENTRIES:
        raise LimitExceeded(f"a dense float export would have {size} entries, above "
                            f"{MAX_FLOAT_ENTRIES}")
    for _, _, v in model.readout.entries + ((0, 0, model.readout.bias),):
        if not isinstance(v, Fraction):
            raise ParseError(f"readout entry {v} is symbolic: a float export needs numeric "
                             "coefficients (give the parameters values first)")
    arrays: dict[str, np.ndarray] = {
        "embedding.base": _dense(model.embedding.base),
        "embedding.coefficients": (np.stack([_dense(a) for a in model.embedding.coefficients])
                                   if model.variables else np.zeros((0, N, D))),
    }
    blocks = []
    for k, b in enumerate(model.blocks):
        att = b.attention
        for name in ("wq", "wk", "wv", "wo"):
            arrays[f"blocks.{k}.{name}"] = _dense(getattr(att, name))
        if att.mask is not None:
            mask = np.zeros((N, N), dtype=bool)
            for t, j in att.mask.pairs():
                mask[t, j] = True
            arrays[f"blocks.{k}.mask"] = mask
        item = {"activation": att.activation, "mask": att.mask is not None, "ffn": None}
        if b.ffn is not None:
            f = b.ffn
            arrays[f"blocks.{k}.ffn.w1"] = _dense(f.w1)
            arrays[f"blocks.{k}.ffn.b1"] = _dense(f.b1)[0]
            arrays[f"blocks.{k}.ffn.w2"] = _dense(f.w2)
            arrays[f"blocks.{k}.ffn.b2"] = _dense(f.b2)[0]
            item["ffn"] = f.activation
        blocks.append(item)
    R = np.zeros((N, D), dtype=np.float64)
    for t, c, v in model.readout.entries:
        R[t, c] = float(v)
    arrays["readout.weight"] = R
    arrays["readout.bias"] = np.array(float(model.readout.bias))
    config = {"format": FLOAT_FORMAT, "dtype": "float64", "variables": list(model.variables),
              "tokens": N, "width": D, "blocks": blocks, "meta": dict(model.meta)}
    return config, arrays


def float_forward(config: dict, arrays: dict[str, np.ndarray], X) -> np.ndarray:
    """y for a batch of inputs X (shape (batch, d)), in float64 (numerical only)."""
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    H = arrays["embedding.base"][None, :, :] + np.einsum(
        "bi,ind->bnd", X, arrays["embedding.coefficients"])
    for k, item in enumerate(config["blocks"]):
        p = f"blocks.{k}."
        Q, K, V = H @ arrays[p + "wq"], H @ arrays[p + "wk"], H @ arrays[p + "wv"]
        S = Q @ np.swapaxes(K, 1, 2)
        mask = arrays.get(p + "mask")
        allowed = np.ones(S.shape[1:], dtype=bool) if mask is None else mask
        if item["activation"] == "softmax":
            masked = np.where(allowed, S, -np.inf)
            top = np.max(masked, axis=2, keepdims=True)
            top = np.where(np.isfinite(top), top, 0.0)
            E = np.where(allowed, np.exp(masked - top), 0.0)
            total = E.sum(axis=2, keepdims=True)
            W = np.divide(E, total, out=np.zeros_like(E), where=total > 0)
        elif item["activation"] == "relu":
            W = np.maximum(S, 0.0) * allowed
        else:
            W = S * allowed
        H = H + (W @ V) @ arrays[p + "wo"]
        if item["ffn"] is not None:
            Z = H @ arrays[p + "ffn.w1"] + arrays[p + "ffn.b1"]
            Z = Z * Z if item["ffn"] == "square" else np.maximum(Z, 0.0)
            H = H + Z @ arrays[p + "ffn.w2"] + arrays[p + "ffn.b2"]
    return np.einsum("bnd,nd->b", H, arrays["readout.weight"]) + float(arrays["readout.bias"])


def save_npz(model: Model, path) -> dict:
    """Write the float64 export as .npz (config as JSON text under ``__config__``)."""
    config, arrays = arrays_from_model(model)
    np.savez(path, __config__=np.array(json.dumps(config, sort_keys=True)), **arrays)
    return config


def load_npz(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """(config, arrays) from the bytes of an .npz export (no pickles are loaded)."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as f:
            arrays = {name: f[name] for name in f.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFormatError(f"not a readable .npz export: {exc}") from None
    if "__config__" not in arrays:
        raise ModelFormatError("the .npz file has no __config__ entry: not an exactformer export")
    try:
        config = json.loads(str(arrays.pop("__config__")))
    except ValueError:
        raise ModelFormatError("the .npz __config__ entry is not JSON") from None
    return config, arrays


def _rational(value: float, max_denominator: int) -> Fraction:
    """The rational with denominator <= max_denominator nearest to ``value``
    (continued fractions, via Fraction.limit_denominator)."""
    return Fraction(value).limit_denominator(max_denominator)


def _exact(a: np.ndarray, shape: tuple[int, ...], name: str,
           max_denominator: int) -> ExactMatrix:
    if a.shape != shape:
        raise ModelFormatError(f"array {name} has shape {a.shape}, expected {shape}")
    if a.dtype.kind not in "fiub":
        raise ModelFormatError(f"array {name} has non-numeric dtype {a.dtype}")
    a = np.asarray(a, dtype=np.float64).reshape(shape[0] if shape else 1, -1)
    if not np.all(np.isfinite(a)):
        raise ModelFormatError(f"array {name} holds NaN or infinity")
    values = {}
    for r, c in zip(*np.nonzero(a)):
        values[(int(r), int(c))] = _rational(float(a[r, c]), max_denominator)
    return ExactMatrix.from_dict(a.shape[0], a.shape[1], values)


def model_from_arrays(config: dict, arrays: dict[str, np.ndarray],
                      max_denominator: int = 10**6) -> Model:
    """Rational reconstruction: every float becomes the nearest fraction with
    denominator <= ``max_denominator``. The result is a NEW exact model; proving it says
    nothing about the exact weights the floats were rounded from."""
    if not isinstance(config, dict) or config.get("format") != FLOAT_FORMAT:
        raise ModelFormatError(f"not an {FLOAT_FORMAT} export")
    if not (isinstance(max_denominator, int) and max_denominator >= 1):
        raise ParseError("--max-denominator must be a positive integer")
    try:
        variables = tuple(str(v) for v in config["variables"])
        N, D = int(config["tokens"]), int(config["width"])
        block_items = list(config["blocks"])
    except (KeyError, TypeError, ValueError):
        raise ModelFormatError("the export's config lacks variables/tokens/width/blocks") from None
    d = len(variables)

    def get(name: str) -> np.ndarray:
        if name not in arrays:
            raise ModelFormatError(f"the export has no array {name}")
        return arrays[name]

    def exact(name, shape):
        return _exact(get(name), shape, name, max_denominator)

    base = exact("embedding.base", (N, D))
    coefs = get("embedding.coefficients")
    if coefs.shape != (d, N, D):
        raise ModelFormatError(f"embedding.coefficients has shape {coefs.shape}, "
                               f"expected {(d, N, D)}")
    embedding = Embedding(variables, base, tuple(
        _exact(coefs[i], (N, D), f"embedding.coefficients[{i}]", max_denominator)
        for i in range(d)))
    blocks = []
    for k, item in enumerate(block_items):
        p = f"blocks.{k}."
        if not isinstance(item, dict) or item.get("activation") not in SCORE_ACTIVATIONS:
            raise ModelFormatError(f"block {k + 1}: bad activation in the config")
        h, hv = get(p + "wq").shape[-1], get(p + "wv").shape[-1]
        wq, wk = exact(p + "wq", (D, h)), exact(p + "wk", (D, h))
        wv, wo = exact(p + "wv", (D, hv)), exact(p + "wo", (hv, D))
        mask = None
        if item.get("mask"):
            m = get(p + "mask")
            if m.shape != (N, N) or m.dtype != bool:
                raise ModelFormatError(f"{p}mask must be a boolean {N} x {N} array")
            mask = Mask(N, tuple(tuple(int(j) for j in np.nonzero(row)[0]) for row in m))
        ffn = None
        if item.get("ffn") is not None:
            if item["ffn"] not in FFN_ACTIVATIONS:
                raise ModelFormatError(f"block {k + 1}: bad FFN activation in the config")
            hidden = get(p + "ffn.w1").shape[-1]
            ffn = FeedForward(exact(p + "ffn.w1", (D, hidden)),
                              _exact(get(p + "ffn.b1").reshape(1, -1), (1, hidden),
                                     p + "ffn.b1", max_denominator),
                              exact(p + "ffn.w2", (hidden, D)),
                              _exact(get(p + "ffn.b2").reshape(1, -1), (1, D),
                                     p + "ffn.b2", max_denominator), item["ffn"])
        blocks.append(Block(Attention(wq, wk, wv, wo, item["activation"], mask), ffn))
    R = exact("readout.weight", (N, D))
    bias = get("readout.bias")
    if bias.shape != () or not np.isfinite(bias):
        raise ModelFormatError("readout.bias must be one finite number")
    readout = Readout.from_dict(N, D, {(r, c): v for r, c, v in R.entries},
                                _rational(float(bias), max_denominator))
    meta = {str(k): str(v) for k, v in dict(config.get("meta", {})).items()}
    meta["provenance"] = (f"rational reconstruction of a float64 export "
                          f"(limit_denominator({max_denominator}))")
    return Model(embedding, tuple(blocks), readout, make_meta(meta))
