"""The name spaces of a decision "model computes claim", for every rung.

Every rung (exact identity, box, basis by basis, Schwartz-Zippel) calls
:func:`decision_names` before it evaluates anything, so all of them refuse the same
clashes (see :mod:`exactformer.poly.names` for the rule).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Iterable

from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..poly import Target
from ..poly.names import NameSpaces, name_spaces
from ..poly.target import coefficient_target


def readout_targets(model: Model, limits: Limits = DEFAULT_LIMITS) -> dict[int, Target]:
    """Symbolic readout entries read as constant targets, by entry index (the bias is
    the index ``len(entries)``)."""
    out: dict[int, Target] = {}
    entries = model.readout.entries + ((-1, -1, model.readout.bias),)
    for i, (_, _, v) in enumerate(entries):
        if not isinstance(v, Fraction):
            out[i] = coefficient_target(v, limits)
    return out


def readout_names(model: Model, limits: Limits = DEFAULT_LIMITS,
                  targets: dict[int, Target] | None = None) -> tuple[tuple[str, ...],
                                                                     tuple[str, ...]]:
    """(symbols, constants) of the readout, each in first-seen order."""
    targets = readout_targets(model, limits) if targets is None else targets
    symbols: dict[str, None] = {}
    constants: dict[str, None] = {}
    for t in targets.values():
        for p in t.params:
            (constants if p in t.constants else symbols).setdefault(p, None)
    return tuple(symbols), tuple(constants)


def claim_parameters(claim: Target) -> tuple[str, ...]:
    """The claim's declared parameters (its constants excluded)."""
    return tuple(p for p in claim.params if p not in claim.constants)


def decision_names(model: Model | tuple[str, ...], claim: Target | None = None,
                   limits: Limits = DEFAULT_LIMITS,
                   targets: dict[int, Target] | None = None,
                   claim_variables: Iterable[str] = (), claim_params: Iterable[str] = (),
                   claim_constants: Iterable[str] = ()) -> NameSpaces:
    """The checked name spaces of ``model`` against ``claim`` (a Target, or the names
    of a claim given otherwise). ``model`` may also be the input names of a model read
    from another format (an ONNX graph), which has no readout symbols. Raises NameClash
    or ParseError."""
    symbols: tuple[str, ...]
    constants: tuple[str, ...]
    if isinstance(model, tuple):
        inputs, symbols, constants = model, (), ()
    else:
        inputs = model.variables
        symbols, constants = readout_names(model, limits, targets)
    if claim is not None:
        claim_variables = tuple(claim.variables) + tuple(claim_variables)
        claim_params = claim_parameters(claim) + tuple(claim_params)
        claim_constants = tuple(claim.constants) + tuple(claim_constants)
    return name_spaces(inputs, claim_variables, claim_params, symbols,
                       tuple(constants) + tuple(claim_constants))
