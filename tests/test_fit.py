"""Regression with fixed blocks: exact recovery, proof of the model, strict CSV."""
from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from exactformer.approx.fit import fit, load_csv
from exactformer.cli import main
from exactformer.errors import ParseError
from exactformer.poly import graded_monomials


def random_polynomial(rng: random.Random, d: int, n: int) -> dict:
    return {alpha: Fraction(rng.randint(-30, 30), rng.randint(1, 12))
            for alpha in graded_monomials(d, n) if rng.random() < 0.8}


def value(poly: dict, point) -> Fraction:
    out = Fraction(0)
    for alpha, c in poly.items():
        v = c
        for x, e in zip(point, alpha):
            v *= x**e
        out += v
    return out


def write_csv(path, names, points, poly, decimal=False):
    lines = [",".join(names + ["y"])]
    for p in points:
        cells = [str(x) for x in p] + [str(value(poly, p))]
        if decimal:  # finite decimals: x = k/8 has one
            cells = [f"{float(x)!r}" if Fraction(float(x)) == x else str(x) for x in
                     list(p) + [value(poly, p)]]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")


@given(st.integers(0, 10**6), st.integers(1, 2), st.integers(0, 3))
def test_exact_recovery_from_noiseless_samples(tmp_path_factory, seed, d, n):
    rng = random.Random(seed)
    poly = random_polynomial(rng, d, n)
    N = len(graded_monomials(d, n))
    points = {tuple(Fraction(rng.randint(-40, 40), rng.randint(1, 9)) for _ in range(d))
              for _ in range(N + 6)}
    path = tmp_path_factory.mktemp("fit") / "data.csv"
    names = ["x", "y2"][:d] if d == 2 else ["x"]
    write_csv(path, names, sorted(points), poly)
    data = load_csv(path.read_bytes())
    try:
        result = fit(data, n, method="exact")
    except ParseError as exc:   # random points may be degenerate (rank-deficient)
        assert "linearly dependent" in str(exc) or "cannot determine" in str(exc)
        return
    assert result.coefficients == {a: c for a, c in poly.items() if c}
    assert result.residual_sum_of_squares == 0
    assert result.verdict.holds and result.model.free_parameters == N


def test_cli_fit_recovers_exactly_and_proves(tmp_path, capsys):
    rng = random.Random(7)
    poly = random_polynomial(rng, 2, 3)
    points = [(Fraction(i, 8), Fraction(j, 4)) for i in range(-3, 4) for j in range(-2, 3)]
    path = tmp_path / "d.csv"
    write_csv(path, ["x", "z"], points, poly, decimal=True)
    code = main(["fit", str(path), "--degree", "3", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    assert data["verdict"] == "proved" and data["exact"] and data["interpolates"]
    assert data["residual_sum_of_squares"] == "0" and data["blocks"] == 3
    from exactformer.poly import make_target
    got = make_target(data["polynomial"], variables=("x", "z"))
    want = make_target({a: c for a, c in poly.items()}, variables=("x", "z"))
    assert got == want


def test_float_path_is_labelled_and_close(tmp_path, capsys):
    rng = random.Random(3)
    lines = ["x,y"]
    for _ in range(300):
        x = rng.uniform(-1, 1)
        lines.append(f"{x!r},{(1 - 2 * x + 3 * x**3)!r}")
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    code = main(["fit", str(path), "--degree", "3", "--float", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and not data["exact"] and "float" in data["method"]
    assert data["verdict"] == "proved" and float(data["max_abs_residual"]) < 1e-9


def test_noisy_data_least_squares_is_the_exact_optimum():
    # y = x + noise at x = -1, 0, 1 with degree 1: the optimum is the regression line
    data = load_csv("x,y\n-1,0\n0,1/3\n1,1\n")
    result = fit(data, 1, method="exact")
    assert result.coefficients == {(0,): Fraction(4, 9), (1,): Fraction(1, 2)}
    assert result.residual_sum_of_squares == Fraction(1, 54)


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("x\n1\n", "at least one variable"),
    ("x,x\n1,2\n", "twice"),
    ("x,1y\n1,2\n", "column name"),
    ("x,y\n", "no data rows"),
    ("x,y\n1,2\n3\n", "line 3: 1 fields"),
    ("x,y\n1,2\nnan,1\n", "line 3, column 'x': 'nan'"),
    ("x,y\n1,inf\n", "line 2, column 'y': 'inf'"),
    ("x,y\n1,2\n2,abc\n", "line 3, column 'y'"),
    ("x,y\n1,2\n\n3,4\n", "line 3: empty row"),
    ("x,y\n1,2/0\n", "divides by zero"),
    ("x,y\n1,1e99999\n", "not a finite rational"),
])
def test_malformed_csv_is_rejected_with_its_line(text, message):
    with pytest.raises(ParseError, match=message):
        load_csv(text)


def test_cli_fit_errors_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n1,NaN\n")
    assert main(["fit", str(bad), "--degree", "1"]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "Traceback" not in err
    ok = tmp_path / "few.csv"
    ok.write_text("x,y\n1,2\n2,3\n")
    assert main(["fit", str(ok), "--degree", "3"]) == 2
    assert "at least 4 rows" in capsys.readouterr().err
    same = tmp_path / "same.csv"
    same.write_text("x,y\n1,2\n1,3\n1,4\n")
    assert main(["fit", str(same), "--degree", "1"]) == 2
    assert "linearly dependent" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "missing.csv"), "--degree", "1"]) == 2


def test_trailing_blank_lines_are_ignored_but_inner_ones_are_not(tmp_path, capsys):
    from exactformer.cli import main
    good = tmp_path / "good.csv"
    good.write_text("x1,y\n1,2\n2,3\n\n\n")
    assert main(["fit", str(good), "--degree", "1", "--json"]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,y\n1,2\n\n2,3\n")
    assert main(["fit", str(bad), "--degree", "1"]) == 2
    assert "line 3: empty row" in capsys.readouterr().err


# -- numeric options and CSV numbers are validated; the exact optimum is self-checked --

@pytest.mark.parametrize("cell, code, word", [
    ("1e9999", 3, "more than 2000 digits"),
    ("1e-9999", 3, "more than 2000 digits"),
    ("-1e9999/7", 3, "more than 2000 digits"),
    ("9" * 5000, 3, "too many digits"),
    ("1/" + "3" * 2500, 3, "more than 2000 digits"),
    ("1e999999", 2, "not a finite rational"),
    ("1e+99999", 2, "not a finite rational"),
    ("nan", 2, "not a finite rational"),
    ("-inf", 2, "not a finite rational"),
])
@pytest.mark.parametrize("method", [[], ["--exact"], ["--float"]])
def test_csv_numbers_out_of_range_exit_cleanly(tmp_path, capsys, cell, code, word, method):
    for column in ("x", "y"):
        row = f"{cell},2" if column == "x" else f"2,{cell}"
        path = tmp_path / "d.csv"
        path.write_text(f"x,y\n0,1\n1,2\n{row}\n3,5\n")
        got = main(["fit", str(path), "--degree", "1", *method])
        out = capsys.readouterr()
        assert got == code, out.err
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and word in lines[0] and "line 4" in lines[0]
        assert "PROVED" not in out.out and "Traceback" not in out.err


def test_results_too_large_to_print_are_a_limit(tmp_path, capsys):
    rng = random.Random(1)
    rows = [f"{rng.randrange(10**1500)}/{rng.randrange(1, 10**400)},{rng.randrange(10**1999)}"
            for _ in range(12)]
    path = tmp_path / "big.csv"
    path.write_text("x,y\n" + "\n".join(rows) + "\n")
    code = main(["fit", str(path), "--degree", "3", "--exact", "--json"])
    out = capsys.readouterr()
    assert code == 3 and "more than 4000 digits" in out.err
    assert json.loads(out.out) == {"verdict": "error", "exit_code": 3, "error": out.err.strip()}


@pytest.mark.parametrize("argv, code, word", [
    (["--degree", "-1"], 2, "degree"),
    (["--degree", "100000000"], 3, "degree"),
    (["--degree", "1000000000000"], (2, 3), "degree"),
    (["--degree", "nan"], 2, "degree"),
    (["--degree", "1", "--timeout", "1e10"], 2, "timeout"),
    (["--degree", "1", "--timeout", "nan"], 2, "timeout"),
    (["--degree", "1", "--timeout", "-5"], 2, "timeout"),
])
def test_bad_fit_options_exit_cleanly(tmp_path, capsys, argv, code, word):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n0,1\n1,2\n2,3\n3,5\n")
    got = main(["fit", str(path), *argv])
    err = capsys.readouterr().err
    assert got in (code if isinstance(code, tuple) else (code,)) and word in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("degree", [-1, True, 1.0, 10**12])
def test_fit_api_refuses_bad_degrees(degree):
    from exactformer.errors import LimitExceeded
    with pytest.raises((ParseError, LimitExceeded), match="degree"):
        fit(load_csv("x,y\n0,1\n1,2\n2,3\n"), degree)


def test_a_wrong_exact_optimum_is_caught_and_not_claimed(monkeypatch, tmp_path, capsys):
    import exactformer.approx.fit as fit_module
    real = fit_module._exact_lstsq

    def off_by_a_little(rows, ys, monomials):
        coeffs, rank = real(rows, ys, monomials)
        return [coeffs[0] + Fraction(1, 10**30)] + coeffs[1:], rank
    monkeypatch.setattr(fit_module, "_exact_lstsq", off_by_a_little)
    path = tmp_path / "d.csv"
    path.write_text("x,y\n-1,0\n0,1/3\n1,1\n2,2\n")
    code = main(["fit", str(path), "--degree", "1", "--exact", "--json"])
    out = capsys.readouterr()
    assert code == 4
    data = json.loads(out.out)
    assert data == {"verdict": "error", "exit_code": 4, "error": data["error"]}
    assert "normal equation" in data["error"] and "no fit is claimed" in out.err
    assert len(out.err.strip().splitlines()) == 1
    # unpatched, the same data gives the exact optimum and passes the self-check
    monkeypatch.setattr(fit_module, "_exact_lstsq", real)
    assert main(["fit", str(path), "--degree", "1", "--exact"]) == 0
