"""The output convention of every script in experiments/: results go to --out DIR or,
by default, to a fresh folder; the committed files in docs/ change only with
--update-docs, and fixed_vs_trained refuses --update-docs without torch.

Each script runs as a user would run it (a subprocess, in its cheap mode); the system
temporary folder is pointed at the test's own folder (TMPDIR, which ``tempfile``
honours) so that the fresh default folder can be found and nothing is left behind."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXPERIMENTS = ROOT / "experiments"

CHEAP = {
    "ablations": ["--dim", "1", "--degree", "3", "--true-degree", "2", "--max-blocks", "3",
                  "--sizes", "30,300", "--repeats", "3"],
    "error_vs_degree": ["--quick"],
    "fixed_vs_trained": ["--quick"],
    "float_error": ["--max-degree", "1", "--samples", "100"],
    "sample_size_noise": ["--quick"],
}
WRITES = {
    "ablations": {"ablations.md", "ablations_regression.png", "ablations.json"},
    "error_vs_degree": {"error_vs_degree.md", "error_vs_degree.png"},
    "fixed_vs_trained": {"fixed_vs_trained.md", "fixed_vs_trained.png"},
    "float_error": {"float_error.md", "float_error.png", "float_error.json"},
    "sample_size_noise": {"sample_size_noise.md", "sample_size_noise.png"},
}
# runs a script with `import torch` failing, as on a machine without torch
WITHOUT_TORCH = ("import runpy, sys; sys.modules['torch'] = None; sys.argv = sys.argv[1:]; "
                 "runpy.run_path(sys.argv[0], run_name='__main__')")


def test_every_script_is_covered():
    assert {p.stem for p in EXPERIMENTS.glob("*.py") if not p.name.startswith("_")} == set(CHEAP)


def docs_hashes() -> dict[str, str]:
    return {str(p.relative_to(DOCS)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(DOCS.rglob("*")) if p.is_file()}


@pytest.fixture
def docs_unchanged():
    before = docs_hashes()
    assert before, "docs/ holds the committed pages"
    yield
    assert docs_hashes() == before


def run(name: str, args: list[str], tmp_path: Path, torch: bool = True):
    """Run experiments/NAME.py; returns (completed process, the system temp folder)."""
    tmp = tmp_path / "system-tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmp), MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    script = str(EXPERIMENTS / f"{name}.py")
    cmd = [sys.executable, script] if torch else [sys.executable, "-c", WITHOUT_TORCH, script]
    proc = subprocess.run(cmd + args, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    return proc, tmp


def fresh_folders(tmp: Path) -> list[Path]:
    """What the scripts made in the system temp folder (torch keeps caches there too)."""
    return sorted(p for p in tmp.iterdir() if p.name.startswith("exactformer-"))


def written_folder(proc) -> Path:
    """The folder named on the script's report line 'wrote ... into DIR'."""
    line = next(x for x in reversed(proc.stdout.splitlines()) if x.startswith("wrote "))
    return Path(line.rsplit(" into ", 1)[1])


@pytest.mark.parametrize("name", sorted(CHEAP))
def test_default_writes_a_fresh_folder(name, tmp_path, docs_unchanged):
    proc, tmp = run(name, CHEAP[name], tmp_path)
    assert proc.returncode == 0, proc.stderr
    fresh = fresh_folders(tmp)
    assert len(fresh) == 1 and fresh[0].is_dir() and name in fresh[0].name
    assert written_folder(proc).resolve() == fresh[0].resolve()
    assert {p.name for p in fresh[0].iterdir()} == WRITES[name]
    assert not (tmp_path / "docs").exists()
    if name == "fixed_vs_trained":  # torch is installed here: the trained rows are in
        assert "trained transformer (2 layers" in (fresh[0] / f"{name}.md").read_text()


@pytest.mark.parametrize("name", sorted(CHEAP))
def test_out_writes_there_only(name, tmp_path, docs_unchanged):
    out = tmp_path / "results" / "run"   # a folder that does not exist yet
    torch = name != "fixed_vs_trained"   # that one without torch: the page must say so
    proc, tmp = run(name, CHEAP[name] + ["--out", str(out)], tmp_path, torch=torch)
    assert proc.returncode == 0, proc.stderr
    assert written_folder(proc).resolve() == out.resolve()
    assert {p.name for p in out.iterdir()} == WRITES[name]
    assert fresh_folders(tmp) == []
    page = (out / f"{name}.md").read_text()
    assert page.startswith("# ") and "|---|" in page
    if name == "fixed_vs_trained":
        assert "trained-transformer rows are missing" in page
        assert "trained transformer (2 layers" not in page
        assert "torch is not installed" in proc.stderr


@pytest.mark.parametrize("name", sorted(CHEAP))
def test_out_that_is_a_file_is_refused(name, tmp_path, docs_unchanged):
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me\n")
    proc, tmp = run(name, CHEAP[name] + ["--out", str(taken)], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "--out" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert taken.read_text() == "keep me\n" and fresh_folders(tmp) == []


@pytest.mark.parametrize("name", sorted(CHEAP))
def test_help_shows_both_forms(name, tmp_path):
    proc, _ = run(name, ["--help"], tmp_path)
    assert proc.returncode == 0
    for form in ("--out", "--update-docs"):
        assert any(line.strip().startswith(f"python experiments/{name}.py")
                   and form in line for line in proc.stdout.splitlines()), form


def test_update_docs_without_torch_is_refused(tmp_path, docs_unchanged):
    proc, tmp = run("fixed_vs_trained", ["--update-docs"], tmp_path, torch=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "torch" in proc.stderr
    assert "trained rows" in proc.stderr
    assert fresh_folders(tmp) == []


def test_quick_update_docs_and_out_in_docs_are_refused(tmp_path, docs_unchanged):
    proc, tmp = run("error_vs_degree", ["--quick", "--update-docs"], tmp_path)
    assert proc.returncode == 2 and "--update-docs" in proc.stderr
    inside = DOCS / "scratch-run"
    proc, tmp = run("error_vs_degree", ["--quick", "--out", str(inside)], tmp_path)
    assert proc.returncode == 2 and "docs/" in proc.stderr
    assert not inside.exists() and fresh_folders(tmp) == []
