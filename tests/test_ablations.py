"""experiments/ablations.py on a tiny configuration: every ablation breaks exactness,
the intact models are proved, and docs/ is written only when asked."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "experiments" / "ablations.py"
TINY = ["--dim", "1", "--degree", "3", "--true-degree", "2", "--max-blocks", "3",
        "--sizes", "30,300", "--repeats", "3", "--seed", "5"]


@pytest.fixture(scope="module")
def ablations():
    spec = importlib.util.spec_from_file_location("ablations_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_run_writes_into_out_only(ablations, tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    monkeypatch.setattr(ablations, "DOCS", docs)
    out = ablations.main(TINY + ["--out", str(tmp_path / "run")])
    assert sorted(p.name for p in out.iterdir()) == [
        "ablations.json", "ablations.md", "ablations_regression.png"]
    assert not docs.exists()
    data = json.loads((out / "ablations.json").read_text())
    rows = {(r["construction"], r["variant"].split(" (")[0]): r for r in data["ablations"]}
    for name in ablations.CONSTRUCTIONS:
        intact = rows[(name, "intact")]
        assert intact["verdict"] == "proved" and intact["lstsq_test_rmse"] < 1e-9
        assert rows[(name, "fewer blocks")]["verdict"] == "refuted"
        assert "first_difference" in rows[(name, "fewer blocks")]
        assert rows[(name, "random blocks, same shapes")]["verdict"] != "proved"
        # fewer blocks than the degree: no readout can fit (the stream has degree < n);
        # masks removed or random blocks may still span the target numerically (d = 1)
        assert rows[(name, "fewer blocks")]["lstsq_test_rmse"] > 1e-4, name
        assert rows[(name, "fewer blocks")]["stream_degree"] < 3 <= intact["stream_degree"]
    for name in ("masked", "softmax", "logdepth"):
        assert rows[(name, "masks removed")]["verdict"] == "refuted"
    reg = data["regression"]
    assert {r["blocks"] for r in reg} == {1, 2, 3}
    # zero approximation error: in-sample excess error near sigma^2 N / m (mean of 3)
    for r in reg:
        if r["blocks"] >= 2 and r["m"] == 300:
            assert 0.3 < r["in_sample_excess"] / r["variance_theory"] < 3
        if r["blocks"] == 1:  # misspecified: the bias dominates
            assert r["test_mse"] > 20 * r["variance_theory"]


def test_update_docs_copies_the_report(ablations, tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    monkeypatch.setattr(ablations, "DOCS", docs)
    out = ablations.main(TINY + ["--out", str(tmp_path / "run"), "--update-docs"])
    assert (docs / "ablations.md").read_text() == (out / "ablations.md").read_text()
    assert (docs / "ablations_regression.png").read_bytes() == \
        (out / "ablations_regression.png").read_bytes()


def test_the_same_seed_gives_the_same_report(ablations, tmp_path):
    a = ablations.main(TINY + ["--out", str(tmp_path / "a")])
    b = ablations.main(TINY + ["--out", str(tmp_path / "b")])
    assert (a / "ablations.md").read_text() == (b / "ablations.md").read_text()


def test_bad_options_are_one_line_usage_errors(ablations, capsys):
    with pytest.raises(SystemExit) as exc:
        ablations.main(["--sizes", "a,b"])
    assert exc.value.code == 2 and "--sizes" in capsys.readouterr().err
