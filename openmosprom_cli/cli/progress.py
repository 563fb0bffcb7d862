"""The progress bar of long steps: Rich on stderr, only when stderr is a terminal.

Output that is redirected, piped or captured (a script, a log, the tests)
gets no bar at all, so it holds exactly what the command printed.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from openmosprom_cli import progress


class TerminalProgress:
    """A :class:`~openmosprom_cli.progress.Reporter` drawing a transient bar per stage (a stage inside another
    gets its own line under it)."""

    def __init__(self, stream: TextIO | None = None, *, force_terminal: bool | None = None) -> None:
        self._stream = stream
        self._force_terminal = force_terminal
        self._bar: Any = None
        self._tasks: list[Any] = []

    def start(self, label: str, total: int | None) -> None:
        if self._bar is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            console = Console(file=self._stream or sys.stderr, force_terminal=self._force_terminal, highlight=False)
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 TaskProgressColumn(), TimeElapsedColumn(), console=console, transient=True)
            self._bar.start()
        self._tasks.append(self._bar.add_task(label, total=total))

    def advance(self, steps: int) -> None:
        if self._tasks:
            self._bar.advance(self._tasks[-1], steps)

    def finish(self) -> None:
        if self._tasks:
            self._bar.remove_task(self._tasks.pop())
        if not self._tasks and self._bar is not None:
            self._bar.stop()
            self._bar = None


def install_for_terminal() -> None:
    """Draw progress on stderr for this command, if stderr is a terminal (and $TERM is not "dumb")."""
    stream = sys.stderr
    interactive = hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"
    progress.use(TerminalProgress() if interactive else None)
