"""The independent certificate checker: Python standard library only.

This module is the trusted core of exactformer's certificates. It imports nothing
from the rest of the package (nor sympy, nor mpmath): it reads a certificate
(format ``exactformer-certificate/1``), checks its sha256, and re-derives the
claimed identity from scratch with its own sparse polynomial arithmetic
(``dict`` exponent tuple -> ``Fraction``) and its own forward pass of the IR:

    H0(x) = B + sum_i x_i A_i
    block:  S = (H Wq)(H Wk)^T ;  A = (M o phi(S)) (H Wv)  or  softmax_M(S) (H Wv)
            H <- H + A Wo ;  H <- H + sigma(H W1 + b1) W2 + b2
    y = sum_{t,c} R[t,c] H_L[t,c] + r0

Every step is exact polynomial arithmetic over Q, except three non-polynomial
pieces, which are accepted only where exactly decidable:
  * relu of a polynomial that is a constant (its sign is read off), or, when the
    certificate declares a box B with rational corners, of a polynomial whose exact
    rational interval enclosure over B lies in [0, inf) (relu = identity on B) or in
    (-inf, 0] (relu = 0 on B): a sign certificate. The identity then holds on B, and
    the re-derived rung is "exact on a box";
  * softmax of a row whose scores are all the same polynomial (each weight is then
    exactly 1/k, since exp(s)/sum_i exp(s) = 1/k);
  * anything else is rejected as undecidable, never approximated.

The readout may hold linear or polynomial forms in symbols ("c_1_0",
"2*a + 1/3", "pi*a", "sqrt(2)"); irrational constants are independent symbols, so
an identity proved here holds for every value of them, in particular the true one.
The certificate's "verdict" and "rung" are not trusted: both are re-derived.

Usage: ``python -m exactformer.checker CERT.json [--json] [--timeout SECONDS]`` exits 0
when the certificate is valid, 1 when it is well formed but wrong, 2 when it is
malformed (or on a usage error, or for anything but a regular file), 3 when a size or
time limit stops the check (no verdict; see SECURITY.md). --timeout defaults to 600
seconds, must be finite and at most 30 days; 0 means no limit.

>>> p = {(1,): Fraction(1), (0,): Fraction(1)}      # x + 1
>>> format_poly(poly_mul(p, p), ("x",))
'x**2 + 2*x + 1'
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
import sys
import time
from fractions import Fraction

CERTIFICATE_FORMAT = "exactformer-certificate/1"
MODEL_FORMAT = "exactformer-model/1"
EXACT_IDENTITY = "exact polynomial identity"
EXACT_ON_BOX = "exact on a box (sign certificates)"
KINDS = ("identity", "theorem")
SCORE_ACTIVATIONS = ("identity", "relu", "softmax")
FFN_ACTIVATIONS = ("relu", "square")
HASH_FIELD = "sha256"
MAX_BYTES = 200_000_000
MAX_NUMBER_CHARS = 5000
MAX_EXPONENT = 1000
MAX_TOKENS = 200_000
MAX_CELLS = 10_000_000  # tokens x (width, head or hidden size): bounds the memory used
DEFAULT_TIMEOUT = 600.0  # seconds, for ``python -m exactformer.checker`` (as the CLI)

VALID, INVALID, MALFORMED, LIMIT = 0, 1, 2, 3


class Malformed(Exception):
    """The certificate is not a well-formed exactformer-certificate/1 (exit 2)."""


class Invalid(Exception):
    """The certificate is well formed but what it claims does not hold (exit 1)."""


class TimeLimit(Exception):
    """The check ran past its time limit (exit 3): no verdict."""


class TooLarge(TimeLimit):
    """A size limit (terms of a product, digits of a number) would be passed (exit 3,
    like the time limit): refused before the work, never approximated."""


#: Bounds on single products, so that a small hostile certificate cannot make the
#: checker multiply for hours: terms(p) * terms(q) per product, bits of a readout power.
MAX_PRODUCT_WORK = 20_000_000
MAX_FORM_BITS = 200_000
MAX_FORM_TERMS = 100_000


#: The deadline (time.monotonic()) of the check under way, None for none: set by
#: check_certificate, read by _check_deadline wherever a loop may run long.
_deadline: float | None = None


def _check_deadline() -> None:
    if _deadline is not None and time.monotonic() > _deadline:
        raise TimeLimit("time limit reached (use --timeout to change it)")


def _product_guard(p: dict, q: dict) -> None:
    if len(p) * len(q) > MAX_PRODUCT_WORK:
        raise TooLarge(f"a product of polynomials with {len(p)} and {len(q)} terms is above "
                       f"the limit of {MAX_PRODUCT_WORK} term products")
    _check_deadline()


# ------------------------------------------------------------------ polynomials
# A polynomial is a dict {exponent tuple: non-zero Fraction}; {} is zero.

def poly_add(p: dict, q: dict) -> dict:
    """p + q (zero terms dropped)."""
    out = dict(p)
    for m, c in q.items():
        v = out.get(m, 0) + c
        if v:
            out[m] = v
        else:
            out.pop(m, None)
    return out


def poly_add_into(acc: dict, q: dict, scale: Fraction = Fraction(1)) -> None:
    """acc += scale * q, in place."""
    for m, c in q.items():
        v = acc.get(m, 0) + c * scale
        if v:
            acc[m] = v
        else:
            acc.pop(m, None)


def poly_scale(p: dict, s: Fraction) -> dict:
    """s * p."""
    if not s:
        return {}
    return {m: c * s for m, c in p.items()}


def poly_mul(p: dict, q: dict) -> dict:
    """p * q: the product of sparse polynomials in the same variables."""
    _product_guard(p, q)
    out: dict = {}
    for i, (m1, c1) in enumerate(p.items()):
        if i & 63 == 63:
            _check_deadline()
        for m2, c2 in q.items():
            m = tuple(a + b for a, b in zip(m1, m2))
            v = out.get(m, 0) + c1 * c2
            if v:
                out[m] = v
            else:
                out.pop(m, None)
    return out


def poly_const(c: Fraction, n: int) -> dict:
    """The constant polynomial c in n variables."""
    return {(0,) * n: Fraction(c)} if c else {}


def is_constant(p: dict) -> bool:
    return all(not any(m) for m in p)


def constant_value(p: dict) -> Fraction:
    return next(iter(p.values())) if p else Fraction(0)


def graded_key(m: tuple) -> tuple:
    """Graded order: by total degree, then lexicographically decreasing."""
    return (sum(m), tuple(-e for e in m))


def format_monomial(m: tuple, names) -> str:
    parts = [n if e == 1 else f"{n}**{e}" for n, e in zip(names, m) if e]
    return "*".join(parts) or "1"


def format_poly(p: dict, names) -> str:
    """p as text, highest degree first (for messages only)."""
    if not p:
        return "0"
    out = []
    for m in sorted(p, key=graded_key, reverse=True):
        c = p[m]
        mono = format_monomial(m, names)
        sign = "-" if c < 0 else "+"
        a = abs(c)
        body = str(a) if mono == "1" else (mono if a == 1 else f"{a}*{mono}")
        out.append((sign, body))
    text = ("-" if out[0][0] == "-" else "") + out[0][1]
    for sign, body in out[1:]:
        text += f" {sign} {body}"
    return text


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


def enclosure(p: dict, box: list) -> tuple[Fraction, Fraction]:
    """Rational bounds lo <= p(x) <= hi valid for every x in the box (interval
    arithmetic, monomial by monomial: sound, and exact for affine p).

    >>> enclosure({(1, 0): Fraction(2), (0, 1): Fraction(-1)}, [(0, 1), (-1, 3)])
    (Fraction(-3, 1), Fraction(3, 1))
    """
    low = high = Fraction(0)
    for m, c in p.items():
        a = b = Fraction(1)
        for (lo, hi), e in zip(box, m):
            u, v = _power_range(Fraction(lo), Fraction(hi), e)
            products = (a * u, a * v, b * u, b * v)
            a, b = min(products), max(products)
        a, b = (c * a, c * b) if c > 0 else (c * b, c * a)
        low, high = low + a, high + b
    return low, high


class _Context:
    """Where the forward pass may use sign certificates (the box), and whether it did."""

    def __init__(self, box: list | None, names):
        self.box, self.names, self.used_box = box, names, False

    def relu(self, p: dict, what: str) -> dict:
        if is_constant(p):
            return p if constant_value(p) > 0 else {}
        if self.box is not None:
            lo, hi = enclosure(p, self.box)
            if lo >= 0:
                self.used_box = True
                return p
            if hi <= 0:
                self.used_box = True
                return {}
            raise Invalid(f"{what} = {format_poly(p, self.names)} may change sign on the box "
                          f"(its enclosure is [{lo}, {hi}]): no sign certificate")
        raise Invalid(f"{what} = {format_poly(p, self.names)} is non-constant and no box is "
                      "declared: relu of it is not exactly decidable")


# ------------------------------------------------------------------ names
#: The one name rule (the prover's exactformer/poly/names.py states the same pattern;
#: a test keeps the two equal): identifiers are ASCII, so look-alike letters from other
#: scripts can never be two different names. Inputs, parameters (target parameters
#: and readout symbols, one space) and the constants pi, E, sqrt(q) are disjoint.
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z", re.ASCII)
CONSTANT_NAMES = ("pi", "E")
_SQRT_NAME = re.compile(r"sqrt\(\d+\)\Z", re.ASCII)


def is_identifier(name) -> bool:
    """An ASCII identifier that is not a constant's name."""
    return isinstance(name, str) and bool(IDENTIFIER.match(name)) and \
        name not in CONSTANT_NAMES


def is_constant_name(name) -> bool:
    """pi, E or sqrt(q)."""
    return isinstance(name, str) and (name in CONSTANT_NAMES or bool(_SQRT_NAME.match(name)))


# ------------------------------------------------------------------ readout forms
_TOKEN = re.compile(r"[ \t]*(?:(sqrt\(\d+\))|(\d+)|([A-Za-z][A-Za-z0-9_]*)|(\*\*|[-+*/()]))",
                    re.ASCII)


def parse_form(text: str, where: str) -> dict:
    """A readout entry: a polynomial in named symbols with rational coefficients, as
    {((name, exponent), ...) sorted: Fraction}. Accepts integers, p/q, names,
    sqrt(k) (an independent symbol named "sqrt(k)"), + - * / ** and parentheses;
    division only by a non-zero rational.

    >>> parse_form("2*a + 1/3", "r")
    {(('a', 1),): Fraction(2, 1), (): Fraction(1, 3)}
    """
    if not isinstance(text, str) or len(text) > MAX_NUMBER_CHARS or not text.strip():
        raise Malformed(f"{where} must be a short non-empty string")
    _check_deadline()
    tokens = []
    pos = 0
    text_s = text.rstrip()
    while pos < len(text_s):
        m = _TOKEN.match(text_s, pos)
        if not m:
            raise Malformed(f"{where} = {text[:40]!r}: cannot read {text_s[pos:pos + 10]!r}")
        pos = m.end()
        if m.group(1):
            tokens.append(("name", m.group(1)))
        elif m.group(2):
            if len(m.group(2)) > MAX_NUMBER_CHARS // 2:
                raise Malformed(f"{where}: a number with {len(m.group(2))} digits is too long")
            tokens.append(("num", int(m.group(2))))
        elif m.group(3):
            tokens.append(("name", m.group(3)))
        else:
            tokens.append(("op", m.group(4)))
    parser = _FormParser(tokens, text, where)
    value = parser.expr(0)
    if parser.i != len(tokens):
        raise Malformed(f"{where} = {text[:40]!r}: unexpected {tokens[parser.i][1]!r}")
    return value


def _form_mul(p: dict, q: dict) -> dict:
    _product_guard(p, q)
    out: dict = {}
    for i, (m1, c1) in enumerate(p.items()):
        if i & 63 == 63:
            _check_deadline()
        for m2, c2 in q.items():
            d = dict(m1)
            for n, e in m2:
                d[n] = d.get(n, 0) + e
            m = tuple(sorted(d.items()))
            v = out.get(m, 0) + c1 * c2
            if v:
                out[m] = v
            else:
                out.pop(m, None)
    return out


class _FormParser:
    def __init__(self, tokens, text, where):
        self.tokens, self.text, self.where, self.i = tokens, text, where, 0

    def _peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def _fail(self, what):
        raise Malformed(f"{self.where} = {self.text[:40]!r}: {what}")

    def expr(self, depth):
        if depth > 50:
            self._fail("nested too deeply")
        acc = self.term(depth)
        while self._peek() in (("op", "+"), ("op", "-")):
            op = self.tokens[self.i][1]
            self.i += 1
            rhs = self.term(depth)
            acc = poly_add(acc, rhs if op == "+" else poly_scale(rhs, Fraction(-1)))
        return acc

    def term(self, depth):
        acc = self.unary(depth)
        while self._peek() in (("op", "*"), ("op", "/")):
            op = self.tokens[self.i][1]
            self.i += 1
            rhs = self.unary(depth)
            if op == "*":
                acc = _form_mul(acc, rhs)
            else:
                if not rhs or any(m for m in rhs):
                    self._fail("division by something that is not a non-zero rational")
                acc = poly_scale(acc, 1 / rhs[()])
        return acc

    def unary(self, depth):
        if self._peek() == ("op", "-"):
            self.i += 1
            return poly_scale(self.unary(depth), Fraction(-1))
        if self._peek() == ("op", "+"):
            self.i += 1
            return self.unary(depth)
        return self.power(depth)

    def power(self, depth):
        base = self.atom(depth)
        if self._peek() == ("op", "**"):
            self.i += 1
            kind, e = self._peek()
            if kind != "num" or e > MAX_EXPONENT:
                self._fail(f"exponent must be an integer 0..{MAX_EXPONENT}")
            self.i += 1
            if len(base) > 1 and math.comb(len(base) + e - 1, e) > MAX_FORM_TERMS:
                raise TooLarge(f"{self.where}: a power of a {len(base)}-term form may have "
                               f"more than {MAX_FORM_TERMS} terms")
            bits = max((max(abs(c.numerator).bit_length(), c.denominator.bit_length())
                        for c in base.values()), default=0)
            if bits * e > MAX_FORM_BITS:
                raise TooLarge(f"{self.where}: a power with about {bits * e} bits is above "
                               f"the limit of {MAX_FORM_BITS}")
            out = {(): Fraction(1)}
            for _ in range(e):
                out = _form_mul(out, base)
            return out
        return base

    def atom(self, depth):
        kind, value = self._peek()
        self.i += 1
        if kind == "num":
            return {(): Fraction(value)} if value else {}
        if kind == "name":
            return {((value, 1),): Fraction(1)}
        if (kind, value) == ("op", "("):
            inner = self.expr(depth + 1)
            if self._peek() != ("op", ")"):
                self._fail("missing ')'")
            self.i += 1
            return inner
        self._fail("expression ends early" if kind is None else f"unexpected {value!r}")


# ------------------------------------------------------------------ reading JSON

def strict_loads(data: bytes | str) -> object:
    """json.loads refusing duplicate keys, NaN/Infinity, bad UTF-8 and huge input."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise TooLarge(f"certificate is larger than {MAX_BYTES} bytes")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Malformed(f"certificate is not valid UTF-8: {exc.reason}") from None

    def pairs(items):
        out = {}
        for k, v in items:
            if k in out:
                raise Malformed(f"certificate has the key {k!r} twice")
            out[k] = v
        return out

    def bad_constant(name):
        raise Malformed(f"certificate contains {name}, which is not an exact number")

    def bounded_int(digits):  # int() refuses > 4300 digits with a bare ValueError
        if len(digits) > MAX_NUMBER_CHARS // 2:
            raise Malformed(f"certificate contains an integer with {len(digits)} digits, "
                            f"more than {MAX_NUMBER_CHARS // 2}")
        return int(digits)

    try:
        return json.loads(data, object_pairs_hook=pairs, parse_constant=bad_constant,
                          parse_int=bounded_int)
    except RecursionError:
        raise Malformed("certificate is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise Malformed(f"certificate is not valid JSON: {exc.msg} at line {exc.lineno} "
                        f"column {exc.colno}") from None


def canonical_bytes(obj) -> bytes:
    """The canonical serialisation: sorted keys, compact separators, ASCII."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def content_hash(cert: dict) -> str:
    """sha256 of the canonical certificate content (everything but the hash field)."""
    body = {k: v for k, v in cert.items() if k != HASH_FIELD}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


_RATIONAL = re.compile(r"-?\d+(/\d+)?\Z", re.ASCII)


def _rational(value, where: str) -> Fraction:
    if not isinstance(value, str) or len(value) > MAX_NUMBER_CHARS or not _RATIONAL.match(value):
        raise Malformed(f"{where} must be an exact rational string like \"-3/7\", "
                        f"got {json.dumps(value)[:40]}")
    try:
        return Fraction(value)
    except ZeroDivisionError:
        raise Malformed(f"{where} = {value!r} divides by zero") from None
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        raise Malformed(f"{where} has a number with too many digits") from None


def _obj(value, where: str, keys: set, optional: set = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise Malformed(f"{where} must be a JSON object")
    missing = sorted(keys - set(value))
    if missing:
        raise Malformed(f"{where} is missing the field {missing[0]!r}")
    extra = sorted(set(value) - keys - set(optional))
    if extra:
        raise Malformed(f"{where} has the unknown field {extra[0]!r}")
    return value


def _int(value, where: str, limit: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Malformed(f"{where} must be a non-negative integer")
    if limit is not None and value > limit:
        raise TooLarge(f"{where} = {value} is above the limit {limit}")
    return value


def _list(value, where: str) -> list:
    if not isinstance(value, list):
        raise Malformed(f"{where} must be a JSON list")
    return value


def _matrix(value, where: str, shape: tuple | None = None) -> tuple[int, int, dict]:
    """(rows, cols, {row: [(col, Fraction), ...]}) of a sparse matrix."""
    m = _obj(value, where, {"shape", "entries"})
    dims = _list(m["shape"], f"{where}.shape")
    if len(dims) != 2:
        raise Malformed(f"{where}.shape must be [rows, cols]")
    rows, cols = (_int(v, f"{where}.shape", MAX_TOKENS) for v in dims)
    if shape is not None and (rows, cols) != shape:
        raise Malformed(f"{where} has shape ({rows}, {cols}), expected {shape}")
    seen = set()
    by_row: dict = {}
    for i, e in enumerate(_list(m["entries"], f"{where}.entries")):
        if not (isinstance(e, list) and len(e) == 3):
            raise Malformed(f"{where}.entries[{i}] must be [row, col, \"p/q\"]")
        r, c = _int(e[0], f"{where}.entries[{i}]"), _int(e[1], f"{where}.entries[{i}]")
        if r >= rows or c >= cols:
            raise Malformed(f"{where}.entries[{i}] = ({r}, {c}) is outside shape ({rows}, {cols})")
        if (r, c) in seen:
            raise Malformed(f"{where} has entry ({r}, {c}) twice")
        seen.add((r, c))
        v = _rational(e[2], f"{where}[{r},{c}]")
        if v:
            by_row.setdefault(r, []).append((c, v))
    return rows, cols, by_row


def _poly_terms(value, nvars: int, where: str) -> dict:
    """[[exponents], "p/q"] list -> polynomial; repeated monomials are refused."""
    out: dict = {}
    for i, term in enumerate(_list(value, where)):
        if not (isinstance(term, list) and len(term) == 2 and isinstance(term[0], list)):
            raise Malformed(f"{where}[{i}] must be [[exponents], \"p/q\"]")
        exps = tuple(_int(e, f"{where}[{i}] exponent", MAX_EXPONENT) for e in term[0])
        if len(exps) != nvars:
            raise Malformed(f"{where}[{i}] has {len(exps)} exponents, expected {nvars}")
        if exps in out:
            raise Malformed(f"{where} lists the monomial {list(exps)} twice")
        c = _rational(term[1], f"{where}[{i}] coefficient")
        if not c:
            raise Malformed(f"{where}[{i}] stores a zero coefficient")
        out[exps] = c
    return out


# ------------------------------------------------------------------ the model

class _Model:
    """The parts of a model JSON the forward pass needs, validated."""

    def __init__(self, data):
        where = "model"
        m = _obj(data, where, {"format", "variables", "tokens", "width", "embedding",
                               "blocks", "readout", "meta"})
        if m["format"] != MODEL_FORMAT:
            raise Malformed(f"model.format is {m['format']!r}, expected {MODEL_FORMAT!r}")
        self.variables = tuple(_list(m["variables"], "model.variables"))
        bad = [v for v in self.variables if not is_identifier(v)]
        if bad:
            raise Malformed(f"model.variables: {str(bad[0])[:40]!r} is not an ASCII identifier "
                            "(or names a constant)")
        if len(set(self.variables)) != len(self.variables):
            raise Malformed("model.variables must be distinct")
        n = self.tokens = _int(m["tokens"], "model.tokens", MAX_TOKENS)
        w = self.width = _int(m["width"], "model.width", MAX_TOKENS)
        _cells(n, w, "model.width")
        emb = _obj(m["embedding"], "model.embedding", {"base", "coefficients"})
        self.base = _matrix(emb["base"], "model.embedding.base", (n, w))[2]
        coefs = _list(emb["coefficients"], "model.embedding.coefficients")
        if len(coefs) != len(self.variables):
            raise Malformed(f"model.embedding has {len(coefs)} coefficient matrices for "
                            f"{len(self.variables)} variables")
        self.coefficients = [_matrix(a, f"model.embedding.coefficients[{i}]", (n, w))[2]
                             for i, a in enumerate(coefs)]
        self.blocks = [self._block(b, k) for k, b in
                       enumerate(_list(m["blocks"], "model.blocks"), 1)]
        ro = _obj(m["readout"], "model.readout", {"shape", "entries", "bias"})
        if ro["shape"] != [n, w]:
            raise Malformed(f"model.readout.shape is {ro['shape']!r}, expected [{n}, {w}]")
        self.readout = []
        seen = set()
        for i, e in enumerate(_list(ro["entries"], "model.readout.entries")):
            if not (isinstance(e, list) and len(e) == 3):
                raise Malformed(f"model.readout.entries[{i}] must be [token, channel, \"coefficient\"]")
            t, c = (_int(v, f"model.readout.entries[{i}]") for v in e[:2])
            if t >= n or c >= w:
                raise Malformed(f"model.readout.entries[{i}] = ({t}, {c}) is outside [{n}, {w}]")
            if (t, c) in seen:
                raise Malformed(f"model.readout has entry ({t}, {c}) twice")
            seen.add((t, c))
            self.readout.append((t, c, parse_form(e[2], f"model.readout[{t},{c}]")))
        self.bias = parse_form(ro["bias"], "model.readout.bias")
        meta = m["meta"]
        if not isinstance(meta, dict) or not all(isinstance(v, (str, int)) and
                                                 not isinstance(v, bool) for v in meta.values()):
            raise Malformed("model.meta must map names to strings")
        self.meta = {k: str(v) for k, v in meta.items()}

    def _block(self, b, k: int) -> dict:
        where = f"model.blocks[{k}]"
        b = _obj(b, where, {"attention", "ffn"})
        a = _obj(b["attention"], f"{where}.attention",
                 {"wq", "wk", "wv", "wo", "activation", "mask"})
        w = self.width
        wq_r, h, wq = _matrix(a["wq"], f"{where}.attention.wq")
        wk_r, hk, wk = _matrix(a["wk"], f"{where}.attention.wk")
        wv_r, hv, wv = _matrix(a["wv"], f"{where}.attention.wv")
        _cells(self.tokens, max(h, hv), f"{where}.attention head size")
        wo_r, wo_c, wo = _matrix(a["wo"], f"{where}.attention.wo")
        if (wq_r, wk_r, wv_r, wo_c) != (w, w, w, w) or hk != h or wo_r != hv:
            raise Malformed(f"{where}.attention weight shapes do not fit width {w}: "
                            f"Wq ({wq_r}, {h}), Wk ({wk_r}, {hk}), Wv ({wv_r}, {hv}), "
                            f"Wo ({wo_r}, {wo_c})")
        act = a["activation"]
        if act not in SCORE_ACTIVATIONS:
            raise Malformed(f"{where}.attention.activation {act!r} is not one of "
                            f"{', '.join(SCORE_ACTIVATIONS)}")
        mask = None
        if a["mask"] is not None:
            rows: list = [[] for _ in range(self.tokens)]
            seen = set()
            for i, p in enumerate(_list(a["mask"], f"{where}.attention.mask")):
                if not (isinstance(p, list) and len(p) == 2):
                    raise Malformed(f"{where}.attention.mask[{i}] must be [query, key]")
                t, j = (_int(v, f"{where}.attention.mask[{i}]") for v in p)
                if t >= self.tokens or j >= self.tokens:
                    raise Malformed(f"{where}.attention.mask[{i}] = ({t}, {j}) is outside "
                                    f"{self.tokens} tokens")
                if (t, j) in seen:
                    raise Malformed(f"{where}.attention.mask lists ({t}, {j}) twice")
                seen.add((t, j))
                rows[t].append(j)
            mask = [sorted(r) for r in rows]
        block = {"wq": wq, "wk": wk, "wv": wv, "wo": wo, "h": h, "hv": hv,
                 "activation": act, "mask": mask, "ffn": None}
        if b["ffn"] is not None:
            f = _obj(b["ffn"], f"{where}.ffn", {"w1", "b1", "w2", "b2", "activation"})
            r1, hid, w1 = _matrix(f["w1"], f"{where}.ffn.w1")
            _cells(self.tokens, hid, f"{where}.ffn hidden size")
            b1 = _matrix(f["b1"], f"{where}.ffn.b1", (1, hid))[2]
            r2, c2, w2 = _matrix(f["w2"], f"{where}.ffn.w2")
            b2 = _matrix(f["b2"], f"{where}.ffn.b2", (1, w))[2]
            if r1 != w or r2 != hid or c2 != w:
                raise Malformed(f"{where}.ffn shapes do not fit width {w}")
            if f["activation"] not in FFN_ACTIVATIONS:
                raise Malformed(f"{where}.ffn.activation {f['activation']!r} is not one of "
                                f"{', '.join(FFN_ACTIVATIONS)}")
            block["ffn"] = {"w1": w1, "b1": dict(b1.get(0, [])), "w2": w2,
                            "b2": dict(b2.get(0, [])), "hidden": hid,
                            "activation": f["activation"]}
        return block


def _cells(tokens: int, size: int, where: str) -> None:
    if tokens * size > MAX_CELLS:
        raise TooLarge(f"{where}: {tokens} tokens x {size} = {tokens * size} polynomial cells, "
                       f"above the limit {MAX_CELLS}")


def _row_times(row: list, weights: dict, cols: int) -> list:
    """row @ W for a row of polynomials and a sparse rational W."""
    out = [dict() for _ in range(cols)]
    for r, entries in weights.items():
        x = row[r]
        if not x:
            continue
        for c, v in entries:
            poly_add_into(out[c], x, v)
    return out


def _dot(a: list, b: list) -> dict:
    out: dict = {}
    for u, v in zip(a, b):
        if u and v:
            poly_add_into(out, poly_mul(u, v))
    return out


def forward(model: _Model, deadline: float | None = None, ctx: _Context | None = None) -> list:
    """The residual streams [H0, H1, ..., HL], each a list of rows of polynomials in
    the model's variables (on the box of ``ctx``, if any, where relu was decided by
    sign certificates). Raises Invalid where a step is not exactly decidable."""
    ctx = ctx or _Context(None, model.variables)
    d = len(model.variables)
    n, w = model.tokens, model.width
    H = [[dict() for _ in range(w)] for _ in range(n)]
    for r, entries in model.base.items():
        for c, v in entries:
            H[r][c] = poly_add(H[r][c], poly_const(v, d))
    for i, a in enumerate(model.coefficients):
        xi = tuple(1 if j == i else 0 for j in range(d))
        for r, entries in a.items():
            for c, v in entries:
                H[r][c] = poly_add(H[r][c], {xi: v})
    streams = [H]
    everyone = list(range(n))
    for k, b in enumerate(model.blocks, 1):
        if deadline is not None and time.monotonic() > deadline:
            raise TimeLimit(f"time limit reached in block {k}")
        rows = ([(t, keys) for t, keys in enumerate(b["mask"]) if keys]
                if b["mask"] is not None else [(t, everyone) for t in range(n)])
        needed = sorted({j for _, keys in rows for j in keys})
        K = {j: _row_times(H[j], b["wk"], b["h"]) for j in needed}
        V = {j: _row_times(H[j], b["wv"], b["hv"]) for j in needed}
        new = list(H)
        for t, keys in rows:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeLimit(f"time limit reached in block {k}, token {t}")
            q = _row_times(H[t], b["wq"], b["h"])
            scores = [_dot(q, K[j]) for j in keys]
            weights = _activate(b["activation"], scores, d, k, t, keys, ctx)
            a = [dict() for _ in range(b["hv"])]
            for j, wj in zip(keys, weights):
                if not wj:
                    continue
                for c, v in enumerate(V[j]):
                    if v:
                        poly_add_into(a[c], poly_mul(wj, v))
            if not any(a):
                continue
            out = _row_times(a, b["wo"], w)
            new[t] = [poly_add(u, v) for u, v in zip(H[t], out)]
        H = new
        if b["ffn"] is not None:
            H = _ffn(b["ffn"], H, d, k, ctx)
        streams.append(H)
    return streams


def _activate(act: str, scores: list, d: int, k: int, t: int, keys, ctx: _Context) -> list:
    names = ctx.names
    if act == "identity":
        return scores
    if act == "relu":
        return [ctx.relu(s, f"block {k}: relu of the score S[{t},{j}]")
                for j, s in zip(keys, scores)]
    # softmax: exp(s_j) / sum_i exp(s_i) is rational for all x iff all s_i are equal
    first = scores[0]
    for j, s in zip(keys, scores):
        if s != first:
            raise Invalid(f"block {k}: softmax row {t} has unequal scores "
                          f"{format_poly(first, names)} and {format_poly(s, names)}; "
                          "its weights are not exactly decidable")
    return [poly_const(Fraction(1, len(scores)), d)] * len(scores)


def _ffn(f: dict, H: list, d: int, k: int, ctx: _Context) -> list:
    out = []
    for t, row in enumerate(H):
        z = _row_times(row, f["w1"], f["hidden"])
        z = [poly_add(u, poly_const(f["b1"].get(c, 0), d)) for c, u in enumerate(z)]
        if f["activation"] == "square":
            z = [poly_mul(u, u) for u in z]
        else:
            z = [ctx.relu(u, f"block {k}: FFN relu of (token {t}, unit {c})")
                 for c, u in enumerate(z)]
        y = _row_times(z, f["w2"], len(row))
        out.append([poly_add(poly_add(u, v), poly_const(f["b2"].get(c, 0), d))
                    for c, (u, v) in enumerate(zip(row, y))])
    return out


# ------------------------------------------------------------------ the claim

def box_text(box: list) -> str:
    """[lo1,hi1]x[lo2,hi2]... (R^0 for no variables)."""
    return "x".join(f"[{lo},{hi}]" for lo, hi in box) or "R^0"


def claim_text(kind: str, theorem: dict | None = None, box: list | None = None) -> str:
    """The statement a certificate of ``kind`` asserts (the checker regenerates it)."""
    where = "for all x" if box is None else f"for all x in the box {box_text(box)}"
    if kind == "theorem":
        d, n = theorem["dimension"], theorem["degree"]
        shift = [Fraction(v) for v in theorem.get("shift") or []]
        basis = ("" if not any(shift) else
                 " in the basis (x - (" + ", ".join(str(v) for v in shift) + "))^alpha")
        return (f"for every polynomial p of degree <= {n} in {d} variables, the model's "
                f"fixed blocks with readout = the coefficients of p{basis} output p(x) "
                f"exactly, {where}")
    if box is None:
        return ("the model's output equals the target polynomial identically: for all x and "
                "all values of the parameters")
    return (f"the model's output equals the target polynomial {where} and all values of "
            "the parameters (every relu decided by a sign certificate on the box)")


def _generic_monomials(d: int, n: int) -> list:
    """Exponent tuples of degree <= n in d variables (any order)."""
    out = [()]
    for _ in range(d):
        out = [m + (e,) for m in out for e in range(n + 1) if sum(m) + e <= n]
    return out


def _shifted_power(alpha: tuple, shift: list) -> dict:
    """(x - shift)^alpha expanded."""
    d = len(alpha)
    out = poly_const(Fraction(1), d)
    for i, e in enumerate(alpha):
        xi = {tuple(1 if j == i else 0 for j in range(d)): Fraction(1)}
        factor = poly_add(xi, poly_const(-shift[i], d))
        for _ in range(e):
            out = poly_mul(out, factor)
    return out


def _check_theorem_target(target: dict, d: int, n: int, variables, shift: list) -> None:
    """The target must be sum_alpha c_alpha (x - s)^alpha over ALL |alpha| <= n (s = 0
    unless a shift is declared), with one distinct parameter c_alpha per monomial.
    These (x - s)^alpha are a basis of the polynomials of degree <= n, so "y = target
    for all x and all c" is exactly "every polynomial of degree <= n is output"."""
    params = target["params"]
    parts: dict = {}
    for m, coef in target["poly"].items():
        xm, pm = m[:d], m[d:]
        if sum(pm) != 1:
            raise Invalid(f"theorem target term {format_monomial(m, variables + params)} "
                          f"(coefficient {coef}) is not one coefficient symbol times a "
                          "polynomial in x")
        parts.setdefault(pm.index(1), {})[xm] = coef
    seen: dict = {}
    for c in range(len(params)):
        part = parts.get(c)
        if not part:
            raise Invalid(f"theorem target declares the parameter {params[c]} but it carries "
                          "no monomial")
        alpha = max(part, key=graded_key)
        want = _shifted_power(alpha, shift)
        if part != want:
            raise Invalid(f"theorem target gives {params[c]} the polynomial "
                          f"{format_poly(part, variables)}, not the basis element "
                          f"{format_poly(want, variables)}: not one coefficient symbol times "
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
    want = math.comb(n + d, d)
    if len(seen) != want:
        missing = "" if want > MAX_TOKENS else next(
            f" (e.g. {format_monomial(m, variables)})" for m in _generic_monomials(d, n)
            if m not in seen)
        raise Invalid(f"theorem target has {len(seen)} of the {want} monomials of degree <= "
                      f"{n} in {d} variables{missing}: it is not the generic polynomial")


def _output(model: _Model, final: list, gens: list) -> dict:
    """y = sum R[t,c] H_L[t,c] + r0 as a polynomial over gens = variables + symbols."""
    d = len(model.variables)
    pos = {g: i for i, g in enumerate(gens)}
    pad = (0,) * (len(gens) - d)

    def lift_form(form: dict) -> dict:
        out = {}
        for m, c in form.items():
            e = [0] * len(gens)
            for name, k in m:
                e[pos[name]] += k
            out[tuple(e)] = c
        return out

    y: dict = {}
    for t, c, form in model.readout:
        h = final[t][c]
        if not h:
            continue
        lifted = {m + pad: v for m, v in h.items()}
        poly_add_into(y, poly_mul(lifted, lift_form(form)))
    poly_add_into(y, lift_form(model.bias))
    return y


def _trace_data(value, d: int, nblocks: int, n: int, w: int) -> list:
    """The optional trace: [{"block": k, "entries": [[t, c, terms], ...]}] for
    k = 0..L; block k lists every entry of H_k that differs from H_{k-1} (all
    non-zero entries for k = 0)."""
    layers = _list(value, "trace")
    if len(layers) != nblocks + 1:
        raise Malformed(f"trace has {len(layers)} layers, expected {nblocks + 1} "
                        "(the embedding and one per block)")
    out = []
    for k, layer in enumerate(layers):
        lw = f"trace[{k}]"
        layer = _obj(layer, lw, {"block", "entries"})
        if layer["block"] != k:
            raise Malformed(f"{lw}.block is {layer['block']!r}, expected {k}")
        entries = {}
        for i, e in enumerate(_list(layer["entries"], f"{lw}.entries")):
            if not (isinstance(e, list) and len(e) == 3):
                raise Malformed(f"{lw}.entries[{i}] must be [token, channel, terms]")
            t, c = (_int(v, f"{lw}.entries[{i}]") for v in e[:2])
            if t >= n or c >= w or (t, c) in entries:
                raise Malformed(f"{lw}.entries[{i}] = ({t}, {c}) is outside the model or repeated")
            entries[(t, c)] = _poly_terms(e[2], d, f"{lw}[{t},{c}]")
        out.append(entries)
    return out


def _compare_trace(trace: list, streams: list, variables) -> None:
    for k, (recorded, H) in enumerate(zip(trace, streams)):
        prev = streams[k - 1] if k else None
        where = "embedding" if k == 0 else f"block {k}"
        for (t, c), p in sorted(recorded.items()):
            if H[t][c] != p:
                raise Invalid(f"trace disagrees after {where} at token {t}, channel {c}: "
                              f"certificate has {format_poly(p, variables)}, checker "
                              f"computed {format_poly(H[t][c], variables)}")
        for t, row in enumerate(H):
            for c, p in enumerate(row):
                changed = p != (prev[t][c] if prev is not None else {})
                if changed and (t, c) not in recorded:
                    raise Invalid(f"trace omits the entry after {where} at token {t}, channel "
                                  f"{c}: checker computed {format_poly(p, variables)}")


# ------------------------------------------------------------------ the check

class Report:
    """The outcome of a check: exit code, one-line message, and what was checked."""

    def __init__(self, code: int, message: str, details: dict | None = None):
        self.code, self.message, self.details = code, message, dict(details or {})

    @property
    def valid(self) -> bool:
        return self.code == VALID

    @property
    def status(self) -> str:
        return ("valid", "invalid", "malformed", "limit")[self.code]

    def to_json(self) -> dict:
        return {"status": self.status, "valid": self.valid, "message": self.message,
                **self.details}

    def __repr__(self) -> str:
        return f"<Report {self.status}: {self.message}>"


def check_certificate(cert, timeout: float | None = None) -> Report:
    """Check a parsed certificate; never raises for bad input (see Report.code)."""
    global _deadline
    start = time.perf_counter()
    details: dict = {}
    saved = _deadline
    try:
        _deadline = None if timeout is None else time.monotonic() + timeout
        _check(cert, details, _deadline)
    except Malformed as exc:
        return Report(MALFORMED, f"malformed certificate: {exc}", details)
    except Invalid as exc:
        return Report(INVALID, f"INVALID: {exc}", details)
    except TimeLimit as exc:
        return Report(LIMIT, f"limit exceeded: {exc}", details)
    except RecursionError:
        return Report(MALFORMED, "malformed certificate: nested too deeply", details)
    except ValueError as exc:  # int -> str beyond sys.get_int_max_str_digits(): no verdict
        if "integer string conversion" not in str(exc):
            raise
        return Report(LIMIT, "limit exceeded: a number in the check has more than "
                             f"{sys.get_int_max_str_digits()} digits, too many to print "
                             "(no verdict)", details)
    finally:
        _deadline = saved
    details["seconds"] = round(time.perf_counter() - start, 4)
    what = ("theorem" if details.get("kind") == "theorem" else "identity")
    return Report(VALID, f"VALID: {what} re-derived ({details['rung']}): "
                         f"{details.get('claim', '')}", details)


def check_bytes(data: bytes | str, timeout: float | None = None) -> Report:
    """Parse and check certificate text."""
    try:
        cert = strict_loads(data)
    except Malformed as exc:
        return Report(MALFORMED, f"malformed certificate: {exc}")
    except TimeLimit as exc:
        return Report(LIMIT, f"limit exceeded: {exc}")
    return check_certificate(cert, timeout)


def check_file(path: str, timeout: float | None = None) -> Report:
    """Read and check a certificate file: a regular file of at most MAX_BYTES bytes.

    A FIFO, a device (/dev/zero), a socket or a directory is refused before a byte
    is read: it is opened without blocking and checked with fstat on the open
    descriptor, and at most MAX_BYTES + 1 bytes are ever read."""
    bad = f"malformed certificate: {path!r}"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return Report(MALFORMED, f"{bad} does not exist")
    except IsADirectoryError:
        return Report(MALFORMED, f"{bad} is a directory")
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        return Report(MALFORMED, f"{bad} cannot be opened: "
                                 f"{getattr(exc, 'strerror', None) or exc}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            mode = info.st_mode
            kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)"
                    if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                    else "not a regular file")
            return Report(MALFORMED, f"{bad} is {kind}, not a regular file")
        if info.st_size > MAX_BYTES:
            return Report(LIMIT, f"limit exceeded: certificate is larger than {MAX_BYTES} bytes")
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, min(1 << 24, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        return Report(MALFORMED, f"malformed certificate: cannot read {path!r}: {exc.strerror}")
    finally:
        os.close(fd)
    return check_bytes(b"".join(chunks), timeout)


def _check(cert, details: dict, deadline) -> None:
    if not isinstance(cert, dict):
        raise Malformed("a certificate must be a JSON object")
    fmt = cert.get("format")
    if fmt != CERTIFICATE_FORMAT:
        raise Malformed(f"unknown certificate format {fmt!r} (expected {CERTIFICATE_FORMAT!r})")
    cert = _obj(cert, "certificate", {"format", "kind", "model", "target", "claim", "verdict",
                                      "rung", "trace", HASH_FIELD}, {"theorem", "box"})
    kind = cert["kind"]
    if kind not in KINDS:
        raise Malformed(f"certificate.kind {kind!r} is not one of {', '.join(KINDS)}")
    details["kind"] = kind
    stated = cert[HASH_FIELD]
    if not (isinstance(stated, str) and re.fullmatch(r"[0-9a-f]{64}", stated)):
        raise Malformed("certificate.sha256 must be 64 lower-case hex digits")
    actual = content_hash(cert)
    if stated != actual:
        raise Invalid(f"sha256 mismatch: the certificate states {stated[:16]}..., its content "
                      f"hashes to {actual[:16]}... (the content was changed after hashing)")
    details["sha256"] = actual
    if cert["verdict"] != "proved":
        raise Malformed(f"certificate.verdict is {cert['verdict']!r}; only \"proved\" "
                        "certificates exist")
    model = _Model(cert["model"])
    variables = list(model.variables)
    d = len(variables)
    details.update(tokens=model.tokens, width=model.width, blocks=len(model.blocks),
                   variables=variables)
    tg = _obj(cert["target"], "target", {"variables", "params", "terms"})
    if tg["variables"] != variables:
        raise Invalid(f"target variables {tg['variables']!r} differ from the model's "
                      f"{variables!r}")
    params = _list(tg["params"], "target.params")
    if not all(is_identifier(p) or is_constant_name(p) for p in params) \
            or len(set(params)) != len(params) or set(params) & set(variables):
        raise Malformed("target.params must be distinct ASCII identifiers or constants, none "
                        "of them a variable")
    target = {"params": list(params),
              "poly": _poly_terms(tg["terms"], d + len(params), "target.terms")}
    box = None
    if cert.get("box") is not None:
        box = []
        for i, iv in enumerate(_list(cert["box"], "box")):
            if not (isinstance(iv, list) and len(iv) == 2):
                raise Malformed(f"box[{i}] must be [\"lo\", \"hi\"]")
            lo, hi = (_rational(v, f"box[{i}]") for v in iv)
            if not lo < hi:
                raise Malformed(f"box[{i}] = [{lo}, {hi}] needs lo < hi")
            box.append((lo, hi))
        if len(box) != d:
            raise Malformed(f"box has {len(box)} intervals for {d} variables")
        details["box"] = box_text(box)
    theorem = None
    if kind == "theorem":
        if "theorem" not in cert:
            raise Malformed("a theorem certificate needs the field 'theorem'")
        theorem = _obj(cert["theorem"], "theorem", {"dimension", "degree"}, {"shift"})
        td = _int(theorem["dimension"], "theorem.dimension")
        tn = _int(theorem["degree"], "theorem.degree", MAX_EXPONENT)
        if td != d:
            raise Invalid(f"theorem.dimension is {td}, but the model has {d} variables")
        shift = [Fraction(0)] * d
        if theorem.get("shift") is not None:
            shift = [_rational(v, "theorem.shift") for v in _list(theorem["shift"],
                                                                  "theorem.shift")]
            if len(shift) != d:
                raise Malformed(f"theorem.shift has {len(shift)} entries for {d} variables")
        _check_theorem_target(target, td, tn, variables, shift)
        for key, want in (("dimension", td), ("degree", tn), ("free_parameters", len(params))):
            if key in model.meta and model.meta[key] != str(want):
                raise Invalid(f"model.meta.{key} is {model.meta[key]!r}, but the theorem has "
                              f"{want}")
        details.update(dimension=td, degree=tn)
    elif "theorem" in cert:
        raise Malformed("certificate has the unknown field 'theorem' for kind 'identity'")
    if "dimension" in model.meta and model.meta["dimension"] != str(d):
        raise Invalid(f"model.meta.dimension is {model.meta['dimension']!r}, but the model has "
                      f"{d} variables")
    text = claim_text(kind, theorem, box)
    if cert["claim"] != text:
        raise Invalid(f"claim text {str(cert['claim'])[:60]!r} is not the statement of a "
                      f"{kind} certificate")
    details["claim"] = text
    trace = None
    if cert["trace"] is not None:
        trace = _trace_data(cert["trace"], d, len(model.blocks), model.tokens, model.width)
    ctx = _Context(box, variables)
    streams = forward(model, deadline, ctx)
    if trace is not None:
        _compare_trace(trace, streams, variables)
        details["trace_layers"] = len(trace)
    used = {name for _, _, f in model.readout + [(0, 0, model.bias)] for m in f
            for name, _ in m}
    # A readout symbol named like an input would be read AS that input, letting the
    # readout compute what the blocks should: refuse it before anything else.
    clash = used & set(variables)
    if clash:
        raise Invalid(f"readout uses the variable {sorted(clash)[0]!r} as a coefficient")
    bad = sorted(n for n in used if not (is_identifier(n) or is_constant_name(n)))
    if bad:
        raise Malformed(f"readout symbol {bad[0][:40]!r} is not an ASCII identifier")
    symbols = sorted(used - set(params))
    gens = variables + list(params) + symbols
    y = _output(model, streams[-1], gens)
    claim_poly = {m + (0,) * len(symbols): c for m, c in target["poly"].items()}
    if y != claim_poly:
        diff = poly_add(y, poly_scale(claim_poly, Fraction(-1)))
        m = min(diff, key=lambda m: graded_key(m[:d]) + graded_key(m[d:]))
        raise Invalid(f"model output differs from the target at "
                      f"{format_monomial(m, gens)}: model has {y.get(m, 0)}, "
                      f"target has {claim_poly.get(m, 0)}")
    # As the prover does: the box rung only when a sign certificate was needed.
    rung = EXACT_ON_BOX if ctx.used_box else EXACT_IDENTITY
    if cert["rung"] != rung:
        raise Invalid(f"rung mismatch: the certificate states {cert['rung']!r}, the checker "
                      f"re-derived {rung!r}")
    details["rung"] = rung
    details["terms"] = len(y)


#: Largest --timeout of the standalone checker, in seconds (30 days, as the CLI).
MAX_TIMEOUT = 30 * 86_400
USAGE = "usage: python -m exactformer.checker CERT.json [--json] [--timeout SECONDS]"


def _usage_error(message: str) -> int:
    print(f"exactformer.checker: usage error: {message} ({USAGE})", file=sys.stderr)
    return MALFORMED


def _timeout_value(text: str) -> float | None:
    """--timeout SECONDS: finite, in [0, MAX_TIMEOUT]; 0 means no limit. ValueError else."""
    value = float(text)  # ValueError for text that is not a number
    if not (math.isfinite(value) and 0 <= value <= MAX_TIMEOUT):
        raise ValueError(text)
    return value or None


def main(argv: list | None = None) -> int:
    """``python -m exactformer.checker CERT [--json] [--timeout SECONDS]``: exit 0 valid,
    1 invalid, 2 malformed (or a usage error), 3 a size or time limit (by default
    DEFAULT_TIMEOUT seconds; --timeout 0: no limit)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json, timeout, paths = False, DEFAULT_TIMEOUT, []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not isinstance(arg, str):
            return _usage_error(f"arguments must be strings, got {type(arg).__name__}")
        if arg == "--json":
            as_json = True
        elif arg == "--timeout" or arg.startswith("--timeout="):
            if "=" in arg:
                text = arg.split("=", 1)[1]
            elif i + 1 < len(argv):
                i += 1
                text = argv[i]
            else:
                return _usage_error("--timeout needs a number of seconds")
            try:
                timeout = _timeout_value(text)
            except ValueError:
                return _usage_error(f"--timeout {text[:40]!r} must be a finite number of "
                                    f"seconds in [0, {MAX_TIMEOUT}] (0: no limit)")
        elif arg in ("-h", "--help"):
            print(USAGE)
            return VALID
        elif arg == "--":
            paths.extend(argv[i + 1:])
            break
        elif arg.startswith("-") and arg != "-":
            return _usage_error(f"unknown option {arg[:40]!r}")
        else:
            paths.append(arg)
        i += 1
    if len(paths) != 1:
        return _usage_error("exactly one certificate file is needed, got "
                            f"{len(paths)}")
    report = check_file(paths[0], timeout=timeout)
    if as_json:
        print(json.dumps({"certificate": paths[0], **report.to_json()}, sort_keys=True))
    elif report.valid:
        print(report.message)
    else:
        print(report.message, file=sys.stderr)
    return report.code


if __name__ == "__main__":
    sys.exit(main())
