"""The float64 form of a model: the exporter, the numpy forward pass, and the way back
to the exact IR (the files holding it: :mod:`exactformer.formats.npz`,
:mod:`exactformer.formats.torchscript`).

What a float file means (its entries, shapes, activations, masks) is defined once, in
:mod:`.schema`: the exporter builds a :class:`~.schema.FloatModel`, the reader parses a
file into one, and both the numpy forward pass and the exact reconstruction run on that
same description. The forward pass is DESIGN §1: S = (H Wq)(H Wk)^T,
A = phi_M(S) (H Wv), H += A Wo, H += sigma(H W1 + b1) W2 + b2, y = <R, H_L> + r0; a
masked softmax row with no allowed key outputs 0.

Reading floats back as rationals has two labelled modes (:func:`model_from_float`):
``max_denominator=None`` reads each float as the exact dyadic rational it stores
(``Fraction(float)``: the file itself is what gets checked); an integer reads each as
the nearest fraction with at most that denominator (an approximation, said so).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ..errors import LimitExceeded, ModelFormatError, ParseError
from ..model import Attention, Block, Embedding, ExactMatrix, FeedForward, Mask, Model, Readout
from ..model.ir import make_meta
from .schema import (FLOAT_FORMAT, FloatBlock, FloatConfig, FloatFFN, FloatModel,
                     entry_names, parse_float_file)

MAX_FLOAT_ENTRIES = 50_000_000


# ------------------------------------------------------------------ exact -> float
def _dense(m: ExactMatrix) -> np.ndarray:
    out = np.zeros(m.shape, dtype=np.float64)
    for r, c, v in m.entries:
        out[r, c] = float(v)  # correctly rounded: the nearest float64
    return out


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def float_model_from_model(model: Model) -> FloatModel:
    """The float64 image of an exact model (each weight rounded to the nearest float64).

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
    blocks = []
    for b in model.blocks:
        att = b.attention
        mask = None
        if att.mask is not None:
            mask = np.zeros((N, N), dtype=bool)
            for t, j in att.mask.pairs():
                mask[t, j] = True
        ffn = None
        if b.ffn is not None:
            f = b.ffn
            ffn = FloatFFN(f.activation, _frozen(_dense(f.w1)), _frozen(_dense(f.b1)[0]),
                           _frozen(_dense(f.w2)), _frozen(_dense(f.b2)[0]))
        wq, wk, wv, wo = (_frozen(_dense(w)) for w in (att.wq, att.wk, att.wv, att.wo))
        blocks.append(FloatBlock(att.activation, wq, wk, wv, wo,
                                 None if mask is None else _frozen(mask), ffn))
    R = np.zeros((N, D), dtype=np.float64)
    for t, c, v in model.readout.entries:
        R[t, c] = float(v)
    coefs = (np.stack([_dense(a) for a in model.embedding.coefficients])
             if model.variables else np.zeros((0, N, D)))
    fm = FloatModel(tuple(model.variables), _frozen(_dense(model.embedding.base)),
                    _frozen(coefs), tuple(blocks), _frozen(R), float(model.readout.bias),
                    dict(model.meta))
    return parse_float_file(fm.config(), fm.arrays())  # the exporter writes what is read


def arrays_from_model(model: Model) -> tuple[FloatConfig, dict[str, np.ndarray]]:
    """(config, arrays): the model as float64 arrays of the standard shapes."""
    fm = float_model_from_model(model)
    return fm.config(), fm.arrays()


# ------------------------------------------------------------------ the forward pass
#: The precisions the numpy forward pass runs in.
RUN_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def run_float(fm: FloatModel, X: ArrayLike, dtype: DTypeLike = np.float64) -> np.ndarray:
    """y for a batch of inputs X (shape (batch, d)), numerically (never a proof).

    ``dtype`` float64 (default) or float32: inputs and weights are converted to it first
    (numpy's round to nearest even) and every operation runs in it, as a user's float32
    run of the file would."""
    dt: np.dtype[Any] = np.dtype(dtype)
    H = final_stream(fm, X, dt)
    y: np.ndarray = (np.einsum("bnd,nd->b", H, fm.readout.astype(dt, copy=False))
                     + dt.type(fm.bias))
    return y


def final_stream(fm: FloatModel, X: ArrayLike, dtype: DTypeLike = np.float64) -> np.ndarray:
    """The residual stream H_L (shape (batch, N, D)) after the last block, in ``dtype``
    (numerical only): the features a linear readout combines."""
    dt: np.dtype[Any] = np.dtype(dtype)
    if dt not in RUN_DTYPES:
        raise ModelFormatError(f"the float forward pass runs in float64 or float32, not {dt}")
    X = np.atleast_2d(np.asarray(X, dtype=dt))
    if X.shape[1] != len(fm.variables):
        raise ModelFormatError(f"inputs have {X.shape[1]} columns, the file has "
                            f"{len(fm.variables)} variables")

    def c(a: np.ndarray) -> np.ndarray:
        return a.astype(dt, copy=False)

    H: np.ndarray = c(fm.base)[None, :, :] + np.einsum("bi,ind->bnd", X, c(fm.coefficients))
    for b in fm.blocks:
        S = (H @ c(b.wq)) @ np.swapaxes(H @ c(b.wk), 1, 2)
        V = H @ c(b.wv)
        allowed = np.ones(S.shape[1:], dtype=bool) if b.mask is None else b.mask
        if b.activation == "softmax":
            masked = np.where(allowed, S, -np.inf)
            top = np.max(masked, axis=2, keepdims=True)
            top = np.where(np.isfinite(top), top, 0.0)
            E = np.where(allowed, np.exp(masked - top), 0.0)
            total = E.sum(axis=2, keepdims=True)
            W = np.divide(E, total, out=np.zeros_like(E), where=total > 0)
        elif b.activation == "relu":
            W = np.maximum(S, 0.0) * allowed
        else:
            W = S * allowed
        H = H + (W @ V) @ c(b.wo)
        if b.ffn is not None:
            Z = H @ c(b.ffn.w1) + c(b.ffn.b1)
            Z = Z * Z if b.ffn.activation == "square" else np.maximum(Z, 0.0)
            H = H + Z @ c(b.ffn.w2) + c(b.ffn.b2)
    return H


def float_forward(config: FloatModel | FloatConfig | dict[str, Any],
                  arrays: dict[str, np.ndarray] | None = None,
                  X: ArrayLike | None = None) -> np.ndarray:
    """y for a batch X, from a FloatModel or a (config, arrays) pair (parsed first, with
    the same rules as the reader)."""
    fm = config if isinstance(config, FloatModel) else parse_float_file(config, arrays)
    return run_float(fm, cast("ArrayLike", X))  # a None X reaches numpy, as it always did


# ------------------------------------------------------------------ float -> exact
@dataclass(frozen=True)
class Reading:
    """How floats were turned into rationals, and what that did to them."""

    max_denominator: int | None
    weights: int  # non-zero floats read
    moved: int    # of which the rational differs from the float
    largest_move: float

    @property
    def exact(self) -> bool:
        return self.max_denominator is None or self.moved == 0

    def describe(self) -> str:
        if self.max_denominator is None:
            return ("exact reading: each float64 weight is the dyadic rational it stores "
                    "(Fraction(float)); the verdict is about the floats in the file")
        moved = (f"{self.moved} of {self.weights} non-zero weights moved by the rounding, "
                 f"the largest by {self.largest_move:.3g}" if self.moved else
                 f"none of the {self.weights} non-zero weights moved: the rationals equal "
                 "the floats")
        return (f"rational reconstruction (Fraction.limit_denominator({self.max_denominator})"
                f", continued fractions): each float64 weight replaced by the nearest "
                f"rational with denominator <= {self.max_denominator}; {moved}; the verdict "
                "is about these rationals, not about the floats in the file nor the exact "
                "provenance of the original model")


class _Reader:
    def __init__(self, max_denominator: int | None):
        if max_denominator is not None and not (
                type(max_denominator) is int and max_denominator >= 1):
            raise ParseError("--max-denominator must be a positive integer")
        self.max_denominator = max_denominator
        self.weights = self.moved = 0
        self.largest = 0.0

    def rational(self, value: float) -> Fraction:
        exact = Fraction(value)  # the dyadic rational the float stores, exactly
        self.weights += 1
        if self.max_denominator is None:
            return exact
        near = exact.limit_denominator(self.max_denominator)
        if near != exact:
            self.moved += 1
            self.largest = max(self.largest, abs(float(near - exact)))
        return near

    def matrix(self, a: np.ndarray) -> ExactMatrix:
        if a.ndim == 1:  # a bias vector is a 1 x n matrix in the IR
            a = a.reshape(1, -1)
        values = {(int(r), int(c)): self.rational(float(a[r, c])) for r, c in zip(*np.nonzero(a))}
        return ExactMatrix.from_dict(a.shape[0], a.shape[1], values)

    def reading(self) -> Reading:
        return Reading(self.max_denominator, self.weights, self.moved, self.largest)


def model_from_float(fm: FloatModel, max_denominator: int | None = None
                     ) -> tuple[Model, Reading]:
    """(exact model, reading) of a validated float file.

    ``max_denominator=None``: every float is read as the exact dyadic rational it stores,
    so the exact model computes, in exact arithmetic, what the file's floats define.
    An integer: every float becomes the nearest fraction with at most that denominator
    (an approximation; :class:`Reading` counts the weights it moved)."""
    rd = _Reader(max_denominator)
    N, D = fm.tokens, fm.width
    embedding = Embedding(fm.variables, rd.matrix(fm.base),
                          tuple(rd.matrix(fm.coefficients[i]) for i in range(len(fm.variables))))
    blocks = []
    for b in fm.blocks:
        mask = None
        if b.mask is not None:
            mask = Mask(N, tuple(tuple(int(j) for j in np.nonzero(row)[0]) for row in b.mask))
        ffn = None
        if b.ffn is not None:
            f = b.ffn
            ffn = FeedForward(rd.matrix(f.w1), rd.matrix(f.b1), rd.matrix(f.w2),
                              rd.matrix(f.b2), f.activation)
        wq, wk, wv, wo = (rd.matrix(w) for w in (b.wq, b.wk, b.wv, b.wo))
        blocks.append(Block(Attention(wq, wk, wv, wo, b.activation, mask), ffn))
    R = rd.matrix(fm.readout)
    bias = rd.rational(fm.bias) if fm.bias else Fraction(0)
    readout = Readout.from_dict(N, D, {(r, c): v for r, c, v in R.entries}, bias)
    reading = rd.reading()
    meta = dict(fm.meta)
    meta["provenance"] = ("exact dyadic reading of a float64 export" if max_denominator is None
                          else f"rational reconstruction of a float64 export "
                               f"(limit_denominator({max_denominator}))")
    return Model(embedding, tuple(blocks), readout, make_meta(meta)), reading


def model_from_arrays(config: FloatConfig | dict[str, Any], arrays: dict[str, np.ndarray],
                      max_denominator: int | None = 10**6) -> Model:
    """The exact model a (config, arrays) pair means (parsed by the one float-file
    schema), read with :func:`model_from_float`. The default keeps the historical
    rational reconstruction; pass ``max_denominator=None`` for the exact dyadic reading."""
    return model_from_float(parse_float_file(config, arrays), max_denominator)[0]


__all__ = ["FLOAT_FORMAT", "MAX_FLOAT_ENTRIES", "Reading", "arrays_from_model",
           "entry_names", "float_forward", "float_model_from_model", "model_from_arrays",
           "model_from_float", "run_float"]
