"""The check of one certificate: read it, then let the kernel re-derive what it claims.

The certificate's "verdict" and "rung" are not trusted: both are re-derived. A
deadline (``timeout`` seconds) covers reading the file, parsing the JSON, the hash,
validation and the forward pass.
"""
from __future__ import annotations

import os
import re
import stat
import sys
import time
from fractions import Fraction
from typing import Any, Callable, Mapping, Sequence

from . import kernel, limits, reading
from .errors import INVALID, LIMIT, MALFORMED, VALID, Invalid, Malformed, TimeLimit
from .messages import box_text
from .names import is_constant_name, is_identifier
from .reading import CERTIFICATE_FORMAT, HASH_FIELD
from .values import Grouped, Rational, SparseMonomial, TargetTerm, Trace

EXACT_IDENTITY = "exact polynomial identity"
EXACT_ON_BOX = "exact on a box (sign certificates)"
KINDS = ("identity", "theorem")


class Report:
    """The outcome of a check: exit code, one-line message, and what was checked."""

    def __init__(self, code: int, message: str,
                 details: Mapping[str, Any] | None = None) -> None:
        self.code, self.message, self.details = code, message, dict(details or {})

    @property
    def valid(self) -> bool:
        return self.code == VALID

    @property
    def status(self) -> str:
        return ("valid", "invalid", "malformed", "limit")[self.code]

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "valid": self.valid, "message": self.message,
                **self.details}

    def __repr__(self) -> str:
        return f"<Report {self.status}: {self.message}>"


def claim_text(kind: str, theorem: Mapping[str, Any] | None = None,
               box: Sequence[Sequence[object]] | None = None) -> str:
    """The statement a certificate of ``kind`` asserts (the checker regenerates it)."""
    where = "for all x" if box is None else f"for all x in the box {box_text(box)}"
    if kind == "theorem":
        assert theorem is not None, "a theorem claim needs the theorem"
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


def _guarded(work: Callable[[], object], details: dict[str, Any]) -> Report | None:
    """Run work(); map the checker's exceptions to a Report (None when it returned)."""
    try:
        work()
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
    return None


def check_certificate(cert: object, timeout: float | None = None) -> Report:
    """Check a parsed certificate; never raises for bad input (see Report.code)."""
    start = time.perf_counter()
    details: dict[str, Any] = {}
    with limits.deadline_scope(timeout):
        failed = _guarded(lambda: _check(cert, details), details)
    if failed is not None:
        return failed
    details["seconds"] = round(time.perf_counter() - start, 4)
    what = ("theorem" if details.get("kind") == "theorem" else "identity")
    return Report(VALID, f"VALID: {what} re-derived ({details['rung']}): "
                         f"{details.get('claim', '')}", details)


def check_bytes(data: bytes | str, timeout: float | None = None) -> Report:
    """Parse and check certificate text (the deadline covers the parsing)."""
    with limits.deadline_scope(timeout):
        box: list[object] = []
        failed = _guarded(lambda: box.append(reading.strict_loads(data)), {})
        if failed is not None:
            return failed
        return check_certificate(box[0])


def check_file(path: str, timeout: float | None = None) -> Report:
    """Read and check a certificate file: a regular file of at most limits.MAX_BYTES bytes.

    A FIFO, a device (/dev/zero), a socket or a directory is refused before a byte
    is read: it is opened without blocking and checked with fstat on the open
    descriptor, and at most limits.MAX_BYTES + 1 bytes are ever read. The deadline covers
    reading, parsing and checking."""
    with limits.deadline_scope(timeout):
        data = _read(path)
        if isinstance(data, Report):
            return data
        return check_bytes(data)


def _read(path: str) -> bytes | Report:
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
        if info.st_size > limits.MAX_BYTES:
            return Report(LIMIT, f"limit exceeded: certificate is larger than {limits.MAX_BYTES} bytes")
        chunks, size = [], 0
        while size <= limits.MAX_BYTES:
            try:
                limits.check_deadline()
            except TimeLimit as exc:
                return Report(LIMIT, f"limit exceeded: {exc}")
            # ask for the size fstat gave (plus one byte, to see the end): a larger
            # request would allocate its whole buffer first
            chunk = os.read(fd, min(max(info.st_size + 1 - size, 1 << 16),
                                    limits.MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        return Report(MALFORMED, f"malformed certificate: cannot read {path!r}: {exc.strerror}")
    finally:
        os.close(fd)
    return b"".join(chunks)


def _check(cert: object, details: dict[str, Any]) -> None:
    if not isinstance(cert, dict):
        raise Malformed("a certificate must be a JSON object")
    fmt = cert.get("format")
    if fmt != CERTIFICATE_FORMAT:
        raise Malformed(f"unknown certificate format {fmt!r} (expected {CERTIFICATE_FORMAT!r})")
    cert = reading.obj(cert, "certificate", {"format", "kind", "model", "target", "claim",
                                             "verdict", "rung", "trace", HASH_FIELD},
                       {"theorem", "box"})
    kind = cert["kind"]
    if kind not in KINDS:
        raise Malformed(f"certificate.kind {kind!r} is not one of {', '.join(KINDS)}")
    details["kind"] = kind
    stated = cert[HASH_FIELD]
    if not (isinstance(stated, str) and re.fullmatch(r"[0-9a-f]{64}", stated)):
        raise Malformed("certificate.sha256 must be 64 lower-case hex digits")
    limits.check_deadline()
    actual = reading.content_hash(cert)
    if stated != actual:
        raise Invalid(f"sha256 mismatch: the certificate states {stated[:16]}..., its content "
                      f"hashes to {actual[:16]}... (the content was changed after hashing)")
    details["sha256"] = actual
    if cert["verdict"] != "proved":
        raise Malformed(f"certificate.verdict is {cert['verdict']!r}; only \"proved\" "
                        "certificates exist")
    model = reading.Model(cert["model"])
    variables = list(model.variables)
    d = len(variables)
    ring = kernel.Ring(d)
    details.update(tokens=model.tokens, width=model.width, blocks=len(model.blocks),
                   variables=variables)
    tg = reading.obj(cert["target"], "target", {"variables", "params", "terms"})
    if tg["variables"] != variables:
        raise Invalid(f"target variables {tg['variables']!r} differ from the model's "
                      f"{variables!r}")
    params = reading.as_list(tg["params"], "target.params")
    if not all(is_identifier(p) or is_constant_name(p) for p in params) \
            or len(set(params)) != len(params) or set(params) & set(variables):
        raise Malformed("target.params must be distinct ASCII identifiers or constants, none "
                        "of them a variable")
    target = split_target(reading.terms(tg["terms"], d + len(params), "target.terms"), ring)
    box: list[tuple[Rational, Rational]] | None = None
    if cert.get("box") is not None:
        box = []
        for i, iv in enumerate(reading.as_list(cert["box"], "box")):
            if not (isinstance(iv, list) and len(iv) == 2):
                raise Malformed(f"box[{i}] must be [\"lo\", \"hi\"]")
            lo, hi = (reading.rational(v, f"box[{i}]") for v in iv)
            if not lo < hi:
                raise Malformed(f"box[{i}] = [{lo}, {hi}] needs lo < hi")
            box.append((lo, hi))
        if len(box) != d:
            raise Malformed(f"box has {len(box)} intervals for {d} variables")
        details["box"] = box_text(box)
    theorem: dict[str, Any] | None = None
    if kind == "theorem":
        if "theorem" not in cert:
            raise Malformed("a theorem certificate needs the field 'theorem'")
        theorem = reading.obj(cert["theorem"], "theorem", {"dimension", "degree"}, {"shift"})
        td = reading.nonneg_int(theorem["dimension"], "theorem.dimension")
        tn = reading.nonneg_int(theorem["degree"], "theorem.degree", limits.MAX_EXPONENT)
        if td != d:
            raise Invalid(f"theorem.dimension is {td}, but the model has {d} variables")
        shift: list[Rational] = [0] * d
        if theorem.get("shift") is not None:
            shift = [reading.rational(v, "theorem.shift")
                     for v in reading.as_list(theorem["shift"], "theorem.shift")]
            if len(shift) != d:
                raise Malformed(f"theorem.shift has {len(shift)} entries for {d} variables")
        kernel.check_theorem_target(target, list(params), tn, variables, shift, ring)
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
    trace: Trace | None = None
    if cert["trace"] is not None:
        trace = reading.trace_data(cert["trace"], ring, len(model.blocks), model.tokens,
                                   model.width)
    ctx = kernel.Context(ring, box, variables)
    streams = kernel.forward(model, ring, ctx)
    if trace is not None:
        kernel.compare_trace(trace, streams, ring, variables)
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
    got = kernel.output_by_symbols(model.readout, model.bias, streams[-1])
    kernel.compare_output(got, target_groups(target, params), ring, gens)
    # As the prover does: the box rung only when a sign certificate was needed.
    rung = EXACT_ON_BOX if ctx.used_box else EXACT_IDENTITY
    if cert["rung"] != rung:
        raise Invalid(f"rung mismatch: the certificate states {cert['rung']!r}, the checker "
                      f"re-derived {rung!r}")
    details["rung"] = rung
    details["terms"] = sum(len(p) for p in got.values())


def split_target(terms: list[tuple[SparseMonomial, Rational]],
                 ring: kernel.Ring) -> list[TargetTerm]:
    """Target terms over (variables, params) as (packed x monomial, ((param index,
    exponent), ...), coefficient), in file order."""
    d = ring.d
    out: list[TargetTerm] = []
    for m, c in terms:
        k = 0
        while k < len(m) and m[k][0] < d:
            k += 1
        xm = [0] * d
        for i, e in m[:k]:
            xm[i] = e
        out.append((ring.pack(xm), tuple((i - d, e) for i, e in m[k:]), c))
    return out


def target_groups(target: list[TargetTerm], params: Sequence[str]) -> Grouped:
    """The target grouped like kernel.output_by_symbols: {mu: T_mu(x)}, mu the
    parameter monomial as ((name, exponent), ...) sorted by name."""
    groups: Grouped = {}
    for xm, pm, c in target:
        mu = tuple(sorted((params[i], e) for i, e in pm))
        groups.setdefault(mu, {})[xm] = c
    return groups
