"""A small progress bar over blocks, on stderr, only on a terminal, only for long runs.

The interpreter calls ``progress(k, L)`` after block k of L. :func:`reporting`
installs such a callback for everything run inside a ``with`` statement (exact
runs pick it up through :func:`current`), so the command line can show progress
without threading a parameter through every API layer. Nothing is drawn unless
the stream is a terminal and the run has already lasted ``delay`` seconds, so
pipes, files and tests see no output at all.
"""
from __future__ import annotations

import contextvars
import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TextIO

Progress = Callable[[int, int], None]

_CURRENT: contextvars.ContextVar[Progress | None] = contextvars.ContextVar(
    "exactformer_progress", default=None)


def current() -> Progress | None:
    """The progress callback installed by :func:`reporting`, if any."""
    return _CURRENT.get()


@contextmanager
def reporting(callback: Progress | None) -> Iterator[Progress | None]:
    """Install ``callback`` as the progress hook of exact runs inside the block."""
    token = _CURRENT.set(callback)
    try:
        yield callback
    finally:
        _CURRENT.reset(token)


class BlockProgressBar:
    """``[#####.....] 12/20 blocks 1.3 s`` redrawn in place on ``stream``.

    >>> import io
    >>> bar = BlockProgressBar(io.StringIO(), delay=0.0)
    >>> bar(1, 2)            # not a terminal: draws nothing
    >>> bar.drawn
    False
    """

    def __init__(self, stream: TextIO | None = None, delay: float = 1.0, width: int = 30,
                 force: bool = False):
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.width = width
        self.start = time.monotonic()
        self.drawn = False
        self._last = 0.0
        try:
            self.enabled = force or bool(self.stream.isatty())
        except (AttributeError, ValueError):
            self.enabled = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        elapsed = now - self.start
        if elapsed < self.delay or (done < total and now - self._last < 0.1):
            return
        self._last = now
        total = max(total, 1)
        filled = self.width * done // total
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} blocks {elapsed:.1f} s")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Erase the bar (if one was drawn) so the next output starts on a clean line."""
        if self.drawn:
            self.stream.write("\r" + " " * (self.width + 40) + "\r")
            self.stream.flush()
            self.drawn = False


@contextmanager
def terminal_progress(stream: TextIO | None = None, delay: float = 1.0) -> Iterator[BlockProgressBar]:
    """Show a block progress bar on ``stream`` (stderr) during the ``with`` block."""
    bar = BlockProgressBar(stream, delay=delay)
    with reporting(bar if bar.enabled else None):
        try:
            yield bar
        finally:
            bar.close()
