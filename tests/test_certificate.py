"""The certificate writer: format, canonical form and hash, traces, determinism,
the CLI options, and the stored theorem certificates."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from exactformer import CertificateError, checker, prove
from exactformer.formats.certificate import (certificate_for, certificate_from_proof,
                                             certificate_from_theorem, dumps, load_certificate,
                                             theorem_target, write_certificate)
from exactformer.cli import main
from exactformer.formats.model_json import model_from_json, model_to_json
from exactformer.theorem import prove_theorem
from exactformer.verify import Verdict

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "regenerate_certificates.py"


def load_script():
    spec = importlib.util.spec_from_file_location("regenerate_certificates", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_certificate_fields_and_hash():
    result = prove("x**3 - 2*x*y")
    cert = certificate_from_proof(result)
    assert cert["format"] == "exactformer-certificate/1"
    assert cert["kind"] == "identity" and cert["verdict"] == "proved"
    assert cert["rung"] == result.verdict.rung
    assert cert["trace"] is None
    assert model_from_json(cert["model"]) == result.model   # the whole model, losslessly
    body = {k: v for k, v in cert.items() if k != "sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert cert["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert sorted(map(tuple, (tuple(t[0]) for t in cert["target"]["terms"]))) == [(1, 1), (3, 0)]


def test_target_terms_are_exact_over_variables_and_params():
    cert = certificate_from_proof(prove("a*x**2 - b/3 + sqrt(2)*x", params="a,b"))
    tg = cert["target"]
    assert tg["variables"] == ["x"] and tg["params"][:2] == ["a", "b"]
    assert "sqrt(2)" in tg["params"]
    terms = {tuple(e): c for e, c in tg["terms"]}
    gens = tg["variables"] + tg["params"]
    assert terms[tuple({"x": 2, "a": 1}.get(g, 0) for g in gens)] == "1"
    assert terms[tuple(1 if g == "b" else 0 for g in gens)] == "-1/3"
    assert checker.check_certificate(cert).valid


def test_trace_holds_the_exact_intermediate_polynomials():
    result = prove("x**2*y + 1")
    cert = certificate_from_proof(result, trace=True)
    layers = cert["trace"]
    assert [layer["block"] for layer in layers] == list(range(result.model.depth + 1))
    # token 4 = x*y (graded order x, y, x**2, x*y, ...) gets m = x*y in block 2
    assert [4, 2, [[[1, 1], "1"]]] in layers[2]["entries"]
    # block 3 writes x**2*y into token 7 and nothing else changes there
    assert layers[3]["entries"] == [[t, 2, [[list(m), "1"]]] for t, m in
                                    [(6, (3, 0)), (7, (2, 1)), (8, (1, 2)), (9, (0, 3))]]
    assert checker.check_certificate(cert).valid


def test_theorem_certificate():
    result = prove_theorem(2, 3)
    cert = certificate_from_theorem(result)
    assert cert["kind"] == "theorem" and cert["theorem"] == {"dimension": 2, "degree": 3}
    assert len(cert["target"]["params"]) == 10 == result.model.tokens
    assert certificate_for(result) == cert
    assert cert["target"] == theorem_target(2, 3, ("x1", "x2"))
    assert checker.check_certificate(cert).valid


def test_refuted_result_has_no_certificate():
    result = prove("x**2 + 1")
    bad = replace(result, verdict=Verdict(False, result.verdict.rung, "refuted"))
    with pytest.raises(CertificateError, match="only a proved result"):
        certificate_from_proof(bad)


def test_writer_refuses_what_the_checker_cannot_confirm():
    """A ProofResult whose model does not compute its target (a changed readout) but
    that claims 'proved' is caught by the independent checker before writing."""
    result = prove("x**2 + 1")
    model = result.model
    t, c, _ = model.readout.entries[0]
    wrong = replace(result, model=replace(model, readout=model.readout.with_entry(t, c, 5)))
    with pytest.raises(CertificateError, match="cannot confirm.*differs from the target"):
        certificate_from_proof(wrong)


@given(st.dictionaries(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                       st.fractions(max_denominator=30).filter(bool), min_size=1, max_size=6),
       st.booleans())
def test_certificates_of_random_targets_check_and_are_deterministic(terms, trace):
    result = prove(terms, variables="x,y")
    cert = certificate_from_proof(result, trace=trace)
    assert checker.check_certificate(cert).valid
    again = certificate_from_proof(prove(terms, variables="x,y"), trace=trace)
    assert dumps(again) == dumps(cert)
    assert load_certificate(dumps(cert)) == cert


def test_load_certificate_refuses_bad_json():
    with pytest.raises(CertificateError, match="twice"):
        load_certificate('{"a": 1, "a": 2}')


def test_cli_prove_and_theorem_write_certificates(tmp_path, capsys):
    cert = tmp_path / "cert.json"
    assert main(["prove", "x**3 - 2*x*y", "--certificate", str(cert), "--trace"]) == 0
    assert "certificate" in capsys.readouterr().out
    data = json.loads(cert.read_text())
    assert data["trace"] is not None and data["kind"] == "identity"
    assert cert.read_text() == dumps(data)          # canonical on disk
    assert main(["check", str(cert)]) == 0
    assert "VALID" in capsys.readouterr().out
    thm = tmp_path / "thm.json"
    assert main(["theorem", "--dim", "3", "--degree", "5", "--certificate", str(thm),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["certificate"]["sha256"] == json.loads(thm.read_text())["sha256"]
    assert main(["check", str(thm), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "theorem"


def test_cli_certificate_errors(tmp_path, capsys):
    assert main(["prove", "x + 1", "--trace"]) == 2
    assert "--trace needs --certificate" in capsys.readouterr().err
    assert main(["prove", "x + 1", "--certificate", str(tmp_path / "no" / "c.json")]) == 2
    assert "cannot write" in capsys.readouterr().err


# ---------------------------------------------------------------- stored certificates

def test_stored_certificates_are_regenerated_byte_for_byte():
    script = load_script()
    for d, n in script.cases():
        stored = (script.DIRECTORY / script.filename(d, n)).read_text(encoding="ascii")
        assert script.certificate_text(d, n) == stored, (d, n)


@pytest.mark.parametrize("seed", ["0", "4242"])
def test_regeneration_is_deterministic_across_hash_seeds(seed):
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "up to date" in out.stdout


def test_regeneration_check_detects_a_changed_file(tmp_path, monkeypatch):
    script = load_script()
    monkeypatch.setattr(script, "DIRECTORY", tmp_path)
    monkeypatch.setattr(script, "cases", lambda: [(1, 2), (2, 1)])
    assert script.main([]) == 0
    assert script.main(["--check"]) == 0
    path = tmp_path / script.filename(2, 1)
    path.write_text(path.read_text().replace('"1"', '"2"', 1))
    assert script.main(["--check"]) == 1


def test_check_json_carries_the_verdict(tmp_path, capsys):
    import json as _json
    from exactformer.cli import main
    cert = tmp_path / "c.json"
    assert main(["prove", "x**2 - y", "--certificate", str(cert)]) == 0
    capsys.readouterr()
    assert main(["check", str(cert), "--json"]) == 0
    assert _json.loads(capsys.readouterr().out)["verdict"] == "proved"
