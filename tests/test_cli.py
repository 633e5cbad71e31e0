"""The command line: exit codes, one JSON object, one-line errors, no tracebacks."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from exactformer.cli import main

EXPECTED_FIELDS = {"verdict", "rung", "variables", "degree", "tokens", "width", "blocks",
                   "free_parameters", "seconds"}


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_prove_prints_summary_and_verdict(capsys):
    code, out, err = run_cli(capsys, "prove", "3*x**2*y - y/7 + 2")
    assert code == 0
    assert "PROVED (exact polynomial identity)" in out
    assert "N = 10" in out and "blocks" in out
    assert err == ""


def test_prove_json_is_one_object_with_the_fields(capsys):
    code, out, _ = run_cli(capsys, "prove", "3*x**2*y - y/7 + 2", "--json")
    assert code == 0
    data = json.loads(out)
    assert EXPECTED_FIELDS <= set(data)
    assert data["verdict"] == "proved" and data["tokens"] == 10 and data["blocks"] == 3
    assert data["free_parameters"] == 10 and data["variables"] == ["x", "y"]


def test_leading_minus_expression_is_not_an_option(capsys):
    code, out, _ = run_cli(capsys, "prove", "-x**2 + 1", "--json")
    assert code == 0 and json.loads(out)["degree"] == 2


def test_irrational_constants_are_reported_as_symbols(capsys):
    code, out, _ = run_cli(capsys, "prove", "pi*x + sqrt(2)", "--json")
    data = json.loads(out)
    assert code == 0 and set(data["constants"]) == {"pi", "sqrt(2)"}
    assert "independent symbols" in data["note"]


def test_params_and_vars(capsys):
    code, out, _ = run_cli(capsys, "prove", "a*x*y + b", "--params", "a,b", "--vars", "y,x",
                           "--json")
    data = json.loads(out)
    assert code == 0 and data["variables"] == ["y", "x"] and data["params"] == ["a", "b"]


@pytest.mark.parametrize("argv, code, message", [
    (["prove", "sin(x)"], 2, "not a polynomial"),
    (["prove", "1/x"], 2, "division"),
    (["prove", "x**0.5"], 2, "fractional"),
    (["prove", "x**-2"], 2, "negative"),
    (["prove", "x**y"], 2, "not a constant"),
    (["prove", "(x+1"], 2, "unbalanced"),
    (["prove", ""], 2, "empty"),
    (["prove", "__import__('os').system('echo hi')"], 2, "not allowed"),
    (["prove", "x + z", "--vars", "x,y"], 2, "undeclared symbol 'z'"),
    (["prove", "x**(10**10)"], 3, "exponent"),
    (["prove", "(x+1)**100000"], 3, "exponent"),
    (["prove", "x**20", "--max-degree", "10"], 3, "limit 10"),
    (["prove"], 2, "usage"),
    ([], 2, "command is required"),
    (["frobnicate"], 2, "usage"),
    (["prove", "x", "--timeout", "abc"], 2, "usage"),
    (["check-model", "/nonexistent.json", "--claim", "x"], 2, "does not exist"),
])
def test_bad_input_exit_codes_and_one_line(capsys, argv, code, message):
    got, out, err = run_cli(capsys, *argv)
    assert got == code
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and out == ""


def test_check_model_round_trip(tmp_path, capsys):
    path = tmp_path / "m.json"
    code, _, _ = run_cli(capsys, "prove", "x**2 - 3*x*y", "--save-model", str(path))
    assert code == 0
    code, out, _ = run_cli(capsys, "check-model", str(path), "--claim", "x**2 - 3*x*y", "--json")
    assert code == 0 and json.loads(out)["verdict"] == "proved"
    code, out, _ = run_cli(capsys, "check-model", str(path), "--claim", "x**2 - 3*x*y + 1",
                           "--json")
    data = json.loads(out)
    assert code == 1 and data["verdict"] == "refuted"
    assert data["difference"] == {"monomial": "1", "model": "0", "claim": "1"}


def test_check_model_rejects_a_malformed_file(tmp_path, capsys):
    path = tmp_path / "m.json"
    path.write_text('{"format": "exactformer-model/1", "tokens": NaN}')
    code, _, err = run_cli(capsys, "check-model", str(path), "--claim", "x")
    assert code == 2 and "NaN" in err


def test_demo_runs_and_says_proved(capsys):
    code, out, _ = run_cli(capsys, "demo")
    assert code == 0 and "PROVED" in out and "REFUTED" in out
    code, out, _ = run_cli(capsys, "demo", "--json")
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "proved" and len(data["examples"]) >= 7


def test_timeout_is_a_limit(capsys):
    code, _, err = run_cli(capsys, "prove", "(x+y+z+w+1)**14", "--timeout", "0.01")
    assert code == 3 and "time limit" in err


def test_console_script_runs_in_a_subprocess():
    proc = subprocess.run([sys.executable, "-m", "exactformer.cli", "prove", "x**2", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["verdict"] == "proved"
    proc = subprocess.run([sys.executable, "-m", "exactformer.cli", "prove", "sin(x)"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_roots_are_exact_algebraic_numbers(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "prove", "sqrt(6)*x - sqrt(2)*sqrt(3)*x + sqrt(2)**2", "--json")
    data = json.loads(out)
    assert code == 0 and data["target"] == "2" and data["blocks"] == 0
    path = tmp_path / "m.json"
    code, _, _ = run_cli(capsys, "prove", "sqrt(6)*x + pi", "--save-model", str(path))
    assert code == 0
    code, out, _ = run_cli(capsys, "check-model", str(path), "--claim",
                           "sqrt(2)*sqrt(3)*x + pi", "--json")
    assert code == 0, out
    code, out, _ = run_cli(capsys, "check-model", str(path), "--claim", "sqrt(5)*x + pi",
                           "--json")
    assert code == 1


@pytest.mark.parametrize("argv", [
    ["prove", "x", "--degree", "-5"],
    ["theorem", "--dim", "-1", "--degree", "2"],
    ["theorem", "--dim", "2", "--degree", "two"],
])
def test_negative_or_non_integer_sizes_are_usage_errors(capsys, argv):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and "non-negative integer" in err and out == ""


def test_unwritable_output_paths_are_bad_input_not_bugs(capsys, tmp_path):
    code, _, err = run_cli(capsys, "prove", "x", "--save-model", str(tmp_path))
    assert code == 2 and "is a directory" in err.lower()
    code, _, err = run_cli(capsys, "prove", "x", "--save-model", str(tmp_path / "no" / "m.json"))
    assert code == 2 and "cannot access" in err


def test_degree_below_the_target_is_a_usage_problem(capsys):
    code, _, err = run_cli(capsys, "prove", "x**3", "--degree", "2")
    assert code == 2 and "below the target's degree 3" in err
