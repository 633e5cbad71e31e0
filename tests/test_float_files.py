"""Float files (.npz, .pt) are read with the same semantics as they are run.

One schema (exactformer.floats.schema) says what a float file means; the numpy forward
pass and the exact reader both consume it. These tests check that, for exported files
and for many mutated ones, whatever polynomial the exact reader (and ``check-model``)
says the file computes is what the float forward pass computes at random points; that
every inconsistent or malformed file is refused with exit 2 or 3 and one line; and that
the checks themselves fail when the reader and the forward pass disagree.
"""
from __future__ import annotations

import io
import json
import random
import struct
import zipfile
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings, strategies as st

from exactformer import build, check_model, make_target
from exactformer.cli import main
from exactformer.engine.domains import RationalDomain
from exactformer.engine.interpreter import run
from exactformer.errors import ModelFormatError, NotExact
from exactformer.floats import (arrays_from_model, float_forward, model_from_float,
                                parse_float_file, run_float)
from exactformer.formats.npz import read_npz
from exactformer.floats import forward as float_model_module
from exactformer.formats import zip_archive
from exactformer.verify.box import claim_at

CONSTRUCTIONS = ("masked", "softmax", "relu", "logdepth")
TARGETS = ("x**2", "3*x**2*y - y/8 + 2*x - 1", "x**3 - 2*x*y + 1/2")


def npz_bytes(config, arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, __config__=np.array(json.dumps(config)), **arrays)
    return buf.getvalue()


def write(tmp_path, data: bytes, name="m.npz") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run_cli(capsys, argv) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def points_in(box_dim: int, count: int, rng: random.Random) -> list[list[Fraction]]:
    """Random points of [-1, 1]^d with dyadic coordinates (exact as floats)."""
    return [[Fraction(rng.randint(-2**20, 2**20), 2**20) for _ in range(box_dim)]
            for _ in range(count)]


def close(got: float, want, scale: float = 1.0) -> bool:
    want = float(want)
    return abs(got - want) <= 1e-7 * max(1.0, abs(want), scale)


def exact_value(model, point):
    """The exact model's output at a rational point (None where softmax scores differ,
    whose weights are irrational)."""
    try:
        trace = run(model, RationalDomain(point), record=False)
    except NotExact:
        return None
    H = trace.residuals[-1]
    return sum((v * H[t][c] for t, c, v in model.readout.entries), Fraction(0)) + \
        model.readout.bias


# ------------------------------------------------------------------ the reproducer
def _square_with_stray_masks() -> tuple[dict, dict]:
    """A masked file computing x**2 whose config says its blocks have no mask. Read
    without its masks it would compute 2*x**2 + 3*x (see DESIGN §2 (A): without masks
    every token adds xin_t * sum_j m_j)."""
    config, arrays = arrays_from_model(build("x**2"))
    assert sum(name.endswith(".mask") for name in arrays) == 2
    config = json.loads(json.dumps(config))
    for item in config["blocks"]:
        item["mask"] = False
    return config, arrays


def test_reproducer_stray_masks_are_refused_not_proved(tmp_path, capsys):
    config, arrays = _square_with_stray_masks()
    path = write(tmp_path, npz_bytes(config, arrays))
    code, out, err = run_cli(capsys, ["check-model", path, "--claim", "2*x**2 + 3*x"])
    assert code == 2 and out == "" and "PROVED" not in out
    assert "blocks.0.mask" in err and "mask is false" in err and len(err.splitlines()) == 1
    with pytest.raises(ModelFormatError, match="blocks.0.mask"):
        float_forward(config, arrays, [[0.5]])  # the forward pass refuses it too


def test_reproducer_made_consistent_computes_what_it_reads(tmp_path, capsys):
    """Drop the masks as well as the flags: now the file really computes 2x^2 + 3x, and
    the forward pass and the exact verdict say so together."""
    config, arrays = _square_with_stray_masks()
    arrays = {k: v for k, v in arrays.items() if not k.endswith(".mask")}
    path = write(tmp_path, npz_bytes(config, arrays))
    assert run_cli(capsys, ["check-model", path, "--claim", "2*x**2 + 3*x"])[0] == 0
    assert run_cli(capsys, ["check-model", path, "--claim", "x**2"])[0] == 1
    xs = np.linspace(-1, 1, 9)[:, None]
    assert np.allclose(float_forward(config, arrays, xs), 2 * xs[:, 0] ** 2 + 3 * xs[:, 0])


def test_config_says_mask_but_the_array_is_missing(tmp_path, capsys):
    config, arrays = arrays_from_model(build("x**2 + y"))
    del arrays["blocks.1.mask"]
    code, out, err = run_cli(capsys, ["check-model", write(tmp_path, npz_bytes(config, arrays)),
                                      "--claim", "x**2 + y"])
    assert code == 2 and "blocks.1.mask: is missing" in err and "mask is true" in err


# ------------------------------------------------------------------ agreement
def _files(seed: int):
    """(label, config, arrays, construction, target): exported files, then mutations of
    them that keep the file consistent (so they must be read, and read right)."""
    rng = random.Random(seed)
    construction = CONSTRUCTIONS[seed % 4]
    target = TARGETS[(seed // 4) % len(TARGETS)]
    model = build(target, construction=construction)
    config, arrays = arrays_from_model(model)
    yield "exported", config, arrays, construction, target
    for i in range(10):
        c, a = json.loads(json.dumps(config)), {k: v.copy() for k, v in arrays.items()}
        kind = rng.choice(["weight", "weight", "mask", "add-mask", "remove-mask",
                           "activation", "bias"])
        blocks = c["blocks"]
        k = rng.randrange(len(blocks)) if blocks else None
        if kind == "weight":
            names = [n for n in a if not n.endswith(".mask") and a[n].size]
            name = rng.choice(names)
            flat = a[name].reshape(-1)
            idx = rng.randrange(flat.size)
            flat[idx] += rng.choice([1.0, -1.0, 0.5, -0.25, 3.0, 1e-3, 0.1])
        elif kind == "bias":
            a["readout.bias"] = np.array(float(a["readout.bias"]) + rng.choice([1.0, -0.5, 1e-3]))
        elif kind == "mask" and k is not None and blocks[k]["mask"]:
            m = a[f"blocks.{k}.mask"]
            t, j = rng.randrange(m.shape[0]), rng.randrange(m.shape[1])
            m[t, j] = not m[t, j]
        elif kind == "add-mask" and k is not None and not blocks[k]["mask"]:
            N = c["tokens"]
            blocks[k]["mask"] = True
            a[f"blocks.{k}.mask"] = np.array([[rng.random() < 0.5 for _ in range(N)]
                                              for _ in range(N)])
        elif kind == "remove-mask" and k is not None and blocks[k]["mask"]:
            blocks[k]["mask"] = False
            del a[f"blocks.{k}.mask"]
        elif kind == "activation" and k is not None:
            others = [x for x in ("identity", "relu", "softmax") if x != blocks[k]["activation"]]
            blocks[k]["activation"] = rng.choice(others)
        else:
            continue
        yield f"{kind} #{i}", c, a, construction, target


def agreement_failures(tmp_path, capsys, seed: int, max_denominator=None) -> list[str]:
    """Every way, over the files of ``seed``, that the exact reading disagrees with the
    float forward pass; empty when they agree."""
    failures = []
    rng = random.Random(seed * 7919 + 1)
    for label, config, arrays, construction, target in _files(seed):
        data = npz_bytes(config, arrays)
        path = write(tmp_path, data, f"f{seed}.npz")
        fm = read_npz(data)
        model, _ = model_from_float(fm, max_denominator)
        points = points_in(len(fm.variables), 6, rng)
        ys = run_float(fm, np.array([[float(v) for v in p] for p in points]))
        scale = float(np.max(np.abs(ys))) if len(ys) else 1.0
        for p, y in zip(points, ys):  # the reader's exact model, pointwise
            want = exact_value(model, p)
            if want is not None and not close(float(y), want, 1e-3 * scale):
                failures.append(f"{label}: at {p} forward {y} but exact reading {float(want)}")
                break
        argv = ["check-model", path, "--timeout", "60"]
        if max_denominator is None:
            argv += ["--max-denominator", str(2**1074)]  # no float64 moves: exact
        try:
            result = check_model(model, target)
        except NotExact:
            result = None  # unequal softmax scores or an undecided relu sign: no claim made
        if result is not None and result.output_poly is not None:
            q = sympy.expand(result.output)
            code, out, err = run_cli(capsys, argv + ["--claim", str(q)])
            if code != 0:
                failures.append(f"{label}: the CLI does not prove what the reader computes "
                                f"({code}: {err.strip()[:200]})")
            claim = make_target(str(q), variables=list(fm.variables))
            for p, y in zip(points, ys):
                if not close(float(y), claim_at(claim, p), 1e-3 * scale):
                    failures.append(f"{label}: reader says {q}, but at {p} the forward "
                                    f"pass gives {y}")
                    break
            near_miss = f"({q}) + {fm.variables[0]}/1024" if fm.variables else f"{q} + 1"
            if run_cli(capsys, argv + ["--claim", near_miss])[0] != 1:
                failures.append(f"{label}: a near-miss claim was not refuted")
        code, out, err = run_cli(capsys, argv + ["--claim", target])
        if code == 0:  # a PROVED verdict about the file: the floats must compute it
            claim = make_target(target, variables=list(fm.variables))
            if not all(close(float(y), claim_at(claim, p)) for p, y in zip(points, ys)):
                failures.append(f"{label}: PROVED {target} but the forward pass differs")
        elif code not in (1, 2):
            failures.append(f"{label}: exit {code}: {err.strip()[:200]}")
        if label == "exported" and code != 0:
            failures.append(f"exported {construction} {target} not proved: {err[:200]}")
    return failures


@pytest.mark.parametrize("seed", range(32))
def test_exact_verdict_agrees_with_the_float_forward_pass(tmp_path, capsys, seed):
    failures = agreement_failures(tmp_path, capsys, seed)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("seed", [1, 6])
def test_agreement_with_the_labelled_rational_reconstruction(tmp_path, capsys, seed):
    """The default CLI reading (limit_denominator(10**6)) moves weights by < 1e-12 here:
    its verdicts must still match the floats within float tolerance."""
    failures = agreement_failures(tmp_path, capsys, seed, max_denominator=10**6)
    assert not failures, "\n".join(failures)


def test_the_agreement_check_catches_a_forward_pass_that_drops_masks(tmp_path, capsys,
                                                                      monkeypatch):
    """Mutation test: make the float forward pass disagree with the reader (it ignores
    every mask, the mirror image of the bug) and the agreement check must fail."""
    real = float_model_module.run_float

    def maskless(fm, X):
        from dataclasses import replace
        return real(replace(fm, blocks=tuple(replace(b, mask=None) for b in fm.blocks)), X)

    monkeypatch.setattr(float_model_module, "run_float", maskless)
    monkeypatch.setitem(globals(), "run_float", maskless)
    failures = agreement_failures(tmp_path, capsys, 0)  # seed 0: the masked construction
    assert any("forward" in f for f in failures), failures


def test_the_agreement_check_catches_a_reader_that_drops_masks(tmp_path, capsys,
                                                               monkeypatch):
    """Mutation test on the other side: the exact reader ignores masks."""
    import exactformer.floats.forward as fmod
    real = fmod.model_from_float

    def maskless(fm, max_denominator=None):
        from dataclasses import replace
        return real(replace(fm, blocks=tuple(replace(b, mask=None) for b in fm.blocks)),
                    max_denominator)

    monkeypatch.setattr(fmod, "model_from_float", maskless)
    monkeypatch.setitem(globals(), "model_from_float", maskless)
    failures = agreement_failures(tmp_path, capsys, 4)  # seed 4: masked, second target
    assert failures


def test_exact_dyadic_reading_is_the_float_itself():
    config, arrays = arrays_from_model(build("x/3 + 1/7"))
    fm = parse_float_file(config, arrays)
    exact, reading = model_from_float(fm)
    assert reading.max_denominator is None and "dyadic" in reading.describe()
    assert all(v.denominator & (v.denominator - 1) == 0 for _, _, v in exact.readout.entries)
    assert not check_model(exact, "x/3 + 1/7").proved  # 1/3 is not a float64
    rounded, reading = model_from_float(fm, 10**6)
    assert check_model(rounded, "x/3 + 1/7").proved
    assert reading.moved >= 2 and "moved by the rounding" in reading.describe()


def test_cli_labels_the_reading_honestly(tmp_path, capsys):
    path = str(tmp_path / "m.npz")
    assert run_cli(capsys, ["export-model", "x/3 + 1", "--numpy", path])[0] == 0
    # by default the file is read exactly: the float nearest 1/3 is not 1/3
    code, out, _ = run_cli(capsys, ["check-model", path, "--claim", "x/3 + 1", "--json"])
    data = json.loads(out)
    assert code == 1 and data["float_reading"] == "exact dyadic rationals"
    assert "the verdict is about the floats in the file" in data["reconstruction"]
    # rounding back to rationals is an explicit option, and the verdict says so
    code, out, _ = run_cli(capsys, ["check-model", path, "--claim", "x/3 + 1", "--json",
                                    "--max-denominator", "1000000"])
    data = json.loads(out)
    assert code == 0 and "limit_denominator(1000000)" in data["reconstruction"]
    assert "moved by the rounding" in data["reconstruction"]
    assert "not about the floats in the file" in data["reconstruction"]
    assert "ROUNDED" in data["verdict_about"]
    code, out, _ = run_cli(capsys, ["check-model", path, "--claim", "x/3 + 1",
                                    "--max-denominator", "1000000"])
    assert code == 0 and "PROVED" in out and "about the ROUNDED weights" in out


def test_a_weight_that_amplifies_rounding_cannot_fake_a_proof(tmp_path, capsys):
    """A channel 1e13*x read out with weight 1e-13: the floats compute x**2 + c*x with c
    the exact product of the two stored floats (not 1). Read exactly, the file is
    refuted for x**2 and for x**2 + x, and proved for what it computes."""
    from fractions import Fraction
    from exactformer.floats.forward import arrays_from_model, float_forward
    config, arrays = arrays_from_model(build("x**2"))
    N, D = arrays["embedding.base"].shape

    def grow(a, axis):
        return np.concatenate([a, np.zeros_like(a.take([0], axis=axis))], axis=axis)

    arrays["embedding.base"] = grow(arrays["embedding.base"], 1)
    coef = grow(arrays["embedding.coefficients"], 2)
    coef[0, 1, D] = 1e13
    arrays["embedding.coefficients"] = coef
    ro = grow(arrays["readout.weight"], 1)
    ro[1, D] = 1e-13
    arrays["readout.weight"] = ro
    for k in list(arrays):
        if k.endswith((".wq", ".wk", ".wv")):
            arrays[k] = grow(arrays[k], 0)
        elif k.endswith(".wo"):
            arrays[k] = grow(arrays[k], 1)
    config = dict(config, width=D + 1)
    evil = tmp_path / "evil.npz"
    np.savez(evil, __config__=np.array(json.dumps(config, sort_keys=True)), **arrays)
    y = float_forward(config, arrays, np.array([[1.0], [2.0], [3.0]]))
    assert np.allclose(y, [2.0, 6.0, 12.0])  # the floats compute x**2 + x (nearly)
    c = Fraction(1e13) * Fraction(1e-13)
    assert c != 1
    for claim in ("x**2", "x**2 + x"):
        assert run_cli(capsys, ["check-model", str(evil), "--claim", claim])[0] == 1, claim
    assert run_cli(capsys, ["check-model", str(evil), "--claim",
                            f"x**2 + {c.numerator}/{c.denominator}*x"])[0] == 0


# ------------------------------------------------------------------ refused files
def _valid():
    config, arrays = arrays_from_model(build("x**2 + y", construction="softmax"))
    return json.loads(json.dumps(config)), arrays


def _set(path, value):
    def edit(config, arrays):
        target = config
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


def _array(name, value):
    def edit(config, arrays):
        arrays[name] = value
    return edit


def _drop(name):
    def edit(config, arrays):
        del arrays[name]
    return edit


INCONSISTENT = {
    "0-d weight": _array("embedding.base", np.array(1.0)),
    "0-d wq": _array("blocks.0.wq", np.array(2.0)),
    "string bias": _array("readout.bias", np.array("abc")),
    "vector bias": _array("readout.bias", np.zeros(2)),
    "integer weights": _array("blocks.0.wk", np.ones((4, 1), dtype=np.int64)),
    "complex weights": _array("blocks.0.wk", np.ones((4, 1), dtype=complex)),
    "bool weights": _array("blocks.0.wk", np.ones((4, 1), dtype=bool)),
    "float mask": _array("blocks.0.mask", np.ones((6, 6))),
    "mask of wrong shape": _array("blocks.0.mask", np.ones((6, 5), dtype=bool)),
    "wrong width": _array("blocks.0.wv", np.ones((5, 1))),
    "head sizes differ": _array("blocks.0.wk", np.ones((4, 2))),
    "NaN weight": _array("blocks.0.wq", np.full((4, 1), np.nan)),
    "inf bias": _array("readout.bias", np.array(np.inf)),
    "extra array": _array("blocks.0.extra", np.zeros(3)),
    "array of a block that is not there": _array("blocks.9.wq", np.zeros((3, 1))),
    "stray FFN": _array("blocks.1.ffn.w9", np.zeros((3, 1))),
    "missing array": _drop("blocks.0.wo"),
    "missing FFN array": _drop("blocks.0.ffn.b2"),
    "mask flag off": _set(("blocks", 0, "mask"), False),
    "FFN flag off": _set(("blocks", 0, "ffn"), None),
    "non-dict meta": _set(("meta",), ["a", "b"]),
    "meta with a number": _set(("meta", "degree"), 2),
    "bad box in meta": _set(("meta", "box"), "[0,1]^999999999999"),
    "box of the wrong dimension": _set(("meta", "box"), "[0,1]^3"),
    "tokens as text": _set(("tokens",), "6"),
    "tokens as float": _set(("tokens",), 6.0),
    "tokens as bool": _set(("tokens",), True),
    "huge tokens": _set(("tokens",), 10**40),
    "variables not a list": _set(("variables",), "xy"),
    "variable not ASCII": _set(("variables",), ["x", "\u0445"]),
    "duplicate variables": _set(("variables",), ["x", "x"]),
    "blocks not a list": _set(("blocks",), {"0": 1}),
    "block not an object": _set(("blocks", 0), "softmax"),
    "unknown activation": _set(("blocks", 0, "activation"), "tanh"),
    "mask flag as text": _set(("blocks", 0, "mask"), "yes"),
    "unknown FFN": _set(("blocks", 0, "ffn"), "gelu"),
    "unknown config key": _set(("extra",), 1),
    "unknown block key": _set(("blocks", 0, "scale"), 2),
    "wrong format": _set(("format",), "exactformer-float/0"),
    "wrong dtype": _set(("dtype",), "float32"),
}


@pytest.mark.parametrize("case", sorted(INCONSISTENT))
def test_inconsistent_files_are_refused_with_one_line(tmp_path, capsys, case):
    config, arrays = _valid()
    INCONSISTENT[case](config, arrays)
    data = npz_bytes(config, arrays)
    code, out, err = run_cli(capsys, ["check-model", write(tmp_path, data),
                                      "--claim", "x**2 + y"])
    assert code in (2, 3) and out == "", (code, out, err)
    assert len(err.splitlines()) == 1 and "internal error" not in err, err
    with pytest.raises(ModelFormatError):  # the forward pass reads through the same schema
        read_npz(data)


def _npy(header: dict, payload: bytes = b"", version=(1, 0)) -> bytes:
    buf = io.BytesIO()
    writer = (np.lib.format.write_array_header_1_0 if version == (1, 0)
              else np.lib.format.write_array_header_2_0)
    writer(buf, header)
    return buf.getvalue() + payload


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    return buf.getvalue()


def _with_member(name: str, raw: bytes) -> bytes:
    config, arrays = _valid()
    data = npz_bytes(config, arrays)
    members = {n: zipfile.ZipFile(io.BytesIO(data)).read(n)
               for n in zipfile.ZipFile(io.BytesIO(data)).namelist()}
    members[name] = raw
    return _zip(members)


def _config_member(text: str) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array(text))
    return _with_member("__config__.npy", buf.getvalue())


def _object_array() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, __config__=np.array("{}"), evil=np.array([{"a": 1}], dtype=object))
    return buf.getvalue()


def _truncated() -> bytes:
    data = npz_bytes(*_valid())
    return data[: len(data) // 2]


def _lying_size() -> bytes:
    data = bytearray(_with_member("blocks.0.wq.npy", np.lib.format.magic(1, 0) + b"\0" * 4096))
    cd = data.rfind(b"PK\x01\x02")  # declare the last member 10 bytes long
    struct.pack_into("<I", data, cd + 24, 10)
    return bytes(data)


MALFORMED = {
    "not a zip": lambda: b"PK not really a zip",
    "empty zip": lambda: _zip({}),
    "truncated zip": _truncated,
    "no config": lambda: _zip({"a.npy": _npy({"descr": "<f8", "fortran_order": False,
                                              "shape": (1,)}, b"\0" * 8)}),
    "config JSON a list": lambda: _config_member("[1, 2]"),
    "config JSON a number": lambda: _config_member("3"),
    "config JSON a string": lambda: _config_member('"exactformer-float/1"'),
    "config JSON null": lambda: _config_member("null"),
    "config not JSON": lambda: _config_member("{not json"),
    "config deeply nested": lambda: _config_member("[" * 100000 + "]" * 100000),
    "config with a 5000-digit number": lambda: _config_member('{"tokens": ' + "9" * 5000 + "}"),
    "object array (pickle)": _object_array,
    "huge shape header": lambda: _with_member("blocks.0.wq.npy", _npy(
        {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}, b"\0" * 64)),
    "negative shape header": lambda: _with_member("blocks.0.wq.npy", _npy(
        {"descr": "<f8", "fortran_order": False, "shape": (-1, 3)}, b"\0" * 64)),
    "truncated array": lambda: _with_member("blocks.0.wq.npy", _npy(
        {"descr": "<f8", "fortran_order": False, "shape": (3, 1)}, b"\0" * 16)),
    "structured dtype": lambda: _with_member("blocks.0.wq.npy", _npy(
        {"descr": [("a", "<f8")], "fortran_order": False, "shape": (3,)}, b"\0" * 24)),
    "object dtype header": lambda: _with_member("blocks.0.wq.npy", _npy(
        {"descr": "|O", "fortran_order": False, "shape": (3,)}, b"\0" * 24)),
    "bad npy magic": lambda: _with_member("blocks.0.wq.npy", b"\x93NUMPX" + b"\0" * 64),
    "npy version 3": lambda: _with_member("blocks.0.wq.npy", b"\x93NUMPY\x03\x00" + b"\0" * 64),
    "member that is not .npy": lambda: _with_member("readme.txt", b"hello"),
    "lying declared size": _lying_size,
    "text array": lambda: _with_member("blocks.0.wq.npy", _npy(
        {"descr": "<U1", "fortran_order": False, "shape": (3, 1)}, "abc".encode("utf-32-le"))),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_npz_exits_2_or_3_with_one_line(tmp_path, capsys, case):
    code, out, err = run_cli(capsys, ["check-model", write(tmp_path, MALFORMED[case]()),
                                      "--claim", "x"])
    assert code in (2, 3) and out == "", (code, out, err)
    assert len(err.splitlines()) == 1 and "internal error" not in err, err


def test_zip_bomb_is_refused_before_unpacking(tmp_path, capsys, monkeypatch):
    """A member declaring more bytes than the limit is refused from the zip directory
    alone (the limit is lowered here so that the test stays small)."""
    monkeypatch.setattr(zip_archive, "MAX_UNPACKED_BYTES", 1 << 20)
    bomb = _with_member("blocks.0.wq.npy", _npy(
        {"descr": "<f8", "fortran_order": False, "shape": (1 << 18,)}, b"\0" * (8 << 18)))
    assert len(bomb) < 20_000
    code, out, err = run_cli(capsys, ["check-model", write(tmp_path, bomb), "--claim", "x"])
    assert code == 3 and "would unpack to" in err and len(err.splitlines()) == 1


def test_big_endian_and_float32_files_are_read_exactly(tmp_path, capsys):
    config, arrays = arrays_from_model(build("x**2 - x/2 + 1/4"))
    arrays = {k: (v.astype(">f8") if v.dtype.kind == "f" else v) for k, v in arrays.items()}
    arrays["readout.weight"] = arrays["readout.weight"].astype(np.float32)
    path = write(tmp_path, npz_bytes(config, arrays))
    assert run_cli(capsys, ["check-model", path, "--claim", "x**2 - x/2 + 1/4"])[0] == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzzed_npz_bytes_never_crash(tmp_path, capsys, data):
    """Random byte edits and cuts of a valid file: a verdict (0/1) if it is still a valid
    file, else exit 2 or 3 with one line; never exit 4, never a traceback."""
    raw = bytearray(npz_bytes(*_valid()))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(2, len(raw)))]
    raw[:2] = b"PK"
    code, out, err = run_cli(capsys, ["check-model", write(tmp_path, bytes(raw)),
                                      "--claim", "x**2 + y"])
    assert code in (0, 1, 2, 3), err
    if code in (2, 3):
        assert len(err.splitlines()) == 1 and "internal error" not in err, err


JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**30, 10**30)
                    | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["format", "dtype", "variables", "tokens", "width", "blocks", "meta",
                        "blocks.0", "blocks.0.activation", "blocks.0.mask", "blocks.0.ffn",
                        "blocks.1", "meta.box"]), JSON)
def test_fuzzed_config_values_are_decided_or_refused(tmp_path, capsys, where, value):
    config, arrays = _valid()
    keys = [int(k) if k.isdigit() else k for k in where.split(".")]
    _set(tuple(keys), value)(config, arrays)
    code, out, err = run_cli(capsys, ["check-model", write(tmp_path, npz_bytes(config, arrays)),
                                      "--claim", "x**2 + y"])
    assert code in (0, 1, 2, 3), err
    if code in (2, 3):
        assert len(err.splitlines()) == 1 and "internal error" not in err, err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(_valid()[1])), st.sampled_from(
    ["float64", "float32", "float16", "int8", "bool", "complex64", "uint16"]),
    st.lists(st.integers(0, 7), max_size=3))
def test_fuzzed_array_shapes_and_dtypes(tmp_path, capsys, name, dtype, shape):
    config, arrays = _valid()
    arrays[name] = np.ones(tuple(shape), dtype=dtype)
    code, out, err = run_cli(capsys, ["check-model", write(tmp_path, npz_bytes(config, arrays)),
                                      "--claim", "x**2 + y"])
    assert code in (0, 1, 2, 3), err
    if code in (2, 3):
        assert len(err.splitlines()) == 1 and "internal error" not in err, err


# ------------------------------------------------------------------ torch files
TORCH_REASON = "torch is an optional extra (pip install 'exactformer[torch]'); not installed"


def _torch_zip() -> bytes:
    return _zip({"archive/data.pkl": b"\x80\x02}q\x00.", "archive/version": b"3\n"})


def test_pt_file_without_torch_or_malformed_exits_2_with_one_line(tmp_path, capsys):
    code, out, err = run_cli(capsys, ["check-model", write(tmp_path, _torch_zip(), "m.pt"),
                                      "--claim", "x"])
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err


def _torch_file(edit) -> bytes:
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    from exactformer.formats.torchscript import save_torch
    config, arrays = _valid()
    buf = io.BytesIO()
    save_torch(config, arrays, buf)
    obj = torch.load(io.BytesIO(buf.getvalue()), weights_only=True)
    edit(obj, torch)
    out = io.BytesIO()
    torch.save(obj, out)
    return out.getvalue()


TORCH_MALFORMED = {
    "unknown entry": lambda o, t: o["state_dict"].__setitem__("blocks.1.extra", t.zeros(1)),
    "mask flag off": lambda o, t: o["config"]["blocks"][0].__setitem__("mask", False),
    "missing weight": lambda o, t: o["state_dict"].pop("blocks.0.q.weight"),
    "0-d weight": lambda o, t: o["state_dict"].__setitem__("base", t.tensor(1.0)),
    "NaN": lambda o, t: o["state_dict"].__setitem__("readout_bias",
                                                     t.tensor(float("nan"), dtype=t.float64)),
    "bfloat16": lambda o, t: o["state_dict"].__setitem__(
        "readout", o["state_dict"]["readout"].to(t.bfloat16)),
    "non-dict meta": lambda o, t: o["config"].__setitem__("meta", [1]),
    "config not an object": lambda o, t: o.__setitem__("config", [1, 2]),
    "state_dict not a dict": lambda o, t: o.__setitem__("state_dict", [1]),
    "wrong shapes": lambda o, t: o.__setitem__("shapes", []),
    "extra key": lambda o, t: o.__setitem__("extra", 1),
    "format a tensor": lambda o, t: o.__setitem__("format", t.zeros(2)),
    "shapes holding tensors": lambda o, t: o.__setitem__("shapes", [{"head": t.ones(2)}] * 2),
    "tokens a tensor": lambda o, t: o["config"].__setitem__("tokens", t.tensor(6)),
    "tokens a 5000-digit integer": lambda o, t: o["config"].__setitem__("tokens", 10**5000),
    "activation a tensor": lambda o, t: o["config"]["blocks"][0].__setitem__("activation",
                                                                             t.zeros(3)),
    "sparse tensor": lambda o, t: o["state_dict"].__setitem__(
        "readout", o["state_dict"]["readout"].to_sparse()),
    "config key a number": lambda o, t: o["config"].__setitem__(10**5000, 1),
}


@pytest.mark.parametrize("case", sorted(TORCH_MALFORMED))
def test_malformed_pt_exits_2_with_one_line(tmp_path, capsys, case):
    data = _torch_file(TORCH_MALFORMED[case])
    code, out, err = run_cli(capsys, ["check-model", write(tmp_path, data, "m.pt"),
                                      "--claim", "x**2 + y"])
    assert code in (2, 3) and out == "", (code, out, err)
    assert len(err.splitlines()) == 1 and "internal error" not in err, err


def test_pt_round_trip_agrees_with_the_npz_reading(tmp_path, capsys):
    pytest.importorskip("torch", reason=TORCH_REASON)
    data = _torch_file(lambda o, t: None)
    path = write(tmp_path, data, "m.pt")
    assert run_cli(capsys, ["check-model", path, "--claim", "x**2 + y"])[0] == 0
    assert run_cli(capsys, ["check-model", path, "--claim", "x**2 + 2*y"])[0] == 1


@pytest.mark.parametrize("seed", range(8))
def test_torch_module_runs_every_file_as_numpy_does(seed):
    """The torch module is built from the same description: on exported and mutated
    files (masks added, removed, flipped; activations changed) it agrees with numpy."""
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    from exactformer.formats.torchscript import module_float_model, torch_module
    rng = random.Random(seed)
    for label, config, arrays, _, _ in _files(seed):
        fm = parse_float_file(config, arrays)
        module = torch_module(fm)
        assert module_float_model(module).config() == fm.config()
        X = np.array([[rng.uniform(-1, 1) for _ in fm.variables] for _ in range(5)])
        with torch.no_grad():
            got = module(torch.tensor(X)).numpy()
        assert np.allclose(got, run_float(fm, X), rtol=1e-9, atol=1e-9), label
