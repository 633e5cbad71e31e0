"""Every ``--json`` object follows its documented schema (docs/json-schema/): ONE object
on stdout, ``exit_code`` equal to the exit code, errors as {"verdict": "error",
"exit_code", "error": the stderr line}, and one type per key across subcommands."""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema")

from exactformer.cli import SUBCOMMANDS, main  # noqa: E402
from exactformer.errors import InternalContradiction  # noqa: E402

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "json-schema"


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text())


def validator(name: str):
    s = schema(name)
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


def quiet(*argv: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(list(argv))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Model files, certificates and data that the cases below read."""
    d = tmp_path_factory.mktemp("json_schema")
    f = {k: str(d / v) for k, v in dict(
        json="m.json", npz="m.npz", onnx="m.onnx", pt="m.pt", cert="cert.json",
        thm="thm.json", box="box.json", bad="bad.json", mal="mal.json", csv="d.csv",
        out=".").items()}
    assert quiet("prove", "x**2*y - 1/3", "--save-model", f["json"],
                 "--certificate", f["cert"]) == 0
    assert quiet("theorem", "--dim", "1", "--degree", "2", "--certificate", f["thm"]) == 0
    assert quiet("prove", "x", "--construction", "relu", "--domain", "[0,1]",
                 "--certificate", f["box"]) == 0
    assert quiet("export-model", "x**2*y - 1/3", "--numpy", f["npz"]) == 0
    if importlib.util.find_spec("onnx"):
        assert quiet("export-model", "x**2*y - 1/3", "--onnx", f["onnx"]) == 0
    if importlib.util.find_spec("torch"):
        assert quiet("export-model", "x**2*y - 1/3", "--torch", f["pt"]) == 0
    cert = json.loads(Path(f["cert"]).read_text())
    cert["claim"] = "something else"
    Path(f["bad"]).write_text(json.dumps(cert))
    Path(f["mal"]).write_text("{")
    Path(f["csv"]).write_text("x,y\n0,1\n1,2\n2,5\n3,10\n")
    return f


SZ = ("--rung", "schwartz-zippel", "--seed", "1")
MP = ("--rung", "mpmath", "--seed", "1", "--points", "8")

#: (argv with {file} placeholders, the exit code, a module the case needs or None).
CASES = [
    (["prove", "3*x**2*y - y/7 + 2"], 0, None),
    (["prove", "x**2 + 1", "--construction", "relu", "--domain", "[-1,1]"], 0, None),
    (["prove", "a*x**2 + pi*x + sqrt(2)", "--params", "a"], 0, None),
    (["prove", "x**2", "--certificate", "{out}/p.json"], 0, None),
    (["prove", "x**2", "--construction", "logdepth"], 0, None),
    (["prove", "x**2 + y", *SZ], 5, None),
    (["prove", "a*x**2 + y", "--params", "a", *SZ], 5, None),
    (["prove", "x**2 + y", *MP], 5, None),
    (["prove", "x**2", "--fallback", "mpmath"], 0, None),
    (["prove", "x**("], 2, None),
    (["prove", "x", "--timeout", "-1"], 2, None),
    (["prove", "x", "--points", "3"], 2, None),
    (["prove", "x**5000"], 3, None),
    (["check-model", "{json}", "--claim", "x**2*y - 1/3"], 0, None),
    (["check-model", "{json}", "--claim", "x**2*y"], 1, None),
    (["check-model", "{json}", "--claim", "x**2*y - 1/3", *SZ], 5, None),
    (["check-model", "{json}", "--claim", "a*x**2*y - 1/3", "--params", "a", *SZ], 1, None),
    (["check-model", "{json}", "--claim", "x**2*y - 1/3", *MP], 5, None),
    (["check-model", "{json}", "--claim", "x**2*y", *MP], 1, None),
    (["check-model", "{json}", "--claim", "sigmoid(x)", "--fallback", "mpmath",
      "--points", "8"], 1, None),
    (["check-model", "{json}", "--claim", "x**2*y - 1/3 + sin(x) - sin(x)", "--fallback",
      "mpmath", "--points", "8"], 5, None),
    (["check-model", "{json}", "--claim", "x**2*y - 1/3", "--domain", "[-1,1]^2"], 0, None),
    (["check-model", "{npz}", "--claim", "x**2*y - 1/3"], 1, None),
    (["check-model", "{npz}", "--claim", "x**2*y - 1/3", "--max-denominator", "1000"], 0,
     None),
    (["check-model", "{npz}", "--claim", "x**2*y - 1/3", *SZ], 1, None),
    (["check-model", "{pt}", "--claim", "x**2*y - 1/3", "--max-denominator", "1000"], 0,
     "torch"),
    (["check-model", "{onnx}", "--claim", "x1**2*x2 - 1/3", "--max-denominator", "1000"], 0,
     "onnx"),
    (["check-model", "{onnx}", "--claim", "x1**2*x2", "--fallback", "mpmath"], 1, "onnx"),
    (["check-model", "{onnx}", "--claim", "x1**2*x2 - 1/3", *MP], 1, "onnx"),
    (["check-model", "{onnx}", "--claim", "x", *SZ], 2, "onnx"),
    (["check-model", "{out}/missing.json", "--claim", "x"], 2, None),
    (["check-model", "{json}"], 2, None),
    (["theorem", "--dim", "1", "--degree", "2"], 0, None),
    (["theorem", "--dim", "2", "--degree", "2", "--certificate", "{out}/t.json"], 0, None),
    (["theorem", "--dim", "1", "--degree", "2", "--construction", "relu"], 0, None),
    (["theorem", "--dim", "1", "--degree", "99999"], 3, None),
    (["theorem", "--dim", "-1", "--degree", "2"], 2, None),
    (["demo"], 0, None),
    (["check", "{cert}"], 0, None),
    (["check", "{thm}"], 0, None),
    (["check", "{box}"], 0, None),
    (["check", "{bad}"], 1, None),
    (["check", "{mal}"], 2, None),
    (["check", "{out}/missing.json"], 2, None),
    (["export", "{cert}", "--coq", "{out}/p.v"], 0, None),
    (["export", "{thm}", "--coq", "{out}/q.v", "--unrolled"], 0, None),
    (["export", "{bad}", "--coq", "{out}/r.v"], 2, None),
    (["explain", "x**2*y - 1/3"], 0, None),
    (["explain", "x**2", "--markdown", "{out}/r.md"], 0, None),
    (["explain", "x**("], 2, None),
    (["export-model", "x**2 - 1/3", "--numpy", "{out}/e.npz"], 0, None),
    (["export-model", "x**2 - 1/3", "--onnx", "{out}/e.onnx", "--dtype", "float32"], 0,
     "onnx"),
    (["export-model", "x**2"], 2, None),
    (["export-model", "x**2 + pi*x", "--numpy", "{out}/f.npz"], 2, None),
    (["approx", "exp(x)", "--degree", "4", "--bound-seconds", "2"], 0, None),
    (["approx", "exp(x)*y", "--degree", "2", "--domain", "0,1;0,2", "--bound-seconds", "2",
      "--plot", "{out}/err.png", "--plot-degrees", "1,2"], 0, "matplotlib"),
    (["approx", "log(x)", "--degree", "3"], 2, None),
    (["fit", "{csv}", "--degree", "2"], 0, None),
    (["fit", "{csv}", "--degree", "1", "--float"], 0, None),
    (["fit", "{out}/missing.csv", "--degree", "1"], 2, None),
    (["float-error", "{json}", "--claim", "x**2*y - 1/3", "--domain", "[-1,1]^2",
      "--precision", "float32", "--samples", "50"], 0, None),
    (["float-error", "{npz}", "--claim", "x**2*y - 1/3", "--domain", "[-1,1]^2",
      "--precision", "float64", "--samples", "50"], 0, None),
    (["float-error", "{onnx}", "--claim", "x", "--domain", "[-1,1]^2",
      "--precision", "float64"], 2, None),
    (["float-error", "{json}", "--claim", "x", "--domain", "[-1,1]^2",
      "--precision", "float16"], 2, None),
    (["bogus"], 2, None),
]


def run_json(capsys, argv: list[str]) -> tuple[int, dict, str]:
    """Run in-process; exactly one JSON object (one line) on stdout."""
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 1, out
    obj = json.loads(lines[0])
    assert isinstance(obj, dict)
    return code, obj, err


@pytest.mark.parametrize("argv, code, needs", CASES,
                         ids=[" ".join(c[0])[:60] for c in CASES])
def test_json_output_follows_its_schema(capsys, files, argv, code, needs):
    if needs and not importlib.util.find_spec(needs):
        pytest.skip(f"needs {needs}")
    argv = [a.format(**files) for a in argv]
    got, obj, err = run_json(capsys, argv)
    assert got == code, (obj, err)
    assert obj["exit_code"] == got
    name = argv[0] if argv[0] in {m.NAME for m in SUBCOMMANDS} else "error"
    errors = sorted(validator(name).iter_errors(obj), key=str)
    assert not errors, [e.message for e in errors[:5]]
    if obj["verdict"] == "error":
        validator("error").validate(obj)
        assert err == obj["error"] + "\n"  # the same one line on stderr
    else:
        assert obj.get("error") is None


def test_an_internal_contradiction_is_the_error_object_with_exit_4(capsys, monkeypatch):
    from exactformer.cli import prove

    def broken(*a, **k):
        raise InternalContradiction("two exact computations disagree")

    monkeypatch.setattr(prove.api, "prove", broken)
    code, obj, err = run_json(capsys, ["prove", "x"])
    assert code == 4 and obj == {"verdict": "error", "exit_code": 4, "error": err.strip()}
    validator("prove").validate(obj)


@pytest.mark.parametrize("argv, code", [(["prove", "x**2 + y", *SZ], 5),
                                        (["prove", "x**("], 2)])
def test_exit_code_is_the_process_exit_code(argv, code):
    proc = subprocess.run([sys.executable, "-m", "exactformer", *argv, "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == code == json.loads(proc.stdout)["exit_code"], proc.stderr


# ------------------------------------------------------------------ the schema files

def command_names() -> set[str]:
    return {m.NAME for m in SUBCOMMANDS}


def test_every_subcommand_has_a_schema_and_every_schema_a_subcommand():
    files = {p.name[:-len(".schema.json")] for p in SCHEMAS.glob("*.schema.json")}
    assert files == command_names() | {"error"}
    for name in files:
        s = schema(name)
        assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(s)


def test_the_schema_files_are_the_generators_output():
    generated = runpy.run_path(str(SCHEMAS / "generate.py"))
    for name, s in generated["schemas"]().items():
        assert (SCHEMAS / name).read_text() == generated["text"](s), (
            f"{name} is stale: run python docs/json-schema/generate.py")


def result_properties(name: str) -> dict:
    return schema(name)["$defs"]["result"]["properties"]


def shape(definition: dict) -> str:
    """A key's definition without its prose (what a script relies on)."""
    return json.dumps({k: v for k, v in definition.items() if k != "description"},
                      sort_keys=True)


def test_a_key_has_one_definition_in_every_schema():
    seen: dict[str, tuple[str, str]] = {}
    for name in sorted(command_names()):
        for key, definition in result_properties(name).items():
            if key in ("verdict", "exit_code"):  # each schema lists its own subset
                common = schema("prove")["$defs"]["error"]["properties"]
                assert key in common
                continue
            if key in seen:
                assert shape(definition) == seen[key][1], (
                    f"{key!r}: {name} and {seen[key][0]} define it differently")
            else:
                seen[key] = (name, shape(definition))
    # the keys the issue found drifting now have one type each
    assert json.loads(seen["error_bound"][1])["type"] == "string"
    assert "coordinates" not in seen and "status" not in seen and "valid" not in seen


def test_verdicts_and_exit_codes_are_one_vocabulary():
    readme = (SCHEMAS / "README.md").read_text()
    allowed = {"proved": {0}, "refuted": {1}, "probabilistic-agreement": {5},
               "numerical-agreement": {5}, "certified": {0}, "written": {0}}
    for name in command_names():
        props = result_properties(name)
        verdicts = set(props["verdict"]["enum"])
        assert verdicts <= set(allowed), name
        assert set(props["exit_code"]["enum"]) == set().union(*(allowed[v] for v in verdicts))
    for verdict in [*allowed, "error"]:
        assert f"`{verdict}`" in readme


def test_the_schemas_reject_the_old_drift():
    """The old keys would fail validation: a formula under error_bound, coordinates,
    check's status/valid, export without a verdict, approx's domain as a list."""
    ok = {"verdict": "probabilistic-agreement", "exit_code": 5,
          "rung": "Schwartz-Zippel (probabilistic)", "target": "x", "variables": ["x"],
          "seconds": 0.1}
    v = validator("prove")
    assert v.is_valid(ok)
    assert not v.is_valid({**ok, "error_bound": "(2/18446744073709551616)^4 ~ 1.38e-76"})
    assert not v.is_valid({**ok, "coordinates": ["x"]})
    assert not v.is_valid({**ok, "exit_code": 0})  # agreement is never exit 0
    assert not v.is_valid({**ok, "points": [["1", "2"]]})
    check = {"verdict": "proved", "exit_code": 0, "certificate": {"file": "c.json"},
             "message": "VALID: ..."}
    assert validator("check").is_valid(check)
    assert not validator("check").is_valid({**check, "status": "valid", "valid": True})
    assert not validator("export").is_valid({"certificate": {"file": "c.json"}, "coq": "p.v",
                                             "lines": 3, "command": "coqc p.v",
                                             "route": "generic", "exit_code": 0})
    assert not validator("error").is_valid({"verdict": "error", "exit_code": 0, "error": "x"})


def test_the_suite_validates_every_json_output(capsys):
    """conftest wraps the command line's JSON printer: an object that breaks its schema
    fails whichever test printed it."""
    import exactformer.cli as cli
    with pytest.raises(AssertionError, match="does not follow"):
        cli.emit_json({"verdict": "proved-ish"}, 0)
    assert main(["prove", "x**2", "--json"]) == 0  # a good object passes through
    assert json.loads(capsys.readouterr().out)["verdict"] == "proved"
