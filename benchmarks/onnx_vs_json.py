#!/usr/bin/env python3
"""Time to decide an ONNX export against the JSON model of the same construction.

    python benchmarks/onnx_vs_json.py                 # d = 3, n = 10 (N = 286), masked
    python benchmarks/onnx_vs_json.py --dim 2 --degree 6 --construction softmax

The target is dense: every monomial of degree <= n in d variables, with small dyadic
coefficients k/8 (so the float64 export stores them exactly and both files are
PROVED exactly). The model is built and proved once (``prove --save-model`` for the
JSON, ``export-model --onnx`` for the graph); then ``check-model`` decides the claim
on each file in its own subprocess, ``--repeat`` times. Reported: the best
wall-clock time of the whole command (imports included), the "seconds" the command
reports for the decision itself, and the ratio ONNX / JSON measured in this run.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dense_target(d: int, n: int, seed: int = 13) -> tuple[str, list[str]]:
    names = ["x", "y", "z", "u", "v", "w"][:d] if d <= 6 else [f"x{i}" for i in range(d)]
    rng = random.Random(seed)
    terms = []
    for exps in itertools.product(range(n + 1), repeat=d):
        if sum(exps) <= n:
            c = rng.choice([-7, -5, -3, -1, 1, 3, 5, 7])
            mono = "*".join(f"{v}**{e}" for v, e in zip(names, exps) if e) or "1"
            terms.append(f"({c}/8)*{mono}")
    return " + ".join(terms), names


def exactformer(*args: str) -> tuple[float, dict]:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "exactformer", *args, "--json"],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"exactformer {args[0]} failed ({done.returncode}): "
                         f"{done.stderr.strip()}")
    return wall, json.loads(done.stdout)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=3)
    p.add_argument("--degree", type=int, default=10)
    p.add_argument("--construction", default="masked")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    text, names = dense_target(args.dim, args.degree)
    with tempfile.TemporaryDirectory() as tmp:
        model_json, model_onnx = os.path.join(tmp, "m.json"), os.path.join(tmp, "m.onnx")
        common = ["--vars", ",".join(names), "--max-input-chars", "10000000"]
        exactformer("prove", text, *common, "--construction", args.construction,
                    "--save-model", model_json)
        _, built = exactformer("export-model", text, *common, "--construction",
                               args.construction, "--onnx", model_onnx)
        rows = {}
        for kind, path in (("json", model_json), ("onnx", model_onnx)):
            best_wall = best_inner = float("inf")
            for _ in range(args.repeat):
                wall, out = exactformer("check-model", path, "--claim", text, *common)
                assert out["verdict"] == "proved", out
                best_wall, best_inner = min(best_wall, wall), min(best_inner, out["seconds"])
            rows[kind] = (best_wall, best_inner, os.path.getsize(path))
    print(f"target: every monomial of degree <= {args.degree} in {args.dim} variables "
          f"(N = {built['tokens']} tokens, {built['blocks']} blocks, {args.construction})")
    print(f"{'file':<6}{'bytes':>12}{'wall s':>10}{'decide s':>10}")
    for kind, (wall, inner, size) in rows.items():
        print(f"{kind:<6}{size:>12}{wall:>10.3f}{inner:>10.3f}")
    print(f"ratio onnx/json: wall {rows['onnx'][0] / rows['json'][0]:.1f}x, "
          f"decide {rows['onnx'][1] / rows['json'][1]:.1f}x")


if __name__ == "__main__":
    main()
