#!/usr/bin/env python3
"""The long run of the differential soundness harness (issue 11, point 6).

    python benchmarks/soundness.py --cases 100000 [--seed S] [--jobs J] [--out FILE]

Random models of every kind the IR allows (identity / relu / softmax scores, random
masks, square / relu FFNs, 0..3 variables, symbolic readouts) with their true output
and near-miss claims are decided by the prover (exact rungs and Schwartz-Zippel),
the independent checker (certificates: the prover's, mutated ones, the oracle's)
and the independent oracle of tests/soundness_oracle.py; then every name-discipline
case (a name living in two spaces, non-ASCII lookalikes) must be refused.

Prints the counts. Exits 1 if any disagreement (a false proved/holds/VALID, a false
refutation, a proof the checker does not confirm, a crash) or any name case that
is not refused was found; the reproducers go to --out (JSON), the first to stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from soundness_cases import NAME_KINDS, Outcome, dump, name_case, run_case  # noqa: E402

CLAIMS_PER_MODEL = 3


def _chunk(args: tuple[int, int, int]) -> Outcome:
    first, models, names_every = args
    out = Outcome()
    for seed in range(first, first + models):
        out.merge(run_case(seed, CLAIMS_PER_MODEL))
        if names_every and seed % names_every == 0:
            kind = NAME_KINDS[(seed // names_every) % len(NAME_KINDS)]
            r = name_case(seed, kind)
            out.count("name cases", f"name {kind} {r['outcome']}")
            if not r["ok"]:
                out.count("name cases not refused")
                out.disagreements.append({**r["reproducer"], "what": f"name case {kind}: "
                                          f"{r['outcome']}, not refused"})
    return out


def _print_counts(counts: dict, seconds: float) -> None:
    groups = [("cases", ("cases", "claim ", "readout params")), ("by kind", ("kind ",)),
              ("prover (exact rungs)", ("prover ",)), ("Schwartz-Zippel", ("schwartz-zippel ",)),
              ("checker", ("checker ", "mutated certificate", "widened-box")),
              ("oracle", ("oracle ", "mutated oracle")), ("per kind", (": prover",)),
              ("name discipline", ("name ",)), ("agreement", ("agreements", "disagreements"))]
    shown = set()
    for title, prefixes in groups:
        rows = [(k, v) for k, v in sorted(counts.items()) if k not in shown and
                any(k.startswith(p) or (p.startswith(":") and p in k) for p in prefixes)]
        if not rows:
            continue
        print(f"{title}:")
        for k, v in rows:
            shown.add(k)
            print(f"  {k:58s} {v:>9d}")
    rest = [(k, v) for k, v in sorted(counts.items()) if k not in shown]
    if rest:
        print("other:")
        for k, v in rest:
            print(f"  {k:58s} {v:>9d}")
    cases = counts.get("cases", 0)
    print(f"disagreements (must be 0): {counts.get('disagreements', 0) + counts.get('name cases not refused', 0)}")
    print(f"seconds: {seconds:.1f} ({1000 * seconds / max(cases, 1):.1f} ms per case)")


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=2000, help="number of (model, claim) cases")
    ap.add_argument("--seed", type=int, default=0, help="first model seed (reproducible)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--names-every", type=int, default=5,
                    help="one name-discipline case every N models (0: none)")
    ap.add_argument("--out", help="write every disagreement's reproducer to this JSON file")
    args = ap.parse_args(argv)
    if args.cases < 1 or args.jobs < 1 or args.names_every < 0:
        ap.error("--cases and --jobs must be positive, --names-every non-negative")
    models = -(-args.cases // CLAIMS_PER_MODEL)  # most models give 3 cases, a few fewer
    size = max(1, min(200, models // (4 * args.jobs) or 1))
    chunks = [(args.seed + i, min(size, models - i), args.names_every)
              for i in range(0, models, size)]
    start = time.perf_counter()
    total = Outcome()
    if args.jobs == 1:
        for c in chunks:
            total.merge(_chunk(c))
    else:
        with Pool(args.jobs) as pool:
            for out in pool.imap_unordered(_chunk, chunks):
                total.merge(out)
    seconds = time.perf_counter() - start
    print(f"soundness harness: models {models} from seed {args.seed}, "
          f"{CLAIMS_PER_MODEL} claims each")
    _print_counts(total.counts, seconds)
    if args.out:
        Path(args.out).write_text(json.dumps(total.disagreements, indent=1, sort_keys=True,
                                             default=str) + "\n")
    if total.disagreements:
        print(f"first disagreement of {len(total.disagreements)}:", file=sys.stderr)
        print(dump(total.disagreements[0]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
