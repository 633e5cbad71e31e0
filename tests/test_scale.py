"""Scale: big-ish instances stay correct, the two exact backends agree, the
Schwartz-Zippel rung (probabilistic, labelled so) accepts true and refutes false
claims, the progress bar stays off the pipe. No timing asserts: speed is measured
by benchmarks/bench.py."""
from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction

import pytest

from exactformer.errors import NameClash
import sympy
from hypothesis import given, strategies as st

from exactformer import build, prove
from exactformer.cli import main
from exactformer.constructions import build_model
from exactformer.engine import PolynomialDomain, RationalDomain, run
from exactformer.engine.backends import backend_name, dense_products, run_exact, using_backend
from exactformer.engine.domains import flint_available, polynomial_domain
from exactformer.engine.progress import BlockProgressBar, reporting, terminal_progress
from exactformer.errors import LimitExceeded, NotExact
from exactformer.model import (Attention, Block, Embedding, ExactMatrix, FeedForward, Mask,
                               Model, Readout)
from exactformer.formats.model_json import dumps
from exactformer.poly import Target, graded_monomials
from exactformer.theorem import generic_model, prove_theorem
from exactformer.verify import SCHWARTZ_ZIPPEL, verify_identity
from exactformer.verify.schwartz_zippel import (DegreeDomain, model_degree_bound,
                                                verify_schwartz_zippel)

from reference import reference_forward

needs_flint = pytest.mark.skipif(not flint_available(), reason="python-flint is not installed")


def squaring_model(variables, k: int, tweak: Fraction = Fraction(0)) -> Model:
    """One token of width 1, H0 = 1 + sum x_i; each block squares it with a square FFN:
    p + (3/2) p^2 - (1/2) (p + 1)^2 + 1/2 = p^2. So the output is (1 + sum x_i)^(2^k).
    ``tweak`` is added to one W2 weight of the last block (a mutation)."""
    d = len(variables)
    one = ExactMatrix.from_rows([[1]])
    z = ExactMatrix.zeros(1, 1)
    att = Attention(z, z, z, z, "identity", Mask(1, ((),)))

    def ffn(w):
        return FeedForward(ExactMatrix.from_rows([[1, 1]]), ExactMatrix.from_rows([[0, 1]]),
                           ExactMatrix.from_rows([[Fraction(3, 2) + w], [Fraction(-1, 2)]]),
                           ExactMatrix.from_rows([[Fraction(1, 2)]]), "square")
    blocks = tuple(Block(att, ffn(tweak if i == k - 1 else 0)) for i in range(k))
    return Model(Embedding(tuple(variables), one, tuple(one for _ in range(d))), blocks,
                 Readout.from_dict(1, 1, {(0, 0): 1}))


def random_dense_target(d: int, n: int, seed: int, digits: int = 20) -> Target:
    rng = random.Random(seed)
    lo, hi = 10 ** (digits - 1), 10 ** digits
    terms = {m: Fraction(rng.randrange(lo, hi) * rng.choice((-1, 1)), rng.randrange(lo, hi))
             for m in graded_monomials(d, n)}
    return Target.from_terms([f"x{i + 1}" for i in range(d)], terms)


# ---------------------------------------------------------------- big-ish instances

def test_theorem_at_N_455_is_proved_and_a_flipped_mask_bit_is_refuted():
    r = prove_theorem(3, 12)
    assert r.model.tokens == 455 and r.verdict.holds
    model, claim = generic_model(3, 12)
    k = 7
    att = model.blocks[k - 1].attention
    t = next(t for t, keys in enumerate(att.mask.allowed) if keys)
    bad_att = replace(att, mask=att.mask.flip(t, 0))
    bad = replace(model, blocks=model.blocks[:k - 1] + (Block(bad_att),) + model.blocks[k:])
    from exactformer.verify.linear import verify_basis
    verdict, _ = verify_basis(bad, claim)
    assert not verdict.holds and verdict.difference is not None


def test_dense_random_target_with_20_digit_rationals_is_proved_and_mutation_refuted():
    target = random_dense_target(2, 14, seed=5)
    model = build_model(target, "masked")
    verdict, _, y = verify_identity(model, target)
    assert verdict.holds and len(y) == len(target.poly) == 120
    t, c, v = model.readout.entries[57]
    bad = replace(model, readout=model.readout.with_entry(t, c, v + Fraction(1, 10**25)))
    verdict, _, _ = verify_identity(bad, target)
    assert not verdict.holds


def test_univariate_degree_300_power_is_proved():
    r = prove("(x+1)**300")
    assert r.proved and r.model.tokens == 301
    assert r.output_poly[(150,)] == sympy.binomial(300, 150)


# ---------------------------------------------------------------- backends agree

@needs_flint
@pytest.mark.parametrize("construction", ["masked", "softmax", "logdepth"])
def test_backends_give_identical_traces_and_verdicts(construction):
    target = random_dense_target(2, 6, seed=11, digits=6)
    model = build_model(target, construction)
    a = run_exact(model, backend="sympy")
    b = run_exact(model, backend="flint")
    assert a.residuals == b.residuals           # every exact intermediate polynomial
    assert [blk.scores for blk in a.blocks] == [blk.scores for blk in b.blocks]
    va, _, ya = verify_identity(model, target, trace=a)
    vb, _, yb = verify_identity(model, target, trace=b)
    assert va == vb and va.holds and ya == yb


@needs_flint
def test_backends_agree_on_a_dense_model_and_on_its_mutation():
    for tweak in (Fraction(0), Fraction(1, 7)):
        m = squaring_model(("x", "y"), 4, tweak)
        a = run_exact(m, backend="sympy", record=False).final[0][0]
        b = run_exact(m, backend="flint", record=False).final[0][0]
        assert a == b
    x, y = sympy.symbols("x y")
    from exactformer.poly import make_target
    claim = make_target((1 + x + y) ** 16, variables="x,y")
    for backend in ("sympy", "flint"):
        with using_backend(backend):
            good = verify_identity(squaring_model(("x", "y"), 4), claim)[0]
            bad = verify_identity(squaring_model(("x", "y"), 4, Fraction(1, 7)), claim)[0]
        assert good.holds and not bad.holds


@needs_flint
@given(st.lists(st.integers(-3, 3), min_size=12, max_size=12), st.booleans())
def test_backends_agree_on_random_small_models(weights, masked):
    """Two tokens, width 2, identity attention (all keys) and a square FFN: products
    of sums everywhere; both backends and the dense reference must agree."""
    w = iter(Fraction(v) for v in weights)
    mat = lambda r, c: ExactMatrix.from_rows([[next(w) for _ in range(c)] for _ in range(r)])
    emb = Embedding(("x", "y"), ExactMatrix.from_rows([[1, 0], [0, 1]]),
                    (ExactMatrix.from_rows([[1, 0], [0, 0]]), ExactMatrix.from_rows([[0, 0], [1, 1]])))
    att = Attention(mat(2, 1), mat(2, 1), mat(2, 1), mat(1, 2), "identity",
                    Mask(2, ((0,), (0, 1))) if masked else None)
    ffn = FeedForward(mat(2, 1), ExactMatrix.from_rows([[1]]), mat(1, 2),
                      ExactMatrix.from_rows([[0, 1]]), "square")
    model = Model(emb, (Block(att, ffn),), Readout.from_dict(2, 2, {(0, 0): 1, (1, 1): 2}))
    a = run_exact(model, backend="sympy").final
    b = run_exact(model, backend="flint").final
    assert a == b
    point = (Fraction(2, 3), Fraction(-5, 2))
    x, y = sympy.symbols("x y")
    values = {x: sympy.Rational(2, 3), y: sympy.Rational(-5, 2)}
    out = sum(sympy.Rational(v.numerator, v.denominator) * a[t][c].as_expr().subs(values)
              for t, c, v in model.readout.entries)
    assert out == sympy.Rational(*(lambda f: (f.numerator, f.denominator))(
        reference_forward(model, point)))


def test_auto_backend_follows_the_model_structure():
    masked = build("x**3 + y")
    softmax = build("x**3 + y", construction="softmax")
    assert not dense_products(masked) and dense_products(softmax)
    assert backend_name("auto", masked) == "sympy"
    assert backend_name("auto", softmax) == ("flint" if flint_available() else "sympy")
    assert backend_name("sympy", softmax) == "sympy"
    with pytest.raises(ValueError, match="unknown polynomial backend"):
        backend_name("fortran")
    with pytest.raises(ValueError, match="unknown polynomial backend"):
        polynomial_domain(("x",), "fortran")


BLOCK_FLINT = ("import sys, importlib.abc\n"
               "class Block(importlib.abc.MetaPathFinder):\n"
               "    def find_spec(self, name, path, target=None):\n"
               "        if name == 'flint' or name.startswith('flint.'):\n"
               "            raise ImportError('flint blocked for this test')\n"
               "sys.meta_path.insert(0, Block())\n")


def test_everything_works_without_python_flint():
    script = BLOCK_FLINT + (
        "from exactformer.engine.domains import flint_available\n"
        "from exactformer.engine.backends import backend_name\n"
        "assert not flint_available() and backend_name('auto') == 'sympy'\n"
        "from exactformer import prove\n"
        "from exactformer.theorem import prove_theorem\n"
        "from exactformer.verify.schwartz_zippel import verify_schwartz_zippel\n"
        "r = prove('(x+1)**20 - y/3', construction='softmax')\n"
        "assert r.proved, r.verdict\n"
        "assert prove_theorem(2, 5).verdict.holds\n"
        "assert verify_schwartz_zippel(r.model, '(x+1)**20 - y/3').holds\n"
        "from exactformer.cli import main\n"
        "assert main(['prove', 'x+1', '--backend', 'flint']) == 2\n"
        "assert 'flint' not in sys.modules or sys.modules['flint'] is None\n"
        "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")
    assert "needs python-flint" in out.stderr


# ---------------------------------------------------------------- Schwartz-Zippel rung

def test_sz_holds_for_a_claim_too_big_to_expand():
    model = squaring_model(("x", "y", "z"), 10)          # (1 + x + y + z)^1024
    claim = "((x + y + z + 1)**32)**32"
    from exactformer.api import check_model
    with pytest.raises(LimitExceeded):
        check_model(model, claim)                          # the exact rung refuses to expand
    r = verify_schwartz_zippel(model, claim, points=3, seed=7)
    assert r.holds and r.verdict.rung == SCHWARTZ_ZIPPEL
    assert r.degree_bound == 1024 and r.sample_size == 2 ** 64
    assert r.error_probability == Fraction(1024, 2 ** 64) ** 3
    assert "not an exact proof" in r.line() and "PROVED" not in r.line()
    js = r.to_json()
    assert js["exact_proof"] is False and js["probabilistic"] is True
    assert js["rung"] == SCHWARTZ_ZIPPEL and len(js["points"]) == 3
    assert 0 < js["error_probability"] < 1e-40


def test_sz_refutes_a_perturbed_model_with_an_exact_witness():
    """Mutation: one FFN weight of the last block moved by 1/10**6."""
    bad = squaring_model(("x", "y"), 6, Fraction(1, 10**6))
    r = verify_schwartz_zippel(bad, "((x + y + 1)**8)**8", seed=3)
    assert not r.holds and r.error_probability == 0
    point = r.points[-1]
    model_value, claim_value = r.witness
    assert model_value == reference_forward(bad, point) != claim_value
    assert claim_value == (1 + sum(point)) ** 64


@given(st.integers(0, 2**32), st.sampled_from(["masked", "softmax", "logdepth"]))
def test_sz_agrees_with_the_exact_rung_on_built_models(seed, construction):
    rng = random.Random(seed)
    target = random_dense_target(2, rng.randint(1, 4), seed, digits=3)
    model = build_model(target, construction)
    assert verify_schwartz_zippel(model, target, points=2, seed=seed).holds
    t, c, v = rng.choice(model.readout.entries)
    bad = replace(model, readout=model.readout.with_entry(t, c, v + 1))
    assert not verify_identity(bad, target)[0].holds
    assert not verify_schwartz_zippel(bad, target, points=2, seed=seed).holds


def test_sz_handles_symbolic_readouts_and_parameters():
    model = build("a*x**2 + pi*y - 1/3", params="a")
    assert verify_schwartz_zippel(model, "a*x**2 + pi*y - 1/3", seed=1, params="a").holds
    assert not verify_schwartz_zippel(model, "a*x**2 + pi*y - 1/3 + a*x", seed=1,
                                      params="a").holds
    # as on the exact rung, an undeclared name is a variable: it clashes with the readout
    with pytest.raises(NameClash, match="'a' is a variable of the claim and is a symbol"):
        verify_schwartz_zippel(model, "a*x**2 + pi*y - 1/3", seed=1)
    model, _ = generic_model(2, 3)                           # readout c_alpha symbols
    cs = ",".join(f"c_{i}_{j}" for i in range(4) for j in range(4 - i))
    claim = " + ".join(f"c_{i}_{j}*x1**{i}*x2**{j}" for i in range(4) for j in range(4 - i))
    assert verify_schwartz_zippel(model, claim, seed=2, params=cs).holds
    assert not verify_schwartz_zippel(model, claim.replace("c_1_1*", "c_1_0*"), seed=2,
                                      params=cs).holds


def test_sz_refuses_what_it_cannot_decide():
    with pytest.raises(NotExact, match="sqrt"):
        verify_schwartz_zippel(build("sqrt(2)*x"), "sqrt(2)*x")
    relu = build("x**2 + y", construction="relu")
    with pytest.raises(NotExact, match="relu"):
        verify_schwartz_zippel(relu, "x**2 + y")
    with pytest.raises(Exception, match="at least one point"):
        verify_schwartz_zippel(build("x"), "x", points=0)


@given(st.lists(st.integers(-2, 2), min_size=8, max_size=8), st.integers(1, 3))
def test_degree_domain_bounds_the_true_degree(weights, k):
    w = iter(Fraction(v) for v in weights)
    emb = Embedding(("x",), ExactMatrix.from_rows([[1, 0]]), (ExactMatrix.from_rows([[1, 1]]),))
    col = lambda: ExactMatrix.from_rows([[next(w)], [next(w)]])
    att = Attention(col(), col(), col(), ExactMatrix.from_rows([[1, 0]]), "identity", None)
    ffn = FeedForward(ExactMatrix.from_rows([[1], [0]]), ExactMatrix.from_rows([[0]]),
                      ExactMatrix.from_rows([[0, 1]]), ExactMatrix.from_rows([[0, 0]]), "square")
    model = Model(emb, (Block(att, ffn),) * k, Readout.from_dict(1, 2, {(0, 0): 1, (0, 1): 1}))
    bound, _ = model_degree_bound(model)
    final = run(model, PolynomialDomain(("x",)), record=False).final
    true = max((final[0][c].degree() for c in range(2)), default=0)
    assert true <= bound


def test_cli_probabilistic_prove_is_labelled_and_refutation_exits_1(capsys, tmp_path):
    assert main(["prove", "x**3*y - 2/7", "--rung", "schwartz-zippel", "--json", "--seed", "4"]) == 5
    out = json.loads(capsys.readouterr().out)
    assert out["rung"] == SCHWARTZ_ZIPPEL and out["exact_proof"] is False
    assert set(out) >= {"verdict", "rung", "error_probability", "points", "tokens"}
    assert main(["prove", "x**3*y - 2/7", "--probabilistic"]) == 5
    text = capsys.readouterr().out
    assert "HIGH PROBABILITY" in text and "not an exact proof" in text and "PROVED" not in text
    path = tmp_path / "sq.json"
    path.write_text(dumps(squaring_model(("x", "y"), 5)))
    assert main(["check-model", str(path), "--claim", "(x+y+1)**32", "--probabilistic"]) == 5
    assert main(["check-model", str(path), "--claim", "(x+y+1)**32 + x/10**9",
                 "--probabilistic", "--json"]) == 1
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["verdict"] == "refuted"
    assert main(["prove", "x", "--probabilistic", "--certificate", str(tmp_path / "c")]) == 2
    assert "exact proofs only" in capsys.readouterr().err


# ---------------------------------------------------------------- progress bar

def test_progress_hook_sees_every_block_and_the_bar_draws_only_when_asked():
    model = build("x**4 + y")
    calls = []
    with reporting(lambda k, total: calls.append((k, total))):
        run_exact(model)
    assert calls == [(k, 4) for k in range(1, 5)]
    quiet = io.StringIO()
    with terminal_progress(quiet, delay=0.0) as bar:   # not a terminal: nothing drawn
        run_exact(model)
    assert quiet.getvalue() == "" and not bar.enabled
    shown = io.StringIO()
    bar = BlockProgressBar(shown, delay=0.0, force=True)
    with reporting(bar):
        run_exact(model)
    assert "4/4 blocks" in shown.getvalue()
    bar.close()
    assert shown.getvalue().endswith("\r")


def test_probabilistic_rung_refuses_huge_constant_powers(tmp_path, capsys):
    from exactformer.cli import main
    path = tmp_path / "m.json"
    assert main(["prove", "x**2 + y", "--save-model", str(path)]) == 0
    capsys.readouterr()
    code = main(["check-model", str(path), "--claim", "x**2 + y + (2**(10**5))**(10**4)",
                 "--probabilistic"])
    assert code == 3 and "bits" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_honours_term_dumb_and_no_color(monkeypatch):
    model = build("x**4 + y")
    monkeypatch.setenv("TERM", "dumb")
    assert not BlockProgressBar(_Terminal(), delay=0.0).enabled
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("NO_COLOR", "1")
    stream = _Terminal()
    bar = BlockProgressBar(stream, delay=0.0)
    assert bar.enabled
    with reporting(bar):
        run_exact(model)
    bar.close()
    text = stream.getvalue()
    assert "4/4 blocks" in text and text.isascii() and "\x1b" not in text
    assert text.endswith("\r")  # erased: the next output starts on a clean line
