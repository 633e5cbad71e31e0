"""The checker package: its small kernel, packed monomials, sparse target terms, the
streamed hash, and a deadline that covers reading and parsing."""
from __future__ import annotations

import copy
import hashlib
import json
import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from exactformer import checker, prove
from exactformer.formats.certificate import (DENSE_EXPONENTS, certificate_from_proof,
                                             certificate_from_theorem, dumps)
from exactformer.checker import kernel, reading
from exactformer.theorem import prove_theorem

ROOT = Path(__file__).resolve().parent.parent


def rehash(cert: dict) -> dict:
    cert[checker.HASH_FIELD] = checker.content_hash(cert)
    return cert


def sparse(exps: list) -> list:
    return [[i, e] for i, e in enumerate(exps) if e]


# ---------------------------------------------------------------- the kernel's size

def test_kernel_size_is_printed_and_every_kernel_function_is_documented():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "checker_kernel_size.py")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    print(first)
    assert first.startswith("kernel: exactformer/checker/kernel.py: ")
    n = int(first.split(": ")[2].split()[0])
    assert n == len((ROOT / "exactformer" / "checker" / "kernel.py").read_text().splitlines())
    assert n <= 450, f"the kernel grew to {n} lines"
    assert first.endswith("0 without a docstring")
    security = (ROOT / "SECURITY.md").read_text()
    assert f"`exactformer/checker/kernel.py`: {n} lines" in security, "SECURITY.md states " \
        "another size of the kernel"


# ---------------------------------------------------------------- packed monomials

monomials = st.lists(st.integers(0, 6), min_size=3, max_size=3).map(tuple)
polys = st.dictionaries(monomials, st.fractions(max_denominator=30).filter(bool), max_size=8)


def naive_mul(p: dict, q: dict) -> dict:
    """The oracle: schoolbook product on exponent tuples."""
    out: dict = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            m = tuple(a + b for a, b in zip(m1, m2))
            out[m] = out.get(m, 0) + c1 * c2
    return {m: c for m, c in out.items() if c}


@given(polys, polys)
@settings(max_examples=200, deadline=None)
def test_packed_product_equals_the_schoolbook_product(p, q):
    ring = kernel.Ring(3)
    got = ring.tuples(ring.mul({ring.pack(m): c for m, c in p.items()},
                               {ring.pack(m): c for m, c in q.items()}))
    assert got == naive_mul(p, q)


@given(st.lists(st.integers(0, 2**20), min_size=0, max_size=5))
def test_pack_unpack_round_trip(exps):
    ring = kernel.Ring(len(exps))
    assert ring.unpack(ring.pack(exps)) == tuple(exps)


def test_a_product_past_the_degree_bound_is_refused_not_carried():
    ring = kernel.Ring(2)
    y = {ring.pack((0, 2**31)): 1}
    with pytest.raises(checker.TooLarge):
        ring.mul(y, y)  # y^(2^32) would carry into x's field
    big = {ring.pack((0, 2**31 - 1)): 1}
    assert ring.unpack(next(iter(ring.mul(big, big)))) == (0, 2**32 - 2)


def _squaring_certificate(blocks: int) -> dict:
    """x squared ``blocks`` times by square FFNs (p + (3/2)p^2 - (1/2)(p+1)^2 + 1/2),
    claimed to output x: the degree doubles each block."""
    one = {"shape": [1, 1], "entries": [[0, 0, "1"]]}
    zero = {"shape": [1, 1], "entries": []}
    block = {"attention": {"wq": zero, "wk": zero, "wv": zero, "wo": zero,
                           "activation": "identity", "mask": []},
             "ffn": {"w1": {"shape": [1, 2], "entries": [[0, 0, "1"], [0, 1, "1"]]},
                     "b1": {"shape": [1, 2], "entries": [[0, 1, "1"]]},
                     "w2": {"shape": [2, 1], "entries": [[0, 0, "3/2"], [1, 0, "-1/2"]]},
                     "b2": {"shape": [1, 1], "entries": [[0, 0, "1/2"]]},
                     "activation": "square"}}
    model = {"format": checker.MODEL_FORMAT, "variables": ["x"], "tokens": 1, "width": 1,
             "embedding": {"base": zero, "coefficients": [one]},
             "blocks": [copy.deepcopy(block) for _ in range(blocks)],
             "readout": {"shape": [1, 1], "entries": [[0, 0, "1"]], "bias": "0"}, "meta": {}}
    cert = {"format": checker.CERTIFICATE_FORMAT, "kind": "identity", "model": model,
            "target": {"variables": ["x"], "params": [], "terms": [[[2 ** min(blocks, 9)],
                                                                     "1"]]},
            "claim": checker.claim_text("identity"), "verdict": "proved",
            "rung": checker.EXACT_IDENTITY, "trace": None}
    return rehash(cert)


def test_degree_doubling_certificates():
    assert checker.check_certificate(_squaring_certificate(9)).valid       # x^512
    wrong = _squaring_certificate(10)                                       # x^1024 != x^512
    report = checker.check_certificate(wrong)
    assert report.code == checker.INVALID and "differs" in report.message
    report = checker.check_certificate(_squaring_certificate(33))          # x^(2^33)
    assert report.code == checker.LIMIT and "degree" in report.message


# ---------------------------------------------------------------- sparse target terms

SMALL = certificate_from_theorem(prove_theorem(2, 3))
IDENTITY = certificate_from_proof(prove("a*x**2 - b/3 + x*y", params="a,b"))


def to_sparse(cert: dict) -> dict:
    out = copy.deepcopy(cert)
    out["target"]["terms"] = [[sparse(e), c] for e, c in out["target"]["terms"]]
    return rehash(out)


@pytest.mark.parametrize("cert", [SMALL, IDENTITY], ids=["theorem", "identity"])
def test_sparse_terms_state_the_same_target(cert):
    assert isinstance(cert["target"]["terms"][0][0][0], int)      # small: written densely
    assert checker.check_certificate(to_sparse(cert)).valid
    assert checker._poly_terms(to_sparse(cert)["target"]["terms"], 2 + len(
        cert["target"]["params"]), "t") == checker._poly_terms(cert["target"]["terms"], 2 + len(
            cert["target"]["params"]), "t")


@pytest.mark.parametrize("exps, needle", [
    ([[1, 1], [0, 1]], "increasing"), ([[0, 1], [0, 2]], "increasing"),
    ([[0, 0]], "exponents >= 1"), ([[99, 1]], "below"), ([[0, 1, 2]], "pairs"),
    ([[0, True]], "non-negative integer"), ([[-1, 1]], "non-negative integer"),
    ([[0, 1], 1], "non-negative integer")])
def test_malformed_sparse_exponents_are_refused(exps, needle):
    cert = to_sparse(SMALL)
    cert["target"]["terms"][0][0] = exps
    report = checker.check_certificate(rehash(cert))
    assert report.code == checker.MALFORMED, report.message
    assert needle in report.message, report.message


def test_a_sparse_exponent_above_the_limit_is_a_limit():
    cert = to_sparse(SMALL)
    cert["target"]["terms"][0][0] = [[0, 1001]]
    assert checker.check_certificate(rehash(cert)).code == checker.LIMIT


def test_one_monomial_spelled_dense_and_sparse_is_listed_twice():
    cert = copy.deepcopy(SMALL)
    e, c = cert["target"]["terms"][0]
    cert["target"]["terms"].append([sparse(e), c])
    report = checker.check_certificate(rehash(cert))
    assert report.code == checker.MALFORMED and "twice" in report.message


BIG = certificate_from_theorem(prove_theorem(3, 7))


def test_large_theorem_targets_are_written_sparsely_and_stay_small():
    terms = BIG["target"]["terms"]
    assert len(terms) * (3 + len(BIG["target"]["params"])) > DENSE_EXPONENTS
    assert all(isinstance(p, list) for p in terms[0][0])
    assert len(dumps(BIG)) < 20 * len(terms) * 10 + len(json.dumps(BIG["model"])) + 10_000
    assert checker.check_certificate(BIG).valid


def test_sparse_theorem_tampering_is_rejected():
    def check(edit, needle, code=checker.INVALID):
        cert = copy.deepcopy(BIG)
        edit(cert)
        report = checker.check_certificate(rehash(cert))
        assert report.code == code, report.message
        assert needle in report.message, report.message

    check(lambda c: c["target"]["terms"].pop(5), "carries no monomial")
    check(lambda c: c["target"]["terms"][7][0][-1].__setitem__(1, 2),
          "not one coefficient symbol")
    check(lambda c: c["target"]["terms"][7].__setitem__(1, "2"), "not one coefficient symbol")

    def move_symbol(c):  # give c_alpha's term to the next symbol: c_alpha carries nothing
        e = c["target"]["terms"][0][0]
        e[-1] = [e[-1][0] + 1, 1]
    check(move_symbol, "theorem target")

    def swap_readout(c):
        e = c["model"]["readout"]["entries"]
        e[3][2], e[4][2] = e[4][2], e[3][2]
    check(swap_readout, "differs from the target")
    check(lambda c: c["model"]["readout"]["entries"][10].__setitem__(2, "c_0_0_0"),
          "differs from the target")

    def bump_weight(c):
        for b in c["model"]["blocks"]:
            entries = b["attention"]["wq"]["entries"]
            if entries:
                entries[0][2] = "2"
                return
    check(bump_weight, "differs from the target")


@pytest.mark.parametrize("construction", ["masked", "softmax", "relu", "logdepth"])
def test_sparse_theorem_certificates_of_every_construction(construction):
    from exactformer.constructions import CONSTRUCTIONS
    if construction not in CONSTRUCTIONS:
        pytest.skip(f"no {construction} construction")
    d, n = (2, 12) if construction != "relu" else (2, 10)
    cert = certificate_from_theorem(prove_theorem(d, n, construction=construction))
    report = checker.check_certificate(cert)
    assert report.valid, report.message
    bad = copy.deepcopy(cert)
    bad["target"]["terms"].pop()
    assert checker.check_certificate(rehash(bad)).code == checker.INVALID


# ---------------------------------------------------------------- the hash, streamed

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4), max_leaves=30)


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=6))
@settings(max_examples=200, deadline=None)
def test_streamed_hash_is_the_hash_of_the_canonical_bytes(body):
    body.pop(checker.HASH_FIELD, None)
    want = hashlib.sha256(checker.canonical_bytes(body)).hexdigest()
    assert checker.content_hash(body) == want
    assert checker.content_hash({**body, checker.HASH_FIELD: "x"}) == want


def test_streamed_hash_on_real_certificates():
    for cert in (SMALL, IDENTITY, BIG):
        body = {k: v for k, v in cert.items() if k != checker.HASH_FIELD}
        assert cert[checker.HASH_FIELD] == hashlib.sha256(
            checker.canonical_bytes(body)).hexdigest() == checker.content_hash(cert)


# ---------------------------------------------------------------- the deadline

def test_the_deadline_covers_parsing(tmp_path):
    text = dumps(BIG)
    report = checker.check_bytes(text, timeout=1e-9)
    assert report.code == checker.LIMIT and "time limit" in report.message
    assert "kind" not in report.details      # stopped before the certificate was read
    path = tmp_path / "big.json"
    path.write_text(text)
    report = checker.check_file(str(path), timeout=1e-9)
    assert report.code == checker.LIMIT and "kind" not in report.details
    assert checker._deadline is None
    assert checker.check_file(str(path), timeout=60).valid


def test_python_m_checker_timeout_covers_reading(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(dumps(BIG))
    out = subprocess.run([sys.executable, "-m", "exactformer.checker", str(path),
                          "--timeout", "0.000001", "--json"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 3, out.stderr
    assert json.loads(out.stdout)["status"] == "limit"


# ---------------------------------------------------------------- one rule for limits

def test_limits_set_on_the_package_reach_every_module(monkeypatch):
    monkeypatch.setattr(checker, "MAX_EXPONENT", 2)
    report = checker.check_certificate(SMALL)
    assert report.code == checker.LIMIT
    monkeypatch.undo()
    assert checker.check_certificate(SMALL).valid


def test_the_output_is_compared_in_every_symbol_monomial():
    """A differential check of compare_output: mutate one random coefficient of the
    target of an identity certificate with symbols; the checker notices every time."""
    rng = random.Random(5)
    cert = certificate_from_proof(prove("a*x**2*y + b**2*y - 3*a*b + x/7", params="a,b"))
    assert checker.check_certificate(cert).valid
    for _ in range(10):
        bad = copy.deepcopy(cert)
        i = rng.randrange(len(bad["target"]["terms"]))
        bad["target"]["terms"][i][1] = str(Fraction(bad["target"]["terms"][i][1]) + 1)
        report = checker.check_certificate(rehash(bad))
        assert report.code == checker.INVALID and "differs from the target" in report.message


def test_the_constant_monomial_in_sparse_form_is_one_monomial():
    """[] is the sparse spelling of the constant monomial (no non-zero exponent), the
    same monomial as the dense [0, ..., 0]: listing both is listing it twice."""
    from exactformer.checker.reading import Malformed, terms
    assert terms([[[], "1"]], 3, "t") == terms([[[0, 0, 0], "1"]], 3, "t")
    with pytest.raises(Malformed, match="twice"):
        terms([[[], "1"], [[0, 0, 0], "2"]], 3, "t")


def test_a_large_target_with_a_constant_term_gets_a_valid_certificate(tmp_path):
    """Above the dense-exponent threshold the writer spells terms sparsely, the constant
    term as []: the checker must read it (a correct proof was refused before)."""
    import itertools
    from exactformer import prove
    from exactformer.formats.certificate import certificate_from_proof
    names = [f"x{i}" for i in range(60)]
    expr = " + ".join(f"{a}*{b}" for a, b in list(itertools.combinations(names, 2))[:175])
    expr += " + " + " + ".join(names) + " + 1"
    cert = certificate_from_proof(prove(expr))
    assert any(t[0] == [] for t in cert["target"]["terms"])  # the sparse constant
    assert checker.check_certificate(cert).valid


def test_the_ffn_reuses_only_the_output_of_a_zero_row():
    """A zero row's FFN output is computed once and reused for other ZERO rows only:
    a non-zero row after it gets its own H + sigma(H W1 + b1) W2 + b2."""
    from exactformer.checker import kernel
    ring = kernel.Ring(1)
    x = {ring.pack((1,)): Fraction(1)}
    ffn = {"w1": {0: [(0, Fraction(1))]}, "b1": {0: Fraction(1)}, "hidden": 1,
           "w2": {0: [(0, Fraction(1))]}, "b2": {}, "activation": "square"}
    ctx = kernel.Context(ring, None, ("x",))
    out = kernel._ffn(ffn, [[{}], [x], [{}]], 1, ring, ctx)
    one = ring.const(1)
    assert out[0] == [one] and out[2] == [one]          # 0 + (0 + 1)^2
    expected = kernel.add(kernel.add(x, ring.mul(kernel.add(x, one), kernel.add(x, one))), {})
    assert out[1] == [expected]                          # x + (x + 1)^2, not the zero row's


def test_a_softmax_row_with_unequal_scores_is_invalid_not_a_difference():
    """Unequal scores in a softmax row have no exact weights: Invalid, never averaged;
    equal scores give exactly 1/k each."""
    from exactformer.checker import kernel
    from exactformer.checker.errors import Invalid
    ring = kernel.Ring(1)
    x = {ring.pack((1,)): Fraction(1)}
    ctx = kernel.Context(ring, None, ("x",))
    with pytest.raises(Invalid, match="unequal scores"):
        kernel._activate("softmax", [x, ring.const(1)], 1, 0, [0, 1], ring, ctx)
    half = ring.const(Fraction(1, 2))
    assert kernel._activate("softmax", [x, dict(x)], 1, 0, [0, 1], ring, ctx) == [half, half]
