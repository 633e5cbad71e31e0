"""Polynomials from an argument, --file PATH or "-" (stdin); --json errors as one JSON
object on stdout with the same line as stderr."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from exactformer.cli import main

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def cli(args, stdin: bytes = b""):
    r = subprocess.run([sys.executable, "-m", "exactformer", *args], input=stdin,
                       capture_output=True, timeout=120, env=ENV)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def test_stdin_file_and_argument_give_the_same_result(tmp_path):
    poly = "3*x**2*y - y/7 + 2"
    (tmp_path / "p.txt").write_text(poly + "\n")
    outs = [cli(["prove", poly, "--json"]), cli(["prove", "-", "--json"], poly.encode()),
            cli(["prove", "--file", str(tmp_path / "p.txt"), "--json"])]
    results = [json.loads(o) for c, o, _ in outs]
    assert all(c == 0 for c, _, _ in outs)
    assert len({(r["target"], r["verdict"], r["tokens"]) for r in results}) == 1


def test_a_long_polynomial_from_a_file_beyond_the_argument_limit(tmp_path):
    # about 300 KB: too long for a command line on many systems, fine from a file
    text = " + ".join(f"{i}*x**{i % 3}*y**{i % 2}" for i in range(1, 30_000))
    (tmp_path / "big.txt").write_text(text)
    assert len(text) > 300_000
    code, out, err = cli(["prove", "--file", str(tmp_path / "big.txt"), "--json"])
    assert code == 0, err
    assert json.loads(out)["verdict"] == "proved"


def test_claims_from_stdin_and_a_file(tmp_path):
    model = tmp_path / "m.json"
    assert main(["prove", "x**2 - y", "--save-model", str(model)]) == 0
    (tmp_path / "c.txt").write_text("x**2 - y")
    assert cli(["check-model", str(model), "--claim", "-"], b"x**2 - y")[0] == 0
    assert cli(["check-model", str(model), "--claim", "-"], b"x**2 + y")[0] == 1
    assert cli(["check-model", str(model), "--claim-file", str(tmp_path / "c.txt")])[0] == 0


@pytest.mark.parametrize("args, stdin, message", [
    (["prove"], b"", "a polynomial is required"),
    (["prove", "x", "--file", "/dev/null"], b"", "not both"),
    (["prove", "-"], b"\xff\xfe", "not valid UTF-8"),
    (["prove", "--file", "/nonexistent/p.txt"], b"", "does not exist"),
    (["prove", "--file", "/"], b"", "directory"),
    (["prove", "-", "--max-input-chars", "10"], b"x" * 100, "limit"),
    (["check-model", "/dev/null"], b"", "a claim is required"),
])
def test_bad_text_inputs_are_one_line(args, stdin, message):
    code, out, err = cli(args, stdin)
    assert code in (2, 3) and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [
    ["prove", "x +", "--json"], ["prove", "--json"], ["prove", "x", "--timeout", "-1", "--json"],
    ["prove", "x**100000", "--json"], ["check-model", "/nonexistent", "--claim", "x", "--json"],
    ["theorem", "--dim", "1", "--degree", "99999999", "--json"],
])
def test_json_errors_are_one_object_with_the_stderr_line(args):
    code, out, err = cli(args)
    assert code in (2, 3)
    obj = json.loads(out)  # exactly one JSON object
    assert obj == {"verdict": "error", "exit_code": code, "error": err.strip()}


def test_max_degree_governs_exponents_and_theorem_takes_the_limits():
    assert cli(["prove", "x**1500", "--construction", "logdepth", "--max-degree", "2000"])[0] == 0
    code, _, err = cli(["prove", "x**6", "--max-degree", "5"])
    assert code == 3 and "exponent 6" in err
    assert cli(["theorem", "--dim", "1", "--degree", "1500", "--construction", "logdepth",
                "--max-degree", "2000"])[0] == 0
    code, _, err = cli(["theorem", "--dim", "2", "--degree", "3", "--max-terms", "3"])
    assert code == 3 and "--max-terms" in err
    code, _, err = cli(["theorem", "--dim", "2", "--degree", "3", "--max-digits", "-1"])
    assert code == 2


def test_every_subcommand_shows_examples_that_parse():
    import shlex
    from exactformer.cli import EXAMPLES, build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) <= set(EXAMPLES), set(sub.choices) - set(EXAMPLES)
    for name, command in sub.choices.items():
        assert "examples:" in command.format_help()
        for example in EXAMPLES[name]:
            argv = shlex.split(example.split(" < ")[0])[1:]
            args = parser.parse_args(argv)  # a usage error raises
            assert args.command == name
