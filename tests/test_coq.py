"""Coq export: coqc's kernel accepts the exported identity, and rejects a tampered one."""
from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest

from exactformer import CertificateError, checker, prove
from exactformer.formats.certificate import (certificate_from_proof, certificate_from_theorem,
                                             dumps)
from exactformer.cli import main
from exactformer.formats.coq.unrolled import export_coq
from exactformer.theorem import prove_theorem

COQC = shutil.which("coqc")
needs_coqc = pytest.mark.skipif(COQC is None, reason="coqc is not installed (the Debian "
                                "package coq; .ci/system-deps installs it for CI)")


def coqc(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([COQC, path.name], cwd=path.parent, capture_output=True, text=True,
                          timeout=300)


def test_export_text_states_the_identity():
    text = export_coq(certificate_from_proof(prove("x**2*y - 3*y/7 + 1")))
    assert "Require Import Reals." in text
    assert "Variables v_x v_y : R." in text
    assert "model_output = 1 + (-3/7) * v_y + v_x^2 * v_y." in text
    assert "field." in text          # a non-integer rational needs field
    assert "ring." in export_coq(certificate_from_proof(prove("x**2 - 2*x + 1")))


def test_export_refuses_invalid_or_non_polynomial_certificates():
    cert = certificate_from_proof(prove("x + 1"))
    bad = copy.deepcopy(cert)
    bad["target"]["terms"][0][1] = "7"
    with pytest.raises(CertificateError, match="does not check"):
        export_coq(bad)
    soft = copy.deepcopy(cert)
    for b in soft["model"]["blocks"]:
        b["attention"]["mask"] = [[0, 0], [0, 1]]
        b["attention"]["activation"] = "softmax"
    # token 0 attends to itself and token 1 with equal scores: weights 1/2, 1/2
    soft["target"]["terms"] = [[[0], "3/2"]]
    soft["model"]["readout"]["entries"] = [[0, 2, "1"]]
    soft[checker.HASH_FIELD] = checker.content_hash(soft)
    assert checker.check_certificate(soft).valid, checker.check_certificate(soft)
    with pytest.raises(CertificateError, match="softmax rows with a single key only"):
        export_coq(soft)


@needs_coqc
def test_coqc_accepts_single_key_softmax(tmp_path):
    from exactformer.constructions import CONSTRUCTIONS
    if "softmax" not in CONSTRUCTIONS:
        pytest.skip("the softmax construction is not available")
    cert = certificate_from_proof(prove("x**2 - 3*x + 1/2", construction="softmax"))
    path = tmp_path / "softmax.v"
    path.write_text(export_coq(cert))
    assert "exp_ratio" in path.read_text()
    out = coqc(path)
    assert out.returncode == 0, out.stdout + out.stderr


CASES = [("identity", "x**3 - 2*x*y/3 + 5"), ("identity", "a*x**2 - sqrt(2)*y + b/3"),
         ("identity", "7"), ("theorem", (1, 4)), ("theorem", (2, 2)), ("theorem", (2, 4))]


@needs_coqc
@pytest.mark.parametrize("kind,what", CASES, ids=[str(c[1]) for c in CASES])
def test_coqc_accepts_exported_proofs(tmp_path, kind, what):
    if kind == "theorem":
        cert = certificate_from_theorem(prove_theorem(*what))
    else:
        cert = certificate_from_proof(prove(what, params="a,b" if "a" in what else None))
    path = tmp_path / "proof.v"
    path.write_text(export_coq(cert))
    out = coqc(path)
    assert out.returncode == 0, out.stdout + out.stderr


@needs_coqc
def test_coqc_rejects_a_tampered_file(tmp_path):
    text = export_coq(certificate_from_theorem(prove_theorem(2, 3)))
    target = "model_output = "
    i = text.index(target) + len(target)
    # change the coefficient of one monomial in the statement: x1 * c_1_0 -> 2 * x1 * c_1_0
    line_end = text.index("\n", i)
    statement = text[i:line_end]
    assert "v_x1 * p_c_1_0" in statement
    tampered = text[:i] + statement.replace("v_x1 * p_c_1_0", "2 * v_x1 * p_c_1_0", 1) \
        + text[line_end:]
    path = tmp_path / "tampered.v"
    path.write_text(tampered)
    out = coqc(path)
    assert out.returncode != 0
    assert "Error" in out.stdout + out.stderr
    # and a tampered block equation (a query reading the wrong channel) fails too
    lines = text.splitlines()
    k = next(i for i, l in enumerate(lines) if l.startswith("Definition q2_"))
    lines[k] = lines[k].replace("_c0.", "_c1.")
    path.write_text("\n".join(lines) + "\n")
    assert coqc(path).returncode != 0


@needs_coqc
def test_cli_export_then_coqc(tmp_path, capsys):
    cert = tmp_path / "cert.json"
    assert main(["prove", "x**3 - 2*x*y", "--certificate", str(cert)]) == 0
    proof = tmp_path / "proof.v"
    # a masked proof certificate goes through the generic theorem by default
    # (tests/test_coq_generic.py); --unrolled writes the self-contained file
    assert main(["export", str(cert), "--coq", str(proof), "--unrolled"]) == 0
    assert "coqc" in capsys.readouterr().out
    assert coqc(proof).returncode == 0


def test_cli_export_refuses_a_bad_certificate(tmp_path, capsys):
    cert = tmp_path / "cert.json"
    data = certificate_from_proof(prove("x + 1"))
    data["target"]["terms"][0][1] = "3"
    cert.write_text(dumps(data))
    assert main(["export", str(cert), "--coq", str(tmp_path / "p.v")]) == 2
    assert "sha256 mismatch" in capsys.readouterr().err
    assert not (tmp_path / "p.v").exists()
