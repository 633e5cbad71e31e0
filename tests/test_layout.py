"""The package's architecture, checked on its import graph.

Every ``import`` statement of every module counts, including the lazy ones inside
functions (only ``if TYPE_CHECKING:`` blocks are skipped: they never run). The graph
must have no cycle, each layer imports only layers below it, the trusted checker only
the standard library, and a subcommand module of the command line imports only
:mod:`exactformer.cli.common` from the command line.
"""
from __future__ import annotations

import ast
import sys
from functools import lru_cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "exactformer"

#: Layers, lowest first: a unit may import only units of a strictly lower layer (or
#: itself). A unit is a top-level module or subpackage; formats/ counts module by
#: module, since each format sits at the layer of what it serialises.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "limits", "checker"),
    ("poly",),
    ("model",),
    ("constructions",),
    ("engine",),
    ("floats",),
    ("formats.zip_archive", "formats.model_json"),
    ("formats.npz", "formats.torchscript"),
    ("formats.float_files",),
    ("formats",),
    ("verify",),
    ("formats.onnx", "theorem", "teach", "approx"),
    ("formats.certificate", "formats.coq", "api"),
    ("demo", "float_certify"),
    ("cli",),
    ("__main__",),
)
RANK = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@lru_cache(maxsize=1)
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}


def _type_checking_only(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): its body never runs."""
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING",
                                                                    "typing.TYPE_CHECKING")


def _lazy_names() -> dict[str, str]:
    """The names ``exactformer`` loads on first use (its ``_LAZY`` map: name -> module)."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_LAZY"
                                                for t in node.targets):
            return {k: f"exactformer.{v}" for k, v in ast.literal_eval(node.value).items()}
    return {}


def imported_names(name: str, source: str | None = None) -> set[str]:
    """Every module name that ``name``'s import statements name (absolute); ``source``
    stands for the module's text when given."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    lazy = _lazy_names()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                assert isinstance(child, ast.If)
                for branch in child.orelse:  # the else branch does run
                    visit(ast.Module(body=[branch], type_ignores=[]))
                continue
            if isinstance(child, ast.Call) and ast.unparse(child.func) in (
                    "importlib.import_module", "import_module", "__import__") and child.args \
                    and isinstance(child.args[0], ast.Constant) \
                    and isinstance(child.args[0].value, str):
                found.add(child.args[0].value)  # a module named by a constant string
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[:len(package.split(".")) - child.level + 1]
                    origin = ".".join(base + ([child.module] if child.module else []))
                else:
                    origin = child.module or ""
                for alias in child.names:  # "from pkg import submodule" names a module
                    sub = f"{origin}.{alias.name}"
                    if origin == "exactformer" and alias.name in lazy:
                        found.add(lazy[alias.name])  # loaded through the package's __getattr__
                    else:
                        found.add(sub if sub in modules() else origin)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8") if source is None else source))
    return found


@lru_cache(maxsize=1)
def graph() -> dict[str, frozenset[str]]:
    """Module -> the package modules it imports (the innermost existing module)."""
    out = {}
    for name in modules():
        targets = set()
        for target in imported_names(name):
            while target and target not in modules():
                target = target.rpartition(".")[0]
            if target.startswith("exactformer") and target != name:
                targets.add(target)
        out[name] = frozenset(targets)
    return out


def unit(name: str) -> str:
    parts = name.split(".")
    if len(parts) == 1:
        return "exactformer"
    if parts[1] == "formats" and len(parts) > 2:
        return "formats." + parts[2]
    if parts[1] == "cli" and parts[-1] == "__main__":
        return "__main__"
    return parts[1]


def cycles(g: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in g[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(g) + 100))
    try:
        for v in sorted(g):
            if v not in index:
                connect(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_the_graph_sees_the_package():
    g = graph()
    assert {"exactformer.cli", "exactformer.cli.common", "exactformer.cli.prove",
            "exactformer.formats.model_json", "exactformer.engine.interpreter"} <= set(g)
    assert "exactformer.cli.common" in g["exactformer.cli.prove"]
    # a lazy import inside a function counts
    assert "exactformer.formats.float_files" in g["exactformer.formats"]


def test_no_import_cycles():
    assert cycles(graph()) == []


@pytest.mark.parametrize("snippet, target", [
    ("def f():\n    from .. import prove\n", "exactformer.api"),
    ("import importlib\nimportlib.import_module('exactformer.cli')\n", "exactformer.cli"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\nelse:\n"
     "    from ..verify import identity\n", "exactformer.verify.identity"),
    ("from typing import TYPE_CHECKING\nif not TYPE_CHECKING:\n    from .. import theorem\n",
     "exactformer.theorem"),
])
def test_every_form_of_import_is_seen(snippet, target):
    """Lazy names of the package, import_module strings and the branches of a
    TYPE_CHECKING test that run all count as imports."""
    found = imported_names("exactformer.engine.interpreter", snippet)
    assert any(t == target or t.startswith(target + ".") for t in found), found


def test_the_cycle_finder_finds_a_cycle():
    g = dict(graph())
    g["exactformer.model.ir"] = g["exactformer.model.ir"] | {"exactformer.cli.prove"}
    assert any("exactformer.model.ir" in c and "exactformer.cli.prove" in c for c in cycles(g))


def test_every_unit_has_a_layer():
    assert {unit(m) for m in graph()} - {"exactformer"} <= set(RANK)


def upward_imports(g: dict[str, frozenset[str]]) -> list[str]:
    bad = []
    for name, targets in g.items():
        a = unit(name)
        for target in targets:
            b = unit(target)
            if a == b or "exactformer" in (a, b):
                continue  # inside one unit; the package's own __init__ imports only errors/limits
            if RANK[b] >= RANK[a]:
                bad.append(f"{name} -> {target}")
    return sorted(bad)


def test_imports_go_only_downwards():
    assert upward_imports(graph()) == []


def test_an_upward_import_is_caught():
    g = dict(graph())
    g["exactformer.engine.interpreter"] = g["exactformer.engine.interpreter"] | {
        "exactformer.verify.identity"}
    assert upward_imports(g) == ["exactformer.engine.interpreter -> exactformer.verify.identity"]


def test_the_package_init_stays_light():
    assert {unit(t) for t in graph()["exactformer"]} <= {"errors", "limits", "exactformer"}


def test_the_checker_imports_only_the_standard_library():
    for name in graph():
        if unit(name) == "checker":
            outside = {t for t in graph()[name] if unit(t) != "checker"}
            assert not outside, (name, outside)
            third_party = {m.split(".")[0] for m in imported_names(name)} - set(
                sys.stdlib_module_names) - {"exactformer", ""}
            assert not third_party, (name, third_party)


def subcommand_modules() -> list[str]:
    return sorted(m for m in modules() if m.startswith("exactformer.cli.")
                  and not m.startswith("exactformer.cli.common") and unit(m) == "cli")


@pytest.mark.parametrize("name", subcommand_modules())
def test_a_subcommand_module_imports_only_common_from_the_cli(name):
    from_cli = {t for t in graph()[name] if t == "exactformer.cli" or t.startswith("exactformer.cli.")}
    assert from_cli <= {t for t in from_cli if t.startswith("exactformer.cli.common")}, from_cli
    module = __import__(name, fromlist=["register"])
    assert callable(module.register) and module.NAME and module.EXAMPLES


def test_common_imports_no_subcommand():
    for name, targets in graph().items():
        if name.startswith("exactformer.cli.common"):
            assert all(t.startswith("exactformer.cli.common") or unit(t) != "cli"
                       for t in targets), (name, targets)


def test_every_subcommand_module_is_registered():
    from exactformer.cli import SUBCOMMANDS
    assert sorted(m.__name__ for m in SUBCOMMANDS) == subcommand_modules()


def test_the_coq_export_finds_the_library_of_the_checkout():
    """A source checkout prints a coqc command that names the real proofs/coq."""
    from exactformer.formats.coq.masked import COQ_DIR, coqc_command
    assert COQ_DIR == PACKAGE.parent / "proofs" / "coq" and (COQ_DIR / "Masked.v").is_file()
    assert f"-R {COQ_DIR} " in coqc_command("out.v")
