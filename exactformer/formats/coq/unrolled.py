"""Export a certificate as a Coq proof: the forward pass, written out as the block
equations, equals the target as an identity over the reals.

The file declares the variables and the symbolic coefficients as section
variables in R, defines every residual-stream entry the model computes as a Coq
definition (embedding, then per block: queries, keys, values, scores, attention
outputs, the residual update, the FFN), defines the readout, and states

    Theorem forward_pass_equals_target : model_output = <target polynomial>.

closed by ``ring`` (or ``field`` when a rational constant is not an integer). Coq's
kernel re-checks the identity; after the section closes it holds for all real x
and all real coefficients. Only the exactly polynomial pieces are exported: score
activation ``identity``, FFN ``square``, and softmax rows with a single allowed key,
whose weight exp(s)/exp(s) Coq rewrites to 1 (exp > 0). Relu, or softmax over several
keys, is refused with a clear message (there the exactness argument is the checker's
sign or equality reasoning, not a ring identity).

>>> from exactformer import prove
>>> from exactformer.formats.certificate import certificate_from_proof
>>> text = export_coq(certificate_from_proof(prove("x**2 + 1")))
>>> "Theorem forward_pass_equals_target" in text and "ring." in text
True
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import TYPE_CHECKING, Mapping, Sequence, TypeAlias

from ... import checker
from ...checker.check import check_certificate
from ...checker.reading import Model as _CheckedModel
from ...errors import CertificateError

if TYPE_CHECKING:
    from ..certificate import Certificate

#: A rational as the checker holds it (an int when integral).
Rational: TypeAlias = "Fraction | int"
#: A sparse matrix as the checker reads it: {row: [(col, rational), ...]}.
SparseRows: TypeAlias = "Mapping[int, Sequence[tuple[int, Rational]]]"


def _comment_safe(name: str) -> str:
    """A name as text inside a Coq comment: no comment delimiters, no string quotes
    (Coq lexes both inside comments, so a name could otherwise end the comment and
    inject commands), printable ASCII only."""
    text = re.sub(r"[^ -~]", "?", name).replace('"', "'")
    return text.replace("(*", "( *").replace("*)", "* )")


def _ident(prefix: str, name: str) -> str:
    """A Coq identifier for a variable or parameter name (sqrt(2) -> p_sqrt_2)."""
    return prefix + re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_")


def _const(c: Rational) -> str:
    if c.denominator == 1:
        return f"({c.numerator})" if c < 0 else str(c.numerator)
    return f"({c.numerator}/{c.denominator})"


class _Lin:
    """Builds sums sum_i coef_i * term_i as Coq text, dropping zeros and unit factors."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, term: str | None, coef: Rational = Fraction(1)) -> None:
        if not coef or term == "0":
            return
        if term is None:
            self.parts.append(_const(coef))
        elif coef == 1:
            self.parts.append(term)
        else:
            self.parts.append(f"{_const(coef)} * {term}")

    def text(self) -> str:
        return " + ".join(self.parts) if self.parts else "0"


def export_coq(cert: Certificate) -> str:
    """The Coq (.v) text proving the certificate's identity; CertificateError if the
    certificate is invalid or uses a non-polynomial activation."""
    report = check_certificate(cert)
    if not report.valid:
        raise CertificateError(f"certificate does not check: {report.message}")
    model = _CheckedModel(cert["model"])
    for k, b in enumerate(model.blocks, 1):
        if b["activation"] == "softmax" and b["mask"] is not None and \
                all(len(keys) <= 1 for _, keys in b["mask"]):
            continue  # one key per row: the weight is exp(s)/exp(s) = 1
        if b["activation"] != "identity":
            raise CertificateError(f"block {k} uses the score activation {b['activation']!r}; "
                                   "the Coq export covers identity scores and softmax rows "
                                   "with a single key only")
        if b["ffn"] is not None and b["ffn"]["activation"] != "square":
            raise CertificateError(f"block {k} uses an FFN relu; the Coq export covers the "
                                   "square activation only")
    variables = list(model.variables)
    params = list(cert["target"]["params"])
    symbols = sorted({name for _, _, f in model.readout + [(0, 0, model.bias)]
                      for m in f for name, _ in m} - set(params))
    vnames = {v: _ident("v_", v) for v in variables}
    pnames = {p: _ident("p_", p) for p in params + symbols}
    if len(set(vnames.values()) | set(pnames.values())) != len(vnames) + len(pnames):
        raise CertificateError("two names map to the same Coq identifier")
    lines: list[str] = []
    defs: list[str] = []
    uses_division = False
    uses_softmax = False

    def define(name: str, body: str, comment: str | None = None) -> str:
        nonlocal uses_division
        if comment:
            lines.append(f"(* {comment} *)")
        lines.append(f"Definition {name} : R := {body}.")
        defs.append(name)
        uses_division = uses_division or "/" in body
        return name

    n, w = model.tokens, model.width
    # embedding: H0 = B + sum_i x_i A_i
    H = [["0"] * w for _ in range(n)]
    emb: dict[tuple[int, int], _Lin] = {}
    for r, entries in model.base.items():
        for c, v in entries:
            emb.setdefault((r, c), _Lin()).add(None, v)
    for i, coefficient in enumerate(model.coefficients):
        for r, entries in coefficient.items():
            for c, v in entries:
                emb.setdefault((r, c), _Lin()).add(vnames[variables[i]], v)
    lines.append("(* embedding: H0 = B + sum_i x_i A_i *)")
    for (r, c) in sorted(emb):
        H[r][c] = define(f"h0_t{r}_c{c}", emb[(r, c)].text())

    def row_times(row: Sequence[str], weights: SparseRows, cols: int) -> list[str]:
        out = [_Lin() for _ in range(cols)]
        for r, entries in weights.items():
            if row[r] == "0":
                continue
            for c, v in entries:
                out[c].add(row[r], v)
        return [o.text() for o in out]

    everyone = list(range(n))
    for k, b in enumerate(model.blocks, 1):
        lines.append(f"(* block {k}: S = (H Wq)(H Wk)^T, A = (M o S)(H Wv), H <- H + A Wo *)")
        rows = (b["mask"]  # the checker's (query, keys) rows with at least one key
                if b["mask"] is not None else [(t, everyone) for t in range(n)])
        needed = sorted({j for _, keys in rows for j in keys})
        K: dict[int, list[str]] = {}
        V: dict[int, list[str]] = {}
        for j in needed:
            K[j] = [x if x == "0" else define(f"k{k}_t{j}_{i}", x)
                    for i, x in enumerate(row_times(H[j], b["wk"], b["h"]))]
            V[j] = [x if x == "0" else define(f"v{k}_t{j}_{i}", x)
                    for i, x in enumerate(row_times(H[j], b["wv"], b["hv"]))]
        new = [list(r) for r in H]
        for t, keys in rows:
            q = [x if x == "0" else define(f"q{k}_t{t}_{i}", x)
                 for i, x in enumerate(row_times(H[t], b["wq"], b["h"]))]
            head_out = [_Lin() for _ in range(b["hv"])]
            for j in keys:
                s = _Lin()
                for qi, ki in zip(q, K[j]):
                    if qi != "0" and ki != "0":
                        s.add(f"{qi} * {ki}")
                softmax = b["activation"] == "softmax"
                if s.text() == "0" and not softmax:
                    continue
                sname = define(f"s{k}_t{t}_k{j}", s.text())
                if softmax:
                    # softmax over the single allowed key: exp(s) / exp(s)
                    sname = define(f"w{k}_t{t}_k{j}", f"exp {sname} / exp {sname}")
                    uses_softmax = True
                for c, vc in enumerate(V[j]):
                    if vc != "0":
                        head_out[c].add(f"{sname} * {vc}")
            a = [h.text() for h in head_out]
            if all(x == "0" for x in a):
                continue
            a = [x if x == "0" else define(f"a{k}_t{t}_{i}", x) for i, x in enumerate(a)]
            out = row_times(a, b["wo"], w)
            for c, o in enumerate(out):
                if o != "0":
                    base = "" if H[t][c] == "0" else f"{H[t][c]} + "
                    new[t][c] = define(f"h{k}_t{t}_c{c}", base + o)
        H = new
        if b["ffn"] is not None:
            f = b["ffn"]
            lines.append(f"(* block {k} FFN: H <- H + (H W1 + b1)^2 W2 + b2 *)")
            new = [list(r) for r in H]
            for t in range(n):
                z = row_times(H[t], f["w1"], f["hidden"])
                sq: list[str] = []
                for c, zc in enumerate(z):
                    lin = _Lin()
                    if zc != "0":
                        lin.parts.append(zc)
                    lin.add(None, f["b1"].get(c, Fraction(0)))
                    body = lin.text()
                    sq.append("0" if body == "0" else
                              define(f"z{k}_t{t}_{c}", f"({body}) * ({body})"))
                y = row_times(sq, f["w2"], w)
                for c, yc in enumerate(y):
                    lin = _Lin()
                    if H[t][c] != "0":
                        lin.parts.append(H[t][c])
                    if yc != "0":
                        lin.parts.append(yc)
                    lin.add(None, f["b2"].get(c, Fraction(0)))
                    body = lin.text()
                    if body != H[t][c]:
                        new[t][c] = define(f"f{k}_t{t}_c{c}", body)
            H = new

    def form_text(form: Mapping[tuple[tuple[str, int], ...], Rational]) -> str:
        lin = _Lin()
        for m, c in sorted(form.items()):
            term = " * ".join(pnames[name] if e == 1 else f"{pnames[name]}^{e}" for name, e in m)
            lin.add(term or None, c)
        return lin.text()

    output = _Lin()
    for t, c, form in model.readout:
        if H[t][c] != "0":
            output.add(f"({form_text(form)}) * {H[t][c]}")
    bias = form_text(model.bias)
    if bias != "0":
        output.add(f"({bias})")
    define("model_output", output.text(), "readout: y = sum R[t,c] H_L[t,c] + r0")

    gens = [vnames[v] for v in variables] + [pnames[p] for p in params]
    target = _Lin()
    # dense or sparse exponents, read by the checker (which has already accepted them)
    for exps, coef in checker._poly_terms(cert["target"]["terms"], len(gens),
                                          "target.terms").items():
        term = " * ".join(g if e == 1 else f"{g}^{e}" for g, e in zip(gens, exps) if e)
        target.add(term or None, Fraction(coef))
    statement = target.text()
    uses_division = uses_division or "/" in statement
    tactic = "field" if uses_division else "ring"

    head = [
        "(* exactformer certificate exported to Coq: the forward pass of the model,",
        "   written out as its block equations, equals the target identically over R.",
        f"   certificate kind: {cert['kind']}; sha256: {cert['sha256']}",
        f"   {cert['claim']}",
        "   Names: " + (", ".join(f"{_comment_safe(v)} -> {vnames[v]}" for v in variables)
                        or "no variables")
        + (("; " + ", ".join(f"{_comment_safe(p)} -> {pnames[p]}" for p in params + symbols))
           if params or symbols else ""),
        "*)",
        "Require Import Reals.",
        "Open Scope R_scope.",
        "",
        "Section Certificate.",
    ]
    if variables:
        head.append(f"Variables {' '.join(vnames[v] for v in variables)} : R.")
    if params or symbols:
        head.append(f"Variables {' '.join(pnames[p] for p in params + symbols)} : R.")
    unfold = ", ".join(reversed(defs))
    tail = [
        "",
        "Theorem forward_pass_equals_target :",
        f"  model_output = {statement}.",
        "Proof.",
        f"  unfold {unfold}.",
    ] + ([
        "  assert (exp_ratio : forall r : R, exp r / exp r = 1)",
        "    by (intro r; field; apply Rgt_not_eq, exp_pos).",
        "  rewrite ?exp_ratio.",
    ] if uses_softmax else []) + [
        f"  {tactic}.",
        "Qed.",
        "",
        "End Certificate.",
        "",
    ]
    return "\n".join(head + lines + tail)
