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
from fractions import Fraction
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from exactformer import CertificateError, checker
from exactformer.formats.certificate import certificate_from_theorem
from exactformer.cli import main
from exactformer.formats.coq.masked import export_coq_masked, is_generic_masked
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
    assert out.stdout.count("Closed under the global context") == 4


MUTATIONS = [
    # construction: block k lets token t see the token after its parent
    ("Masked.v", "[seq (t, index (parent_exp (tk t)) toks) | t <- iota 0 N & sumn (tk t) == k]",
     "[seq (t, (index (parent_exp (tk t)) toks).+1) | t <- iota 0 N & sumn (tk t) == k]"),
    # semantics: the 0/1 mask is no longer applied to the scores
    ("IR.v", "\\matrix_(t, j) ((mask a t j)%:R * S t j)", "\\matrix_(t, j) (S t j)"),
    # instance check: readout entries no longer required to sit in channel m
    ("Masked.v", "(e.1.1 < size toks) && (e.1.2 == MEM)", "(e.1.1 < size toks) && true"),
    # instance check: target monomials no longer required to be tokens
    ("Masked.v", "      all (fun p => p.1 \\in toks) ts &", "      all (fun p => true) ts &"),
]


@needs_coq
@pytest.mark.parametrize("name,old,new", MUTATIONS, ids=["mask-shifted", "mask-ignored",
                                                         "any-channel", "any-monomial"])
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
    assert report["command"].startswith("coqc ") and " -R " in report["command"] and "Exactformer" in report["command"]
    assert "masked_data 2 2" in out.read_text()
    assert main(["export", str(cert), "--coq", str(out), "--unrolled", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["route"] == "unrolled"
    assert "\n  ring.\n" in out.read_text()


@needs_coq
def test_cli_printed_command_checks_the_instance(library, tmp_path, capsys):
    out = tmp_path / "inst.v"
    assert main(["export", str(CERTS / "theorem-d3-n2.json"), "--coq", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "-R " in printed and "Exactformer" in printed
    assert coqc_instance(library, out).returncode == 0


# --- certificates of one polynomial (kind identity, concrete rational readout) ---

from exactformer import prove  # noqa: E402
from exactformer.formats.certificate import certificate_from_proof
from exactformer.poly import graded_monomials  # noqa: E402


def dense_polynomial(d: int, n: int) -> str:
    """Every monomial of degree <= n in d variables, coefficient +-(k+1)/(k+2)."""
    names = "xyzw"[:d]
    terms = []
    for k, alpha in enumerate(graded_monomials(d, n)):
        mono = "*".join(f"{v}**{e}" for v, e in zip(names, alpha) if e)
        coef = f"{'-' if k % 2 else ''}{k + 1}/{k + 2}"
        terms.append(f"{coef}*{mono}" if mono else coef)
    return " + ".join(terms).replace("+ -", "- ")


def proof_cert(text: str) -> dict:
    return certificate_from_proof(prove(text))


def fails_at_readout_check(path: Path, out: subprocess.CompletedProcess) -> bool:
    """coqc stopped at the proof of cert_readout_is_target (the computation)."""
    lines = path.read_text().splitlines()
    lemma = next(i for i, l in enumerate(lines) if l.startswith("Lemma cert_readout_is_target"))
    proof = next(k for k in range(lemma, len(lines)) if lines[k].startswith("Proof.")) + 1
    return out.returncode != 0 and f'line {proof},' in out.stdout + out.stderr


def compile_text(library: Path, tmp_path: Path, text: str, name: str = "poly"):
    path = tmp_path / f"{name}.v"
    path.write_text(text)
    return path, coqc_instance(library, path)


@needs_coq
def test_a_proof_certificate_goes_through_the_theorem(library, tmp_path):
    cert = proof_cert("3*x**2*y - y/7 + 2")
    assert cert["kind"] == "identity" and is_generic_masked(cert)
    text = export_coq_masked(cert)
    assert "Lemma cert_is_construction_A : cert_data = masked_frame 2 3." in text
    assert "masked_certificate_zero_error" in text and "\n  ring.\n" not in text
    # the target, term by term, in the statement's data: 2, -1/7 y, 3 x^2 y
    for term in ("([:: 0; 0], q (2) 1)", "([:: 0; 1], q (-1) 7)", "([:: 2; 1], q (3) 1)"):
        assert term in text
    path, out = compile_text(library, tmp_path, text)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Closed under the global context" in out.stdout


@needs_coq
def test_a_dense_d3_n8_proof_certificate_compiles(library, tmp_path):
    cert = proof_cert(dense_polynomial(3, 8))
    assert len(cert["target"]["terms"]) == 165 == cert["model"]["tokens"]
    path, out = compile_text(library, tmp_path, export_coq_masked(cert), "dense")
    assert out.returncode == 0, out.stdout + out.stderr


def _tamper_number(cert: dict, where: str) -> dict:
    bad = copy.deepcopy(cert)
    if where == "readout":
        e = bad["model"]["readout"]["entries"][-1]
        e[2] = str(Fraction(e[2]) + Fraction(1, 3))
    elif where == "target":
        t = bad["target"]["terms"][0]
        t[1] = str(-Fraction(t[1]))
    elif where == "channel":   # the same number read from channel one instead of m
        # (on the last token: on the degree-0 token one = m = 1 and the identity
        # would still hold, though the readout is no longer construction A's)
        bad["model"]["readout"]["entries"][-1][1] = 1
    else:                      # a target term on x^(n+1), not a token
        bad["target"]["terms"].append([[4, 0], "5"])
    return rehash(bad)


@needs_coq
@pytest.mark.parametrize("where", ["readout", "target", "channel", "not-a-token"])
def test_a_tampered_readout_or_target_fails_coqc(library, tmp_path, where):
    cert = proof_cert("3*x**2*y - y/7 + 2")
    bad = _tamper_number(cert, where)
    assert bad["model"] != cert["model"] or bad["target"] != cert["target"]
    # differential: the independent Python checker refutes it too
    assert not checker.check_certificate(bad).valid
    path, out = compile_text(library, tmp_path, export_coq_masked(bad, require_valid=False),
                             f"tampered_{where.replace('-', '_')}")
    assert fails_at_readout_check(path, out), out.stdout + out.stderr


@needs_coq
def test_a_tampered_block_of_a_proof_certificate_fails_the_construction_check(library,
                                                                          tmp_path):
    bad = _flip_signs(proof_cert("3*x**2*y - y/7 + 2"))
    assert checker.check_certificate(bad).valid    # the same output, other weights
    path, out = compile_text(library, tmp_path, export_coq_masked(bad), "flipped_poly")
    assert fails_at_construction_check(path, out), out.stdout + out.stderr


@needs_coq
def test_sparse_targets_and_explicit_zero_entries_compile(library, tmp_path):
    """Zero coefficients on most monomials; the target in the sparse [[index, e]]
    encoding; a readout entry "0" where the target has no term."""
    cert = proof_cert("x**3*z - 5*y + 1/2")
    assert len(cert["target"]["terms"]) == 3 < cert["model"]["tokens"] == 35
    sparse = copy.deepcopy(cert)
    sparse["target"]["terms"] = [[[[i, e] for i, e in enumerate(m) if e] or m, c]
                                 for m, c in sparse["target"]["terms"]]
    assert [[0, 3], [2, 1]] in [m for m, _ in sparse["target"]["terms"]]
    used = {t for t, _, _ in sparse["model"]["readout"]["entries"]}
    free = next(t for t in range(35) if t not in used)
    sparse["model"]["readout"]["entries"].append([free, 2, "0"])
    sparse["model"]["readout"]["entries"].sort()
    rehash(sparse)
    assert checker.check_certificate(sparse).valid, checker.check_certificate(sparse).message
    for k, c in enumerate((cert, sparse)):
        text = export_coq_masked(c)
        path, out = compile_text(library, tmp_path, text, f"sparse{k}")
        assert out.returncode == 0, out.stdout + out.stderr
    assert f"({free}, 2, q (0) 1)" in text


@needs_coq
@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(coefs=st.lists(st.fractions(min_value=-50, max_value=50, max_denominator=60)
                      .filter(bool), min_size=1, max_size=6),
       which=st.integers(min_value=0, max_value=10 ** 6))
def test_random_polynomials_compile_and_one_changed_coefficient_does_not(library, tmp_path,
                                                                        coefs, which):
    monos = graded_monomials(2, 3)
    picks = [monos[(which // (k + 1)) % len(monos)] for k in range(len(coefs))]
    poly = {}
    for m, c in zip(picks, coefs):
        poly[m] = poly.get(m, Fraction(0)) + c
    poly = {m: c for m, c in poly.items() if c} or {(0, 0): Fraction(1)}
    text = " + ".join(f"({c})*x**{m[0]}*y**{m[1]}" for m, c in poly.items())
    cert = proof_cert(text)
    path, out = compile_text(library, tmp_path, export_coq_masked(cert), "random")
    assert out.returncode == 0, out.stdout + out.stderr
    bad = _tamper_number(cert, "readout")
    path, out = compile_text(library, tmp_path, export_coq_masked(bad, require_valid=False),
                             "random_bad")
    assert fails_at_readout_check(path, out), out.stdout + out.stderr


def test_certificates_the_route_cannot_state_are_exported_unrolled(tmp_path, capsys):
    from exactformer.constructions import CONSTRUCTIONS
    cases = {"params": certificate_from_proof(prove("a*x**2 + 1", params="a"))}
    for name in ("softmax", "relu"):
        if name in CONSTRUCTIONS:
            cases[name] = certificate_from_proof(prove("x**2 - 3*x + 1/2", construction=name))
    shifted = copy.deepcopy(proof_cert("x**2 + 1"))
    shifted["model"]["meta"]["input_shift"] = "1"
    cases["input-shift"] = rehash(shifted)
    for name, cert in cases.items():
        assert not is_generic_masked(cert), name
        path = tmp_path / "c.json"
        path.write_text(json.dumps(cert))
        out = tmp_path / "u.v"
        code = main(["export", str(path), "--coq", str(out), "--json"])
        report = json.loads(capsys.readouterr().out)
        if name == "relu":   # the unrolled export's own refusal: relu is no ring identity
            assert code == 2 and "score activation 'relu'" in report["error"], report
            continue
        assert code == 0 and report["route"] == "unrolled", (name, report)
        assert "Require Import Reals." in out.read_text()
    # and a plain masked proof certificate is not among them
    assert is_generic_masked(proof_cert("x**2 + 1"))


@needs_coq
def test_cli_routes_proof_certificates_through_the_theorem(library, tmp_path, capsys):
    cert = tmp_path / "c.json"
    assert main(["prove", "3*x**2*y - y/7 + 2", "--certificate", str(cert)]) == 0
    capsys.readouterr()
    out = tmp_path / "generic.v"
    assert main(["export", str(cert), "--coq", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["route"] == "generic"
    assert coqc_instance(library, out).returncode == 0
    unrolled = tmp_path / "unrolled.v"
    assert main(["export", str(cert), "--coq", str(unrolled), "--unrolled", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["route"] == "unrolled"
    plain = subprocess.run([COQC, unrolled.name], cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)
    assert plain.returncode == 0, plain.stdout + plain.stderr


@needs_coq
def test_the_same_output_from_another_channel_is_refused_by_coq(library, tmp_path):
    """As the README says: the degree-0 coefficient read from channel one (equal to m on
    that token) is a valid identity for the Python checker, but not construction A's
    readout, and the Coq check refuses it."""
    cert = proof_cert("3*x**2*y - y/7 + 2")
    bad = copy.deepcopy(cert)
    entry = bad["model"]["readout"]["entries"][0]
    assert entry[:2] == [0, 2]
    entry[1] = 1
    rehash(bad)
    assert checker.check_certificate(bad).valid
    path, out = compile_text(library, tmp_path, export_coq_masked(bad), "channel_one")
    assert fails_at_readout_check(path, out), out.stdout + out.stderr


@needs_coq
def test_a_valid_certificate_that_is_not_construction_a_is_exported_unrolled(tmp_path,
                                                                               capsys):
    """A certificate the checker accepts whose blocks are not exactly construction A
    (one more Wo entry, or a huge unused embedding entry) is exported through the
    unrolled route, which compiles: never a generic file that cannot."""
    for change in ("wo", "big"):
        cert = certificate_from_theorem(prove_theorem(2, 3))
        if change == "wo":
            cert["model"]["blocks"][0]["attention"]["wo"]["entries"].append([0, 0, "1"])
        else:
            cert["model"]["embedding"]["base"]["entries"][0][2] = "99999999999999999999"
        rehash(cert)
        assert checker.check_certificate(cert).valid
        assert not is_generic_masked(cert)
        path, out = tmp_path / f"{change}.json", tmp_path / f"{change}.v"
        path.write_text(json.dumps(cert))
        assert main(["export", str(path), "--coq", str(out), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["route"] == "unrolled"
        run = subprocess.run([COQC, out.name], cwd=tmp_path, capture_output=True,
                             text=True, timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
    honest = certificate_from_theorem(prove_theorem(2, 3))
    assert is_generic_masked(honest)
