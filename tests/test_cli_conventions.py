"""Conventions scripts rely on: a result that never reached stdout is never exit 0, an
abbreviated --json still gives one JSON object on errors, limits mean what they say."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from exactformer.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_into_closed_pipe(argv: list[str], cwd) -> int:
    """The exit code of ``exactformer ARGV`` whose stdout is a pipe nobody reads."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write now fails with EPIPE
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    try:
        proc = subprocess.run([sys.executable, "-m", "exactformer", *argv], stdout=write_end,
                              stderr=subprocess.PIPE, cwd=cwd, env=env, timeout=300)
    finally:
        os.close(write_end)
    assert b"Traceback" not in proc.stderr, proc.stderr
    return proc.returncode


@pytest.fixture
def model(tmp_path):
    assert main(["prove", "x**2", "--save-model", str(tmp_path / "m.json")]) == 0
    return str(tmp_path / "m.json")


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_a_refuted_claim_into_a_closed_pipe_is_not_exit_0(tmp_path, model, capsys, extra):
    capsys.readouterr()
    code = run_into_closed_pipe(["check-model", model, "--claim", "x", *extra], tmp_path)
    assert code in (1, 141), code  # the verdict (known) or "not delivered"; never 0
    if extra:
        assert code == 1  # with --json the verdict is known before anything is printed


def test_a_proof_into_a_closed_pipe_says_it_was_not_delivered(tmp_path):
    assert run_into_closed_pipe(["prove", "x**2 + 1"], tmp_path) == 141


@pytest.mark.parametrize("flag", ["--js", "--jso", "--json"])
def test_an_abbreviated_json_flag_gives_the_error_object(capsys, model, flag):
    capsys.readouterr()
    code = main(["check-model", model, "--claim", "x+", flag])
    out, err = capsys.readouterr()
    assert code == 2
    obj = json.loads(out)
    assert obj == {"verdict": "error", "exit_code": 2, "error": err.strip()}


def test_max_input_chars_zero_is_a_limit_for_files_and_stdin(tmp_path, capsys, monkeypatch):
    path = tmp_path / "p.txt"
    path.write_text("x**2 + 1")
    assert main(["prove", "--file", str(path), "--max-input-chars", "0"]) == 3
    err = capsys.readouterr().err
    assert "0 characters" in err and "--max-input-chars" in err and "bytes" not in err
    assert main(["prove", "--file", str(path), "--max-input-chars", "8"]) == 0


def test_a_bound_too_large_for_a_float_is_a_limit(tmp_path, capsys):
    m = str(tmp_path / "m.json")
    assert main(["prove", "x**2 - y/4", "--save-model", m]) == 0
    capsys.readouterr()
    huge = "1" + "0" * 155
    code = main(["float-error", m, "--claim", "x**2 - y/4", "--domain", f"[-{huge},1]^2",
                 "--precision", "float64", "--json"])
    out, err = capsys.readouterr()
    assert code == 3, err
    assert json.loads(out)["exit_code"] == 3 and "internal" not in err


def test_a_result_decided_piece_by_piece_has_a_card_and_refuses_a_walk_through():
    """After a box split (or a counterexample) there is no whole-box trace: the notebook
    card still renders, the walk-through is refused with NotExact (exit 2 on the CLI)."""
    from exactformer import build, check_model
    from exactformer.errors import NotExact
    m = build("x**2 - x", construction="relu", domain="[-1,1]")
    r = check_model(m, "x**2 - x", domain="[-3,3]")
    assert r.trace is None and not r.proved
    assert "refuted" in r._repr_html_()
    with pytest.raises(NotExact, match="no walk-through"):
        r.report()
