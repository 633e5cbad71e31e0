"""Helpers the ONNX test files share: write a graph to a file, read a one-line error,
evaluate an exact QQ[x] polynomial at a rational point."""
from __future__ import annotations

from fractions import Fraction
from typing import Any


def one_line_error(code: int, out: str, err: str, codes: tuple[int, ...] = (2,)) -> str:
    """The error of a run that must fail with one of ``codes``: nothing on stdout, one
    line on stderr."""
    assert code in codes and out == "" and len(err.strip().splitlines()) == 1, (code, out, err)
    return err


def save(tmp_path: Any, model: Any, name: str = "m.onnx") -> str:
    """Write an onnx ModelProto (or raw bytes) to ``tmp_path/name``; return the path."""
    path = str(tmp_path / name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString() if hasattr(model, "SerializeToString") else model)
    return path


def poly_at(p: Any, point: Any) -> Fraction:
    """An exact QQ[x] polynomial (sympy ring element) at a rational point."""
    total = Fraction(0)
    for mon, c in p.items():
        term = Fraction(int(c.numerator), int(c.denominator))
        for v, e in zip(point, mon):
            term *= Fraction(v) ** e
        total += term
    return total
