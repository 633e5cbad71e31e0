"""The checker's kernel: exact polynomials over Q, the forward pass, the claim comparison.

Everything that decides a certificate is here; reading JSON, the command line and
the wording of messages live elsewhere. Standard library only.

A polynomial in d variables is a dict {packed monomial: non-zero rational}, {} is
zero; a rational is an int or a Fraction (equal values compare equal either way).
The monomial x^e is the int  |e| << B*d  +  sum_i e_i << B*(d-1-i)  with B =
FIELD_BITS: the product of two monomials is the sum of their ints, exactly, as long
as every total degree stays below 2^B (each field is at most the total degree, so
no field carries into the next); Ring.mul refuses a product that could pass it.

The forward pass of the IR, exactly as in the model format:

    H0(x) = B + sum_i x_i A_i
    block:  S = (H Wq)(H Wk)^T ;  A = (M o phi(S)) (H Wv)  or  softmax_M(S) (H Wv)
            H <- H + A Wo ;  H <- H + sigma(H W1 + b1) W2 + b2
    y = sum_{t,c} R[t,c] H_L[t,c] + r0

Non-polynomial steps are accepted only where exactly decidable: relu of a constant
(its sign is read off) or of a polynomial whose rational interval enclosure over a
declared box has a sign (a sign certificate); softmax of a row of identical scores
(each weight is exactly 1/k). Anything else is Invalid, never approximated.

>>> r = Ring(1)
>>> p = {r.pack((1,)): 1, r.pack((0,)): 1}                 # x + 1
>>> r.text(r.mul(p, p), ("x",))
'x**2 + 2*x + 1'
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Mapping, Sequence

from . import limits
from .errors import Invalid, TooLarge
from .limits import check_deadline
from .messages import format_monomial, format_poly, generic_monomials, graded_key
from .values import (FFN, AnyMonomial, Block, Box, Form, Grouped, Monomial, Network, Poly,
                     Rational, ReadoutEntry, Row, Sparse, Stream, TargetTerm, Trace, TuplePoly)

#: Bits per exponent field of a packed monomial: total degrees stay below 2^FIELD_BITS.
FIELD_BITS = 32
MAX_DEGREE = (1 << FIELD_BITS) - 1

# ------------------------------------------------------------------ polynomials

def add_into(acc: Poly, q: Poly, s: Rational = 1) -> None:
    """acc += s * q in place (zero terms dropped)."""
    if not s:
        return
    get = acc.get
    for m, c in q.items():
        v = get(m, 0) + (c if s == 1 else c * s)
        if v:
            acc[m] = v
        else:  # v == 0 with c != 0: m was in acc
            del acc[m]


def add(p: Poly, q: Poly) -> Poly:
    """p + q."""
    if not q:
        return p
    out = dict(p)
    add_into(out, q)
    return out


def scale(p: Mapping[AnyMonomial, Rational], s: Rational) -> dict[AnyMonomial, Rational]:
    """s * p."""
    return {m: c * s for m, c in p.items()} if s else {}


class Ring:
    """Q[x_1..x_d] with packed monomials (see the module docstring)."""

    def __init__(self, d: int) -> None:
        """The ring in d variables."""
        self.d, self.shift, self.field = d, FIELD_BITS * d, (1 << FIELD_BITS) - 1

    def pack(self, exps: Sequence[int]) -> int:
        """The packed monomial of an exponent tuple (TooLarge past MAX_DEGREE)."""
        total = sum(exps)
        if total > MAX_DEGREE:
            raise TooLarge(f"a monomial of total degree {total} is above {MAX_DEGREE}")
        key = total
        for e in exps:
            key = (key << FIELD_BITS) | e
        return key

    def unpack(self, key: int) -> Monomial:
        """The exponent tuple of a packed monomial."""
        f, b = self.field, FIELD_BITS
        return tuple((key >> (b * (self.d - 1 - i))) & f for i in range(self.d))

    def const(self, c: Rational) -> Poly:
        """The constant polynomial c."""
        return {0: c} if c else {}

    def mul(self, p: Poly, q: Poly) -> Poly:
        """p * q: monomials multiply by adding their packed ints (degrees checked)."""
        if not p or not q:
            return {}
        if len(p) * len(q) > limits.MAX_PRODUCT_WORK:
            raise TooLarge(f"a product of polynomials with {len(p)} and {len(q)} terms is "
                           f"above the limit of {limits.MAX_PRODUCT_WORK} term products")
        check_deadline()
        if (max(p) >> self.shift) + (max(q) >> self.shift) > MAX_DEGREE:
            raise TooLarge(f"a product of total degree above {MAX_DEGREE}")
        if len(p) > len(q):
            p, q = q, p
        if len(p) == 1:
            (m1, c1), = p.items()
            return {m1 + m2: c1 * c2 for m2, c2 in q.items()}
        out: Poly = {}
        get = out.get
        for i, (m1, c1) in enumerate(p.items()):
            if i & 63 == 63:
                check_deadline()
            for m2, c2 in q.items():
                m = m1 + m2
                out[m] = get(m, 0) + c1 * c2
        return {m: c for m, c in out.items() if c}

    def tuples(self, p: Poly) -> TuplePoly:
        """p with exponent tuples as monomials."""
        return {self.unpack(m): c for m, c in p.items()}

    def text(self, p: Poly, names: Sequence[str]) -> str:
        """p as text (messages only)."""
        return format_poly(self.tuples(p), names)


def is_constant(p: Poly) -> bool:
    """p has no monomial but 1 (monomial 0 is the only one of degree 0)."""
    return not p or (len(p) == 1 and 0 in p)


def _power_range(lo: Fraction, hi: Fraction, e: int) -> tuple[Fraction, Fraction]:
    """The exact range of x**e for x in [lo, hi]."""
    if e == 0:
        return Fraction(1), Fraction(1)
    a, b = lo ** e, hi ** e
    if e % 2 or lo >= 0:
        return (a, b) if a <= b else (b, a)
    if hi <= 0:
        return b, a
    return Fraction(0), max(a, b)


def enclosure(ring: Ring, p: Poly, box: Box) -> tuple[Fraction, Fraction]:
    """Rational lo <= p(x) <= hi for every x in the box (interval arithmetic monomial
    by monomial: sound, and exact for affine p)."""
    low = high = Fraction(0)
    for n, (m, c) in enumerate(p.items()):
        if n & 4095 == 4095:
            check_deadline()
        a = b = Fraction(1)
        for (lo, hi), e in zip(box, ring.unpack(m)):
            u, v = _power_range(Fraction(lo), Fraction(hi), e)
            products = (a * u, a * v, b * u, b * v)
            a, b = min(products), max(products)
        a, b = (c * a, c * b) if c > 0 else (c * b, c * a)
        low, high = low + a, high + b
    return low, high


class Context:
    """Where the forward pass may use sign certificates (the box), and whether it did."""

    def __init__(self, ring: Ring, box: Box | None, names: Sequence[str]) -> None:
        """No sign certificate used yet."""
        self.ring, self.box, self.names, self.used_box = ring, box, names, False

    def relu(self, p: Poly, what: str) -> Poly:
        """relu(p) where decidable: p constant, or p of one sign on the box."""
        if is_constant(p):
            return p if p and p[0] > 0 else {}
        if self.box is not None:
            lo, hi = enclosure(self.ring, p, self.box)
            if lo >= 0:
                self.used_box = True
                return p
            if hi <= 0:
                self.used_box = True
                return {}
            raise Invalid(f"{what} = {self.ring.text(p, self.names)} may change sign on the "
                          f"box (its enclosure is [{lo}, {hi}]): no sign certificate")
        raise Invalid(f"{what} = {self.ring.text(p, self.names)} is non-constant and no box "
                      "is declared: relu of it is not exactly decidable")


# ------------------------------------------------------------------ the forward pass

def row_times(row: Row, weights: Sparse, cols: int) -> Row:
    """row @ W for a row of polynomials and a sparse rational W {r: [(c, v)]}."""
    out: Row = [dict() for _ in range(cols)]
    for r, entries in weights.items():
        x = row[r]
        if x:
            for c, v in entries:
                add_into(out[c], x, v)
    return out


def dot(ring: Ring, a: Row, b: Row) -> Poly:
    """sum_c a_c b_c."""
    out: Poly = {}
    for u, v in zip(a, b):
        if u and v:
            add_into(out, ring.mul(u, v))
    return out


def forward(model: Network, ring: Ring, ctx: Context) -> list[Stream]:
    """The residual streams [H0, ..., HL] of the model, rows of exact polynomials."""
    n, w = model.tokens, model.width
    H: Stream = [[dict() for _ in range(w)] for _ in range(n)]
    for r, entries in model.base.items():
        for c, v in entries:
            add_into(H[r][c], ring.const(v))
    for i, a in enumerate(model.coefficients):
        check_deadline()
        xi = ring.pack(tuple(1 if j == i else 0 for j in range(ring.d)))
        for r, entries in a.items():
            for c, v in entries:
                add_into(H[r][c], {xi: v})
    streams = [H]
    everyone = list(range(n))
    for k, b in enumerate(model.blocks, 1):
        check_deadline()
        H = _attention(b, H, k, ring, ctx, everyone)
        if b["ffn"] is not None:
            H = _ffn(b["ffn"], H, k, ring, ctx)
        streams.append(H)
    return streams


def _attention(b: Block, H: Stream, k: int, ring: Ring, ctx: Context, everyone: list[int]) -> Stream:
    """H + A Wo for one block: only the (query, key) pairs the mask allows."""
    rows = b["mask"] if b["mask"] is not None else [(t, everyone) for t in everyone]
    needed = sorted({j for _, keys in rows for j in keys})
    K = {j: row_times(H[j], b["wk"], b["h"]) for j in needed}
    V = {j: row_times(H[j], b["wv"], b["hv"]) for j in needed}
    new = list(H)
    for t, keys in rows:
        check_deadline()
        q = row_times(H[t], b["wq"], b["h"])
        if any(q):  # a score with a zero query or a zero key is exactly 0
            scores = [dot(ring, q, K[j]) if any(K[j]) else {} for j in keys]
        else:
            scores = [{}] * len(keys)
        weights = _activate(b["activation"], scores, k, t, keys, ring, ctx)
        a: Row = [dict() for _ in range(b["hv"])]
        for j, wj in zip(keys, weights):
            if wj:
                for c, v in enumerate(V[j]):
                    if v:
                        add_into(a[c], ring.mul(wj, v))
        if any(a):
            out = row_times(a, b["wo"], len(H[t]))
            new[t] = [add(u, v) for u, v in zip(H[t], out)]
    return new


def _activate(act: str, scores: Row, k: int, t: int, keys: list[int], ring: Ring, ctx: Context) -> Row:
    """The attention weights of one row: S itself, relu(S) where decidable, or 1/k for
    a softmax row of equal scores (exp(s)/sum_i exp(s) = 1/k); Invalid otherwise."""
    if act == "identity":
        return scores
    if act == "relu":
        return [ctx.relu(s, f"block {k}: relu of the score S[{t},{j}]")
                for j, s in zip(keys, scores)]
    first = scores[0]
    for s in scores:
        if s != first:
            raise Invalid(f"block {k}: softmax row {t} has unequal scores "
                          f"{ring.text(first, ctx.names)} and {ring.text(s, ctx.names)}; "
                          "its weights are not exactly decidable")
    return [ring.const(Fraction(1, len(scores)))] * len(scores)


def _ffn(f: FFN, H: Stream, k: int, ring: Ring, ctx: Context) -> Stream:
    """H + sigma(H W1 + b1) W2 + b2, token by token (a zero row is computed once)."""
    zero_row: Row | None = None
    out: Stream = []
    for t, row in enumerate(H):
        if not any(row) and zero_row is not None:
            out.append(list(zero_row))
            continue
        z = row_times(row, f["w1"], f["hidden"])
        z = [add(u, ring.const(f["b1"].get(c, 0))) for c, u in enumerate(z)]
        if f["activation"] == "square":
            z = [ring.mul(u, u) for u in z]
        else:
            z = [ctx.relu(u, f"block {k}: FFN relu of (token {t}, unit {c})")
                 for c, u in enumerate(z)]
        y = row_times(z, f["w2"], len(row))
        new = [add(add(u, v), ring.const(f["b2"].get(c, 0)))
               for c, (u, v) in enumerate(zip(row, y))]
        if not any(row):
            zero_row = new
        out.append(new)
    return out


# ------------------------------------------------------------------ the claim

def shifted_power(ring: Ring, alpha: Monomial, shift: Sequence[Rational]) -> Poly:
    """(x - s)^alpha = prod_i sum_k C(e_i, k) (-s_i)^(e_i - k) x_i^k, expanded."""
    if not any(s for s, e in zip(shift, alpha) if e):
        return {ring.pack(alpha): 1}  # every factor is x_i^e_i
    out = ring.const(1)
    for i, e in enumerate(alpha):
        if e:
            factor: Poly = {}
            for j in range(e + 1):
                c = math.comb(e, j) * (-shift[i]) ** (e - j)
                if c:
                    exps = [0] * ring.d
                    exps[i] = j
                    factor[ring.pack(exps)] = c
            out = ring.mul(out, factor)
    return out


def check_theorem_target(terms: list[TargetTerm], params: list[str], n: int,
                         variables: list[str], shift: Sequence[Rational], ring: Ring) -> None:
    """The target (terms (x monomial, ((parameter index, exponent), ...), coefficient))
    is sum_alpha c_alpha (x - s)^alpha over ALL |alpha| <= n, one distinct parameter per
    alpha. The (x - s)^alpha are a basis of the polynomials of degree <= n, so "y =
    target for all x and all c" is exactly "every polynomial of degree <= n is output"."""
    d = ring.d
    parts: dict[int, Poly] = {}
    for xm, pm, coef in terms:
        if len(pm) != 1 or pm[0][1] != 1:
            dense = [0] * len(params)
            for i, e in pm:
                dense[i] = e
            m = ring.unpack(xm) + tuple(dense)
            raise Invalid(f"theorem target term {format_monomial(m, variables + params)} "
                          f"(coefficient {coef}) is not one coefficient symbol times a "
                          "polynomial in x")
        parts.setdefault(pm[0][0], {})[xm] = coef
    seen: dict[Monomial, int] = {}
    for c in range(len(params)):
        if c & 255 == 255:
            check_deadline()
        part = parts.get(c)
        if not part:
            raise Invalid(f"theorem target declares the parameter {params[c]} but it carries "
                          "no monomial")
        if len(part) == 1:
            alpha = ring.unpack(next(iter(part)))
        else:
            alpha = max((ring.unpack(m) for m in part), key=graded_key)
        want = shifted_power(ring, alpha, shift)
        if part != want:
            raise Invalid(f"theorem target gives {params[c]} the polynomial "
                          f"{ring.text(part, variables)}, not the basis element "
                          f"{ring.text(want, variables)}: not one coefficient symbol times "
                          "a monomial")
        if sum(alpha) > n:
            raise Invalid(f"theorem target has the monomial {format_monomial(alpha, variables)} "
                          f"of degree above {n}")
        if alpha in seen:
            raise Invalid(f"theorem target reuses the monomial {format_monomial(alpha, variables)}"
                          f" for {params[seen[alpha]]} and {params[c]}")
        seen[alpha] = c
    # seen holds distinct monomials of degree <= n, so it is all of them iff it has
    # C(n+d, d) elements: count first, never enumerate a set the target cannot fill
    total = math.comb(n + d, d)
    if len(seen) != total:
        missing = "" if total > 200_000 else next(
            f" (e.g. {format_monomial(m, variables)})" for m in generic_monomials(d, n)
            if m not in seen)
        raise Invalid(f"theorem target has {len(seen)} of the {total} monomials of degree <= "
                      f"{n} in {d} variables{missing}: it is not the generic polynomial")


def output_by_symbols(readout: list[ReadoutEntry], bias: Form, final: Stream) -> Grouped:
    """y = sum R[t,c] H_L[t,c] + r0 grouped by symbol monomial mu: {mu: P_mu(x)}, so
    that y = sum_mu mu * P_mu(x) (mu = ((name, exponent), ...) sorted, () for 1)."""
    groups: Grouped = {}
    for t, c, form in readout:
        h = final[t][c]
        if h:
            check_deadline()
            for mu, r in form.items():
                add_into(groups.setdefault(mu, {}), h, r)
    for mu, r in bias.items():
        add_into(groups.setdefault(mu, {}), {0: r})
    return {mu: p for mu, p in groups.items() if p}


def compare_output(got: Grouped, want: Grouped, ring: Ring, gens: list[str]) -> None:
    """y = target iff P_mu = T_mu for every symbol monomial mu (monomials in x and in
    the symbols are pairs, so this is the identity in Q[x, symbols])."""
    if got == want:
        return
    d, pos = ring.d, {g: i for i, g in enumerate(gens)}
    best: tuple[tuple[int, Monomial, int, Monomial], Monomial, Rational, Rational] | None = None
    for mu in set(got) | set(want):
        p, q = got.get(mu, {}), want.get(mu, {})
        if p == q:
            continue
        sym = [0] * (len(gens) - d)
        for name, e in mu:
            sym[pos[name] - d] = e
        for m in set(p) | set(q):
            if p.get(m, 0) != q.get(m, 0):
                dense = ring.unpack(m) + tuple(sym)
                key = graded_key(dense[:d]) + graded_key(dense[d:])
                if best is None or key < best[0]:
                    best = (key, dense, p.get(m, 0), q.get(m, 0))
    assert best is not None  # got != want: some coefficient differs
    _, at, a, b = best
    raise Invalid(f"model output differs from the target at {format_monomial(at, gens)}: "
                  f"model has {a}, target has {b}")


def compare_trace(trace: Trace, streams: list[Stream], ring: Ring, variables: list[str]) -> None:
    """Every recorded trace entry equals the computed one, and no changed entry is
    left out (layer k lists the entries of H_k that differ from H_{k-1})."""
    for k, (recorded, H) in enumerate(zip(trace, streams)):
        prev = streams[k - 1] if k else None
        where = "embedding" if k == 0 else f"block {k}"
        for (t, c), p in sorted(recorded.items()):
            if H[t][c] != p:
                raise Invalid(f"trace disagrees after {where} at token {t}, channel {c}: "
                              f"certificate has {ring.text(p, variables)}, checker "
                              f"computed {ring.text(H[t][c], variables)}")
        for t, row in enumerate(H):
            for c, p in enumerate(row):
                changed = p != (prev[t][c] if prev is not None else {})
                if changed and (t, c) not in recorded:
                    raise Invalid(f"trace omits the entry after {where} at token {t}, "
                                  f"channel {c}: checker computed {ring.text(p, variables)}")
