"""Fixed blocks + fitted readout versus a fully trained small transformer.

Two targets on [-1, 1]^2: a random polynomial of degree 3 with rational coefficients,
and the smooth function exp(x) cos(3y). Both models see the same training samples.

* fixed blocks (construction "masked", degree n): nothing is trained; only the
  readout is fitted by least squares (exact over QQ for the polynomial, float64 for
  the smooth target), and the model is then PROVED equal to the fitted polynomial;
* trained: a standard single-stack transformer encoder (torch), one token per input
  coordinate plus a class token, all weights trained with Adam on the squared error.

    python experiments/fixed_vs_trained.py                # writes into a fresh folder
    python experiments/fixed_vs_trained.py --out results/ # ... or into this one
    python experiments/fixed_vs_trained.py --update-docs  # also rewrites docs/fixed_vs_trained.*
    python experiments/fixed_vs_trained.py --quick        # 100 training steps, seconds

Outputs fixed_vs_trained.png and fixed_vs_trained.md. The trained rows need the
optional extra ``torch`` (pip install "exactformer[torch]"); without it the page says
plainly that they are missing, and --update-docs is refused (exit 2) rather than
replacing the committed page by one without them. Runs in two to three minutes on
2 CPU cores (torch training dominates).
"""
from __future__ import annotations

import math
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from _common import (DOCS, add_output_options, experiment_parser, markdown_table,  # noqa: E402
                     output_dir, publish, random_points, refuse, write_table)
from exactformer.approx.fit import Dataset, fit  # noqa: E402
from exactformer.poly import graded_monomials  # noqa: E402

SEED = 2023
TRAIN, TEST = 256, 2000
STEPS = 1500
QUICK_STEPS = 100


def polynomial_target(rng: random.Random) -> dict:
    return {a: Fraction(rng.randint(-9, 9), rng.randint(1, 5)) for a in graded_monomials(2, 3)}


def poly_value(poly: dict, p) -> Fraction:
    return sum((c * p[0] ** a[0] * p[1] ** a[1] for a, c in poly.items()), Fraction(0))


def smooth(p) -> float:
    return math.exp(float(p[0])) * math.cos(3 * float(p[1]))


def fixed_blocks(points, ys, degree: int, exact: bool):
    data = Dataset(("x", "y"), "f", tuple(points), tuple(Fraction(v) for v in ys))
    start = time.perf_counter()
    result = fit(data, degree, method="exact" if exact else "float")
    return result, time.perf_counter() - start


def predict(result, points) -> np.ndarray:
    coeffs = result.coefficients
    X = np.array([[float(v) for v in p] for p in points])
    return np.array(sum(float(c) * X[:, 0] ** a[0] * X[:, 1] ** a[1] for a, c in coeffs.items()))


def train_transformer(Xtr, ytr, Xte, yte, seed: int, steps: int = STEPS):
    """A small encoder (2 layers, width 32, 4 heads) trained end to end; returns the
    test RMSE curve, the final test errors, the parameter count and the time."""
    import torch
    from torch import nn
    torch.manual_seed(seed)
    torch.set_num_threads(1)

    class Net(nn.Module):
        def __init__(self, d: int, width: int = 32):
            super().__init__()
            self.scale = nn.Parameter(torch.randn(d, width) * 0.5)
            self.pos = nn.Parameter(torch.randn(d, width) * 0.1)
            self.cls = nn.Parameter(torch.zeros(1, 1, width))
            layer = nn.TransformerEncoderLayer(width, 4, 64, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(width, 1)

        def forward(self, x):
            tokens = x.unsqueeze(-1) * self.scale + self.pos
            h = torch.cat([self.cls.expand(x.shape[0], -1, -1), tokens], dim=1)
            return self.head(self.encoder(h)[:, 0]).squeeze(-1)

    net = Net(Xtr.shape[1])
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    xt, yt = torch.tensor(Xtr, dtype=torch.float32), torch.tensor(ytr, dtype=torch.float32)
    xe = torch.tensor(Xte, dtype=torch.float32)
    curve = []
    start = time.perf_counter()
    for step in range(1, steps + 1):
        opt.zero_grad()
        loss = ((net(xt) - yt) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0:
            with torch.no_grad():
                pred = net(xe).double().numpy()
            curve.append((step, float(np.sqrt(np.mean((pred - yte) ** 2)))))
    seconds = time.perf_counter() - start
    with torch.no_grad():
        pred = net(xe).double().numpy()
    err = pred - yte
    return curve, float(np.sqrt(np.mean(err**2))), float(np.max(np.abs(err))), params, seconds


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv=None) -> Path:
    ap = experiment_parser(__doc__)
    add_output_options(ap, quick=f"{QUICK_STEPS} training steps instead of {STEPS}")
    args = ap.parse_args(argv)
    have_torch = torch_available()
    if args.update_docs and not have_torch:
        refuse("fixed_vs_trained", "--update-docs needs torch for the trained rows "
               "(pip install \"exactformer[torch]\"); without torch use --out DIR")
    out = output_dir(args, "fixed_vs_trained", DOCS)
    if not have_torch:
        print("fixed_vs_trained: torch is not installed; the page will lack the trained "
              "rows", file=sys.stderr)
    steps = QUICK_STEPS if args.quick else STEPS
    rng = random.Random(SEED)
    poly = polynomial_target(rng)
    train = random_points(rng, 2, TRAIN)
    test = random_points(rng, 2, TEST)
    Xtr = np.array([[float(v) for v in p] for p in train])
    Xte = np.array([[float(v) for v in p] for p in test])
    rows, curves = [], {}
    for name, degree, exact, fvals in [
        ("polynomial, degree 3", 3, True, lambda pts: [poly_value(poly, p) for p in pts]),
        ("exp(x) cos(3y)", 8, False, lambda pts: [smooth(p) for p in pts]),
    ]:
        ytr, yte = fvals(train), fvals(test)
        result, secs = fixed_blocks(train, ytr, degree, exact)
        yte_f = np.array([float(v) for v in yte])
        if exact:
            # the model is proved equal to the fitted polynomial, which equals the target
            errs = [abs(poly_value(result.coefficients, p) - y) for p, y in zip(test, yte)]
            rmse = math.sqrt(float(sum(e * e for e in errs) / len(errs)))
            worst = float(max(errs))
            shown = "0 (exact)" if worst == 0 else f"{rmse:.2e}"
        else:
            err = predict(result, test) - yte_f
            rmse, worst = float(np.sqrt(np.mean(err**2))), float(np.max(np.abs(err)))
            shown = f"{rmse:.2e}"
        rows.append([name, f"fixed blocks (n={degree}) + readout", result.model.depth,
                     result.model.free_parameters, "least squares" + (" over QQ" if exact
                                                                      else " (float64)"),
                     f"{secs:.2f}", shown, "0 (exact)" if worst == 0 else f"{worst:.2e}",
                     result.verdict.verdict])
        curves[name] = {"fixed": rmse}
        if have_torch:
            ytr_f = np.array([float(v) for v in ytr])
            curve, trmse, tmax, params, tsecs = train_transformer(Xtr, ytr_f, Xte, yte_f, SEED,
                                                               steps)
            rows.append([name, "trained transformer (2 layers, width 32)", 2, params,
                         f"Adam, {steps} full-batch steps", f"{tsecs:.1f}", f"{trmse:.2e}",
                         f"{tmax:.2e}", "-"])
            curves[name]["trained"] = curve
        print(name, "done", flush=True)
    header = ["target", "model", "blocks", "trained/fitted parameters", "fitting",
              "seconds", "test RMSE", "test max error", "model == fit"]
    text = (f"Same {TRAIN} training points (uniform on [-1, 1]^2, rational), {TEST} test "
            "points. Fixed blocks: nothing trained, readout fitted by least squares, model "
            "proved equal to the fitted polynomial. Trained: every weight trained."
            + ("" if have_torch else "\n\n**torch is not installed: the trained-transformer "
               "rows are missing from this page** (install the optional extra `torch` "
               "and run again to get them)."))
    md = write_table(out, "fixed_vs_trained", "Fixed blocks + fitted readout vs a trained "
                     "transformer", text, markdown_table(header, rows))
    plot(curves, out / "fixed_vs_trained.png")
    print(md.read_text())
    publish(args, out, ["fixed_vs_trained.md", "fixed_vs_trained.png"], DOCS)
    return out


def plot(curves: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.2))
    colors = ["tab:blue", "tab:orange"]
    for color, (name, c) in zip(colors, curves.items()):
        if "trained" in c:
            steps, vals = zip(*c["trained"])
            ax.semilogy(steps, vals, color=color, label=f"{name}: trained transformer")
        level = c["fixed"] if c["fixed"] > 0 else 1e-16
        label = f"{name}: fixed blocks + readout" + (" (exactly 0)" if c["fixed"] == 0 else "")
        ax.axhline(level, color=color, linestyle="--", label=label)
    ax.set_xlabel("training step (trained transformer)")
    ax.set_ylabel("test RMSE")
    ax.set_title("Fixed blocks + least-squares readout vs full training")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
