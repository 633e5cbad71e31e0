"""The environment variables exactformer reads, all in one place, and their validation.

:data:`ENVIRONMENT_VARIABLES` can change a default (never a result); the command line
validates them before any command runs (exit 2 on a bad value). :data:`DISPLAY_VARIABLES`
only change how the progress bar looks."""
from __future__ import annotations

import os

from ..errors import ExactformerError
from . import domains


BACKENDS = ("auto", "sympy", "flint")


#: Environment variable that sets the default backend ("auto" if unset).
BACKEND_VARIABLE = "EXACTFORMER_BACKEND"


#: Every environment variable exactformer reads, with the values it accepts. The
#: command line validates them all before any command runs (exit 2 on a bad value).
ENVIRONMENT_VARIABLES = {BACKEND_VARIABLE: BACKENDS}


class BackendError(ExactformerError, ValueError):
    """An unknown backend, or the flint backend without python-flint (exit 2)."""


def environment_backend() -> str:
    """$EXACTFORMER_BACKEND ("auto" if unset or empty), validated: an unknown value, or
    "flint" without python-flint, raises BackendError naming the variable."""
    raw = os.environ.get(BACKEND_VARIABLE, "")
    value = raw.strip().lower() or "auto"
    if value not in BACKENDS:
        raise BackendError(f"{BACKEND_VARIABLE}={raw[:40]!r} is not one of "
                           f"{', '.join(BACKENDS)} (unset it for auto)")
    if value == "flint" and not domains.flint_available():
        raise BackendError(f"{BACKEND_VARIABLE}=flint needs python-flint (>= 0.8): "
                           "pip install -e '.[fast]', or unset it")
    return value


#: Variables read for display only (the progress bar): any value is accepted and none
#: changes a result. NO_COLOR set and non-empty: plain ASCII; TERM=dumb: no bar.
DISPLAY_VARIABLES = ("NO_COLOR", "TERM")


def display_environment() -> tuple[bool, bool]:
    """(no colour asked for, terminal cannot redraw a line) from NO_COLOR and TERM."""
    return bool(os.environ.get("NO_COLOR")), os.environ.get("TERM") == "dumb"


def check_environment() -> None:
    """Validate every environment variable of :data:`ENVIRONMENT_VARIABLES`."""
    environment_backend()
