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

A construction-A proof certificate of ONE polynomial (kind ``identity``, concrete
rational readout, e.g. from ``exactformer prove``) goes the same way: its embedding
and blocks are written as data and checked by computation to be
``masked_frame d n`` (construction A without its readout), its readout and target
are lists of entries (t, col, a/b) and terms (alpha, a/b) with every rational as a
binary code, and the computation ``readout_is_target`` checks that each readout
entry is the target's coefficient of its token's monomial and that every target
monomial is a token. ``masked_certificate_zero_error`` then gives: the output equals
sum over the target terms of a/b * x^alpha, over every commutative unit ring (over
``rat``, the rationals themselves).

Only what the data format can state is written; a certificate outside it (a
non-integer weight, a score activation other than identity, an FFN, a full mask, a
readout entry that is not one coefficient symbol) is refused with a message, never
rounded into something else.

>>> from exactformer.formats.certificate import certificate_from_theorem
>>> from exactformer.theorem import prove_theorem
>>> text = export_coq_masked(certificate_from_theorem(prove_theorem(1, 2)))
>>> "cert_data = masked_data 1 2" in text and "masked_data_zero_error" in text
True
"""
from __future__ import annotations

from fractions import Fraction
from math import comb
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Sequence

from ... import checker
from ...checker.check import check_certificate
from ...checker.errors import Malformed, TimeLimit
from ...checker.reading import Model as _CheckedModel
from .unrolled import Rational, SparseRows, _comment_safe
from ...errors import CertificateError

if TYPE_CHECKING:
    from ..certificate import Certificate

#: proofs/coq in a source checkout (None when the package runs without it)
#: proofs/coq of a source checkout: exactformer/formats/coq/masked.py is three levels down
COQ_DIR = Path(__file__).resolve().parents[3] / "proofs" / "coq"
LOGICAL_PATH = "Exactformer"


def coqc_command(out: str) -> str:
    """The command that checks an exported instance (after proofs/coq/check.sh built
    the library)."""
    where = str(COQ_DIR) if (COQ_DIR / "Masked.v").is_file() else "<path to proofs/coq>"
    return (f"coqc -w -notation-overridden,-ambiguous-paths,-notation-incompatible-prefix "
            f"-R {where} {LOGICAL_PATH} {out}")


def _shifted(shift: Any) -> bool:  # the raw JSON of a certificate's shift
    try:
        return bool(shift) and any(Fraction(str(v)) for v in shift)
    except (ValueError, TypeError, ZeroDivisionError):
        return True  # not a plain shift of zeros: not this route


def is_generic_masked(cert: Certificate) -> bool:
    """Whether the certificate is construction A in a form this module states: the
    theorem, or one polynomial with a concrete readout (:func:`masked_dimensions`),
    whose embedding and blocks are exactly exactformer's construction A for its (d, n)
    (:func:`_is_construction_a`). Coq decides that again, by computation; checking it
    here first means a certificate that is valid but not construction A is exported
    unrolled, never as a file that cannot compile."""
    model: Any = cert.get("model")  # raw JSON, checked below
    meta = model.get("meta") if isinstance(model, dict) else None
    if not (isinstance(meta, dict) and meta.get("construction") == "masked"):
        return False
    if cert.get("kind") == "identity":
        dims = masked_dimensions(cert)
        return dims is not None and _is_construction_a(cert, *dims)
    theorem = cert.get("theorem")
    shift = theorem.get("shift") if isinstance(theorem, dict) else None
    if cert.get("kind") != "theorem" or _shifted(shift):
        return False
    degree = str(meta.get("degree", ""))
    if not (degree.isdigit() and len(degree) <= 6):
        return False
    variables = model.get("variables")
    return isinstance(variables, list) and _is_construction_a(cert, len(variables),
                                                              int(degree))


def _is_construction_a(cert: Certificate, d: int, n: int) -> bool:
    """The certificate's embedding and blocks equal those construction A builds for
    (d, n) (the readout is the route's own business)."""
    from ...errors import ExactformerError
    from ..model_json import model_from_json
    from ...theorem import generic_model
    try:
        model = model_from_json(cert["model"])
        reference, _ = generic_model(d, n)
    except (ExactformerError, KeyError, TypeError, ValueError):
        return False
    return (model.embedding.base == reference.embedding.base  # names may differ
            and model.embedding.coefficients == reference.embedding.coefficients
            and tuple(model.blocks) == tuple(reference.blocks))


def masked_dimensions(cert: Certificate) -> tuple[int, int] | None:
    """(d, n) of an identity certificate of construction A that the generic route
    can state, else None: no box, no input shift, no parameters, every readout entry
    and the bias a plain rational (no symbol), and C(n + d, d) tokens of width 3.
    Read from a certificate the checker accepted."""
    if cert.get("kind") != "identity" or cert.get("box") is not None:
        return None
    try:
        model = _CheckedModel(cert["model"])
        target = cert["target"]
        if target.get("params") or _shifted(model.meta.get("input_shift", "").split(",")
                                             if model.meta.get("input_shift") else None):
            return None
        d, degree = len(model.variables), model.meta.get("degree", "")
        if not (degree.isdigit() and len(degree) <= 6):
            return None
        n = int(degree)
    except (Malformed, TimeLimit, KeyError, TypeError, AttributeError):
        return None
    if any(set(form) - {()} for _, _, form in model.readout) or set(model.bias) - {()}:
        return None
    if model.width != 3 or model.tokens != comb(n + d, d):
        return None
    return d, n


def _int_text(v: Rational, where: str) -> str:
    if v.denominator != 1:
        raise CertificateError(f"{where} is {v}, not an integer: the generic Coq route "
                               "states integer weights only (use --unrolled)")
    k = v.numerator
    return f"z {k}" if k >= 0 else f"zn {-k - 1}"


def _dense(by_row: SparseRows, rows: int, cols: int, where: str) -> str:
    lines = []
    for r in range(rows):
        entries = dict(by_row.get(r, []))
        cells = "; ".join(_int_text(entries.get(c, Fraction(0)), f"{where}[{r},{c}]")
                          for c in range(cols))
        lines.append(f"[:: {cells}]")
    return "[:: " + ";\n     ".join(lines) + "]" if lines else "[::]"


def _nats(values: Sequence[object]) -> str:
    return "[:: " + "; ".join(str(v) for v in values) + "]" if values else "[::]"


def _code(v: Fraction) -> str:
    """A rational as the Coq code q a b, read as a / b (b >= 1; Fraction is reduced)."""
    return f"q ({v.numerator}) {v.denominator}"


def _data_text(model: _CheckedModel, d: int, readout: list[str]) -> list[str]:
    """The lines of ``Definition cert_data : model_data := ...``: the model's embedding,
    blocks and the given readout entries as data; CertificateError where a block or
    weight is outside the data format."""
    N, w = model.tokens, model.width
    if model.bias:
        raise CertificateError("the readout has a bias; construction A has none (use --unrolled)")
    blocks = []
    for k, b in enumerate(model.blocks, 1):
        if b["activation"] != "identity" or b["ffn"] is not None or b["mask"] is None:
            raise CertificateError(f"block {k} is not a masked identity-score attention "
                                   "without FFN, the only block the generic route states "
                                   "(use --unrolled)")
        # the checker lists the mask as (query, allowed keys) rows
        pairs = [f"({t}, {j})" for t, keys in b["mask"] for j in keys]
        weights: tuple[tuple[Literal["wq", "wk", "wv", "wo"], int, int], ...] = (
            ("wq", w, b["h"]), ("wk", w, b["h"]), ("wv", w, b["hv"]), ("wo", b["hv"], w))
        mats = [_dense(b[m], rows, cols, f"block {k} {m}") for m, rows, cols in weights]
        blocks.append(f"BlockData {b['h']} {b['hv']}\n    " + "\n    ".join(mats)
                      + "\n    " + ("[:: " + "; ".join(pairs) + "]" if pairs else "[::]"))
    base = _dense(model.base, N, w, "embedding base")
    coefs = [_dense(a, N, w, f"embedding A_{i}") for i, a in enumerate(model.coefficients)]
    return [
        "Definition cert_data : model_data := ModelData",
        f"  {d} {N} {w}",
        f"  {base}",
        "  [:: " + ";\n     ".join(coefs) + "]" if coefs else "  [::]",
        "  [:: " + ";\n  ".join(blocks) + "]" if blocks else "  [::]",
        "  " + ("[:: " + "; ".join(readout) + "]" if readout else "[::]"),
        "  (z 0).",
    ]


def _imports() -> list[str]:
    return [
        "From mathcomp Require Import ssreflect ssrfun ssrbool eqtype ssrnat seq path choice.",
        "From mathcomp Require Import fintype finfun tuple bigop ssralg ssrint zmodp matrix.",
        "From SsrMultinomials Require Import mpoly.",
        "From Exactformer Require Import IR Tokens Masked.",
        "Import GRing.Theory.",
        "",
    ]


def export_coq_masked(cert: Certificate, require_valid: bool = True) -> str:
    """The Coq (.v) text of the instance; CertificateError if the certificate does
    not check (unless ``require_valid`` is False, used to show that Coq itself
    rejects a tampered one) or cannot be stated in the data format."""
    if require_valid:
        report = check_certificate(cert)
        if not report.valid:
            raise CertificateError(f"certificate does not check: {report.message}")
    if cert.get("kind") == "identity":
        return _export_identity(cert)
    model = _CheckedModel(cert["model"])
    theorem = cert["theorem"]
    d, n = int(theorem["dimension"]), int(theorem["degree"])
    variables = list(model.variables)
    if len(variables) != d:
        raise CertificateError(f"the theorem has dimension {d}, the model {len(variables)} "
                               "variables")
    # coefficient symbol -> its monomial, read off the target sum_alpha c_alpha x^alpha
    params = list(cert["target"]["params"])
    alpha_of: dict[str, list[int]] = {}
    # dense or sparse exponents over (variables, params), read as the checker reads them
    for exps, coef in checker._poly_terms(cert["target"]["terms"], d + len(params),
                                          "target.terms").items():
        xs, ps = list(exps[:d]), list(exps[d:])
        if Fraction(str(coef)) != 1 or sorted(ps) != [0] * (len(ps) - 1) + [1]:
            raise CertificateError("the target is not sum_alpha c_alpha x^alpha term by term")
        alpha_of[params[ps.index(1)]] = xs
    readout: list[str] = []
    for t, c, form in sorted(model.readout, key=lambda e: (e[0], e[1])):
        items = list(form.items())
        if not (len(items) == 1 and items[0][1] == 1 and len(items[0][0]) == 1
                and items[0][0][0][1] == 1 and items[0][0][0][0] in alpha_of):
            raise CertificateError(f"readout entry ({t}, {c}) is not a single coefficient "
                                   "symbol of the target (use --unrolled)")
        readout.append(f"({t}, {c}, {_nats(alpha_of[items[0][0][0][0]])})")
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
    ] + _imports() + _data_text(model, d, readout) + [
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


def _export_identity(cert: Certificate) -> str:
    """The instance for one polynomial (see the module docstring)."""
    dims = masked_dimensions(cert)
    if dims is None:
        raise CertificateError("this identity certificate is not construction A with a "
                               "concrete rational readout and no input shift, the only one "
                               "the generic route states (use --unrolled)")
    d, n = dims
    model = _CheckedModel(cert["model"])
    readout = [f"({t}, {c}, {_code(form.get((), Fraction(0)))})"
               for t, c, form in sorted(model.readout, key=lambda e: (e[0], e[1]))]
    # dense or sparse exponents, read by the checker (which has already accepted them)
    terms = checker._poly_terms(cert["target"]["terms"], d, "target.terms")
    target = [f"({_nats(list(m))}, {_code(Fraction(c))})" for m, c in terms.items()]
    names = ", ".join(f"x {i} = {_comment_safe(v)}" for i, v in enumerate(model.variables))
    sample = " + ".join(f"({c}) x^{_nats(list(m))}" for m, c in list(terms.items())[:4])
    more = f" + ... ({len(terms)} terms in all)" if len(terms) > 4 else ""
    lines = [
        "(* exactformer certificate of one polynomial, checked through the generic Coq theorem.",
        f"   certificate kind: {cert['kind']}; sha256: {cert['sha256']}",
        f"   {_comment_safe(str(cert['claim']))}",
        f"   Inputs: {names or 'none'}. Target: {_comment_safe(sample or '0')}{more}.",
        "   cert_data is the certificate's embedding and blocks, written as data;",
        "   cert_is_construction_A checks by computation that they are exactly those of",
        f"   construction A for (d, n) = ({d}, {n}). cert_readout is the certificate's",
        "   readout, entries (token, channel, a/b); cert_target its target, terms",
        "   (alpha, a/b); cert_readout_is_target checks by computation that every readout",
        "   entry is the target's coefficient of its token's monomial and every target",
        "   monomial is a token. masked_certificate_zero_error (Exactformer.Masked) then",
        "   gives: the output is sum over the target terms of a/b * x^alpha, over every",
        "   commutative unit ring R, q a b read as a%:~R / b%:~R (over rat: a/b itself).",
        f"   Check with: {coqc_command('FILE.v')}  (after bash proofs/coq/check.sh) *)",
    ] + _imports() + _data_text(model, d, []) + [
        "",
        "(* the numbers: binary integer codes, in a module so that their notations stay here *)",
        "Module Numbers.",
        "Import BinNums BinPos BinInt.",
        "Definition cert_readout : seq (nat * nat * qcode) :=",
        "  " + ("[:: " + ";\n     ".join(readout) + "]" if readout else "[::]") + ".",
        "Definition cert_target : seq (seq nat * qcode) :=",
        "  " + ("[:: " + ";\n     ".join(target) + "]" if target else "[::]") + ".",
        "End Numbers.",
        "Import Numbers.",
        "",
        f"Lemma cert_is_construction_A : cert_data = masked_frame {d} {n}.",
        "(* the data ARE the construction: both sides computed by the VM, compared *)",
        f"Proof. exact (erefl cert_data <: cert_data = masked_frame {d} {n}). Qed.",
        "",
        f"Lemma cert_readout_is_target : readout_is_target {d} {n} cert_readout cert_target.",
        "(* the readout IS the target's coefficients: computed by the VM *)",
        f"Proof. exact (erefl true <: readout_is_target {d} {n} cert_readout cert_target = true). Qed.",
        "",
        "Local Open Scope ring_scope.",
        "",
        "Theorem certificate_zero_error :",
        "  forall (R : comUnitRingType) (x : nat -> R),",
        "  run_concrete cert_data cert_readout x =",
        f"    \\sum_(p <- cert_target) qval R p.2 * \\prod_(i < {d}) x i ^+ nth 0%N p.1 i.",
        "Proof.",
        "  exact: (masked_certificate_zero_error cert_is_construction_A cert_readout_is_target).",
        "Qed.",
        "",
        "Print Assumptions certificate_zero_error.",
        "",
    ]
    return "\n".join(lines)
