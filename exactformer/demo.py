"""`exactformer demo`: a handful of instructive proofs in a few seconds."""
from __future__ import annotations

import json
import time
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, TypedDict, cast

from . import api
from .verify import verify_identity

if TYPE_CHECKING:
    from .engine import Trace


class _Options(TypedDict, total=False):
    """Keyword arguments of :func:`exactformer.api.prove` an example sets."""

    params: str


EXAMPLES: tuple[tuple[str, _Options, str], ...] = (
    ("x**3 - 2*x + 1", {}, "one variable, degree 3"),
    ("3*x**2*y - y/7 + 2", {}, "two variables; note the exact 1/7"),
    ("x*y*z - x**2 + z**4/5", {}, "three variables, degree 4"),
    ("(w + x + y + z)**3 - 0.25*w*x", {}, "four variables; 0.25 is read as exactly 1/4"),
    ("(1 + x - y)**6", {}, "degree 6: six blocks"),
    ("a*x**2 + b*x*y + c", {"params": "a,b,c"}, "symbolic coefficients a, b, c"),
    ("pi*x**2 + sqrt(2)*x", {}, "irrational coefficients, kept exact as symbols"),
)


def run_demo(json_output: bool = False,
             emit_json: Callable[[dict[str, Any]], None] | None = None) -> int:
    """Prove every example, show one trace and one refuted mutation; 0 iff all held.
    With ``json_output``, the one JSON object goes to ``emit_json`` (default: printed)."""
    start = time.perf_counter()
    records = []
    ok = True
    say = (lambda *a: None) if json_output else print
    say("exactformer demo: each target gets a transformer whose n blocks are fixed by")
    say("(d variables, degree n) alone; only the readout holds the target's coefficients.")
    say("Each proof pushes exact polynomials through every block and compares the output")
    say("with the target term by term.\n")
    for expr, kwargs, why in EXAMPLES:
        result = api.prove(expr, **kwargs)
        s = result.summary()
        ok &= result.proved
        records.append({"example": expr, **s})
        say(f"  {expr:<32} d={s['dimension']} n={s['degree']} tokens={s['tokens']:<4} "
            f"blocks={s['blocks']} free={s['free_parameters']:<4} -> {s['verdict'].upper()}"
            f"   ({why})")

    result = api.prove("3*x**2*y - y/7 + 2")
    say("\nInside 3*x**2*y - y/7 + 2: channel m of each token after each block")
    # an identity proof (no box) always has its trace
    model, trace = result.model, cast("Trace", result.trace)
    mons = [trace.value(model.depth, t, 2) for t in range(model.tokens)]
    say("  token " + " ".join(f"{str(m):>8}" for m in mons))
    say("  block")
    for k in range(model.depth + 1):
        row = [str(trace.value(k, t, 2)) for t in range(model.tokens)]
        say(f"  {k:>5} " + " ".join(f"{v:>8}" for v in row))
    say("  Block k fills exactly the tokens of degree k: x_l * (the parent's monomial).")

    # A mutation: one readout entry off by 1/1000 must be refuted, with the monomial.
    t = max(range(model.tokens), key=lambda i: i if model.readout.get(i, 2) else -1)
    changed = model.readout.get(t, 2) + Fraction(1, 1000)
    bad = type(model)(model.embedding, model.blocks, model.readout.with_entry(t, 2, changed),
                      model.meta)
    verdict, _, _ = verify_identity(bad, result.target)
    ok &= not verdict.holds
    say(f"\nMutation: readout entry of token {t} changed by 1/1000 -> {verdict}")
    records.append({"example": "mutated readout", **verdict.to_json()})

    seconds = time.perf_counter() - start
    if json_output:
        summary = {"verdict": "proved" if ok else "refuted", "examples": records,
                   "seconds": round(seconds, 3)}
        if emit_json is not None:
            emit_json(summary)
        else:
            print(json.dumps(summary, sort_keys=True))
    else:
        print(f"\nAll examples proved and the mutation refuted in {seconds:.2f} s."
              if ok else "\nSOMETHING DID NOT HOLD: see above.")
    return 0 if ok else 1
