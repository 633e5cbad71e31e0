"""Hostile input: every reader (polynomial text, model JSON, certificates, CSV) either
succeeds or fails with ONE clean line on stderr and exit 2 (bad input) or 3 (limit);
never a traceback, never exit 4 (internal error), never a hang."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exactformer import checker
from exactformer.cli import main, time_limit
from exactformer.errors import ExactformerError, LimitExceeded
from exactformer.poly import make_target

CLEAN_FAILURES = {2, 3}
#: capsys is read (and so reset) after every example; the module fixture is read-only.
FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
SECONDS = 20  # a generous bound: every hostile input here is refused in well under 1 s


def run(capsys, *argv, codes=frozenset({0, 1, 2, 3})):
    """Run the CLI in-process; check the exit code and the one-line error contract."""
    start = time.monotonic()
    code = main([str(a) for a in argv])
    elapsed = time.monotonic() - start
    out = capsys.readouterr()
    assert code in codes, (code, out.err)
    assert code != 4, out.err
    assert "Traceback" not in out.err and "Traceback" not in out.out
    if code in CLEAN_FAILURES:
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("exactformer:"), out.err
    assert elapsed < SECONDS, f"{argv[:2]} took {elapsed:.1f} s"
    return code, out.out, out.err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A valid model and a valid certificate (written by the CLI itself)."""
    d = tmp_path_factory.mktemp("robust")
    model, cert = d / "model.json", d / "cert.json"
    assert main(["prove", "x**2 + 3*x*y - 1/7", "--save-model", str(model),
                 "--certificate", str(cert), "--json"]) == 0
    return {"dir": d, "model": model, "cert": cert,
            "model_json": json.loads(model.read_text()),
            "cert_json": json.loads(cert.read_text())}


# ------------------------------------------------------------------ polynomial text

EXPR_ALPHABET = list("xyz0123456789.e+-*/^() ,") + ["**", "sqrt(", "pi", "E", "sin(", "a"]
expr_text = st.lists(st.sampled_from(EXPR_ALPHABET), max_size=40).map("".join)


@given(st.one_of(st.text(max_size=80), expr_text))
def test_make_target_fails_only_with_named_errors(text):
    with time_limit(SECONDS):
        try:
            make_target(text)
        except ExactformerError:
            pass


@settings(max_examples=25, suppress_health_check=FIXTURE_OK)
@given(st.one_of(st.text(max_size=60), expr_text))
def test_prove_cli_on_random_text(capsys, text):
    run(capsys, "prove", text, "--timeout", SECONDS)


@pytest.mark.parametrize("text", [
    "(" * 5000 + "x" + ")" * 5000,           # deep nesting
    "-" * 100000 + "x",                       # deep unary chain
    "x" + "**x" * 3000,                       # tower of powers
    "x" + "+x" * 300000,                      # many tokens (fine or a limit, never a hang)
    "1" * 100000 + "*x",                      # a 100000-digit integer
    "0." + "0" * 5000 + "1*x",
    "1e999999*x", "1e-999999*x", "x**1e999999", "x**(10**10)", "(x+1)**100000",
    "(x+y+z+1)**10000", "2**2**2**2**2**2*x", "(10**2000)**(10**2000)",
    "x**-1", "x**(1/2)", "x**y", "1/(x-x)", "1/0", "0**-1", "sqrt(-1)", "sqrt(x)",
    "sqrt(1e999999)", "sqrt(10**200)*x", "\x00", "x\ny", "ｘ**2", "x\u200b+1", "",
    "   ", "__import__('os')", "x.__class__", "lambda: 1", "x;y", "x==y", "x = 1",
    "[x]", "{x}", "x'", "'x'", "x @ y", "exp(x)", "foo(x)", "x(1)", "1.2.3", "1e", "e1x",
], ids=lambda t: repr(t[:24]) + (f"..{len(t)}" if len(t) > 24 else ""))
def test_prove_cli_hostile_text(capsys, text):
    code, _, err = run(capsys, "prove", text, "--timeout", SECONDS)
    if code in CLEAN_FAILURES:
        assert "internal error" not in err


@pytest.mark.parametrize("text", ["x**(10**10)", "(x+1)**100000", "(x+y+z+1)**10000",
                                  "1e99999999*x", "x**1e999999", "(10**2000)**(10**2000)"])
def test_exponent_blowups_are_refused_before_expansion(text):
    start = time.perf_counter()
    with pytest.raises(LimitExceeded):
        make_target(text)
    assert time.perf_counter() - start < 0.5


# ------------------------------------------------------------------ model JSON

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20)


def _paths(obj, prefix=()):
    """Every path (tuple of keys/indices) into a JSON value."""
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


def _replace(obj, path, value):
    if not path:
        return value
    out = dict(obj) if isinstance(obj, dict) else list(obj)
    out[path[0]] = _replace(obj[path[0]], path[1:], value)
    return out


@settings(max_examples=20, suppress_health_check=FIXTURE_OK)
@given(st.binary(max_size=300))
def test_check_model_random_bytes(capsys, files, data):
    path = files["dir"] / "bytes.json"
    path.write_bytes(data)
    run(capsys, "check-model", path, "--claim", "x", "--timeout", SECONDS, codes={2, 3})


@settings(max_examples=30, suppress_health_check=FIXTURE_OK)
@given(st.data())
def test_check_model_mutated_model(capsys, files, data):
    model = files["model_json"]
    path = data.draw(st.sampled_from(sorted(_paths(model), key=repr)))
    value = data.draw(json_values)
    mutated = _replace(model, path, value)
    target = files["dir"] / "mutated_model.json"
    target.write_text(json.dumps(mutated))
    run(capsys, "check-model", target, "--claim", "x**2 + 3*x*y - 1/7", "--timeout", SECONDS)


def _bombs():
    """(name, file text) pairs of hostile JSON documents."""
    return [
        ("deep arrays", "[" * 200000 + "]" * 200000),
        ("deep objects", '{"a":' * 100000 + "1" + "}" * 100000),
        ("long string", '"' + "x" * 5_000_000 + '"'),
        ("huge exponent", '{"format": 1e999999}'),
        ("huge integer", '{"format": ' + "9" * 100000 + "}"),
        ("NaN", '{"format": NaN}'),
        ("Infinity", '{"format": -Infinity}'),
        ("duplicate keys", '{"format": "a", "format": "b"}'),
        ("not utf-8", b"\xff\xfe{}".decode("latin-1")),
        ("empty", ""),
        ("a list", "[]"),
        ("trailing garbage", "{} {}"),
    ]


@pytest.mark.parametrize("name, text", _bombs(), ids=[b[0] for b in _bombs()])
def test_model_json_bombs(capsys, files, name, text):
    path = files["dir"] / "bomb.json"
    path.write_bytes(text.encode("utf-8") if name != "not utf-8" else b"\xff\xfe{}")
    run(capsys, "check-model", path, "--claim", "x", "--timeout", SECONDS, codes={2, 3})


def _model_variant(model, how):
    m = json.loads(json.dumps(model))
    if how == "float weight":
        m["embedding"]["base"]["entries"][0][2] = 1.0
    elif how == "NaN weight":
        m["embedding"]["base"]["entries"][0][2] = "NaN"
    elif how == "huge rational":
        m["embedding"]["base"]["entries"][0][2] = "1/" + "7" * 4500
    elif how == "zero denominator":
        m["embedding"]["base"]["entries"][0][2] = "1/0"
    elif how == "shape mismatch":
        m["embedding"]["base"]["shape"] = [m["tokens"] + 1, m["width"]]
    elif how == "entry outside":
        m["embedding"]["base"]["entries"].append([999, 0, "1"])
    elif how == "unknown format":
        m["format"] = "exactformer-model/999"
    elif how == "unknown field":
        m["surprise"] = 1
    elif how == "missing field":
        del m["readout"]
    elif how == "negative tokens":
        m["tokens"] = -1
    elif how == "boolean tokens":
        m["tokens"] = True
    elif how == "wide bomb":
        n = m["tokens"] = m["width"] = 10**6
        m["embedding"] = {"base": {"shape": [n, n], "entries": []}, "coefficients": [
            {"shape": [n, n], "entries": []} for _ in m["variables"]]}
        m["blocks"], m["readout"] = [], {"shape": [n, n], "entries": [], "bias": "0"}
    elif how == "head bomb":
        m["blocks"][0]["attention"]["wq"]["shape"] = [m["width"], 10**9]
        m["blocks"][0]["attention"]["wk"]["shape"] = [m["width"], 10**9]
    elif how == "readout form bomb":
        m["readout"]["entries"][0][2] = "(a+b+c+d+e)**1000"
    elif how == "mask outside":
        m["blocks"][0]["attention"]["mask"] = [[0, 10**6]]
    return m


MODEL_VARIANTS = ["float weight", "NaN weight", "huge rational", "zero denominator",
                  "shape mismatch", "entry outside", "unknown format", "unknown field",
                  "missing field", "negative tokens", "boolean tokens", "wide bomb", "head bomb",
                  "readout form bomb", "mask outside"]


@pytest.mark.parametrize("how", MODEL_VARIANTS)
def test_malformed_models_are_refused(capsys, files, how):
    path = files["dir"] / "variant.json"
    path.write_text(json.dumps(_model_variant(files["model_json"], how)))
    code, _, err = run(capsys, "check-model", path, "--claim", "x**2 + 3*x*y - 1/7",
                       "--timeout", SECONDS, codes={2, 3})
    if how in ("wide bomb", "head bomb", "readout form bomb"):
        assert code == 3, err


# ------------------------------------------------------------------ certificates

def _rehash(cert: dict) -> dict:
    cert = dict(cert)
    cert[checker.HASH_FIELD] = checker.content_hash(cert)
    return cert


def test_certificate_fixture_is_valid(capsys, files):
    code, out, _ = run(capsys, "check", files["cert"])
    assert code == 0 and "VALID" in out


@settings(max_examples=20, suppress_health_check=FIXTURE_OK)
@given(st.binary(max_size=300))
def test_check_random_bytes(capsys, files, data):
    path = files["dir"] / "bytes_cert.json"
    path.write_bytes(data)
    run(capsys, "check", path, codes={2, 3})


@settings(max_examples=30, suppress_health_check=FIXTURE_OK)
@given(st.data())
def test_check_mutated_certificate(capsys, files, data):
    """Mutations are checked twice: as they are (the sha256 no longer matches, so the
    certificate can never be valid) and re-hashed (deeper validation paths)."""
    cert = files["cert_json"]
    path = data.draw(st.sampled_from(sorted((p for p in _paths(cert) if p), key=repr)))
    value = data.draw(json_values)
    mutated = _replace(cert, path, value)
    target = files["dir"] / "mutated_cert.json"
    target.write_text(json.dumps(mutated))
    changed = checker.canonical_bytes(mutated) != checker.canonical_bytes(cert)
    code, _, _ = run(capsys, "check", target, "--timeout", SECONDS)
    if changed:
        assert code != 0, f"changed certificate at {path} still valid"
    target.write_text(json.dumps(_rehash(mutated) if isinstance(mutated, dict) else mutated))
    run(capsys, "check", target, "--timeout", SECONDS)


@pytest.mark.parametrize("name, text", _bombs(), ids=[b[0] for b in _bombs()])
def test_certificate_json_bombs(capsys, files, name, text):
    path = files["dir"] / "cert_bomb.json"
    path.write_bytes(text.encode("utf-8") if name != "not utf-8" else b"\xff\xfe{}")
    run(capsys, "check", path, codes={2, 3})


def _cert_variant(cert, how):
    c = json.loads(json.dumps(cert))
    model = _model_variant(c["model"], how) if how in MODEL_VARIANTS else c["model"]
    c["model"] = model
    if how == "unknown certificate format":
        c["format"] = "exactformer-certificate/2"
    elif how == "float term":
        c["target"]["terms"][0][1] = 0.5
    elif how == "huge exponent term":
        c["target"]["terms"][0][0][0] = 10**6
    elif how == "wrong exponent count":
        c["target"]["terms"][0][0].append(0)
    elif how == "trace of wrong length":
        c["trace"] = []
    return _rehash(c)


CERT_VARIANTS = MODEL_VARIANTS + ["unknown certificate format", "float term",
                                  "huge exponent term", "wrong exponent count",
                                  "trace of wrong length"]


@pytest.mark.parametrize("how", CERT_VARIANTS)
def test_malformed_certificates_are_refused(capsys, files, how):
    path = files["dir"] / "cert_variant.json"
    path.write_text(json.dumps(_cert_variant(files["cert_json"], how)))
    code, _, err = run(capsys, "check", path, "--timeout", SECONDS, codes={1, 2, 3})
    if how in ("wide bomb", "head bomb", "readout form bomb"):
        assert code == 3, err


def test_checker_module_cli_on_bombs(files):
    """``python -m exactformer.checker`` (standard library only) on hostile files."""
    cases = {"huge integer": '{"format": ' + "9" * 100000 + "}",
             "deep arrays": "[" * 200000 + "]" * 200000,
             "NaN": '{"format": NaN}'}
    for name, text in cases.items():
        path = files["dir"] / f"module_{name.replace(' ', '_')}.json"
        path.write_text(text)
        proc = subprocess.run([sys.executable, "-m", "exactformer.checker", str(path)],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, (name, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    wide = files["dir"] / "module_wide.json"
    wide.write_text(json.dumps(_cert_variant(files["cert_json"], "wide bomb")))
    proc = subprocess.run([sys.executable, "-m", "exactformer.checker", str(wide)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3 and "limit exceeded" in proc.stderr, proc.stderr


@settings(max_examples=25, suppress_health_check=FIXTURE_OK)
@given(st.data())
def test_checker_in_process_never_raises(files, data):
    """check_bytes returns a Report for anything (no exception escapes the checker)."""
    cert = files["cert_json"]
    path = data.draw(st.sampled_from(sorted((p for p in _paths(cert) if p), key=repr)))
    mutated = _rehash(_replace(cert, path, data.draw(json_values)))
    report = checker.check_bytes(json.dumps(mutated), timeout=SECONDS)
    assert report.code in (0, 1, 2, 3)


# ------------------------------------------------------------------ CSV (fit)

@settings(max_examples=20, suppress_health_check=FIXTURE_OK)
@given(st.one_of(st.binary(max_size=200),
                 st.lists(st.lists(st.sampled_from(["x", "y", "1", "-0.5", "3/7", "1e999999",
                                                    "nan", "inf", "1/0", "", '"', "x,y",
                                                    "9" * 5000, "0x10", "1_000"]),
                                   min_size=1, max_size=4), max_size=5)
                 .map(lambda rows: "\n".join(",".join(r) for r in rows).encode())))
def test_fit_csv_loader(capsys, files, data):
    path = files["dir"] / "data.csv"
    path.write_bytes(data)
    run(capsys, "fit", path, "--degree", "1", "--timeout", SECONDS)


@pytest.mark.parametrize("text", ["x,y\n" + "1," * 1 + "9" * 5000 + "\n",
                                  "x,y\n1e999999,1\n", "x,y\n1e99999999,1\n",
                                  "x,y\n" + '"' * 100000, "x,x\n1,2\n", "x,y\nnan,1\n",
                                  "x,y\n" + "1,2\n" * 3, "\ufeffx,y\n1,2\n"],
                         ids=lambda t: repr(t[:16]))
def test_fit_csv_hostile(capsys, files, text):
    path = files["dir"] / "hostile.csv"
    path.write_text(text)
    run(capsys, "fit", path, "--degree", "1", "--timeout", SECONDS)


# ------------------------------------------------------------------ options

@pytest.mark.parametrize("argv", [
    ["prove", "x", "--timeout", "nan"], ["prove", "x", "--timeout", "-1"],
    ["prove", "x", "--timeout", "abc"], ["prove", "x", "--max-degree", "-1"],
    ["prove", "x", "--degree", "10**9"], ["prove", "x", "--vars", "x,x"],
    ["prove", "x", "--vars", "1x"], ["prove", "x*y", "--vars", "x"],
    ["prove", "x", "--construction", "nope"], ["prove", "x", "--domain", "[1,0]"],
    ["theorem", "--dim", "-1", "--degree", "2"], ["theorem", "--dim", "2", "--degree", "10**9"],
    ["check-model", "/nonexistent/file.json", "--claim", "x"], ["check", "/nonexistent"],
    ["check", "/"], ["check-model", "/", "--claim", "x"], ["fit", "/nonexistent", "--degree", "1"],
])
def test_bad_options_are_clean_errors(capsys, argv):
    run(capsys, *argv, codes={2, 3})


def test_timeout_is_a_limit(capsys, files):
    """A wall-clock limit hit mid-proof is exit 3 with a message naming --timeout."""
    code, _, err = run(capsys, "theorem", "--dim", "3", "--degree", "40", "--timeout", "0.05",
                       codes={3})
    assert "time limit" in err and "--timeout" in err


# ------------------------------------------------------------------ float exports (zip)

@settings(max_examples=20, suppress_health_check=FIXTURE_OK)
@given(st.binary(max_size=200))
def test_check_model_random_zip_like_bytes(capsys, files, data):
    """Files starting with PK are read as float exports (.npz/.pt): still clean errors."""
    path = files["dir"] / "fake.npz"
    path.write_bytes(b"PK\x03\x04" + data)
    run(capsys, "check-model", path, "--claim", "x", "--timeout", SECONDS, codes={2, 3})


def test_check_model_npz_with_hostile_config(capsys, files):
    import io
    import zipfile

    import numpy as np
    for config in ['{"format": ' + "9" * 5000 + "}", "[" * 100000, '{"format": NaN}', "{}"]:
        buf = io.BytesIO()
        np.savez(buf, __config__=np.array(config), w=np.zeros((2, 2)))
        path = files["dir"] / "hostile.npz"
        path.write_bytes(buf.getvalue())
        run(capsys, "check-model", path, "--claim", "x", "--timeout", SECONDS, codes={2, 3})
    zpath = files["dir"] / "pickle.npz"
    with zipfile.ZipFile(zpath, "w") as z:  # an object array needs pickle: refused
        buf = io.BytesIO()
        np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        z.writestr("w.npy", buf.getvalue())
    run(capsys, "check-model", zpath, "--claim", "x", "--timeout", SECONDS, codes={2, 3})


# ------------------------------------------------------------------ resource limits (exit 3)

@pytest.mark.parametrize("argv, message", [
    (["prove", "x + y + 1", "--max-input-chars", "5"], "characters"),
    (["prove", "x**7", "--max-degree", "6"], "degree"),
    (["prove", "(x+y+z)**4", "--max-terms", "10"], "terms"),
    (["prove", "x**5*y", "--max-tokens", "20"], "tokens"),
    (["prove", "123456*x", "--max-digits", "5"], "digits"),
    (["prove", "1e30*x", "--max-digits", "10"], "digits"),
    (["prove", "2**100*x", "--max-digits", "10"], "digits"),
    (["prove", "x**(10**10)"], "exponent"),
    (["prove", "(x+1)**100000"], "exponent"),
    (["prove", "(" * 1000 + "x" + ")" * 1000], "nested"),
    (["theorem", "--dim", "2", "--degree", "30", "--max-tokens", "100"], "tokens"),
    (["theorem", "--dim", "3", "--degree", "40", "--timeout", "0.05"], "time limit"),
])
def test_limits_exit_3_with_a_clear_message(capsys, argv, message):
    code, _, err = run(capsys, *argv, codes={3})
    assert err.startswith("exactformer: limit exceeded:") and message in err, err


def test_limits_are_checked_before_expansion():
    """Exponent blow-ups are refused in well under a second (no expansion happens)."""
    for text in ["x**(10**10)", "(x+1)**100000", "(x+y+z+w+1)**1000", "x**1e999999",
                 "(((x+1)**100)**100)**100"]:
        start = time.perf_counter()
        with pytest.raises(LimitExceeded):
            make_target(text)
        assert time.perf_counter() - start < 0.5, text


def test_model_file_limits(capsys, files, monkeypatch):
    path = files["dir"] / "limited.json"
    path.write_text(json.dumps(files["model_json"]))
    code, _, err = run(capsys, "check-model", path, "--claim", "x**2 + 3*x*y - 1/7",
                       "--max-tokens", "3", codes={3})
    assert "tokens" in err
    code, _, err = run(capsys, "check-model", path, "--claim", "x**2 + 3*x*y - 1/7",
                       "--max-digits", "0", codes={0, 3})  # readout "-1/7" parses as Fraction
    from exactformer.limits import Limits
    monkeypatch.setattr("exactformer.cli.common.options.DEFAULT_LIMITS", Limits(max_cells=10))
    code, _, err = run(capsys, "check-model", path, "--claim", "x**2 + 3*x*y - 1/7", codes={3})
    assert "cells" in err


def test_certificate_size_limit(capsys, files, monkeypatch):
    """A certificate larger than checker.MAX_BYTES is refused unread: exit 3."""
    size = files["cert"].stat().st_size
    monkeypatch.setattr(checker, "MAX_BYTES", size - 1)
    code, _, err = run(capsys, "check", files["cert"], codes={3})
    assert "larger than" in err
    monkeypatch.setattr(checker, "MAX_BYTES", size)
    run(capsys, "check", files["cert"], codes={0})


def test_certificate_product_limits(capsys, files, monkeypatch):
    """The checker refuses a product above MAX_PRODUCT_WORK before doing it (exit 3)."""
    monkeypatch.setattr(checker, "MAX_PRODUCT_WORK", 0)
    code, _, err = run(capsys, "check", files["cert"], codes={3})
    assert "limit" in err


# ------------------------------------------------------------------ regressions found by fuzzing

@pytest.mark.parametrize("key, value", [
    ("free_parameters", False), ("free_parameters", "9" * 5000), ("free_parameters", "-3"),
    ("box", "[0,1]^99999999"), ("box", "[0,1]^" + "9" * 5000), ("box", "[0,1" + "1" * 5000 + "]"),
    ("box", "[" * 1000), ("box", "[0,1]x" * 10000 + "[0,1]"), ("box", 7), ("dimension", "x"),
])
def test_hostile_model_meta(capsys, files, key, value):
    model = json.loads(json.dumps(files["model_json"]))
    model["meta"][key] = value
    path = files["dir"] / "meta.json"
    path.write_text(json.dumps(model))
    run(capsys, "check-model", path, "--claim", "x**2 + 3*x*y - 1/7", "--timeout", SECONDS)


@pytest.mark.parametrize("domain", ["[0,1]^99999999", "[0,1]^" + "9" * 5000,
                                    "[0,1" + "1" * 5000 + "]^2", "[0,1e999999]^2", "[nan,1]^2",
                                    "[1,0]^2", "[0,1]^-1", "", "[" * 5000])
def test_hostile_domain_option(capsys, domain):
    run(capsys, "prove", "x*y", "--construction", "relu", "--domain", domain, codes={2, 3})
