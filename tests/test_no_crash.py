"""No exit 4, no traceback, no hang, on any input: whole classes, not single strings.

* every numeric option of every subcommand (listed from the parser, so a new
  subcommand or option is covered, or fails here until it is) with absurd values;
* every environment variable the package reads;
* every file reader on FIFOs, devices, directories and sockets (in a subprocess with
  a timeout, so a hang fails the test instead of freezing the suite);
* numbers too large to convert (Python's int <-> str limit) in expressions, model
  files and certificates; degrees and dimensions above the limits; readout forms
  whose expansion outlasts the checker's --timeout.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

import exactformer
from exactformer import checker
from exactformer.cli import build_parser, main
from exactformer.errors import LimitExceeded

PACKAGE = Path(exactformer.__file__).parent
ABSURD = ["nan", "inf", "-inf", "-1", "1e10", "1e309", str(10**30), "abc", "", "1" * 5000]
#: (option, value) pairs that are legitimately accepted (exit 0 or 1 is then fine).
ACCEPTED = {("--seed", str(10**30)), ("--max-denominator", str(10**30))}
SECONDS = 15.0  # generous per-run bound: every run here takes well under a second


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def numeric_options(sub: argparse.ArgumentParser) -> list[argparse.Action]:
    """Options whose argparse type turns "1" or "2" into a number."""
    out = []
    for a in sub._actions:
        if not a.option_strings or a.nargs == 0 or a.type is None:
            continue
        for text in ("1", "2"):
            try:
                value = a.type(text)
            except Exception:
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append(a)
                break
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict[str, list[str]]:
    """A quick, valid invocation of every subcommand (with the files it needs)."""
    d = tmp_path_factory.mktemp("no_crash")
    model, cert, csv = d / "m.json", d / "c.json", d / "data.csv"
    assert main(["prove", "x**2", "--save-model", str(model), "--certificate", str(cert)]) == 0
    csv.write_text("x,y\n0,1\n1,2\n2,5\n3,10\n")
    return {
        "prove": ["prove", "x**2"],
        "check-model": ["check-model", str(model), "--claim", "x**2"],
        "theorem": ["theorem", "--dim", "1", "--degree", "2"],
        "demo": ["demo"],
        "check": ["check", str(cert)],
        "export": ["export", str(cert), "--coq", str(d / "out.v")],
        "explain": ["explain", "x**2"],
        "export-model": ["export-model", "x**2", "--numpy", str(d / "out.npz")],
        "approx": ["approx", "exp(x)", "--degree", "2", "--samples", "50"],
        "fit": ["fit", str(csv), "--degree", "1"],
        "float-error": ["float-error", str(model), "--claim", "x**2", "--domain", "[-1,1]",
                        "--precision", "float32", "--samples", "50"],
    }


def run(capsys, argv: list[str]) -> tuple[int, str, str, float]:
    start = time.monotonic()
    code = main(list(argv))
    elapsed = time.monotonic() - start
    out, err = capsys.readouterr()
    return code, out, err, elapsed


def assert_clean(code: int, err: str, elapsed: float, codes, what) -> None:
    assert code in codes, (what, code, err)
    assert len(err.strip().splitlines()) <= 1, (what, err)
    assert "Traceback" not in err and "internal error" not in err, (what, err)
    assert elapsed < SECONDS, (what, elapsed)


def with_option(argv: list[str], option: str, value: str) -> list[str]:
    """argv with ``option value`` replacing an existing value, else appended."""
    argv = list(argv)
    if option in argv:
        argv[argv.index(option) + 1] = value
        return argv
    return argv + [option, value]


def test_every_subcommand_has_a_base_invocation(base):
    missing = set(subcommands()) - set(base)
    assert not missing, f"add a quick valid invocation of {sorted(missing)} to base()"


def test_base_invocations_succeed(capsys, base):
    for name, argv in base.items():
        code, _, err, elapsed = run(capsys, argv)
        assert_clean(code, err, elapsed, {0}, name)


def test_every_subcommand_has_its_numeric_options_found():
    found = {name: {a.option_strings[0] for a in numeric_options(sub)}
             for name, sub in subcommands().items()}
    for name in ("prove", "check-model", "explain", "export-model"):
        assert {"--timeout", "--max-degree", "--max-digits", "--max-tokens"} <= found[name], name
    for name in ("prove", "explain", "export-model", "theorem"):
        assert "--degree" in found[name], name
    assert {"--points", "--seed"} <= found["prove"]
    assert {"--dim", "--degree", "--timeout", "--max-tokens"} <= found["theorem"]
    assert "--timeout" in found["check"] and "--timeout" in found["export"]
    assert "--max-tokens-shown" in found["explain"]
    assert "--max-denominator" in found["check-model"]


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_absurd_values_of_every_numeric_option(capsys, base, name):
    sub = subcommands()[name]
    for action in numeric_options(sub):
        option = action.option_strings[0]
        for value in ABSURD:
            argv = with_option(base[name], option, value)
            if option != "--timeout" and "--timeout" in {s for a in sub._actions
                                                        for s in a.option_strings}:
                argv = with_option(argv, "--timeout", "10")
            code, _, err, elapsed = run(capsys, argv)
            codes = {0, 1, 2, 3} if (option, value) in ACCEPTED else {2, 3}
            assert_clean(code, err, elapsed, codes, (name, option, value[:20]))
            if code == 2:
                assert err.startswith("exactformer: "), (name, option, err)


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_timeout_bounds(capsys, base, name):
    """--timeout: 0 (no limit) and the largest accepted value run; one more is refused."""
    from exactformer.cli.common import MAX_TIMEOUT
    sub = subcommands()[name]
    if "--timeout" not in {s for a in sub._actions for s in a.option_strings}:
        pytest.skip(f"{name} has no --timeout")
    for value, codes in (("0", {0}), (str(MAX_TIMEOUT), {0}), ("0.5e1", {0}),
                         (str(MAX_TIMEOUT + 1), {2})):
        code, _, err, elapsed = run(capsys, with_option(base[name], "--timeout", value))
        assert_clean(code, err, elapsed, codes, (name, value))


def test_int_options_refuse_floats_and_expressions(capsys):
    for value in ["2.0", "1e3", "0x10", "10**3", "1_000", " ", "٣"]:
        code, _, err, elapsed = run(capsys, ["prove", "x", "--degree", value])
        assert_clean(code, err, elapsed, {2}, value)
        assert "--degree" in err


def test_limit_options_are_bounded(capsys):
    from exactformer.cli.common import LIMIT_MAXIMA
    for name, top in LIMIT_MAXIMA.items():
        option = "--" + name.replace("_", "-")
        code, _, err, elapsed = run(capsys, ["prove", "x", option, str(top + 1)])
        assert_clean(code, err, elapsed, {2}, option)
        assert option in err and "maximum" in err
        code, _, err, elapsed = run(capsys, ["prove", "x", option, str(top)])
        assert_clean(code, err, elapsed, {0}, option)


# ------------------------------------------------------------ environment variables

def environment_reads() -> list[str]:
    """Lines of the package that read the environment."""
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bos\.environ\b|\bgetenv\(|\benviron\[", line):
                hits.append(f"{path.relative_to(PACKAGE)}:{i}")
    return hits


def test_every_environment_variable_is_registered():
    """Each read of the environment is in engine/environment.py, whose variables are
    listed in ENVIRONMENT_VARIABLES and validated by check_environment(); a new read
    elsewhere fails here until it is registered and validated the same way."""
    from exactformer.engine.environment import (BACKEND_VARIABLE, DISPLAY_VARIABLES,
                                                ENVIRONMENT_VARIABLES)
    hits = environment_reads()
    assert hits and all(h.startswith(os.path.join("engine", "environment.py")) for h in hits), hits
    assert set(ENVIRONMENT_VARIABLES) == {BACKEND_VARIABLE}
    # read for the progress bar only: any value is fine, none changes a result
    assert set(DISPLAY_VARIABLES) == {"NO_COLOR", "TERM"}


@pytest.mark.parametrize("value", ["bogus", "FLINTY", "sympy,flint", "1", "\u0455ympy"])
def test_bad_environment_values_exit_2_on_every_subcommand(capsys, base, monkeypatch, value):
    from exactformer.engine.environment import ENVIRONMENT_VARIABLES
    for variable in ENVIRONMENT_VARIABLES:
        monkeypatch.setenv(variable, value)
        for name, argv in base.items():
            code, out, err, elapsed = run(capsys, argv)
            assert_clean(code, err, elapsed, {2}, (variable, value, name))
            assert variable in err, (name, err)
        monkeypatch.delenv(variable)


@pytest.mark.parametrize("value", ["", "  ", "auto", "SymPy", " sympy "])
def test_good_environment_values(capsys, monkeypatch, value):
    monkeypatch.setenv("EXACTFORMER_BACKEND", value)
    code, _, err, elapsed = run(capsys, ["prove", "x**2 + 1"])
    assert_clean(code, err, elapsed, {0}, value)


def test_flint_without_python_flint_exits_2(capsys, monkeypatch):
    import exactformer.engine.backends as backends
    import exactformer.engine.domains as domains
    monkeypatch.setattr(backends, "flint_available", lambda: False)
    monkeypatch.setattr(domains, "flint_available", lambda: False)
    monkeypatch.setenv("EXACTFORMER_BACKEND", "flint")
    for argv in (["prove", "x**2", "--construction", "softmax"], ["theorem", "--dim", "1",
                                                                 "--degree", "2"]):
        code, _, err, elapsed = run(capsys, argv)
        assert_clean(code, err, elapsed, {2}, argv)
        assert "EXACTFORMER_BACKEND=flint needs python-flint" in err
    monkeypatch.delenv("EXACTFORMER_BACKEND")
    code, _, err, elapsed = run(capsys, ["prove", "x**2", "--backend", "flint"])
    assert_clean(code, err, elapsed, {2}, "--backend flint")
    with pytest.raises(ValueError, match="python-flint"):
        backends.backend_name("flint")


# ------------------------------------------------------------ file readers

def subprocess_run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run in a child process: a hang fails the test (TimeoutExpired), never the suite."""
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture
def special_files(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "s"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    yield {"fifo": fifo, "/dev/zero": Path("/dev/zero"), "directory": tmp_path,
           "socket": sock_path, "/dev/stdin": Path("/dev/stdin")}
    sock.close()


#: Runs each argv (a JSON list of argv lists) through main() in ONE child process and
#: prints [exit code, stderr] per argv: one interpreter start for all readers.
CHILD = """
import contextlib, io, json, sys
from exactformer.cli import main
from exactformer import checker
out = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = checker.main(argv[1:]) if argv[0] == "checker" else main(argv)
    out.append([code, err.getvalue()])
print(json.dumps(out))
"""


def test_file_readers_refuse_non_regular_files(special_files):
    """Nothing is read from a FIFO (it would wait forever), a device (endless), a
    directory or a socket: exit 2, one line, quickly; for every reader (one child
    process with a timeout, so a hang fails the test)."""
    commands = []
    for kind, path in special_files.items():
        path = str(path)
        commands += [
            ["check-model", path, "--claim", "x"],
            ["check-model", path, "--claim", "x", "--rung", "schwartz-zippel"],
            ["check", path],
            ["export", path, "--coq", str(special_files["directory"] / "o.v")],
            ["fit", path, "--degree", "1"],
            ["checker", path],
        ]
    r = subprocess_run(["-c", CHILD, json.dumps(commands)], timeout=60)
    assert r.returncode == 0, r.stderr
    for argv, (code, err) in zip(commands, json.loads(r.stdout)):
        assert code == 2, (argv, code, err)
        assert len(err.strip().splitlines()) == 1, (argv, err)
        assert "Traceback" not in err and "internal error" not in err, (argv, err)
        assert "regular file" in err or "cannot be opened" in err, (argv, err)


def test_a_fifo_is_not_opened_for_reading(special_files):
    """The standalone checker on a FIFO, as a user runs it: returns at once."""
    r = subprocess_run(["-m", "exactformer.checker", str(special_files["fifo"])], timeout=30)
    assert r.returncode == 2 and "FIFO" in r.stderr and "Traceback" not in r.stderr


#: Options that write a file but do not use exactformer.cli.common.output_file yet.
OUTPUT_TYPE_PENDING: set[tuple[str, str]] = set()


def output_options() -> list[tuple[str, str]]:
    """(subcommand, option) of every option that names a file to write."""
    out = []
    for name, sub in subcommands().items():
        numeric = numeric_options(sub)
        for a in sub._actions:
            if not a.option_strings or a.nargs == 0 or a in numeric:
                continue
            text = f"{a.metavar or ''} {a.help or ''}".lower()
            if (a.help or "").startswith("read "):  # an input (--file, --claim-file)
                continue
            if getattr(a.type, "__name__", "") == "file" or re.search(
                    r"\bfile\b|\.npz|\.pt|png|\bwrite|\bdraw", text):
                out.append((name, a.option_strings[0]))
    return out


def test_every_output_option_refuses_fifos_and_directories(base, special_files):
    """Opening a FIFO for writing waits for a reader forever: every option naming a
    file to write refuses an existing FIFO, socket or directory (exit 2, one line)."""
    options = [o for o in output_options() if o not in OUTPUT_TYPE_PENDING]
    names = {o for _, o in options}
    assert {"--save-model", "--certificate", "--coq", "--markdown", "--html", "--numpy",
            "--torch"} <= names, names
    folder = special_files["directory"]
    os.mkfifo(folder / "fifo.npz")
    (folder / "dir.npz").mkdir()
    commands = []
    for name, option in options:
        paths = [special_files[kind] for kind in ("fifo", "directory", "socket")]
        if option == "--numpy":  # numpy appends .npz to a name without it
            paths = [folder / "fifo.npz", folder / "dir.npz", folder / "fifo", folder / "dir"]
        commands += [with_option(base[name], option, str(p)) for p in paths]
    r = subprocess_run(["-c", CHILD, json.dumps(commands)], timeout=60)
    assert r.returncode == 0, r.stderr
    for argv, (code, err) in zip(commands, json.loads(r.stdout)):
        assert code == 2, (argv, code, err)
        assert len(err.strip().splitlines()) == 1 and "not a file to write" in err, (argv, err)


def test_read_input_file_reads_at_most_the_limit(tmp_path):
    from exactformer.cli.common import read_input_file
    path = tmp_path / "big.json"
    path.write_bytes(b"x" * 1000)
    assert read_input_file(str(path), "file", max_bytes=1000) == b"x" * 1000
    with pytest.raises(LimitExceeded, match="larger than 999 bytes"):
        read_input_file(str(path), "file", max_bytes=999)


# ------------------------------------------------------------ numbers and sizes

@pytest.mark.parametrize("text", [
    "10**1999*10**1999*10**1999*x", "(10**1999*x + 1)**3", "(10**1999*x + 1)*(10**1999*x + 1)*"
    "(10**1999*x + 1)", "1/(10**1999 + 1) + 1/(10**1999 + 3) + 1/(10**1999 + 7) + x",
    "(x + 10**1999)**2", "10**1999*10**1999*x/10**1999", "(10**1500*x)**2",
    "(10**1000 + x)**5", "x*2**6000/2**5999", "(1/3)**3000*x"])
def test_products_of_big_numbers_are_refused_before_they_overflow(capsys, text):
    code, _, err, elapsed = run(capsys, ["prove", text])
    assert_clean(code, err, elapsed, {0, 3}, text)
    if code == 3:
        assert "digits" in err


@pytest.mark.parametrize("text", ["10**1999*x", "(x/3 + 1)**100", "(2*x + 1)**500",
                                  "10**1999*x + 10**1999"])
def test_big_numbers_within_the_limit_are_fine(capsys, text):
    code, _, err, elapsed = run(capsys, ["prove", text])
    assert_clean(code, err, elapsed, {0}, text)


@pytest.fixture(scope="module")
def model_json(base):
    return json.loads(Path(base["check-model"][1]).read_text())


def _set_all_numbers(obj, value):
    if isinstance(obj, dict):
        if "entries" in obj:
            for e in obj["entries"]:
                e[-1] = value
        for v in obj.values():
            _set_all_numbers(v, value)
    elif isinstance(obj, list):
        for v in obj:
            _set_all_numbers(v, value)


@pytest.mark.parametrize("value", ["1e999999", "1e-999999", "7" * 4400, "7" * 5000,
                                   "1/" + "3" * 4400, "1e99999999999999999999", "2" * 2100])
@pytest.mark.parametrize("where", ["weights", "readout", "bias", "all"])
def test_model_file_with_huge_numbers(capsys, tmp_path, model_json, value, where):
    data = json.loads(json.dumps(model_json))
    if where == "weights":
        data["embedding"]["base"]["entries"][0][2] = value
    elif where == "readout":
        data["readout"]["entries"][0][2] = value
    elif where == "bias":
        data["readout"]["bias"] = value
    else:
        _set_all_numbers(data, value)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    for extra in ([], ["--rung", "schwartz-zippel", "--seed", "1"]):
        code, _, err, elapsed = run(capsys, ["check-model", str(path), "--claim", "x**2",
                                             "--timeout", "10", *extra])
        # a 2100-digit weight is a legal number (some weights do not reach the output)
        # exit 5: the Schwartz-Zippel rung's agreement (probabilistic, not a proof)
        assert_clean(code, err, elapsed, {0, 1, 2, 3} if not extra else {1, 2, 3, 5},
                     (value[:12], where, extra))
        if len(value) > 4000 or "e" in value:
            assert code in (2, 3), (value[:12], where, extra)


def test_model_reader_refuses_huge_numbers_with_a_named_error(model_json):
    from exactformer.errors import ModelFormatError
    from exactformer.formats.model_json import loads
    for value in ["1e999999", "7" * 4400, "1/" + "3" * 4400]:
        data = json.loads(json.dumps(model_json))
        data["embedding"]["base"]["entries"][0][2] = value
        with pytest.raises((LimitExceeded, ModelFormatError), match="digits"):
            loads(json.dumps(data))
    text = json.dumps(model_json).replace('"tokens": 3', '"tokens": ' + "1" * 5000)
    assert "1" * 5000 in text
    with pytest.raises(ModelFormatError, match="digits"):
        loads(text)


@pytest.mark.parametrize("argv", [
    ["prove", "x", "--degree", "100000"], ["prove", "x", "--degree", "1001"],
    ["prove", "x*y", "--degree", "1000"], ["explain", "x", "--degree", "100000"],
    ["export-model", "x", "--degree", "100000", "--numpy", "unused.npz"],
    ["prove", "x", "--degree", "100000", "--rung", "schwartz-zippel"],
    ["theorem", "--dim", "1", "--degree", "100000"], ["theorem", "--dim", "100000",
                                                      "--degree", "1"],
    ["theorem", "--dim", "3", "--degree", "1000"],
    ["prove", "x", "--degree", "50", "--max-degree", "10"],
    ["prove", "x*y*z", "--degree", "30", "--max-tokens", "100"],
])
def test_degree_and_dimension_are_limited_before_building(capsys, argv):
    code, _, err, elapsed = run(capsys, argv)
    assert_clean(code, err, elapsed, {3}, argv)
    assert elapsed < 2, (argv, elapsed)
    assert "limit" in err


def test_library_build_checks_degree_and_tokens_first():
    from exactformer import api
    from exactformer.constructions import build_model
    from exactformer.limits import Limits
    from exactformer.poly import make_target
    from exactformer.theorem import prove_theorem
    target = make_target("x")
    for construction in ("masked", "softmax", "relu", "logdepth"):
        start = time.monotonic()
        with pytest.raises(LimitExceeded, match="degree 100000 exceeds"):
            build_model(target, construction, degree=100_000)
        with pytest.raises(LimitExceeded, match="tokens"):
            build_model(make_target("x*y"), construction, degree=999,
                        limits=Limits(max_tokens=1000))
        assert time.monotonic() - start < 1
    with pytest.raises(LimitExceeded):
        api.prove("x", degree=100_000)
    with pytest.raises(LimitExceeded):
        prove_theorem(2, 5000)


# ------------------------------------------------------------ the standalone checker

@pytest.fixture(scope="module")
def certificate(base):
    return json.loads(Path(base["check"][1]).read_text())


def _write_cert(path: Path, cert: dict) -> str:
    cert = dict(cert)
    cert["sha256"] = checker.content_hash(cert)
    path.write_text(json.dumps(cert))
    return str(path)


def _checker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess_run(["-m", "exactformer.checker", *args], timeout=timeout)


def test_checker_huge_numbers(tmp_path, certificate):
    """2500-digit numbers whose products pass Python's int -> str limit: exit 3 (no
    verdict), never a traceback."""
    for value in ["7" * 2500, "-" + "9" * 2400 + "/" + "7" * 2400]:
        cert = json.loads(json.dumps(certificate))
        _set_all_numbers(cert["model"], value)
        path = _write_cert(tmp_path / "big.json", cert)
        r = _checker(path, "--timeout", "20")
        assert r.returncode in (1, 2, 3), r.stderr
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert checker.check_file(path, timeout=20).code in (1, 2, 3)


@pytest.mark.parametrize("form", ["(a+b+c)**200", "(a+b+c+d+e)**25*(a+b+c+d+e)**25",
                                  "((a+b+c)**40)*((a+b+c)**40)*((a+b+c)**40)"])
def test_checker_deadline_holds_while_forms_are_parsed(tmp_path, certificate, form):
    cert = json.loads(json.dumps(certificate))
    ro = cert["model"]["readout"]
    rows, cols = ro["shape"]
    ro["entries"] = [[t, c, form] for t in range(rows) for c in range(cols)]
    path = _write_cert(tmp_path / "forms.json", cert)
    start = time.monotonic()
    r = _checker(path, "--timeout", "1")
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "limit" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert time.monotonic() - start < 15
    start = time.monotonic()
    assert checker.check_file(path, timeout=0.5).code == checker.LIMIT
    assert time.monotonic() - start < 10


def test_checker_deadline_is_restored(tmp_path, certificate):
    path = _write_cert(tmp_path / "ok.json", certificate)
    assert checker.check_file(path, timeout=5).valid
    assert checker._deadline is None
    assert checker.parse_form("(a+b)**3", "r")[(("a", 3),)] == Fraction(1)


@pytest.mark.parametrize("args, code", [
    (["--timeout", "nan"], 2), (["--timeout", "inf"], 2), (["--timeout", "-1"], 2),
    (["--timeout", "1e10"], 2), (["--timeout", "1e309"], 2), (["--timeout", "abc"], 2),
    (["--timeout", ""], 2), (["--timeout"], 2), (["--timeout=nan"], 2), (["--bogus"], 2),
    (["-x"], 2), (["--json", "--json"], 0), (["--timeout", "0"], 0), (["--timeout=30"], 0),
    (["EXTRA"], 2),
])
def test_checker_argument_parsing(tmp_path, certificate, args, code):
    path = _write_cert(tmp_path / "ok.json", certificate)
    r = _checker(path, *args)
    assert r.returncode == code, (args, r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    if code == 2:
        assert len(r.stderr.strip().splitlines()) == 1 and "usage" in r.stderr


def test_checker_main_in_process(capsys, tmp_path, certificate):
    path = _write_cert(tmp_path / "ok.json", certificate)
    assert checker.main([]) == 2 and checker.main([path, path]) == 2
    assert checker.main(["--timeout", "5", path]) == 0
    assert checker.main(["--", path]) == 0
    assert checker.main(["--help"]) == 0
    assert checker.main([str(tmp_path / "missing.json")]) == 2
    capsys.readouterr()
