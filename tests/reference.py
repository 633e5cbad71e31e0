"""An independent, dense, Fraction-only reference forward pass for the tests.

It follows DESIGN §1 literally (no sparsity, no sympy) so that the engine can be
checked against it on small models.
"""
from __future__ import annotations

import random
from fractions import Fraction


def dense(m):
    out = [[Fraction(0)] * m.cols for _ in range(m.rows)]
    for r, c, v in m.entries:
        out[r][c] = v
    return out


def matmul(a, b):
    if not a:
        return []
    return [[sum((a[i][k] * b[k][j] for k in range(len(b))), Fraction(0))
             for j in range(len(b[0]) if b else 0)] for i in range(len(a))]


def reference_forward(model, point):
    """y(point) computed densely with Fractions, straight from the IR definition."""
    emb = model.embedding
    H = dense(emb.base)
    for x, a in zip(point, emb.coefficients):
        A = dense(a)
        H = [[h + x * v for h, v in zip(hr, ar)] for hr, ar in zip(H, A)]
    N = len(H)
    for block in model.blocks:
        att = block.attention
        Q, K, V = (matmul(H, dense(w)) for w in (att.wq, att.wk, att.wv))
        S = [[sum((q * k for q, k in zip(Q[t], K[j])), Fraction(0)) for j in range(N)]
             for t in range(N)]
        allowed = (att.mask.allowed if att.mask is not None else [range(N)] * N)
        W = [[Fraction(0)] * N for _ in range(N)]
        for t in range(N):
            for j in allowed[t]:
                s = S[t][j]
                if att.activation == "relu":
                    s = max(s, Fraction(0))
                elif att.activation == "softmax":
                    row = [S[t][i] for i in allowed[t]]
                    assert all(v == row[0] for v in row), "reference softmax needs equal scores"
                    s = Fraction(1, len(row))
                W[t][j] = s
        A = matmul(matmul(W, V), dense(att.wo))
        H = [[h + a for h, a in zip(hr, ar)] for hr, ar in zip(H, A)]
        if block.ffn is not None:
            f = block.ffn
            Z = matmul(H, dense(f.w1))
            b1 = dense(f.b1)[0]
            Z = [[(z + b) * (z + b) if f.activation == "square" else max(z + b, Fraction(0))
                  for z, b in zip(zr, b1)] for zr in Z]
            Y = matmul(Z, dense(f.w2))
            b2 = dense(f.b2)[0]
            H = [[h + y + b for h, y, b in zip(hr, yr, b2)] for hr, yr in zip(H, Y)]
    y = Fraction(0)
    for t, c, v in model.readout.entries:
        y += v * H[t][c]
    return y + model.readout.bias


def random_point(d, rng: random.Random, span=10**6):
    return [Fraction(rng.randint(-span, span), rng.randint(1, span)) for _ in range(d)]
