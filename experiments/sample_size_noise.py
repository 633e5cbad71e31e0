"""Regression with fixed blocks: test error versus sample size, with and without noise.

Only the readout of the fixed degree-n blocks is fitted (least squares, see
``exactformer fit``). Two targets on [-1, 1]^2:

* a random polynomial of degree 4 (15 coefficients) fitted with degree-4 blocks:
  from noiseless samples the fit is exact as soon as there are 15 points in general
  position (test error exactly 0); with noise sigma the error falls like
  sigma * sqrt(N / m);
* exp(x) cos(3y) fitted with degree-6 blocks (28 parameters): the error levels off
  at the approximation error of degree 6 once the noise is averaged out.

    python experiments/sample_size_noise.py                # writes into a fresh folder
    python experiments/sample_size_noise.py --out results/ # ... or into this one
    python experiments/sample_size_noise.py --update-docs  # also rewrites docs/sample_size_noise.*
    python experiments/sample_size_noise.py --quick        # 3 sizes, 2 noises, 1 draw

Outputs sample_size_noise.png and sample_size_noise.md (about a minute).
"""
from __future__ import annotations

import math
import random
import sys
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from _common import (DOCS, add_output_options, experiment_parser, markdown_table,  # noqa: E402
                     output_dir, publish, random_points, write_table)
from exactformer.approx.fit import Dataset, fit  # noqa: E402
from exactformer.poly import graded_monomials  # noqa: E402

SIZES = [15, 20, 30, 60, 120, 250, 500, 1000, 2000]
NOISES = [0.0, 1e-3, 1e-2, 1e-1]
REPEATS = 3
TEST = 2000
QUICK = {"sizes": [15, 30, 60], "noises": [0.0, 1e-2], "repeats": 1}


def evaluate(coeffs: dict, X: np.ndarray) -> np.ndarray:
    return np.array(sum(float(c) * X[:, 0] ** a[0] * X[:, 1] ** a[1] for a, c in coeffs.items()))


def run(target: str, degree: int, rng: random.Random, test_pts, X_test,
        sizes=SIZES, noises=NOISES, repeats=REPEATS) -> list[list]:
    poly = {a: Fraction(rng.randint(-9, 9), rng.randint(1, 5)) for a in graded_monomials(2, 4)}

    def f(points, exact: bool):
        if target == "poly":
            return [sum((c * p[0] ** a[0] * p[1] ** a[1] for a, c in poly.items()), Fraction(0))
                    for p in points]
        return [math.exp(float(p[0])) * math.cos(3 * float(p[1])) for p in points]

    y_test = np.array([float(v) for v in f(test_pts, False)])
    N = len(graded_monomials(2, degree))
    out = []
    for sigma in noises:
        for m in sizes:
            if m < N:
                continue
            errs, exact_zero = [], True
            for rep in range(repeats):
                pts = random_points(rng, 2, m)
                ys = f(pts, True)
                if sigma:
                    ys = [Fraction(y) + Fraction(rng.gauss(0.0, sigma)) for y in ys]
                data = Dataset(("x", "y"), "f", tuple(pts), tuple(Fraction(y) for y in ys))
                method = "exact" if (target == "poly" and sigma == 0) else "float"
                result = fit(data, degree, method=method)
                assert result.verdict.holds
                if method == "exact":
                    exact_zero &= result.coefficients == {a: c for a, c in poly.items() if c}
                    errs.append(0.0 if exact_zero else math.nan)
                else:
                    exact_zero = False
                    errs.append(float(np.sqrt(np.mean((evaluate(result.coefficients, X_test)
                                                       - y_test) ** 2))))
            rmse = float(np.exp(np.mean(np.log(np.maximum(errs, 1e-300)))))
            out.append([target, sigma, m, 0.0 if exact_zero else rmse, exact_zero])
        print(target, sigma, "done", flush=True)
    return out


def main(argv=None) -> Path:
    ap = experiment_parser(__doc__)
    add_output_options(ap, quick="training sizes 15, 30, 60, noises 0 and 0.01, one draw")
    args = ap.parse_args(argv)
    out = output_dir(args, "sample_size_noise", DOCS)
    grid = QUICK if args.quick else {"sizes": SIZES, "noises": NOISES, "repeats": REPEATS}
    rng = random.Random(7)
    test_pts = random_points(rng, 2, TEST)
    X_test = np.array([[float(v) for v in p] for p in test_pts])
    results = (run("poly", 4, rng, test_pts, X_test, **grid)
               + run("smooth", 6, rng, test_pts, X_test, **grid))
    rows = [[{"poly": "random polynomial, degree 4 (n=4, 15 params)",
              "smooth": "exp(x) cos(3y) (n=6, 28 params)"}[t], s, m,
             "0 (exact recovery)" if ez else f"{e:.2e}"] for t, s, m, e, ez in results]
    text = (f"Test RMSE on {TEST} points, geometric mean over {grid['repeats']} draws of the "
            "training set; Gaussian noise of standard deviation sigma added to the training "
            "targets. Noiseless polynomial data are fitted exactly over QQ (coefficients recovered "
            "exactly, model proved equal); all other fits are float64 least squares.")
    md = write_table(out, "sample_size_noise", "Fixed blocks: error versus sample size and noise",
                     text, markdown_table(["target", "noise sigma", "samples m", "test RMSE"],
                                          rows))
    plot(results, out / "sample_size_noise.png", grid["noises"])
    print(md.read_text())
    publish(args, out, ["sample_size_noise.md", "sample_size_noise.png"], DOCS)
    return out


def plot(results, path: Path, noises=NOISES) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    titles = {"poly": "random polynomial, degree-4 blocks",
              "smooth": "exp(x) cos(3y), degree-6 blocks"}
    for ax, target in zip(axes, ("poly", "smooth")):
        for sigma in noises:
            pts = [(m, e, ez) for t, s, m, e, ez in results if t == target and s == sigma]
            ms = [p[0] for p in pts]
            es = [1e-17 if p[2] else p[1] for p in pts]
            label = f"sigma = {sigma:g}" + (" (exact: error 0, drawn at 1e-17)"
                                            if all(p[2] for p in pts) else "")
            ax.loglog(ms, es, "o-", label=label)
        ax.set_title(titles[target])
        ax.set_xlabel("training samples m")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("test RMSE")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
