"""What surrounds every command: the wall-clock limit, the exact backend, the
progress bar (on a terminal only)."""
from __future__ import annotations

import argparse
import signal
from contextlib import contextmanager
from types import FrameType
from typing import Iterator

from ...errors import LimitExceeded
from .codes import UsageError
from .options import MAX_TIMEOUT



@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise LimitExceeded after ``seconds`` of wall-clock time (main thread, Unix)."""
    if seconds is not None and not 0 <= seconds <= MAX_TIMEOUT:  # negative, NaN, huge
        raise UsageError(f"--timeout must be a number of seconds in [0, {MAX_TIMEOUT}], "
                         f"got {seconds}")
    if not seconds or seconds == float("inf") or not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise LimitExceeded(f"time limit of {seconds:g} s reached (use --timeout to change it)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextmanager
def command_context(args: argparse.Namespace) -> Iterator[None]:
    """Around every command: the --backend choice (if the command has one) and a
    block progress bar on stderr when it is a terminal and a run lasts over 1 s."""
    from ...engine.backends import using_backend
    from ...engine.environment import check_environment
    from ...engine.domains import flint_available
    from ...engine.progress import terminal_progress
    check_environment()
    backend = getattr(args, "backend", None)
    if backend == "flint" and not flint_available():
        raise UsageError("--backend flint needs python-flint: pip install -e '.[fast]'")
    with using_backend(backend), terminal_progress():
        yield
