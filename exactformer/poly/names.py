"""The one name discipline shared by every decision path (DESIGN §3).

Four kinds of name meet when a model is checked against a claim:

- inputs: the model's input variables and the claim's variables. A claim variable
  is matched to the model input of the same name; one the model lacks is a further
  universally quantified variable (the model is constant in it);
- parameters: the claim's declared parameters (``--params``) and the symbols of a
  symbolic readout. They share one space on purpose: a readout entry ``a`` is
  compared with the claim's coefficient ``a``; both are quantified over every value;
- constants: ``pi``, ``E`` and ``sqrt(q)``, which stand for their true values.

An identifier is ASCII, ``[A-Za-z][A-Za-z0-9_]*``, so that two names that look alike
(Latin ``x`` and Cyrillic ``х``) can never be two different things. The spaces are
disjoint: a name in two of them is refused, never merged, dropped or renamed,
because merging a parameter with an input would let the readout (or the claim)
compute what the blocks are supposed to.

The independent checker (``exactformer.checker``) applies the same rule with its
own copy of :data:`IDENTIFIER` (it imports nothing from the package); a test keeps
the two equal.

>>> name_spaces(["x", "y"], ["x"], ["a"], ["a", "b"], ["pi"]).parameters
('a', 'b')
>>> name_spaces(["x"], [], ["x"], [], [])
Traceback (most recent call last):
...
exactformer.errors.NameClash: 'x' is an input of the model and is declared a parameter; a name may live in one space only
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from ..errors import NameClash, ParseError

#: An identifier: an ASCII letter, then ASCII letters, digits and underscores.
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z", re.ASCII)
#: Constants by name; ``sqrt(q)`` for a non-negative integer q is one as well.
CONSTANT_NAMES = ("pi", "E")
_SQRT = re.compile(r"sqrt\((\d+)\)\Z", re.ASCII)


def is_identifier(name: object) -> bool:
    """True iff ``name`` is a str matching :data:`IDENTIFIER` (and is no constant).

    >>> is_identifier("x_1"), is_identifier("\u0445"), is_identifier("pi"), is_identifier("_x")
    (True, False, False, False)
    """
    return isinstance(name, str) and bool(IDENTIFIER.match(name)) and \
        name not in CONSTANT_NAMES


def is_constant_name(name: object) -> bool:
    """True iff ``name`` names a constant: ``pi``, ``E`` or ``sqrt(q)``."""
    return isinstance(name, str) and (name in CONSTANT_NAMES or bool(_SQRT.match(name)))


def check_identifier(name: object, role: str) -> str:
    """``name`` if it is a valid identifier for ``role``, else ParseError naming it."""
    if is_constant_name(name):
        raise NameClash(f"{name!r} names a constant and cannot be {_article(role)}")
    if not is_identifier(name):
        raise ParseError(f"invalid {role} name {name!r}: names are ASCII letters, digits "
                         "and '_', starting with a letter")
    return str(name)


def _article(role: str) -> str:
    return f"an {role}" if role[0] in "aeiou" else f"a {role}"


@dataclass(frozen=True)
class NameSpaces:
    """The checked, disjoint name spaces of one decision (each in first-seen order)."""

    inputs: tuple[str, ...]       # model inputs, then claim variables the model lacks
    parameters: tuple[str, ...]   # claim parameters, then further readout symbols
    constants: tuple[str, ...]

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every quantified name: inputs, then parameters, then constants."""
        return self.inputs + self.parameters + self.constants


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def name_spaces(model_inputs: Iterable[str], claim_variables: Iterable[str] = (),
                claim_params: Iterable[str] = (), readout_symbols: Iterable[str] = (),
                constants: Iterable[str] = ()) -> NameSpaces:
    """Check the names of one decision and return its disjoint spaces.

    Raises ParseError for a name that is not an ASCII identifier and NameClash for
    a name in two spaces (both exit 2 at the command line), naming it.
    """
    roles: dict[str, tuple[str, str]] = {}  # name -> (what it is, its space)

    def place(name: str, role: str, space: str) -> None:
        check_identifier(name, role)
        seen = roles.get(name)
        if seen is not None and seen[1] != space:
            raise NameClash(f"{name!r} is {seen[0]} and is {_declared(role)}; a name may "
                            "live in one space only")
        roles.setdefault(name, (_what(role), space))

    model_inputs, claim_variables = tuple(model_inputs), tuple(claim_variables)
    claim_params, readout_symbols = tuple(claim_params), tuple(readout_symbols)
    for n in model_inputs:
        place(n, "input", "inputs")
    for n in claim_variables:
        place(n, "variable", "inputs")
    for n in claim_params:
        place(n, "parameter", "parameters")
    for n in readout_symbols:
        place(n, "readout symbol", "parameters")
    consts = _unique(constants)
    for c in consts:
        if not is_constant_name(c):
            raise ParseError(f"{c!r} is not a constant (pi, E or sqrt(q))")
    return NameSpaces(_unique(model_inputs + claim_variables),
                      _unique(claim_params + readout_symbols), consts)


def _what(role: str) -> str:
    return {"input": "an input of the model", "variable": "a variable of the claim",
            "parameter": "a declared parameter of the claim",
            "readout symbol": "a symbol of the model's readout"}[role]


def _declared(role: str) -> str:
    return {"input": "an input of the model", "variable": "a variable of the claim",
            "parameter": "declared a parameter",
            "readout symbol": "a symbol of the model's readout"}[role]
