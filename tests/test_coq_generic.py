"""The theorem for every d and n in Coq (proofs/coq), and instances exported through it.

check.sh must compile the development and find masked_zero_error closed under the
global context; a mutated construction (a mask moved by one token) or a mutated
semantics (the mask no longer applied) must NOT compile; an exported certificate of
construction A must compile for d = 3, n = 8, and a certificate whose weights or masks
differ from the construction must fail Coq's computational check, even where the
Python checker accepts it.
"""
from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from exactformer import CertificateError, checker
from exactformer.certificate import certificate_from_theorem
from exactformer.cli import main
from exactformer.coq_masked import export_coq_masked, is_generic_masked
from exactformer.theorem import prove_theorem

ROOT = Path(__file__).resolve().parents[1]
COQ_DIR = ROOT / "proofs" / "coq"
CERTS = ROOT / "proofs" / "certificates"
COQC = shutil.which("coqc")


def _libraries_missing() -> str | None:
    if COQC is None:
        return "coqc is not installed (Debian package coq; .ci/system-deps installs it)"
    where = subprocess.run([COQC, "-where"], capture_output=True, text=True).stdout.strip()
    for lib in ("mathcomp/ssreflect", "mathcomp/algebra", "SsrMultinomials"):
        if not (Path(where) / "user-contrib" / lib).is_dir():
            return (f"{lib} is not installed under {where} (libcoq-mathcomp-*; "
                    ".ci/system-deps installs them)")
    return None


MISSING = _libraries_missing()
needs_coq = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


def run_check(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(directory / "check.sh")], capture_output=True,
                          text=True, timeout=900)


def copy_development(dest: Path) -> Path:
    out = dest / "coq"
    out.mkdir()
    for f in list(COQ_DIR.glob("*.v")) + [COQ_DIR / "check.sh"]:
        shutil.copy(f, out / f.name)
    return out


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """A compiled copy of proofs/coq (check.sh passed on it)."""
    if MISSING is not None:
        pytest.skip(MISSING)
    lib = copy_development(tmp_path_factory.mktemp("coqlib"))
    out = run_check(lib)
    assert out.returncode == 0, out.stdout + out.stderr
    return lib


def coqc_instance(lib: Path, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([COQC, "-q", "-w", "-notation-overridden,-ambiguous-paths", "-R",
                           str(lib), "Exactformer", path.name], cwd=path.parent,
                          capture_output=True, text=True, timeout=600)


def fails_at_construction_check(path: Path, out: subprocess.CompletedProcess) -> bool:
    """coqc stopped at the proof of cert_is_construction_A (the computation)."""
    lines = path.read_text().splitlines()
    lemma = next(l for l in lines if l.startswith("Lemma cert_is_construction_A"))
    proof = next(k for k in range(lines.index(lemma), len(lines))
                 if lines[k].startswith("Proof.")) + 1
    return out.returncode != 0 and f'line {proof},' in out.stdout + out.stderr


def rehash(cert: dict) -> dict:
    cert[checker.HASH_FIELD] = checker.content_hash(cert)
    return cert


def stored(d: int, n: int) -> dict:
    return json.loads((CERTS / f"theorem-d{d}-n{n}.json").read_text())


FORBIDDEN = re.compile(r"\b(Admitted|admit|Axiom|Axioms|Parameter|Parameters|Hypothesis|"
                       r"Hypotheses|Conjecture)\b")


def test_no_assumption_commands_in_the_development():
    files = sorted(COQ_DIR.glob("*.v"))
    assert {f.name for f in files} >= {"IR.v", "Tokens.v", "Masked.v"}
    for f in files:
        hits = [line for line in f.read_text().splitlines() if FORBIDDEN.search(line)]
        assert not hits, (f.name, hits)
    # the grep itself can fail: it finds a planted Admitted
    assert FORBIDDEN.search("Lemma x : False. Admitted.")


def test_the_statement_quantifies_over_every_ring_d_n_c_and_x():
    text = (COQ_DIR / "Masked.v").read_text()
    statement = text[text.index("Theorem masked_zero_error"):]
    statement = statement[:statement.index("Proof.")]
    assert "(R : comRingType) (d n : nat) (c : 'X_{1..d < n.+1} -> R)" in statement
    assert "(x : 'I_d -> R)" in statement
    assert ("output (masked_model c) x = \\sum_(alpha : 'X_{1..d < n.+1}) c alpha * "
            "\\prod_(i < d) x i ^+ alpha i") in " ".join(statement.split())


@needs_coq
def test_check_sh_compiles_and_the_theorem_needs_no_axiom(library):
    assert (library / "Masked.vo").is_file()
    out = run_check(library)   # again: check.sh is re-runnable on a built tree
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("Closed under the global context") == 3


MUTATIONS = [
    # construction: block k lets token t see the token after its parent
    ("Masked.v", "[seq (t, index (parent_exp (tk t)) toks) | t <- iota 0 N & sumn (tk t) == k]",
     "[seq (t, (index (parent_exp (tk t)) toks).+1) | t <- iota 0 N & sumn (tk t) == k]"),
    # semantics: the 0/1 mask is no longer applied to the scores
    ("IR.v", "\\matrix_(t, j) ((mask a t j)%:R * S t j)", "\\matrix_(t, j) (S t j)"),
]


@needs_coq
@pytest.mark.parametrize("name,old,new", MUTATIONS, ids=["mask-shifted", "mask-ignored"])
def test_a_mutated_development_does_not_compile(tmp_path, name, old, new):
    lib = copy_development(tmp_path)
    text = (lib / name).read_text()
    assert text.count(old) == 1
    (lib / name).write_text(text.replace(old, new))
    out = run_check(lib)
    assert out.returncode != 0
    assert "Error" in out.stdout + out.stderr
    assert "Closed under the global context" not in out.stdout


@needs_coq
def test_exported_instance_d3_n8_goes_through_the_theorem(library, tmp_path):
    cert = certificate_from_theorem(prove_theorem(3, 8))
    assert is_generic_masked(cert)
    text = export_coq_masked(cert)
    assert "Lemma cert_is_construction_A : cert_data = masked_data 3 8." in text
    assert "masked_data_zero_error" in text and "\n  ring.\n" not in text
    path = tmp_path / "instance.v"
    path.write_text(text)
    out = coqc_instance(library, path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Closed under the global context" in out.stdout


@needs_coq
@pytest.mark.parametrize("d,n", [(0, 0), (0, 3), (1, 0), (1, 6), (2, 5), (3, 6)])
def test_stored_certificates_are_construction_a(library, tmp_path, d, n):
    """Differential: the Python construction (the stored files) and the Coq
    definition masked_data agree on every matrix, mask and readout entry."""
    path = tmp_path / f"d{d}n{n}.v"
    path.write_text(export_coq_masked(stored(d, n)))
    out = coqc_instance(library, path)
    assert out.returncode == 0, out.stdout + out.stderr


def _flip_signs(cert: dict) -> dict:
    """Wq = -e_xin and Wo = -e_m^T: the same output, so the Python checker accepts it,
    but these are not construction A's weights."""
    bad = copy.deepcopy(cert)
    for b in bad["model"]["blocks"]:
        b["attention"]["wq"]["entries"] = [[r, c, "-1"] for r, c, _ in
                                           b["attention"]["wq"]["entries"]]
        b["attention"]["wo"]["entries"] = [[r, c, "-1"] for r, c, _ in
                                           b["attention"]["wo"]["entries"]]
    return rehash(bad)


@needs_coq
def test_a_valid_certificate_that_is_not_construction_a_is_rejected_by_coq(library, tmp_path):
    bad = _flip_signs(stored(2, 3))
    assert checker.check_certificate(bad).valid     # it does prove its identity ...
    path = tmp_path / "flipped.v"
    path.write_text(export_coq_masked(bad))
    assert "zn 0" in path.read_text()
    out = coqc_instance(library, path)              # ... but not as construction A
    assert fails_at_construction_check(path, out), out.stdout + out.stderr


def _tamper(cert: dict, where: str, index: int) -> dict:
    bad = copy.deepcopy(cert)
    blocks = bad["model"]["blocks"]
    if where == "mask":
        pairs = [p for b in blocks for p in b["attention"]["mask"]]
        t, j = pairs[index % len(pairs)]
        n_tokens = bad["model"]["tokens"]
        pairs[index % len(pairs)][1] = (j + 1) % n_tokens
    elif where == "weight":
        e = blocks[index % len(blocks)]["attention"]["wv"]["entries"][0]
        e[2] = "2"
    else:  # an embedding entry
        entries = bad["model"]["embedding"]["base"]["entries"]
        e = entries[index % len(entries)]
        e[2] = "3"
    return rehash(bad)


@needs_coq
@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(["mask", "weight", "embedding"]),
       index=st.integers(min_value=0, max_value=50))
def test_tampered_weights_fail_the_computational_check(library, tmp_path, where, index):
    bad = _tamper(stored(2, 3), where, index)
    assert bad["model"] != stored(2, 3)["model"]
    # (the Python checker may still accept some: xin of token 0 is never read, so
    # changing it keeps the identity; it is no longer construction A all the same)
    path = tmp_path / f"tampered_{where}_{index}.v"
    path.write_text(export_coq_masked(bad, require_valid=False))
    out = coqc_instance(library, path)
    assert fails_at_construction_check(path, out), out.stdout + out.stderr


@needs_coq
def test_the_untampered_twin_compiles(library, tmp_path):
    """The tamper test above can fail: the same file from the stored certificate passes."""
    path = tmp_path / "twin.v"
    path.write_text(export_coq_masked(stored(2, 3), require_valid=False))
    assert coqc_instance(library, path).returncode == 0


def test_export_refuses_what_the_data_format_cannot_state():
    cert = stored(1, 2)
    half = copy.deepcopy(cert)
    half["model"]["blocks"][0]["attention"]["wq"]["entries"][0][2] = "1/2"
    with pytest.raises(CertificateError, match="not an integer"):
        export_coq_masked(rehash(half), require_valid=False)
    relu = copy.deepcopy(cert)
    relu["model"]["blocks"][0]["attention"]["activation"] = "relu"
    with pytest.raises(CertificateError, match="masked identity-score"):
        export_coq_masked(rehash(relu), require_valid=False)
    with pytest.raises(CertificateError, match="does not check"):
        export_coq_masked(rehash(half))


def test_cli_export_routes_theorem_certificates_through_the_theorem(tmp_path, capsys):
    cert = CERTS / "theorem-d2-n2.json"
    out = tmp_path / "inst.v"
    assert main(["export", str(cert), "--coq", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["route"] == "generic"
    assert report["command"].startswith("coqc -R ") and "Exactformer" in report["command"]
    assert "masked_data 2 2" in out.read_text()
    assert main(["export", str(cert), "--coq", str(out), "--unrolled", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["route"] == "unrolled"
    assert "\n  ring.\n" in out.read_text()


@needs_coq
def test_cli_printed_command_checks_the_instance(library, tmp_path, capsys):
    out = tmp_path / "inst.v"
    assert main(["export", str(CERTS / "theorem-d3-n2.json"), "--coq", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "coqc -R" in printed and "Exactformer" in printed
    assert coqc_instance(library, out).returncode == 0
