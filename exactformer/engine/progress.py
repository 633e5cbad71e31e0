"""A progress bar over blocks (tqdm), on stderr, only on a terminal, only for long runs.

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
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm

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


def _terminal_allows_a_bar(stream: TextIO) -> bool:
    """A bar is drawn only on a terminal that can redraw a line: not a pipe or a
    file, not TERM=dumb."""
    from .environment import display_environment
    if display_environment()[1]:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class BlockProgressBar:
    """A tqdm bar over blocks (``12/20 blocks``) on ``stream``, drawn only on a
    terminal and only once a run has lasted ``delay`` seconds; it erases itself when
    closed (``leave=False``), so the result never prints glued to it. No colour is
    ever used; with NO_COLOR set the bar is plain ASCII as well.

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
        self.drawn = False
        self.enabled = force or _terminal_allows_a_bar(self.stream)
        self._bar: tqdm | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm
        from .environment import display_environment
        total = max(total, 1)
        if self._bar is None or self._bar.total != total:
            self.close()
            self._bar = tqdm(total=total, unit="blocks", file=self.stream, leave=False,
                             delay=self.delay, ncols=self.width + 50, colour=None,
                             ascii=True if display_environment()[0] else None,
                             bar_format="{bar} {n_fmt}/{total_fmt} blocks {elapsed}",
                             mininterval=0.1, dynamic_ncols=False)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._bar.refresh()
        self.drawn = True

    def close(self) -> None:
        """Erase the bar (if one was drawn) so the next output starts on a clean line."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
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
