"""Ctrl-C and SIGTERM around a COMMIT: the database and the files that go with it are finished together.

Between a transaction's COMMIT and the renames that put its files in place (a
``rejected-<file>.xlsx``, say), an interruption would leave a saved change
without its file. :func:`deferred_interrupts` holds the two signals back for
that moment and delivers them right after. :func:`commits_so_far` lets the CLI
tell, when a command is interrupted, whether it had saved anything by then.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

_DEFERRED = (signal.SIGINT, signal.SIGTERM)
_commits = 0


def note_commit() -> None:
    global _commits
    _commits += 1


def commits_so_far() -> int:
    """Transactions this process has committed; compare before and after a command."""
    return _commits


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """SIGINT and SIGTERM arriving inside the block take effect when it ends.

    Python runs signal handlers in the main thread only, so elsewhere (a test
    running a command in a thread) there is nothing to defer.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[signal.Signals] = []
    previous = {signum: signal.signal(signum, lambda received, _frame: caught.append(signal.Signals(received)))
                for signum in _DEFERRED}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)
