"""Proof certificates (format ``exactformer-certificate/1``): the writer.

A certificate is canonical JSON holding everything needed to re-derive a proof
without exactformer: the whole model (exact rationals as strings), the target as
sparse terms over (variables, parameters), the claim, the rung that held, and
optionally the trace of exact intermediate polynomials. Its ``sha256`` is the hash
of the canonical content (the certificate without that field, serialised with
sorted keys and compact separators). :mod:`exactformer.checker` checks it using
the standard library only.

Two kinds:
  * ``identity``: model(x) = target(x) for all x (and all parameter values);
  * ``theorem``: the target is sum_alpha c_alpha x^alpha over every |alpha| <= n with
    one symbol per coefficient, so the identity in (x, c) says that the fixed blocks
    with readout = the coefficients output EVERY polynomial of degree <= n exactly.

Before returning, the writer runs the independent checker on what it wrote and
refuses (CertificateError) to hand out a certificate that the checker cannot
confirm.

>>> from exactformer import prove
>>> cert = certificate_from_proof(prove("x**2 - 2*x*y"))
>>> cert["format"], cert["kind"], cert["rung"]
('exactformer-certificate/1', 'identity', 'exact polynomial identity')
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence, TypeAlias, cast

from .. import checker
from ..checker.check import EXACT_ON_BOX, check_certificate, claim_text
from ..checker.errors import Malformed, TimeLimit
from ..checker.reading import (CERTIFICATE_FORMAT, HASH_FIELD, canonical_bytes, content_hash,
                               strict_loads)
from ..errors import CertificateError
from ..model import Model
from .model_json import model_to_json
from ..poly import graded_monomials
from ..poly.target import lift

if TYPE_CHECKING:
    from ..api import ProofResult
    from ..engine import Trace
    from ..theorem import TheoremResult
    from ..verify import Verdict

FORMAT = CERTIFICATE_FORMAT

#: A certificate as JSON data (format, kind, model, target, claim, verdict, rung, trace,
#: optional box / theorem, sha256).
Certificate: TypeAlias = dict[str, Any]


#: Target terms are written with dense exponent lists [e_1, ..., e_k] while those hold
#: at most this many exponents in all, and sparsely, [[index, e], ...] with the zero
#: exponents left out, above: a theorem target has C(n+d, d) terms over d + C(n+d, d)
#: generators, quadratic in size when dense. The checker reads both.
DENSE_EXPONENTS = 10_000


def _exponents_json(m: Sequence[int], dense: bool) -> list[int] | list[list[int]]:
    """One monomial's exponents, dense or as sparse [index, exponent] pairs."""
    return list(m) if dense else [[i, e] for i, e in enumerate(m) if e]


def _terms_json(poly: Mapping[tuple[int, ...], Any]) -> list[list[Any]]:
    """{exponents: rational} as the canonical sorted list [[exponents], "p/q"]."""
    terms = {tuple(int(e) for e in m): Fraction(int(c.numerator), int(c.denominator))
             for m, c in poly.items() if c}
    nvars = len(next(iter(terms), ()))
    dense = len(terms) * nvars <= DENSE_EXPONENTS
    return [[_exponents_json(m, dense), str(c)] for m, c in sorted(terms.items())]


def _trace_json(trace: Trace) -> list[dict[str, Any]]:
    """Per layer k = 0..L, the entries of H_k that differ from H_{k-1} (all non-zero
    entries of H_0), as exact polynomials in the model's variables."""
    out: list[dict[str, Any]] = []
    previous: list[list[Any]] | None = None
    for k, H in enumerate(trace.residuals):
        entries: list[list[Any]] = []
        for t, row in enumerate(H):
            for c, p in enumerate(row):
                before = previous[t][c] if previous is not None else None
                if (p != before) if previous is not None else bool(p):
                    entries.append([t, c, _terms_json(dict(p.items()))])
        out.append({"block": k, "entries": entries})
        previous = H
    return out


def _box_json(model: Model, verdict: Verdict) -> list[list[str]] | None:
    """The box the proof used (relu decided by sign certificates), else None: the one
    the verdict's evidence names, or the one the model records."""
    if verdict.rung != EXACT_ON_BOX:
        return None
    text = dict(verdict.evidence).get("box") or model.info.get("box")
    if not text:
        raise CertificateError("the proof holds on a box, but the model does not record "
                               "which box")
    from ..poly.box import box_from_meta
    return [[str(lo), str(hi)] for lo, hi in box_from_meta(text).intervals]


def _shift(model: Model) -> list[Fraction]:
    """The input shift lo a construction declares (its theorem basis is (x - lo)^alpha)."""
    text = model.info.get("input_shift", "")
    if not text:
        return [Fraction(0)] * len(model.variables)
    return [Fraction(v) for v in text.split(",")]


def _finish(cert: Certificate, verify: bool) -> Certificate:
    cert[HASH_FIELD] = content_hash(cert)
    if verify:
        report = check_certificate(cert)
        if not report.valid:
            raise CertificateError("the independent checker cannot confirm this certificate, so "
                                   f"none is written: {report.message}")
    return cert


def certificate_from_proof(result: ProofResult, trace: bool = False,
                           verify: bool = True) -> Certificate:
    """The identity certificate of a proved :class:`~exactformer.api.ProofResult`."""
    if not result.verdict.holds:
        raise CertificateError("only a proved result has a certificate "
                               f"(this one is {result.verdict.verdict})")
    pieces = dict(result.verdict.evidence).get("pieces")
    if pieces:
        raise CertificateError("the proof split the box into pieces and a certificate holds "
                               f"a single-box proof: certify each piece with --domain ({pieces})")
    model: Model = result.model
    target = result.target
    if tuple(target.variables) != tuple(model.variables):
        raise CertificateError(f"target variables {list(target.variables)} differ from the "
                               f"model's {list(model.variables)}")
    gens = tuple(target.variables) + tuple(target.params)
    box = _box_json(model, result.verdict)
    cert: Certificate = {
        "format": FORMAT,
        "kind": "identity",
        "model": model_to_json(model),
        "target": {"variables": list(target.variables), "params": list(target.params),
                   "terms": _terms_json(lift(target, gens))},
        "claim": claim_text("identity", box=box),
        "verdict": "proved",
        "rung": result.verdict.rung,
        "trace": _trace_json(_full_trace(result)) if trace else None,
    }
    if box is not None:
        cert["box"] = box
    return _finish(cert, verify)


def _full_trace(result: ProofResult | TheoremResult) -> Trace:
    """A recorded trace (every residual stream) of the result's model."""
    tr = result.trace
    if tr is not None and len(tr.residuals) == result.model.depth + 1:
        return tr
    from ..engine import PolynomialDomain, run
    return run(result.model, PolynomialDomain(result.model.variables), record=True)


def theorem_target(d: int, n: int, variables: Sequence[str],
                   shift: Sequence[Fraction] | None = None) -> dict[str, Any]:
    """The generic polynomial sum_alpha c_alpha (x - shift)^alpha (|alpha| <= n; shift 0
    by default) as target JSON (terms in the order of their dense exponent tuples,
    never built: x part first, then the symbol c_alpha, later symbols first)."""
    from ..theorem import coefficient_name
    monomials = graded_monomials(d, n)
    params = [coefficient_name(a) for a in monomials]
    shift = [Fraction(0)] * d if shift is None else [Fraction(v) for v in shift]
    rows: list[tuple[tuple[int, ...], int, Fraction]] = []
    for i, alpha in enumerate(monomials):
        for m, c in checker._shifted_power(tuple(alpha), shift).items():
            rows.append((tuple(int(e) for e in m), -i, Fraction(c)))
    rows.sort()
    nvars = d + len(params)
    dense = len(rows) * nvars <= DENSE_EXPONENTS
    terms: list[list[Any]] = []
    for m, i, c in rows:
        exps: list[Any]
        if dense:
            exps = list(m) + [0] * len(params)
            exps[d - i] = 1
        else:
            exps = _exponents_json(m, False) + [[d - i, 1]]
        terms.append([exps, str(c)])
    return {"variables": list(variables), "params": params, "terms": terms}


def certificate_from_theorem(result: TheoremResult, trace: bool = False,
                             verify: bool = True) -> Certificate:
    """The theorem certificate of a proved :class:`~exactformer.theorem.TheoremResult`."""
    if not result.verdict.holds:
        raise CertificateError("only a proved theorem has a certificate "
                               f"(this one is {result.verdict.verdict})")
    model = result.model
    d, n = result.dimension, result.degree
    theorem: dict[str, Any] = {"dimension": d, "degree": n}
    shift = _shift(model)
    if any(shift):
        theorem["shift"] = [str(v) for v in shift]
    box = _box_json(model, result.verdict)
    cert: Certificate = {
        "format": FORMAT,
        "kind": "theorem",
        "theorem": theorem,
        "model": model_to_json(model),
        "target": theorem_target(d, n, model.variables, shift),
        "claim": claim_text("theorem", theorem, box),
        "verdict": "proved",
        "rung": result.verdict.rung,
        "trace": _trace_json(_full_trace(result)) if trace else None,
    }
    if box is not None:
        cert["box"] = box
    return _finish(cert, verify)


def certificate_for(result: ProofResult | TheoremResult, trace: bool = False,
                    verify: bool = True) -> Certificate:
    """A certificate for a ProofResult or a TheoremResult."""
    if hasattr(result, "dimension") and hasattr(result, "statement"):
        return certificate_from_theorem(cast("TheoremResult", result), trace, verify)
    return certificate_from_proof(result, trace, verify)


def dumps(cert: Certificate) -> str:
    """The certificate file's text: canonical JSON and a newline (byte-for-byte
    deterministic for the same proof)."""
    return canonical_bytes(cert).decode("ascii") + "\n"


def write_certificate(cert: Certificate, path: str | Path) -> None:
    """Write ``cert`` canonically to ``path``."""
    try:
        Path(path).write_text(dumps(cert), encoding="ascii")
    except OSError as exc:
        raise CertificateError(f"cannot write the certificate {str(path)!r}: "
                               f"{exc.strerror}") from None


def load_certificate(data: bytes | str) -> Any:
    """Parse certificate text strictly (the checker's reader); CertificateError if not JSON."""
    try:
        return strict_loads(data)
    except Malformed as exc:
        raise CertificateError(str(exc)) from None
    except TimeLimit as exc:
        from ..errors import LimitExceeded
        raise LimitExceeded(str(exc)) from None
