"""Schwartz-Zippel points are derived from a hash of (model, claim, seed): a claim
cannot be crafted to vanish on them, and --seed stays reproducible."""
from __future__ import annotations

import json
from fractions import Fraction

from exactformer import build
from exactformer.cli import main
from exactformer.verify.schwartz_zippel import (ASSUMPTION, POINT_DERIVATION, derive_points,
                                                verify_schwartz_zippel)


def test_the_same_inputs_give_the_same_points():
    m = build("x**2 + y")
    a = verify_schwartz_zippel(m, "x**2 + y", seed=7)
    b = verify_schwartz_zippel(m, "x**2 + y", seed=7)
    assert a.points == b.points and a.seed == b.seed == 7


def test_a_fresh_seed_is_reported_and_repeats_the_run():
    m = build("x**2 + y")
    a = verify_schwartz_zippel(m, "x**2 + y")
    assert isinstance(a.seed, int)
    assert verify_schwartz_zippel(m, "x**2 + y", seed=a.seed).points == a.points
    assert verify_schwartz_zippel(m, "x**2 + y").seed != a.seed  # 128 fresh bits


def test_any_change_to_claim_model_or_seed_changes_every_point():
    m = build("x**2 + y")
    base = verify_schwartz_zippel(m, "x**2 + y", seed=3).points
    for claim in ("y + x**2", "x**2 + y + 0", "x**2 + y - 1"):
        other = verify_schwartz_zippel(m, claim, seed=3).points
        assert all(p != q for p, q in zip(base, other)), claim
    assert all(p != q for p, q in zip(base, verify_schwartz_zippel(m, "x**2 + y",
                                                                     seed=4).points))
    m2 = build("x**2 + y", construction="logdepth")
    assert all(p != q for p, q in zip(base, verify_schwartz_zippel(m2, "x**2 + y",
                                                                     seed=3).points))


def test_a_claim_crafted_on_the_points_of_another_claim_is_refuted():
    """With points from random.Random(seed), x**2 + prod (x - p_i) vanished on them and
    'held with error probability <= 1e-75'. Now the crafted claim has its own points."""
    m = build("x**2")
    honest = verify_schwartz_zippel(m, "x**2", seed=11, points=4)
    assert honest.holds
    roots = [p[0] for p in honest.points]
    crafted = "x**2 + " + "*".join(f"(x - ({r}))" for r in roots)
    result = verify_schwartz_zippel(m, crafted, seed=11, points=4)
    assert not result.holds and result.error_probability == 0
    # the crafted claim does vanish on the honest points: the attack was real
    from exactformer.poly import parse
    from exactformer.poly.evaluate import resolve_calls
    from exactformer.verify.schwartz_zippel import evaluate_tree
    tree = resolve_calls(parse(crafted))
    assert all(evaluate_tree(tree, {"x": r}) == r * r for r in roots)


def test_points_are_uniform_bits_of_the_hash():
    pts = derive_points(b"model", b"claim", 1, count=200, dimension=3, sample_bits=64)
    flat = [c for p in pts for c in p]
    assert all(0 <= c < 2 ** 64 for c in flat) and len(set(flat)) == len(flat)
    ones = sum(bin(c).count("1") for c in flat)
    assert abs(ones / (64 * len(flat)) - 0.5) < 0.02  # fails for a constant or biased source
    assert derive_points(b"model", b"claim", 1, 200, 3, 64) == pts
    assert derive_points(b"model", b"claim!", 1, 200, 3, 64)[0] != pts[0]


def test_the_output_states_what_the_probability_assumes(tmp_path, capsys):
    path = tmp_path / "m.json"
    assert main(["prove", "x**2", "--save-model", str(path)]) == 0
    capsys.readouterr()
    assert main(["check-model", str(path), "--claim", "x**2", "--probabilistic", "--json",
                 "--seed", "5"]) == 5
    out = json.loads(capsys.readouterr().out)
    assert out["exact_proof"] is False and out["seed"] == "5"
    assert out["point_derivation"] == POINT_DERIVATION and out["assumption"] == ASSUMPTION
    assert "random oracle" in out["assumption"]
    assert main(["check-model", str(path), "--claim", "x**2", "--probabilistic"]) == 5
    text = capsys.readouterr().out
    assert "not an exact proof" in text and "random oracle" in text and "seed" in text


def test_points_are_exact_integers_in_the_sample_set():
    r = verify_schwartz_zippel(build("x*y"), "x*y", seed=2)
    half = r.sample_size // 2
    assert all(isinstance(v, Fraction) and v.denominator == 1 and -half <= v < half
               for p in r.points for v in p)
