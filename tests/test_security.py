"""No code path evaluates user text or unpickles user files.

The scan reads every module of the package with ``ast`` and refuses:
  * calls to eval / exec / compile / __import__ / sympify / parse_expr / S(...) /
    sympy.parse_expr / sympy.S(...), and sympy's ``parse_expr``-based ``Poly(str)``;
  * pickle / marshal / shelve / dill loading, numpy.load with allow_pickle=True,
    torch.load without ``weights_only=True``;
  * subprocess (or os.system / os.popen) with ``shell=True`` or a string command.
A line may opt out with a ``# safe:`` comment that says why (e.g. sympify of an
internal sympy value, never of text), and the test checks that the reason is given.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import exactformer

PACKAGE = Path(exactformer.__file__).parent
EVALUATORS = {"eval", "exec", "compile", "__import__", "sympify", "parse_expr", "S",
              "simplify_text", "_sympify", "evaluate_text"}
UNPICKLERS = {("pickle", "load"), ("pickle", "loads"), ("marshal", "load"),
              ("marshal", "loads"), ("shelve", "open"), ("dill", "load"), ("dill", "loads"),
              ("cPickle", "load"), ("joblib", "load"), ("pickle", "Unpickler")}
SHELLS = {("os", "system"), ("os", "popen"), ("subprocess", "getoutput"),
          ("subprocess", "getstatusoutput")}
SUBPROCESS = {"run", "call", "check_call", "check_output", "Popen"}


def _name(func: ast.AST) -> tuple[str | None, str | None]:
    """(module-ish prefix, name) of a call target: f -> (None, 'f'), a.b.f -> ('b', 'f')."""
    if isinstance(func, ast.Name):
        return None, func.id
    if isinstance(func, ast.Attribute):
        value = func.value
        prefix = value.id if isinstance(value, ast.Name) else (
            value.attr if isinstance(value, ast.Attribute) else None)
        return prefix, func.attr
    return None, None


def _keyword(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def findings(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, problem) for every dangerous call in ``source`` without a ``# safe:`` reason.

    >>> findings("import pickle\\npickle.loads(data)\\n")
    [(2, 'pickle.loads of data')]
    >>> findings("x = eval(text)  # safe: text is a literal we wrote\\n")
    []
    """
    tree = ast.parse(source, filename)
    lines = source.splitlines()
    out = []

    def allowed(node: ast.AST) -> bool:
        end = getattr(node, "end_lineno", node.lineno)
        span = lines[node.lineno - 1:end]
        for text in span:
            if "# safe:" in text:
                reason = text.split("# safe:", 1)[1].strip()
                return len(reason) >= 10  # a reason, not just the tag
        return False

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        prefix, name = _name(node.func)
        problem = None
        if name in EVALUATORS and (prefix is None or prefix in ("sympy", "builtins", "sp",
                                                                 "parsing", "sympy_parser")):
            problem = f"{name}() evaluates its argument"
        elif (prefix, name) in UNPICKLERS:
            problem = f"{prefix}.{name} of data"
        elif (prefix, name) == ("torch", "load") and not _is_true(_keyword(node, "weights_only")):
            problem = "torch.load without weights_only=True"
        elif name == "load" and prefix in ("np", "numpy") and _is_true(
                _keyword(node, "allow_pickle")):
            problem = "numpy.load with allow_pickle=True"
        elif (prefix, name) in SHELLS:
            problem = f"{prefix}.{name} runs a shell"
        elif prefix == "subprocess" and name in SUBPROCESS:
            if _is_true(_keyword(node, "shell")):
                problem = "subprocess with shell=True"
            elif node.args and isinstance(node.args[0], (ast.JoinedStr, ast.BinOp)) or (
                    node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                problem = "subprocess with a command string"
        elif name == "Poly" and node.args and isinstance(node.args[0], (ast.Constant,
                                                                        ast.JoinedStr)):
            problem = "sympy.Poly of a string (parsed by sympify)"
        if problem and not allowed(node):
            out.append((node.lineno, problem))
    return sorted(out)


def package_sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_package_has_sources():
    names = {p.name for p in package_sources()}
    assert {"cli.py", "kernel.py", "syntax.py", "model_json.py"} <= names


@pytest.mark.parametrize("path", package_sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_evaluates_text_or_unpickles(path):
    problems = findings(path.read_text(encoding="utf-8"), str(path))
    assert not problems, f"{path.relative_to(PACKAGE)}: {problems}"


@pytest.mark.parametrize("snippet", [
    "eval(s)", "exec(s)", "compile(s, 'f', 'eval')", "__import__(s)", "sympify(s)",
    "sympy.sympify(s)", "parse_expr(s)", "sympy.S(s)", "import pickle\npickle.load(f)",
    "marshal.loads(b)", "shelve.open(p)", "torch.load(p)", "torch.load(p, weights_only=False)",
    "np.load(p, allow_pickle=True)", "subprocess.run(c, shell=True)",
    "subprocess.run('ls ' + p)", "subprocess.check_output(f'ls {p}')", "os.system(c)",
    "os.popen(c)", "sympy.Poly('x**2')",
    "eval(s)  # safe:",                      # a tag without a reason does not count
])
def test_the_scanner_catches_each_pattern(snippet):
    assert findings(snippet), snippet


@pytest.mark.parametrize("snippet", [
    "torch.load(p, weights_only=True)", "np.load(p)", "np.load(p, allow_pickle=False)",
    "subprocess.run([sys.executable, '-m', 'x'])", "json.loads(s)", "model.eval()",
    "sympify(value)  # safe: value is a sympy Rational built internally, never text",
    "ast.literal_eval(s)",
])
def test_the_scanner_allows_safe_patterns(snippet):
    assert not findings(snippet), snippet


def test_parser_does_not_execute_python():
    """Text that would do something under eval is refused as syntax, not run."""
    from exactformer.errors import ExactformerError
    from exactformer.poly import make_target
    for text in ["__import__('os').system('false')", "x.__class__", "(lambda: 1)()",
                 "open('/etc/passwd')", "globals()", "[c for c in ()]"]:
        with pytest.raises(ExactformerError):
            make_target(text)


# ------------------------------------------------------------------ soundness near misses
# A model is saved by `prove --save-model`; claims that differ from it by a hair must
# be refuted (exit 1) with the differing coefficient shown, and claims that are the
# same polynomial written differently must be proved (exit 0).

import json  # noqa: E402
import random  # noqa: E402
from fractions import Fraction  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from exactformer import checker  # noqa: E402
from exactformer.cli import main  # noqa: E402

BASE = "3*x**2*y - y/7 + 2"


def _cli_json(capsys, *argv) -> tuple[int, dict]:
    code = main([str(a) for a in argv] + ["--json"])
    out = capsys.readouterr()
    assert code in (0, 1), out.err
    return code, json.loads(out.out)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Models (and certificates) written by the prover for the near-miss claims."""
    d = tmp_path_factory.mktemp("nearmiss")
    made = {}
    for name, argv in {"base": [BASE],
                       "param": ["a*x**2 + b*x", "--params", "a,b"],
                       "sqrt6": ["sqrt(6)*x + 1"],
                       "sqrt2": ["sqrt(2)*x"],
                       "pi": ["pi*x**2 - E"]}.items():
        model, cert = d / f"{name}.json", d / f"{name}.cert.json"
        assert main(["prove", *argv, "--save-model", str(model), "--certificate", str(cert),
                     "--json"]) == 0
        made[name] = (model, cert, argv[1:])
    return made


NEAR_MISSES = [
    # (model, claim, extra options, expected verdict, monomial that differs)
    ("base", "(3 + 10**-30)*x**2*y - y/7 + 2", [], "refuted", "x**2*y"),
    ("base", "3*x**2*y - y/7 + 2 + 1/10**30", [], "refuted", "1"),
    ("base", "3*x**2*y + 2", [], "refuted", "y"),                      # missing term
    ("base", "3*y**2*x - x/7 + 2", [], "refuted", None),               # swapped variables
    ("base", "3*x**3*y - y/7 + 2", [], "refuted", None),               # wrong degree
    ("base", "3*x**2*y - y/7 + 2 + x**5 - x**5", [], "proved", None),  # cancelling term
    ("base", "3*x**2*y - y/7 + 2 + 0*x**7*y", [], "proved", None),     # zero coefficient
    ("base", "3*x**2*y - 1/7*y + 2", ["--vars", "y,x"], "proved", None),  # order of names
    ("base", "(x*y)*(3*x) - y*(1/7) + 4/2", [], "proved", None),
    ("base", "3*x**2*y - y/7 + 2*z", [], "refuted", None),             # extra variable
    ("param", "a*x**2 + a*x", ["--params", "a,b"], "refuted", None),   # differs in a symbol
    ("param", "a*x**2 + b*x", ["--params", "a,b"], "proved", None),
    ("param", "b*x**2 + a*x", ["--params", "a,b"], "refuted", None),
    ("sqrt6", "sqrt(2)*sqrt(3)*x + 1", [], "proved", None),            # algebraic equality
    ("sqrt6", "sqrt(24)/2*x + sqrt(4)/2", [], "proved", None),
    ("sqrt6", "sqrt(2)*x + 1", [], "refuted", None),
    ("sqrt2", "1.41421356*x", [], "refuted", None),                    # a rounding of sqrt(2)
    ("sqrt2", "sqrt(8)/2*x", [], "proved", None),
    ("sqrt2", "sqrt(2)**3/2*x", [], "proved", None),
    ("pi", "355/113*x**2 - E", [], "refuted", None),                   # a rounding of pi
    ("pi", "pi*x**2 - 2.718281828459045", [], "refuted", None),
]


@pytest.mark.parametrize("name, claim, options, verdict, monomial", NEAR_MISSES,
                         ids=[f"{m}:{c}" for m, c, *_ in NEAR_MISSES])
def test_near_misses_through_check_model(capsys, saved, name, claim, options, verdict,
                                         monomial):
    model, _, _ = saved[name]
    code, data = _cli_json(capsys, "check-model", model, "--claim", claim, *options)
    assert data["verdict"] == verdict and code == (0 if verdict == "proved" else 1), data
    if verdict == "refuted":
        diff = data["difference"]
        assert diff["model"] != diff["claim"]
        if monomial is not None:
            assert diff["monomial"] == monomial, diff
    else:
        assert "difference" not in data


def _rehash(cert: dict) -> dict:
    cert = dict(cert)
    cert[checker.HASH_FIELD] = checker.content_hash(cert)
    return cert


def _tamper(cert: dict, how: str) -> dict:
    c = json.loads(json.dumps(cert))
    m = c["model"]
    if how == "readout coefficient off by 10**-30":
        t, ch, v = m["readout"]["entries"][-1]
        m["readout"]["entries"][-1] = [t, ch, str(Fraction(v) + Fraction(1, 10**30))]
    elif how == "target coefficient off by 10**-30":
        e, v = c["target"]["terms"][0]
        c["target"]["terms"][0] = [e, str(Fraction(v) + Fraction(1, 10**30))]
    elif how == "target term missing":
        c["target"]["terms"].pop()
    elif how == "target variables swapped":
        c["target"]["variables"] = c["target"]["variables"][::-1]
    elif how == "model variables swapped":
        m["variables"] = m["variables"][::-1]
    elif how == "target exponents swapped":
        c["target"]["terms"] = sorted([e[::-1], v] for e, v in c["target"]["terms"])
    elif how == "wrong degree":
        c["target"]["terms"][-1][0][0] += 1
    elif how == "embedding weight changed":
        e = m["embedding"]["coefficients"][0]["entries"][1]  # x feeding token x**2
        e[2] = str(Fraction(e[2]) + 1)
    elif how == "mask pair moved":
        mask = m["blocks"][-1]["attention"]["mask"]
        mask[1] = [mask[1][0], (mask[1][1] + 1) % m["tokens"]]  # x**2*y gets parent x*y
    elif how == "block dropped":
        m["blocks"].pop()
    elif how == "activation changed":
        m["blocks"][0]["attention"]["activation"] = "relu"
    elif how == "verdict and rung claimed stronger":
        c["rung"] = "exact polynomial identity (checked twice)"
    return c


TAMPERINGS = ["readout coefficient off by 10**-30", "target coefficient off by 10**-30",
              "target term missing", "target variables swapped", "model variables swapped",
              "target exponents swapped", "wrong degree", "embedding weight changed",
              "mask pair moved", "block dropped", "activation changed",
              "verdict and rung claimed stronger"]


@pytest.mark.parametrize("how", TAMPERINGS)
@pytest.mark.parametrize("rehash", [False, True], ids=["as-is", "rehashed"])
def test_tampered_certificates_are_invalid(capsys, saved, tmp_path, how, rehash):
    """A tampered certificate never checks: with the old hash the sha256 differs;
    re-hashed, the checker re-derives the identity and finds the difference."""
    _, cert_path, _ = saved["base"]
    assert main(["check", str(cert_path)]) == 0
    capsys.readouterr()
    cert = _tamper(json.loads(cert_path.read_text()), how)
    if rehash:
        cert = _rehash(cert)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(cert))
    code = main(["check", str(path)])
    err = capsys.readouterr().err
    assert code in (1, 2), (code, err)
    if not rehash:
        assert "sha256" in err
    elif "coefficient" in how or how == "target term missing":
        assert "differs from the target at" in err and "model has" in err, err
    assert "VALID:" not in err.replace("INVALID:", "")


@pytest.mark.parametrize("name", ["base", "param", "sqrt6", "sqrt2", "pi"])
def test_prover_certificates_check(capsys, saved, name):
    """Control for the tamper tests: the untouched certificates are valid."""
    _, cert, _ = saved[name]
    assert main(["check", str(cert)]) == 0
    assert "VALID" in capsys.readouterr().out


@settings(max_examples=25)
@given(st.data())
def test_checker_agrees_with_reference_forward_pass(data):
    """Soundness of the stdlib checker against the dense reference forward pass:
    perturb one readout or embedding weight of a proved certificate (and re-hash).
    If the reference pass differs from the target at a random rational point, the
    checker must not say valid; if the checker says valid, the reference agrees."""
    from exactformer import prove
    from exactformer.formats.certificate import certificate_from_proof
    from exactformer.formats.model_json import model_from_json
    from reference import reference_forward

    result = prove("3*x**2*y - y/7 + 2")
    cert = certificate_from_proof(result)
    m = cert["model"]
    places = [("readout", i) for i in range(len(m["readout"]["entries"]))]
    places += [("base", i) for i in range(len(m["embedding"]["base"]["entries"]))]
    places += [("coef", i) for i in range(len(m["embedding"]["coefficients"][1]["entries"]))]
    where, i = data.draw(st.sampled_from(places))
    delta = data.draw(st.fractions(min_value=-5, max_value=5, max_denominator=10**12)
                      .filter(bool))
    c = json.loads(json.dumps(cert))
    mats = {"readout": c["model"]["readout"], "base": c["model"]["embedding"]["base"],
            "coef": c["model"]["embedding"]["coefficients"][1]}
    entry = mats[where]["entries"][i]
    entry[2] = str(Fraction(entry[2]) + delta)
    c = _rehash(c)
    report = checker.check_certificate(c)
    model = model_from_json(c["model"])
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    agree = True
    for _ in range(3):
        x, y = Fraction(rng.randint(-10**6, 10**6), rng.randint(1, 10**6)), \
            Fraction(rng.randint(-10**6, 10**6), rng.randint(1, 10**6))
        want = 3 * x**2 * y - y / 7 + 2
        if reference_forward(model, (x, y)) != want:
            agree = False
    if not agree:
        assert not report.valid, (where, i, delta, report)
    if report.valid:
        assert agree


def test_coq_export_cannot_be_injected_through_names(capsys, saved, tmp_path):
    """Variable names are ASCII identifiers everywhere: one that would close a Coq
    comment ("*)") is refused by the checker, so nothing is exported."""
    _, cert_path, _ = saved["base"]
    cert = json.loads(cert_path.read_text())
    bad = 'x*) Ltac ring := admit. (* "'
    cert["model"]["variables"][0] = bad
    cert["target"]["variables"][0] = bad
    cert = _rehash(cert)
    path, out = tmp_path / "names.json", tmp_path / "names.v"
    path.write_text(json.dumps(cert))
    assert main(["check", str(path)]) == 2
    assert "not an ASCII identifier" in capsys.readouterr().err
    assert main(["export", str(path), "--coq", str(out)]) == 2
    assert not out.exists()


def test_no_module_defines_a_top_level_name_twice():
    """A second `def f` silently replaces the first (it once made the checker's relu
    step call a name predicate on a polynomial): refuse it in every module."""
    import ast
    import pathlib
    root = pathlib.Path(__file__).resolve().parent.parent / "exactformer"
    for path in root.rglob("*.py"):
        seen: dict[str, int] = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                assert node.name not in seen, (f"{path.relative_to(root)}: {node.name} "
                                               f"defined at lines {seen[node.name]} and "
                                               f"{node.lineno}")
                seen[node.name] = node.lineno
