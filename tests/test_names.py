"""One name discipline on every decision path: inputs, parameters and constants are
disjoint spaces, identifiers are ASCII, and a clash is refused (exit 2, one line
naming it), never merged."""
from __future__ import annotations

import json

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from exactformer import checker, prove
from exactformer.formats.certificate import certificate_for
from exactformer.cli import main
from exactformer.errors import ExactformerError, NameClash, ParseError
from exactformer.formats.model_json import dumps, loads
from exactformer.poly import names
from exactformer.poly.names import name_spaces


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Saved models: masked (x**2), relu on a box (x**2), and a 2-input model."""
    d = tmp_path_factory.mktemp("names")
    out = {}
    for key, expr, extra in (("sq", "x**2", []), ("relu", "x**2", ["--construction", "relu"]),
                             ("xy", "x*y + 1", [])):
        path = d / f"{key}.json"
        assert main(["prove", expr, "--save-model", str(path), *extra]) == 0
        out[key] = path
    return out


def _run(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    return code, err


RUNGS = ([], ["--rung", "schwartz-zippel", "--seed", "1"])


@pytest.mark.parametrize("rung", RUNGS, ids=["exact", "schwartz-zippel"])
@pytest.mark.parametrize("extra", [["--vars", "", "--params", "x"], ["--params", "x"],
                                   ["--vars", "y", "--params", "x"]])
def test_a_parameter_named_like_an_input_is_refused(models, capsys, rung, extra):
    """The reproducer: the claim x**2 read with x a parameter is a constant; merged
    with the model's input x it was PROVED."""
    code, err = _run(capsys, ["check-model", str(models["sq"]), "--claim", "x**2",
                              *extra, *rung])
    assert code == 2, err
    assert "'x'" in err and "parameter" in err and len(err.splitlines()) == 1


def test_the_box_rung_applies_the_same_rule(models, capsys):
    code, err = _run(capsys, ["check-model", str(models["relu"]), "--claim", "x**2",
                              "--vars", "", "--params", "x"])
    assert code == 2 and "'x' is an input of the model" in err
    from exactformer.poly import make_target
    from exactformer.poly.box import parse_box
    from exactformer.verify.box import verify_on_box
    model = loads(models["relu"].read_text())
    with pytest.raises(NameClash, match="'x' is an input of the model"):
        verify_on_box(model, make_target("x**2", variables=(), params="x"), parse_box("[-1,1]", 1))


def test_a_second_input_as_parameter_is_refused(models, capsys):
    code, err = _run(capsys, ["check-model", str(models["xy"]), "--claim", "x*y + 1",
                              "--params", "y"])
    assert code == 2 and "'y'" in err


def _with_readout(path, tmp_path, entry: str) -> str:
    doc = json.loads(path.read_text())
    doc["readout"]["entries"] = [[0, 0, entry]]  # token 0 holds the constant 1
    if doc["readout"]["shape"][1] > 1:
        doc["readout"]["entries"] = [[0, 1, entry]]
    out = tmp_path / "readout.json"
    out.write_text(json.dumps(doc))
    return str(out)


@pytest.mark.parametrize("rung", RUNGS, ids=["exact", "schwartz-zippel"])
def test_a_readout_symbol_named_like_an_input_is_refused_by_every_rung(models, tmp_path,
                                                                        capsys, rung):
    """The readout x**2 on the constant token would compute the claim by itself."""
    path = _with_readout(models["sq"], tmp_path, "x**2")
    code, err = _run(capsys, ["check-model", path, "--claim", "x**2", *rung])
    assert code == 2, err
    assert "'x' is an input of the model and is a symbol of the model's readout" in err


def test_a_readout_symbol_named_like_an_input_is_refused_on_the_box(models, tmp_path, capsys):
    path = _with_readout(models["relu"], tmp_path, "x**2")
    code, err = _run(capsys, ["check-model", path, "--claim", "x**2"])
    assert code == 2 and "symbol of the model's readout" in err


def test_a_readout_symbol_that_is_a_claim_parameter_is_one_name(models, tmp_path, capsys):
    """Parameters and readout symbols share one space on purpose: readout a is the
    claim's coefficient a, for every value of a (and a*1 != a*x is refuted)."""
    path = _with_readout(models["sq"], tmp_path, "a")
    for rung in RUNGS:
        agreed = 0 if not rung else 5  # Schwartz-Zippel agreement: exit 5, not a proof
        assert _run(capsys, ["check-model", path, "--claim", "a", "--params", "a",
                             *rung])[0] == agreed
        assert _run(capsys, ["check-model", path, "--claim", "a*x", "--params", "a",
                             *rung])[0] == 1


def test_the_verify_layer_refuses_before_any_rung_runs():
    from exactformer.api import check_model
    m = prove("x**2").model
    with pytest.raises(NameClash, match="'x' is an input of the model"):
        check_model(m, "x**2", variables=(), params="x")


@pytest.mark.parametrize("name", ["\u0445", "x\u0301", "\uff58", "K\u212a", "_x", "1x", "x y",
                                  "x-y", ""])
def test_non_ascii_and_malformed_identifiers_are_refused_everywhere(name, tmp_path):
    # as a sympy symbol
    if name.strip():
        with pytest.raises(ParseError):
            prove(sympy.Symbol(name) ** 2 + 1)
    # as a declared variable or parameter
    if name.strip():
        with pytest.raises(ParseError):
            prove("x", variables=f"x,{name}")
        with pytest.raises(ParseError):
            prove("a*x", variables="x", params=f"a,{name}")
    # as a model input in the JSON reader
    doc = json.loads(dumps(prove("x*y").model))
    doc["variables"][1] = name
    with pytest.raises(ExactformerError):
        loads(json.dumps(doc))


def _cert_with_variable(name: str) -> dict:
    cert = certificate_for(prove("x*y + 1"))
    cert["model"]["variables"][1] = name
    cert["target"]["variables"][1] = name
    cert.pop("sha256")
    cert["sha256"] = checker.content_hash(cert)
    return cert


def test_the_checker_refuses_a_cyrillic_lookalike_variable():
    """Latin x beside Cyrillic x: two names that print the same. Was VALID."""
    cert = _cert_with_variable("\u0445")
    cert["model"]["variables"][1] = "\u0445"
    report = checker.check_bytes(json.dumps(cert).encode())
    assert not report.valid and report.code == checker.MALFORMED
    assert "ASCII" in report.message
    # the unchanged certificate is valid, so the name alone is refused
    assert checker.check_bytes(json.dumps(_cert_with_variable("y")).encode()).valid


@pytest.mark.parametrize("readout", ["\u0430", "_a", "a\u00b7b"])
def test_the_checker_refuses_non_ascii_readout_symbols(readout):
    cert = certificate_for(prove("a*x", params="a"))
    entries = cert["model"]["readout"]["entries"]
    entries[0][2] = readout
    cert["target"]["params"] = [readout]
    cert.pop("sha256")
    cert["sha256"] = checker.content_hash(cert)
    report = checker.check_bytes(json.dumps(cert).encode())
    assert not report.valid and report.code == checker.MALFORMED


def test_the_checker_refuses_a_variable_named_like_a_constant():
    report = checker.check_bytes(json.dumps(_cert_with_variable("pi")).encode())
    assert not report.valid and report.code == checker.MALFORMED


def test_constants_live_in_their_own_space():
    with pytest.raises(NameClash, match="constant"):
        prove("pi*x", variables="x,pi")
    with pytest.raises(NameClash, match="constant"):
        prove("E*x", params="E")
    # a readout coefficient pi is the constant pi, not a parameter
    assert prove("pi*x").proved


def test_fit_columns_obey_the_rule(tmp_path, capsys):
    for header in ("x,\u0445", "pi,y", "_x,y"):
        path = tmp_path / "d.csv"
        path.write_text(f"{header}\n1,2\n2,3\n")
        code, err = _run(capsys, ["fit", str(path), "--degree", "1"])
        assert code == 2 and len(err.splitlines()) == 1, err


# ---------------------------------------------------------------- the rule itself

def test_prover_and_checker_share_one_identifier_pattern():
    assert names.IDENTIFIER.pattern == checker.IDENTIFIER.pattern
    assert names.IDENTIFIER.flags == checker.IDENTIFIER.flags
    assert names.CONSTANT_NAMES == checker.CONSTANT_NAMES


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=6), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,4}", fullmatch=True),
                 st.sampled_from(["pi", "E", "sqrt(2)", "sqrt(x)", "x\n", " x"])))
def test_prover_and_checker_accept_the_same_names(name):
    assert names.is_identifier(name) == checker.is_identifier(name)
    assert names.is_constant_name(name) == checker.is_constant_name(name)
    if names.is_identifier(name):
        assert name.isascii() and name[0].isalpha()


_IDENT = st.from_regex(r"[a-z][a-z0-9]{0,2}", fullmatch=True).filter(lambda n: n != "pi")


@settings(max_examples=300, deadline=None)
@given(st.lists(_IDENT, max_size=3), st.lists(_IDENT, max_size=3), st.lists(_IDENT, max_size=3),
       st.lists(_IDENT, max_size=3))
def test_a_name_in_two_spaces_is_always_refused(inputs, claim_vars, params, readout):
    input_space = set(inputs) | set(claim_vars)
    param_space = set(params) | set(readout)
    try:
        spaces = name_spaces(inputs, claim_vars, params, readout, ())
    except NameClash as exc:
        assert input_space & param_space
        assert any(repr(n) in str(exc) for n in input_space & param_space)
        return
    assert not input_space & param_space
    assert set(spaces.inputs) == input_space and set(spaces.parameters) == param_space
    assert len(spaces.symbols) == len(set(spaces.symbols))


def test_two_sympy_symbols_with_one_name_are_not_merged():
    """sympy keeps Symbol('x') and Symbol('x', positive=True) apart; read by name they
    would cancel, and x_pos - x would be 'proved' equal to 0."""
    x, xp = sympy.Symbol("x"), sympy.Symbol("x", positive=True)
    with pytest.raises(NameClash, match="two different sympy symbols"):
        prove(xp - x)
    with pytest.raises(NameClash, match="Dummy"):
        prove(sympy.Dummy("x") ** 2)
    assert prove(sympy.Poly(xp**2 + 1, xp)).proved  # one symbol, any assumptions: fine


def test_sympy_inputs_are_never_merged_or_truncated():
    x = sympy.Symbol("x")
    m = prove("x").model
    from exactformer.api import check_model
    for claim in (sympy.Symbol("pi") * x - sympy.pi * x + x,
                  sympy.Symbol("sqrt(2)") ** 2 * x / 2,
                  x + sympy.Symbol("A", commutative=False) * sympy.Symbol("B", commutative=False)
                  - sympy.Symbol("B", commutative=False) * sympy.Symbol("A", commutative=False)):
        with pytest.raises(NameClash):
            check_model(m, claim)
    with pytest.raises(ExactformerError, match="2 arguments"):
        check_model(prove("sqrt(2)*x").model, sympy.Function("sqrt")(2, x) * x)


@pytest.mark.parametrize("text", ["\u0663*x", "x**\u0662", "\uff13*x"])
def test_digits_are_ascii_in_the_prover_as_in_the_checker(text):
    """Arabic-Indic or full-width digits were read as numbers by the prover but refused
    by the checker: one file, two meanings. Both now refuse them."""
    with pytest.raises(ParseError):
        prove(text)


def test_every_pattern_reading_user_text_is_ascii():
    """A `\\d`, `\\w` or `\\s` without re.ASCII matches other scripts' digits and letters."""
    import ast
    import pathlib
    import re as _re
    root = pathlib.Path(__file__).resolve().parent.parent / "exactformer"
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "compile" and getattr(node.func.value, "id", "") == "re"):
                pattern = ast.unparse(node.args[0])
                flags = " ".join(ast.unparse(a) for a in node.args[1:]) + " ".join(
                    ast.unparse(k.value) for k in node.keywords)
                if _re.search(r"\\\\[dws]|\\[dws]", pattern):
                    assert "ASCII" in flags, f"{path.name}:{node.lineno}: {pattern[:60]} needs re.ASCII"
