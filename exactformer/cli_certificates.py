"""Subcommands for certificates: ``check CERT`` and ``export CERT --coq FILE``.

``check`` runs the independent standard-library checker (:mod:`exactformer.checker`):
exit 0 valid, 1 invalid (well formed, but what it claims does not hold), 2 malformed,
3 a size or time limit hit.
``export`` writes the proof as a Coq file that ``coqc`` checks with its own kernel.
"""
from __future__ import annotations

import json
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
    from .cli import read_input_file
    report = checker.check_bytes(read_input_file(args.certificate, "certificate"))
    if not report.valid:
        raise CertificateError(f"{args.certificate} does not check, so it is not exported: "
                               f"{report.message}")
    cert = checker.strict_loads(read_input_file(args.certificate, "certificate"))
    text = export_coq(cert)
    try:
        Path(args.coq).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CertificateError(f"cannot write {args.coq!r}: {exc.strerror}") from None
    if args.json:
        print(json.dumps({"certificate": args.certificate, "coq": args.coq,
                          "lines": text.count("\n")}, sort_keys=True))
    else:
        print(f"wrote {args.coq} ({text.count(chr(10))} lines); check it with: coqc {args.coq}")
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
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_timeout_option(p)
    p.set_defaults(func=cmd_export)
