"""A certified bound on |y_float(x) - y_ref(x)| over a box: the weights as run, and
every rounding of the numpy forward pass (:func:`exactformer.floats.forward.run_float`).

Two models with the same structure are compared: ``ref``, the exact model (rational
weights), and ``run``, the weights the float model really holds (dyadic rationals: the
floats, read exactly). x ranges over the floats of the precision inside the box; both
models are evaluated at that same x (no input rounding). The layers are walked in
numpy's order (embedding, per block Q, K, V, scores, activation, head, Wo, residual,
FFN, readout), each quantity carried as an :class:`~.float_ops.Enclosed` (exact
polynomial, size over the box, error, float range) by the rules of :mod:`.float_ops`,
where the rounding model, the dot-product bound (any order, with or without FMA), the
softmax and relu terms and the overflow check are written out.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import cast

from sympy.polys.rings import PolyElement

from ..errors import ParseError, ShapeError
from ..model import Attention, Block, Embedding, ExactMatrix, FeedForward, Model, Readout
from ..poly.box import Box
from .float_ops import Enclosed, FloatOps, square_ffn_refined
from .precision import Precision, float_inside, is_float, round_to


@dataclass(frozen=True)
class ForwardBound:
    """sup over float x in the box of |y_float(x) - y_ref(x)| <= ``error``."""

    error: Fraction
    output: PolyElement            # y_ref as a polynomial (the engine's box domain)
    output_size: Fraction          # >= sup_box |y_ref|
    layer_errors: tuple[Fraction, ...]  # largest entry error after the embedding, each block
    dot_products: int              # rounded dot products analysed
    longest_sum: int               # the largest k met
    softmax_rows: int              # rows with several keys (the exp assumption used)


def rounded_model(model: Model, precision: Precision) -> Model:
    """The model whose every weight is the nearest float of ``precision`` (ties to even,
    computed exactly): what a float file of the exact model holds. A weight past the
    largest finite float raises LimitExceeded."""
    def m(a: ExactMatrix, name: str) -> ExactMatrix:
        return ExactMatrix.from_dict(a.rows, a.cols, {(r, c): round_to(v, precision, name)
                                                      for r, c, v in a.entries})

    e = model.embedding
    embedding = Embedding(e.variables, m(e.base, "an embedding weight"),
                          tuple(m(a, "an embedding weight") for a in e.coefficients))
    blocks = []
    for b in model.blocks:
        a = b.attention
        wq, wk, wv, wo = (m(w, "an attention weight") for w in (a.wq, a.wk, a.wv, a.wo))
        att = Attention(wq, wk, wv, wo, a.activation, a.mask)
        f = b.ffn
        ffn: FeedForward | None = None
        if f is not None:
            w1, b1, w2, b2 = (m(w, "an FFN weight") for w in (f.w1, f.b1, f.w2, f.b2))
            ffn = FeedForward(w1, b1, w2, b2, f.activation)
        blocks.append(Block(att, ffn))
    r = model.readout
    for _, _, v in r.entries + ((0, 0, r.bias),):
        if not isinstance(v, Fraction):
            raise ShapeError(f"readout entry {v} is symbolic: a float model needs numeric "
                             "weights")
    readout = Readout.from_dict(r.rows, r.cols, {(t, c): round_to(v, precision, "a readout "
                                                                  "weight")
                                                 for t, c, v in r.entries},
                                round_to(r.bias, precision, "the readout bias"))
    return Model(embedding, tuple(blocks), readout, model.meta)


def _check_structure(ref: Model, run: Model) -> None:
    if (ref.variables, ref.tokens, ref.width, ref.depth) != \
            (run.variables, run.tokens, run.width, run.depth):
        raise ShapeError("the run model and the exact model differ in inputs, tokens, width "
                         "or depth")
    for k, (a, b) in enumerate(zip(ref.blocks, run.blocks), 1):
        if a.attention.activation != b.attention.activation or \
                a.attention.mask != b.attention.mask or \
                (a.ffn is None) != (b.ffn is None) or \
                (a.ffn is not None and a.ffn.activation != cast(FeedForward, b.ffn).activation):
            raise ShapeError(f"block {k}: the run model and the exact model differ in "
                             "activation, mask or FFN")
    for name, v in (("readout", ref.readout), ("run readout", run.readout)):
        for _, _, c in v.entries + ((0, 0, v.bias),):
            if not isinstance(c, Fraction):
                raise ShapeError(f"{name} entry {c} is symbolic: a float model needs numeric "
                                 "weights")


def _check_floats(run: Model, precision: Precision) -> None:
    """Every weight of the run model must be a float of the precision (the analysis
    takes them as the exact values the float model computes with)."""
    e, r = run.embedding, run.readout
    mats = [("embedding", e.base)] + [("embedding", a) for a in e.coefficients]
    for k, b in enumerate(run.blocks, 1):
        a = b.attention
        mats += [(f"block {k}", w) for w in (a.wq, a.wk, a.wv, a.wo)]
        if b.ffn is not None:
            mats += [(f"block {k} FFN", w) for w in (b.ffn.w1, b.ffn.b1, b.ffn.w2, b.ffn.b2)]
    values = [(name, v) for name, m in mats for _, _, v in m.entries]
    values += [("readout", v) for _, _, v in r.entries + ((0, 0, r.bias),)]
    for name, v in values:
        if isinstance(v, Fraction) and not is_float(v, precision):
            raise ShapeError(f"{name} weight {v} is not a {precision.name}: round the run "
                             "model to the precision first")


def _readout_matrix(model: Model) -> ExactMatrix:
    r = model.readout
    return ExactMatrix.from_dict(r.rows, r.cols, {(t, c): v for t, c, v in r.entries})


def forward_error_bound(ref: Model, run: Model, box: Box, precision: Precision,
                        deadline: float | None = None) -> ForwardBound:
    """A rational bound on |y_float(x) - y_ref(x)| for every float x of ``precision`` in
    ``box``, y_float being numpy's forward pass of the ``run`` weights in that precision
    (every rule is in the docstring of :mod:`.float_ops`). Raises NotExact (SignChange)
    when the exact model is not one polynomial on the box, LimitExceeded when overflow
    cannot be excluded or time runs out."""
    _check_structure(ref, run)
    if box.dimension != len(ref.variables):
        raise ShapeError(f"box {box} has dimension {box.dimension}, the model has "
                         f"{len(ref.variables)} inputs")
    for i, (lo, hi) in enumerate(box.intervals):
        if float_inside(lo, precision, True) > float_inside(hi, precision, False):
            raise ParseError(f"box interval {i + 1} [{lo}, {hi}] holds no {precision.name}: "
                             "there is no float input to bound")
    _check_floats(run, precision)
    an = FloatOps(ref.variables, box, precision, deadline)
    N, D = ref.tokens, ref.width
    xs = [an.value(an.domain.variable(i), Fraction(0), "an input",
                   float_inside(lo, precision, True), float_inside(hi, precision, False))
          for i, (lo, hi) in enumerate(an.intervals)]
    coefs = [an.weights(a, b, f"embedding A_{i}") for i, (a, b) in
             enumerate(zip(ref.embedding.coefficients, run.embedding.coefficients))]
    by_cell: list[dict[int, list[tuple[Enclosed, Enclosed]]]] = [{} for _ in range(N)]
    for i, cols in enumerate(coefs):
        for c, col in enumerate(cols):
            for t, w in col:
                by_cell[t].setdefault(c, []).append((xs[i], w))
    base = an.weights(ref.embedding.base, run.embedding.base, "embedding base")
    base_at = {(t, c): w for c, col in enumerate(base) for t, w in col}
    # B + sum_i x_i A_i as ONE sum (any order: a kernel may start its accumulator at B)
    H = [[an.dot([(base_at.get((t, c), an.zero), an.one)] + list(by_cell[t].get(c, ())),
                 "the embedding") for c in range(D)] for t in range(N)]
    layers = [max((v.error for row in H for v in row), default=Fraction(0))]
    for k, (rb, wb) in enumerate(zip(ref.blocks, run.blocks), 1):
        an.tick(k)
        H = _block(an, rb, wb, H, k)
        layers.append(max((v.error for row in H for v in row), default=Fraction(0)))
    R = an.weights(_readout_matrix(ref), _readout_matrix(run), "readout")
    bias = an.constant(ref.readout.bias, run.readout.bias)
    # sum R H + r0 as ONE sum: torch's addmm(r0, H, R) adds r0 inside the accumulation
    y = an.dot([(H[t][c], w) for c, col in enumerate(R) for t, w in col] + [(bias, an.one)],
               "the readout")
    return ForwardBound(y.error, y.poly, y.size, tuple(layers), an.dots, an.longest,
                        an.softmax_rows)


def _block(an: FloatOps, rb: Block, wb: Block, H: list[list[Enclosed]],
           k: int) -> list[list[Enclosed]]:
    ra, wa = rb.attention, wb.attention
    where = f"block {k}"
    Q = an.times(H, an.weights(ra.wq, wa.wq, f"{where} Wq"), f"{where} queries")
    K = an.times(H, an.weights(ra.wk, wa.wk, f"{where} Wk"), f"{where} keys")
    V = an.times(H, an.weights(ra.wv, wa.wv, f"{where} Wv"), f"{where} values")
    wo = an.weights(ra.wo, wa.wo, f"{where} Wo")
    h = ra.wq.cols
    # numpy computes every score, masked or not: each must be finite
    top_q = [max((row[c].float_size for row in Q), default=Fraction(0)) for c in range(h)]
    top_k = [max((row[c].float_size for row in K), default=Fraction(0)) for c in range(h)]
    crude = sum((a * b for a, b in zip(top_q, top_k)), Fraction(0))
    an.check_finite(crude * (1 + an.p.gamma(h)) + 2 * h * an.p.eta, f"{where} scores")
    N = len(H)
    rows = ([(t, ra.mask.allowed[t]) for t in range(N) if ra.mask.allowed[t]]
            if ra.mask is not None else [(t, tuple(range(N))) for t in range(N)])
    out = list(H)
    for t, keys in rows:
        scores = [an.dot(((Q[t][c], K[j][c]) for c in range(h)), f"{where} scores")
                  for j in keys]
        if ra.activation == "softmax":
            weights = an.softmax(scores)
        elif ra.activation == "relu":
            weights = [an.relu(s) for s in scores]
        else:
            weights = scores  # S * 1.0: exact
        head = [an.dot(((w, V[j][c]) for w, j in zip(weights, keys)), f"{where} attention")
                for c in range(ra.wv.cols)]
        # H + head Wo as ONE sum per channel (a fused kernel may start from H)
        out[t] = [an.dot([(H[t][c], an.one)] + [(head[r], w) for r, w in col],
                         f"{where} residual") for c, col in enumerate(wo)]
    if rb.ffn is None:
        return out
    rf, wf = rb.ffn, cast(FeedForward, wb.ffn)  # same structure: both have an FFN
    w1 = an.weights(rf.w1, wf.w1, f"{where} FFN W1")
    b1 = an.weights(rf.b1, wf.b1, f"{where} FFN b1")
    w2 = an.weights(rf.w2, wf.w2, f"{where} FFN W2")
    b2 = an.weights(rf.b2, wf.b2, f"{where} FFN b2")
    b1v = [col[0][1] if col else an.zero for col in b1]
    b2v = [col[0][1] if col else an.zero for col in b2]
    # H W1 + b1 as ONE dot product with the bias as a term (any order: numpy adds the bias
    # after the product, torch's addmm may fuse it), and likewise H + Y + b2 as one sum
    Z = [[an.dot([(row[r], w) for r, w in col] + [(b1v[c], an.one)], f"{where} FFN")
          for c, col in enumerate(w1)] for row in out]
    hidden = Z
    if rf.activation == "square":
        Z = [[an.dot(((z, z),), f"{where} FFN square") for z in row] for row in Z]
    else:
        Z = [[an.relu(z) for z in row] for row in Z]
    # H + Z W2 + b2 as ONE sum per channel, in any order: numpy's (Z W2 first, then the
    # adds) and a fused addmm(b2, Z, W2) that starts its accumulator at b2 are both trees
    # of that sum
    H = [[an.dot([(a, an.one)] + [(zrow[h], w) for h, w in w2[c]] + [(b, an.one)],
                 f"{where} FFN residual")
          for c, (a, b) in enumerate(zip(row, b2v))] for row, zrow in zip(out, Z)]
    if rf.activation == "square":
        H = [square_ffn_refined(an, row, zrow, hrow, w1, b1v, w2, b2v)
             for row, zrow, hrow in zip(out, hidden, H)]
    return H


__all__ = ["Enclosed", "ForwardBound", "forward_error_bound", "rounded_model"]
