"""Subcommands for certificates: ``check CERT`` and ``export CERT --coq FILE``.

``check`` runs the independent standard-library checker (:mod:`exactformer.checker`):
exit 0 valid, 1 invalid (well formed, but what it claims does not hold), 2 malformed,
3 a size or time limit hit.
``export`` writes the proof as a Coq file that ``coqc`` checks with its own kernel: a
construction-A certificate (the theorem, or one polynomial with a rational readout)
goes through the generic theorem of proofs/coq
(:mod:`exactformer.coq_masked`), everything else (or ``--unrolled``) as the unrolled
block equations (:mod:`exactformer.coq`).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from . import checker
from .cli import add_timeout_option, output_file
from .errors import CertificateError

EXIT_VALID, EXIT_INVALID, EXIT_MALFORMED = checker.VALID, checker.INVALID, checker.MALFORMED


def cmd_check(args) -> int:
    report = checker.check_file(args.certificate, timeout=args.timeout)
    if args.json:
        data = {"certificate": args.certificate, **report.to_json()}
        if report.code in (0, 1):  # decided: valid = the stated identity is proved
            data["verdict"] = "proved" if report.valid else "refuted"
        print(json.dumps(data, sort_keys=True))
    elif report.valid:
        d = report.details
        print(f"certificate  {args.certificate} ({d['kind']}, sha256 {d['sha256'][:16]}...)")
        print(f"model        tokens={d['tokens']} width={d['width']} blocks={d['blocks']}")
        print(f"checked      by the standard-library checker in {d['seconds']:.3f} s")
        print(report.message)
    else:
        print(f"exactformer: {report.message}", file=sys.stderr)
    return report.code


def cmd_export(args) -> int:
    from .coq import export_coq
    from .coq_masked import coqc_command, export_coq_masked, is_generic_masked
    from .cli import read_input_file
    report = checker.check_bytes(read_input_file(args.certificate, "certificate"))
    if not report.valid:
        raise CertificateError(f"{args.certificate} does not check, so it is not exported: "
                               f"{report.message}")
    cert = checker.strict_loads(read_input_file(args.certificate, "certificate"))
    generic = is_generic_masked(cert) and not args.unrolled
    # the certificate was checked just above
    text = export_coq_masked(cert, require_valid=False) if generic else export_coq(cert)
    command = coqc_command(args.coq) if generic else f"coqc {args.coq}"
    try:
        Path(args.coq).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CertificateError(f"cannot write {args.coq!r}: {exc.strerror}") from None
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", Path(args.coq).stem):
        print(f"exactformer: note: coqc accepts {Path(args.coq).name!r} only under a name "
              "made of letters, digits and '_' (it becomes a Coq module name)", file=sys.stderr)
    if args.json:
        print(json.dumps({"certificate": args.certificate, "coq": args.coq,
                          "lines": text.count("\n"), "command": command,
                          "route": "generic" if generic else "unrolled"}, sort_keys=True))
    else:
        route = ("through the generic theorem Exactformer.Masked.masked_zero_error"
                 if generic else "as unrolled block equations")
        print(f"wrote {args.coq} ({text.count(chr(10))} lines, {route}); check it with: "
              f"{command}" + (" (after bash proofs/coq/check.sh)" if generic else ""))
    return 0


def register(subparsers) -> None:
    """Add ``check`` and ``export`` to the exactformer command line."""
    p = subparsers.add_parser("check", help="check a proof certificate with the independent "
                                            "standard-library checker (0 valid, 1 invalid, "
                                            "2 malformed, 3 limit)")
    p.add_argument("certificate", help="certificate file (exactformer-certificate/1 JSON)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_timeout_option(p)
    p.set_defaults(func=cmd_check)

    p = subparsers.add_parser("export", help="export a certificate as a Coq proof (.v)")
    p.add_argument("certificate", help="certificate file (exactformer-certificate/1 JSON)")
    p.add_argument("--coq", required=True, metavar="FILE", type=output_file(),
                   help="the .v file to write")
    p.add_argument("--unrolled", action="store_true",
                   help="write the forward pass as unrolled block equations even for a "
                        "construction-A certificate (default there: the generic "
                        "theorem of proofs/coq)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_timeout_option(p)
    p.set_defaults(func=cmd_export)
