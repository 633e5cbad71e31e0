"""The independent standard-library checker: it re-derives every certificate, rejects
every tampered one with a message naming what disagrees, and runs without sympy."""
from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
import textwrap
import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from exactformer import checker, prove
from exactformer.formats.certificate import (certificate_from_proof, certificate_from_theorem,
                                             dumps)
from exactformer.cli import main
from exactformer.formats.model_json import model_from_json
from exactformer.theorem import prove_theorem
from reference import random_point, reference_forward

ROOT = Path(__file__).resolve().parent.parent
STORED = sorted((ROOT / "proofs" / "certificates").glob("*.json"))


def rehash(cert: dict) -> dict:
    cert[checker.HASH_FIELD] = checker.content_hash(cert)
    return cert


def _cert(expr="3*x**2*y - y/7 + 2 + x - x*y**2", trace=True, **kw):
    return certificate_from_proof(prove(expr, **kw), trace=trace)


DENSE = _cert("3*x**2*y - y/7 + 2 + x - x*y**2 + 5*y**2 - x**2/3 + 7*x*y + y**3 - x**3")
THEOREM = certificate_from_theorem(prove_theorem(2, 3), trace=True)


# ---------------------------------------------------------------- tamper locations

def number_locations(cert: dict) -> list[tuple]:
    """Paths to every exact number of the model weights and of the target."""
    out = []
    m = cert["model"]
    mats = [("embedding", "base")] + [("embedding", "coefficients", i)
                                     for i in range(len(m["embedding"]["coefficients"]))]
    for k, b in enumerate(m["blocks"]):
        mats += [("blocks", k, "attention", w) for w in ("wq", "wk", "wv", "wo")]
        if b["ffn"] is not None:
            mats += [("blocks", k, "ffn", w) for w in ("w1", "b1", "w2", "b2")]
    for path in mats:
        node = m
        for p in path:
            node = node[p]
        out += [("model",) + path + ("entries", i, 2) for i in range(len(node["entries"]))]
    out += [("model", "readout", "entries", i, 2) for i in range(len(m["readout"]["entries"]))]
    out += [("target", "terms", i, 1) for i in range(len(cert["target"]["terms"]))]
    return out


def trace_locations(cert: dict) -> list[tuple]:
    out = []
    for k, layer in enumerate(cert["trace"] or []):
        for i, (_, _, terms) in enumerate(layer["entries"]):
            out += [("trace", k, "entries", i, 2, j, 1) for j in range(len(terms))]
    return out


def get(cert, path):
    node = cert
    for p in path:
        node = node[p]
    return node


def set_at(cert, path, value):
    get(cert, path[:-1])[path[-1]] = value


def bump(text: str, how: int) -> str:
    """A different non-zero exact number: +1, *2 or negated (never the same value)."""
    v = Fraction(text)
    new = (v + 1, v * 2 if v else Fraction(3), -v if v else Fraction(-1))[how % 3]
    return str(new if new else v + 2)


def truth(cert: dict, points: int = 3) -> bool:
    """Independent ground truth for a rational-readout certificate: does the model
    (dense Fraction reference forward pass) equal the target at random points?"""
    model = model_from_json(cert["model"])
    rng = random.Random(7)
    d = len(model.variables)
    for _ in range(points):
        x = random_point(d, rng)
        want = Fraction(0)
        for exps, c in cert["target"]["terms"]:
            term = Fraction(c)
            for xi, e in zip(x, exps):
                term *= xi ** e
            want += term
        try:
            got = reference_forward(model, x)
        except AssertionError:  # reference softmax of unequal scores
            return False
        if got != want:
            return False
    return True


# ---------------------------------------------------------------- valid certificates

def test_generated_certificates_are_valid():
    for cert in (DENSE, THEOREM, _cert("x**3 - 2*x*y"), _cert("5"), _cert("a*x**2 + b/3",
                                                                          params="a,b")):
        report = checker.check_certificate(cert)
        assert report.valid, report.message
        assert report.details["rung"] == "exact polynomial identity"


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.name)
def test_stored_certificates_check(path):
    report = checker.check_file(str(path))
    assert report.valid, report.message
    assert report.details["kind"] == "theorem"


def test_stored_certificates_cover_all_small_theorems():
    names = {p.name for p in STORED}
    assert names == {f"theorem-d{d}-n{n}.json" for d in range(4) for n in range(7)}
    assert sum(p.stat().st_size for p in STORED) < 3_000_000


# ---------------------------------------------------------------- tampering

@given(st.data())
def test_any_single_change_without_rehash_is_a_hash_mismatch(data):
    cert = copy.deepcopy(DENSE)
    locs = number_locations(cert) + trace_locations(cert)
    path = data.draw(st.sampled_from(locs))
    set_at(cert, path, bump(get(cert, path), data.draw(st.integers(0, 2))))
    report = checker.check_certificate(cert)
    assert report.code == checker.INVALID
    assert "sha256 mismatch" in report.message


@given(st.data())
def test_rehashed_number_change_is_judged_like_the_reference(data):
    """After a changed weight / readout / target number (hash recomputed), the checker
    accepts iff the independent dense reference agrees with the target; a rejection
    says where output and target disagree."""
    cert = copy.deepcopy(DENSE)
    cert["trace"] = None
    path = data.draw(st.sampled_from(number_locations(cert)))
    set_at(cert, path, bump(get(cert, path), data.draw(st.integers(0, 2))))
    rehash(cert)
    report = checker.check_certificate(cert)
    assert report.code in (checker.VALID, checker.INVALID), report.message
    assert report.valid == truth(cert), report.message
    if not report.valid:
        assert "model output differs from the target at" in report.message
        assert "model has" in report.message and "target has" in report.message


def test_every_target_coefficient_change_is_rejected():
    for i in range(len(DENSE["target"]["terms"])):
        cert = copy.deepcopy(DENSE)
        cert["trace"] = None
        cert["target"]["terms"][i][1] = bump(cert["target"]["terms"][i][1], i)
        report = checker.check_certificate(rehash(cert))
        assert report.code == checker.INVALID
        assert "differs from the target at" in report.message


@given(st.data())
def test_every_trace_entry_change_is_rejected(data):
    cert = copy.deepcopy(DENSE)
    path = data.draw(st.sampled_from(trace_locations(cert)))
    set_at(cert, path, bump(get(cert, path), data.draw(st.integers(0, 2))))
    report = checker.check_certificate(rehash(cert))
    assert report.code == checker.INVALID
    k = path[1]
    where = "embedding" if k == 0 else f"block {k}"
    assert f"trace disagrees after {where}" in report.message


def test_trace_omission_and_extra_entries_are_rejected():
    cert = copy.deepcopy(DENSE)
    del cert["trace"][2]["entries"][0]
    report = checker.check_certificate(rehash(cert))
    assert report.code == checker.INVALID and "trace omits" in report.message
    cert = copy.deepcopy(DENSE)
    t, c, _ = cert["trace"][1]["entries"][0]
    cert["trace"][1]["entries"].append([t, (c + 1) % 3 if c != 1 else 0, [[[5, 0], "1"]]])
    report = checker.check_certificate(rehash(cert))
    assert report.code == checker.INVALID and "trace disagrees" in report.message


@given(st.data())
def test_mask_bit_flips_are_judged_like_the_reference(data):
    cert = copy.deepcopy(DENSE)
    cert["trace"] = None
    k = data.draw(st.integers(0, len(cert["model"]["blocks"]) - 1))
    mask = cert["model"]["blocks"][k]["attention"]["mask"]
    n = cert["model"]["tokens"]
    t, j = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
    if [t, j] in mask:
        mask.remove([t, j])
    else:
        mask.append([t, j])
    report = checker.check_certificate(rehash(cert))
    assert report.valid == truth(cert), report.message


def test_every_mask_bit_removal_is_rejected():
    for k, b in enumerate(DENSE["model"]["blocks"]):
        for i in range(len(b["attention"]["mask"])):
            cert = copy.deepcopy(DENSE)
            cert["trace"] = None
            del cert["model"]["blocks"][k]["attention"]["mask"][i]
            report = checker.check_certificate(rehash(cert))
            assert report.code == checker.INVALID, (k, i)
            assert "differs from the target" in report.message


@pytest.mark.parametrize("activation,needle", [
    ("relu", "is non-constant and no box is declared"),
    ("softmax", "differs from the target"),
])
def test_activation_change_is_rejected(activation, needle):
    for k in range(len(DENSE["model"]["blocks"])):
        cert = copy.deepcopy(DENSE)
        cert["trace"] = None
        cert["model"]["blocks"][k]["attention"]["activation"] = activation
        report = checker.check_certificate(rehash(cert))
        assert report.code == checker.INVALID and needle in report.message, report.message


def test_unknown_activation_is_malformed():
    cert = copy.deepcopy(DENSE)
    cert["model"]["blocks"][0]["attention"]["activation"] = "gelu"
    report = checker.check_certificate(rehash(cert))
    assert report.code == checker.MALFORMED and "'gelu'" in report.message


def test_theorem_tampering_is_rejected():
    def check(edit, needle):
        cert = copy.deepcopy(THEOREM)
        edit(cert)
        report = checker.check_certificate(rehash(cert))
        assert report.code == checker.INVALID, report.message
        assert needle in report.message, report.message

    check(lambda c: c["target"]["terms"].pop(3), "carries no monomial")

    def drop_last_symbol(c):
        c["target"]["params"].pop()
        c["target"]["terms"] = [[e[:-1], v] for e, v in c["target"]["terms"] if not e[-1]]
    check(drop_last_symbol, "of the 10 monomials of degree <= 3 in 2 variables (e.g. x2**3)")
    check(lambda c: c["theorem"].update(degree=4), "not the generic polynomial")
    check(lambda c: c["theorem"].update(degree=2), "degree above 2")
    check(lambda c: c["model"]["meta"].update(degree="5"), "model.meta.degree")
    check(lambda c: c["claim"].__class__ and c.update(claim=c["claim"].replace("<= 3",
                                                                               "<= 4")),
          "claim text")
    check(lambda c: c.update(rung="Schwartz-Zippel (probabilistic)"), "rung mismatch")
    check(lambda c: c["target"]["terms"][0][1].__class__ and
          c["target"]["terms"][0].__setitem__(1, "2"), "not one coefficient symbol")

    def swap(c):
        e = c["model"]["readout"]["entries"]
        e[1][2], e[2][2] = e[2][2], e[1][2]
    check(swap, "differs from the target")
    check(lambda c: c["model"]["readout"]["entries"][4].__setitem__(2, "2*c_1_1"),
          "differs from the target")
    check(lambda c: c["trace"][3]["entries"][0][2][0].__setitem__(1, "5"), "trace disagrees")


# ---------------------------------------------------------------- malformed input

@pytest.mark.parametrize("field", ["format", "kind", "model", "target", "claim", "verdict",
                                   "rung", "trace", "sha256"])
def test_missing_field_is_malformed(field):
    cert = copy.deepcopy(DENSE)
    del cert[field]
    report = checker.check_certificate(cert)
    assert report.code == checker.MALFORMED
    assert field in report.message and "\n" not in report.message


@pytest.mark.parametrize("text,needle", [
    ("{", "not valid JSON"),
    ("[]", "must be a JSON object"),
    ('{"format": "exactformer-certificate/2"}', "unknown certificate format"),
    ('{"format": "exactformer-certificate/1", "format": "x"}', "twice"),
    ('{"a": NaN}', "not an exact number"),
    (b"\xff\xfe", "UTF-8"),
])
def test_malformed_text(text, needle):
    report = checker.check_bytes(text)
    assert report.code == checker.MALFORMED and needle in report.message


def test_malformed_values():
    def check(edit, needle):
        cert = copy.deepcopy(DENSE)
        edit(cert)
        report = checker.check_certificate(rehash(cert))
        assert report.code == checker.MALFORMED, report.message
        assert needle in report.message, report.message

    check(lambda c: c["model"]["embedding"]["base"]["entries"][0].__setitem__(2, 1.5),
          "exact rational string")
    check(lambda c: c["model"]["embedding"]["base"]["entries"][0].__setitem__(2, "1e3"),
          "exact rational string")
    check(lambda c: c["model"]["embedding"]["base"]["entries"][0].__setitem__(0, 99),
          "outside shape")
    check(lambda c: c["model"]["readout"]["entries"][0].__setitem__(2, "exp(2)"),
          "unexpected '('")
    check(lambda c: c["model"]["readout"]["entries"][0].__setitem__(2, "x/a"),
          "division")
    check(lambda c: c.update(verdict="refuted"), "verdict")
    check(lambda c: c.update(extra=1), "unknown field 'extra'")
    check(lambda c: c["target"]["terms"].append(c["target"]["terms"][0]), "twice")
    check(lambda c: c["model"].update(format="exactformer-model/0"), "model.format")
    cert = copy.deepcopy(DENSE)
    cert["sha256"] = "abc"
    assert checker.check_certificate(cert).code == checker.MALFORMED


def test_parse_form_reads_what_model_json_writes():
    assert checker.parse_form("-2*a**2*b/3 + sqrt(2) - 1/7", "r") == {
        (("a", 2), ("b", 1)): Fraction(-2, 3), (("sqrt(2)", 1),): Fraction(1),
        (): Fraction(-1, 7)}
    assert checker.parse_form("(a + 1)*(a - 1)", "r") == {(("a", 2),): 1, (): -1}
    for bad in ("a +", "a ** b", "1/0", "a/(b+1)", "", "a ** 5000", "((((" * 30 + "a"):
        with pytest.raises(checker.Malformed):
            checker.parse_form(bad, "r")


@given(st.dictionaries(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                       st.fractions(max_denominator=50).filter(bool), max_size=6),
       st.dictionaries(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                       st.fractions(max_denominator=50).filter(bool), max_size=6),
       st.tuples(st.fractions(max_denominator=9), st.fractions(max_denominator=9)))
def test_poly_arithmetic_agrees_with_evaluation(p, q, x):
    def ev(poly):
        return sum((c * x[0] ** m[0] * x[1] ** m[1] for m, c in poly.items()), Fraction(0))
    assert ev(checker.poly_mul(p, q)) == ev(p) * ev(q)
    assert ev(checker.poly_add(p, q)) == ev(p) + ev(q)
    assert all(checker.poly_add(p, checker.poly_scale(p, Fraction(-1))) == {} for _ in [0])


# ---------------------------------------------------------------- independence and CLI

BLOCKER = textwrap.dedent("""
    import sys
    class _Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("sympy", "mpmath", "numpy", "hypothesis"):
                raise ImportError(name + " is blocked for this test")
            return None
    sys.meta_path.insert(0, _Block())
""")


CHECKER_FILES = sorted((ROOT / "exactformer" / "checker").glob("*.py"))


@pytest.mark.parametrize("path", CHECKER_FILES, ids=lambda p: p.name)
def test_checker_imports_only_the_standard_library(path):
    """Every module of the checker package imports the standard library and, by a
    relative import of level 1, its sibling modules: nothing else of exactformer."""
    import ast
    tree = ast.parse(path.read_text())
    siblings = {p.stem for p in CHECKER_FILES}
    imports = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
               for a in n.names}
    imports |= {n.module.split(".")[0] for n in ast.walk(tree)
                if isinstance(n, ast.ImportFrom) and n.level == 0}
    relative = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert all(n.level == 1 for n in relative)
    assert all((n.module or "").split(".")[0] in siblings if n.module else
               all(a.name in siblings for a in n.names) for n in relative)
    assert imports <= set(sys.stdlib_module_names) | {"__future__"}
    assert not imports & {"sympy", "mpmath", "numpy", "exactformer", "flint", "gmpy2"}


def test_checker_runs_every_stored_certificate_without_sympy(tmp_path):
    bad = copy.deepcopy(THEOREM)
    bad["target"]["terms"].pop()
    (tmp_path / "bad.json").write_text(dumps(rehash(bad)))
    paths = [str(p) for p in STORED] + [str(tmp_path / "bad.json")]
    script = BLOCKER + textwrap.dedent(f"""
        import json
        from exactformer import checker
        codes = [checker.check_file(p).code for p in {paths!r}]
        assert "sympy" not in sys.modules and "mpmath" not in sys.modules
        print(json.dumps(codes))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    codes = json.loads(out.stdout)
    assert codes == [0] * len(STORED) + [1]


def test_python_m_checker_without_sympy(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(dumps(DENSE))
    bad = copy.deepcopy(DENSE)
    bad["model"]["blocks"][0]["attention"]["wq"]["entries"][0][2] = "2"
    (tmp_path / "bad.json").write_text(dumps(bad))
    (tmp_path / "junk.json").write_text("{")
    script = BLOCKER + textwrap.dedent("""
        import runpy
        sys.argv = ["checker"] + sys.argv[1:]
        runpy.run_module("exactformer.checker", run_name="__main__", alter_sys=True)
    """)
    results = {}
    for name in ("good", "bad", "junk"):
        out = subprocess.run([sys.executable, "-c", script, str(tmp_path / f"{name}.json")],
                             capture_output=True, text=True, cwd=ROOT, timeout=60)
        results[name] = (out.returncode, out.stdout + out.stderr)
    assert results["good"][0] == 0 and "VALID" in results["good"][1]
    assert results["bad"][0] == 1 and "sha256 mismatch" in results["bad"][1]
    assert results["junk"][0] == 2 and "not valid JSON" in results["junk"][1]
    assert all("Traceback" not in text for _, text in results.values())


def test_cli_check_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(dumps(DENSE))
    assert main(["check", str(good)]) == 0
    assert "VALID" in capsys.readouterr().out
    assert main(["check", str(good), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "proved" and data["exit_code"] == 0
    assert "status" not in data and "valid" not in data
    bad = copy.deepcopy(DENSE)
    bad["target"]["terms"][0][1] = bump(bad["target"]["terms"][0][1], 0)
    (tmp_path / "bad.json").write_text(dumps(rehash(bad)))
    assert main(["check", str(tmp_path / "bad.json")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "differs from the target" in err
    assert main(["check", str(tmp_path / "missing.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "v2.json").write_text('{"format": "exactformer-certificate/2"}')
    assert main(["check", str(tmp_path / "v2.json"), "--json"]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out) == {"verdict": "error", "exit_code": 2, "error": err.strip()}
    assert "malformed certificate" in err


def test_checker_is_fast_on_the_3_10_theorem():
    cert = certificate_from_theorem(prove_theorem(3, 10), verify=False)
    assert cert["model"]["tokens"] == 286
    start = time.perf_counter()
    report = checker.check_certificate(cert)
    assert report.valid, report.message
    assert time.perf_counter() - start < 10


# ---------------------------------------------------------------- relu on a box, softmax

def _relu_certificate(box="[0,1]"):
    """y = x + relu(x) * 1 on a box: equals 2x where x >= 0 (a hand-made relu model)."""
    from exactformer import check_model
    from exactformer.model import Attention, Block, Embedding, ExactMatrix, Model, Readout
    E = ExactMatrix.from_dict
    emb = Embedding(("x",), E(1, 2, {(0, 1): 1}), (E(1, 2, {(0, 0): 1}),))
    att = Attention(E(2, 1, {(0, 0): 1}), E(2, 1, {(1, 0): 1}), E(2, 1, {(1, 0): 1}),
                    E(1, 2, {(0, 0): 1}), "relu", None)
    model = Model(emb, (Block(att),), Readout.from_dict(1, 2, {(0, 0): 1}))
    return certificate_from_proof(check_model(model, "2*x", domain=box), trace=True)


def test_relu_sign_certificates_on_a_box():
    cert = _relu_certificate()
    assert cert["box"] == [["0", "1"]]
    report = checker.check_certificate(cert)
    assert report.valid and report.details["rung"] == "exact on a box (sign certificates)"

    def check(edit, needle):
        bad = copy.deepcopy(cert)
        edit(bad)
        report = checker.check_certificate(rehash(bad))
        assert report.code == checker.INVALID and needle in report.message, report.message

    def on_box(box):
        def edit(c):
            c["box"] = box
            c["claim"] = checker.claim_text("identity", box=None if box is None else
                                            [tuple(map(Fraction, iv)) for iv in box])
            if box is None:
                del c["box"]
        return edit

    check(on_box([["-1", "1"]]), "may change sign on the box")
    check(on_box([["-2", "-1"]]), "trace disagrees")
    check(on_box(None), "no box is declared")
    check(lambda c: c.update(box=[["0", "2"]]), "claim text")
    check(lambda c: c.update(rung="exact polynomial identity"), "rung mismatch")
    bad = copy.deepcopy(cert)
    bad["box"] = [["1", "0"]]
    assert checker.check_certificate(rehash(bad)).code == checker.MALFORMED


def test_enclosure_is_sound():
    rng = random.Random(3)
    for _ in range(200):
        p = {(rng.randint(0, 3), rng.randint(0, 3)): Fraction(rng.randint(-9, 9), rng.randint(1, 5))
             for _ in range(4)}
        p = {m: c for m, c in p.items() if c}
        box = [(Fraction(-2), Fraction(1)), (Fraction(1, 2), Fraction(3))]
        lo, hi = checker.enclosure(p, box)
        for _ in range(5):
            x = [Fraction(rng.randint(-20, 10), 10), Fraction(rng.randint(5, 30), 10)]
            v = sum((c * x[0] ** m[0] * x[1] ** m[1] for m, c in p.items()), Fraction(0))
            assert lo <= v <= hi


def test_softmax_rows_with_equal_scores_are_exact():
    from exactformer.constructions import CONSTRUCTIONS
    if "softmax" not in CONSTRUCTIONS:
        pytest.skip("the softmax construction is not available")
    cert = _cert("x**2*y - 3*y + 1", construction="softmax")
    assert checker.check_certificate(cert).valid
    bad = copy.deepcopy(cert)
    for b in bad["model"]["blocks"]:
        if b["attention"]["mask"]:
            t, j = b["attention"]["mask"][0]
            b["attention"]["mask"].append([t, (j + 1) % bad["model"]["tokens"]])
            break
    report = checker.check_certificate(rehash(bad))
    assert report.code == checker.INVALID
    assert "unequal scores" in report.message or "differs" in report.message \
        or "trace" in report.message


def test_theorem_in_a_shifted_basis():
    """A theorem stated in the basis (x - s)^alpha is checked against that basis."""
    from exactformer.formats.certificate import theorem_target
    shift = [Fraction(1), Fraction(-1, 2)]
    target = theorem_target(2, 3, ("x1", "x2"), shift)
    parsed = {"params": target["params"],
              "poly": checker._poly_terms(target["terms"], 2 + 10, "t")}
    checker._check_theorem_target(parsed, 2, 3, ["x1", "x2"], shift)      # accepted
    with pytest.raises(checker.Invalid, match="not the basis element"):
        checker._check_theorem_target(parsed, 2, 3, ["x1", "x2"], [Fraction(0)] * 2)
    cert = copy.deepcopy(THEOREM)
    cert["trace"] = None
    cert["theorem"]["shift"] = [str(v) for v in shift]
    cert["target"] = target
    cert["claim"] = checker.claim_text("theorem", cert["theorem"])
    report = checker.check_certificate(rehash(cert))
    # the masked model computes x^alpha, not (x - s)^alpha
    assert report.code == checker.INVALID and "differs from the target" in report.message
