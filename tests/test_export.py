"""Float exports (numpy always; torch when installed) and reading them back by rational
reconstruction through check-model."""
from __future__ import annotations

import io
import json
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from exactformer import ModelFormatError, ParseError, build, check_model, make_target
from exactformer.cli import main
from exactformer.floats import arrays_from_model, float_forward, model_from_arrays
from exactformer.formats.npz import load_npz
from exactformer.formats.npz import save_npz
from exactformer.poly.box import box_from_meta
from exactformer.verify.box import claim_at
from reference import reference_forward

CONSTRUCTIONS = ("masked", "softmax", "relu", "logdepth")
TEXT = "3*x**2*y - y/7 + 2*x**3 - 1/3"


def _points(model, count, seed):
    rng = random.Random(seed)
    box = model.info.get("box")
    intervals = (box_from_meta(box).intervals if box
                 else [(Fraction(-2), Fraction(2))] * len(model.variables))
    return [[lo + (hi - lo) * Fraction(rng.randint(0, 10**4), 10**4) for lo, hi in intervals]
            for _ in range(count)]


def _close(got: float, exact: Fraction) -> bool:
    return abs(got - float(exact)) <= 1e-9 * max(1.0, abs(float(exact)))


@pytest.mark.parametrize("construction", CONSTRUCTIONS)
@given(st.integers(0, 10**6))
def test_numpy_export_matches_exact_values(construction, seed):
    model = build(TEXT, construction=construction)
    config, arrays = arrays_from_model(model)
    claim = make_target(TEXT)
    points = _points(model, 6, seed)
    ys = float_forward(config, arrays, np.array([[float(v) for v in p] for p in points]))
    for p, y in zip(points, ys):
        assert _close(float(y), claim_at(claim, p)), (p, y)


def test_export_shapes_are_standard():
    model = build(TEXT, construction="softmax")
    config, arrays = arrays_from_model(model)
    N, D = model.tokens, model.width
    assert arrays["embedding.base"].shape == (N, D)
    assert arrays["embedding.coefficients"].shape == (2, N, D)
    assert arrays["blocks.0.mask"].shape == (N, N) and arrays["blocks.0.mask"].dtype == bool
    assert arrays["blocks.0.ffn.w1"].shape == (D, 4) and arrays["blocks.0.ffn.b2"].shape == (D,)
    assert arrays["readout.weight"].shape == (N, D)
    assert [b["activation"] for b in config["blocks"]] == ["softmax"] * model.depth


@pytest.mark.parametrize("construction", CONSTRUCTIONS)
def test_npz_round_trip_by_rational_reconstruction(tmp_path, construction):
    model = build(TEXT, construction=construction)
    path = tmp_path / "m.npz"
    save_npz(model, path)
    config, arrays = load_npz(path.read_bytes())
    back = model_from_arrays(config, arrays)
    assert "rational reconstruction" in back.info["provenance"]
    assert back.blocks == model.blocks and back.readout == model.readout
    assert check_model(back, TEXT).proved


def test_reconstruction_of_a_perturbed_float_is_refuted(tmp_path):
    model = build(TEXT)
    config, arrays = arrays_from_model(model)
    arrays["readout.weight"] = arrays["readout.weight"].copy()
    t, c = map(int, np.argwhere(arrays["readout.weight"] != 0)[0])
    arrays["readout.weight"][t, c] += 1e-3
    result = check_model(model_from_arrays(config, arrays), TEXT)
    assert not result.proved and result.verdict.difference is not None


def test_limit_denominator_too_small_loses_one_seventh():
    config, arrays = arrays_from_model(build(TEXT))
    back = model_from_arrays(config, arrays, max_denominator=5)
    result = check_model(back, TEXT)
    assert not result.proved and "claim has -1/7" in str(result.verdict.difference)


def test_cli_export_and_check_model_labels_the_reconstruction(tmp_path, capsys):
    path = tmp_path / "relu.npz"
    code = main(["export-model", TEXT, "--construction", "relu", "--numpy", str(path)])
    out = capsys.readouterr().out
    assert code == 0 and "float64: numerical, not exact" in out and path.exists()
    code = main(["check-model", str(path), "--claim", TEXT, "--max-denominator", "1000000"])
    out = capsys.readouterr().out
    assert code == 0 and "rational reconstruction" in out and "not about the floats in the file" in out
    assert "PROVED (exact on a box (sign certificates))" in out
    code = main(["check-model", str(path), "--claim", TEXT + " + x", "--json",
                 "--max-denominator", "1000000"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["difference"]["monomial"] == "x"
    assert "rational reconstruction" in data["reconstruction"]


@pytest.mark.parametrize("argv, message", [
    (["export-model", "x + 1"], "--numpy"),
    (["export-model", "a*x", "--params", "a", "--numpy", "IGNORED"], "symbolic"),
])
def test_cli_export_errors(tmp_path, capsys, argv, message):
    argv = [str(tmp_path / "o.npz") if a == "IGNORED" else a for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_npz_is_a_format_error(tmp_path, capsys):
    path = tmp_path / "bad.npz"
    np.savez(path, something=np.zeros(3))
    assert main(["check-model", str(path), "--claim", "x"]) == 2
    assert "__config__" in capsys.readouterr().err
    with pytest.raises(ModelFormatError, match="NaN"):
        config, arrays = arrays_from_model(build("x + 1"))
        arrays["embedding.base"] = np.full_like(arrays["embedding.base"], np.nan)
        model_from_arrays(config, arrays)


# ---------------------------------------------------------------- torch (optional extra)
TORCH_REASON = "torch is an optional extra (pip install 'exactformer[torch]'); not installed"


@pytest.mark.parametrize("construction", CONSTRUCTIONS)
def test_torch_module_matches_exact_values(construction):
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    from exactformer.formats.torchscript import EncoderBlock, torch_module
    model = build(TEXT, construction=construction)
    module = torch_module(*arrays_from_model(model))
    assert len(module.blocks) == model.depth
    assert all(isinstance(b, EncoderBlock) for b in module.blocks)
    claim = make_target(TEXT)
    points = _points(model, 8, 3)
    with torch.no_grad():
        ys = module(torch.tensor([[float(v) for v in p] for p in points], dtype=torch.float64))
    for p, y in zip(points, ys.tolist()):
        assert _close(y, claim_at(claim, p))
        assert _close(y, reference_forward(model, p))


def test_torch_file_round_trip_and_check_model(tmp_path, capsys):
    pytest.importorskip("torch", reason=TORCH_REASON)
    from exactformer.formats.torchscript import load_torch
    path = tmp_path / "m.pt"
    assert main(["export-model", TEXT, "--construction", "softmax", "--torch", str(path)]) == 0
    capsys.readouterr()
    module = load_torch(str(path))
    assert module.config["blocks"][0]["activation"] == "softmax"
    assert main(["check-model", str(path), "--claim", TEXT]) == 1  # read exactly: 1/7 is no float
    assert "exact reading" in capsys.readouterr().out
    assert main(["check-model", str(path), "--claim", TEXT, "--max-denominator", "1000000"]) == 0
    out = capsys.readouterr().out
    assert "float64 torch export" in out and "rational reconstruction" in out
    assert main(["check-model", str(path), "--claim", "x"]) == 1
