"""Determinism: the same input gives byte-identical model JSON and certificates,
across runs and across PYTHONHASHSEED values (set iteration order must never leak
into what is written)."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from exactformer.cli import main

#: Inputs with several variables, parameters and constants: the cases where set or
#: dict order could show through (sorted free symbols, sqrt factors, readout forms).
CASES = [
    ["prove", "3*z*x**2 - y/7 + 2*x*y*z + 1", "--construction", "masked"],
    ["prove", "a*x*y + b*y**2 - c + pi*x + sqrt(6)*y", "--params", "c,a,b"],
    ["prove", "x**3 - 2*y + w*x", "--construction", "logdepth"],
    ["prove", "x*y - 1/3", "--construction", "softmax"],
    ["theorem", "--dim", "2", "--degree", "3"],
]

SCRIPT = """
import sys
from exactformer.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _outputs(argv: list[str], directory: Path, seed: str, trace: bool) -> dict[str, bytes]:
    """Run one case in a fresh interpreter with PYTHONHASHSEED=seed; return the files."""
    directory.mkdir(parents=True, exist_ok=True)
    cert = directory / "cert.json"
    extra = ["--certificate", str(cert)] + (["--trace"] if trace else [])
    model = directory / "model.json"
    if argv[0] == "prove":
        extra += ["--save-model", str(model)]
    env = dict(os.environ, PYTHONHASHSEED=seed)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *argv, *extra, "--json"], env=env,
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    out = {"cert": cert.read_bytes()}
    if model.exists():
        out["model"] = model.read_bytes()
    return out


@pytest.mark.parametrize("argv", CASES, ids=lambda a: " ".join(a[:2]))
def test_byte_identical_across_hash_seeds(tmp_path, argv):
    seeds = ["0", "1", "random"]
    runs = [_outputs(argv, tmp_path / f"seed_{s}", s, trace=(argv == CASES[0])) for s in seeds]
    for name in runs[0]:
        digests = {hashlib.sha256(r[name]).hexdigest() for r in runs}
        assert len(digests) == 1, f"{name} differs across PYTHONHASHSEED {seeds}"
    assert runs[0]["cert"].endswith(b"\n") and runs[0]["cert"].isascii()


def test_in_process_runs_are_identical(tmp_path):
    """Two runs in one process (warm caches) write the same bytes as each other."""
    files = []
    for i in range(2):
        model, cert = tmp_path / f"m{i}.json", tmp_path / f"c{i}.json"
        assert main(["prove", "a*x**2*y + y/5 - sqrt(2)", "--params", "a", "--save-model",
                     str(model), "--certificate", str(cert), "--trace", "--json"]) == 0
        files.append((model.read_bytes(), cert.read_bytes()))
    assert files[0] == files[1]


def test_variable_order_changes_the_bytes(tmp_path):
    """Control: the comparison above can fail (a different variable order is a
    different model file)."""
    outs = []
    for i, order in enumerate(["x,y", "y,x"]):
        model = tmp_path / f"order{i}.json"
        assert main(["prove", "x**2 + 3*y", "--vars", order, "--save-model", str(model),
                     "--json"]) == 0
        outs.append(model.read_bytes())
    assert outs[0] != outs[1]
