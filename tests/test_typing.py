"""The package type-checks under ``mypy --strict`` (configuration: pyproject.toml)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_strict_is_clean(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mypy", "-p", "exactformer",
                           "--cache-dir", str(tmp_path / "cache")],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert "No module named mypy" not in proc.stderr, "mypy is in the test extra: pip install -e '.[test]'"
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Success: no issues found" in proc.stdout


def test_the_configuration_is_strict():
    import tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["mypy"]["strict"] is True
    assert any(dep.startswith("mypy") for dep in config["project"]["optional-dependencies"]["test"])
    assert (ROOT / "exactformer" / "py.typed").is_file()
