#!/usr/bin/env python3
"""Checker / prover time ratios: how long the standard-library checker needs to
re-derive a certificate, against the prover (sympy) that produced it.

    python benchmarks/bench_checker.py          # prints one table row per case

Times are the best of a few runs (wall clock, seconds).
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exactformer import checker, prove  # noqa: E402
from exactformer.formats.certificate import (certificate_from_proof, certificate_from_theorem,
                                             dumps)
from exactformer.poly import graded_monomials  # noqa: E402
from exactformer.theorem import prove_theorem  # noqa: E402


def best(fn, repeat: int = 3) -> tuple[float, object]:
    out, times = None, []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def dense_target(d: int, n: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    return {m: rng.randint(1, 99) * rng.choice((1, -1)) for m in graded_monomials(d, n)}


def main() -> int:
    cases = []
    for d, n in ((2, 6), (3, 6), (3, 10), (4, 8)):
        cases.append((f"theorem d={d} n={n}", lambda d=d, n=n: prove_theorem(d, n),
                       lambda r: certificate_from_theorem(r, verify=False)))
    for d, n in ((2, 8), (3, 8)):
        target = dense_target(d, n)
        variables = ",".join(f"x{i + 1}" for i in range(d))
        cases.append((f"prove dense d={d} n={n}",
                      lambda t=target, v=variables: prove(t, variables=v),
                      lambda r: certificate_from_proof(r, verify=False)))
        cases.append((f"prove dense d={d} n={n} --trace",
                      lambda t=target, v=variables: prove(t, variables=v),
                      lambda r: certificate_from_proof(r, trace=True, verify=False)))
    print(f"{'case':<30}{'tokens':>7}{'KB':>8}{'prover s':>10}{'checker s':>11}{'ratio':>8}")
    for name, run, write in cases:
        t_prove, result = best(run)
        cert = write(result)
        t_check, report = best(lambda: checker.check_certificate(cert))
        if not report.valid:
            print(f"{name}: certificate did not check: {report.message}", file=sys.stderr)
            return 1
        size = len(dumps(cert)) / 1024
        print(f"{name:<30}{cert['model']['tokens']:>7}{size:>8.0f}{t_prove:>10.3f}"
              f"{t_check:>11.3f}{t_check / t_prove:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
