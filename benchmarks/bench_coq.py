#!/usr/bin/env python3
"""Coq check time of an exported theorem certificate, and of a proof certificate of one
dense polynomial (every monomial of degree <= n, rational coefficients): through the
generic theorem (proofs/coq, ``export --coq``) against the unrolled block equations
(``--unrolled``), both measured in the same run.

    python benchmarks/bench_coq.py                 # d = 3, n = 8 and a few smaller cases
    python benchmarks/bench_coq.py --case 3 8      # one case

Also times ``bash proofs/coq/check.sh`` (the development itself, built once). Wall and
CPU (user + sys of coqc) seconds; the ratio is unrolled / generic. Needs coqc with
MathComp (.ci/system-deps).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exactformer import prove  # noqa: E402
from exactformer.formats.certificate import certificate_from_proof, certificate_from_theorem
from exactformer.poly import graded_monomials  # noqa: E402
from exactformer.formats.coq.unrolled import export_coq
from exactformer.formats.coq.masked import export_coq_masked
from exactformer.theorem import prove_theorem  # noqa: E402

FLAGS = ["-q", "-w", "-notation-overridden,-ambiguous-paths"]


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stdout}{out.stderr}")
    return wall, cpu, out.returncode


def dense_polynomial(d: int, n: int) -> str:
    """Every monomial of degree <= n in d variables, coefficient +-(k+1)/(k+2)."""
    terms = []
    for k, alpha in enumerate(graded_monomials(d, n)):
        mono = "*".join(f"{v}**{e}" for v, e in zip("xyzw", alpha) if e)
        coef = f"({'-' if k % 2 else ''}{k + 1}/{k + 2})"
        terms.append(f"{coef}*{mono}" if mono else coef)
    return " + ".join(terms)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", nargs=2, type=int, metavar=("D", "N"), action="append")
    args = ap.parse_args()
    if shutil.which("coqc") is None:
        sys.exit("coqc is not installed (.ci/system-deps)")
    cases = args.case or [(2, 4), (3, 6), (3, 8)]
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "coq"
        lib.mkdir()
        for f in list((ROOT / "proofs" / "coq").glob("*.v")) + [ROOT / "proofs/coq/check.sh"]:
            shutil.copy(f, lib / f.name)
        wall, cpu, _ = timed(["bash", str(lib / "check.sh")], lib)
        lines = sum(len(f.read_text().splitlines()) for f in lib.glob("*.v"))
        print(f"check.sh (proofs/coq, {lines} lines of Coq): {wall:.1f} s wall, {cpu:.1f} s CPU")
        print(f"{'cert':>7} {'d':>2} {'n':>2} {'tokens':>6} | {'generic s':>9} {'(cpu)':>6} {'lines':>6} | "
              f"{'unrolled s':>10} {'(cpu)':>6} {'lines':>6} | {'ratio':>5}")
        work = [(kind, d, n) for d, n in cases for kind in ("theorem", "proof")]
        for kind, d, n in work:
            cert = (certificate_from_theorem(prove_theorem(d, n)) if kind == "theorem" else
                    certificate_from_proof(prove(dense_polynomial(d, n))))
            gen = Path(tmp) / f"generic_{kind}_d{d}_n{n}.v"
            unr = Path(tmp) / f"unrolled_{kind}_d{d}_n{n}.v"
            gen.write_text(export_coq_masked(cert))
            unr.write_text(export_coq(cert))
            gw, gc, _ = timed(["coqc", *FLAGS, "-R", str(lib), "Exactformer", gen.name], gen.parent)
            uw, uc, _ = timed(["coqc", *FLAGS, unr.name], unr.parent)
            print(f"{kind:>7} {d:>2} {n:>2} {cert['model']['tokens']:>6} | {gw:>9.2f} {gc:>6.2f} "
                  f"{len(gen.read_text().splitlines()):>6} | {uw:>10.2f} {uc:>6.2f} "
                  f"{len(unr.read_text().splitlines()):>6} | {uw / gw:>5.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
