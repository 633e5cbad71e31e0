#!/usr/bin/env python3
"""Tightness of the certified float error bound: degree x construction x precision.

    python benchmarks/float_error.py             # the table (a minute or two)
    python benchmarks/float_error.py --quick     # degrees 2 and 4 only
    python benchmarks/float_error.py --markdown  # the same table as Markdown

For each degree n the target is the dense polynomial
p_n(x, y) = sum_{i+j<=n} (-1)^(i+j) x^i y^j / (i + 2j + 1) on [-1, 1]^2 (most
coefficients are not floats, so the stored weights differ from the exact model too).
The exact model of each construction is built and proved, its weights are rounded to
the precision, and `certify_float_error` gives the certified bound on
sup |y_float - p| and the worst error of numpy runs at the sampled points (corners
included). ratio = bound / observed, measured in the same run: 1 would be perfectly
tight; the bound is never below the observed error (that would exit with an internal
error).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exactformer import build  # noqa: E402
from exactformer.float_certify import certify_float_error  # noqa: E402
from exactformer.poly.box import Box  # noqa: E402
from exactformer.verify.precision import FLOAT32, FLOAT64, decimal_up  # noqa: E402

CONSTRUCTIONS = ("masked", "softmax", "relu", "logdepth")


def target(n: int) -> str:
    """p_n(x, y) = sum_{i+j<=n} (-1)^(i+j) x^i y^j / (i + 2j + 1)."""
    return " + ".join(f"({(-1) ** (i + j)}/{i + 2 * j + 1})*x**{i}*y**{j}"
                      for i in range(n + 1) for j in range(n + 1 - i))


def measure(n: int, construction: str, precision, samples: int, box: Box | None = None):
    """(certified bound, observed max error, seconds) for p_n."""
    box = box or Box.cube(-1, 1, 2)
    text = target(n)
    model = build(text, construction=construction, domain=str(box))
    start = time.perf_counter()
    r = certify_float_error(model, text, box, precision, samples=samples, seed=n)
    return r.bound, r.observed.max_error, time.perf_counter() - start


def rows(degrees, samples: int):
    out = []
    for n in degrees:
        for construction in CONSTRUCTIONS:
            for precision in (FLOAT32, FLOAT64):
                bound, observed, seconds = measure(n, construction, precision, samples)
                ratio = float(bound / observed) if observed else float("inf")
                out.append({"degree": n, "construction": construction,
                            "precision": precision.name, "bound": decimal_up(bound),
                            "observed": f"{float(observed):.3e}", "ratio": round(ratio, 1),
                            "seconds": round(seconds, 2)})
                print(json.dumps(out[-1]), file=sys.stderr, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="degrees 2 and 4 only")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--samples", type=int, default=3000, help="random points per case")
    args = ap.parse_args()
    degrees = (2, 4) if args.quick else (1, 2, 3, 4, 6, 8)
    table = rows(degrees, args.samples)
    header = ["degree", "construction", "precision", "bound", "observed", "ratio", "seconds"]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in table:
            print("| " + " | ".join(str(r[h]) for h in header) + " |")
    else:
        print(" ".join(f"{h:>12}" for h in header))
        for r in table:
            print(" ".join(f"{str(r[h]):>12}" for h in header))


if __name__ == "__main__":
    main()
