#!/usr/bin/env python3
"""Regenerate the stored theorem certificates in proofs/certificates/.

For every d <= 3 and n <= 6 it proves the generic theorem "every polynomial of
degree <= n in d variables is output exactly by the fixed blocks with readout =
its coefficients" and writes its certificate (no trace) as canonical JSON:

    python scripts/regenerate_certificates.py            # rewrite the files
    python scripts/regenerate_certificates.py --check    # exit 1 if any file differs

The output is byte-for-byte deterministic (the test suite regenerates and compares).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY = ROOT / "proofs" / "certificates"
MAX_DIMENSION = 3
MAX_DEGREE = 6


def cases() -> list[tuple[int, int]]:
    """Every stored (d, n)."""
    return [(d, n) for d in range(MAX_DIMENSION + 1) for n in range(MAX_DEGREE + 1)]


def filename(d: int, n: int) -> str:
    return f"theorem-d{d}-n{n}.json"


def certificate_text(d: int, n: int) -> str:
    """The canonical certificate text of the (d, n) theorem (construction A)."""
    from exactformer.formats.certificate import certificate_from_theorem, dumps
    from exactformer.theorem import prove_theorem
    result = prove_theorem(d, n, construction="masked")
    if not result.verdict.holds:
        raise SystemExit(f"the ({d}, {n}) theorem was not proved: {result.verdict}")
    return dumps(certificate_from_theorem(result))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    unknown = [a for a in argv if a != "--check"]
    if unknown:
        print(f"usage: regenerate_certificates.py [--check]  (unknown: {' '.join(unknown)})",
              file=sys.stderr)
        return 2
    check = "--check" in argv
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    differ = []
    for d, n in cases():
        path = DIRECTORY / filename(d, n)
        text = certificate_text(d, n)
        if check:
            if not path.exists() or path.read_text(encoding="ascii") != text:
                differ.append(path.name)
        else:
            path.write_text(text, encoding="ascii")
    if check:
        if differ:
            print(f"{len(differ)} stored certificate(s) differ: {', '.join(differ)}",
                  file=sys.stderr)
            return 1
        print(f"all {len(cases())} stored certificates are up to date")
        return 0
    print(f"wrote {len(cases())} certificates to {DIRECTORY}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
