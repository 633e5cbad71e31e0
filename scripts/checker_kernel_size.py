#!/usr/bin/env python3
"""Print the size of the checker's trusted kernel, and of the rest of the checker.

    python scripts/checker_kernel_size.py        # one line per module, kernel first

The kernel (exactformer/checker/kernel.py) holds everything that decides a
certificate: exact polynomials, the forward pass, the claim comparison. Exit 1 if a
function or class of the kernel has no docstring.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "exactformer" / "checker"
KERNEL = PACKAGE / "kernel.py"


def undocumented(path: Path) -> list[str]:
    """Functions and classes of ``path`` without a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.name for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not ast.get_docstring(n)]


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def main() -> int:
    tree = ast.parse(KERNEL.read_text(encoding="utf-8"))
    functions = sum(isinstance(n, ast.FunctionDef) for n in ast.walk(tree))
    missing = undocumented(KERNEL)
    print(f"kernel: {KERNEL.relative_to(PACKAGE.parent.parent)}: {lines(KERNEL)} lines, "
          f"{functions} functions, {len(missing)} without a docstring")
    others = sorted(p for p in PACKAGE.glob("*.py") if p != KERNEL)
    for p in others:
        print(f"        {p.relative_to(PACKAGE.parent.parent)}: {lines(p)} lines")
    print(f"checker total: {lines(KERNEL) + sum(map(lines, others))} lines")
    if missing:
        print(f"undocumented in the kernel: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
