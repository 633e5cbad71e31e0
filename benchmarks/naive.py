"""The naive baseline: the same IR pushed through dense sympy Matrix products of
sympy expressions, expanding after every step.

This is what one gets by writing the forward pass of DESIGN §1 literally with
sympy: every N x N score matrix is formed in full (masked entries are multiplied
by 0 afterwards), and equality is decided by ``expand(y - claim) == 0``. It is
exact, and it is the reference point for the speed of the generic engine.
"""
from __future__ import annotations

from fractions import Fraction

import sympy


def _matrix(m) -> sympy.Matrix:
    out = sympy.zeros(m.rows, m.cols)
    for r, c, v in m.entries:
        out[r, c] = sympy.Rational(v.numerator, v.denominator)
    return out


def _expand(M: sympy.Matrix) -> sympy.Matrix:
    return M.applyfunc(sympy.expand)


def naive_output(model) -> sympy.Expr:
    """y(x) of ``model`` as an expanded sympy expression (dense sympy matrices)."""
    xs = [sympy.Symbol(v) for v in model.variables]
    emb = model.embedding
    H = _matrix(emb.base)
    for x, a in zip(xs, emb.coefficients):
        H = H + x * _matrix(a)
    N = model.tokens
    for block in model.blocks:
        att = block.attention
        Q, K, V = H * _matrix(att.wq), H * _matrix(att.wk), H * _matrix(att.wv)
        S = _expand(Q * K.T)
        if att.mask is None:
            M = sympy.ones(N, N)
        else:
            M = sympy.zeros(N, N)
            for t, j in att.mask.pairs():
                M[t, j] = 1
        if att.activation == "identity":
            W = S.multiply_elementwise(M)
        elif att.activation == "relu":
            W = S.applyfunc(lambda s: sympy.Max(s, 0)).multiply_elementwise(M)
        else:  # softmax over the allowed keys of each row
            W = sympy.zeros(N, N)
            for t in range(N):
                keys = [j for j in range(N) if M[t, j]]
                for j in keys:
                    W[t, j] = 1 / sum(sympy.exp(sympy.expand(S[t, k] - S[t, j])) for k in keys)
        H = _expand(H + W * V * _matrix(att.wo))
        if block.ffn is not None:
            f = block.ffn
            Z = H * _matrix(f.w1) + sympy.ones(N, 1) * _matrix(f.b1)
            if f.activation == "square":
                Z = Z.applyfunc(lambda z: sympy.expand(z ** 2))
            else:
                Z = Z.applyfunc(lambda z: sympy.Max(z, 0))
            H = _expand(H + Z * _matrix(f.w2) + sympy.ones(N, 1) * _matrix(f.b2))
    y = model.readout.bias
    y = sympy.Rational(y.numerator, y.denominator) if isinstance(y, Fraction) else y
    for t, c, v in model.readout.entries:
        coef = sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v
        y = y + coef * H[t, c]
    return sympy.expand(y)


def naive_holds(model, claim: sympy.Expr) -> bool:
    """The naive decision: expand(y - claim) == 0."""
    return sympy.expand(naive_output(model) - claim) == 0
