"""``exactformer export CERT --coq FILE``: write a checked certificate as a Coq proof
that ``coqc`` checks with its own kernel. A construction-A certificate goes through the
generic theorem of proofs/coq (:mod:`exactformer.formats.coq.masked`); anything else (or
``--unrolled``) as unrolled block equations (:mod:`exactformer.formats.coq.unrolled`)."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ..checker.check import check_bytes
from ..checker.reading import strict_loads
from ..errors import CertificateError
from ..formats.coq import coqc_command, export_coq, export_coq_masked, is_generic_masked
from .common import add_json_option, add_timeout_option, output_file, print_json, read_input_file

if TYPE_CHECKING:
    from ..formats.certificate import Certificate



NAME = "export"


EXAMPLES = ("exactformer export cert.json --coq proof.v",)


def cmd_export(args: argparse.Namespace) -> int:
    report = check_bytes(read_input_file(args.certificate, "certificate"))
    if not report.valid:
        raise CertificateError(f"{args.certificate} does not check, so it is not exported: "
                               f"{report.message}")
    # a certificate object: it was checked just above
    cert = cast("Certificate", strict_loads(read_input_file(args.certificate, "certificate")))
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
        print_json({"verdict": "written",
                    "certificate": {"file": args.certificate, "sha256": cert["sha256"]},
                    "coq": args.coq, "lines": text.count("\n"), "command": command,
                    "route": "generic" if generic else "unrolled"})
    else:
        route = ("through the generic theorem Exactformer.Masked.masked_zero_error"
                 if generic else "as unrolled block equations")
        print(f"wrote {args.coq} ({text.count(chr(10))} lines, {route}); check it with: "
              f"{command}" + (" (after bash proofs/coq/check.sh)" if generic else ""))
    return 0


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``export``."""
    p = sub.add_parser(NAME, help="export a certificate as a Coq proof (.v)")
    p.add_argument("certificate", help="certificate file (exactformer-certificate/1 JSON)")
    p.add_argument("--coq", required=True, metavar="FILE", type=output_file(),
                   help="the .v file to write")
    p.add_argument("--unrolled", action="store_true",
                   help="write the forward pass as unrolled block equations even for a "
                        "construction-A certificate (default there: the generic "
                        "theorem of proofs/coq)")
    add_json_option(p)
    add_timeout_option(p)
    p.set_defaults(func=cmd_export)
