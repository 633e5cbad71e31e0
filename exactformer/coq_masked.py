"""Export a theorem certificate of construction A through the generic Coq theorem.

The Coq development in ``proofs/coq`` proves, for every d and n,

    Theorem masked_zero_error (R : comRingType) d n (c : 'X_{1..d < n.+1} -> R) x :
      output (masked_model c) x = \\sum_alpha c alpha * \\prod_(i < d) x i ^+ alpha i.

where ``masked_model`` is the generic forward pass (proofs/coq/IR.v) applied to the
construction written as data, ``masked_data d n`` (proofs/coq/Masked.v). An exported
instance writes the certificate's own embedding, weights, masks and readout as that
kind of data, proves ``cert_data = masked_data d n`` by computation (a VM cast:
the certificate IS the construction for its (d, n)), and applies the corollary
``masked_data_zero_error``. Its size is linear in the number of tokens and its
check does not unroll the forward pass.

Only what the data format can state is written; a certificate outside it (a
non-integer weight, a score activation other than identity, an FFN, a full mask, a
readout entry that is not one coefficient symbol) is refused with a message, never
rounded into something else.

>>> from exactformer.certificate import certificate_from_theorem
>>> from exactformer.theorem import prove_theorem
>>> text = export_coq_masked(certificate_from_theorem(prove_theorem(1, 2)))
>>> "cert_data = masked_data 1 2" in text and "masked_data_zero_error" in text
True
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from . import checker
from .coq import _comment_safe
from .errors import CertificateError

#: proofs/coq in a source checkout (None when the package runs without it)
COQ_DIR = Path(__file__).resolve().parents[1] / "proofs" / "coq"
LOGICAL_PATH = "Exactformer"


def coqc_command(out: str) -> str:
    """The command that checks an exported instance (after proofs/coq/check.sh built
    the library)."""
    where = str(COQ_DIR) if (COQ_DIR / "Masked.v").is_file() else "<path to proofs/coq>"
    return f"coqc -R {where} {LOGICAL_PATH} {out}"


def is_generic_masked(cert: dict) -> bool:
    """Whether the certificate claims the theorem for construction A (the route of
    this module); whether it IS that construction is decided by Coq."""
    model = cert.get("model")
    meta = model.get("meta") if isinstance(model, dict) else None
    theorem = cert.get("theorem")
    shift = theorem.get("shift") if isinstance(theorem, dict) else None
    try:
        shifted = bool(shift) and any(Fraction(str(v)) for v in shift)
    except (ValueError, TypeError, ZeroDivisionError):
        shifted = True  # not a plain shift of zeros: not this route
    return (cert.get("kind") == "theorem" and isinstance(meta, dict)
            and meta.get("construction") == "masked" and not shifted)


def _int_text(v: Fraction, where: str) -> str:
    if v.denominator != 1:
        raise CertificateError(f"{where} is {v}, not an integer: the generic Coq route "
                               "states integer weights only (use --unrolled)")
    k = v.numerator
    return f"z {k}" if k >= 0 else f"zn {-k - 1}"


def _dense(by_row: dict, rows: int, cols: int, where: str) -> str:
    lines = []
    for r in range(rows):
        entries = dict(by_row.get(r, []))
        cells = "; ".join(_int_text(entries.get(c, Fraction(0)), f"{where}[{r},{c}]")
                          for c in range(cols))
        lines.append(f"[:: {cells}]")
    return "[:: " + ";\n     ".join(lines) + "]" if lines else "[::]"


def _nats(values) -> str:
    return "[:: " + "; ".join(str(v) for v in values) + "]" if values else "[::]"


def export_coq_masked(cert: dict, require_valid: bool = True) -> str:
    """The Coq (.v) text of the instance; CertificateError if the certificate does
    not check (unless ``require_valid`` is False, used to show that Coq itself
    rejects a tampered one) or cannot be stated in the data format."""
    if require_valid:
        report = checker.check_certificate(cert)
        if not report.valid:
            raise CertificateError(f"certificate does not check: {report.message}")
    model = checker._Model(cert["model"])
    theorem = cert["theorem"]
    d, n = int(theorem["dimension"]), int(theorem["degree"])
    variables = list(model.variables)
    if len(variables) != d:
        raise CertificateError(f"the theorem has dimension {d}, the model {len(variables)} "
                               "variables")
    N, w = model.tokens, model.width
    # coefficient symbol -> its monomial, read off the target sum_alpha c_alpha x^alpha
    params = list(cert["target"]["params"])
    alpha_of: dict = {}
    for exps, coef in cert["target"]["terms"]:
        xs, ps = list(exps[:d]), list(exps[d:])
        if Fraction(str(coef)) != 1 or sorted(ps) != [0] * (len(ps) - 1) + [1]:
            raise CertificateError("the target is not sum_alpha c_alpha x^alpha term by term")
        alpha_of[params[ps.index(1)]] = xs
    readout = []
    for t, c, form in sorted(model.readout, key=lambda e: (e[0], e[1])):
        items = list(form.items())
        if not (len(items) == 1 and items[0][1] == 1 and len(items[0][0]) == 1
                and items[0][0][0][1] == 1 and items[0][0][0][0] in alpha_of):
            raise CertificateError(f"readout entry ({t}, {c}) is not a single coefficient "
                                   "symbol of the target (use --unrolled)")
        readout.append(f"({t}, {c}, {_nats(alpha_of[items[0][0][0][0]])})")
    if model.bias:
        raise CertificateError("the readout has a bias; construction A has none (use --unrolled)")
    blocks = []
    for k, b in enumerate(model.blocks, 1):
        if b["activation"] != "identity" or b["ffn"] is not None or b["mask"] is None:
            raise CertificateError(f"block {k} is not a masked identity-score attention "
                                   "without FFN, the only block the generic route states "
                                   "(use --unrolled)")
        pairs = [f"({t}, {j})" for t, keys in enumerate(b["mask"]) for j in keys]
        mats = [_dense(b[m], rows, cols, f"block {k} {m}") for m, rows, cols in
                (("wq", w, b["h"]), ("wk", w, b["h"]), ("wv", w, b["hv"]),
                 ("wo", b["hv"], w))]
        blocks.append(f"BlockData {b['h']} {b['hv']}\n    " + "\n    ".join(mats)
                      + "\n    " + ("[:: " + "; ".join(pairs) + "]" if pairs else "[::]"))
    base = _dense(model.base, N, w, "embedding base")
    coefs = [_dense(a, N, w, f"embedding A_{i}") for i, a in enumerate(model.coefficients)]
    names = ", ".join(f"x {i} = {_comment_safe(v)}" for i, v in enumerate(variables))
    coef_names = ", ".join(f"{_comment_safe(p)} -> c {_nats(alpha_of[p])}" for p in params[:6])
    more = f", ... ({len(params)} in all)" if len(params) > 6 else ""
    lines = [
        "(* exactformer theorem certificate, checked through the generic Coq theorem.",
        f"   certificate kind: {cert['kind']}; sha256: {cert['sha256']}",
        f"   {_comment_safe(str(cert['claim']))}",
        f"   Inputs: {names or 'none'}. Coefficients: {coef_names}{more}.",
        "   cert_data is the certificate's model, written as data (weights, masks, the",
        "   readout naming which coefficient sits where); cert_is_construction_A checks",
        "   by computation that it is exactly construction A for (d, n) =",
        f"   ({d}, {n}); masked_data_zero_error (Exactformer.Masked) then gives the",
        "   theorem for every commutative ring.",
        f"   Check with: {coqc_command('FILE.v')}  (after bash proofs/coq/check.sh) *)",
        "From mathcomp Require Import ssreflect ssrfun ssrbool eqtype ssrnat seq path choice.",
        "From mathcomp Require Import fintype finfun tuple bigop ssralg ssrint zmodp matrix.",
        "From SsrMultinomials Require Import mpoly.",
        "From Exactformer Require Import IR Tokens Masked.",
        "Import GRing.Theory.",
        "",
        "Definition cert_data : model_data := ModelData",
        f"  {d} {N} {w}",
        f"  {base}",
        "  [:: " + ";\n     ".join(coefs) + "]" if coefs else "  [::]",
        "  [:: " + ";\n  ".join(blocks) + "]" if blocks else "  [::]",
        "  " + ("[:: " + "; ".join(readout) + "]" if readout else "[::]"),
        "  (z 0).",
        "",
        f"Lemma cert_is_construction_A : cert_data = masked_data {d} {n}.",
        "(* the data ARE the construction: both sides computed by the VM, compared *)",
        f"Proof. exact (erefl cert_data <: cert_data = masked_data {d} {n}). Qed.",
        "",
        "Local Open Scope ring_scope.",
        "",
        "Theorem certificate_zero_error :",
        f"  forall (R : comRingType) (c : 'X_{{1..{d} < {n + 1}}} -> R) (x : nat -> R),",
        f"  @run_data R cert_data (fun s => c (bmono {d} {n} s)) x =",
        f"    \\sum_(alpha : 'X_{{1..{d} < {n + 1}}}) c alpha * \\prod_(i < {d}) x i ^+ alpha i.",
        "Proof. exact: (masked_data_zero_error cert_is_construction_A). Qed.",
        "",
        "Print Assumptions certificate_zero_error.",
        "",
    ]
    return "\n".join(lines)
