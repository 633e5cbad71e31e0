#!/usr/bin/env python3
"""Scale benchmark: exact proofs of big instances, against a lower bound and a naive baseline.

    python benchmarks/bench.py            # the full table (a few minutes, naive runs included)
    python benchmarks/bench.py --quick    # a fast subset
    python benchmarks/bench.py --markdown # the same table as Markdown (for the README)

Columns (wall-clock seconds unless stated; each case runs in its own subprocess, so
imports are excluded and peak memory is per case):

- ours      the user-facing call: ``prove_theorem(d, n)`` / ``prove(text)`` (parse,
            build, forward pass, verification) or ``check_model``.
- engine    the exact forward pass plus the verification alone (what ``run`` and
            ``verify_identity`` / ``verify_basis`` take for the built model).
- lower     the lower bound, measured in the same run: building the claim itself in
            the same exact ring by ring arithmetic, each monomial x^alpha as a product
            of generator powers, times its coefficient, and summed by halves (for a
            theorem the coefficients are symbols and the claim is checked symbol by
            symbol, so it is the N monomials; for the squaring model, pow()).
- eng/low   engine / lower.
- naive     the same IR pushed through dense sympy Matrix products of sympy
            expressions with expand() (benchmarks/naive.py), only where it finishes
            within --naive-cap seconds; ">cap" when it did not.
- nv/ours   naive / ours.
- peak MB   peak resident memory of the case's process (includes the ~100 MB of
            Python + sympy itself).
- checker   the standard-library certificate checker (exactformer.checker) on the
            certificate of the same case, when that module is present ("n/a" otherwise).

Whole processes, for every case the command line can state (``exactformer theorem``
/ ``prove``), measured in the same run one after the other (imports included, as a
user waits for them); peak memory is each process's own maximum resident size:

- cli s     ``exactformer theorem ...`` / ``exactformer prove ...``: the bare proof.
- cert/cli  the same command with ``--certificate FILE`` (it self-checks the
            certificate before writing it) / the bare proof.
- check s   ``exactformer check FILE`` on that certificate.
- chk/cli   check / bare proof (target: at most 3x; cert/cli at most 4x).
- chk MB    peak memory of the check / of the bare proof, e.g. "70/84".
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


# ------------------------------------------------------------------ the cases

def dense_text(d: int, n: int, digits: int = 20, seed: int = 2023) -> str:
    """A dense random polynomial of degree n in x1..xd, coefficients p/q with
    ``digits``-digit p and q, as text (what a user would pass to ``prove``)."""
    from exactformer.poly import graded_monomials
    rng = random.Random(seed)
    lo, hi = 10 ** (digits - 1), 10 ** digits
    parts = []
    for alpha in graded_monomials(d, n):
        mono = "*".join(f"x{i + 1}**{e}" if e > 1 else f"x{i + 1}"
                        for i, e in enumerate(alpha) if e)
        coef = f"{rng.choice('+-')} {rng.randrange(lo, hi)}/{rng.randrange(lo, hi)}"
        parts.append(f"{coef}*{mono}" if mono else coef)
    return " ".join(parts)


#: name -> (kind, parameters, run the naive baseline?)
CASES = {
    "theorem d=5 n=10": ("theorem", (5, 10), False),
    "theorem d=3 n=20": ("theorem", (3, 20), False),
    "theorem d=10 n=6": ("theorem", (10, 6), False),
    "prove dense d=3 n=20": ("dense", (3, 20), False),
    "prove (x+1)**1000": ("power", ("(x+1)**1000",), False),
    "theorem d=3 n=10": ("theorem", (3, 10), True),
    "prove dense d=3 n=10": ("dense", (3, 10), True),
    "check (1+x+y+z)**32 sympy": ("squaring", (5, "sympy"), False),
    "check (1+x+y+z)**32 flint": ("squaring", (5, "flint"), False),
    "check (1+x+y+z)**1024 SZ": ("sz", (10,), False),
}
QUICK = ["theorem d=5 n=10", "theorem d=3 n=10", "prove dense d=3 n=10",
         "prove (x+1)**1000", "check (1+x+y+z)**32 flint", "check (1+x+y+z)**1024 SZ"]


def squaring_model(variables, k: int):
    """One token: H0 = 1 + sum x_i; each of k blocks squares it with a square FFN
    (p + (3/2) p^2 - (1/2)(p + 1)^2 + 1/2 = p^2): a dense (1 + sum x_i)^(2^k)."""
    from exactformer.model import (Attention, Block, Embedding, ExactMatrix, FeedForward,
                                   Mask, Model, Readout)
    one = ExactMatrix.from_rows([[1]])
    z = ExactMatrix.zeros(1, 1)
    att = Attention(z, z, z, z, "identity", Mask(1, ((),)))
    ffn = FeedForward(ExactMatrix.from_rows([[1, 1]]), ExactMatrix.from_rows([[0, 1]]),
                      ExactMatrix.from_rows([[Fraction(3, 2)], [Fraction(-1, 2)]]),
                      ExactMatrix.from_rows([[Fraction(1, 2)]]), "square")
    return Model(Embedding(tuple(variables), one, tuple(one for _ in variables)),
                 tuple(Block(att, ffn) for _ in range(k)), Readout.from_dict(1, 1, {(0, 0): 1}))


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _tree_sum(parts: list):
    """Sum by halves: O(T log T) term copies for T terms (a running sum copies O(T^2))."""
    while len(parts) > 1:
        parts = [parts[i] + parts[i + 1] if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


def _lower_bound_terms(ring, terms, add: bool = True) -> float:
    """Seconds to build sum c_alpha x^alpha in ``ring`` by ring arithmetic (with
    ``add=False``: only the monomials x^alpha, for a claim checked symbol by symbol)."""
    gens = ring.gens
    start = time.perf_counter()
    parts = []
    for alpha, c in terms:
        mono = ring.one
        for g, e in zip(gens, alpha):
            if e:
                mono = mono * g ** e
        parts.append(mono if c is None else mono * c)
    if add and parts:
        _tree_sum(parts)
    return time.perf_counter() - start


def _checker_time(result, cap: float):
    """Seconds the stdlib checker takes on this case's certificate (">cap" if it ran
    past ``cap`` seconds), or None when the checker module is absent."""
    try:
        from exactformer import checker
        from exactformer.formats.certificate import certificate_for
    except ImportError:
        return None
    cert = certificate_for(result, verify=False)
    seconds, report = _timed(lambda: checker.check_certificate(cert, timeout=cap))
    if report.code == checker.LIMIT:
        return f">{cap:.0f}"
    if not report.valid:
        raise SystemExit(f"certificate did not check: {report.message}")
    return seconds


def run_case(name: str, with_checker: bool, checker_cap: float = 120.0) -> dict:
    """Measure one case in this process (called in a fresh subprocess)."""
    import sympy
    from sympy import QQ
    from exactformer import prove
    from exactformer.engine.backends import backend_name, run_exact, using_backend
    from exactformer.limits import Limits
    from exactformer.theorem import generic_model, prove_theorem
    from exactformer.verify import verify_identity
    from exactformer.verify.linear import verify_basis
    kind, params, _ = CASES[name]
    out: dict = {"case": name}
    if kind == "theorem":
        d, n = params
        ours, result = _timed(lambda: prove_theorem(d, n))
        assert result.verdict.holds, result.verdict
        model, claim = generic_model(d, n)
        engine, (verdict, _) = _timed(lambda: verify_basis(model, claim))
        assert verdict.holds
        ring = next(iter(claim.values())).ring
        out["lower"] = _lower_bound_terms(ring, [(next(iter(p.keys())), None)
                                                 for p in claim.values()], add=False)
    elif kind in ("dense", "power"):
        text = dense_text(*params) if kind == "dense" else params[0]
        limits = Limits(max_input_chars=10**8)
        ours, result = _timed(lambda: prove(text, limits=limits))
        assert result.proved, result.verdict
        model, target = result.model, result.target
        engine, (verdict, _, _) = _timed(lambda: verify_identity(model, target, limits=limits))
        assert verdict.holds
        out["lower"] = _lower_bound_terms(target.ring, list(target.poly.items()))
        if kind == "power":  # by repeated squaring instead of term by term:
            x = target.ring.gens[0]
            out["note"] = f"(x+1)**1000 by pow() alone: {_timed(lambda: (x + 1) ** 1000)[0]:.3f} s"
    elif kind == "squaring":
        k, backend = params
        from exactformer.api import check_model
        from exactformer.engine.domains import flint_available
        if backend == "flint" and not flint_available():
            return {"case": name, "skipped": "python-flint not installed"}
        model = squaring_model(("x", "y", "z"), k)
        claim = f"(1 + x + y + z)**{2 ** k}"
        with using_backend(backend):
            ours, result = _timed(lambda: check_model(model, claim))
            assert result.proved, result.verdict
            engine, trace = _timed(lambda: run_exact(model, record=False))
        if backend == "flint":
            import flint
            ctx = flint.fmpq_mpoly_ctx.get(("x", "y", "z"), "lex")
            p = sum(ctx.gens(), ctx.constant(1))
        else:
            ring = result.target.ring
            p = ring.one + sum(ring.gens)
        out["lower"] = _timed(lambda: p ** (2 ** k))[0]
        model_for_n = model
        out["tokens"] = model_for_n.tokens
        result = None
    elif kind == "sz":
        (k,) = params
        from exactformer.verify.schwartz_zippel import verify_schwartz_zippel
        model = squaring_model(("x", "y", "z"), k)
        claim = f"((1 + x + y + z)**32)**32"
        ours, r = _timed(lambda: verify_schwartz_zippel(model, claim, seed=1))
        assert r.holds
        engine = None
        out["note"] = f"probabilistic, error <= {float(r.error_probability):.1e}"
        result = None
    out.setdefault("tokens", model.tokens)
    out["ours"] = ours
    out["engine"] = engine
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["checker"] = (_checker_time(result, checker_cap)
                      if (with_checker and result is not None) else None)
    out["checker_present"] = _has_checker()
    return out


def _has_checker() -> bool:
    import importlib.util
    return importlib.util.find_spec("exactformer.checker") is not None


def run_naive(name: str) -> float:
    """Seconds for the naive baseline on one case (called in a fresh subprocess)."""
    import sympy
    from naive import naive_holds
    from exactformer.api import build
    from exactformer.limits import Limits
    from exactformer.theorem import generic_model
    kind, params, _ = CASES[name]
    if kind == "theorem":
        model, claim = generic_model(*params)
        expr = sum((sympy.Symbol(s) * p.as_expr() for s, p in claim.items()), sympy.Integer(0))
    else:
        text = dense_text(*params)
        model = build(text, limits=Limits(max_input_chars=10**8))
        from exactformer.poly import make_target
        expr = make_target(text, limits=Limits(max_input_chars=10**8)).as_expr()
    seconds, ok = _timed(lambda: naive_holds(model, expr))
    assert ok, "the naive baseline disagrees"
    return seconds


# ------------------------------------------------------------------ driver

def _child(args: list[str], timeout: float | None):
    cmd = [sys.executable, str(Path(__file__).resolve())] + args
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fmt(v, digits: int = 3) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    return f"{v:.{digits}f}" if v < 100 else f"{v:.0f}"


def _ratio(a, b) -> str:
    if a is None or b is None or isinstance(a, str) or isinstance(b, str) or b <= 0:
        return "n/a"
    return f"{a / b:.1f}x"


HEADER = ["case", "N", "ours s", "engine s", "lower s", "eng/low", "naive s", "nv/ours",
          "peak MB", "checker s", "cli s", "cert/cli", "check s", "chk/cli", "chk MB"]


def cli_arguments(name: str) -> list[str] | None:
    """The ``exactformer`` command line of a case (None if it has none)."""
    kind, params, _ = CASES[name]
    if kind == "theorem":
        return ["theorem", "--dim", str(params[0]), "--degree", str(params[1])]
    if kind == "dense":
        return ["prove", dense_text(*params), "--max-terms", "10000000",
                "--max-input-chars", str(10**8)]
    if kind == "power":
        return ["prove", params[0]]
    return None


def _process(cmd: list[str], cap: float) -> tuple:
    """(wall seconds, peak resident MB, exit code) of one whole process (">cap" and
    no code if it ran past ``cap`` seconds). Peak memory: wait4's ru_maxrss."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            seconds = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            return seconds, usage.ru_maxrss / 1024, proc.returncode
        if time.perf_counter() - start > cap:
            proc.kill()
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            return f">{cap:.0f}", None, None
        time.sleep(0.002)


def run_whole(name: str, cap: float) -> dict:
    """Bare proof, proof with --certificate, and check, as whole processes."""
    import tempfile
    args = cli_arguments(name)
    if args is None:
        return {}
    exe = [sys.executable, "-m", "exactformer"]
    with tempfile.TemporaryDirectory() as tmp:
        cert = os.path.join(tmp, "cert.json")
        bare, bare_mb, code = _process(exe + args, cap)
        if code not in (0, None):
            raise SystemExit(f"{name}: the bare proof exited {code}")
        with_cert, _, code = _process(exe + args + ["--certificate", cert], cap)
        if code not in (0, None):
            raise SystemExit(f"{name}: the proof with --certificate exited {code}")
        if code is None:
            return {"cli": bare, "cli_cert": with_cert}
        check, check_mb, code = _process(exe + ["check", cert, "--timeout", "0"], cap)
        if code not in (0, None):
            raise SystemExit(f"{name}: the check exited {code}")
    return {"cli": bare, "cli_mb": bare_mb, "cli_cert": with_cert, "check": check,
            "check_mb": check_mb}


def _mb_pair(r: dict) -> str:
    a, b = r.get("check_mb"), r.get("cli_mb")
    return "n/a" if a is None or b is None else f"{a:.0f}/{b:.0f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="a fast subset of the cases")
    p.add_argument("--case", action="append", help="run only this case (repeatable)")
    p.add_argument("--naive-cap", type=float, default=300.0,
                   help="seconds the naive baseline may take per case (default 300)")
    p.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    p.add_argument("--no-checker", action="store_true", help="skip the certificate checker")
    p.add_argument("--checker-cap", type=float, default=120.0,
                   help="seconds the certificate checker may take per case (default 120)")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-naive", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(run_case(args.child, not args.no_checker, args.checker_cap)))
        return 0
    if args.child_naive:
        print(json.dumps({"naive": run_naive(args.child_naive)}))
        return 0
    names = args.case or (QUICK if args.quick else list(CASES))
    unknown = [n for n in names if n not in CASES]
    if unknown:
        p.error(f"unknown case {unknown[0]!r}; cases: {', '.join(CASES)}")
    rows = []
    for name in names:
        extra = ["--no-checker"] if args.no_checker else ["--checker-cap", str(args.checker_cap)]
        row = _child(["--child", name] + extra, None)
        if not isinstance(row, dict) or "error" in row:
            print(f"{name}: failed: {row}", file=sys.stderr)
            return 1
        if row.get("skipped"):
            print(f"{name}: skipped ({row['skipped']})", file=sys.stderr)
            continue
        row["naive"] = None
        if CASES[name][2] and not args.no_naive:
            naive = _child(["--child-naive", name], args.naive_cap)
            row["naive"] = f">{args.naive_cap:.0f}" if naive == "timeout" else naive.get(
                "naive", naive.get("error"))
        if not args.no_checker:
            row.update(run_whole(name, args.checker_cap))
        rows.append(row)
        if not args.markdown and not args.json:
            print(f"  done: {name} ({row['ours']:.2f} s)", file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    table = []
    for r in rows:
        checker = r.get("checker")
        table.append([r["case"] + (f" ({r['note']})" if r.get("note") else ""), str(r["tokens"]),
                      _fmt(r["ours"]), _fmt(r.get("engine")), _fmt(r.get("lower"), 4),
                      _ratio(r.get("engine"), r.get("lower")), _fmt(r.get("naive"), 2),
                      _ratio(r.get("naive"), r["ours"]), f"{r['peak_mb']:.0f}",
                      _fmt(checker) if r.get("checker_present") else "n/a",
                      _fmt(r.get("cli")), _ratio(r.get("cli_cert"), r.get("cli")),
                      _fmt(r.get("check")), _ratio(r.get("check"), r.get("cli")),
                      _mb_pair(r)])
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"backend auto ({'flint installed' if _flint() else 'no flint'})")
    if args.markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + "|".join("---" for _ in HEADER) + "|")
        for t in table:
            print("| " + " | ".join(t) + " |")
    else:
        widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(HEADER)]
        print("  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                        for i, (h, w) in enumerate(zip(HEADER, widths))))
        for t in table:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                            for i, (c, w) in enumerate(zip(t, widths))))
    return 0


def _flint() -> bool:
    from exactformer.engine.domains import flint_available
    return flint_available()


if __name__ == "__main__":
    sys.exit(main())
